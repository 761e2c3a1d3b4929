"""Sharing requests and their decisions (R4.1, R4.2; Art. 13, 14.5,
16.1.đ, 16.2.g; Decree 47/2020 Art. 35.3)."""

import concurrent.futures
import datetime
import json

import pytest

from sharing_setup import (NAMES, dic_agency_id, file_request, in_days,
                           make_dataset, notifications, party, audit_actions,
                           request_body)


@pytest.fixture
def sides(api, db, new_agency):
    provider = party(api, new_agency, "RP")
    consumer = party(api, new_agency, "RC")
    return provider, consumer, make_dataset(db, provider.agency_id)


def test_consumer_files_a_request_the_provider_is_told_of(api, db, sides):
    provider, consumer, ds = sides
    r = api.post("sharing-requests", token=consumer.token,
                 json=request_body(ds, fields=["ma_ho", "ho_ten"]))
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["status"] == "submitted" and q["fields"] == ["ma_ho", "ho_ten"]
    assert q["consumer_agency_id"] == consumer.agency_id
    assert q["provider_agency_id"] == provider.agency_id
    assert q["term"] == "fixed" and q["due_at"] and q["overdue"] is False
    row = db("SELECT status, consumer_agency_id, provider_agency_id, dataset_id, "
             "created_by FROM sharing_requests WHERE id = %s", (q["id"],))
    assert row == [("submitted", str(consumer.agency_id), str(provider.agency_id),
                    str(ds), str(consumer.account_id))]
    assert audit_actions(db, "sharing_request", q["id"]) == ["sharing_request.create"]
    assert notifications(db, provider.agency_id, "sharing_request.filed", q["id"]) == 1


@pytest.mark.parametrize("state,code", [
    ({"status": "draft"}, "dataset_not_published"),
    ({"status": "withdrawn"}, "dataset_withdrawn"),
    # Art. 1.2: the catalog keeps excluded data restricted and unpublished
    ({"excluded": 1, "classification": "restricted", "status": "draft"},
     "dataset_excluded"),
    ({"classification": "restricted"}, "dataset_restricted"),
    ({"database_status": "withdrawn"}, "database_withdrawn"),
    ({"database_status": "draft"}, "database_not_listed"),
])
def test_unshareable_dataset_is_409_with_the_reason(api, db, new_agency, state, code):
    provider = party(api, new_agency, "RP")
    consumer = party(api, new_agency, "RC")
    ds = make_dataset(db, provider.agency_id, **state)
    r = api.post("sharing-requests", token=consumer.token, json=request_body(ds))
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == code
    assert db("SELECT COUNT(*) FROM sharing_requests WHERE dataset_id = %s", (ds,)) \
        == [("0",)]


def test_open_dataset_can_be_requested(api, db, new_agency):
    provider = party(api, new_agency, "RP")
    consumer = party(api, new_agency, "RC")
    ds = make_dataset(db, provider.agency_id, classification="open")
    assert file_request(api, consumer, ds)["status"] == "submitted"


def test_unknown_requested_fields_are_422_naming_each(api, db, sides):
    _, consumer, ds = sides
    r = api.post("sharing-requests", token=consumer.token,
                 json=request_body(ds, fields=["ma_ho", "so_cmnd", "luong"]))
    assert r.status_code == 422, r.text
    problems = " ".join(d["problem"] for d in r.json()["error"]["details"]
                        if d["field"] == "fields")
    assert "so_cmnd" in problems and "luong" in problems and "ma_ho" not in problems


def test_unknown_dataset_and_own_dataset_are_422(api, db, sides):
    provider, _, ds = sides
    r = api.post("sharing-requests", token=provider.token, json=request_body(ds))
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "dataset_id"
    r = api.post("sharing-requests", token=provider.token,
                 json=request_body(999999999))
    assert r.status_code == 422


