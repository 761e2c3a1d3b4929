"""GET /reports/sharing-requests (R9.3): requests filed in the range by
state, provider and consumer, and the time providers took to decide."""

from report_helpers import by, report, this_year
from sharing_setup import file_request, make_dataset, party


def decide(api, provider, req, how):
    if how == "approve":
        r = api.post(f"sharing-requests/{req['id']}/approve", provider.token, json={})
    else:
        r = api.post(f"sharing-requests/{req['id']}/refuse", provider.token,
                     json={"reason": "Dữ liệu đang được chuẩn hóa"})
    assert r.status_code == 200, r.text


def test_counts_by_state_provider_and_consumer(api, db, new_agency, admin_token):
    p1, p2 = party(api, new_agency, "RP"), party(api, new_agency, "RP")
    consumer = party(api, new_agency, "RC")
    d1, d2 = make_dataset(db, p1.agency_id), make_dataset(db, p2.agency_id)
    for how in ("approve", "approve", "refuse"):
        decide(api, p1, file_request(api, consumer, d1), how)
    withdrawn = file_request(api, consumer, d2)
    assert api.post(f"sharing-requests/{withdrawn['id']}/withdraw",
                    consumer.token).status_code == 200
    file_request(api, consumer, d2)                       # still submitted

    body = report(api, admin_token, "sharing-requests", agency_id=consumer.agency_id,
                  **this_year(db))
    assert body["agency_id"] == consumer.agency_id
    assert body["summary"] == {"filed": 5, "decided": 3, "pending": 1, "overdue": 0}
    assert body["by_state"] == {"submitted": 1, "approved": 2, "refused": 1,
                                "withdrawn": 1}
    assert [row["agency_id"] for row in body["by_provider"]] == \
        sorted([p1.agency_id, p2.agency_id])
    row = by(body["by_provider"], "agency_id", p1.agency_id)
    assert {k: row[k] for k in ("filed", "submitted", "approved", "refused",
                                "withdrawn", "overdue")} == \
        {"filed": 3, "submitted": 0, "approved": 2, "refused": 1, "withdrawn": 0,
         "overdue": 0}
    assert row["name"] == db("SELECT name FROM agencies WHERE id = %s",
                             (p1.agency_id,))[0][0]
    row = by(body["by_provider"], "agency_id", p2.agency_id)
    assert (row["filed"], row["submitted"], row["withdrawn"],
            row["mean_hours_to_decide"]) == (2, 1, 1, None)
    assert [(r["agency_id"], r["filed"], r["approved"]) for r in body["by_consumer"]] == \
        [(consumer.agency_id, 5, 2)]
    # The provider's own view of the same requests.
    body = report(api, admin_token, "sharing-requests", agency_id=p1.agency_id,
                  **this_year(db))
    assert body["by_state"] == {"submitted": 0, "approved": 2, "refused": 1,
                                "withdrawn": 0}
    assert [r["agency_id"] for r in body["by_consumer"]] == [consumer.agency_id]


def test_median_and_90th_percentile_time_to_decide(api, db, new_agency, admin_token):
    """Decisions 1, 2 and 10 hours after filing: median 2, 90th percentile
    8.4 (rank 0.9 x 2 = 1.8, between 2 and 10, as PERCENTILE_CONT). The
    filing times are moved back with SQL: that stands for the hours the
    provider took."""
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    ds = make_dataset(db, provider.agency_id)
    for hours, how in ((1, "approve"), (2, "refuse"), (10, "approve")):
        req = file_request(api, consumer, ds)
        decide(api, provider, req, how)
        db("UPDATE sharing_requests SET created_at = decided_at - INTERVAL %s HOUR "
           "WHERE id = %s", (hours, req["id"]))
    withdrawn = file_request(api, consumer, ds)           # not a decision
    api.post(f"sharing-requests/{withdrawn['id']}/withdraw", consumer.token)
    file_request(api, consumer, ds)                        # not decided yet

    body = report(api, admin_token, "sharing-requests", agency_id=provider.agency_id,
                  **this_year(db))
    assert body["time_to_decide"] == {"count": 3, "median_hours": 2, "p90_hours": 8.4}
    assert by(body["by_provider"], "agency_id",
              provider.agency_id)["mean_hours_to_decide"] == 4.33
    assert db("SELECT COUNT(*) FROM sharing_requests WHERE provider_agency_id = %s "
              "AND decided_at IS NOT NULL", (provider.agency_id,)) == [("3",)]


def test_undecided_request_past_its_deadline_is_overdue(api, db, new_agency,
                                                        admin_token):
    """The decision deadline is moved into the past with SQL (time passing)."""
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    ds = make_dataset(db, provider.agency_id)
    late = file_request(api, consumer, ds)
    file_request(api, consumer, ds)                        # within its deadline
    db("UPDATE sharing_requests SET due_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR "
       "WHERE id = %s", (late["id"],))
    body = report(api, admin_token, "sharing-requests", agency_id=consumer.agency_id,
                  **this_year(db))
    assert body["summary"]["overdue"] == 1
    assert body["summary"]["pending"] == 2
    assert by(body["by_provider"], "agency_id", provider.agency_id)["overdue"] == 1
    # decided after its deadline, it is no longer overdue
    decide(api, provider, late, "approve")
    body = report(api, admin_token, "sharing-requests", agency_id=consumer.agency_id,
                  **this_year(db))
    assert (body["summary"]["overdue"], body["summary"]["pending"]) == (0, 1)


def test_requests_filed_before_the_range_are_left_out(api, db, new_agency, admin_token):
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    ds = make_dataset(db, provider.agency_id)
    old = file_request(api, consumer, ds)
    file_request(api, consumer, ds)
    db("UPDATE sharing_requests SET created_at = '2024-06-01 03:00:00' WHERE id = %s",
       (old["id"],))
    this = report(api, admin_token, "sharing-requests", agency_id=consumer.agency_id,
                  **this_year(db))
    then = report(api, admin_token, "sharing-requests", agency_id=consumer.agency_id,
                  **{"from": "2024-01-01", "to": "2024-12-31"})
    assert (this["summary"]["filed"], then["summary"]["filed"]) == (1, 1)
