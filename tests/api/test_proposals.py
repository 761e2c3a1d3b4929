"""Proposals to change the shared-database catalog (Art. 7, R1.2, R1.3):
completeness per kind, roles, states and notices."""

import concurrent.futures
import json

from catalog_helpers import (actor, add_body, auditor, audit_rows, chairman,  # noqa: F401
                             create_database, decide, detail_fields, dic_agency,
                             file_proposal, notifications, review, withdraw_body)

ART72 = ("name", "managing_unit", "objective", "scope", "master_data",
         "users_purposes", "sources", "sharing_methods")


def test_add_proposal_names_each_missing_art72_and_art73_field_422(api, db, actor):
    a = actor("PR")
    r = api.post("catalog/proposals", a.token, json={"kind": "add"})
    assert detail_fields(r) == set(ART72) | {"location", "legal_value",
                                             "master_data_reference", "serves_procedures"}
    problems = {d["field"]: d["problem"] for d in r.json()["error"]["details"]}
    assert "Art. 7.2.đ" in problems["users_purposes"]
    assert "Art. 7.3.a" in problems["legal_value"]
    body = add_body()
    del body["serves_procedures"], body["master_data"]
    assert detail_fields(api.post("catalog/proposals", a.token, json=body)) == \
        {"serves_procedures", "master_data"}
    assert db("SELECT COUNT(*) FROM catalog_proposals WHERE agency_id = %s",
              (a.agency_id,)) == [("0",)]


def test_withdraw_proposal_answers_art74_422(api, actor):
    a = actor("PR")
    r = api.post("catalog/proposals", a.token, json={"kind": "withdraw",
                                                     "database_id": 1, "name": "x"})
    assert detail_fields(r) == {"replacement", "master_data_reference",
                                "serves_procedures", "name"}
    r = api.post("catalog/proposals", a.token, json={"kind": "modify", "database_id": 1,
                                                     "legal_value": "x"})
    assert detail_fields(r) == {"reason", "legal_value", "name"}


def test_added_shared_database_is_hosted_at_the_data_centre_422(api, actor):
    a = actor("PR")
    r = api.post("catalog/proposals", a.token, json=add_body(location="agency"))
    assert detail_fields(r) == {"location"}


def test_proposal_names_a_database_of_the_callers_agency(api, actor):
    a, other = actor("PR"), actor("PR")
    theirs = create_database(api, other.token)
    r = api.post("catalog/proposals", a.token, json=add_body(database_id=theirs["id"]))
    assert detail_fields(r) == {"database_id"}
    mine = create_database(api, a.token)
    r = api.post("catalog/proposals", a.token, json=withdraw_body(mine["id"]))
    assert r.status_code == 409  # not in the shared catalog


def test_one_open_proposal_per_database_409(api, actor):
    a = actor("PR")
    d = create_database(api, a.token, kind="shared")
    file_proposal(api, a.token, add_body(database_id=d["id"]))
    r = api.post("catalog/proposals", a.token, json=add_body(database_id=d["id"]))
    assert r.status_code == 409


def test_roles_file_review_and_decide_403(api, db, actor, auditor, chairman, admin_token):
    a = actor("PR")
    assert api.post("catalog/proposals", auditor.token, json=add_body()).status_code == 403
    assert api.post("catalog/proposals", admin_token, json=add_body()).status_code == 403
    p = file_proposal(api, a.token, add_body())
    assert review(api, a.token, p["id"], "recommend").status_code == 403
    assert review(api, chairman.token, p["id"], "recommend").status_code == 403
    assert review(api, admin_token, p["id"], "recommend").status_code == 200
    assert decide(api, admin_token, p["id"], "approve").status_code == 403
    assert decide(api, a.token, p["id"], "approve").status_code == 403
    assert db("SELECT status FROM catalog_proposals WHERE id = %s", (p["id"],)) == \
        [("recommended",)]


