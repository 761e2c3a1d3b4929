"""GET /reports/catalog (R1-R3, R9.3): the shared catalog per agency,
datasets by classification, the year's assessments, open data overdue for
its update and the agencies that owe their yearly review."""

from catalog_helpers import (actor, add_body, chairman, create_dataset,  # noqa: F401
                             current_year, decide, file_proposal, listed_database,
                             published_dataset, record_assessment, review, unique)
from report_helpers import by, report


def listed_shared_database(api, db, agency, chairman, admin_token) -> int:
    """A shared database listed the catalog's way (Art. 7): proposed,
    recommended by DIC, approved by the Chairman, issued in a version."""
    p = file_proposal(api, agency.token, add_body())
    assert review(api, admin_token, p["id"], "recommend").status_code == 200
    assert decide(api, chairman.token, p["id"], "approve").status_code == 200
    r = api.post("catalog/versions", chairman.token,
                 json={"number": unique("QĐ-UBND"), "decision_ref": "Quyết định số 9/QĐ-UBND",
                       "issued_on": "2026-03-05"})
    assert r.status_code == 201, r.text
    (row,) = db("SELECT id FROM `databases` WHERE agency_id = %s AND kind = 'shared' "
                "AND status = 'listed'", (agency.agency_id,))
    return int(row[0])


def year_range(db) -> dict:
    """The catalog's year (reviews and assessments are filed under the
    database clock's year) as the report's range."""
    y = current_year(db)
    return {"from": f"{y}-01-01", "to": f"{y}-12-31"}


def test_catalog_figures_of_one_agency(api, db, actor, chairman, admin_token):
    a = actor("RK")
    shared = listed_shared_database(api, db, a, chairman, admin_token)
    spec1 = listed_database(api, a.token)["id"]
    spec2 = listed_database(api, a.token)["id"]
    published_dataset(api, a.token, "shared", database_id=spec1)
    open_ds = published_dataset(api, a.token, "open", database_id=spec1)
    draft = create_dataset(api, a.token, spec2, classification="restricted")
    record_assessment(api, a.token, draft["id"], verdict="fail")
    # Time passes: the open data's update date (Art. 10.4) is behind us.
    db("UPDATE datasets SET update_due_at = UTC_TIMESTAMP(6) - INTERVAL 3 DAY "
       "WHERE id = %s", (open_ds["id"],))
    r = api.post(f"databases/{spec1}/reviews", a.token, json={"outcome": "current"})
    assert r.status_code == 201, r.text

    body = report(api, admin_token, "catalog", agency_id=a.agency_id, **year_range(db))
    assert body["year"] == current_year(db)
    assert body["databases"] == {"shared_listed": 1, "specialized_listed": 2,
                                 "listed_in_range": 3, "withdrawn_in_range": 0,
                                 "unreviewed": 2}
    assert [(x["agency_id"], x["shared_listed"], x["specialized_listed"],
             x["unreviewed"]) for x in body["databases_by_agency"]] == \
        [(a.agency_id, 1, 2, 2)]
    assert body["databases_by_agency"][0]["name"] == \
        db("SELECT name FROM agencies WHERE id = %s", (a.agency_id,))[0][0]
    # in the order the schema lists classifications
    assert body["datasets_by_classification"] == [
        {"classification": "open", "datasets": 1, "published": 1,
         "published_in_range": 1, "excluded": 0},
        {"classification": "shared", "datasets": 1, "published": 1,
         "published_in_range": 1, "excluded": 0},
        {"classification": "restricted", "datasets": 1, "published": 0,
         "published_in_range": 0, "excluded": 0}]
    assert body["assessments"] == {"year": current_year(db), "done": 3, "passed": 2,
                                   "failed": 1, "datasets_assessed": 3}
    assert body["open_data"] == {"published": 1, "update_overdue": 1}
    (late,) = body["open_data_overdue"]
    assert (late["dataset_id"], late["name"], late["agency_id"],
            late["days_overdue"]) == (open_ds["id"], open_ds["title"], a.agency_id, 3)
    assert body["agencies_not_reviewed"] == [
        {"agency_id": a.agency_id, "name": body["databases_by_agency"][0]["name"],
         "databases_unreviewed": 2}]

    # Reviewing the other two clears the agency from the list.
    for d in (shared, spec2):
        assert api.post(f"databases/{d}/reviews", a.token,
                        json={"outcome": "changes_needed"}).status_code == 201
    body = report(api, admin_token, "catalog", agency_id=a.agency_id, **year_range(db))
    assert body["agencies_not_reviewed"] == []
    assert body["databases"]["unreviewed"] == 0
    # A past year: nothing listed, published or assessed then; every
    # listed database (a state, not a flow) owes that year's review.
    body = report(api, admin_token, "catalog", agency_id=a.agency_id,
                  **{"from": "2024-01-01", "to": "2024-12-31"})
    assert body["year"] == 2024
    assert body["databases"]["listed_in_range"] == 0
    assert body["assessments"]["done"] == 0
    assert by(body["agencies_not_reviewed"], "agency_id",
              a.agency_id)["databases_unreviewed"] == 3


def test_other_agencies_are_not_counted(api, db, actor, admin_token):
    a, b = actor("RK"), actor("RK")
    listed_database(api, a.token)
    published_dataset(api, b.token, "open")
    body = report(api, admin_token, "catalog", agency_id=a.agency_id, **year_range(db))
    assert body["databases"]["specialized_listed"] == 1
    assert body["datasets_by_classification"] == []
    assert body["open_data"] == {"published": 0, "update_overdue": 0}
