"""Helpers shared by the report tests (test_reports.py and
test_report_<name>.py, one per report of modules/report).

Each test creates its own records through the modules' APIs, for fresh
agencies, and reads the report with agency_id set to one of them, so that
other tests' records do not change the figures. Where a figure depends on
time (hours to decide, overdue), the test moves timestamps with SQL as
MariaDB's root and says so: that stands for time passing.
"""

import csv
import io
from datetime import datetime, timedelta, timezone

from sharing_setup import file_request, make_dataset

REPORTS = ("sharing-requests", "grants", "suspensions", "disputes", "catalog")
# The province's calendar (utc_offset_minutes, default 420).
LOCAL = timedelta(hours=7)


def get_report(api, token, name, **params):
    """GET /reports/<name> with params (None values left out)."""
    params = {k: v for k, v in params.items() if v is not None}
    return api.get(f"reports/{name}", token, params=params)


def report(api, token, name, **params) -> dict:
    """The report as JSON; fails the test unless 200."""
    r = get_report(api, token, name, **params)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def by(rows, key, value) -> dict:
    """The one row of a list section whose key equals value."""
    hits = [row for row in rows if row[key] == value]
    assert len(hits) == 1, f"{key}={value}: {rows}"
    return hits[0]


def csv_table(text: str) -> list:
    """The CSV's rows as dicts by the header's names."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def db_now(db) -> datetime:
    (row,) = db("SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%S')")
    return datetime.strptime(row[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)


def local_today(db) -> str:
    """Today's date on the province's calendar, by the database clock."""
    return (db_now(db) + LOCAL).strftime("%Y-%m-%d")


def this_year(db) -> dict:
    """from/to of the current local year."""
    year = (db_now(db) + LOCAL).year
    return {"from": f"{year}-01-01", "to": f"{year}-12-31"}


def recent(db, days=60) -> dict:
    """from/to of the last `days` local days up to today: wide enough for
    records whose times a test moves back by hours, whatever today is."""
    today = db_now(db) + LOCAL
    return {"from": (today - timedelta(days=days)).strftime("%Y-%m-%d"),
            "to": today.strftime("%Y-%m-%d")}


def make_grant(api, db, provider, consumer) -> dict:
    """A grant on a new dataset of the provider's (made as the sharing
    tests make datasets), by approving the consumer's request."""
    req = file_request(api, consumer, make_dataset(db, provider.agency_id))
    r = api.post(f"sharing-requests/{req['id']}/approve", provider.token, json={})
    assert r.status_code == 200, r.text
    return r.json()["grant"]


def rfc3339(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
