"""Concurrency (issue 7, item 5): 50 clients race the same state
transition, each on its own connection (one requests.Session per thread),
released together by a barrier. Exactly one wins (2xx), every other one
gets 409, the database holds one consistent final state, and the audit
trail holds exactly one row for the change (R10.2; DESIGN.md: transitions
are conditional UPDATEs decided in the database)."""

from dispute_support import filed, party
from race_support import race_posts
from sharing_setup import Party, file_request, make_dataset
from suspension_helpers import (actions, grant_moves, grant_status, make_grant,
                                suspension_body, tok)

CLIENTS = 50


def race(api, path, token, body, clients=CLIENTS):
    """POSTs body to path from `clients` threads at once; returns the
    responses' (status, error code or None), sorted by status."""
    results = [(r.status_code, r.json()["error"]["code"] if r.status_code >= 400
                else None)
               for r in race_posts(api, path, token, [body] * clients)]
    return sorted(results, key=lambda x: x[0])


def assert_one_winner(results, win_status):
    statuses = [s for s, _ in results]
    assert statuses.count(win_status) == 1, results
    assert statuses.count(409) == len(results) - 1, results


def audit_count(db, action, entity, entity_id):
    return int(db("SELECT COUNT(*) FROM audit_events WHERE action = %s AND "
                  "entity = %s AND entity_id = %s",
                  (action, entity, entity_id))[0][0])


def test_fifty_racing_approvals_make_one_grant(api, db, new_agency):
    provider, consumer = new_agency("CP"), new_agency("CC")
    ptok, ctok = tok(api, provider), tok(api, consumer)
    dataset = make_dataset(db, provider.agency_id)
    req = file_request(api, Party(consumer.agency_id, consumer.account_id, ctok),
                       dataset)
    results = race(api, f"sharing-requests/{req['id']}/approve", ptok, {})
    assert_one_winner(results, 200)
    assert db("SELECT status FROM sharing_requests WHERE id = %s",
              (req["id"],)) == [("approved",)]
    grants = db("SELECT id, status FROM grants WHERE request_id = %s", (req["id"],))
    assert len(grants) == 1 and grants[0][1] == "active", grants
    assert audit_count(db, "sharing_request.approve", "sharing_request",
                       req["id"]) == 1
    assert actions(db, "grant", int(grants[0][0])) == ["grant.create"]
    assert int(db("SELECT COUNT(*) FROM notifications WHERE kind = "
                  "'sharing_request.approved' AND entity_id = %s",
                  (req["id"],))[0][0]) == 1


def test_fifty_racing_lifts_lift_once(api, db, new_agency):
    provider, consumer = new_agency("CP"), new_agency("CC")
    grant = make_grant(api, provider, consumer)
    ptok = tok(api, provider)
    r = api.post(f"grants/{grant}/suspensions", ptok, json=suspension_body(db))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    results = race(api, f"suspensions/{sid}/lift", ptok,
                   {"note": "Đơn vị đã khắc phục"})
    assert_one_winner(results, 200)
    assert {c for s, c in results if s == 409} == {"not_in_force"}
    assert db("SELECT state FROM suspensions WHERE id = %s", (sid,)) == [("lifted",)]
    assert grant_status(db, grant) == "active"
    assert actions(db, "suspension", sid) == ["suspension.create", "suspension.lift"]
    assert grant_moves(db, grant) == ["grant.suspend", "grant.reactivate"]


def test_fifty_racing_terminations_terminate_once(api, db, new_agency):
    provider, consumer = new_agency("CP"), new_agency("CC")
    grant = make_grant(api, provider, consumer)
    results = race(api, f"grants/{grant}/termination", tok(api, provider),
                   {"reason": "Vi phạm nghiêm trọng",
                    "legal_ground": "serious_or_repeated_breach"})
    assert_one_winner(results, 201)
    assert grant_status(db, grant) == "terminated"
    terms = db("SELECT id FROM terminations WHERE grant_id = %s", (grant,))
    assert len(terms) == 1, terms
    assert actions(db, "termination", int(terms[0][0])) == ["termination.create"]
    assert grant_moves(db, grant) == ["grant.terminate"]


def test_fifty_racing_dispute_steps_take_one(api, db, new_agency):
    filer = party(api, new_agency, "CF")
    provider = party(api, new_agency, "CR")
    ticket = filed(api, filer.token, agency_id=provider.agency_id)
    results = race(api, f"disputes/{ticket['id']}/transition", provider.token,
                   {"to": "acknowledged"})
    assert_one_winner(results, 200)
    assert db("SELECT state FROM disputes WHERE id = %s",
              (ticket["id"],)) == [("acknowledged",)]
    assert [e[0] for e in db("SELECT action FROM dispute_events WHERE "
                             "dispute_id = %s ORDER BY id", (ticket["id"],))] \
        == ["file", "acknowledge"]
    assert audit_count(db, "dispute.acknowledge", "dispute", ticket["id"]) == 1
