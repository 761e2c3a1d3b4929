"""The states of a ticket (R8.3): open -> acknowledged -> in_progress ->
resolved -> closed, or rejected with a reason; each step by the assignee,
closing also by the filer, who may instead reopen a resolved ticket once."""

import concurrent.futures

import pytest

from dispute_support import (audit_actions, error_fields, events, filed, move,
                             moved, notified, party)


@pytest.fixture
def filer(api, new_agency):
    return party(api, new_agency, "TF")


@pytest.fixture
def provider(api, new_agency):
    return party(api, new_agency, "TP")


@pytest.fixture
def ticket(api, filer, provider):
    return filed(api, filer.token, agency_id=provider.agency_id)


def state_of(db, dispute_id):
    return db("SELECT state FROM disputes WHERE id = %s", (dispute_id,))[0][0]


def test_assignee_takes_each_step_and_filer_closes(api, db, filer, provider,
                                                   ticket):
    i = ticket["id"]
    a = moved(api, provider.token, i, "acknowledged")
    assert a["state"] == "acknowledged" and a["acknowledged_at"]
    assert moved(api, provider.token, i, "in_progress")["state"] == "in_progress"
    r = moved(api, provider.token, i, "resolved", "Đã bổ sung trường còn thiếu")
    assert r["state"] == "resolved" and r["resolved_at"]
    assert r["resolution"] == "Đã bổ sung trường còn thiếu"
    c = moved(api, filer.token, i, "closed")
    assert c["state"] == "closed" and c["closed_at"]
    assert state_of(db, i) == "closed"
    assert [(e[0], e[1], e[2], e[5]) for e in events(db, i)] == [
        ("file", None, "open", str(filer.agency_id)),
        ("acknowledge", "open", "acknowledged", str(provider.agency_id)),
        ("start", "acknowledged", "in_progress", str(provider.agency_id)),
        ("resolve", "in_progress", "resolved", str(provider.agency_id)),
        ("close", "resolved", "closed", str(filer.agency_id)),
    ]
    assert audit_actions(db, i) == [
        "dispute.file", "dispute.acknowledge", "dispute.start",
        "dispute.resolve", "dispute.close"]
    before, after = db("SELECT JSON_VALUE(before_json, '$.state'), "
                       "JSON_VALUE(after_json, '$.state') FROM audit_events "
                       "WHERE entity = 'dispute' AND entity_id = %s AND "
                       "action = 'dispute.resolve'", (i,))[0]
    assert (before, after) == ("in_progress", "resolved")
    # Each step notifies the other side.
    for kind in ("acknowledge", "start", "resolve"):
        assert notified(db, i, f"dispute.{kind}") == {filer.agency_id}
    assert notified(db, i, "dispute.close") == {provider.agency_id}


def test_assignee_may_close_a_resolved_ticket(api, filer, provider, ticket):
    for to in ("acknowledged", "in_progress", "resolved"):
        moved(api, provider.token, ticket["id"], to)
    assert moved(api, provider.token, ticket["id"], "closed")["state"] == "closed"


def test_filer_cannot_take_the_assignees_steps_403(api, db, filer, ticket):
    for to in ("acknowledged", "resolved", "rejected"):
        r = move(api, filer.token, ticket["id"], to, "lý do")
        assert r.status_code == 403, (to, r.text)
    # The filer does move a ticket to in_progress (reopening a resolved
    # one): from open that is the wrong state, not the wrong actor.
    r = move(api, filer.token, ticket["id"], "in_progress")
    assert r.status_code == 409, r.text
    assert state_of(db, ticket["id"]) == "open"


def test_dic_watching_cannot_take_steps_403(api, admin_token, ticket):
    r = move(api, admin_token, ticket["id"], "acknowledged")
    assert r.status_code == 403, r.text


def test_auditor_cannot_take_steps_403(api, new_agency, ticket):
    auditor = party(api, new_agency, "TA", "auditor")
    r = move(api, auditor.token, ticket["id"], "acknowledged")
    assert r.status_code == 403, r.text


@pytest.mark.parametrize("to", ["in_progress", "resolved", "closed"])
def test_skipping_a_state_is_409(api, db, provider, ticket, to):
    r = move(api, provider.token, ticket["id"], to)
    assert r.status_code == 409, r.text
    assert state_of(db, ticket["id"]) == "open"
    assert len(events(db, ticket["id"])) == 1


def test_closing_an_open_ticket_as_filer_is_409(api, filer, ticket):
    r = move(api, filer.token, ticket["id"], "closed")
    assert r.status_code == 409, r.text


