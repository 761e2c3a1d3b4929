"""Suspensions of grants and their lifting (R7.1-R7.3; Art. 16.1.g,
16.2.h; Decree 47/2020 Art. 43): modules/suspension/suspensions.c and
lifts.c."""

import datetime as dt

import pytest

from suspension_helpers import (CSV, actions, db_now, download, error_fields,
                                expire_grant, grant_account, grant_moves,
                                grant_status, iso, last_access, make_grant,
                                notes, provider_dataset, suspension_body, tok,
                                upload)

REQUIRED = {"violation", "legal_ground", "determined_at", "handling_plan",
            "consumer_action"}


@pytest.fixture
def pair(new_agency, api):
    """A provider, a consumer and an active grant between them."""
    provider, consumer = new_agency("SP"), new_agency("SC")
    return provider, consumer, make_grant(api, provider, consumer)


def suspend(api, db, token, grant, **over):
    return api.post(f"grants/{grant}/suspensions", token,
                    json=suspension_body(db, **over))


def lift(api, token, sid, note="Đơn vị đã khắc phục và nộp báo cáo"):
    return api.post(f"suspensions/{sid}/lift", token, json={"note": note})


# ------------------------------------------------------------- suspending

def test_provider_suspends_grant_and_consumer_is_noticed_in_time(api, db, pair):
    provider, consumer, grant = pair
    r = suspend(api, db, tok(api, provider), grant)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["grant_id"] == grant and s["state"] == "in_force"
    assert s["provider_agency_id"] == provider.agency_id
    assert s["consumer_agency_id"] == consumer.agency_id
    assert s["imposed_by"] == "provider" and s["scope"] == "grant"
    assert s["grant_status"] == "suspended"
    assert s["legal_ground"] == "regulation_breach"
    assert s["notice_late"] is False
    assert grant_status(db, grant) == "suspended"
    # The notice: the consumer's notification, written with the record.
    (nid,) = notes(db, consumer.agency_id, "suspension.notice", s["id"])
    assert s["notice_notification_id"] == nid
    row = db("SELECT s.notice_sent_at = n.created_at, s.notice_late, "
             "TIMESTAMPDIFF(HOUR, s.determined_at, s.notice_due_at) "
             "FROM suspensions s JOIN notifications n "
             "ON n.id = s.notice_notification_id WHERE s.id = %s", (s["id"],))
    assert row == [("1", "0", "24")]
    assert actions(db, "suspension", s["id"]) == ["suspension.create"]
    assert grant_moves(db, grant) == ["grant.suspend"]
    # The consumer sees it in its feed with what it must do.
    feed = api.get("notifications", tok(api, consumer)).json()["items"]
    notice = [n for n in feed if n["kind"] == "suspension.notice"]
    assert notice and notice[0]["entity_id"] == s["id"]


def test_gateway_refuses_a_suspended_grant_until_lifted(api, db, pair):
    provider, consumer, grant = pair
    fid = upload(api, provider, provider_dataset(api, provider))
    _, system = grant_account(api, provider, grant)
    r = download(api, grant, fid, system)
    assert r.status_code == 200 and r.content == CSV
    sid = suspend(api, db, tok(api, provider), grant).json()["id"]
    # R7.3: from the moment it is recorded, the grant serves nothing.
    r = download(api, grant, fid, system)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "grant_suspended"
    assert last_access(db, grant) == ("refused", "grant_suspended", "403")
    r = download(api, grant, fid, tok(api, consumer))
    assert r.status_code == 403
    assert lift(api, tok(api, provider), sid).status_code == 200
    r = download(api, grant, fid, system)
    assert r.status_code == 200 and r.content == CSV
    assert last_access(db, grant) == ("delivered", None, "200")


def test_missing_fields_are_422_naming_each(api, db, pair):
    provider, _, grant = pair
    r = api.post(f"grants/{grant}/suspensions", tok(api, provider), json={})
    assert r.status_code == 422, r.text
    assert error_fields(r) == REQUIRED
    assert grant_status(db, grant) == "active"
    assert db("SELECT COUNT(*) FROM suspensions WHERE grant_id = %s",
              (grant,)) == [("0",)]


def test_blank_text_and_unknown_ground_are_422(api, db, pair):
    provider, _, grant = pair
    r = suspend(api, db, tok(api, provider), grant, violation="   ",
                consumer_action="\n", legal_ground="because")
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"violation", "consumer_action", "legal_ground"}
    ground = [d for d in r.json()["error"]["details"]
              if d["field"] == "legal_ground"][0]
    assert "security_risk" in ground["problem"]  # names the accepted codes
    assert grant_status(db, grant) == "active"