@pytest.mark.parametrize("over,field", [
    ({"ends_at": None}, "ends_at"),                          # fixed needs an end
    ({"starts_at": in_days(5), "ends_at": in_days(2)}, "ends_at"),  # end before start
    ({"starts_at": in_days(-9), "ends_at": in_days(-2)}, "ends_at"),  # in the past
    ({"term": "indefinite"}, "ends_at"),                     # indefinite has no end
    ({"term": "monthly"}, "term"),
])
def test_bad_terms_are_422(api, sides, over, field):
    _, consumer, ds = sides
    r = api.post("sharing-requests", token=consumer.token, json=request_body(ds, **over))
    assert r.status_code == 422, r.text
    assert field in [d["field"] for d in r.json()["error"]["details"]]


def test_indefinite_term_and_consent_reference_are_recorded(api, db, sides):
    _, consumer, ds = sides
    q = file_request(api, consumer, ds, term="indefinite", ends_at=None,
                     consent_reference="Đơn đồng ý số 15/2026 của ông Nguyễn Văn An")
    assert q["term"] == "indefinite" and q["ends_at"] is None
    assert db("SELECT consent_reference FROM sharing_requests WHERE id = %s",
              (q["id"],)) == [("Đơn đồng ý số 15/2026 của ông Nguyễn Văn An",)]


def test_only_agency_officers_file_requests(api, admin_token, sides):
    _, _, ds = sides
    r = api.post("sharing-requests", token=admin_token, json=request_body(ds))
    assert r.status_code == 403


def test_each_side_sees_its_own_requests_others_get_404_dic_sees_all(
        api, admin_token, new_agency, sides):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds)
    other = party(api, new_agency, "RO")
    for who in (provider, consumer):
        assert api.get(f"sharing-requests/{q['id']}", token=who.token).status_code == 200
        ids = [x["id"] for x in api.get("sharing-requests", token=who.token,
                                        params={"limit": 200}).json()["items"]]
        assert q["id"] in ids
    assert api.get(f"sharing-requests/{q['id']}", token=other.token).status_code == 404
    ids = [x["id"] for x in api.get("sharing-requests", token=other.token).json()["items"]]
    assert q["id"] not in ids
    assert api.post(f"sharing-requests/{q['id']}/approve",
                    token=other.token).status_code == 404
    assert api.get(f"sharing-requests/{q['id']}", token=admin_token).status_code == 200
    side = api.get("sharing-requests", token=consumer.token,
                   params={"side": "provider"}).json()["items"]
    assert q["id"] not in [x["id"] for x in side]


def test_approval_makes_the_grant_in_the_same_transaction(api, db, sides):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds)
    r = api.post(f"sharing-requests/{q['id']}/approve", token=provider.token,
                 json={"note": "Đồng ý"})
    assert r.status_code == 200, r.text
    body = r.json()
    g = body["grant"]
    assert body["status"] == "approved" and body["grant_id"] == g["id"]
    assert g["status"] == "active" and g["fields"] == NAMES
    assert g["consumer_agency_id"] == consumer.agency_id
    assert g["ends_at"] == q["ends_at"]
    assert db("SELECT request_id, status, dataset_id FROM grants WHERE id = %s",
              (g["id"],)) == [(str(q["id"]), "active", str(ds))]
    assert audit_actions(db, "sharing_request", q["id"])[-1] == "sharing_request.approve"
    assert audit_actions(db, "grant", g["id"]) == ["grant.create"]
    assert notifications(db, consumer.agency_id, "sharing_request.approved", q["id"]) == 1


def test_approval_may_narrow_term_and_fields(api, db, sides):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds, ends_at=in_days(60))
    ends = in_days(20)
    r = api.post(f"sharing-requests/{q['id']}/approve", token=provider.token,
                 json={"fields": ["ma_ho", "dia_chi"], "ends_at": ends})
    assert r.status_code == 200, r.text
    g = r.json()["grant"]
    assert g["fields"] == ["ma_ho", "dia_chi"] and g["ends_at"] == ends


