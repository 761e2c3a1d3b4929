"""The outside probe's findings (issue 16, items 1 to 6 and 8), each as the
behaviour that must hold: a focal point acts only on accounts whose every
role it could give, a grant's system account reaches only its grant, a
snapshot shows each caller what the catalog shows it, DIC's privileges
come from the role, and a record the caller cannot see is answered as one
that does not exist."""

import re
import uuid

import pytest

from catalog_helpers import (actor, add_body, chairman, create_database,  # noqa: F401
                             create_dataset, decide, file_proposal, review, unique)
from conftest import parse_json_line
from sharing_setup import granted, grant_account, make_dataset, party

MISSING = 999_999_999_999  # an id no table reaches in a test run (15 digits at most)


def same_answer(a, b):
    """Two error answers alike but for their request ids and the ids they
    were asked about (a message may name the id it was given)."""
    def shape(r):
        body = r.json()
        body["error"].pop("request_id", None)
        return r.status_code, re.sub(r"\d+", "N", str(body))
    return shape(a) == shape(b)


def account(admin, agency_id, roles, name=None):
    return parse_json_line(admin(["account", "create", "--agency", agency_id,
                                  "--name", name or f"acc-{uuid.uuid4().hex[:8]}",
                                  "--roles", roles]))


def row(db, account_id):
    return db("SELECT status, secret_hash FROM accounts WHERE id = %s", (account_id,))[0]


def dic_agency(db):
    return int(db("SELECT id FROM agencies WHERE is_dic = 1")[0][0])


# ------------------------------------------------- 1. accounts of higher roles

def test_the_dic_agencys_focal_point_cannot_take_over_a_dic_admin(api, db, admin):
    dic = dic_agency(db)
    focal = account(admin, dic, "focal_point")
    target = account(admin, dic, "dic_admin")
    ftok = api.token(focal["client_id"], focal["client_secret"])
    before = row(db, target["id"])
    for action in ("rotate-secret", "disable"):
        r = api.post(f"accounts/{target['id']}/{action}", ftok)
        assert r.status_code == 403, r.text
        assert "client_secret" not in r.text
    assert row(db, target["id"]) == before
    # The dic_admin's own secret still works, and nothing else does.
    assert api.token_response(target["client_id"], target["client_secret"]).status_code == 200


def test_a_focal_point_acts_only_on_accounts_whose_roles_it_could_give(
        api, db, admin, new_agency):
    a = new_agency("FPX", "focal_point")
    ftok = api.token(a.client_id, a.client_secret)
    chair = account(admin, a.agency_id, "chairman")
    aud = account(admin, a.agency_id, "auditor")
    mixed = account(admin, a.agency_id, "agency_officer,auditor")
    officer = account(admin, a.agency_id, "agency_officer")
    for target in (chair, aud, mixed):
        before = row(db, target["id"])
        for action in ("rotate-secret", "disable"):
            r = api.post(f"accounts/{target['id']}/{action}", ftok)
            assert r.status_code == 403, (target, action, r.text)
        assert row(db, target["id"]) == before
    # Its peers it still manages: the rotated secret is the only one that works.
    r = api.post(f"accounts/{officer['id']}/rotate-secret", ftok)
    assert r.status_code == 200, r.text
    assert api.token_response(officer["client_id"], r.json()["client_secret"]).status_code == 200
    assert api.token_response(officer["client_id"], officer["client_secret"]).status_code == 401
    assert api.post(f"accounts/{officer['id']}/disable", ftok).status_code == 200
    # And it gives no role it could not act on.
    r = api.post("accounts", ftok, json={"agency_id": a.agency_id, "name": "kiem-toan",
                                          "roles": ["auditor"]})
    assert r.status_code == 403, r.text


def test_a_grants_system_account_is_never_managed_through_accounts(
        api, db, new_agency, admin_token):
    s = granted(api, db, new_agency)
    acc, _ = grant_account(api, s)
    before = row(db, acc["id"])
    for action in ("rotate-secret", "disable"):
        r = api.post(f"accounts/{acc['id']}/{action}", admin_token)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "grant_account"
    assert row(db, acc["id"]) == before


# ------------------------------------------------------- 8. the last admin

