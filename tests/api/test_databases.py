"""Databases (R1.1, Art. 7.2, 8.3): drafts, hosting, listing of specialized
databases by their owner, who sees and who changes what."""

import json

from catalog_helpers import (actor, auditor, audit_rows, create_database,  # noqa: F401
                             detail_fields, listed_database, unique)


def test_agency_creates_draft_database_with_art72_fields(api, db, actor):
    a = actor("DB")
    body = {"kind": "specialized", "name": unique("Cơ sở dữ liệu quan trắc"),
            "managing_unit": "Trung tâm Quan trắc", "objective": "Theo dõi môi trường",
            "scope": "Toàn tỉnh", "master_data": "Trạm quan trắc",
            "users_purposes": "Các sở, ngành", "sources": "Trạm tự động",
            "sharing_methods": "API qua LGSP", "location": "agency",
            "location_detail": "Phòng máy của Sở"}
    r = api.post("databases", a.token, json=body)
    assert r.status_code == 201, r.text
    d = r.json()
    for k, v in body.items():
        assert d[k] == v
    assert d["agency_id"] == a.agency_id and d["status"] == "draft"
    assert db("SELECT agency_id, kind, status, scope FROM `databases` WHERE id = %s",
              (d["id"],)) == [(str(a.agency_id), "specialized", "draft", "Toàn tỉnh")]
    rows = audit_rows(db, "database", d["id"], "database.create")
    assert len(rows) == 1 and rows[0][1] == str(a.account_id)
    assert json.loads(rows[0][3])["name"] == body["name"]


def test_shared_database_outside_provincial_data_centre_is_422(api, db, actor):
    a = actor("DB")
    name = unique("CSDL dùng chung")
    r = api.post("databases", a.token, json={"kind": "shared", "name": name,
                                             "location": "agency"})
    assert detail_fields(r) == {"location"}
    assert "Art. 8.3" in r.json()["error"]["details"][0]["problem"]
    assert db("SELECT COUNT(*) FROM `databases` WHERE name = %s", (name,)) == [("0",)]
    # Turning a draft into a shared database keeps the rule.
    d = create_database(api, a.token)
    r = api.patch(f"databases/{d['id']}", a.token, json={"kind": "shared"})
    assert detail_fields(r) == {"location"}
    r = api.patch(f"databases/{d['id']}", a.token,
                  json={"kind": "shared", "location": "provincial_data_centre"})
    assert r.status_code == 200, r.text
    assert db("SELECT kind, location FROM `databases` WHERE id = %s", (d["id"],)) == \
        [("shared", "provincial_data_centre")]


def test_missing_and_unknown_fields_are_422_each_named(api, actor):
    a = actor("DB")
    r = api.post("databases", a.token, json={"kind": "local", "owner": 3})
    assert detail_fields(r) == {"kind", "owner", "name", "location"}


def test_roles_without_an_agency_role_cannot_create_403(api, auditor, admin_token):
    body = {"kind": "specialized", "name": unique("CSDL"), "location": "agency"}
    assert api.post("databases", auditor.token, json=body).status_code == 403
    assert api.post("databases", admin_token, json=body).status_code == 403


def test_draft_is_invisible_to_other_agencies_and_listed_one_visible(api, actor, admin_token):
    owner, other = actor("DB"), actor("DB")
    draft = create_database(api, owner.token)
    listed = listed_database(api, owner.token)
    assert api.get(f"databases/{draft['id']}", other.token).status_code == 404
    assert api.get(f"databases/{listed['id']}", other.token).status_code == 200
    assert api.get(f"databases/{draft['id']}", admin_token).status_code == 200
    ids = {d["id"] for d in api.get("databases", other.token,
                                    params={"agency_id": owner.agency_id}).json()["items"]}
    assert ids == {listed["id"]}
    ids = {d["id"] for d in api.get("databases", owner.token,
                                    params={"agency_id": owner.agency_id}).json()["items"]}
    assert ids == {draft["id"], listed["id"]}