def test_wrong_state_is_409(api, db, actor, chairman, admin_token):
    a = actor("PR")
    p = file_proposal(api, a.token, add_body())
    assert decide(api, chairman.token, p["id"], "approve").status_code == 409
    assert api.post(f"catalog/proposals/{p['id']}/resubmit", a.token).status_code == 409
    assert api.patch(f"catalog/proposals/{p['id']}", a.token,
                     json={"scope": "x"}).status_code == 409
    assert review(api, admin_token, p["id"], "reject").status_code == 200
    assert review(api, admin_token, p["id"], "recommend").status_code == 409
    assert decide(api, chairman.token, p["id"], "approve").status_code == 409
    assert db("SELECT status, review_action FROM catalog_proposals WHERE id = %s",
              (p["id"],)) == [("rejected", "reject")]


def test_refusals_and_returns_need_notes_422(api, actor, chairman, admin_token):
    a = actor("PR")
    p = file_proposal(api, a.token, add_body())
    r = api.post(f"catalog/proposals/{p['id']}/review", admin_token,
                 json={"action": "return"})
    assert detail_fields(r) == {"notes"}
    assert review(api, admin_token, p["id"], "recommend").status_code == 200
    r = api.post(f"catalog/proposals/{p['id']}/decision", chairman.token,
                 json={"decision": "reject"})
    assert detail_fields(r) == {"notes"}


def test_returned_proposal_is_edited_resubmitted_and_approved(api, db, actor, chairman,
                                                              admin_token):
    a = actor("PR")
    p = file_proposal(api, a.token, add_body())
    dic = dic_agency(db)
    assert str(p["id"]) in [n[1] for n in notifications(db, dic, "catalog.proposal_filed")]
    r = review(api, admin_token, p["id"], "return", "Bổ sung phạm vi dữ liệu")
    assert r.status_code == 200 and r.json()["status"] == "returned"
    assert r.json()["review_notes"] == "Bổ sung phạm vi dữ liệu"
    told = notifications(db, a.agency_id, "catalog.proposal_reviewed")
    assert [(n[1], json.loads(n[2])["status"]) for n in told] == [(str(p["id"]), "returned")]
    # Edits: fields that apply, never null, never what does not apply.
    assert detail_fields(api.patch(f"catalog/proposals/{p['id']}", a.token,
                                   json={"replacement": "x"})) == {"replacement"}
    assert detail_fields(api.patch(f"catalog/proposals/{p['id']}", a.token,
                                   json={"scope": None})) == {"scope"}
    r = api.patch(f"catalog/proposals/{p['id']}", a.token,
                  json={"scope": "Toàn tỉnh, 9 huyện, thị xã, thành phố"})
    assert r.status_code == 200 and r.json()["scope"].startswith("Toàn tỉnh, 9")
    r = api.post(f"catalog/proposals/{p['id']}/resubmit", a.token)
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert review(api, admin_token, p["id"], "recommend").status_code == 200
    r = decide(api, chairman.token, p["id"], "approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert r.json()["decided_by"] == chairman.account_id
    decided = notifications(db, a.agency_id, "catalog.proposal_decided")
    assert [json.loads(n[2])["status"] for n in decided] == ["approved"]
    assert [x[0] for x in audit_rows(db, "proposal", p["id"])] == [
        "proposal.file", "proposal.review", "proposal.update", "proposal.resubmit",
        "proposal.review", "proposal.decide"]


def test_racing_reviews_give_one_200(api, db, actor, admin_token):
    a = actor("PR")
    p = file_proposal(api, a.token, add_body())
    actions = ["recommend", "reject", "return", "recommend"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        codes = sorted(pool.map(lambda act: review(api, admin_token, p["id"],
                                                   act).status_code, actions))
    assert codes == [200, 409, 409, 409]
    assert len(audit_rows(db, "proposal", p["id"], "proposal.review")) == 1


def test_proposals_of_other_agencies_are_invisible_404(api, actor, auditor):
    a, other = actor("PR"), actor("PR")
    p = file_proposal(api, a.token, add_body())
    assert api.get(f"catalog/proposals/{p['id']}", other.token).status_code == 404
    assert api.post(f"catalog/proposals/{p['id']}/resubmit", other.token).status_code == 404
    assert p["id"] not in [x["id"] for x in api.get("catalog/proposals",
                                                    other.token).json()["items"]]
    assert api.get(f"catalog/proposals/{p['id']}", auditor.token).status_code == 200
    mine = api.get("catalog/proposals", a.token, params={"status": "submitted"}).json()
    assert [x["id"] for x in mine["items"]] == [p["id"]]
