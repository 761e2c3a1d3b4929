"""GET /reports/disputes (R8, R9.3): tickets filed in the range by category
and state, time to acknowledge and to resolve, overdue counts, and who
holds them."""

from dispute_support import dic_agency_id, filed, moved
from report_helpers import by, recent, report
from sharing_setup import party


def times(db, dispute_id, **hours):
    """Moves a ticket's times, in hours after its filing, as if its handler
    had taken that long (SQL as root: the API records the present only).
    created_at is moved back by the largest so nothing lies ahead."""
    back = max(hours.values())
    sets = ", ".join(f"{col} = created_at + INTERVAL {int(h * 3600)} SECOND"
                     for col, h in hours.items())
    db(f"UPDATE disputes SET created_at = created_at - INTERVAL {back} HOUR, "
       f"{sets} WHERE id = %s", (dispute_id,))


def test_figures_of_five_tickets(api, db, new_agency, admin_token):
    filer, provider = party(api, new_agency, "RF"), party(api, new_agency, "RQ")
    dic = dic_agency_id(db)
    p = provider.agency_id

    # 1: data, acknowledged after 1 hour, resolved after 20, then closed
    t1 = filed(api, filer.token, agency_id=p)
    for to in ("acknowledged", "in_progress", "resolved"):
        moved(api, provider.token, t1["id"], to, "Đã xử lý" if to == "resolved" else None)
    moved(api, filer.token, t1["id"], "closed")
    times(db, t1["id"], acknowledged_at=1, resolved_at=20)
    # 2: data, 3 and 40 hours, resolved after its resolve limit (30 hours)
    t2 = filed(api, filer.token, agency_id=p)
    for to in ("acknowledged", "in_progress", "resolved"):
        moved(api, provider.token, t2["id"], to, "Đã xử lý" if to == "resolved" else None)
    times(db, t2["id"], acknowledged_at=3, resolved_at=40, resolve_due_at=30)
    # 3: technical, to DIC, still open past its acknowledge limit
    t3 = filed(api, filer.token, category="technical", agency_id=p)
    db("UPDATE disputes SET ack_due_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR "
       "WHERE id = %s", (t3["id"],))
    # 4: access, rejected by the provider
    t4 = filed(api, filer.token, category="access", agency_id=p)
    moved(api, provider.token, t4["id"], "rejected", "Không thuộc thẩm quyền")
    # 5: data, escalated to DIC, which acknowledges 5 hours after the
    # escalation (30 after the filing: the round counts, not the filing)
    t5 = filed(api, filer.token, agency_id=p)
    r = api.post(f"disputes/{t5['id']}/escalate", filer.token,
                 json={"reason": "Chưa được phản hồi"})
    assert r.status_code == 200, r.text
    moved(api, admin_token, t5["id"], "acknowledged")
    times(db, t5["id"], escalated_at=25, acknowledged_at=30)

    body = report(api, admin_token, "disputes", agency_id=filer.agency_id, **recent(db))
    assert body["summary"] == {"filed": 5, "overdue": 1, "overdue_acknowledge": 1,
                               "overdue_resolve": 0, "resolved_late": 1,
                               "escalated": 1}
    assert body["by_state"] == {"open": 1, "acknowledged": 1, "in_progress": 0,
                                "resolved": 1, "closed": 1, "rejected": 1}
    # in the order the schema lists the categories
    assert [c["category"] for c in body["by_category"]] == ["data", "technical",
                                                            "access"]
    data = by(body["by_category"], "category", "data")
    assert (data["filed"], data["acknowledged"], data["resolved"], data["closed"],
            data["overdue"]) == (3, 1, 1, 1, 0)
    assert by(body["by_category"], "category", "technical")["overdue"] == 1
    assert by(body["by_category"], "category", "access")["rejected"] == 1
    # acknowledge: 1, 3, 5 hours; resolve: 20, 40 hours (PERCENTILE_CONT)
    assert body["time_to_acknowledge"] == {"count": 3, "median_hours": 3,
                                           "p90_hours": 4.6}
    assert body["time_to_resolve"] == {"count": 2, "median_hours": 30,
                                       "p90_hours": 38}
    mine = by(body["by_assignee"], "agency_id", p)
    assert {k: mine[k] for k in ("assigned", "unresolved", "overdue", "resolved_late",
                                 "mean_hours_to_resolve")} == \
        {"assigned": 3, "unresolved": 0, "overdue": 0, "resolved_late": 1,
         "mean_hours_to_resolve": 30}
    theirs = by(body["by_assignee"], "agency_id", dic)
    assert (theirs["assigned"], theirs["unresolved"], theirs["overdue"],
            theirs["mean_hours_to_resolve"]) == (2, 2, 1, None)
    # The same tickets through the provider: the agency concerned by each
    # (the technical one went to DIC, the escalated one left it).
    body = report(api, admin_token, "disputes", agency_id=p, **recent(db))
    assert (body["summary"]["filed"], body["summary"]["overdue"]) == (5, 1)


def test_a_reopened_ticket_has_no_resolution_time_until_resolved_again(
        api, db, new_agency, admin_token):
    filer, provider = party(api, new_agency, "RF"), party(api, new_agency, "RQ")
    t = filed(api, filer.token, agency_id=provider.agency_id)
    for to in ("acknowledged", "in_progress", "resolved"):
        moved(api, provider.token, t["id"], to)
    moved(api, filer.token, t["id"], "in_progress")          # reopened once
    body = report(api, admin_token, "disputes", agency_id=filer.agency_id, **recent(db))
    assert body["time_to_resolve"] == {"count": 0, "median_hours": None,
                                       "p90_hours": None}
    assert body["time_to_acknowledge"]["count"] == 1
    assert body["by_state"]["in_progress"] == 1


def test_tickets_filed_before_the_range_are_left_out(api, db, new_agency, admin_token):
    filer, provider = party(api, new_agency, "RF"), party(api, new_agency, "RQ")
    t = filed(api, filer.token, agency_id=provider.agency_id)
    filed(api, filer.token, agency_id=provider.agency_id)
    db("UPDATE disputes SET created_at = '2024-02-02 02:02:02' WHERE id = %s", (t["id"],))
    now = report(api, admin_token, "disputes", agency_id=filer.agency_id, **recent(db))
    then = report(api, admin_token, "disputes", agency_id=filer.agency_id,
                  **{"from": "2024-02-02", "to": "2024-02-02"})
    assert (now["summary"]["filed"], then["summary"]["filed"]) == (1, 1)
