"""Lenient inputs an outside fuzz run found (security issue 16, items 7 and
10): each is refused, or treated as the API treats its kind of bad value
elsewhere, and changes nothing.

- a client id outside ASCII (JSON, form or HTTP Basic) was a 500 (MariaDB
  error 1267 against the ascii_bin column): now the 401 of an unknown id;
- a raw control character inside a JSON string was stored: now 400;
- a PATCH's null for a field that cannot be cleared was ignored: now 422;
- ?level=bogus on /agencies was an empty 200: now 422 like other filters;
- "+5" was read as 5 (query parameters): now 422, as any bad integer;
- HEAD was 405 everywhere: now the GET's answer without its body.
"""

import base64
import json
import time
import uuid

import pytest


def envelope(r, status):
    assert r.status_code == status, f"{r.status_code}: {r.text[:300]}"
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    e = r.json()["error"]
    assert set(e) == {"code", "message", "details", "request_id"}, e
    assert e["request_id"] == r.headers["X-Request-Id"]
    return e


def fields_named(e):
    return {d["field"] for d in e["details"]}


def code():
    return "SI" + uuid.uuid4().hex[:8].upper()


def token_post(api, **kw):
    """POST /auth/token, waiting out nginx's rate limit (429) as
    Api.token_response does."""
    for attempt in range(20):
        r = api.post("auth/token", **kw)
        if r.status_code != 429:
            return r
        time.sleep(0.25 * (attempt + 1))
    return r


def agency_row(db, agency_id):
    return db("SELECT code, name, name_en, level, parent_id, updated_at "
              "FROM agencies WHERE id = %s", (agency_id,))


@pytest.fixture
def agency(api, admin_token):
    r = api.post("agencies", token=admin_token,
                 json={"code": code(), "name": "Sở Nội vụ",
                       "name_en": "Department of Home Affairs",
                       "level": "department"})
    assert r.status_code == 201, r.text
    return r.json()


# --------------------------------------------- item 7: non-ASCII client ids

NON_ASCII_IDS = ["ds-Sở-y-tế", "ds-é", "ds-\u00a0x", "ds-😀", "đ"]


def assert_unknown_client(r):
    e = envelope(r, 401)
    assert e["code"] == "invalid_client"
    assert e["message"] == "invalid client credentials"
    assert r.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("client_id", NON_ASCII_IDS)
def test_non_ascii_client_id_in_json_is_an_unknown_client(api, client_id):
    assert_unknown_client(token_post(api, json={
        "client_id": client_id, "client_secret": "whatever"}))


