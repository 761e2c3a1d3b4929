"""Helpers shared by the suspension module's API tests
(test_suspensions.py, test_terminations.py, test_planned_suspensions.py).

Grants and services are made the way an agency makes them: through the
catalog and sharing modules' APIs (see make_grant). A few tests move a
grant's end into the past with SQL: that stands for time passing, which
no API can do.
"""

import datetime as dt
import time

UTC = dt.timezone.utc
_tokens = {}


def tok(api, agency):
    """The agency officer's token, reused for ten minutes (tokens live 15):
    the suite asks for many, and nginx limits the token endpoint."""
    cached = _tokens.get(agency.client_id)
    if cached is None or time.monotonic() - cached[1] > 600:
        cached = (api.token(agency.client_id, agency.client_secret),
                  time.monotonic())
        _tokens[agency.client_id] = cached
    return cached[0]


def iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def db_now(db) -> dt.datetime:
    (row,) = db("SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%SZ')")
    return dt.datetime.strptime(row[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def suspension_body(db, **over):
    body = {
        "violation": "Dữ liệu được chuyển cho bên thứ ba ngoài mục đích đăng ký",
        "legal_ground": "regulation_breach",
        "determined_at": iso(db_now(db) - dt.timedelta(hours=1)),
        "handling_plan": "Tạm dừng kết nối, rà soát nhật ký truy cập",
        "consumer_action": "Báo cáo việc sử dụng dữ liệu trong 5 ngày làm việc",
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def actions(db, entity, entity_id):
    """The audit actions recorded on one entity, in order."""
    return [r[0] for r in db("SELECT action FROM audit_events WHERE entity = %s "
                             "AND entity_id = %s ORDER BY id", (entity, entity_id))]


def notes(db, agency_id, kind, entity_id):
    """Ids of the notifications of one kind about one entity in a feed."""
    return [int(r[0]) for r in db(
        "SELECT id FROM notifications WHERE agency_id = %s AND kind = %s "
        "AND entity_id = %s ORDER BY id", (agency_id, kind, entity_id))]


def grant_status(db, grant_id):
    return db("SELECT status FROM grants WHERE id = %s", (grant_id,))[0][0]


def error_fields(r):
    return {d["field"] for d in r.json()["error"]["details"]}


# ------------------------------------------------------------------ setup

def make_service(api, provider):
    """A sharing service of the provider's, on a published shared dataset
    (the catalog's own path: listed database, passing assessment)."""
    from catalog_helpers import published_dataset, unique
    token = tok(api, provider)
    ds = published_dataset(api, token)
    r = api.post("services", token, json={
        "dataset_id": ds["id"], "name": unique("Dịch vụ tra cứu"),
        "protocol": "rest", "endpoint": "https://lgsp.example.vn/api/v1/x",
        "version": "1.0"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def make_grant(db, provider, consumer, service_id=None):
    """An active grant from provider to consumer (on service_id)."""
    db("INSERT INTO grants (provider_agency_id, consumer_agency_id, service_id) "
       "VALUES (%s, %s, %s)", (provider.agency_id, consumer.agency_id, service_id))
    return int(db("SELECT MAX(id) FROM grants WHERE provider_agency_id = %s",
                  (provider.agency_id,))[0][0])


def expire_grant(db, grant_id):
    """Time passes: the grant's end is now behind us."""
    db("UPDATE grants SET ends_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
       "WHERE id = %s", (grant_id,))
