"""Shared setup for the catalog tests (test_databases.py, test_datasets.py ...).

Plain functions over the `api` fixture: they create what a test needs
through the API, asserting each step, so a test reads as the behaviour it
checks. Also the `actor` fixture: an agency with an officer and a token.
"""

import itertools
import uuid
from dataclasses import dataclass

import pytest

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
