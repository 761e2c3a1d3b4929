"""Dispute tickets (R8; Art. 18): filing, routing, visibility, lists, due
dates and escalation. Transitions and comments have their own files."""

from datetime import datetime, timedelta

import pytest

from dispute_support import (LOCAL, add_working_days, audit_actions, dic_agency_id,
                             error_fields, events, file_dispute, filed, move,
                             moved, notified, parse_db_time, party, rfc3339,
                             table_exists)

OBJECT_TABLES = {"sharing_request": "sharing_requests", "grant": "grants",
                 "suspension": "suspensions", "dataset": "datasets"}


@pytest.fixture
def filer(api, new_agency):
    return party(api, new_agency, "DF")


@pytest.fixture
def provider(api, new_agency):
    return party(api, new_agency, "DP")


@pytest.fixture
def outsider(api, new_agency):
    return party(api, new_agency, "DO")


# ------------------------------------------------------------ filing, routing

def test_data_dispute_is_routed_to_the_provider_named(api, db, filer, provider):
    r = file_dispute(api, filer.token, agency_id=provider.agency_id,
                     category="data")
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["state"] == "open"
    assert d["category"] == "data"
    assert d["filer_agency_id"] == filer.agency_id
    assert d["filer_account_id"] == filer.account_id
    assert d["agency_id"] == provider.agency_id
    assert d["assignee_agency_id"] == provider.agency_id
    assert d["respondent_agency_id"] == provider.agency_id
    assert d["assignment_rule"] == "art_18_1_provider"
    assert "18.1" in d["assignment_reason"]
    assert d["object_type"] is None and d["object_id"] is None
    assert d["overdue"] is False
    row = db("SELECT state, filer_agency_id, assignee_agency_id, "
             "assignment_rule, subject FROM disputes WHERE id = %s", (d["id"],))
    assert row == [("open", str(filer.agency_id), str(provider.agency_id),
                    "art_18_1_provider", "Dữ liệu dân cư sai lệch")]
    assert events(db, d["id"]) == [
        ("file", None, "open", None, str(provider.agency_id),
         str(filer.agency_id), d["assignment_reason"])]
    assert audit_actions(db, d["id"]) == ["dispute.file"]
    # The other side hears of it; the filer does not notify itself.
    assert notified(db, d["id"], "dispute.file") == {provider.agency_id}


@pytest.mark.parametrize("category", ["data", "refusal", "suspension", "access"])
def test_provider_categories_go_to_the_agency_concerned(api, filer, provider,
                                                       category):
    d = filed(api, filer.token, agency_id=provider.agency_id, category=category)
    assert d["assignee_agency_id"] == provider.agency_id
    assert d["assignment_rule"] == "art_18_1_provider"


@pytest.mark.parametrize("category", ["technical", "standards", "other"])
def test_technical_standards_and_other_go_to_dic(api, db, filer, provider,
                                                 category):
    d = filed(api, filer.token, agency_id=provider.agency_id, category=category)
    dic = dic_agency_id(db)
    assert d["assignee_agency_id"] == dic
    assert d["respondent_agency_id"] == dic
    assert d["agency_id"] == provider.agency_id
    assert d["assignment_rule"] == "art_18_2_dic"
    assert "18.2" in d["assignment_reason"]
    assert notified(db, d["id"], "dispute.file") == {dic}


def test_assignee_account_is_null_while_no_focal_point_is_named(api, db, filer,
                                                                provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    if table_exists(db, "focal_points"):
        named = db("SELECT account_id FROM focal_points WHERE agency_id = %s",
                   (provider.agency_id,))
        assert not named  # a fresh agency has named none
    assert d["assignee_account_id"] is None
    assert db("SELECT assignee_account_id FROM disputes WHERE id = %s",
              (d["id"],)) == [(None,)]


def test_missing_and_bad_fields_are_422_naming_each(api, db, filer):
    before = db("SELECT COUNT(*) FROM disputes")
    r = api.post("disputes", filer.token,
                 json={"description": "", "category": "weather",
                       "agency_id": "7", "colour": "red"})
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"subject", "description", "category",
                               "agency_id", "colour"}
    assert db("SELECT COUNT(*) FROM disputes") == before


def test_without_agency_or_object_is_422(api, filer):
    r = file_dispute(api, filer.token)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"agency_id"}


def test_unknown_agency_is_422(api, filer):
    r = file_dispute(api, filer.token, agency_id=2 ** 40)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"agency_id"}