@pytest.mark.parametrize("client_id", NON_ASCII_IDS)
def test_non_ascii_client_id_in_a_form_is_an_unknown_client(api, client_id):
    assert_unknown_client(token_post(api, data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": "whatever"}))


@pytest.mark.parametrize("raw", [
    "ds-Sở-y-tế".encode(), "ds-é".encode("latin-1"), b"ds-\xff\xfe",
    b"ds-\x80"])
def test_non_ascii_client_id_in_basic_auth_is_an_unknown_client(api, raw):
    """Basic credentials are bytes: UTF-8, Latin-1 or neither."""
    basic = base64.b64encode(raw + b":whatever").decode()
    assert_unknown_client(token_post(
        api, data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"}))


def test_the_real_secret_with_a_look_alike_id_is_refused(api, new_agency):
    """A client id with one letter swapped for a non-ASCII look-alike is
    another (unknown) id, not the account's, even with its secret."""
    a = new_agency("SI")
    fake = a.client_id.replace("-", "\u2010", 1)   # HYPHEN for '-'
    assert fake != a.client_id
    assert_unknown_client(token_post(api, json={
        "client_id": fake, "client_secret": a.client_secret}))
    # and the account itself still gets its token
    assert token_post(api, json={"client_id": a.client_id,
                                 "client_secret": a.client_secret}
                      ).status_code == 200


def test_non_ascii_idempotency_key_is_422_and_creates_nothing(
        api, admin_token, db):
    c = code()
    r = api.post("agencies", token=admin_token, json={"code": c, "name": "x"},
                 headers={"Idempotency-Key": "khóa-1".encode()})
    e = envelope(r, 422)
    assert fields_named(e) == {"Idempotency-Key"}
    assert db("SELECT id FROM agencies WHERE code = %s", (c,)) == []


# ------------------------------------- item 10: raw control characters


@pytest.mark.parametrize("raw", ["a\nb", "a\tb", "a\rb", "\x00", "a\x1fb",
                                 "a\x0bb"])
def test_raw_control_character_in_a_json_string_is_400(api, admin_token, db,
                                                       raw):
    c = code()
    # Written by hand: json.dumps would escape the character.
    body = ('{"code":"%s","name":"Sở %s"}' % (c, raw)).encode()
    r = api.post("agencies", token=admin_token, data=body,
                 headers={"Content-Type": "application/json"})
    e = envelope(r, 400)
    assert e["code"] == "malformed_json"
    assert db("SELECT id FROM agencies WHERE code = %s", (c,)) == []


def test_raw_control_character_in_a_key_is_400(api, admin_token, db):
    c = code()
    body = ('{"code":"%s","na\nme":"x"}' % c).encode()
    r = api.post("agencies", token=admin_token, data=body,
                 headers={"Content-Type": "application/json"})
    assert envelope(r, 400)["code"] == "malformed_json"
    assert db("SELECT id FROM agencies WHERE code = %s", (c,)) == []


def test_escaped_control_characters_are_still_taken(api, admin_token, db):
    c = code()
    r = api.post("agencies", token=admin_token,
                 json={"code": c, "name": "Sở\tNội vụ\n(mới)"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Sở\tNội vụ\n(mới)"
    assert db("SELECT name FROM agencies WHERE code = %s", (c,)) == \
        [("Sở\tNội vụ\n(mới)",)]


def test_raw_control_character_in_a_patch_changes_nothing(
        api, admin_token, db, agency):
    before = agency_row(db, agency["id"])
    r = api.patch(f"agencies/{agency['id']}", token=admin_token,
                  data='{"name":"Sở\nmới"}'.encode(),
                  headers={"Content-Type": "application/json"})
    assert envelope(r, 400)["code"] == "malformed_json"
    assert agency_row(db, agency["id"]) == before


# ------------------------------------------------- item 10: PATCH null


@pytest.mark.parametrize("field", ["name", "level"])
def test_patch_null_on_a_field_that_cannot_be_null_is_422(
        api, admin_token, db, agency, field):
    before = agency_row(db, agency["id"])
    r = api.patch(f"agencies/{agency['id']}", token=admin_token,
                  json={field: None, "name_en": "Home Affairs"})
    e = envelope(r, 422)
    assert e["code"] == "validation_failed"
    assert e["details"] == [{"field": field, "problem": "must not be null"}]
    # Nothing changed, not even the field that was fine.
    assert agency_row(db, agency["id"]) == before


def test_patch_null_still_clears_a_nullable_field(api, admin_token, db, agency):
    parent = api.post("agencies", token=admin_token,
                      json={"code": code(), "name": "UBND tỉnh",
                            "level": "province"}).json()
    r = api.patch(f"agencies/{agency['id']}", token=admin_token,
                  json={"parent_id": parent["id"]})
    assert r.status_code == 200 and r.json()["parent_id"] == parent["id"]
    r = api.patch(f"agencies/{agency['id']}", token=admin_token,
                  json={"name_en": None, "parent_id": None})
    assert r.status_code == 200, r.text
    assert r.json()["name_en"] is None and r.json()["parent_id"] is None
    assert db("SELECT name_en, parent_id FROM agencies WHERE id = %s",
              (agency["id"],)) == [(None, None)]


def test_patch_null_on_every_refused_field_names_each(api, admin_token, db,
                                                      agency):
    before = agency_row(db, agency["id"])
    r = api.patch(f"agencies/{agency['id']}", token=admin_token,
                  json={"name": None, "level": None, "name_en": None})
    e = envelope(r, 422)
    assert fields_named(e) == {"name", "level"}
    assert agency_row(db, agency["id"]) == before


def test_post_null_for_an_optional_field_is_as_if_left_out(api, admin_token):
    """Outside a PATCH there is nothing to clear: null is as if absent (the
    level takes its default), as before."""
    r = api.post("agencies", token=admin_token,
                 json={"code": code(), "name": "x", "level": None,
                       "name_en": None})
    assert r.status_code == 201, r.text
    assert r.json()["level"] == "department" and r.json()["name_en"] is None


# ------------------------------------------- item 10: enum query filters


@pytest.mark.parametrize("level", ["bogus", "", "Department", "department ",
                                   "province,department"])
def test_agencies_level_filter_outside_its_values_is_422(api, admin_token,
                                                         level):
    r = api.get("agencies", token=admin_token, params={"level": level})
    e = envelope(r, 422)
    assert fields_named(e) == {"level"}


def test_agencies_level_filter_still_filters(api, admin_token, agency):
    r = api.get("agencies", token=admin_token,
                params={"level": "department", "limit": 200})
    assert r.status_code == 200, r.text
    levels = {a["level"] for a in r.json()["items"]}
    assert levels == {"department"}, levels


# --------------------------------------------- item 10: "+5" as an integer


@pytest.mark.parametrize("value", ["+5", " 5", "\t5", "+0", "-+5"])
def test_signed_or_spaced_limit_is_422(api, admin_token, value):
    # requests sends "+" as %2B and " " as %20, so the module sees them.
    r = api.get("agencies", token=admin_token, params={"limit": value})
    e = envelope(r, 422)
    assert fields_named(e) == {"limit"}


def test_plus_in_an_integer_filter_is_422_elsewhere_too(api, admin_token):
    for path, key in (("suspensions", "grant_id"), ("access-log", "grant_id"),
                      ("notifications", "limit")):
        r = api.get(path, token=admin_token, params={key: "+5"})
        assert fields_named(envelope(r, 422)) == {key}, path


@pytest.mark.parametrize("path", ["agencies/+5", "agencies/%2B5",
                                  "agencies/%205"])
def test_plus_in_a_path_id_is_404(api, admin_token, agency, path):
    assert api.get(path, token=admin_token).status_code == 404
    # the same agency by its one spelling
    assert api.get(f"agencies/{agency['id']}",
                   token=admin_token).status_code == 200


def test_plus_in_a_json_number_is_400(api, admin_token, db):
    c = code()
    r = api.post("agencies", token=admin_token,
                 data=('{"code":"%s","name":"x","parent_id":+1}' % c).encode(),
                 headers={"Content-Type": "application/json"})
    assert envelope(r, 400)["code"] == "malformed_json"
    assert db("SELECT id FROM agencies WHERE code = %s", (c,)) == []


# ------------------------------------------------------ item 10: HEAD


def same_answer(get, head):
    assert head.status_code == get.status_code, (get.status_code,
                                                 head.status_code)
    assert head.content == b""
    for h in ("Content-Type", "Cache-Control", "X-Content-Type-Options",
              "WWW-Authenticate", "Allow"):
        assert head.headers.get(h) == get.headers.get(h), h
    assert head.headers.get("X-Request-Id")


@pytest.mark.parametrize("path,auth", [
    ("health", False), ("agencies", True), ("auth/keys", False),
    ("open-data", False), ("agencies/99999999", True), ("agencies", False),
    ("nothing-here", False)])
def test_head_answers_as_get_without_a_body(api, admin_token, path, auth):
    tok = admin_token if auth else None
    same_answer(api.get(path, token=tok), api.request("HEAD", path, tok))


def test_head_on_an_agency_is_200_and_writes_nothing(api, admin_token, db,
                                                     agency):
    before = db("SELECT COUNT(*) FROM audit_events")
    get = api.get(f"agencies/{agency['id']}", token=admin_token)
    head = api.request("HEAD", f"agencies/{agency['id']}", admin_token)
    same_answer(get, head)
    assert head.status_code == 200
    assert db("SELECT COUNT(*) FROM audit_events") == before


def test_head_where_only_post_is_served_is_405(api):
    r = api.request("HEAD", "auth/token")
    assert r.status_code == 405 and r.content == b""
    assert r.headers["Allow"] == "POST"


def test_allow_lists_head_beside_get(api, admin_token, agency):
    r = api.delete(f"agencies/{agency['id']}", token=admin_token)
    assert envelope(r, 405)["code"] == "method_not_allowed"
    assert r.headers["Allow"] == "GET, HEAD, PATCH"
    r = api.put("health")
    assert r.headers["Allow"] == "GET, HEAD"