def test_determination_in_the_future_is_422(api, db, pair):
    provider, _, grant = pair
    r = suspend(api, db, tok(api, provider), grant,
                determined_at=iso(db_now(db) + dt.timedelta(hours=2)))
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"determined_at"}


def test_notice_after_a_day_is_late_and_listed_for_dic(api, db, pair, new_agency,
                                                        admin_token):
    provider, consumer, grant = pair
    ptok = tok(api, provider)
    late = suspend(api, db, ptok, grant,
                   determined_at=iso(db_now(db) - dt.timedelta(hours=25)))
    assert late.status_code == 201, late.text
    assert late.json()["notice_late"] is True
    timely = suspend(api, db, ptok, grant,
                     determined_at=iso(db_now(db) - dt.timedelta(hours=23)))
    assert timely.json()["notice_late"] is False
    assert db("SELECT notice_late FROM suspensions WHERE id = %s",
              (late.json()["id"],)) == [("1",)]
    r = api.get("suspensions", admin_token,
                params={"late_notice": "true", "grant_id": grant})
    assert r.status_code == 200
    assert [s["id"] for s in r.json()["items"]] == [late.json()["id"]]


def test_consumer_cannot_suspend_and_others_do_not_see_the_grant(api, db, pair,
                                                                 new_agency):
    provider, consumer, grant = pair
    r = suspend(api, db, tok(api, consumer), grant)
    assert r.status_code == 403, r.text
    r = suspend(api, db, tok(api, new_agency("SX")), grant)
    assert r.status_code == 404, r.text
    auditor = new_agency("SA", roles="auditor")
    assert suspend(api, db, tok(api, auditor), grant).status_code == 403
    assert grant_status(db, grant) == "active"


def test_unknown_grant_is_404(api, db, admin_token):
    assert suspend(api, db, admin_token, 999999999).status_code == 404


def test_expired_grant_cannot_be_suspended(api, db, pair):
    provider, _, grant = pair
    expire_grant(db, grant)
    r = suspend(api, db, tok(api, provider), grant)
    assert r.status_code == 409 and r.json()["error"]["code"] == "grant_expired"
    assert db("SELECT COUNT(*) FROM suspensions WHERE grant_id = %s",
              (grant,)) == [("0",)]


def test_dic_suspension_is_lifted_only_by_dic(api, db, pair, admin_token):
    provider, consumer, grant = pair
    r = suspend(api, db, admin_token, grant, legal_ground="security_risk")
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["imposed_by"] == "dic"
    assert notes(db, provider.agency_id, "suspension.recorded", s["id"])
    assert notes(db, consumer.agency_id, "suspension.notice", s["id"])
    r = lift(api, tok(api, provider), s["id"])
    assert r.status_code == 403, r.text
    assert grant_status(db, grant) == "suspended"
    r = lift(api, admin_token, s["id"])
    assert r.status_code == 200, r.text
    assert r.json()["grant_status"] == "active"
    assert notes(db, provider.agency_id, "suspension.lifted", s["id"])


# ---------------------------------------------------------------- lifting