def test_the_last_active_dic_admin_cannot_disable_itself(api, db, admin):
    me = account(admin, dic_agency(db), "dic_admin")
    tok = api.token(me["client_id"], me["client_secret"])
    others = [r[0] for r in db(
        "SELECT id FROM accounts WHERE status = 'active' AND (roles & 1) <> 0 "
        "AND id <> %s", (me["id"],))]
    try:
        if others:
            db("UPDATE accounts SET status = 'disabled' WHERE id IN (%s)"
               % ",".join(str(int(i)) for i in others))
        r = api.post(f"accounts/{me['id']}/disable", tok)
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "last_dic_admin"
        assert row(db, me["id"])[0] == "active"
    finally:
        if others:
            db("UPDATE accounts SET status = 'active' WHERE id IN (%s)"
               % ",".join(str(int(i)) for i in others))
    # With another administrator active, it may.
    assert api.post(f"accounts/{me['id']}/disable", tok).status_code == 200


# ------------------------------------------- 2. a system account and its grant

@pytest.fixture(scope="module")
def confined(api, db, new_agency, admin):
    """A grant of provider P to consumer C with C's system account, C's own
    private catalog records, and an officer of an unrelated agency X that
    the system account must be answered exactly like."""
    s = granted(api, db, new_agency)
    acc, systok = grant_account(api, s)
    c = s.consumer
    word = f"kin{uuid.uuid4().hex[:10]}"
    restricted = make_dataset(db, c.agency_id, classification="restricted")
    draft_db = create_database(api, c.token)
    draft = create_dataset(api, c.token, draft_db["id"], title=f"Dữ liệu {word}")["id"]
    db("INSERT INTO services (dataset_id, agency_id, name, protocol, endpoint, version) "
       "VALUES (%s, %s, 'Dịch vụ nội bộ', 'rest', 'https://c.example.vn/x', '1')",
       (restricted, c.agency_id))
    service = int(db("SELECT MAX(id) FROM services WHERE dataset_id = %s",
                     (restricted,))[0][0])
    proposal = file_proposal(api, c.token, add_body())
    # A second grant of C, suspended: the first grant's account must not reach it.
    s2_dataset = make_dataset(db, s.provider.agency_id)
    r = api.post("sharing-requests", c.token, json={
        "dataset_id": s2_dataset, "purpose": "Đối chiếu", "legal_basis": "NĐ 47/2020",
        "fields": ["ma_ho"], "term": "indefinite"})
    assert r.status_code == 201, r.text
    g2 = api.post(f"sharing-requests/{r.json()['id']}/approve", s.provider.token, json={})
    assert g2.status_code == 200, g2.text
    x = party(api, new_agency, "SX")
    return dict(s=s, acc=acc, sys=systok, x=x.token, restricted=restricted, draft=draft,
                draft_db=draft_db["id"], service=service, word=word,
                proposal=proposal["id"], other_dataset=s2_dataset)


@pytest.mark.parametrize("path", [
    "datasets/{restricted}", "datasets/{draft}", "databases/{draft_db}",
    "services/{service}", "catalog/proposals/{proposal}",
    "datasets/{restricted}/files", "datasets/{other_dataset}/files",
])
def test_a_system_account_is_answered_as_a_stranger_on_its_agencys_records(
        api, confined, path):
    url = path.format(**confined)
    as_system = api.get(url, confined["sys"])
    as_stranger = api.get(url, confined["x"])
    assert as_system.status_code == 404, as_system.text
    assert same_answer(as_system, as_stranger)
    absent = api.get(re.sub(r"/\d+", f"/{MISSING}", "/" + url)[1:], confined["sys"])
    assert same_answer(as_system, absent)


def test_a_system_account_lists_none_of_its_agencys_private_records(api, confined):
    c = confined["s"].consumer.agency_id
    tok = confined["sys"]
    ids = lambda r: {i["id"] for i in r.json()["items"]}  # noqa: E731
    r = api.get("datasets", tok, params={"agency_id": c, "limit": 200})
    assert r.status_code == 200 and not ids(r) & {confined["restricted"], confined["draft"]}
    r = api.get("databases", tok, params={"agency_id": c, "limit": 200})
    assert r.status_code == 200 and confined["draft_db"] not in ids(r)
    r = api.get("catalog/proposals", tok, params={"limit": 200})
    assert r.status_code == 200 and confined["proposal"] not in ids(r)
    r = api.get("search", tok, params={"q": confined["word"]})
    assert r.status_code == 200 and r.json()["items"] == [], r.text
    # Its agency's officer does see them: the records are there.
    r = api.get("search", confined["s"].consumer.token, params={"q": confined["word"]})
    assert [i["id"] for i in r.json()["items"]] == [confined["draft"]], r.text
    # Its agency's feed is for its people (a system account's role reads none).
    assert api.get("notifications", tok).status_code == 403