def test_data_dispute_against_own_agency_is_422(api, filer):
    r = file_dispute(api, filer.token, agency_id=filer.agency_id)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"agency_id"}


def test_dic_cannot_file_a_technical_ticket_with_itself(api, db, admin_token,
                                                        provider):
    r = file_dispute(api, admin_token, agency_id=provider.agency_id,
                     category="technical")
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"category"}
    # The same DIC may file a data ticket, which goes to the provider.
    d = filed(api, admin_token, agency_id=provider.agency_id)
    assert d["filer_agency_id"] == dic_agency_id(db)
    assert d["assignee_agency_id"] == provider.agency_id


def test_object_type_without_object_id_is_422(api, filer, provider):
    r = file_dispute(api, filer.token, agency_id=provider.agency_id,
                     object_type="grant")
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"object_id"}
    r = file_dispute(api, filer.token, agency_id=provider.agency_id,
                     object_id=5)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"object_type"}


def test_unknown_object_type_is_422(api, filer, provider):
    r = file_dispute(api, filer.token, agency_id=provider.agency_id,
                     object_type="database", object_id=1)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"object_type"}


@pytest.mark.parametrize("object_type", sorted(OBJECT_TABLES))
def test_object_must_exist_or_its_type_is_not_supported_yet(api, db, filer,
                                                            object_type):
    """Until the migration of the object's module exists the type is a
    clean 422 "not supported yet"; once it exists an object that is not
    there (or not the filer's) is a 422 on object_id."""
    before = db("SELECT COUNT(*) FROM disputes")
    r = file_dispute(api, filer.token, object_type=object_type,
                     object_id=2 ** 40)
    assert r.status_code == 422, r.text
    details = r.json()["error"]["details"]
    if table_exists(db, OBJECT_TABLES[object_type]):
        assert [d["field"] for d in details] == ["object_id"]
    else:
        assert details == [{"field": "object_type", "problem":
                            f"object_type {object_type} is not supported yet"}]
    assert db("SELECT COUNT(*) FROM disputes") == before


def test_auditor_reads_but_cannot_file(api, new_agency, filer, provider):
    auditor = party(api, new_agency, "DA", "auditor")
    r = file_dispute(api, auditor.token, agency_id=provider.agency_id)
    assert r.status_code == 403, r.text
    d = filed(api, filer.token, agency_id=provider.agency_id)
    r = api.get(f"disputes/{d['id']}", auditor.token)
    assert r.status_code == 200, r.text


# ------------------------------------------------------------------ due dates

