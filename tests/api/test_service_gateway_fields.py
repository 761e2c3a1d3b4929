"""What the gateway needs of a registered service (issue 18): its code,
upstream, limits and log mode, on POST/PATCH/GET /services
(docs/catalog.md, "The gateway's fields"; the contract's table)."""

import json
import os

import pytest

from catalog_helpers import (actor, auditor, detail_fields, error_code,  # noqa: F401
                             published_dataset, unique)

GATEWAY_FIELDS = {
    "code": "tra-cuu-ho-so-1",
    "upstream_url": "http://127.0.0.1:9/api/v1/records",
    "health_url": "http://localhost:9/health",
    "connect_timeout_ms": 2500,
    "response_timeout_ms": 600000,
    "max_request_bytes": 0,
    "max_response_bytes": 1099511627776,
    "rate_limit_per_minute": 60,
    "daily_quota": 1000000000,
    "narrow": False,
    "records_pointer": "/data/items",
    "log_mode": "full",
    "openapi": {"openapi": "3.0.3", "info": {"title": "Hồ sơ", "version": "1"},
                "paths": {"/records/{id}": {"get": {"responses": {"200": {
                    "description": "một hồ sơ"}}}}}},
}

DEFAULTS = {
    "code": None, "upstream_url": None, "health_url": None,
    "connect_timeout_ms": 5000, "response_timeout_ms": 30000,
    "max_request_bytes": 1048576, "max_response_bytes": 104857600,
    "rate_limit_per_minute": None, "daily_quota": None, "narrow": True,
    "records_pointer": None, "log_mode": "metadata", "openapi": None,
    "gateway_url": None,
}

COLUMNS = ("code, upstream_url, health_url, connect_timeout_ms, response_timeout_ms, "
           "max_request_bytes, max_response_bytes, rate_limit_per_minute, daily_quota, "
           "narrow, records_pointer, log_mode, openapi")


def register(api, token, dataset_id, **over):
    body = {"dataset_id": dataset_id, "name": unique("Dịch vụ qua LGSP"),
            "protocol": "rest", "endpoint": "https://lgsp.example.vn/api/x",
            "version": "1.0"}
    body.update(over)
    return api.post("services", token, json=body)


def base_url_setting():
    with open(os.environ["DS_CONFIG"], encoding="utf-8") as f:
        for line in f:
            if line.startswith("base_url="):
                return line.split("=", 1)[1].strip().rstrip("/")
    return ""


def stored(db, service_id):
    """The gateway columns of a service's row, as text (None for NULL)."""
    rows = db(f"SELECT {COLUMNS} FROM services WHERE id = %s", (service_id,))
    assert len(rows) == 1
    return dict(zip([c.strip() for c in COLUMNS.split(",")], rows[0]))


def problem(r, field):
    assert r.status_code == 422, r.text
    return {d["field"]: d["problem"] for d in r.json()["error"]["details"]}[field]


@pytest.fixture(scope="module")
def provider(actor):
    return actor("GW")


@pytest.fixture(scope="module")
def dataset(api, provider):
    """A published shared dataset of the provider, for services."""
    return published_dataset(api, provider.token)


def count_services(db, dataset_id):
    return int(db("SELECT COUNT(*) FROM services WHERE dataset_id = %s",
                  (dataset_id,))[0][0])


def test_a_service_is_created_with_every_gateway_field(api, db, provider, dataset):
    fields = dict(GATEWAY_FIELDS, code=unique("full").replace(" ", "-"))
    r = register(api, provider.token, dataset["id"], **fields)
    assert r.status_code == 201, r.text
    s = r.json()
    for key, value in fields.items():
        assert s[key] == value, key
    assert s["gateway_url"] == \
        f"{base_url_setting()}/gw/{provider.code}/{fields['code']}/"
    row = stored(db, s["id"])
    assert row["code"] == fields["code"]
    assert row["upstream_url"] == fields["upstream_url"]
    assert row["max_response_bytes"] == "1099511627776"
    assert row["narrow"] == "0" and row["log_mode"] == "full"
    assert row["records_pointer"] == "/data/items"
    assert json.loads(row["openapi"]) == fields["openapi"]
    # The document is stored as sent, its paths' '/' unescaped.
    assert '"/records/{id}"' in row["openapi"]
    got = api.get(f"services/{s['id']}", provider.token).json()
    assert {k: got[k] for k in fields} == fields


