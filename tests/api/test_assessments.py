"""Data quality assessments (Art. 6, R3) and the year's programme."""

import json

from catalog_helpers import (ASSESSMENT_CRITERIA, actor, all_pages, auditor,  # noqa: F401
                             audit_rows, create_dataset, current_year, detail_fields, listed_database,
                             notifications, published_dataset, record_assessment)




def test_owner_records_an_assessment_with_every_criterion(api, db, actor):
    a = actor("AS")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    r = api.post("assessments", a.token, json={
        "dataset_id": ds["id"], "assessor": "Tổ kiểm tra Sở",
        "criteria": {c: "pass" for c in ASSESSMENT_CRITERIA}, "verdict": "pass",
        "findings": "Đạt yêu cầu"})
    assert r.status_code == 201, r.text
    x = r.json()
    assert x["year"] == current_year(db) and x["agency_id"] == a.agency_id
    assert x["criteria"] == {c: "pass" for c in ASSESSMENT_CRITERIA}
    row = db("SELECT verdict, criteria_json, recorded_by FROM assessments WHERE id = %s",
             (x["id"],))
    assert row[0][0] == "pass" and row[0][2] == str(a.account_id)
    assert json.loads(row[0][1])["accuracy"] == "pass"
    assert len(audit_rows(db, "assessment", x["id"], "assessment.record")) == 1


def test_criteria_are_the_configured_ones_each_pass_or_fail_422(api, actor):
    a = actor("AS")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    crit = {c: "pass" for c in ASSESSMENT_CRITERIA}
    del crit["accuracy"]
    crit["timeliness"] = "ok"
    crit["beauty"] = "pass"
    r = api.post("assessments", a.token, json={"dataset_id": ds["id"], "assessor": "X",
                                               "criteria": crit, "verdict": "fail"})
    assert detail_fields(r) == {"criteria.accuracy", "criteria.timeliness",
                                "criteria.beauty", "remediation_plan", "remediation_due"}


def test_verdict_must_agree_with_the_criteria_422(api, actor):
    a = actor("AS")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    crit = {c: "pass" for c in ASSESSMENT_CRITERIA}
    crit["completeness"] = "fail"
    r = api.post("assessments", a.token, json={"dataset_id": ds["id"], "assessor": "X",
                                               "criteria": crit, "verdict": "pass"})
    assert detail_fields(r) == {"verdict"}


def test_future_year_is_422(api, db, actor):
    a = actor("AS")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    r = api.post("assessments", a.token, json={
        "dataset_id": ds["id"], "assessor": "X", "year": current_year(db) + 1,
        "criteria": {c: "pass" for c in ASSESSMENT_CRITERIA}, "verdict": "pass"})
    assert detail_fields(r) == {"year"}


def test_dic_assesses_any_dataset_and_the_owner_is_told(api, db, actor, admin_token):
    a = actor("AS")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    x = record_assessment(api, admin_token, ds["id"], "fail",
                          remediation_due="2030-12-31")
    assert [n[1] for n in notifications(db, a.agency_id, "assessment.recorded")] == \
        [str(x["id"])]
    assert api.get(f"assessments/{x['id']}", a.token).status_code == 200


def test_other_agency_neither_records_nor_reads_assessments(api, actor):
    a, other = actor("AS"), actor("AS")
    shared = published_dataset(api, a.token, "shared")
    draft = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    body = {"assessor": "X", "criteria": {c: "pass" for c in ASSESSMENT_CRITERIA},
            "verdict": "pass"}
    assert api.post("assessments", other.token,
                    json=dict(body, dataset_id=shared["id"])).status_code == 403
    assert api.post("assessments", other.token,
                    json=dict(body, dataset_id=draft["id"])).status_code == 404
    mine = api.get("assessments", a.token, params={"dataset_id": shared["id"]}).json()
    assert len(mine["items"]) == 1
    theirs = api.get("assessments", other.token, params={"dataset_id": shared["id"]})
    assert theirs.json()["items"] == []
    assert api.get(f"assessments/{mine['items'][0]['id']}", other.token).status_code == 404


def test_programme_lists_unassessed_datasets_of_the_year(api, db, actor, admin_token):
    a = actor("AS")
    d = listed_database(api, a.token)
    ds1 = create_dataset(api, a.token, d["id"])
    ds2 = create_dataset(api, a.token, d["id"])
    excluded = create_dataset(api, a.token, d["id"], classification="restricted",
                              excluded=True, exclusion_reason="internal")
    record_assessment(api, a.token, ds2["id"], year=current_year(db) - 1)
    ids = {x["id"] for x in all_pages(api, "assessments/unassessed", admin_token)}
    assert {ds1["id"], ds2["id"]} <= ids and excluded["id"] not in ids
    record_assessment(api, a.token, ds1["id"])
    mine = {x["id"] for x in all_pages(api, "assessments/unassessed", a.token)}
    assert mine == {ds2["id"]}
    last_year = {x["id"] for x in all_pages(api, "assessments/unassessed", a.token,
                                            year=current_year(db) - 1)}
    assert last_year == {ds1["id"]}
    summary = api.get("assessments/programme", a.token).json()
    assert summary["year"] == current_year(db)
    assert (summary["datasets"], summary["assessed"], summary["passed"],
            summary["unassessed"]) == (2, 1, 1, 1)


def test_overdue_remediation_until_a_later_pass(api, db, actor, admin_token, auditor):
    a = actor("AS")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    late = record_assessment(api, a.token, ds["id"], "fail", remediation_due="2020-01-31")
    fresh = create_dataset(api, a.token, ds["database_id"])
    not_yet = record_assessment(api, a.token, fresh["id"], "fail",
                                remediation_due="2099-01-31")
    overdue = {x["id"]: x for x in all_pages(api, "assessments/overdue", auditor.token)}
    assert late["id"] in overdue and not_yet["id"] not in overdue
    assert overdue[late["id"]]["days_overdue"] > 0
    assert api.get("assessments/programme", a.token).json()["overdue"] == 1
    record_assessment(api, a.token, ds["id"], "pass")
    overdue = {x["id"] for x in all_pages(api, "assessments/overdue", admin_token)}
    assert late["id"] not in overdue


def test_programme_is_for_agency_people_and_oversight(api, actor):
    system = actor("AS", "system")
    assert api.get("assessments/programme", system.token).status_code == 403
    assert api.get("assessments/overdue", system.token).status_code == 403
