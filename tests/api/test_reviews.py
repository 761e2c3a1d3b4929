"""The yearly review of databases by their owners (Art. 7.2, R1.4)."""

from catalog_helpers import (actor, all_pages, auditor, audit_rows,  # noqa: F401
                             create_database, current_year,
                             detail_fields, listed_database)



def unreviewed(api, token):
    """{agency_id: [database ids]} over every page of the list."""
    return {item["id"]: [d["id"] for d in item["databases"]]
            for item in all_pages(api, "databases/unreviewed", token)}


def test_owner_reviews_a_database_once_a_year(api, db, actor):
    a = actor("RV")
    d = listed_database(api, a.token)
    r = api.post(f"databases/{d['id']}/reviews", a.token,
                 json={"outcome": "current", "notes": "Đã rà soát hiện trạng"})
    assert r.status_code == 201, r.text
    assert r.json()["year"] == current_year(db)
    r2 = api.post(f"databases/{d['id']}/reviews", a.token, json={"outcome": "current"})
    assert r2.status_code == 409
    assert db("SELECT year, outcome FROM database_reviews WHERE database_id = %s",
              (d["id"],)) == [(str(current_year(db)), "current")]
    assert len(audit_rows(db, "database_review", r.json()["id"], "database.review")) == 1
    listed = api.get(f"databases/{d['id']}/reviews", a.token).json()["items"]
    assert [x["id"] for x in listed] == [r.json()["id"]]


def test_dic_sees_agencies_owing_a_review(api, actor, admin_token, auditor):
    a = actor("RV")
    d1 = listed_database(api, a.token)
    d2 = listed_database(api, a.token)
    create_database(api, a.token)  # a draft owes no review yet
    assert sorted(unreviewed(api, admin_token)[a.agency_id]) == sorted([d1["id"], d2["id"]])
    api.post(f"databases/{d1['id']}/reviews", a.token, json={"outcome": "changes_needed"})
    assert unreviewed(api, auditor.token)[a.agency_id] == [d2["id"]]
    api.post(f"databases/{d2['id']}/reviews", a.token, json={"outcome": "current"})
    assert a.agency_id not in unreviewed(api, admin_token)


def test_unreviewed_list_is_for_oversight_roles_403(api, actor):
    a = actor("RV")
    assert api.get("databases/unreviewed", a.token).status_code == 403


def test_other_agency_cannot_review_and_bad_outcome_is_422(api, db, actor):
    a, other = actor("RV"), actor("RV")
    d = listed_database(api, a.token)
    assert api.post(f"databases/{d['id']}/reviews", other.token,
                    json={"outcome": "current"}).status_code == 403
    assert detail_fields(api.post(f"databases/{d['id']}/reviews", a.token,
                                  json={"outcome": "fine"})) == {"outcome"}
    assert db("SELECT COUNT(*) FROM database_reviews WHERE database_id = %s",
              (d["id"],)) == [("0",)]


def test_withdrawn_database_is_not_reviewed_409(api, actor):
    a = actor("RV")
    d = listed_database(api, a.token)
    api.post(f"databases/{d['id']}/withdraw", a.token)
    assert api.post(f"databases/{d['id']}/reviews", a.token,
                    json={"outcome": "current"}).status_code == 409