@pytest.mark.parametrize("decision,field", [
    ({"fields": ["ma_ho", "so_cmnd"]}, "fields"),        # not requested
    ({"ends_at": in_days(90)}, "ends_at"),               # later than asked
    ({"term": "indefinite"}, "term"),                    # wider than fixed
    ({"starts_at": in_days(-30)}, "starts_at"),          # earlier than asked
])
def test_wider_approval_is_422_and_changes_nothing(api, db, sides, decision, field):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds, fields=["ma_ho", "ho_ten"])
    r = api.post(f"sharing-requests/{q['id']}/approve", token=provider.token,
                 json=decision)
    assert r.status_code == 422, r.text
    assert field in [d["field"] for d in r.json()["error"]["details"]]
    assert db("SELECT status FROM sharing_requests WHERE id = %s", (q["id"],)) \
        == [("submitted",)]
    assert db("SELECT COUNT(*) FROM grants WHERE request_id = %s", (q["id"],)) == [("0",)]


def test_consumer_and_dic_cannot_decide(api, admin_token, sides):
    _, consumer, ds = sides
    q = file_request(api, consumer, ds)
    for tok in (consumer.token, admin_token):
        assert api.post(f"sharing-requests/{q['id']}/approve",
                        token=tok).status_code == 403
        assert api.post(f"sharing-requests/{q['id']}/refuse", token=tok,
                        json={"reason": "x"}).status_code == 403


@pytest.mark.parametrize("body", [None, {}, {"reason": ""}, {"reason": "   \n"}])
def test_refusal_without_reason_is_422(api, db, sides, body):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds)
    kw = {} if body is None else {"json": body}
    r = api.post(f"sharing-requests/{q['id']}/refuse", token=provider.token, **kw)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == "reason"
    assert db("SELECT status FROM sharing_requests WHERE id = %s", (q["id"],)) \
        == [("submitted",)]


def test_refusal_notifies_consumer_and_dic_and_names_the_dispute_call(api, db, sides):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds)
    reason = "Dữ liệu đang được chuẩn hóa, chưa đủ điều kiện chia sẻ"
    r = api.post(f"sharing-requests/{q['id']}/refuse", token=provider.token,
                 json={"reason": reason})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "refused" and body["refusal_reason"] == reason
    call = body["dispute"]
    assert call["method"] == "POST" and call["path"] == "/api/v1/disputes"
    assert call["body"]["object_type"] == "sharing_request"
    assert call["body"]["object_id"] == q["id"]
    assert call["body"]["agency_id"] == provider.agency_id
    assert call["body"]["category"] == "refusal"
    assert notifications(db, consumer.agency_id, "sharing_request.refused", q["id"]) == 1
    assert notifications(db, dic_agency_id(db), "sharing_request.refused", q["id"]) == 1
    assert db("SELECT COUNT(*) FROM grants WHERE request_id = %s", (q["id"],)) == [("0",)]
    assert audit_actions(db, "sharing_request", q["id"])[-1] == "sharing_request.refuse"
    # the one call, as given, opens the dispute with the provider (Art. 18.1)
    d = api.post(call["path"], token=consumer.token, json=call["body"])
    assert d.status_code == 201, d.text
    assert d.json()["assignee_agency_id"] == provider.agency_id


@pytest.mark.parametrize("first,then", [
    ("approve", "refuse"), ("refuse", "approve"), ("withdraw", "approve"),
    ("approve", "withdraw")])
def test_a_decision_on_a_decided_request_is_409(api, sides, first, then):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds)
    who = {"approve": provider, "refuse": provider, "withdraw": consumer}
    body = {"reason": "Không phù hợp"}
    assert api.post(f"sharing-requests/{q['id']}/{first}", token=who[first].token,
                    json=body if first == "refuse" else {}).status_code == 200
    r = api.post(f"sharing-requests/{q['id']}/{then}", token=who[then].token,
                 json=body if then == "refuse" else {})
    assert r.status_code == 409, r.text


def test_racing_decisions_give_one_200_and_the_rest_409(api, db, sides):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds)

    def decide(i):
        if i % 2:
            return api.post(f"sharing-requests/{q['id']}/refuse",
                            token=provider.token, json={"reason": f"r{i}"}).status_code
        return api.post(f"sharing-requests/{q['id']}/approve",
                        token=provider.token, json={}).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(decide, range(8)))
    assert sorted(codes) == [200] + [409] * 7, codes
    status = db("SELECT status FROM sharing_requests WHERE id = %s", (q["id"],))[0][0]
    grants = int(db("SELECT COUNT(*) FROM grants WHERE request_id = %s", (q["id"],))[0][0])
    assert grants == (1 if status == "approved" else 0)