def test_fields_left_out_take_their_defaults(api, db, provider, dataset):
    r = register(api, provider.token, dataset["id"])
    assert r.status_code == 201, r.text
    s = r.json()
    assert {k: s[k] for k in DEFAULTS} == DEFAULTS
    assert stored(db, s["id"])["narrow"] == "1"
    # A null for a field with a default is as if it were left out.
    r = register(api, provider.token, dataset["id"], narrow=None,
                 connect_timeout_ms=None, log_mode=None, code=None, openapi=None)
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in DEFAULTS} == DEFAULTS


BAD_VALUES = [
    ("connect_timeout_ms", 99), ("connect_timeout_ms", 60001),
    ("connect_timeout_ms", "5000"), ("response_timeout_ms", 99),
    ("response_timeout_ms", 600001), ("max_request_bytes", -1),
    ("max_request_bytes", 1073741825), ("max_response_bytes", 0),
    ("max_response_bytes", 1099511627777), ("rate_limit_per_minute", 0),
    ("rate_limit_per_minute", 1000001), ("daily_quota", 0),
    ("daily_quota", 1000000001), ("narrow", "yes"), ("narrow", 1),
    ("log_mode", "verbose"), ("code", ""), ("code", "a" * 65),
    ("code", "có-dấu"), ("code", "a b"), ("code", "a_b"), ("code", "a/b"),
    ("code", 12), ("records_pointer", "data/items"),
    ("records_pointer", "/a~2b"), ("records_pointer", "/a~"),
    ("records_pointer", "/" + "a" * 255), ("openapi", ["3.0"]),
    ("openapi", "openapi: 3.0.3"), ("upstream_url", ""),
    ("upstream_url", "ftp://127.0.0.1/x"), ("health_url", 5),
    ("health_url", "http://127.0.0.1/" + "a" * 990),
]


@pytest.mark.parametrize("field,value", BAD_VALUES,
                         ids=[f"{f}={str(v)[:12]}" for f, v in BAD_VALUES])
def test_each_bound_is_refused_422_and_nothing_is_stored(api, db, provider,
                                                          dataset, field, value):
    before = count_services(db, dataset["id"])
    r = register(api, provider.token, dataset["id"], **{field: value})
    assert detail_fields(r) == {field}
    assert count_services(db, dataset["id"]) == before


def test_the_edges_of_each_bound_are_taken(api, provider, dataset):
    low = {"connect_timeout_ms": 100, "response_timeout_ms": 100,
           "max_request_bytes": 0, "max_response_bytes": 1,
           "rate_limit_per_minute": 1, "daily_quota": 1, "records_pointer": "",
           "code": "a"}
    high = {"connect_timeout_ms": 60000, "response_timeout_ms": 600000,
            "max_request_bytes": 1073741824, "max_response_bytes": 1099511627776,
            "rate_limit_per_minute": 1000000, "daily_quota": 1000000000,
            "records_pointer": "/a~0b/~1c/" + "x" * 244, "code": "Z" * 64,
            "openapi": {}}
    for fields in (low, high):
        r = register(api, provider.token, dataset["id"], **fields)
        assert r.status_code == 201, r.text
        assert {k: r.json()[k] for k in fields} == fields


@pytest.mark.parametrize("url,says", [
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://0.0.0.0:8080/", "link-local"),
    ("file:///etc/passwd", "http:// or https://"),
    ("gopher://127.0.0.1:70/_x", "http:// or https://"),
    ("http://user:pass@127.0.0.1/", "user:pass@"),
    ("https://api.example.vn/x", "gateway_upstream_hosts"),
    ("http://10.0.0.1/", "gateway_upstream_networks"),
    ("http://[::1]:8080/", "loopback"),
    ("http://127.1/", "a.b.c.d"),
    ("http://127.0.0.1/x#y", "fragment"),
    ("http://127.0.0.1:0/", "port"),
])
def test_an_upstream_outside_the_policy_is_422_with_the_reason(api, db, provider,
                                                               dataset, url, says):
    before = count_services(db, dataset["id"])
    for field in ("upstream_url", "health_url"):
        r = register(api, provider.token, dataset["id"], **{field: url})
        assert says in problem(r, field), r.text
    assert count_services(db, dataset["id"]) == before


