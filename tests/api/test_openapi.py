"""docs/openapi.yaml documents every route the modules serve, and is the
merge of the per-module fragments under docs/api/."""
import os
import pathlib
import re
import subprocess

import yaml

SRC = pathlib.Path(os.environ.get("DS_SRC") or pathlib.Path(__file__).parents[2])
ROUTE = re.compile(r'\{\s*"(GET|POST|PUT|PATCH|DELETE)",\s*"/api/v1(/[^"]*)"')


def served_routes():
    routes = set()
    for main in SRC.glob("modules/*/main.c"):
        for method, path in ROUTE.findall(main.read_text()):
            routes.add((method.lower(), path))
    routes.add(("get", "/health"))
    return routes


def test_openapi_parses_and_covers_every_route():
    doc = yaml.safe_load((SRC / "docs" / "openapi.yaml").read_text())
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops
                  if m in ("get", "post", "put", "patch", "delete")}
    missing = served_routes() - documented
    assert not missing, f"undocumented routes: {sorted(missing)}"


def test_openapi_is_the_merge_of_its_fragments(tmp_path):
    current = (SRC / "docs" / "openapi.yaml").read_text()
    subprocess.run(["/usr/bin/python3", str(SRC / "scripts" / "openapi-merge")],
                   check=True, capture_output=True)
    try:
        assert (SRC / "docs" / "openapi.yaml").read_text() == current, \
            "docs/openapi.yaml is stale: run scripts/openapi-merge"
    finally:
        (SRC / "docs" / "openapi.yaml").write_text(current)


def test_every_operation_is_well_formed():
    """A light structural check (no validator package on Debian 12):
    operations have a summary and responses, and responses only the keys
    OpenAPI allows (a stray comma in a flow mapping makes a new key)."""
    doc = yaml.safe_load((SRC / "docs" / "openapi.yaml").read_text())
    problems = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            if not op.get("summary"):
                problems.append(f"{method} {path}: no summary")
            for code, resp in (op.get("responses") or {}).items():
                if isinstance(resp, dict) and "$ref" not in resp:
                    extra = set(resp) - {"description", "content", "headers", "links"}
                    if extra or "description" not in resp:
                        problems.append(f"{method} {path} {code}: {sorted(extra)}")
            if not op.get("responses"):
                problems.append(f"{method} {path}: no responses")
    assert not problems, problems
