"""The error envelope for every failure class (DESIGN.md, API conventions)."""
import pytest


def envelope(r, status, code=None):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    e = body["error"]
    assert isinstance(e["message"], str) and e["message"]
    assert isinstance(e["details"], list)
    assert e["request_id"] and e["request_id"] == r.headers["X-Request-Id"]
    if code:
        assert e["code"] == code
    return e


def test_every_response_has_a_request_id(api, admin_token):
    r = api.get("agencies", token=admin_token)
    assert r.status_code == 200
    assert len(r.headers["X-Request-Id"]) >= 16


def test_405_lists_allowed_methods(api, admin_token):
    r = api.delete("agencies", token=admin_token)
    envelope(r, 405, "method_not_allowed")
    # HEAD is served wherever GET is (RFC 9110 9.3.2), so it is allowed too.
    assert set(m.strip() for m in r.headers["Allow"].split(",")) == \
        {"GET", "HEAD", "POST"}


def test_415_for_a_body_that_is_not_json(api, admin_token, db):
    r = api.post("agencies", token=admin_token, data="code=X&name=y",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    envelope(r, 415, "unsupported_media_type")


@pytest.mark.parametrize("body", [
    b'{"code": "X1", "name": "y"',            # unterminated
    b'{"code": "X1", "name": "y"} trailing',  # trailing garbage
    b"{'code': 'X1'}",                        # single quotes
    b'{"code": NaN}',
    b'{"code": "X1", "code": "X2", "name": "y"}',  # duplicate key
    b'{"name": "\xff\xfe"}',                  # invalid UTF-8
    b'[' * 100 + b']' * 100,                  # too deep
])
def test_malformed_json_is_400_and_writes_nothing(api, admin_token, db, body):
    before = db("SELECT COUNT(*) FROM agencies")
    r = api.post("agencies", token=admin_token, data=body,
                 headers={"Content-Type": "application/json"})
    envelope(r, 400, "malformed_json")
    assert db("SELECT COUNT(*) FROM agencies") == before


def test_422_names_wrong_types_instead_of_coercing(api, admin_token):
    r = api.patch("agencies/1", token=admin_token,
                  json={"name": 123, "parent_id": 1.9, "level": ["x"]})
    e = envelope(r, 422, "validation_failed")
    assert {d["field"] for d in e["details"]} == {"name", "parent_id", "level"}


def test_huge_numbers_are_422_not_saturated(api, admin_token):
    r = api.patch("agencies/1", token=admin_token,
                  data=b'{"parent_id": 99999999999999999999999}',
                  headers={"Content-Type": "application/json"})
    envelope(r, 422, "validation_failed")


def test_a_10_mb_body_is_413(api, admin_token):
    r = api.post("agencies", token=admin_token, data=b"{" + b" " * (10 * 1024 * 1024) + b"}",
                 headers={"Content-Type": "application/json"})
    envelope(r, 413)


def test_unknown_path_is_404_json(api, admin_token):
    envelope(api.get("no-such-thing", token=admin_token), 404)
    envelope(api.get("agencies/1/nothing", token=admin_token), 404)


def test_malformed_query_is_400(api, admin_token):
    # requests re-quotes a bad escape like %zz, but sends %00 as it is
    envelope(api.get("agencies?limit=%00", token=admin_token), 400)


@pytest.mark.parametrize("q", ["limit=0", "limit=201", "limit=abc",
                               "cursor=garbage", "cursor=djE6LTE"])
def test_bad_paging_is_422(api, admin_token, q):
    e = envelope(api.get(f"agencies?{q}", token=admin_token), 422)
    assert e["details"][0]["field"] in ("limit", "cursor")
