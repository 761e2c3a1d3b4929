"""Helpers shared by the dispute tests (test_disputes.py,
test_dispute_transitions.py, test_dispute_comments.py)."""

import os
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

# The province's calendar: working days are counted in Vietnam (UTC+7).
LOCAL = timedelta(hours=7)


@dataclass
class Party:
    agency_id: int
    account_id: int
    token: str


def party(api, new_agency, prefix="D", roles="agency_officer") -> Party:
    """A fresh agency, an account in it with roles, and its token."""
    a = new_agency(prefix, roles)
    # These tests make many agencies quickly; nginx limits the token
    # endpoint to 20 requests a second (answered 429): wait for the bucket.
    for _ in range(100):
        r = api.token_response(a.client_id, a.client_secret)
        if r.status_code != 429:
            break
        time.sleep(0.1)
    assert r.status_code == 200, r.text
    return Party(a.agency_id, a.account_id, r.json()["access_token"])


def dic_agency_id(db) -> int:
    return int(db("SELECT id FROM agencies WHERE is_dic = 1")[0][0])


def dic_account_id(db, admin_creds) -> int:
    return int(db("SELECT id FROM accounts WHERE client_id = %s",
                  (admin_creds["client_id"],))[0][0])


def file_dispute(api, tok, **fields):
    body = {"subject": "Dữ liệu dân cư sai lệch",
            "description": "Trường ngày sinh trống với nhiều bản ghi.",
            "category": "data"}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return api.post("disputes", tok, json=body)


def filed(api, tok, **fields) -> dict:
    r = file_dispute(api, tok, **fields)
    assert r.status_code == 201, r.text
    return r.json()


def move(api, tok, dispute_id, to, reason=None):
    body = {"to": to}
    if reason is not None:
        body["reason"] = reason
    return api.post(f"disputes/{dispute_id}/transition", tok, json=body)


def moved(api, tok, dispute_id, to, reason=None) -> dict:
    r = move(api, tok, dispute_id, to, reason)
    assert r.status_code == 200, r.text
    return r.json()


def error_fields(r) -> set:
    return {d["field"] for d in r.json()["error"]["details"]}


def events(db, dispute_id) -> list:
    """(action, from_state, to_state, from_assignee, to_assignee,
    actor_agency_id, reason) of a ticket, oldest first."""
    return db("SELECT action, from_state, to_state, from_assignee_agency_id, "
              "to_assignee_agency_id, actor_agency_id, reason "
              "FROM dispute_events WHERE dispute_id = %s ORDER BY id",
              (dispute_id,))


def audit_actions(db, dispute_id) -> list:
    return [row[0] for row in db(
        "SELECT action FROM audit_events WHERE entity = 'dispute' "
        "AND entity_id = %s ORDER BY id", (dispute_id,))]


def notified(db, dispute_id, kind) -> set:
    """The agencies given a notification of kind about the ticket."""
    return {int(row[0]) for row in db(
        "SELECT agency_id FROM notifications WHERE entity = 'dispute' "
        "AND entity_id = %s AND kind = %s", (dispute_id, kind))}


def table_exists(db, name) -> bool:
    return bool(db("SELECT 1 FROM information_schema.tables WHERE "
                   "table_schema = 'datashare' AND table_name = %s", (name,)))


def parse_db_time(text: str) -> datetime:
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    return datetime.strptime(text, fmt)


def add_working_days(start: datetime, days: int, holidays=frozenset()) -> datetime:
    """The end of a limit of days working days from start (UTC), counted
    on the local calendar: local midnight after the days-th working day
    following start's local date, in UTC (modules/dispute/deadlines.c)."""
    day = (start + LOCAL).date()
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            days -= 1
    return datetime.combine(day + timedelta(days=1), datetime.min.time()) - LOCAL


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def as_app(sql: str) -> subprocess.CompletedProcess:
    """Runs sql as the modules' database account (ds_app, role
    datashare_app) on the test stack; returns the finished process."""
    conf = {}
    with open(os.environ["DS_CONFIG"], encoding="utf-8") as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                conf[key.strip()] = value.strip()
    return subprocess.run(
        ["mariadb", "-S", conf["db_socket"], "-u", conf["db_user"],
         "--password=" + conf["db_password"], "-N", "-B", conf["db_name"],
         "-e", sql], capture_output=True, text=True, timeout=60)