def test_consumer_withdraws_while_undecided_provider_cannot(api, db, sides):
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds)
    assert api.post(f"sharing-requests/{q['id']}/withdraw",
                    token=provider.token).status_code == 403
    r = api.post(f"sharing-requests/{q['id']}/withdraw", token=consumer.token)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert notifications(db, provider.agency_id, "sharing_request.withdrawn", q["id"]) == 1
    assert db("SELECT COUNT(*) FROM grants WHERE request_id = %s", (q["id"],)) == [("0",)]


def test_overdue_requests_are_listed_by_the_database_clock(api, db, sides):
    # The provider's notice is the sweep's (test_sweep.py); the list
    # reads the deadline itself, sweep or none.
    provider, consumer, ds = sides
    q = file_request(api, consumer, ds)
    late = file_request(api, consumer, ds)
    db("UPDATE sharing_requests SET due_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR "
       "WHERE id = %s", (late["id"],))
    r = api.get("sharing-requests", token=provider.token,
                params={"overdue": "true", "limit": 200})
    assert r.status_code == 200
    items = {x["id"]: x for x in r.json()["items"]}
    assert late["id"] in items and q["id"] not in items
    assert items[late["id"]]["overdue"] is True
    shown = api.get(f"sharing-requests/{q['id']}", token=provider.token).json()
    assert shown["overdue"] is False
    # a decided request is no longer overdue
    api.post(f"sharing-requests/{late['id']}/approve", token=provider.token, json={})
    r = api.get("sharing-requests", token=provider.token, params={"overdue": "true"})
    assert late["id"] not in [x["id"] for x in r.json()["items"]]


def test_due_date_counts_working_days_from_the_local_day_of_filing(api, sides):
    _, consumer, ds = sides
    q = file_request(api, consumer, ds)
    created = datetime.datetime.strptime(q["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    local = (created + datetime.timedelta(hours=7)).date()   # utc_offset_minutes 420
    r = api.get("/api/v1/holidays/working-days",
                params={"from": local.isoformat(), "days": 2})
    assert r.status_code == 200, r.text
    last = datetime.date.fromisoformat(r.json()["date"])
    due = datetime.datetime.combine(last + datetime.timedelta(days=1),
                                    datetime.time()) - datetime.timedelta(hours=7)
    assert q["due_at"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert last.weekday() < 5


def test_bad_list_filters_are_422(api, sides):
    _, consumer, _ = sides
    for params in ({"status": "done"}, {"side": "both"}, {"overdue": "yes"}):
        assert api.get("sharing-requests", token=consumer.token,
                       params=params).status_code == 422


def make_service(db, dataset_id, agency_id, status="active") -> int:
    return int(db("INSERT INTO services (dataset_id, agency_id, name, protocol, "
                  "endpoint, version, status) VALUES (%s, %s, 'API hộ gia đình', "
                  "'rest', 'https://lgsp.example/ho-gia-dinh', '1.0', %s); "
                  "SELECT LAST_INSERT_ID()", (dataset_id, agency_id, status))[0][0])


def test_a_request_may_name_an_active_service_of_the_dataset(api, db, sides):
    provider, consumer, ds = sides
    svc = make_service(db, ds, provider.agency_id)
    q = file_request(api, consumer, ds, service_id=svc)
    assert q["service_id"] == svc
    g = api.post(f"sharing-requests/{q['id']}/approve", token=provider.token,
                 json={}).json()["grant"]
    assert g["service_id"] == svc
    other_ds = make_dataset(db, provider.agency_id)
    foreign = make_service(db, other_ds, provider.agency_id)
    old = make_service(db, ds, provider.agency_id, status="deprecated")
    for bad in (foreign, old, 999999999):
        r = api.post("sharing-requests", token=consumer.token,
                     json=request_body(ds, service_id=bad))
        assert r.status_code == 422, r.text
        assert [d["field"] for d in r.json()["error"]["details"]] == ["service_id"]
