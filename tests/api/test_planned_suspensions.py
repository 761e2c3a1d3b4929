"""Planned suspensions of a whole service (Decree 47/2020 Art. 43.1):
modules/suspension/planned.c."""

import datetime as dt

import pytest

from suspension_helpers import (CSV, actions, db_now, download, error_fields,
                                expire_grant, grant_account, iso, last_access,
                                make_grant, make_service, notes,
                                service_dataset, suspension_body, tok, upload)

OFFSET = dt.timezone(dt.timedelta(hours=7))  # utc_offset_minutes=420


def local_today(db) -> dt.date:
    return db_now(db).astimezone(OFFSET).date()


def earliest_regular_start(db, workdays=7) -> dt.date:
    """The day after the 7th working day after today (local dates; weekends
    and the holidays table skipped), computed independently of the C code."""
    holidays = {r[0] for r in db("SELECT DATE_FORMAT(day, '%Y-%m-%d') FROM holidays")}
    day, left = local_today(db), workdays
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day.isoformat() not in holidays:
            left -= 1
    return day + dt.timedelta(days=1)


def at(day: dt.date, hour: int) -> str:
    """A local time of day as RFC 3339 with the +07:00 offset."""
    return f"{day.isoformat()}T{hour:02d}:00:00+07:00"


def body(day, **over):
    """An announcement for day (00:00-06:00 local), or for the times
    given in over when day is None."""
    b = {"reason": "upgrade", "description": "Nâng cấp máy chủ cơ sở dữ liệu"}
    if day is not None:
        b.update(starts_at=at(day, 0), ends_at=at(day, 6))
    b.update(over)
    return {k: v for k, v in b.items() if v is not None}


@pytest.fixture
def service(new_agency, api):
    """A provider, its service, and a consumer with an active grant on it."""
    provider, consumer = new_agency("PP"), new_agency("PC")
    sid = make_service(api, provider)
    return provider, consumer, sid, make_grant(api, provider, consumer, sid)


def announce(api, token, sid, b):
    return api.post(f"services/{sid}/planned-suspensions", token, json=b)


def dic_agency(db):
    return int(db("SELECT id FROM agencies WHERE is_dic = 1")[0][0])


def test_seven_working_days_ahead_notifies_every_consumer_at_once(
        api, db, new_agency):
    provider = new_agency("PP")
    c1, c2, c3 = new_agency("PC"), new_agency("PD"), new_agency("PE")
    sid = make_service(api, provider)
    make_grant(api, provider, c1, sid)
    make_grant(api, provider, c1, sid)             # one notice per agency
    g2 = make_grant(api, provider, c2, sid)
    api.post(f"grants/{g2}/suspensions", tok(api, provider),
             json=suspension_body(db))           # suspended: still a consumer
    expire_grant(db, make_grant(api, provider, c3, sid))  # ended: not told
    day = earliest_regular_start(db)
    r = announce(api, tok(api, provider), sid, body(day))
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["service_id"] == sid and p["provider_agency_id"] == provider.agency_id
    assert p["state"] == "scheduled" and p["phase"] == "upcoming"
    assert p["emergency"] is False and p["emergency_reason"] is None
    assert p["earliest_regular_start"] == day.isoformat()
    assert p["starts_at"] == iso(dt.datetime.fromisoformat(at(day, 0)))
    assert p["consumers_notified"] == 2
    assert db("SELECT agency_id FROM planned_suspension_recipients "
              "WHERE planned_suspension_id = %s ORDER BY agency_id",
              (p["id"],)) == [(str(c1.agency_id),), (str(c2.agency_id),)]
    for c in (c1, c2):
        assert len(notes(db, c.agency_id, "planned_suspension.announced",
                         p["id"])) == 1
    assert notes(db, c3.agency_id, "planned_suspension.announced", p["id"]) == []
    assert actions(db, "planned_suspension", p["id"]) == [
        "planned_suspension.create"]


