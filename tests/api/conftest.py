"""Fixtures for the black-box API tests (tests/api/).

The tests talk HTTPS to a running stack, the one `./stack test` starts in a
temporary folder. It passes where that stack is through the environment:

    DS_URL        https://127.0.0.1:PORT
    DS_BOOTSTRAP  bootstrap.json with the DIC admin's client_id/client_secret
    DS_CONFIG     the stack's datashare.conf
    DS_ADMIN      the datashare-admin executable
    STACK_VAR     the stack's state folder (MariaDB socket: $STACK_VAR/run/)
    DS_SRC        the source tree (for ./stack db-stop / db-start)
    DS_TEST_QUICK set (to 1) for quick local loops: skip slow tests

To run them by hand against `./stack up`'s stack in var/:

    DS_URL=https://127.0.0.1:8443 DS_BOOTSTRAP=var/bootstrap.json \\
    DS_CONFIG=var/datashare.conf DS_ADMIN=build/modules/admin/datashare-admin \\
    STACK_VAR=var /usr/bin/python3 -m pytest -q tests/api

Fixtures (all names below are pytest fixtures):
    base_url        "https://127.0.0.1:PORT"
    admin_creds     {"client_id": ..., "client_secret": ..., "url": ...}
    session         a requests.Session that accepts the self-signed cert
    api             api.get/post/put/patch/delete(path, token=None, **kw)
    token           token(client_id, secret) -> access token string
    admin_token     a DIC admin token (cached until shortly before expiry)
    admin           admin(["agency", "create", ...]) -> stdout of datashare-admin
    db              db("SELECT ... WHERE id = %s", (7,)) -> rows as tuples
    db_stop/db_start  stop / start the stack's MariaDB
    new_agency      new_agency("T") -> Agency(agency_id, code, account_id,
                    client_id, client_secret): a fresh agency and officer
"""

import itertools
import json
import os
import re
import shlex
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Optional

import pytest
import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

API_PREFIX = "/api/v1"
TIMEOUT = 30  # seconds; no request in these tests should come near it

# The harness's own variables are not datashare config keys; keep them away
# from datashare-admin, whose config reader treats DS_<KEY> as an override.
HARNESS_VARS = ("DS_URL", "DS_BOOTSTRAP", "DS_CONFIG", "DS_ADMIN", "DS_SRC",
                "DS_TEST_QUICK")


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the API tests through ./stack test "
                    "(or see tests/api/conftest.py)", returncode=2)
    return value


def _quick() -> bool:
    return bool(os.environ.get("DS_TEST_QUICK"))


def pytest_configure(config):
    # pytest resets warning filters per test; this one is meant for the run.
    config.addinivalue_line(
        "filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")
    config.addinivalue_line(
        "markers", "slow: skipped when DS_TEST_QUICK is set (./stack test --no-asan)")


def pytest_collection_modifyitems(config, items):
    if not _quick():
        return
    skip = pytest.mark.skip(reason="DS_TEST_QUICK set")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# --------------------------------------------------------------------- HTTP

@pytest.fixture(scope="session")
def base_url() -> str:
    return _env("DS_URL").rstrip("/")


