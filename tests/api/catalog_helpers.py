"""Shared setup for the catalog tests (test_databases.py, test_datasets.py ...).

Plain functions over the `api` fixture: they create what a test needs
through the API, asserting each step, so a test reads as the behaviour it
checks. Also the `actor` fixture: an agency with an officer and a token.
"""

import itertools
import json
import os
import subprocess
import uuid
from dataclasses import dataclass

import pytest

from conftest import HARNESS_VARS

_names = itertools.count(1)
_run = uuid.uuid4().hex[:4]

ASSESSMENT_CRITERIA = ("completeness", "accuracy", "timeliness", "consistency",
                       "structure_conformance")


def unique(text: str) -> str:
    """text with a suffix unique to this run and call."""
    return f"{text} {_run}-{next(_names)}"


@dataclass
class Actor:
    agency_id: int
    code: str
    account_id: int
    token: str


@pytest.fixture(scope="session")
def actor(new_agency, api):
    """actor(prefix="T", roles="agency_officer") -> Actor with a token."""

    def make(prefix: str = "T", roles: str = "agency_officer") -> Actor:
        a = new_agency(prefix, roles)
        return Actor(a.agency_id, a.code, a.account_id,
                     api.token(a.client_id, a.client_secret))

    return make


@pytest.fixture(scope="session")
def chairman(actor) -> Actor:
    """A Chairman (of a test agency standing for the People's Committee)."""
    return actor("CH", "chairman")


@pytest.fixture(scope="session")
def auditor(actor) -> Actor:
    return actor("AU", "auditor")


