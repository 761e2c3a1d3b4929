"""Setup shared by the sharing module's tests (test_sharing_requests.py,
test_grants.py, test_grant_accounts.py, test_warehouse_files.py,
test_data_downloads.py, test_access_log.py, test_usage_reports.py,
test_error_reports.py, test_sweep.py).

Datasets are made with SQL as MariaDB's root, following the table contract
between modules (catalog's `databases` and `datasets`); everything the
sharing module owns is made through its API.
"""

import datetime
import hashlib
import itertools
import json
import os
import subprocess
import time
from dataclasses import dataclass

FIELDS = [
    {"name": "ma_ho", "type": "string", "meaning": "household code", "personal": False},
    {"name": "ho_ten", "type": "string", "meaning": "full name", "personal": True},
    {"name": "ngay_sinh", "type": "date", "meaning": "date of birth", "personal": True},
    {"name": "dia_chi", "type": "string", "meaning": "address", "personal": True},
]
NAMES = [f["name"] for f in FIELDS]

CSV = ("ma_ho,ho_ten,ngay_sinh,dia_chi\r\n"
       "H001,Nguyễn Văn An,1980-01-02,\"12 Trần Hưng Đạo, Tuy Hòa\"\r\n"
       "H002,\"Lê Thị \"\"Bé\"\"\",1992-11-30,Sông Cầu\r\n").encode("utf-8")

JSON_DATA = json.dumps([
    {"ma_ho": "H001", "ho_ten": "Nguyễn Văn An", "ngay_sinh": "1980-01-02",
     "dia_chi": "12 Trần Hưng Đạo"},
    {"ma_ho": "H002", "ho_ten": "Lê Thị Bé", "ngay_sinh": "1992-11-30",
     "dia_chi": "Sông Cầu"},
], ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_databases = itertools.count(1)


def make_dataset(db, agency_id, classification="shared", status="published",
                 excluded=0, fields=None, database_status="listed") -> int:
    """A dataset of agency_id's database, as the catalog would hold it."""
    fields = FIELDS if fields is None else fields
    rows = db("INSERT INTO `databases` (agency_id, kind, name, location, status) "
              "VALUES (%s, 'shared', %s, 'provincial_data_centre', %s); "
              "INSERT INTO datasets (database_id, title, classification, excluded, "
              "status, published_at, fields_json) VALUES (LAST_INSERT_ID(), %s, %s, "
              "%s, %s, IF(%s = 'published', UTC_TIMESTAMP(6), NULL), %s); "
              "SELECT LAST_INSERT_ID();",
              (agency_id, f"CSDL dân cư {agency_id}-{next(_databases)}", database_status,
               "Dữ liệu hộ gia đình", classification, excluded, status, status,
               json.dumps(fields, ensure_ascii=False)))
    return int(rows[-1][0])


def dic_agency_id(db) -> int:
    return int(db("SELECT id FROM agencies WHERE is_dic = 1")[0][0])


def in_days(days: float) -> str:
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def notifications(db, agency_id, kind, entity_id) -> int:
    return int(db("SELECT COUNT(*) FROM notifications WHERE agency_id = %s AND "
                  "kind = %s AND entity_id = %s", (agency_id, kind, entity_id))[0][0])


def eventually(check, timeout=10.0):
    """check()'s first true value, asked every 0.1 s for up to timeout
    seconds: for what the master's tick writes (the test stack runs the
    sharing sweep every second). Fails when it never comes."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"not within {timeout} s: {check.__doc__ or check}"
            return value
        time.sleep(0.1)


def audit_actions(db, entity, entity_id) -> list:
    return [r[0] for r in db("SELECT action FROM audit_events WHERE entity = %s "
                             "AND entity_id = %s ORDER BY id", (entity, entity_id))]


def warehouse_path(sha: str) -> str:
    return os.path.join(os.environ["STACK_VAR"], "warehouse", sha[:2], sha)


@dataclass
class Party:
    """An agency with one officer and that officer's token."""
    agency_id: int
    account_id: int
    token: str


def token(api, client_id, secret) -> str:
    """A token (conftest's api.token waits out the endpoint's rate limit)."""
    return api.token(client_id, secret)


def party(api, new_agency, prefix, roles="agency_officer") -> Party:
    a = new_agency(prefix, roles)
    return Party(a.agency_id, a.account_id, token(api, a.client_id, a.client_secret))


def request_body(dataset_id, **over) -> dict:
    body = {"dataset_id": dataset_id, "purpose": "Xác minh cư trú",
            "legal_basis": "Nghị định 47/2020/NĐ-CP", "fields": list(NAMES),
            "term": "fixed", "starts_at": in_days(-1), "ends_at": in_days(30)}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def file_request(api, consumer: Party, dataset_id, **over) -> dict:
    r = api.post("sharing-requests", token=consumer.token,
                 json=request_body(dataset_id, **over))
    assert r.status_code == 201, r.text
    return r.json()


def upload(api, provider: Party, dataset_id, data=CSV, ctype="text/csv", name=None):
    params = {"name": name} if name else None
    return api.post(f"datasets/{dataset_id}/files", token=provider.token, data=data,
                    headers={"Content-Type": ctype}, params=params)


@dataclass
class Setup:
    provider: Party
    consumer: Party
    dataset_id: int
    request: dict
    grant: dict


def granted(api, db, new_agency, approve=None, classification="shared",
            **request_over) -> Setup:
    """A provider's dataset, a consumer's request for it, approved (with
    approve as the decision body): the grant."""
    provider = party(api, new_agency, "SP")
    consumer = party(api, new_agency, "SC")
    dataset_id = make_dataset(db, provider.agency_id, classification=classification)
    req = file_request(api, consumer, dataset_id, **request_over)
    r = api.post(f"sharing-requests/{req['id']}/approve", token=provider.token,
                 json=approve or {})
    assert r.status_code == 200, r.text
    return Setup(provider, consumer, dataset_id, r.json(), r.json()["grant"])


def grant_account(api, s: Setup, name="he-thong-tiep-nhan"):
    """A system account on the grant and its token."""
    r = api.post(f"grants/{s.grant['id']}/accounts", token=s.provider.token,
                 json={"name": name})
    assert r.status_code == 201, r.text
    acc = r.json()
    return acc, token(api, acc["client_id"], acc["client_secret"])


def access_rows(db, grant_id) -> list:
    """(outcome, reason, http_status, bytes, sha256, account_id, narrowed) of
    a grant's access-log rows, oldest first."""
    return db("SELECT outcome, reason, http_status, bytes, sha256, account_id, "
              "narrowed FROM access_log WHERE grant_id = %s ORDER BY id", (grant_id,))


def app_sql(sql):
    """Runs SQL as the modules' own database account (ds_app)."""
    conf = dict(line.split("=", 1) for line in
                open(os.environ["DS_CONFIG"]).read().splitlines()
                if "=" in line and not line.startswith("#"))
    return subprocess.run(
        ["mariadb", "-S", conf["db_socket"], "-u", conf["db_user"],
         f"-p{conf['db_password']}", "-N", "-B", conf["db_name"], "-e", sql],
        capture_output=True, text=True, timeout=30)