def test_two_suspensions_one_lifted_grant_stays_suspended(api, db, pair):
    provider, consumer, grant = pair
    ptok = tok(api, provider)
    first = suspend(api, db, ptok, grant).json()
    second = suspend(api, db, ptok, grant,
                     legal_ground="security_risk").json()
    assert second["grant_status"] == "suspended"
    assert grant_moves(db, grant) == ["grant.suspend"]  # once
    r = lift(api, ptok, first["id"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "lifted" and body["grant_status"] == "suspended"
    assert body["lift_note"] == "Đơn vị đã khắc phục và nộp báo cáo"
    assert body["lifted_by_agency_id"] == provider.agency_id
    assert grant_status(db, grant) == "suspended"
    r = lift(api, ptok, second["id"])
    assert r.json()["grant_status"] == "active"
    assert grant_status(db, grant) == "active"
    assert grant_moves(db, grant) == ["grant.suspend", "grant.reactivate"]
    assert actions(db, "suspension", first["id"]) == ["suspension.create",
                                                      "suspension.lift"]
    assert notes(db, consumer.agency_id, "suspension.lifted", first["id"])


def test_lift_needs_a_note_and_the_provider(api, db, pair, new_agency):
    provider, consumer, grant = pair
    sid = suspend(api, db, tok(api, provider), grant).json()["id"]
    r = api.post(f"suspensions/{sid}/lift", tok(api, provider), json={})
    assert r.status_code == 422 and error_fields(r) == {"note"}
    r = api.post(f"suspensions/{sid}/lift", tok(api, provider),
                 json={"note": " "})
    assert r.status_code == 422 and error_fields(r) == {"note"}
    assert lift(api, tok(api, consumer), sid).status_code == 403
    assert lift(api, tok(api, new_agency("SX")), sid).status_code == 404
    assert db("SELECT state FROM suspensions WHERE id = %s", (sid,)) == [("in_force",)]


def test_lifting_twice_is_409(api, db, pair):
    provider, _, grant = pair
    ptok = tok(api, provider)
    sid = suspend(api, db, ptok, grant).json()["id"]
    assert lift(api, ptok, sid).status_code == 200
    r = lift(api, ptok, sid)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_in_force"
    assert actions(db, "suspension", sid).count("suspension.lift") == 1


def test_lift_after_the_grant_ended_leaves_it_expired(api, db, pair):
    provider, _, grant = pair
    ptok = tok(api, provider)
    sid = suspend(api, db, ptok, grant).json()["id"]
    expire_grant(db, grant)
    r = lift(api, ptok, sid)
    assert r.status_code == 200, r.text
    assert r.json()["grant_status"] == "expired"
    assert grant_status(db, grant) == "expired"
    assert grant_moves(db, grant)[-1] == "grant.expire"


def test_racing_lifts_give_one_200_and_one_409(api, db, pair):
    from concurrent.futures import ThreadPoolExecutor
    provider, _, grant = pair
    ptok = tok(api, provider)
    sid = suspend(api, db, ptok, grant).json()["id"]
    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(lambda _: lift(api, ptok, sid).status_code,
                                range(4)))
    assert codes == [200, 409, 409, 409]
    assert grant_status(db, grant) == "active"
    assert grant_moves(db, grant) == ["grant.suspend", "grant.reactivate"]


# --------------------------------------------------- a whole consumer agency

def test_agency_suspension_covers_every_live_grant_with_that_provider(
        api, db, new_agency):
    provider, consumer = new_agency("SP"), new_agency("SC")
    other_consumer, other_provider = new_agency("SD"), new_agency("SQ")
    ptok = tok(api, provider)
    g1 = make_grant(api, provider, consumer)
    g2 = make_grant(api, provider, consumer)
    g3 = make_grant(api, provider, consumer)       # ended: left alone
    expire_grant(db, g3)
    already = suspend(api, db, ptok, g2).json()   # stays under both
    g_other = make_grant(api, provider, other_consumer)
    g_foreign = make_grant(api, other_provider, consumer)
    r = api.post(f"agencies/{consumer.agency_id}/suspensions", ptok,
                 json=suspension_body(db, legal_ground="security_risk"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["consumer_agency_id"] == consumer.agency_id
    assert body["provider_agency_id"] == provider.agency_id
    assert sorted(s["grant_id"] for s in body["items"]) == [g1, g2]
    assert {s["scope"] for s in body["items"]} == {"agency"}
    for g in (g1, g2):
        assert grant_status(db, g) == "suspended"
    assert grant_status(db, g_other) == "active"
    assert grant_status(db, g_foreign) == "active"
    assert db("SELECT COUNT(*) FROM suspensions WHERE grant_id IN (%s, %s)",
              (g3, g_other)) == [("0",)]
    for s in body["items"]:
        assert notes(db, consumer.agency_id, "suspension.notice", s["id"])
        assert actions(db, "suspension", s["id"]) == ["suspension.create"]
    # Lifting the older suspension does not reconnect g2.
    assert lift(api, ptok, already["id"]).json()["grant_status"] == "suspended"


def test_agency_suspension_without_live_grants_is_409(api, db, new_agency):
    provider, consumer = new_agency("SP"), new_agency("SC")
    r = api.post(f"agencies/{consumer.agency_id}/suspensions", tok(api, provider),
                 json=suspension_body(db))
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_live_grants"


def test_agency_suspension_for_another_provider_is_dic_only(api, db, new_agency,
                                                            admin_token):
    provider, consumer, other = new_agency("SP"), new_agency("SC"), new_agency("SX")
    grant = make_grant(api, provider, consumer)
    body = suspension_body(db, provider_agency_id=provider.agency_id)
    r = api.post(f"agencies/{consumer.agency_id}/suspensions", tok(api, other),
                 json=body)
    assert r.status_code == 403, r.text
    assert grant_status(db, grant) == "active"
    r = api.post(f"agencies/{consumer.agency_id}/suspensions", admin_token,
                 json=body)
    assert r.status_code == 201, r.text
    assert [s["imposed_by"] for s in r.json()["items"]] == ["dic"]
    assert grant_status(db, grant) == "suspended"


def test_agency_suspension_of_unknown_agency_is_404(api, db, new_agency):
    r = api.post("agencies/999999999/suspensions", tok(api, new_agency("SP")),
                 json=suspension_body(db))
    assert r.status_code == 404, r.text


def test_agency_suspension_missing_fields_are_422(api, db, new_agency):
    consumer = new_agency("SC")
    r = api.post(f"agencies/{consumer.agency_id}/suspensions",
                 tok(api, new_agency("SP")), json={"violation": "x"})
    assert r.status_code == 422
    assert error_fields(r) == REQUIRED - {"violation"}


# ---------------------------------------------------------------- reading

def test_each_side_reads_only_its_own_and_dic_reads_all(api, db, new_agency,
                                                        admin_token):
    p, c, x = new_agency("SP"), new_agency("SC"), new_agency("SX")
    g = make_grant(api, p, c)
    g_x = make_grant(api, x, new_agency("SY"))
    sid = suspend(api, db, tok(api, p), g).json()["id"]
    sid_x = suspend(api, db, tok(api, x), g_x).json()["id"]

    def ids(token, **params):
        """Every id of the list, page after page (other tests fill it)."""
        found, params = set(), dict(params, limit=200)
        while True:
            r = api.get("suspensions", token, params=params)
            assert r.status_code == 200, r.text
            found |= {s["id"] for s in r.json()["items"]}
            if not r.json()["next_cursor"]:
                return found
            params["cursor"] = r.json()["next_cursor"]

    for side in (p, c):
        assert sid in ids(tok(api, side))
        assert sid_x not in ids(tok(api, side))
        assert api.get(f"suspensions/{sid}", tok(api, side)).status_code == 200
    assert api.get(f"suspensions/{sid}", tok(api, x)).status_code == 404
    assert api.get(f"grants/{g}/suspensions", tok(api, x)).status_code == 404
    assert {sid, sid_x} <= ids(admin_token)
    assert ids(admin_token, agency_id=c.agency_id) == {sid}
    assert ids(admin_token, grant_id=g_x) == {sid_x}
    assert ids(tok(api, c), state="lifted") == set()
    r = api.get(f"grants/{g}/suspensions", tok(api, c))
    assert [s["id"] for s in r.json()["items"]] == [sid]


def test_list_filters_are_checked(api, admin_token):
    r = api.get("suspensions", admin_token, params={"state": "gone"})
    assert r.status_code == 422 and error_fields(r) == {"state"}
    r = api.get("suspensions", admin_token, params={"late_notice": "yes"})
    assert r.status_code == 422 and error_fields(r) == {"late_notice"}


def test_list_pages_by_cursor(api, db, pair):
    provider, consumer, grant = pair
    ptok = tok(api, provider)
    made = [suspend(api, db, ptok, grant).json()["id"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "grant_id": grant}
        if cursor:
            params["cursor"] = cursor
        body = api.get("suspensions", ptok, params=params).json()
        seen += [s["id"] for s in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == made


def test_consumer_reads_its_suspension_with_the_dispute_call(api, db, pair):
    provider, consumer, grant = pair
    sid = suspend(api, db, tok(api, provider), grant).json()["id"]
    r = api.get(f"suspensions/{sid}", tok(api, consumer))
    assert r.status_code == 200, r.text
    call = r.json()["dispute"]
    assert call["method"] == "POST" and call["path"] == "/api/v1/disputes"
    assert call["body"]["category"] == "suspension"
    assert call["body"]["object_type"] == "suspension"
    assert call["body"]["object_id"] == sid
    assert call["to_fill"] == ["description"]
    # The call works as given, once the consumer says what is wrong, and
    # goes to the provider (Art. 18.1).
    r = api.post(call["path"], tok(api, consumer),
                 json=dict(call["body"], description="Chúng tôi đã khắc phục"))
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["object_type"], d["object_id"]) == ("suspension", sid)
    assert d["assignee_agency_id"] == provider.agency_id


def test_grounds_and_limits_are_published(api, admin_token):
    r = api.get("suspensions/grounds", admin_token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["suspension_grounds"] == ["regulation_breach", "security_risk",
                                          "provider_maintenance",
                                          "authority_request"]
    assert "authority_decision" in body["termination_grounds"]
    assert body["suspension_notice_hours"] == 24
    assert body["planned_notice_workdays"] == 7
