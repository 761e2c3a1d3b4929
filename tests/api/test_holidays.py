"""The holiday calendar DIC keeps and the working-day arithmetic that the
decision deadline (Decree 47/2020 Art. 35.3) counts on."""

import datetime
import random

from sharing_setup import party


_years = iter(random.sample(range(2200, 2900), 50))


def far_week():
    """A Monday in a far year no other test touches, and its Friday before."""
    monday = datetime.date(next(_years), 1, 1)
    monday += datetime.timedelta(days=(7 - monday.weekday()) % 7 + 7)
    return monday, monday - datetime.timedelta(days=3)


def working_day(api, start, days):
    r = api.get("/api/v1/holidays/working-days",
                params={"from": start.isoformat(), "days": days})
    assert r.status_code == 200, r.text
    return r.json()["date"]


def test_working_days_skip_weekends(api):
    monday, friday = far_week()
    assert working_day(api, friday, 1) == monday.isoformat()
    assert working_day(api, friday, 2) == (monday + datetime.timedelta(days=1)).isoformat()
    assert working_day(api, friday - datetime.timedelta(days=1), 0) == \
        (friday - datetime.timedelta(days=1)).isoformat()


def test_working_days_skip_the_holidays_dic_adds(api, admin_token, db):
    monday, friday = far_week()
    tuesday = monday + datetime.timedelta(days=1)
    for day in (monday, tuesday):
        r = api.post("holidays", token=admin_token,
                     json={"day": day.isoformat(), "name": "Nghỉ bù",
                           "name_en": "Day off in lieu"})
        assert r.status_code == 201, r.text
    assert working_day(api, friday, 2) == (monday + datetime.timedelta(days=3)).isoformat()
    listed = api.get("/api/v1/holidays", params={"year": monday.year}).json()["items"]
    assert [h["day"] for h in listed] == [monday.isoformat(), tuesday.isoformat()]
    assert db("SELECT COUNT(*) FROM audit_events WHERE action = 'holiday.create' "
              "AND entity_id = %s", (int(monday.strftime("%Y%m%d")),)) == [("1",)]
    r = api.delete(f"holidays/{tuesday.strftime('%Y%m%d')}", token=admin_token)
    assert r.status_code == 200, r.text
    # Monday is still off: Tuesday and Wednesday are the two working days
    assert working_day(api, friday, 2) == (tuesday + datetime.timedelta(days=1)).isoformat()
    assert api.delete(f"holidays/{tuesday.strftime('%Y%m%d')}",
                      token=admin_token).status_code == 404


def test_only_dic_keeps_the_calendar(api, new_agency, admin_token):
    officer = party(api, new_agency, "HO")
    monday, _ = far_week()
    body = {"day": monday.isoformat(), "name": "Tết"}
    assert api.post("holidays", token=officer.token, json=body).status_code == 403
    assert api.post("holidays", token=admin_token, json=body).status_code == 201
    assert api.post("holidays", token=admin_token, json=body).status_code == 409
    assert api.delete(f"holidays/{monday.strftime('%Y%m%d')}",
                      token=officer.token).status_code == 403


def test_bad_calendar_input_is_422(api, admin_token):
    assert api.post("holidays", token=admin_token,
                    json={"day": "2027-02-30", "name": "x"}).status_code == 422
    assert api.get("/api/v1/holidays/working-days",
                   params={"from": "tomorrow"}).status_code == 422
    assert api.get("/api/v1/holidays/working-days",
                   params={"from": "2027-01-01", "days": "-1"}).status_code == 422
