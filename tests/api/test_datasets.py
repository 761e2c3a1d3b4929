"""Datasets (R2.1, Art. 12.2, Art. 1.2): structure descriptions, the
classification and the exclusion of out-of-scope data, who sees what."""

import ast
import json
import os
import pathlib
import re
import subprocess
import time

import pytest

import jwt_forge as jf
from catalog_helpers import (FIELDS, actor, audit_rows, create_database,  # noqa: F401
                             create_dataset, detail_fields, listed_database,
                             published_dataset, unique)
from sharing_setup import grant_account, granted, make_dataset

MISSING = 999_999_999_999  # an id no dataset of a test run has


def test_owner_describes_a_dataset_with_its_structure(api, db, actor):
    a = actor("DS")
    d = listed_database(api, a.token)
    body = {"database_id": d["id"], "title": unique("Thửa đất"),
            "description": "Thông tin thửa đất", "keywords": ["đất đai", "địa chính"],
            "update_frequency": "monthly", "classification": "shared",
            "fields": FIELDS, "technical_guide": "Xem tài liệu API",
            "sharing_methods": "API qua LGSP"}
    r = api.post("datasets", a.token, json=body)
    assert r.status_code == 201, r.text
    ds = r.json()
    for k, v in body.items():
        assert ds[k if k != "fields" else "fields"] == v
    assert ds["status"] == "draft" and ds["excluded"] is False
    assert ds["agency_id"] == a.agency_id and ds["views"] == 0
    stored = db("SELECT fields_json, keywords, status FROM datasets WHERE id = %s", (ds["id"],))
    assert json.loads(stored[0][0]) == FIELDS
    assert json.loads(stored[0][1]) == ["đất đai", "địa chính"]
    assert stored[0][2] == "draft"
    assert len(audit_rows(db, "dataset", ds["id"], "dataset.create")) == 1
    # Its search document carries the field names (R2.4).
    doc = db("SELECT visibility, content FROM search_documents "
             "WHERE doc_type = 'dataset' AND ref_id = %s", (ds["id"],))
    assert doc[0][0] == "owner" and "ho_ten" in doc[0][1] and "địa chính" in doc[0][1]


def test_structure_description_problems_are_422_each_named(api, actor):
    a = actor("DS")
    d = listed_database(api, a.token)
    fields = [{"name": "ma", "type": "text", "meaning": "Mã", "personal": False},
              {"name": "MA", "type": "string", "meaning": "Mã", "personal": False},
              {"name": "x", "type": "string", "personal": "no", "unit": "m"},
              "ten"]
    r = api.post("datasets", a.token, json={"database_id": d["id"], "title": "X",
                                            "fields": fields})
    assert detail_fields(r) == {"fields[0].type", "fields[1].name", "fields[2].meaning",
                                "fields[2].personal", "fields[2].unit", "fields[3]"}


def test_excluded_data_can_never_be_open_or_shared_422(api, db, actor):
    a = actor("DS")
    d = listed_database(api, a.token)
    title = unique("Dữ liệu nội bộ")
    for cls in ("open", "shared"):
        r = api.post("datasets", a.token, json={
            "database_id": d["id"], "title": title, "classification": cls,
            "excluded": True, "exclusion_reason": "internal"})
        assert detail_fields(r) == {"classification"}
        assert "Art. 1.2" in r.json()["error"]["details"][0]["problem"]
    r = api.post("datasets", a.token, json={"database_id": d["id"], "title": title,
                                            "excluded": True})
    assert detail_fields(r) == {"exclusion_reason"}
    assert db("SELECT COUNT(*) FROM datasets WHERE title = %s", (title,)) == [("0",)]
    ok = create_dataset(api, a.token, d["id"], classification="restricted",
                        excluded=True, exclusion_reason="state_secret")
    assert ok["excluded"] is True
    # Later edits cannot make it shareable either.
    r = api.patch(f"datasets/{ok['id']}", a.token, json={"classification": "open"})
    assert detail_fields(r) == {"classification"}
    assert db("SELECT classification FROM datasets WHERE id = %s", (ok["id"],)) == \
        [("restricted",)]


