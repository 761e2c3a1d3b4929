"""Termination of grants (R7.4; Decree 47/2020 Art. 44):
modules/suspension/terminations.c."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from suspension_helpers import (actions, error_fields, grant_account,
                                grant_moves, grant_status, make_grant, notes,
                                suspension_body, tok)

TERMINATION = {"reason": "Vi phạm lặp lại sau hai lần tạm dừng",
               "legal_ground": "serious_or_repeated_breach"}


@pytest.fixture
def pair(new_agency, api):
    provider, consumer = new_agency("TP"), new_agency("TC")
    return provider, consumer, make_grant(api, provider, consumer)


def terminate(api, token, grant, body=None):
    return api.post(f"grants/{grant}/termination", token,
                    json=TERMINATION if body is None else body)


def test_termination_is_final_and_revokes_the_grants_accounts(api, db, pair):
    provider, consumer, grant = pair
    (a0, sys_token), (a1, _) = (grant_account(api, provider, grant, f"ht-{i}")
                                for i in range(2))
    acc = [a0, a1]
    assert api.get("auth/me", sys_token).status_code == 200
    r = terminate(api, tok(api, provider), grant)
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["grant_id"] == grant and t["previous_status"] == "active"
    assert t["accounts_revoked"] == 2 and t["imposed_by"] == "provider"
    assert t["legal_ground"] == "serious_or_repeated_breach"
    assert t["dispute"]["body"] == {
        "subject": f"Termination of grant {grant}", "category": "suspension",
        "object_type": "grant", "object_id": grant}
    assert grant_status(db, grant) == "terminated"
    for a in acc:
        assert db("SELECT status FROM accounts WHERE id = %s",
                  (a["id"],)) == [("revoked",)]
        assert actions(db, "account", a["id"])[-1] == "account.revoke"
    # A revoked account's token stops working at once.
    assert api.get("auth/me", sys_token).status_code == 401
    assert api.token_response(acc[1]["client_id"],
                              acc[1]["client_secret"]).status_code == 401
    assert actions(db, "termination", t["id"]) == ["termination.create"]
    assert grant_moves(db, grant) == ["grant.terminate"]
    assert notes(db, consumer.agency_id, "grant.terminated", t["id"])
    assert api.get(f"grants/{grant}/termination",
                   tok(api, consumer)).json()["id"] == t["id"]
    # Final: no new account either (Art. 17.2.a), a new request is needed.
    r = api.post(f"grants/{grant}/accounts", tok(api, provider),
                 json={"name": "ht-moi"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "grant_terminated"
    # The consumer opens a dispute on it with the call it was given.
    r = api.post(t["dispute"]["path"], tok(api, consumer),
                 json=dict(t["dispute"]["body"], description="Không đồng ý"))
    assert r.status_code == 201, r.text
    assert r.json()["assignee_agency_id"] == provider.agency_id


def test_terminated_grant_cannot_be_lifted_suspended_or_terminated_again(
        api, db, pair):
    provider, _, grant = pair
    ptok = tok(api, provider)
    sid = api.post(f"grants/{grant}/suspensions", ptok,
                   json=suspension_body(db)).json()["id"]
    t = terminate(api, ptok, grant)
    assert t.status_code == 201 and t.json()["previous_status"] == "suspended"
    for r in (api.post(f"suspensions/{sid}/lift", ptok, json={"note": "ok"}),
              api.post(f"grants/{grant}/suspensions", ptok,
                       json=suspension_body(db)),
              terminate(api, ptok, grant)):
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "grant_terminated"
    assert grant_status(db, grant) == "terminated"
    assert db("SELECT state FROM suspensions WHERE grant_id = %s",
              (grant,)) == [("in_force",)]
    assert db("SELECT COUNT(*) FROM terminations WHERE grant_id = %s",
              (grant,)) == [("1",)]


def test_termination_needs_reason_and_known_ground(api, db, pair):
    provider, _, grant = pair
    r = terminate(api, tok(api, provider), grant, {})
    assert r.status_code == 422 and error_fields(r) == {"reason", "legal_ground"}
    r = terminate(api, tok(api, provider), grant,
                  {"reason": "  ", "legal_ground": "regulation_breach"})
    assert r.status_code == 422 and error_fields(r) == {"reason", "legal_ground"}
    assert grant_status(db, grant) == "active"


def test_only_provider_or_dic_terminates(api, db, pair, new_agency):
    provider, consumer, grant = pair
    assert terminate(api, tok(api, consumer), grant).status_code == 403
    assert terminate(api, tok(api, new_agency("TX")), grant).status_code == 404
    assert grant_status(db, grant) == "active"
    assert api.get(f"grants/{grant}/termination",
                   tok(api, provider)).status_code == 404


def test_dic_terminates_and_the_provider_is_told(api, db, pair, admin_token):
    provider, consumer, grant = pair
    r = terminate(api, admin_token, grant,
                  {"reason": "Quyết định của cơ quan có thẩm quyền",
                   "legal_ground": "authority_decision"})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["imposed_by"] == "dic"
    assert notes(db, provider.agency_id, "grant.terminated", t["id"])
    assert notes(db, consumer.agency_id, "grant.terminated", t["id"])


def race(*calls):
    """Runs the calls at the same moment, each in its own thread."""
    start = threading.Barrier(len(calls))

    def go(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(go, c) for c in calls]]


def test_racing_lift_and_terminate_leave_a_consistent_grant(api, db,
                                                            new_agency):
    provider, consumer = new_agency("TP"), new_agency("TC")
    ptok = tok(api, provider)
    outcomes = set()
    for _ in range(6):
        grant = make_grant(api, provider, consumer)
        acc, _ = grant_account(api, provider, grant)
        sid = api.post(f"grants/{grant}/suspensions", ptok,
                       json=suspension_body(db)).json()["id"]
        lifted, ended = race(
            lambda: api.post(f"suspensions/{sid}/lift", ptok,
                             json={"note": "ok"}),
            lambda: terminate(api, ptok, grant))
        assert ended.status_code == 201, ended.text
        assert grant_status(db, grant) == "terminated"
        assert db("SELECT status FROM accounts WHERE id = %s",
                  (acc["id"],)) == [("revoked",)]
        state = db("SELECT state FROM suspensions WHERE id = %s", (sid,))[0][0]
        if lifted.status_code == 200:
            # The lift went first: reactivated, then terminated.
            assert state == "lifted"
            assert ended.json()["previous_status"] == "active"
            assert grant_moves(db, grant) == [
                "grant.suspend", "grant.reactivate", "grant.terminate"]
        else:
            assert lifted.status_code == 409, lifted.text
            assert lifted.json()["error"]["code"] == "grant_terminated"
            assert state == "in_force"
            assert ended.json()["previous_status"] == "suspended"
            assert grant_moves(db, grant) == ["grant.suspend",
                                                   "grant.terminate"]
        outcomes.add(lifted.status_code)
    assert outcomes <= {200, 409}


def test_no_account_outlives_a_racing_termination(api, db, new_agency):
    provider, consumer = new_agency("TP"), new_agency("TC")
    ptok = tok(api, provider)
    for _ in range(6):
        grant = make_grant(api, provider, consumer)
        issued, ended = race(
            lambda: api.post(f"grants/{grant}/accounts", ptok,
                             json={"name": "ht-dua"}),
            lambda: terminate(api, ptok, grant))
        assert ended.status_code == 201, ended.text
        assert issued.status_code in (201, 409), issued.text
        assert db("SELECT COUNT(*) FROM accounts WHERE grant_id = %s "
                  "AND status = 'active'", (grant,)) == [("0",)]
        assert ended.json()["accounts_revoked"] == (
            1 if issued.status_code == 201 else 0)


def test_terminations_are_listed_for_each_side_and_dic(api, db, new_agency,
                                                       admin_token):
    p, c, x = new_agency("TP"), new_agency("TC"), new_agency("TX")
    g = make_grant(api, p, c)
    tid = terminate(api, tok(api, p), g).json()["id"]

    def ids(token, **params):
        r = api.get("terminations", token, params=params)
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()["items"]}

    assert tid in ids(tok(api, p)) and tid in ids(tok(api, c))
    assert tid not in ids(tok(api, x))
    assert ids(admin_token, grant_id=g) == {tid}
    assert ids(admin_token, agency_id=c.agency_id) == {tid}
    assert api.get(f"grants/{g}/termination", tok(api, x)).status_code == 404
