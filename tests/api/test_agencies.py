"""Agencies: DIC creates and edits, every authenticated caller reads, each
change leaves an audit row (issue 2, item 6)."""
import json
import uuid


def code():
    return "AG" + uuid.uuid4().hex[:8].upper()


def audit_rows(db, action, entity_id):
    return db("SELECT actor_account_id, before_json, after_json FROM audit_events "
              "WHERE action = %s AND entity = 'agency' AND entity_id = %s",
              (action, entity_id))


def test_dic_creates_an_agency_with_an_audit_row(api, admin_token, admin_creds, db):
    c = code()
    r = api.post("agencies", token=admin_token,
                 json={"code": c, "name": "Sở Y tế", "name_en": "Department of Health",
                       "level": "department"})
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["code"] == c and a["name"] == "Sở Y tế" and a["is_dic"] is False
    assert a["created_at"].endswith("Z")
    assert db("SELECT name, level FROM agencies WHERE id = %s", (a["id"],)) == \
        [("Sở Y tế", "department")]
    rows = audit_rows(db, "agency.create", a["id"])
    assert len(rows) == 1
    assert rows[0][1] is None
    assert json.loads(rows[0][2])["code"] == c


def test_officer_cannot_create_an_agency(api, new_agency, db):
    o = new_agency("AO")
    tok = api.token(o.client_id, o.client_secret)
    c = code()
    r = api.post("agencies", token=tok, json={"code": c, "name": "x"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert db("SELECT COUNT(*) FROM agencies WHERE code = %s", (c,)) == [("0",)]


def test_any_authenticated_caller_reads_agencies(api, new_agency):
    o = new_agency("AO")
    tok = api.token(o.client_id, o.client_secret)
    r = api.get(f"agencies/{o.agency_id}", token=tok)
    assert r.status_code == 200
    assert r.json()["code"] == o.code
    page = api.get("agencies?limit=2", token=tok)
    assert page.status_code == 200
    body = page.json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    nxt = api.get(f"agencies?limit=2&cursor={body['next_cursor']}", token=tok).json()
    assert nxt["items"][0]["id"] > body["items"][-1]["id"]


def test_show_reads_the_account_with_the_agency(api, admin, new_agency):
    """GET /agencies/{id} checks the caller's account in the agency's own
    statement (RT_ACCOUNT_JOINED): the same answer as the list's row, and
    a disabled account is refused whether the agency exists or not."""
    o = new_agency("AO")
    tok = api.token(o.client_id, o.client_secret)
    r = api.get(f"agencies/{o.agency_id}", token=tok)
    assert r.status_code == 200
    page = api.get("agencies", token=tok, params={"limit": 200}).json()
    while not any(i["id"] == o.agency_id for i in page["items"]):
        page = api.get("agencies", token=tok, params={
            "limit": 200, "cursor": page["next_cursor"]}).json()
    assert r.json() == next(i for i in page["items"] if i["id"] == o.agency_id)
    assert api.get("agencies/99999999", token=tok).status_code == 404
    admin(["account", "disable", o.account_id])
    for path in (f"agencies/{o.agency_id}", "agencies/99999999"):
        r = api.get(path, token=tok)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json()["error"]["message"] == "the account is not active"


def test_duplicate_code_is_409_and_writes_nothing(api, admin_token, db):
    c = code()
    assert api.post("agencies", token=admin_token,
                    json={"code": c, "name": "one"}).status_code == 201
    r = api.post("agencies", token=admin_token, json={"code": c, "name": "two"})
    assert r.status_code == 409
    assert db("SELECT name FROM agencies WHERE code = %s", (c,)) == [("one",)]


def test_invalid_fields_are_422_naming_each(api, admin_token):
    r = api.post("agencies", token=admin_token,
                 json={"name": "", "level": "galaxy", "parent_id": "3",
                       "is_dic": True})
    assert r.status_code == 422
    problems = {d["field"]: d["problem"] for d in r.json()["error"]["details"]}
    assert set(problems) == {"code", "name", "level", "parent_id", "is_dic"}
    assert problems["is_dic"] == "unknown field"
    assert problems["code"] == "is required"


def test_unknown_parent_is_422(api, admin_token):
    r = api.post("agencies", token=admin_token,
                 json={"code": code(), "name": "x", "parent_id": 987654321})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "parent_id"


def test_dic_edits_only_the_given_fields_with_before_and_after(api, admin_token, db):
    c = code()
    a = api.post("agencies", token=admin_token,
                 json={"code": c, "name": "Sở Xây dựng", "name_en": "Construction"}).json()
    r = api.patch(f"agencies/{a['id']}", token=admin_token,
                  json={"name": "Sở Xây dựng tỉnh"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Sở Xây dựng tỉnh"
    assert r.json()["name_en"] == "Construction"
    rows = audit_rows(db, "agency.update", a["id"])
    assert len(rows) == 1
    assert json.loads(rows[0][1])["name"] == "Sở Xây dựng"
    assert json.loads(rows[0][2])["name"] == "Sở Xây dựng tỉnh"
    # null clears an optional field
    r = api.patch(f"agencies/{a['id']}", token=admin_token, json={"name_en": None})
    assert r.status_code == 200 and r.json()["name_en"] is None


def test_officer_cannot_edit_and_nothing_changes(api, new_agency, db):
    o = new_agency("AO")
    tok = api.token(o.client_id, o.client_secret)
    r = api.patch(f"agencies/{o.agency_id}", token=tok, json={"name": "hacked"})
    assert r.status_code == 403
    assert db("SELECT name FROM agencies WHERE id = %s", (o.agency_id,)) == [(o.name,)]


def test_missing_agency_is_404(api, admin_token):
    assert api.get("agencies/99999999", token=admin_token).status_code == 404
    r = api.patch("agencies/99999999", token=admin_token, json={"name": "x"})
    assert r.status_code == 404


def test_non_numeric_id_is_404(api, admin_token):
    assert api.get("agencies/abc", token=admin_token).status_code == 404
