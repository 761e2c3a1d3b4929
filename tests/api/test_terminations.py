"""Termination of grants (R7.4; Decree 47/2020 Art. 44):
modules/suspension/terminations.c."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import parse_json_line
from suspension_helpers import (actions, error_fields, grant_status,
                                make_grant, notes, suspension_body, tok)

TERMINATION = {"reason": "Vi phạm lặp lại sau hai lần tạm dừng",
               "legal_ground": "serious_or_repeated_breach"}


@pytest.fixture
def pair(new_agency, db):
    provider, consumer = new_agency("TP"), new_agency("TC")
    return provider, consumer, make_grant(db, provider, consumer)


def system_account(admin, consumer, grant):
    """A consumer system's account on the grant (Art. 16.2.e)."""
    return parse_json_line(admin(["account", "create", "--agency",
                                  consumer.agency_id, "--name",
                                  f"system-{grant}", "--roles", "system",
                                  "--grant", grant]))


def terminate(api, token, grant, body=None):
    return api.post(f"grants/{grant}/termination", token,
                    json=TERMINATION if body is None else body)


def test_termination_is_final_and_revokes_the_grants_accounts(api, db, admin,
                                                              pair):
    provider, consumer, grant = pair
    acc = [system_account(admin, consumer, grant) for _ in range(2)]
    sys_token = api.token(acc[0]["client_id"], acc[0]["client_secret"])
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
    assert actions(db, "grant", grant) == ["grant.terminate"]
    assert notes(db, consumer.agency_id, "grant.terminated", t["id"])
    assert api.get(f"grants/{grant}/termination",
                   tok(api, consumer)).json()["id"] == t["id"]
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


def test_racing_lift_and_terminate_leave_a_consistent_grant(api, db, admin,
                                                            new_agency):
    provider, consumer = new_agency("TP"), new_agency("TC")
    ptok = tok(api, provider)
    outcomes = set()
    for _ in range(6):
        grant = make_grant(db, provider, consumer)
        acc = system_account(admin, consumer, grant)
        sid = api.post(f"grants/{grant}/suspensions", ptok,
                       json=suspension_body(db)).json()["id"]
        start = threading.Barrier(2)

        def go(call):
            start.wait()
            return call()

        with ThreadPoolExecutor(2) as pool:
            lifted = pool.submit(go, lambda: api.post(
                f"suspensions/{sid}/lift", ptok, json={"note": "ok"}))
            ended = pool.submit(go, lambda: terminate(api, ptok, grant))
            lifted, ended = lifted.result(), ended.result()
        assert ended.status_code == 201, ended.text
        assert grant_status(db, grant) == "terminated"
        assert db("SELECT status FROM accounts WHERE id = %s",
                  (acc["id"],)) == [("revoked",)]
        state = db("SELECT state FROM suspensions WHERE id = %s", (sid,))[0][0]
        if lifted.status_code == 200:
            # The lift went first: reactivated, then terminated.
            assert state == "lifted"
            assert ended.json()["previous_status"] == "active"
            assert actions(db, "grant", grant) == [
                "grant.suspend", "grant.reactivate", "grant.terminate"]
        else:
            assert lifted.status_code == 409, lifted.text
            assert lifted.json()["error"]["code"] == "grant_terminated"
            assert state == "in_force"
            assert ended.json()["previous_status"] == "suspended"
            assert actions(db, "grant", grant) == ["grant.suspend",
                                                   "grant.terminate"]
        outcomes.add(lifted.status_code)
    assert outcomes <= {200, 409}


def test_terminations_are_listed_for_each_side_and_dic(api, db, new_agency,
                                                       admin_token):
    p, c, x = new_agency("TP"), new_agency("TC"), new_agency("TX")
    g = make_grant(db, p, c)
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
