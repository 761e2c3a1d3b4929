"""The sharing module's tick (sweep.c): what a passing deadline calls for
is written down and notified when it passes, with no request to the
module in between (the master runs the sweep; the test stack every
second). Each test changes a date by SQL and then only reads the
database."""

from sharing_setup import (audit_actions, eventually, file_request, granted,
                           make_dataset, notifications, party)


def sides(api, db, new_agency):
    provider = party(api, new_agency, "WP")
    consumer = party(api, new_agency, "WC")
    return provider, consumer, make_dataset(db, provider.agency_id)


def past_due(db, request_id):
    db("UPDATE sharing_requests SET due_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR "
       "WHERE id = %s", (request_id,))


def told_due(db, provider, request_id):
    def check():
        """the provider is told the request fell due"""
        return notifications(db, provider.agency_id, "sharing_request.due",
                             request_id)
    return eventually(check)


def test_a_request_falls_due_with_no_traffic_and_its_provider_is_told_once(
        api, db, new_agency):
    provider, consumer, ds = sides(api, db, new_agency)
    late = file_request(api, consumer, ds)
    on_time = file_request(api, consumer, ds)
    past_due(db, late["id"])

    assert told_due(db, provider, late["id"]) == 1
    assert db("SELECT due_notified_at IS NOT NULL FROM sharing_requests "
              "WHERE id = %s", (late["id"],)) == [("1",)]
    assert audit_actions(db, "sharing_request", late["id"]).count(
        "sharing_request.due") == 1
    # A later request falling due shows a later sweep ran: the first is
    # not told again, and the one still in time is not told at all.
    again = file_request(api, consumer, ds)
    past_due(db, again["id"])
    told_due(db, provider, again["id"])
    assert notifications(db, provider.agency_id, "sharing_request.due",
                         late["id"]) == 1
    assert notifications(db, provider.agency_id, "sharing_request.due",
                         on_time["id"]) == 0
    assert notifications(db, consumer.agency_id, "sharing_request.due",
                         late["id"]) == 0


def test_a_request_decided_before_the_sweep_is_not_told_due(api, db, new_agency):
    provider, consumer, ds = sides(api, db, new_agency)
    decided = file_request(api, consumer, ds)
    assert api.post(f"sharing-requests/{decided['id']}/approve",
                    token=provider.token, json={}).status_code == 200
    past_due(db, decided["id"])
    later = file_request(api, consumer, ds)
    past_due(db, later["id"])

    told_due(db, provider, later["id"])
    assert notifications(db, provider.agency_id, "sharing_request.due",
                         decided["id"]) == 0
    assert db("SELECT due_notified_at FROM sharing_requests WHERE id = %s",
              (decided["id"],)) == [(None,)]


def test_a_grant_past_its_end_is_written_expired_with_no_traffic_and_both_sides_told(
        api, db, new_agency):
    s = granted(api, db, new_agency)
    gid = s.grant["id"]
    db("UPDATE grants SET ends_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
       "WHERE id = %s", (gid,))

    def expired():
        """the grant's row says expired"""
        return db("SELECT status FROM grants WHERE id = %s", (gid,)) == [("expired",)]
    eventually(expired)
    for agency in (s.provider.agency_id, s.consumer.agency_id):
        assert notifications(db, agency, "grant.expired", gid) == 1
    assert audit_actions(db, "grant", gid).count("grant.expire") == 1
