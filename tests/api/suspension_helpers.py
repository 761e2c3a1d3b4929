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


def grant_moves(db, grant_id):
    """The audit actions on a grant after its creation by the approval:
    the status moves."""
    acts = actions(db, "grant", grant_id)
    assert acts[0] == "grant.create", acts
    return acts[1:]


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


_datasets = {}


def provider_dataset(api, provider):
    """A published shared dataset of the provider's (one per provider)."""
    from catalog_helpers import published_dataset
    if provider.agency_id not in _datasets:
        _datasets[provider.agency_id] = published_dataset(
            api, tok(api, provider))["id"]
    return _datasets[provider.agency_id]


def service_dataset(api, provider, service_id):
    return api.get(f"services/{service_id}", tok(api, provider)).json()["dataset_id"]


def make_grant(api, provider, consumer, service_id=None, dataset_id=None):
    """An active grant from provider to consumer (on service_id, or on
    dataset_id without a service), the sharing module's way: the consumer
    asks, the provider approves."""
    from catalog_helpers import FIELDS
    ptok = tok(api, provider)
    if service_id is not None:
        dataset = service_dataset(api, provider, service_id)
    else:
        dataset = dataset_id or provider_dataset(api, provider)
    body = {"dataset_id": dataset, "purpose": "Xác minh hồ sơ hành chính",
            "legal_basis": "Nghị định 47/2020/NĐ-CP",
            "fields": [f["name"] for f in FIELDS], "term": "indefinite"}
    if service_id is not None:
        body["service_id"] = service_id
    r = api.post("sharing-requests", tok(api, consumer), json=body)
    assert r.status_code == 201, r.text
    r = api.post(f"sharing-requests/{r.json()['id']}/approve", ptok, json={})
    assert r.status_code == 200, r.text
    return r.json()["grant"]["id"]


CSV = ("ma_ho_so,ho_ten,ngay_cap\r\n"
       "HS001,Nguyễn Văn An,2024-01-02\r\n").encode("utf-8")


def upload(api, provider, dataset_id):
    """A CSV file of the dataset in the warehouse; its id."""
    r = api.post(f"datasets/{dataset_id}/files", tok(api, provider), data=CSV,
                 headers={"Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def grant_account(api, provider, grant_id, name="he-thong-tiep-nhan"):
    """A consumer system's account on the grant (Art. 16.2.e), issued by
    the provider through the sharing module: (account, its token)."""
    r = api.post(f"grants/{grant_id}/accounts", tok(api, provider),
                 json={"name": name})
    assert r.status_code == 201, r.text
    acc = r.json()
    return acc, api.token(acc["client_id"], acc["client_secret"])


def download(api, grant_id, file_id, token):
    return api.get(f"data/{grant_id}/files/{file_id}", token)


def last_access(db, grant_id):
    """(outcome, reason, http_status) of the grant's newest access-log row."""
    return db("SELECT outcome, reason, http_status FROM access_log "
              "WHERE grant_id = %s ORDER BY id DESC LIMIT 1", (grant_id,))[0]


def expire_grant(db, grant_id):
    """Time passes: the grant's end is now behind us."""
    db("UPDATE grants SET ends_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
       "WHERE id = %s", (grant_id,))