def test_loopback_and_the_configured_names_are_allowed_in_the_test_stack(
        api, provider, dataset):
    for url in ("http://127.0.0.1:8080/x", "https://127.255.0.1/",
                "http://localhost:9/a?b=c", "http://LOCALHOST/",
                "http://ip6-localhost:80/"):
        r = register(api, provider.token, dataset["id"], upstream_url=url,
                     health_url=url)
        assert r.status_code == 201, (url, r.text)
        assert r.json()["upstream_url"] == url


def test_a_code_is_unique_within_its_agency_409(api, db, actor, provider, dataset):
    code = unique("uniq").replace(" ", "-")
    first = register(api, provider.token, dataset["id"], code=code)
    assert first.status_code == 201, first.text
    other_dataset = published_dataset(api, provider.token)
    before = count_services(db, other_dataset["id"])
    again = register(api, provider.token, other_dataset["id"], code=code)
    assert again.status_code == 409 and error_code(again) == "code_taken", again.text
    assert count_services(db, other_dataset["id"]) == before
    # Another agency may use the same code.
    other = actor("GW")
    r = register(api, other.token, published_dataset(api, other.token)["id"], code=code)
    assert r.status_code == 201, r.text
    # A PATCH to a code the agency uses is refused the same way.
    second = register(api, provider.token, dataset["id"], code=code + "-2").json()
    r = api.patch(f"services/{second['id']}", provider.token, json={"code": code})
    assert r.status_code == 409 and error_code(r) == "code_taken", r.text
    assert stored(db, second["id"])["code"] == code + "-2"
    # Clearing codes frees them: NULLs never collide.
    for sid in (first.json()["id"], second["id"]):
        r = api.patch(f"services/{sid}", provider.token, json={"code": None})
        assert r.status_code == 200 and r.json()["code"] is None, r.text
    assert register(api, provider.token, dataset["id"], code=code).status_code == 201


PATCHES = [
    ("code", "doi-ma"), ("upstream_url", "http://127.0.0.2:8081/v2"),
    ("health_url", "http://localhost/ping"), ("connect_timeout_ms", 100),
    ("response_timeout_ms", 45000), ("max_request_bytes", 0),
    ("max_response_bytes", 5), ("rate_limit_per_minute", 1000000),
    ("daily_quota", 7), ("narrow", False), ("records_pointer", ""),
    ("log_mode", "full"), ("openapi", {"openapi": "3.1.0", "paths": {}}),
]


@pytest.mark.parametrize("field,value", PATCHES, ids=[f for f, _ in PATCHES])
def test_each_field_is_changed_by_patch(api, db, provider, dataset, field, value):
    s = register(api, provider.token, dataset["id"], **dict(
        GATEWAY_FIELDS, code=unique("p").replace(" ", "-"))).json()
    r = api.patch(f"services/{s['id']}", provider.token, json={field: value})
    assert r.status_code == 200, r.text
    assert r.json()[field] == value
    assert api.get(f"services/{s['id']}", provider.token).json()[field] == value
    # Nothing else moved.
    unchanged = {k: v for k, v in s.items() if k not in (field, "updated_at", "gateway_url")}
    assert {k: r.json()[k] for k in unchanged} == unchanged
    if field != "openapi":
        text = stored(db, s["id"])[field]
        assert text == (str(int(value)) if isinstance(value, bool) else str(value))


def test_patch_null_clears_the_nullable_fields_and_refuses_the_others(
        api, db, provider, dataset):
    s = register(api, provider.token, dataset["id"], **dict(
        GATEWAY_FIELDS, code=unique("n").replace(" ", "-"))).json()
    nullable = ("code", "upstream_url", "health_url", "rate_limit_per_minute",
                "daily_quota", "records_pointer", "openapi")
    r = api.patch(f"services/{s['id']}", provider.token,
                  json={k: None for k in nullable})
    assert r.status_code == 200, r.text
    assert all(r.json()[k] is None for k in nullable)
    assert r.json()["gateway_url"] is None
    row = stored(db, s["id"])
    assert all(row[k] is None for k in nullable)
    others = ("connect_timeout_ms", "response_timeout_ms", "max_request_bytes",
              "max_response_bytes", "narrow", "log_mode")
    r = api.patch(f"services/{s['id']}", provider.token, json={k: None for k in others})
    assert detail_fields(r) == set(others)
    assert stored(db, s["id"]) == row