def test_a_system_account_still_reaches_its_own_grant(api, confined):
    s, tok = confined["s"], confined["sys"]
    assert api.get(f"grants/{s.grant['id']}", tok).status_code == 200
    assert api.get(f"datasets/{s.dataset_id}", tok).status_code == 200
    assert api.get(f"datasets/{s.dataset_id}/files", tok).status_code == 200
    assert api.get(f"data/{s.grant['id']}/files", tok).status_code == 200
    me = api.get("auth/me", tok).json()
    assert me["agency_id"] == s.consumer.agency_id


def test_the_consumers_focal_point_rotates_its_systems_secret(
        api, db, new_agency, admin):
    s = granted(api, db, new_agency)
    acc, _ = grant_account(api, s)
    focal = account(admin, s.consumer.agency_id, "focal_point")
    ftok = api.token(focal["client_id"], focal["client_secret"])
    path = f"grants/{s.grant['id']}/accounts/{acc['id']}/rotate-secret"
    # The provider, who knows the first secret, may not choose the next one.
    assert api.post(path, s.provider.token).status_code == 403
    assert api.post(path, s.consumer.token).status_code == 403   # an officer
    r = api.post(path, ftok)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == acc["id"]
    assert api.token_response(acc["client_id"], acc["client_secret"]).status_code == 401
    assert api.token_response(acc["client_id"], r.json()["client_secret"]).status_code == 200
    assert db("SELECT COUNT(*) FROM audit_events WHERE action = "
              "'grant_account.rotate_secret' AND entity_id = %s", (acc["id"],)) == [("1",)]
    assert db("SELECT COUNT(*) FROM notifications WHERE agency_id = %s AND kind = "
              "'grant_account.rotated' AND entity_id = %s",
              (s.provider.agency_id, s.grant["id"])) == [("1",)]
    missing = f"grants/{s.grant['id']}/accounts/{MISSING}/rotate-secret"
    assert api.post(missing, ftok).status_code == 404


# --------------------------------------------------------- 3. the snapshot

def test_a_snapshot_shows_each_caller_what_the_catalog_shows_it(
        api, db, actor, chairman, admin_token):  # noqa: F811
    owner, stranger = actor("SN"), actor("SN")
    p = file_proposal(api, owner.token, add_body())
    assert review(api, admin_token, p["id"], "recommend").status_code == 200
    assert decide(api, chairman.token, p["id"], "approve").status_code == 200
    r = api.post("catalog/versions", chairman.token, json={
        "number": unique("QĐ-UBND"), "decision_ref": "Quyết định 1/QĐ-UBND",
        "issued_on": "2026-03-05"})
    assert r.status_code == 201, r.text
    database = next(c["database_id"] for c in r.json()["snapshot"]["changes"]
                    if c["proposal_id"] == p["id"])
    shared, restricted = unique("Dữ liệu chia sẻ"), unique("Dữ liệu mật")
    for title, cls in ((shared, "shared"), (restricted, "restricted")):
        db("INSERT INTO datasets (database_id, title, classification, status, "
           "published_at, fields_json) VALUES (%s, %s, %s, 'published', "
           "UTC_TIMESTAMP(6), '[]')", (database, title, cls))
    p2 = file_proposal(api, owner.token, {"kind": "modify", "database_id": database,
                                          "objective": "Mục tiêu mới", "reason": "Bổ sung"})
    assert review(api, admin_token, p2["id"], "recommend").status_code == 200
    assert decide(api, chairman.token, p2["id"], "approve").status_code == 200
    r = api.post("catalog/versions", chairman.token, json={
        "number": unique("QĐ-UBND"), "decision_ref": "Quyết định 2/QĐ-UBND",
        "issued_on": "2026-03-06"})
    assert r.status_code == 201, r.text
    vid = r.json()["id"]

    def titles(token):
        v = api.get(f"catalog/versions/{vid}", token)
        assert v.status_code == 200, v.text
        dbs = [b for b in v.json()["snapshot"]["databases"] if b["id"] == database]
        assert len(dbs) == 1   # the issued database itself is public record
        return {d["title"] for d in dbs[0]["datasets"]}

    assert titles(stranger.token) == {shared}
    assert titles(owner.token) == {shared, restricted}
    assert titles(admin_token) == {shared, restricted}