def test_a_day_short_of_the_notice_is_422_naming_the_earliest_day(api, db,
                                                                  service):
    provider, _, sid, _ = service
    day = earliest_regular_start(db)
    r = announce(api, tok(api, provider), sid,
                 body(day, starts_at=at(day - dt.timedelta(days=1), 23),
                      ends_at=at(day, 6)))
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"starts_at"}
    assert day.isoformat() in r.json()["error"]["details"][0]["problem"]
    assert db("SELECT COUNT(*) FROM planned_suspensions WHERE service_id = %s",
              (sid,)) == [("0",)]


def test_holidays_are_not_working_days(api, db, service, admin_token):
    provider, _, sid, _ = service
    without = earliest_regular_start(db)
    # DIC makes the next working day a holiday: the notice needs one more.
    taken = {r[0] for r in db("SELECT DATE_FORMAT(day, '%Y-%m-%d') FROM holidays")}
    nextday = local_today(db) + dt.timedelta(days=1)
    while nextday.weekday() >= 5 or nextday.isoformat() in taken:
        nextday += dt.timedelta(days=1)
    r = api.post("holidays", admin_token,
                 json={"day": nextday.isoformat(), "name": "Ngày nghỉ thử nghiệm"})
    assert r.status_code == 201, r.text
    try:
        with_holiday = earliest_regular_start(db)
        assert with_holiday > without
        r = announce(api, tok(api, provider), sid,
                     body(without, ends_at=at(with_holiday, 6)))
        assert r.status_code == 422 and error_fields(r) == {"starts_at"}
        r = announce(api, tok(api, provider), sid, body(with_holiday))
        assert r.status_code == 201, r.text
        assert r.json()["earliest_regular_start"] == with_holiday.isoformat()
    finally:
        r = api.delete(f"holidays/{nextday.strftime('%Y%m%d')}", admin_token)
        assert r.status_code in (200, 204), r.text


def test_emergency_needs_a_reason_and_dic_is_told(api, db, service,
                                                  admin_token):
    provider, consumer, sid, _ = service
    now = db_now(db)
    b = body(None, starts_at=iso(now),
             ends_at=iso(now + dt.timedelta(hours=1)),
             emergency=True)
    r = announce(api, tok(api, provider), sid, b)
    assert r.status_code == 422 and error_fields(r) == {"emergency_reason"}
    b["emergency_reason"] = "Sự cố mất điện tại trung tâm dữ liệu (bất khả kháng)"
    r = announce(api, tok(api, provider), sid, b)
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["emergency"] is True and p["phase"] == "in_progress"
    assert notes(db, dic_agency(db), "planned_suspension.emergency", p["id"])
    assert notes(db, consumer.agency_id, "planned_suspension.announced", p["id"])
    r = api.get("planned-suspensions", admin_token,
                params={"emergency": "true", "service_id": sid})
    assert [x["id"] for x in r.json()["items"]] == [p["id"]]
    r = api.get("planned-suspensions", admin_token,
                params={"emergency": "false", "service_id": sid})
    assert r.json()["items"] == []


def test_gateway_refuses_the_service_only_inside_the_window(api, db,
                                                            new_agency):
    provider, consumer = new_agency("PP"), new_agency("PC")
    ptok = tok(api, provider)
    sid = make_service(api, provider)
    dataset = service_dataset(api, provider, sid)
    grant = make_grant(api, provider, consumer, sid)
    plain = make_grant(api, provider, consumer, dataset_id=dataset)
    fid = upload(api, provider, dataset)
    _, system = grant_account(api, provider, grant)
    # Announced for later: the service still serves.
    assert announce(api, ptok, sid,
                    body(earliest_regular_start(db))).status_code == 201
    assert download(api, grant, fid, system).status_code == 200
    now = db_now(db)
    r = announce(api, ptok, sid, body(
        None, starts_at=iso(now), ends_at=iso(now + dt.timedelta(hours=1)),
        emergency=True, emergency_reason="Sự cố phần cứng máy chủ"))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = download(api, grant, fid, system)
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "service_suspended"
    assert 0 < int(r.headers["Retry-After"]) <= 3601
    assert last_access(db, grant) == ("refused", "service_suspended", "503")
    # Only the service is down: a grant on the dataset without it serves.
    r = download(api, plain, fid, tok(api, consumer))
    assert r.status_code == 200 and r.content == CSV
    # Restored early: served again.
    assert api.post(f"planned-suspensions/{pid}/cancel", ptok,
                    json={"note": "Đã khắc phục xong"}).status_code == 200
    r = download(api, grant, fid, system)
    assert r.status_code == 200 and r.content == CSV


