"""Usage reports (R6.1; Art. 16.1.e): the provider requires one, the
consumer answers, overdue ones are listed."""

from sharing_setup import audit_actions, granted, in_days, notifications, party


def ask(api, s, **over):
    body = {"question": "Báo cáo tình hình khai thác dữ liệu quý I",
            "due_at": in_days(10)}
    body.update(over)
    return api.post(f"grants/{s.grant['id']}/usage-report-requests",
                    token=s.provider.token, json=body)


def test_provider_asks_consumer_answers(api, db, new_agency):
    s = granted(api, db, new_agency)
    r = ask(api, s)
    assert r.status_code == 201, r.text
    u = r.json()
    assert u["status"] == "requested" and u["overdue"] is False
    assert notifications(db, s.consumer.agency_id, "usage_report.requested", u["id"]) == 1
    r = api.post(f"usage-reports/{u['id']}/answer", token=s.consumer.token,
                 json={"answer": "Đã khai thác 1.250 lượt, phục vụ 3 thủ tục"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "answered" and r.json()["answered_by"] == \
        s.consumer.account_id
    assert notifications(db, s.provider.agency_id, "usage_report.answered", u["id"]) == 1
    assert audit_actions(db, "usage_report", u["id"]) == [
        "usage_report.request", "usage_report.answer"]
    assert api.post(f"usage-reports/{u['id']}/answer", token=s.consumer.token,
                    json={"answer": "again"}).status_code == 409
    listed = api.get(f"grants/{s.grant['id']}/usage-report-requests",
                     token=s.provider.token).json()["items"]
    assert [x["id"] for x in listed] == [u["id"]]


def test_wrong_sides_are_refused(api, db, new_agency):
    s = granted(api, db, new_agency)
    r = api.post(f"grants/{s.grant['id']}/usage-report-requests",
                 token=s.consumer.token, json={"question": "q", "due_at": in_days(3)})
    assert r.status_code == 403
    u = ask(api, s).json()
    assert api.post(f"usage-reports/{u['id']}/answer", token=s.provider.token,
                    json={"answer": "a"}).status_code == 403
    other = party(api, new_agency, "UO")
    assert api.get(f"usage-reports/{u['id']}", token=other.token).status_code == 404
    assert api.post(f"grants/{s.grant['id']}/usage-report-requests", token=other.token,
                    json={"question": "q", "due_at": in_days(3)}).status_code == 404


def test_a_due_date_in_the_past_or_missing_fields_are_422(api, db, new_agency):
    s = granted(api, db, new_agency)
    assert ask(api, s, due_at=in_days(-1)).status_code == 422
    r = api.post(f"grants/{s.grant['id']}/usage-report-requests",
                 token=s.provider.token, json={})
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["error"]["details"]} == {"question", "due_at"}


def test_overdue_reports_are_listed(api, db, admin_token, new_agency):
    s = granted(api, db, new_agency)
    late = ask(api, s).json()
    fine = ask(api, s).json()
    db("UPDATE usage_report_requests SET due_at = UTC_TIMESTAMP(6) - INTERVAL 1 DAY "
       "WHERE id = %s", (late["id"],))
    for tok in (s.provider.token, s.consumer.token, admin_token):
        items = api.get("usage-reports", token=tok,
                        params={"overdue": "true", "limit": 200}).json()["items"]
        ids = [x["id"] for x in items]
        assert late["id"] in ids and fine["id"] not in ids
    assert api.get(f"usage-reports/{late['id']}",
                   token=s.consumer.token).json()["overdue"] is True
