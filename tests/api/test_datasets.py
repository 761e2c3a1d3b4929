"""Datasets (R2.1, Art. 12.2, Art. 1.2): structure descriptions, the
classification and the exclusion of out-of-scope data, who sees what."""

import ast
import json
import os
import pathlib
import re
import subprocess

from catalog_helpers import (FIELDS, actor, audit_rows, create_database,  # noqa: F401
                             create_dataset, detail_fields, listed_database,
                             published_dataset, unique)


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