def test_window_fields_are_checked(api, db, service):
    provider, _, sid, _ = service
    ptok = tok(api, provider)
    day = earliest_regular_start(db)
    r = announce(api, ptok, sid, body(day, ends_at=at(day, 0)))
    assert r.status_code == 422 and error_fields(r) == {"ends_at"}
    past = db_now(db) - dt.timedelta(hours=1)
    r = announce(api, ptok, sid, body(day, starts_at=iso(past)))
    assert r.status_code == 422 and error_fields(r) == {"starts_at"}
    r = announce(api, ptok, sid, body(day, emergency_reason="vì sao"))
    assert r.status_code == 422 and error_fields(r) == {"emergency_reason"}
    r = announce(api, ptok, sid, {"reason": "repaint", "description": " "})
    assert r.status_code == 422
    assert error_fields(r) == {"reason", "description", "starts_at", "ends_at"}


def test_only_the_services_provider_or_dic_announces(api, db, service,
                                                     new_agency, admin_token):
    provider, consumer, sid, _ = service
    day = earliest_regular_start(db)
    assert announce(api, tok(api, consumer), sid, body(day)).status_code == 403
    assert announce(api, tok(api, new_agency("PX")), sid,
                    body(day)).status_code == 403
    assert announce(api, tok(api, provider), 999999999,
                    body(day)).status_code == 404
    r = announce(api, admin_token, sid, body(day))
    assert r.status_code == 201, r.text
    assert r.json()["provider_agency_id"] == provider.agency_id


def test_cancel_tells_the_recipients_and_is_once(api, db, service, new_agency):
    provider, consumer, sid, _ = service
    ptok = tok(api, provider)
    pid = announce(api, ptok, sid, body(earliest_regular_start(db))).json()["id"]
    r = api.post(f"planned-suspensions/{pid}/cancel", tok(api, consumer),
                 json={"note": "x"})
    assert r.status_code == 403, r.text
    r = api.post(f"planned-suspensions/{pid}/cancel", ptok, json={})
    assert r.status_code == 422 and error_fields(r) == {"note"}
    r = api.post(f"planned-suspensions/{pid}/cancel", ptok,
                 json={"note": "Hoãn nâng cấp"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled" and r.json()["phase"] == "cancelled"
    assert notes(db, consumer.agency_id, "planned_suspension.cancelled", pid)
    r = api.post(f"planned-suspensions/{pid}/cancel", ptok,
                 json={"note": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_scheduled"
    assert actions(db, "planned_suspension", pid) == [
        "planned_suspension.create", "planned_suspension.cancel"]


def test_announcements_are_seen_by_those_concerned(api, db, service, new_agency,
                                                   admin_token):
    provider, consumer, sid, _ = service
    outsider = new_agency("PX")
    pid = announce(api, tok(api, provider), sid,
                   body(earliest_regular_start(db))).json()["id"]
    for who in (provider, consumer):
        assert api.get(f"planned-suspensions/{pid}",
                       tok(api, who)).status_code == 200
        r = api.get(f"services/{sid}/planned-suspensions", tok(api, who))
        assert [x["id"] for x in r.json()["items"]] == [pid]
    assert api.get(f"planned-suspensions/{pid}",
                   tok(api, outsider)).status_code == 404
    r = api.get("planned-suspensions", tok(api, outsider))
    assert pid not in [x["id"] for x in r.json()["items"]]
    r = api.get("planned-suspensions", admin_token, params={"service_id": sid})
    assert [x["id"] for x in r.json()["items"]] == [pid]
    r = api.get("planned-suspensions", admin_token, params={"state": "over"})
    assert r.status_code == 422 and error_fields(r) == {"state"}