def test_patch_checks_the_urls_and_the_pointer(api, db, provider, dataset):
    s = register(api, provider.token, dataset["id"],
                 upstream_url="http://127.0.0.1/x").json()
    r = api.patch(f"services/{s['id']}", provider.token,
                  json={"upstream_url": "http://169.254.169.254/",
                        "health_url": "https://evil.example.com/",
                        "records_pointer": "items", "code": "x y"})
    assert detail_fields(r) == {"upstream_url", "health_url", "records_pointer", "code"}
    assert "link-local" in problem(r, "upstream_url")
    assert "gateway_upstream_hosts" in problem(r, "health_url")
    assert stored(db, s["id"])["upstream_url"] == "http://127.0.0.1/x"


def test_only_the_provider_and_oversight_see_the_upstream(api, actor, auditor,
                                                         admin_token, provider):
    ds = published_dataset(api, provider.token, "open")
    code = unique("vis").replace(" ", "-")
    s = register(api, provider.token, ds["id"], code=code,
                 upstream_url="http://127.0.0.1:8080/internal",
                 health_url="http://127.0.0.1:8080/health").json()
    other = actor("GW")
    for token, sees in ((provider.token, True), (admin_token, True),
                        (auditor.token, True), (other.token, False), (None, False)):
        one = api.get(f"services/{s['id']}", token)
        assert one.status_code == 200, one.text
        listed = [x for x in api.get("services", token, params={
            "agency_id": provider.agency_id, "dataset_id": ds["id"]}).json()["items"]]
        assert [x["id"] for x in listed] == [s["id"]]
        for body in (one.json(), listed[0]):
            assert (body["upstream_url"] == "http://127.0.0.1:8080/internal") is sees
            assert (body["health_url"] == "http://127.0.0.1:8080/health") is sees
            if not sees:
                assert body["upstream_url"] is None and body["health_url"] is None
            # Every reader sees the rest, the gateway URL included.
            assert body["code"] == code
            assert body["gateway_url"] == \
                f"{base_url_setting()}/gw/{provider.code}/{code}/"


def test_openapi_is_shown_by_the_single_get_only(api, provider, dataset):
    doc = {"openapi": "3.0.3", "paths": {"/a": {}}}
    s = register(api, provider.token, dataset["id"], openapi=doc).json()
    assert s["openapi"] == doc
    assert api.get(f"services/{s['id']}", provider.token).json()["openapi"] == doc
    items = api.get("services", provider.token,
                    params={"dataset_id": dataset["id"]}).json()["items"]
    assert items and all("openapi" not in x for x in items)
    assert all("gateway_url" in x and "log_mode" in x for x in items)


def test_a_large_openapi_document_is_stored_and_a_body_over_the_limit_is_413(
        api, db, provider, dataset):
    doc = {"openapi": "3.0.3", "paths": {f"/p{i}": {"description": "x" * 80}
                                         for i in range(8000)}}
    r = register(api, provider.token, dataset["id"], openapi=doc)
    assert r.status_code == 201, r.text[:300]
    assert len(db("SELECT openapi FROM services WHERE id = %s",
                  (r.json()["id"],))[0][0]) > 800000
    before = count_services(db, dataset["id"])
    doc["paths"]["/big"] = {"description": "y" * 300000}
    r = register(api, provider.token, dataset["id"], openapi=doc)
    assert r.status_code == 413, r.text[:300]
    assert count_services(db, dataset["id"]) == before


def test_gateway_url_needs_both_a_code_and_an_upstream(api, provider, dataset):
    code = unique("g").replace(" ", "-")
    s = register(api, provider.token, dataset["id"], code=code).json()
    assert s["gateway_url"] is None
    r = api.patch(f"services/{s['id']}", provider.token,
                  json={"upstream_url": "http://127.0.0.1:9/"})
    assert r.json()["gateway_url"] == f"{base_url_setting()}/gw/{provider.code}/{code}/"
    s = register(api, provider.token, dataset["id"],
                 upstream_url="http://127.0.0.1:9/").json()
    assert s["gateway_url"] is None