def test_unknown_target_state_is_422(api, provider, ticket):
    r = move(api, provider.token, ticket["id"], "open")
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"to"}
    r = api.post(f"disputes/{ticket['id']}/transition", provider.token,
                 json={"to": "acknowledged", "note": "x"})
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"note"}


def test_rejection_without_reason_is_422(api, db, provider, ticket):
    r = move(api, provider.token, ticket["id"], "rejected")
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"reason"}
    assert state_of(db, ticket["id"]) == "open"


@pytest.mark.parametrize("steps", [[], ["acknowledged"],
                                   ["acknowledged", "in_progress"]])
def test_rejection_with_reason_ends_the_ticket(api, db, filer, provider,
                                               ticket, steps):
    for to in steps:
        moved(api, provider.token, ticket["id"], to)
    r = moved(api, provider.token, ticket["id"], "rejected",
              "Dữ liệu không do cơ quan cung cấp")
    assert r["state"] == "rejected" and r["rejected_at"]
    assert r["rejection_reason"] == "Dữ liệu không do cơ quan cung cấp"
    assert events(db, ticket["id"])[-1][0] == "reject"
    assert events(db, ticket["id"])[-1][6] == "Dữ liệu không do cơ quan cung cấp"
    assert notified(db, ticket["id"], "dispute.reject") == {filer.agency_id}
    for to in ("acknowledged", "in_progress", "resolved", "closed"):
        assert move(api, provider.token, ticket["id"], to).status_code == 409


def test_resolved_ticket_cannot_be_rejected_409(api, provider, ticket):
    for to in ("acknowledged", "in_progress", "resolved"):
        moved(api, provider.token, ticket["id"], to)
    r = move(api, provider.token, ticket["id"], "rejected", "muộn")
    assert r.status_code == 409, r.text


def test_filer_reopens_a_resolved_ticket_once(api, db, filer, provider, ticket):
    i = ticket["id"]
    for to in ("acknowledged", "in_progress", "resolved"):
        moved(api, provider.token, i, to)
    # The assignee may not reopen its own resolution.
    assert move(api, provider.token, i, "in_progress").status_code == 403
    r = moved(api, filer.token, i, "in_progress", "Vẫn còn thiếu dữ liệu")
    assert r["state"] == "in_progress"
    assert r["reopen_count"] == 1
    assert r["resolved_at"] is None
    assert events(db, i)[-1][:3] == ("reopen", "resolved", "in_progress")
    assert notified(db, i, "dispute.reopen") == {provider.agency_id}
    moved(api, provider.token, i, "resolved", "Đã bổ sung")
    r = move(api, filer.token, i, "in_progress", "again")
    assert r.status_code == 409, r.text
    assert "once" in r.json()["error"]["message"]
    assert moved(api, filer.token, i, "closed")["state"] == "closed"
    assert db("SELECT reopen_count FROM disputes WHERE id = %s", (i,)) == [("1",)]


def test_racing_acknowledgements_give_one_200(api, db, provider, ticket):
    def ack(_):
        return move(api, provider.token, ticket["id"], "acknowledged").status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(ack, range(8)))
    assert codes == [200] + [409] * 7
    assert [e[0] for e in events(db, ticket["id"])] == ["file", "acknowledge"]
    assert audit_actions(db, ticket["id"]).count("dispute.acknowledge") == 1


def test_racing_escalation_and_acknowledgement_keep_a_true_history(
        api, db, filer, provider, ticket):
    def go(who):
        if who == "filer":
            return api.post(f"disputes/{ticket['id']}/escalate", filer.token,
                            json={"reason": "chậm"}).status_code
        return move(api, provider.token, ticket["id"], "acknowledged").status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        codes = list(pool.map(go, ["filer", "provider"]))
    # Whichever wins, a loser is 403 (no longer its step) or 409 (changed
    # meanwhile), and each winner wrote exactly one step of a history that
    # links up: every step starts where the previous one ended.
    assert 200 in codes and set(codes) <= {200, 403, 409}, codes
    ev = events(db, ticket["id"])
    assert len(ev) == 1 + codes.count(200)
    for prev, step in zip(ev, ev[1:]):
        assert step[1] == prev[2], ev
        assert step[3] == prev[4], ev
    last = ev[-1]
    assert db("SELECT state, assignee_agency_id FROM disputes WHERE id = %s",
              (ticket["id"],)) == [(last[2], last[4])]
