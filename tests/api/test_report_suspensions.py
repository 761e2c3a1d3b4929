"""GET /reports/suspensions (R7, R9.3): suspensions recorded in the range
by legal ground, notices sent late (Art. 16.2.h), terminations by ground.
Suspensions and terminations are made through the suspension module's API."""

from datetime import timedelta

from report_helpers import by, db_now, make_grant, recent, report, rfc3339
from sharing_setup import party


def suspend(api, db, who, grant, ground, hours_ago) -> dict:
    """A suspension determined hours_ago (the consumer is told now: past
    suspension_notice_hours, 24 by default, the notice is late)."""
    r = api.post(f"grants/{grant['id']}/suspensions", who, json={
        "violation": "Chuyển dữ liệu cho bên thứ ba ngoài mục đích",
        "legal_ground": ground,
        "determined_at": rfc3339(db_now(db) - timedelta(hours=hours_ago)),
        "handling_plan": "Rà soát nhật ký truy cập",
        "consumer_action": "Báo cáo việc sử dụng dữ liệu trong 5 ngày làm việc"})
    assert r.status_code == 201, r.text
    return r.json()


def terminate(api, who, grant, ground):
    r = api.post(f"grants/{grant['id']}/termination", who,
                 json={"reason": "Chấm dứt kết nối", "legal_ground": ground})
    assert r.status_code == 201, r.text
    return r.json()


def hours_late(db, suspension_id) -> float:
    (row,) = db("SELECT ROUND(TIMESTAMPDIFF(MICROSECOND, notice_due_at, notice_sent_at)"
                " / 3600000000, 2) FROM suspensions WHERE id = %s", (suspension_id,))
    return float(row[0])


def test_suspensions_by_ground_late_notices_and_terminations(api, db, new_agency,
                                                              admin_token):
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    g1, g2, g3, g4, g5 = (make_grant(api, db, provider, consumer) for _ in range(5))
    lifted = suspend(api, db, provider.token, g1, "regulation_breach", 1)
    r = api.post(f"suspensions/{lifted['id']}/lift", provider.token,
                 json={"note": "Đơn vị đã khắc phục"})
    assert r.status_code == 200, r.text
    late2 = suspend(api, db, provider.token, g2, "security_risk", 72)
    late3 = suspend(api, db, provider.token, g3, "regulation_breach", 30)
    r = api.post(f"grants/{g4['id']}/accounts", provider.token,
                 json={"name": "he-thong-tiep-nhan"})  # revoked by the termination
    assert r.status_code == 201, r.text
    terminate(api, provider.token, g4, "purpose_ended")
    terminate(api, admin_token, g5, "authority_decision")

    body = report(api, admin_token, "suspensions", agency_id=consumer.agency_id,
                  **recent(db))
    assert body["summary"] == {"suspensions": 3, "in_force": 2, "lifted": 1,
                               "late_notices": 2}
    assert body["by_ground"] == [
        {"legal_ground": "regulation_breach", "suspensions": 2, "in_force": 1,
         "lifted": 1, "late_notices": 1},
        {"legal_ground": "security_risk", "suspensions": 1, "in_force": 1,
         "lifted": 0, "late_notices": 1}]
    (mine,) = body["by_provider"]
    assert (mine["agency_id"], mine["suspensions"], mine["late_notices"]) == \
        (provider.agency_id, 3, 2)
    assert [x["suspension_id"] for x in body["late_notices"]] == [late2["id"], late3["id"]]
    row = by(body["late_notices"], "suspension_id", late2["id"])
    assert (row["grant_id"], row["consumer_agency_id"], row["legal_ground"],
            row["imposed_by"]) == (g2["id"], consumer.agency_id, "security_risk",
                                   "provider")
    # determined 72 hours ago, due 24 hours after: 48 hours late
    assert row["hours_late"] == hours_late(db, late2["id"])
    assert 48 <= row["hours_late"] < 49
    assert 6 <= by(body["late_notices"], "suspension_id",
                   late3["id"])["hours_late"] < 7
    assert body["terminations"] == {"terminations": 2, "imposed_by_dic": 1,
                                    "accounts_revoked": 1}
    assert body["terminations_by_ground"] == [
        {"legal_ground": "authority_decision", "terminations": 1, "imposed_by_dic": 1,
         "accounts_revoked": 0},
        {"legal_ground": "purpose_ended", "terminations": 1, "imposed_by_dic": 0,
         "accounts_revoked": 1}]
    assert db("SELECT COUNT(*) FROM suspensions WHERE consumer_agency_id = %s "
              "AND notice_late = 1", (consumer.agency_id,)) == [("2",)]


def test_suspensions_recorded_before_the_range_are_left_out(api, db, new_agency,
                                                            admin_token):
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    suspend(api, db, provider.token, make_grant(api, db, provider, consumer),
            "regulation_breach", 1)
    body = report(api, admin_token, "suspensions", agency_id=consumer.agency_id,
                  **{"from": "2024-01-01", "to": "2024-12-31"})
    assert body["summary"]["suspensions"] == 0 and body["by_ground"] == []
    body = report(api, admin_token, "suspensions", agency_id=provider.agency_id,
                  **recent(db))
    assert body["summary"]["suspensions"] == 1