# -------------------------------------------- 4. DIC is a role, not an agency

def test_an_officer_of_the_dic_agency_is_not_dic_on_disputes(api, db, admin, new_agency):
    dic_officer = account(admin, dic_agency(db), "agency_officer")
    tok = api.token(dic_officer["client_id"], dic_officer["client_secret"])
    a, b = party(api, new_agency, "DA"), party(api, new_agency, "DB")
    r = api.post("disputes", a.token, json={
        "subject": "Dữ liệu sai", "category": "data", "description": "Sai ngày cấp.",
        "agency_id": b.agency_id})
    assert r.status_code == 201, r.text
    did = r.json()["id"]
    listed = api.get("disputes", tok, params={"agency_id": a.agency_id, "limit": 200})
    assert listed.status_code == 200
    assert did not in {d["id"] for d in listed.json()["items"]}
    shown = api.get(f"disputes/{did}", tok)
    assert shown.status_code == 404
    assert same_answer(shown, api.get(f"disputes/{MISSING}", tok))
    c = api.post(f"disputes/{did}/comments", tok, json={"body": "Ý kiến"})
    assert c.status_code == 404
    assert db("SELECT COUNT(*) FROM dispute_comments WHERE dispute_id = %s",
              (did,)) == [("0",)]


# ------------------------------ 5. a dispute about a record the filer cannot see

def test_a_dispute_about_an_unseen_dataset_is_answered_as_about_none(
        api, db, new_agency):
    owner, filer = party(api, new_agency, "DO"), party(api, new_agency, "DF")
    restricted = make_dataset(db, owner.agency_id, classification="restricted")
    draft = make_dataset(db, owner.agency_id, status="draft")
    seen = make_dataset(db, owner.agency_id)

    def file(ds):
        return api.post("disputes", filer.token, json={
            "subject": "Dữ liệu sai", "category": "data", "description": "Sai.",
            "object_type": "dataset", "object_id": ds})

    before = db("SELECT COUNT(*) FROM disputes")
    answers = [file(ds) for ds in (restricted, draft, MISSING)]
    for r in answers:
        assert r.status_code == 422, r.text
        assert "agency_id" not in r.text and str(owner.agency_id) not in r.text
    assert same_answer(answers[0], answers[2]) and same_answer(answers[1], answers[2])
    assert db("SELECT COUNT(*) FROM disputes") == before
    r = file(seen)
    assert r.status_code == 201, r.text
    assert r.json()["assignee_agency_id"] == owner.agency_id


# --------------------------------- 6. the planned suspensions of an unseen service

def test_an_unseen_services_planned_suspensions_are_404_as_for_none(
        api, db, new_agency):
    owner, other = party(api, new_agency, "PO"), party(api, new_agency, "PX")
    restricted = make_dataset(db, owner.agency_id, classification="restricted")
    db("INSERT INTO services (dataset_id, agency_id, name, protocol, endpoint, version) "
       "VALUES (%s, %s, 'Dịch vụ nội bộ', 'rest', 'https://o.example.vn/x', '1')",
       (restricted, owner.agency_id))
    sid = int(db("SELECT MAX(id) FROM services WHERE dataset_id = %s", (restricted,))[0][0])
    unseen = api.get(f"services/{sid}/planned-suspensions", other.token)
    assert unseen.status_code == 404, unseen.text
    assert same_answer(unseen, api.get(f"services/{sid}", other.token))
    assert same_answer(unseen, api.get(f"services/{MISSING}/planned-suspensions",
                                       other.token))
    assert api.get(f"services/{sid}/planned-suspensions", owner.token).status_code == 200