def test_other_agency_cannot_change_a_database(api, db, actor):
    owner, other = actor("DB"), actor("DB")
    draft = create_database(api, owner.token)
    listed = listed_database(api, owner.token)
    assert api.patch(f"databases/{draft['id']}", other.token,
                     json={"scope": "x"}).status_code == 404
    assert api.patch(f"databases/{listed['id']}", other.token,
                     json={"scope": "x"}).status_code == 403
    assert api.post(f"databases/{listed['id']}/withdraw", other.token).status_code == 403
    assert db("SELECT status FROM `databases` WHERE id = %s", (listed["id"],)) == [("listed",)]


def test_only_drafts_are_edited_409(api, db, actor):
    a = actor("DB")
    d = listed_database(api, a.token)
    r = api.patch(f"databases/{d['id']}", a.token, json={"scope": "Huyện"})
    assert r.status_code == 409, r.text
    assert db("SELECT scope FROM `databases` WHERE id = %s", (d["id"],)) == [(None,)]


def test_patch_changes_given_fields_and_null_clears_optional_ones(api, db, actor):
    a = actor("DB")
    d = create_database(api, a.token)
    r = api.patch(f"databases/{d['id']}", a.token, json={"name": None})
    assert detail_fields(r) == {"name"}
    r = api.patch(f"databases/{d['id']}", a.token,
                  json={"objective": None, "sources": "Cổng dịch vụ công"})
    assert r.status_code == 200, r.text
    assert r.json()["objective"] is None and r.json()["managing_unit"] == d["managing_unit"]
    assert db("SELECT objective, sources FROM `databases` WHERE id = %s", (d["id"],)) == \
        [(None, "Cổng dịch vụ công")]
    assert len(audit_rows(db, "database", d["id"], "database.update")) == 1


def test_owner_lists_and_withdraws_a_specialized_database(api, db, actor):
    a = actor("DB")
    d = create_database(api, a.token)
    r = api.post(f"databases/{d['id']}/list", a.token)
    assert r.status_code == 200 and r.json()["status"] == "listed"
    assert r.json()["listed_at"] is not None
    assert api.post(f"databases/{d['id']}/list", a.token).status_code == 409
    r = api.post(f"databases/{d['id']}/withdraw", a.token)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert api.post(f"databases/{d['id']}/withdraw", a.token).status_code == 409
    assert db("SELECT status FROM `databases` WHERE id = %s", (d["id"],)) == [("withdrawn",)]
    assert [row[0] for row in audit_rows(db, "database", d["id"])] == \
        ["database.create", "database.list", "database.withdraw"]


def test_shared_database_is_listed_only_by_a_catalog_version_409(api, db, actor):
    a = actor("DB")
    d = create_database(api, a.token, kind="shared")
    r = api.post(f"databases/{d['id']}/list", a.token)
    assert r.status_code == 409
    assert "Art. 7.1" in r.json()["error"]["message"]
    assert db("SELECT status FROM `databases` WHERE id = %s", (d["id"],)) == [("draft",)]


def test_an_agency_names_each_database_once_409(api, actor):
    a = actor("DB")
    d = create_database(api, a.token)
    r = api.post("databases", a.token, json={"kind": "specialized", "name": d["name"],
                                             "location": "agency"})
    assert r.status_code == 409, r.text


def test_list_filters_by_kind_and_status(api, actor):
    a = actor("DB")
    shared = create_database(api, a.token, kind="shared")
    spec = listed_database(api, a.token)
    got = api.get("databases", a.token, params={"agency_id": a.agency_id, "kind": "shared"})
    assert [d["id"] for d in got.json()["items"]] == [shared["id"]]
    got = api.get("databases", a.token, params={"agency_id": a.agency_id, "status": "listed"})
    assert [d["id"] for d in got.json()["items"]] == [spec["id"]]
    assert api.get("databases", a.token, params={"kind": "local"}).status_code == 422


def test_databases_need_a_token_401(api):
    assert api.get("databases").status_code == 401