@pytest.fixture(scope="session")
def admin_creds() -> dict:
    with open(_env("DS_BOOTSTRAP"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def session():
    s = requests.Session()
    s.verify = False  # the stack's certificate is self-signed
    # Ignore the environment: REQUESTS_CA_BUNDLE would override verify, and
    # a proxy variable would send loopback traffic elsewhere.
    s.trust_env = False
    yield s
    s.close()


class Api:
    """Thin helper over requests: paths, bearer tokens, a timeout.

    `path` is either absolute ("/api/v1/agencies", "/nginx-ok") or relative
    to /api/v1 ("agencies/3"). Every method returns the requests.Response;
    tests assert on status and body themselves.
    """

    def __init__(self, session: requests.Session, base_url: str):
        self.session = session
        self.base_url = base_url

    def url(self, path: str) -> str:
        if not path.startswith("/"):
            path = f"{API_PREFIX}/{path}"
        return self.base_url + path

    def request(self, method: str, path: str, token: Optional[str] = None,
                **kw) -> requests.Response:
        headers = dict(kw.pop("headers", None) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.session.request(method, self.url(path), headers=headers, **kw)

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token, **kw)

    def post(self, path, token=None, **kw):
        return self.request("POST", path, token, **kw)

    def put(self, path, token=None, **kw):
        return self.request("PUT", path, token, **kw)

    def patch(self, path, token=None, **kw):
        return self.request("PATCH", path, token, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token, **kw)

    def token_response(self, client_id: str, secret: str) -> requests.Response:
        """POST /auth/token. The endpoint is rate limited (nginx answers
        429, as it should to a client this eager); a test is a legitimate
        client, so it waits and tries again, as a client would."""
        for attempt in range(20):
            r = self.post("/api/v1/auth/token",
                          json={"client_id": client_id, "client_secret": secret})
            if r.status_code != 429:
                return r
            time.sleep(0.25 * (attempt + 1))
        return r

    def token(self, client_id: str, secret: str) -> str:
        """An access token for these credentials; fails the test otherwise."""
        r = self.token_response(client_id, secret)
        assert r.status_code == 200, f"token for {client_id}: {r.status_code} {r.text}"
        return r.json()["access_token"]


@pytest.fixture(scope="session")
def api(session, base_url) -> Api:
    return Api(session, base_url)


@pytest.fixture(scope="session")
def token(api):
    """token(client_id, secret) -> access token (a fresh one each call)."""
    return api.token


_admin_token_cache = {"token": None, "expires": 0.0}


@pytest.fixture
def admin_token(api, admin_creds) -> str:
    """The DIC admin's token, reused until a minute before it expires."""
    now = time.monotonic()
    if _admin_token_cache["token"] is None or now > _admin_token_cache["expires"]:
        r = api.token_response(admin_creds["client_id"], admin_creds["client_secret"])
        assert r.status_code == 200, f"admin token: {r.status_code} {r.text}"
        body = r.json()
        _admin_token_cache["token"] = body["access_token"]
        _admin_token_cache["expires"] = now + max(0, int(body.get("expires_in", 900)) - 60)
    return _admin_token_cache["token"]


# --------------------------------------------------------------- admin CLI

class AdminError(AssertionError):
    pass


def _admin_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in HARNESS_VARS}


@pytest.fixture(scope="session")
def admin():
    """admin(args) runs datashare-admin --config DS_CONFIG ARGS; returns stdout.

    args is a list of strings or one shell-quoted string. A non-zero exit
    raises AdminError carrying stderr.
    """
    exe, conf = _env("DS_ADMIN"), _env("DS_CONFIG")

    def run(args, check: bool = True) -> str:
        if isinstance(args, str):
            args = shlex.split(args)
        p = subprocess.run([exe, "--config", conf, *map(str, args)],
                           capture_output=True, text=True, env=_admin_env(),
                           timeout=60)
        if check and p.returncode != 0:
            raise AdminError(f"datashare-admin {' '.join(map(str, args))} exited "
                             f"{p.returncode}: {p.stderr.strip()}")
        return p.stdout

    return run


def parse_id(text: str) -> int:
    """The id an admin command printed: a JSON object's "id", else the first
    whole number."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                return int(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                pass
    m = re.search(r"\b\d+\b", text)
    if not m:
        raise AdminError(f"no id in admin output: {text!r}")
    return int(m.group(0))


def parse_json_line(text: str) -> dict:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise AdminError(f"no JSON line in admin output: {text!r}")


@dataclass
class Agency:
    agency_id: int
    code: str
    name: str
    account_id: int
    client_id: str
    client_secret: str


_agency_counter = itertools.count(1)
_run_tag = uuid.uuid4().hex[:4].upper()


@pytest.fixture(scope="session")
def new_agency(admin):
    """new_agency(code_prefix="T", roles="agency_officer") -> Agency.

    Creates an agency with a code unique to this run and call, and one
    account in it with the given roles (comma-separated).
    """

    def make(code_prefix: str = "T", roles: str = "agency_officer") -> Agency:
        code = f"{code_prefix}{_run_tag}{next(_agency_counter):03d}".upper()
        name = f"Test agency {code}"
        agency_id = parse_id(admin(["agency", "create", "--code", code, "--name", name]))
        acc = parse_json_line(admin(["account", "create", "--agency", agency_id,
                                     "--name", f"officer-{code.lower()}",
                                     "--roles", roles]))
        return Agency(agency_id, code, name, int(acc["id"]),
                      acc["client_id"], acc["client_secret"])

    return make


# ----------------------------------------------------------------- database

def sql_literal(value) -> str:
    """A SQL literal that cannot break out of its place: numbers as numbers,
    text as a hex literal with the utf8mb4 introducer (so it still compares
    under the column's collation), bytes as plain hex."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        return f"X'{value.hex()}'" if value else "''"
    text = str(value)
    return f"_utf8mb4 X'{text.encode('utf-8').hex()}'" if text else "''"


def _unescape(field: str) -> Optional[str]:
    if field == "NULL":
        return None
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)), field)


@pytest.fixture(scope="session")
def db():
    """db(sql, params=()) runs SQL as MariaDB's root in the `datashare` schema.

    Each %s in sql takes the next value of params, as a safe literal. Returns
    the result rows as tuples of str (None for NULL); [] for statements
    without a result. For asserting database state, not for setting up what
    the API should create.
    """
    sock = os.path.join(_env("STACK_VAR"), "run", "mysqld.sock")

    def run(sql: str, params=()) -> list:
        parts = sql.split("%s")
        if len(parts) - 1 != len(params):
            raise ValueError(f"{len(parts) - 1} placeholders, {len(params)} params")
        text = parts[0]
        for value, part in zip(params, parts[1:]):
            text += sql_literal(value) + part
        p = subprocess.run(["mariadb", "-S", sock, "--default-character-set=utf8mb4",
                            "-N", "-B", "datashare", "-e", text],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"SQL failed: {p.stderr.strip()}\n{text}")
        return [tuple(_unescape(f) for f in line.split("\t"))
                for line in p.stdout.splitlines()]

    return run


def _stack(cmd: str):
    src = os.environ.get("DS_SRC") or os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, STACK_VAR=_env("STACK_VAR"))
    p = subprocess.run([os.path.join(src, "stack"), cmd], capture_output=True,
                       text=True, env=env, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"./stack {cmd} exited {p.returncode}: {p.stderr.strip()}")


@pytest.fixture(scope="session")
def db_stop():
    """db_stop() stops the stack's MariaDB (use with db_start in a finally)."""
    return lambda: _stack("db-stop")


@pytest.fixture(scope="session")
def db_start():
    """db_start() starts the stack's MariaDB and waits until it answers."""
    return lambda: _stack("db-start")