@pytest.fixture(scope="session")
def demo_catalog(db):
    """Loads the demo catalog (scripts/demo-data, idempotent), which
    `./stack test` does not; returns its summary {agencies, databases,
    datasets, services}."""
    src = os.environ.get("DS_SRC") or os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    env = {k: v for k, v in os.environ.items() if k not in HARNESS_VARS}
    env["DATASHARE_ADMIN"] = os.environ["DS_ADMIN"]
    p = subprocess.run([os.path.join(src, "scripts", "demo-data"),
                        os.environ["DS_CONFIG"]], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    summary = db("SELECT after_json FROM audit_events WHERE action = 'demo.load'")
    assert len(summary) == 1
    return json.loads(summary[0][0])


def create_database(api, token, kind="specialized", **fields) -> dict:
    body = {"kind": kind, "name": unique("Cơ sở dữ liệu thử nghiệm"),
            "location": "provincial_data_centre" if kind == "shared" else "agency",
            "managing_unit": "Phòng Công nghệ thông tin",
            "objective": "Quản lý thống nhất dữ liệu"}
    body.update(fields)
    r = api.post("databases", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def listed_database(api, token, **fields) -> dict:
    """A specialized database its owner has listed."""
    db = create_database(api, token, **fields)
    r = api.post(f"databases/{db['id']}/list", token)
    assert r.status_code == 200, r.text
    return r.json()


FIELDS = [
    {"name": "ma_ho_so", "type": "string", "meaning": "Mã hồ sơ", "personal": False},
    {"name": "ho_ten", "type": "string", "meaning": "Họ và tên", "personal": True},
    {"name": "ngay_cap", "type": "date", "meaning": "Ngày cấp", "personal": False},
]


def create_dataset(api, token, database_id, **fields) -> dict:
    body = {"database_id": database_id, "title": unique("Bộ dữ liệu thử nghiệm"),
            "description": "Dữ liệu phục vụ kiểm thử", "keywords": ["kiểm thử"],
            "classification": "shared", "fields": FIELDS}
    body.update(fields)
    r = api.post("datasets", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def record_assessment(api, token, dataset_id, verdict="pass", **fields) -> dict:
    body = {"dataset_id": dataset_id, "assessor": "Tổ kiểm tra dữ liệu",
            "criteria": {c: verdict for c in ASSESSMENT_CRITERIA},
            "verdict": verdict}
    if verdict == "fail":
        body.update(remediation_plan="Bổ sung dữ liệu còn thiếu",
                    remediation_due="2020-01-31")
    body.update(fields)
    r = api.post("assessments", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def published_dataset(api, token, classification="shared", database_id=None,
                      **fields) -> dict:
    """A dataset in a listed database, assessed (pass) and published."""
    if database_id is None:
        database_id = listed_database(api, token)["id"]
    ds = create_dataset(api, token, database_id, classification=classification,
                        **fields)
    record_assessment(api, token, ds["id"])
    r = api.post(f"datasets/{ds['id']}/publish", token)
    assert r.status_code == 200, r.text
    return r.json()


def audit_rows(db, entity, entity_id, action=None):
    """(action, actor_account_id, before_json, after_json) of an entity's
    audit rows, oldest first."""
    sql = ("SELECT action, actor_account_id, before_json, after_json "
           "FROM audit_events WHERE entity = %s AND entity_id = %s")
    params = [entity, entity_id]
    if action is not None:
        sql += " AND action = %s"
        params.append(action)
    return db(sql + " ORDER BY id", tuple(params))


def notifications(db, agency_id, kind):
    """(entity, entity_id, payload_json) of an agency's notices of a kind."""
    return db("SELECT entity, entity_id, payload_json FROM notifications "
              "WHERE agency_id = %s AND kind = %s ORDER BY id", (agency_id, kind))


def error_code(r):
    return r.json()["error"]["code"]


def detail_fields(r):
    assert r.status_code == 422, r.text
    return {d["field"] for d in r.json()["error"]["details"]}


def current_year(db):
    """The year by the database's clock."""
    return int(db("SELECT YEAR(UTC_TIMESTAMP())")[0][0])


def dic_agency(db):
    return int(db("SELECT id FROM agencies WHERE is_dic = 1")[0][0])


def all_pages(api, path, token=None, **params):
    """Every item of a list over all its pages, in order."""
    out, cursor = [], None
    while True:
        p = dict(params, limit=200)
        if cursor:
            p["cursor"] = cursor
        r = api.get(path, token, params=p)
        assert r.status_code == 200, r.text
        out += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return out


# ------------------------------------------------------------ proposals

def add_body(**over):
    """A complete add proposal (Art. 7.2 a-g, 7.3 a-c, Art. 8.3)."""
    body = {"kind": "add", "name": unique("Cơ sở dữ liệu dân cư"),
            "managing_unit": "Sở Thông tin và Truyền thông",
            "objective": "Dùng chung dữ liệu dân cư cho thủ tục hành chính",
            "scope": "Toàn tỉnh", "master_data": "Công dân: số định danh, họ tên",
            "users_purposes": "Các sở, ngành khi giải quyết thủ tục",
            "sources": "Cơ sở dữ liệu quốc gia về dân cư",
            "sharing_methods": "API qua LGSP", "location": "provincial_data_centre",
            "legal_value": "Có giá trị như bản giấy (Nghị định 47)",
            "master_data_reference": "Dữ liệu chủ tham chiếu cho các CSDL chuyên ngành",
            "serves_procedures": "Phục vụ thủ tục đăng ký hộ tịch, cư trú"}
    body.update(over)
    return body


def withdraw_body(database_id, **over):
    """A complete withdraw proposal (Art. 7.4 a-c)."""
    body = {"kind": "withdraw", "database_id": database_id,
            "replacement": "CSDL quốc gia về dân cư thay thế",
            "master_data_reference": "Tham chiếu theo số định danh cá nhân",
            "serves_procedures": "CSDL thay thế phục vụ thủ tục hành chính"}
    body.update(over)
    return body


def file_proposal(api, token, body):
    r = api.post("catalog/proposals", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def review(api, token, pid, action, notes="Ý kiến thẩm định"):
    return api.post(f"catalog/proposals/{pid}/review", token,
                    json={"action": action, "notes": notes})


def decide(api, token, pid, decision, notes="Ý kiến của Chủ tịch"):
    return api.post(f"catalog/proposals/{pid}/decision", token,
                    json={"decision": decision, "notes": notes})