def test_marking_an_open_draft_excluded_needs_restricted_422(api, actor):
    a = actor("DS")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"],
                        classification="open")
    r = api.patch(f"datasets/{ds['id']}", a.token,
                  json={"excluded": True, "exclusion_reason": "temporary"})
    assert detail_fields(r) == {"classification"}
    r = api.patch(f"datasets/{ds['id']}", a.token,
                  json={"excluded": True, "exclusion_reason": "temporary",
                        "classification": "restricted"})
    assert r.status_code == 200 and r.json()["excluded"] is True


def test_published_dataset_keeps_its_classification_409(api, db, actor):
    a = actor("DS")
    ds = published_dataset(api, a.token, classification="shared")
    r = api.patch(f"datasets/{ds['id']}", a.token, json={"classification": "open"})
    assert r.status_code == 409
    assert db("SELECT classification FROM datasets WHERE id = %s", (ds["id"],)) == \
        [("shared",)]
    r = api.patch(f"datasets/{ds['id']}", a.token,
                  json={"description": "Mô tả mới", "keywords": ["mới"]})
    assert r.status_code == 200 and r.json()["description"] == "Mô tả mới"
    rows = audit_rows(db, "dataset", ds["id"], "dataset.update")
    assert json.loads(rows[-1][2])["description"] != "Mô tả mới"
    assert json.loads(rows[-1][3])["description"] == "Mô tả mới"


def test_visibility_follows_status_and_classification(api, actor, admin_token):
    owner, other = actor("DS"), actor("DS")
    draft = create_dataset(api, owner.token, listed_database(api, owner.token)["id"])
    shared = published_dataset(api, owner.token, classification="shared")
    restricted = published_dataset(api, owner.token, classification="restricted")
    assert api.get(f"datasets/{draft['id']}", other.token).status_code == 404
    assert api.get(f"datasets/{shared['id']}", other.token).status_code == 200
    assert api.get(f"datasets/{restricted['id']}", other.token).status_code == 404
    for ds in (draft, shared, restricted):
        assert api.get(f"datasets/{ds['id']}", owner.token).status_code == 200
        assert api.get(f"datasets/{ds['id']}", admin_token).status_code == 200
    seen = {d["id"] for d in api.get("datasets", other.token,
                                     params={"agency_id": owner.agency_id}).json()["items"]}
    assert seen == {shared["id"]}
    # A dataset of another agency is changed by nobody but its owner.
    assert api.patch(f"datasets/{shared['id']}", other.token,
                     json={"description": "x"}).status_code == 403
    assert api.patch(f"datasets/{restricted['id']}", other.token,
                     json={"description": "x"}).status_code == 404


def test_dataset_in_a_withdrawn_or_foreign_database_is_refused(api, actor):
    a, other = actor("DS"), actor("DS")
    d = listed_database(api, a.token)
    r = api.post("datasets", other.token, json={"database_id": d["id"], "title": "X"})
    assert r.status_code == 403
    api.post(f"databases/{d['id']}/withdraw", a.token)
    r = api.post("datasets", a.token, json={"database_id": d["id"], "title": "X"})
    assert r.status_code == 409


def test_a_title_is_unique_within_its_database_409(api, actor):
    a = actor("DS")
    ds = create_dataset(api, a.token, create_database(api, a.token)["id"])
    r = api.post("datasets", a.token, json={"database_id": ds["database_id"],
                                            "title": ds["title"]})
    assert r.status_code == 409


def test_list_filters_and_paging(api, actor):
    a = actor("DS")
    d = listed_database(api, a.token)
    made = [create_dataset(api, a.token, d["id"], classification=c)
            for c in ("open", "shared", "restricted")]
    r = api.get("datasets", a.token, params={"database_id": d["id"],
                                             "classification": "open"})
    assert [x["id"] for x in r.json()["items"]] == [made[0]["id"]]
    page1 = api.get("datasets", a.token, params={"database_id": d["id"], "limit": 2}).json()
    page2 = api.get("datasets", a.token, params={"database_id": d["id"], "limit": 2,
                                                 "cursor": page1["next_cursor"]}).json()
    assert [x["id"] for x in page1["items"] + page2["items"]] == [m["id"] for m in made]
    assert page2["next_cursor"] is None



