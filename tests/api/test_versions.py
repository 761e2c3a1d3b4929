"""Catalog versions (Art. 7.1, R1.3): issuing applies every approved
proposal in one go and freezes the whole shared catalog as issued."""

import json

from catalog_helpers import (actor, add_body, audit_rows, chairman,  # noqa: F401
                             create_database, decide, file_proposal, notifications,
                             review, unique, withdraw_body)


def approved(api, token, body, chairman, admin_token):
    p = file_proposal(api, token, body)
    assert review(api, admin_token, p["id"], "recommend").status_code == 200
    assert decide(api, chairman.token, p["id"], "approve").status_code == 200
    return p


def issue(api, chairman, number=None):
    return api.post("catalog/versions", chairman.token,
                    json={"number": number or unique("QĐ-UBND"),
                          "decision_ref": "Quyết định số 123/QĐ-UBND",
                          "issued_on": "2026-03-05"})


def flush(api, chairman):
    """Issues whatever approved proposals other tests left."""
    r = issue(api, chairman)
    assert r.status_code in (201, 409), r.text


def test_full_path_from_filing_to_an_issued_version(api, db, actor, chairman, admin_token):
    a, b = actor("VR"), actor("VR")
    # b: a shared database already in the catalog, then modified; a: a
    # brand-new shared database, and its existing draft entered.
    b_db = create_database(api, b.token, kind="shared")
    approved(api, b.token, add_body(database_id=b_db["id"]), chairman, admin_token)
    flush(api, chairman)
    new = approved(api, a.token, add_body(), chairman, admin_token)
    draft = create_database(api, a.token, kind="shared")
    entered = approved(api, a.token, add_body(database_id=draft["id"]),
                       chairman, admin_token)
    modify = approved(api, b.token, {"kind": "modify", "database_id": b_db["id"],
                                     "objective": "Mục tiêu mới", "reason": "Mở rộng"},
                      chairman, admin_token)
    r = issue(api, chairman)
    assert r.status_code == 201, r.text
    v = r.json()
    snap = v["snapshot"]
    changes = {c["proposal_id"]: c for c in snap["changes"]}
    assert {new["id"], entered["id"], modify["id"]} <= set(changes)
    new_db = changes[new["id"]]["database_id"]
    assert changes[entered["id"]]["database_id"] == draft["id"]
    # Applied: listed, entered, modified.
    assert db("SELECT kind, status, agency_id FROM `databases` WHERE id = %s",
              (new_db,)) == [("shared", "listed", str(a.agency_id))]
    assert db("SELECT b.status, b.name = p.name FROM `databases` b "
              "JOIN catalog_proposals p ON p.database_id = b.id WHERE p.id = %s",
              (entered["id"],)) == [("listed", "1")]
    assert db("SELECT objective FROM `databases` WHERE id = %s", (b_db["id"],)) == \
        [("Mục tiêu mới",)]
    for p in (new, entered, modify):
        assert db("SELECT status, version_id FROM catalog_proposals WHERE id = %s",
                  (p["id"],)) == [("issued", str(v["id"]))]
    # The snapshot is the whole shared catalog as issued.
    in_snap = {d["id"]: d for d in snap["databases"]}
    listed = {int(x[0]) for x in db("SELECT id FROM `databases` WHERE kind = 'shared' "
                                    "AND status = 'listed'")}
    assert set(in_snap) == listed
    assert in_snap[b_db["id"]]["objective"] == "Mục tiêu mới"
    assert in_snap[new_db]["agency_code"] == a.code
    # Every agency with a change hears of it once; audit rows for each step.
    for ag in (a, b):
        assert [n[1] for n in notifications(db, ag.agency_id, "catalog.version_issued")
                if n[1] == str(v["id"])] == [str(v["id"])]
    assert len(audit_rows(db, "catalog_version", v["id"], "catalog_version.issue")) == 1
    assert len(audit_rows(db, "proposal", modify["id"], "proposal.issue")) == 1
    assert [x[0] for x in audit_rows(db, "database", b_db["id"])][-1] == "database.modify"