def test_due_dates_count_working_days_on_the_local_calendar(api, db, filer,
                                                            provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    created, ack, resolve = db(
        "SELECT created_at, ack_due_at, resolve_due_at FROM disputes "
        "WHERE id = %s", (d["id"],))[0]
    holidays = set()
    if table_exists(db, "holidays"):
        holidays = {parse_db_time(day + " 00:00:00").date()
                    for (day,) in db("SELECT day FROM holidays")}
    start = parse_db_time(created)
    # Defaults: dispute_ack_days=2, dispute_resolve_days=10 working days.
    assert parse_db_time(ack) == add_working_days(start, 2, holidays)
    assert parse_db_time(resolve) == add_working_days(start, 10, holidays)
    assert d["ack_due_at"] == rfc3339(parse_db_time(ack))
    assert d["resolve_due_at"] == rfc3339(parse_db_time(resolve))
    assert d["created_at"] == rfc3339(start)


def test_due_dates_skip_the_holidays_of_the_sharing_module(api, db, filer,
                                                          provider):
    if not table_exists(db, "holidays"):
        pytest.skip("the sharing module's holidays table (0003) is not there")
    today = (datetime.utcnow() + LOCAL).date()
    days = [today + timedelta(days=n) for n in range(1, 4)]
    added = [d for d in days
             if not db("SELECT 1 FROM holidays WHERE day = %s", (str(d),))]
    for day in added:
        db("INSERT INTO holidays (day, name) VALUES (%s, 'Nghỉ thử')", (str(day),))
    try:
        d = filed(api, filer.token, agency_id=provider.agency_id)
        created, ack = db("SELECT created_at, ack_due_at FROM disputes "
                          "WHERE id = %s", (d["id"],))[0]
        holidays = {parse_db_time(day + " 00:00:00").date()
                    for (day,) in db("SELECT day FROM holidays")}
        assert set(days) <= holidays
        expected = add_working_days(parse_db_time(created), 2, holidays)
        assert parse_db_time(ack) == expected
        assert expected > add_working_days(parse_db_time(created), 2)
    finally:
        for day in added:
            db("DELETE FROM holidays WHERE day = %s", (str(day),))


def test_overdue_lists_tickets_past_their_limits(api, db, filer, provider):
    late = filed(api, filer.token, agency_id=provider.agency_id)
    fresh = filed(api, filer.token, agency_id=provider.agency_id)
    db("UPDATE disputes SET ack_due_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR "
       "WHERE id = %s", (late["id"],))

    def overdue_ids():
        r = api.get("disputes", filer.token,
                    params={"overdue": "true", "limit": 200})
        assert r.status_code == 200, r.text
        return {d["id"] for d in r.json()["items"]}

    assert late["id"] in overdue_ids()
    assert fresh["id"] not in overdue_ids()
    assert api.get(f"disputes/{late['id']}", filer.token).json()["overdue"] is True
    # Acknowledged in time for the resolve limit: no longer overdue ...
    moved(api, provider.token, late["id"], "acknowledged")
    assert late["id"] not in overdue_ids()
    # ... until the resolve limit passes unresolved.
    db("UPDATE disputes SET resolve_due_at = UTC_TIMESTAMP(6) - INTERVAL 1 "
       "SECOND WHERE id = %s", (late["id"],))
    assert late["id"] in overdue_ids()
    moved(api, provider.token, late["id"], "in_progress")
    moved(api, provider.token, late["id"], "resolved", "Đã cập nhật dữ liệu")
    assert late["id"] not in overdue_ids()


# ----------------------------------------------------------------- visibility

def test_other_agencies_get_404(api, filer, provider, outsider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    for tok in (filer.token, provider.token):
        assert api.get(f"disputes/{d['id']}", tok).status_code == 200
    r = api.get(f"disputes/{d['id']}", outsider.token)
    assert r.status_code == 404, r.text
    ids = {x["id"] for x in api.get("disputes", outsider.token,
                                    params={"limit": 200}).json()["items"]}
    assert d["id"] not in ids
    # Acting on it is as invisible as reading it.
    assert move(api, outsider.token, d["id"], "acknowledged").status_code == 404
    r = api.post(f"disputes/{d['id']}/escalate", outsider.token,
                 json={"reason": "x"})
    assert r.status_code == 404


def test_dic_sees_every_ticket(api, admin_token, filer, provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    r = api.get(f"disputes/{d['id']}", admin_token)
    assert r.status_code == 200, r.text
    r = api.get("disputes", admin_token,
                params={"agency_id": provider.agency_id})
    assert [x["id"] for x in r.json()["items"]] == [d["id"]]


def test_show_includes_the_history(api, filer, provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    moved(api, provider.token, d["id"], "acknowledged")
    r = api.get(f"disputes/{d['id']}", filer.token)
    assert r.status_code == 200, r.text
    ev = r.json()["events"]
    assert [(e["action"], e["from_state"], e["to_state"]) for e in ev] == [
        ("file", None, "open"), ("acknowledge", "open", "acknowledged")]
    assert ev[1]["actor_agency_id"] == provider.agency_id


def test_unknown_ticket_is_404(api, filer):
    assert api.get(f"disputes/{2 ** 40}", filer.token).status_code == 404


# ---------------------------------------------------------------------- lists

def test_list_filters_by_state_category_and_agency(api, db, filer, provider,
                                                   outsider):
    a = filed(api, filer.token, agency_id=provider.agency_id, category="data")
    b = filed(api, filer.token, agency_id=provider.agency_id, category="access")
    c = filed(api, filer.token, agency_id=outsider.agency_id, category="data")
    moved(api, provider.token, b["id"], "acknowledged")

    def ids(**params):
        params.setdefault("limit", 200)
        r = api.get("disputes", filer.token, params=params)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    # Newest first; the filer sees its three.
    assert ids() == [c["id"], b["id"], a["id"]]
    assert ids(state="acknowledged") == [b["id"]]
    assert ids(category="data") == [c["id"], a["id"]]
    assert ids(agency_id=outsider.agency_id) == [c["id"]]
    assert ids(agency_id=provider.agency_id, category="data") == [a["id"]]
    # The provider sees only the two assigned to it.
    r = api.get("disputes", provider.token)
    assert [x["id"] for x in r.json()["items"]] == [b["id"], a["id"]]


def test_list_pages_with_a_cursor(api, filer, provider):
    made = [filed(api, filer.token, agency_id=provider.agency_id)["id"]
            for _ in range(3)]
    r = api.get("disputes", filer.token, params={"limit": 2})
    assert r.status_code == 200, r.text
    first = r.json()
    assert [x["id"] for x in first["items"]] == made[:0:-1]
    assert first["next_cursor"]
    r = api.get("disputes", filer.token,
                params={"limit": 2, "cursor": first["next_cursor"]})
    second = r.json()
    assert [x["id"] for x in second["items"]] == [made[0]]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("params,field", [
    ({"state": "done"}, "state"), ({"category": "weather"}, "category"),
    ({"overdue": "yes"}, "overdue"), ({"agency_id": "x"}, "agency_id"),
    ({"cursor": "bm9wZQ"}, "cursor"), ({"limit": "0"}, "limit")])
def test_bad_list_parameters_are_422(api, filer, params, field):
    r = api.get("disputes", filer.token, params=params)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {field}


# ----------------------------------------------------------------- escalation

def test_escalation_by_filer_makes_dic_the_assignee_and_keeps_history(
        api, db, filer, provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    moved(api, provider.token, d["id"], "acknowledged")
    dic = dic_agency_id(db)
    r = api.post(f"disputes/{d['id']}/escalate", filer.token,
                 json={"reason": "Quá hạn mà chưa được giải quyết"})
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["assignee_agency_id"] == dic
    assert e["respondent_agency_id"] == provider.agency_id
    assert e["assignment_rule"] == "escalated"
    assert "Quá hạn" in e["assignment_reason"]
    assert e["state"] == "open"          # DIC acknowledges it afresh
    assert e["acknowledged_at"] is None
    assert e["escalated_at"] is not None
    assert e["escalated_by_agency_id"] == filer.agency_id
    assert events(db, d["id"])[-1] == (
        "escalate", "acknowledged", "open", str(provider.agency_id), str(dic),
        str(filer.agency_id), "Quá hạn mà chưa được giải quyết")
    assert audit_actions(db, d["id"]) == ["dispute.file", "dispute.acknowledge",
                                          "dispute.escalate"]
    assert notified(db, d["id"], "dispute.escalate") == {provider.agency_id, dic}
    # The first assignee stays a party: it still sees the ticket ...
    assert api.get(f"disputes/{d['id']}", provider.token).status_code == 200
    # ... but the steps are DIC's now.
    assert move(api, provider.token, d["id"], "acknowledged").status_code == 403


def test_escalation_by_assignee_is_allowed_and_dic_then_acts(
        api, db, admin_token, filer, provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    r = api.post(f"disputes/{d['id']}/escalate", provider.token,
                 json={"reason": "Vướng mắc về chuẩn kết nối"})
    assert r.status_code == 200, r.text
    assert "assignee" in r.json()["assignment_reason"]
    moved(api, admin_token, d["id"], "acknowledged")
    moved(api, admin_token, d["id"], "in_progress")
    done = moved(api, admin_token, d["id"], "resolved", "Đã hướng dẫn")
    assert done["resolution"] == "Đã hướng dẫn"
    assert notified(db, d["id"], "dispute.resolve") == {filer.agency_id,
                                                        provider.agency_id}


def test_escalation_without_reason_is_422(api, db, filer, provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    r = api.post(f"disputes/{d['id']}/escalate", filer.token, json={})
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"reason"}
    assert db("SELECT assignee_agency_id FROM disputes WHERE id = %s",
              (d["id"],)) == [(str(provider.agency_id),)]


def test_escalating_twice_is_409(api, filer, provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    r = api.post(f"disputes/{d['id']}/escalate", filer.token, json={"reason": "a"})
    assert r.status_code == 200, r.text
    r = api.post(f"disputes/{d['id']}/escalate", filer.token, json={"reason": "b"})
    assert r.status_code == 409, r.text


def test_dic_not_a_party_cannot_escalate_403(api, admin_token, filer, provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    r = api.post(f"disputes/{d['id']}/escalate", admin_token,
                 json={"reason": "x"})
    assert r.status_code == 403, r.text


def test_closed_ticket_cannot_be_escalated_409(api, filer, provider):
    d = filed(api, filer.token, agency_id=provider.agency_id)
    r = move(api, provider.token, d["id"], "rejected", "Không thuộc thẩm quyền")
    assert r.status_code == 200, r.text
    r = api.post(f"disputes/{d['id']}/escalate", filer.token,
                 json={"reason": "x"})
    assert r.status_code == 409, r.text