# --------------------------- the caller's account read with the dataset
# GET /datasets/{id} reads the caller's account in the dataset's own
# statement (RT_ACCOUNT_JOINED, core's auth_settle_or_reply): each answer
# below is the one the separate account check gave, found or not found.

def test_show_answers_the_dataset_as_the_list_does(api, actor):
    a = actor("DS")
    ds = published_dataset(api, a.token, classification="shared")
    r = api.get(f"datasets/{ds['id']}", a.token)
    assert r.status_code == 200, r.text
    items = api.get("datasets", a.token, params={"agency_id": a.agency_id}).json()["items"]
    assert r.json() == next(i for i in items if i["id"] == ds["id"])
    assert not [k for k in r.json() if k.startswith("caller")]


# Why each token is refused: the account first, then the token's times by
# the database's clock (auth_verify's order).
REFUSED = {
    "disabled": "the account is not active",
    "no_such_account": "the account is not active",
    "account_of_another_agency": "the account is not active",
    "expired": "the token has expired",
    "not_yet_valid": "the token is not valid yet",
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_account_or_time_is_401_whether_the_dataset_exists_or_not(
        api, db, admin, new_agency, case):
    a = new_agency("DJ")
    tok = api.token(a.client_id, a.client_secret)
    ds = make_dataset(db, a.agency_id, classification="shared")
    assert api.get(f"datasets/{ds}", tok).status_code == 200
    now = int(time.time())
    c = jf.claims(a.account_id, a.agency_id, ["agency_officer"])
    if case == "disabled":
        admin(["account", "disable", a.account_id])
    elif case == "no_such_account":
        (top,), = db("SELECT MAX(id) FROM accounts")
        tok = jf.rs256(dict(c, sub=str(int(top) + 1000)))
    elif case == "account_of_another_agency":
        tok = jf.rs256(dict(c, agency=new_agency("DJ").agency_id))
    elif case == "expired":
        tok = jf.rs256(dict(c, exp=now - 120, iat=now - 1000, nbf=now - 1000))
    else:
        tok = jf.rs256(dict(c, nbf=now + 600))
    for path in (f"datasets/{ds}", f"datasets/{MISSING}"):
        r = api.get(path, tok)
        assert r.status_code == 401, (path, r.text)
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.json()["error"]["message"] == REFUSED[case]


def test_an_active_account_gets_404_for_a_missing_dataset(api, actor):
    r = api.get(f"datasets/{MISSING}", actor("DS").token)
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "no such dataset"


def test_a_role_removed_in_the_database_narrows_the_view_at_once(api, db, actor):
    owner, aud = actor("DS"), actor("AU", "auditor,agency_officer")
    draft = create_dataset(api, owner.token, listed_database(api, owner.token)["id"])
    shared = published_dataset(api, owner.token, classification="shared")
    for ds in (draft, shared):
        assert api.get(f"datasets/{ds['id']}", aud.token).status_code == 200
    # The same token still claims auditor; the database now says officer only.
    db("UPDATE accounts SET roles = 4 WHERE id = %s", (aud.account_id,))
    r = api.get(f"datasets/{draft['id']}", aud.token)
    assert r.status_code == 404 and r.json()["error"]["message"] == "no such dataset"
    assert api.get(f"datasets/{shared['id']}", aud.token).status_code == 200


def test_a_system_account_is_confined_on_a_dataset_as_before(api, db, new_agency):
    s = granted(api, db, new_agency)
    _, systok = grant_account(api, s)
    own = make_dataset(db, s.consumer.agency_id, classification="restricted")
    assert api.get(f"datasets/{own}", s.consumer.token).status_code == 200
    # Its own agency's restricted data, as to a stranger: not found.
    r = api.get(f"datasets/{own}", systok)
    assert r.status_code == 404 and r.json()["error"]["message"] == "no such dataset"
    r = api.get(f"datasets/{s.dataset_id}", systok)
    assert r.status_code == 200 and r.json()["id"] == s.dataset_id


def test_no_token_is_401_as_before(api, actor):
    """The route is not RT_OPTIONAL_AUTH: the public reads open data at
    /open-data/{id}."""
    ds = published_dataset(api, actor("DS").token, classification="open")
    for path in (f"datasets/{ds['id']}", f"datasets/{MISSING}"):
        r = api.get(path)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json()["error"]["message"] == "a bearer token is required"
    assert api.get(f"open-data/{ds['id']}").status_code == 200


SRC = pathlib.Path(os.environ.get("DS_SRC") or pathlib.Path(__file__).parents[2])


def catalog_sql_macros(*names):
    """The SQL text of catalog.h's macros, as the C compiler sees them."""
    text = "#include \"catalog.h\"\n" + "".join(f"@{n.lower()}@ {n}\n" for n in names)
    p = subprocess.run(["cpp", "-P", "-I", str(SRC / "modules" / "catalog"), "-"],
                       input=text, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    found = dict(re.findall(r"^@(\w+)@ (.*)$", p.stdout, re.M))
    return [ast.literal_eval(found[n.lower()]) for n in names]


def enum_values(db, table, column):
    (ctype,), = db("SELECT COLUMN_TYPE FROM information_schema.COLUMNS "
                   "WHERE TABLE_SCHEMA = 'datashare' AND TABLE_NAME = %s "
                   "AND COLUMN_NAME = %s", (table, column))
    return ctype, re.findall(r"'([^']*)'", ctype)


def test_inline_visibility_equals_the_stored_function_on_every_input(db):
    # catalog.h writes dataset_visibility() inline as a CASE (a stored
    # function call costs MariaDB a program execution per row); the view
    # search_source and the report module still call the function. Both
    # must give the same answer on every input the columns can hold, NULL
    # included, with the columns' own types and collations.
    dataset_vis, database_vis = catalog_sql_macros("DATASET_VIS", "DATABASE_VIS")
    assert "dataset_visibility" not in dataset_vis + database_vis
    st_type, statuses = enum_values(db, "datasets", "status")
    cl_type, classes = enum_values(db, "datasets", "classification")
    db_type, db_statuses = enum_values(db, "databases", "status")
    def values(vs):  # a one-column derived table of vs and NULL
        return "(SELECT NULL AS v" + "".join(f" UNION ALL SELECT {v}" for v in vs) + ")"

    q = lambda vs: [f"'{v}'" for v in vs]  # noqa: E731
    rows = db(
        f"CREATE TEMPORARY TABLE vis_d (status {st_type} NULL, excluded TINYINT(1) NULL, "
        f"  classification {cl_type} NULL) COLLATE=utf8mb4_uca1400_ai_ci; "
        f"CREATE TEMPORARY TABLE vis_b (status {db_type} NULL) COLLATE=utf8mb4_uca1400_ai_ci; "
        f"INSERT INTO vis_d SELECT s.v, e.v, c.v FROM {values(q(statuses))} s "
        f"  CROSS JOIN {values([0, 1, 2])} e CROSS JOIN {values(q(classes))} c; "
        f"INSERT INTO vis_b SELECT v FROM {values(q(db_statuses))} b; "
        f"SELECT d.status, d.excluded, d.classification, b.status, "
        f"  dataset_visibility(d.status, d.excluded, d.classification, b.status), "
        f"  {dataset_vis}, dataset_visibility('published', 0, 'shared', b.status), "
        f"  {database_vis} FROM vis_d d CROSS JOIN vis_b b")
    assert len(rows) == (len(statuses) + 1) * 4 * (len(classes) + 1) * (len(db_statuses) + 1)
    assert {r[4] for r in rows} == {"public", "agencies", "owner"}
    assert [r[:4] for r in rows if r[4] != r[5]] == []
    assert {r[6] for r in rows} == {"agencies", "owner"}
    assert [r[:4] for r in rows if r[6] != r[7]] == []