def test_issued_version_reads_the_same_after_later_changes(api, db, actor, chairman,
                                                           admin_token):
    a = actor("VR")
    d = create_database(api, a.token, kind="shared")
    approved(api, a.token, add_body(database_id=d["id"]), chairman, admin_token)
    r = issue(api, chairman)
    assert r.status_code == 201, r.text
    v1 = r.json()
    before = api.get(f"catalog/versions/{v1['id']}", a.token)
    assert before.status_code == 200
    # Later: the database is renamed by a second version, then withdrawn.
    approved(api, a.token, {"kind": "modify", "database_id": d["id"],
                            "name": unique("Tên mới"), "reason": "Đổi tên"},
             chairman, admin_token)
    assert issue(api, chairman).status_code == 201
    approved(api, a.token, withdraw_body(d["id"]), chairman, admin_token)
    assert issue(api, chairman).status_code == 201
    assert db("SELECT status FROM `databases` WHERE id = %s", (d["id"],)) == [("withdrawn",)]
    after = api.get(f"catalog/versions/{v1['id']}", a.token)
    assert after.json() == before.json()
    names = {x["id"]: x["name"] for x in after.json()["snapshot"]["databases"]}
    assert names[d["id"]] == db("SELECT name FROM catalog_proposals WHERE database_id = %s "
                                "AND kind = 'add'", (d["id"],))[0][0]
    latest = api.get("catalog/versions", a.token, params={"limit": 200}).json()["items"]
    assert v1["id"] in [x["id"] for x in latest]
    # The application cannot rewrite a version: its role may only insert and read.
    grants = " ".join(x[0] for x in db("SHOW GRANTS FOR datashare_app"))
    assert "INSERT ON `datashare`.`catalog_versions`" in grants
    assert "UPDATE ON `datashare`.`catalog_versions`" not in grants
    assert "SELECT, INSERT ON `datashare`.`catalog_versions`" in grants


def test_nothing_to_issue_is_409(api, chairman):
    flush(api, chairman)
    r = issue(api, chairman)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "nothing_to_issue"


def test_only_the_chairman_issues_and_numbers_are_unique(api, db, actor, chairman,
                                                         admin_token):
    a = actor("VR")
    assert api.post("catalog/versions", admin_token,
                    json={"number": "x", "decision_ref": "y",
                          "issued_on": "2026-01-01"}).status_code == 403
    approved(api, a.token, add_body(), chairman, admin_token)
    number = unique("01/2026")
    assert issue(api, chairman, number).status_code == 201
    approved(api, a.token, add_body(), chairman, admin_token)
    r = issue(api, chairman, number)
    assert r.status_code == 409
    assert db("SELECT COUNT(*) FROM catalog_versions WHERE number = %s", (number,)) == \
        [("1",)]
    flush(api, chairman)


def test_a_proposal_that_no_longer_applies_stops_the_issue_409(api, db, actor, chairman,
                                                               admin_token):
    a = actor("VR")
    flush(api, chairman)
    p = approved(api, a.token, add_body(), chairman, admin_token)
    # Its name is taken meanwhile by another database of the same agency.
    blocker = create_database(api, a.token, name=db(
        "SELECT name FROM catalog_proposals WHERE id = %s", (p["id"],))[0][0])
    r = issue(api, chairman)
    assert r.status_code == 409 and str(p["id"]) in r.json()["error"]["message"]
    assert db("SELECT status FROM catalog_proposals WHERE id = %s", (p["id"],)) == \
        [("approved",)]
    # Nothing of it stayed: the issue was one transaction.
    assert db("SELECT COUNT(*) FROM catalog_proposals WHERE status = 'issued' AND "
              "version_id IS NULL") == [("0",)]
    # Once the name is free again it is issued (and later tests can issue).
    api.patch(f"databases/{blocker['id']}", a.token, json={"name": unique("Khác")})
    assert issue(api, chairman).status_code == 201
    assert db("SELECT status FROM catalog_proposals WHERE id = %s", (p["id"],)) == \
        [("issued",)]


def test_the_chairman_rejects_a_stuck_approved_proposal_and_the_issue_goes_on(
        api, db, actor, chairman, admin_token):
    """An approved proposal that can no longer apply would stop every issue
    (the test above): the Chairman rejects it (notes required), then the
    catalog is issued without it. Approving again, or deciding on an issued
    proposal, stays 409."""
    a = actor("VJ")
    flush(api, chairman)
    stuck = approved(api, a.token, add_body(), chairman, admin_token)
    create_database(api, a.token, name=db(
        "SELECT name FROM catalog_proposals WHERE id = %s", (stuck["id"],))[0][0])
    assert issue(api, chairman).status_code == 409
    assert decide(api, chairman.token, stuck["id"], "approve").status_code == 409
    assert api.post(f"catalog/proposals/{stuck['id']}/decision", chairman.token,
                    json={"decision": "reject"}).status_code == 422
    r = decide(api, chairman.token, stuck["id"], "reject", notes="Trùng tên")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected"
    assert db("SELECT status, decision, decision_notes FROM catalog_proposals "
              "WHERE id = %s", (stuck["id"],)) == [("rejected", "reject", "Trùng tên")]
    assert audit_rows(db, "proposal", stuck["id"])[-1][0] == "proposal.decide"
    other = approved(api, a.token, add_body(), chairman, admin_token)
    v = issue(api, chairman)
    assert v.status_code == 201, v.text
    assert [c["proposal_id"] for c in v.json()["snapshot"]["changes"]] == [other["id"]]
    assert db("SELECT status FROM catalog_proposals WHERE id IN (%s, %s) ORDER BY id",
              (stuck["id"], other["id"])) == [("rejected",), ("issued",)]
    assert decide(api, chairman.token, other["id"], "reject").status_code == 409
