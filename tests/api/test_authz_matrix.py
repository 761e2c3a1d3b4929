"""The authorisation matrix (issue 7, item 1; R10.1): every endpoint of
every module, asked by every kind of caller about a record of the
caller's own agency and of another agency, answers what
tests/api/authz_matrix.txt says, and that table lists every route.

The records are made once, through the API (authz_world.py); each cell is
then one request. REQUESTS below says, per endpoint, which record a cell
names and which body it sends: a body valid for the actor allowed to act,
so the table is about who gets 401/403/404 and who gets through.

The gateway's route is a prefix, "/gw/*" (router.c): the table asks it of
one path under it, GATEWAY, a call to the world's gateway service, whose
upstream is the test provider (gateway_support's `upstream`).
"""

import os
import pathlib
import re
import time
from dataclasses import dataclass
from typing import Callable, Optional

import pytest

from authz_world import World, csv_bytes, unique, word
from catalog_helpers import ASSESSMENT_CRITERIA, Actor, add_body
from conftest import parse_json_line
from gateway_support import upstream  # noqa: F401 (fixture)
from suspension_helpers import suspension_body

SRC = pathlib.Path(os.environ.get("DS_SRC") or pathlib.Path(__file__).parents[2])
TABLE = pathlib.Path(__file__).with_name("authz_matrix.txt")
ROUTE = re.compile(r'\{\s*"(GET|POST|PUT|PATCH|DELETE)",\s*"(/api/v1/[^"]*|/gw/\*)"')
# The path under the gateway's prefix route that the table asks.
GATEWAY = "/gw/{agency}/{service}/echo"
# The gateway's code for each refusal the table expects of it (its
# envelope's and X-Gateway-Error's; docs/gateway.md, "The checks").
GATEWAY_CODES = {401: "unauthorized", 403: "no_grant"}
ACTORS = ("none", "dic_admin", "chairman", "officer", "officer_other",
          "focal_point", "auditor", "system")
CELL = re.compile(r"^(-|[1-5][0-9][0-9][+-]?)$")
MISSING = 999_999_999_999  # an id no record of a test run has (the router takes 15 digits)


# ------------------------------------------------------------------ table

@dataclass
class Row:
    method: str
    path: str
    actor: str
    own: str
    other: str
    line: int


def read_table():
    rows = []
    for n, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        assert len(parts) == 5, f"{TABLE.name}:{n}: five columns expected: {line!r}"
        row = Row(*parts, line=n)
        assert row.actor in ACTORS, f"{TABLE.name}:{n}: unknown actor {row.actor}"
        assert CELL.match(row.own) and CELL.match(row.other), \
            f"{TABLE.name}:{n}: a cell is a status, status+ / status- or -"
        rows.append(row)
    return rows


def served_routes():
    """(method, path) of every route table, and core's health check; the
    gateway's prefix route as the path the table asks of it."""
    routes = {("GET", "/api/v1/health")}
    for main in SRC.glob("modules/*/main.c"):
        routes |= {(method, GATEWAY if path == "/gw/*" else path)
                   for method, path in ROUTE.findall(main.read_text())}
    return routes


# --------------------------------------------------------------- requests

@dataclass
class Req:
    """How a cell of one endpoint is asked, given the world of its column.

    ids(w)          the path's {names}, from the world's records
    body(w, actor)  the JSON body (None: no body)
    raw(w)          (bytes, content type) instead of JSON
    query(w)        query parameters
    listed(w)       the id that must (200+) or must not (200-) be listed
    match           other item fields the listed record has ("type")
    consumes        a record key the request uses up when it succeeds: the
                    world makes a new one for the next cell
    items, pages    where a list answer has its items, and (its key, the
                    parameter that asks for it) of the next page's start
    codes           the error code of each refusal status, which the
                    answer must carry in its envelope and, the gateway's
                    way, in X-Gateway-Error (absent from its other answers)
    """
    ids: Optional[Callable] = None
    body: Optional[Callable] = None
    raw: Optional[Callable] = None
    query: Optional[Callable] = None
    listed: Optional[Callable] = None
    match: Optional[dict] = None
    consumes: Optional[str] = None
    items: str = "items"
    pages: tuple = ("next_cursor", "cursor")
    codes: Optional[dict] = None


def rec(key, name="id"):
    return lambda w: {name: w.get(key)}


def lst(key):
    return lambda w: w.get(key)


def fixed(body):
    return lambda w, a: body


def suspension(w, actor):
    return suspension_body(w.db)


def agency_suspension(w, actor):
    """DIC names the provider; an agency suspends its own grants."""
    body = suspension(w, actor)
    if actor == "dic_admin":
        body["provider_agency_id"] = w.prov.agency_id
    return body


REQUESTS = {
    ("GET", "/api/v1/health"): Req(),

    # ---------------------------------------------------------- auth
    ("POST", "/api/v1/auth/token"): Req(body=lambda w, a: dict(zip(
        ("client_id", "client_secret"), w.creds))),
    ("GET", "/api/v1/auth/me"): Req(),
    ("GET", "/api/v1/auth/keys"): Req(),
    ("GET", "/api/v1/notifications"): Req(listed=lst("notification")),
    ("POST", "/api/v1/notifications/{id}/read"): Req(ids=rec("notification")),
    ("GET", "/api/v1/accounts"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("spare_account")),
    ("POST", "/api/v1/accounts"): Req(body=lambda w, a: w.account_body()),
    ("GET", "/api/v1/accounts/{id}"): Req(ids=rec("spare_account")),
    ("POST", "/api/v1/accounts/{id}/disable"): Req(
        ids=rec("account_to_disable"), consumes="account_to_disable"),
    ("POST", "/api/v1/accounts/{id}/rotate-secret"): Req(ids=rec("spare_account")),

    # ------------------------------------------------------- catalog
    ("GET", "/api/v1/agencies"): Req(),
    ("POST", "/api/v1/agencies"): Req(body=lambda w, a: {
        "code": word().upper()[:32], "name": unique("Cơ quan thử")}),
    ("GET", "/api/v1/agencies/{id}"): Req(ids=lambda w: {"id": w.prov.agency_id}),
    ("PATCH", "/api/v1/agencies/{id}"): Req(
        ids=lambda w: {"id": w.prov.agency_id},
        body=fixed({"name_en": "Test agency"})),
    ("GET", "/api/v1/agencies/{id}/focal-points"): Req(
        ids=lambda w: {"id": w.prov.agency_id}),
    ("PUT", "/api/v1/agencies/{id}/focal-points"): Req(
        ids=lambda w: {"id": w.prov.agency_id},
        body=fixed({"name": "Nguyễn Văn Đầu Mối", "email": "daumoi@example.vn"})),

    ("GET", "/api/v1/databases"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("db_draft")),
    ("POST", "/api/v1/databases"): Req(body=lambda w, a: {
        "kind": "specialized", "name": unique("CSDL chuyên ngành"),
        "location": "agency"}),
    ("GET", "/api/v1/databases/{id}"): Req(ids=rec("db_draft")),
    ("PATCH", "/api/v1/databases/{id}"): Req(
        ids=rec("db_draft"), body=fixed({"objective": "Quản lý hồ sơ"})),
    ("POST", "/api/v1/databases/{id}/list"): Req(
        ids=rec("db_to_list"), consumes="db_to_list"),
    ("POST", "/api/v1/databases/{id}/withdraw"): Req(
        ids=rec("db_to_withdraw"), consumes="db_to_withdraw"),
    ("GET", "/api/v1/databases/{id}/reviews"): Req(
        ids=rec("db_draft"), listed=lst("review")),
    ("POST", "/api/v1/databases/{id}/reviews"): Req(
        ids=rec("db_to_review"), body=fixed({"outcome": "current"}),
        consumes="db_to_review"),
    ("GET", "/api/v1/databases/unreviewed"): Req(),

    ("GET", "/api/v1/datasets"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("ds_draft")),
    ("POST", "/api/v1/datasets"): Req(body=lambda w, a: {
        "database_id": w.get("db_listed"), "title": unique("Bộ dữ liệu"),
        "classification": "shared"}),
    ("GET", "/api/v1/datasets/{id}"): Req(ids=rec("ds_draft")),
    ("PATCH", "/api/v1/datasets/{id}"): Req(
        ids=rec("ds_draft"), body=fixed({"description": "Mô tả mới"})),
    ("POST", "/api/v1/datasets/{id}/publish"): Req(
        ids=rec("ds_assessed"), consumes="ds_assessed"),
    ("POST", "/api/v1/datasets/{id}/withdraw"): Req(
        ids=rec("ds_to_withdraw"), consumes="ds_to_withdraw"),
    ("POST", "/api/v1/datasets/{id}/data-updates"): Req(
        ids=rec("ds_pub"), body=fixed({"note": "Bổ sung dữ liệu quý"})),

    ("GET", "/api/v1/services"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("service")),
    ("POST", "/api/v1/services"): Req(body=lambda w, a: w.service_body()),
    ("GET", "/api/v1/services/{id}"): Req(ids=rec("service")),
    ("PATCH", "/api/v1/services/{id}"): Req(
        ids=rec("service"), body=fixed({"version": "1.1"})),
    ("POST", "/api/v1/services/{id}/deprecate"): Req(
        ids=rec("service_to_deprecate"), consumes="service_to_deprecate"),

    ("GET", "/api/v1/catalog/proposals"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("proposal")),
    ("POST", "/api/v1/catalog/proposals"): Req(body=lambda w, a: add_body()),
    ("GET", "/api/v1/catalog/proposals/{id}"): Req(ids=rec("proposal")),
    ("PATCH", "/api/v1/catalog/proposals/{id}"): Req(
        ids=rec("proposal_returned"), body=fixed({"reason": "Bổ sung theo ý kiến"})),
    ("POST", "/api/v1/catalog/proposals/{id}/resubmit"): Req(
        ids=rec("proposal_to_resubmit"), consumes="proposal_to_resubmit"),
    ("POST", "/api/v1/catalog/proposals/{id}/review"): Req(
        ids=rec("proposal_submitted"),
        body=fixed({"action": "return", "notes": "Bổ sung mục tiêu"}),
        consumes="proposal_submitted"),
    # Rejected, not approved: an approved proposal would wait for the next
    # issued version, which other tests issue.
    ("POST", "/api/v1/catalog/proposals/{id}/decision"): Req(
        ids=rec("proposal_recommended"),
        body=fixed({"decision": "reject", "notes": "Chưa đủ căn cứ"}),
        consumes="proposal_recommended"),
    ("GET", "/api/v1/catalog/versions"): Req(),
    ("POST", "/api/v1/catalog/versions"): Req(
        body=lambda w, a: w.version_body(ready=True), consumes="proposal_approved"),
    ("GET", "/api/v1/catalog/versions/{id}"): Req(ids=rec("version")),

    ("GET", "/api/v1/assessments"): Req(
        query=lambda w: {"dataset_id": w.get("ds_pub")}, listed=lst("assessment")),
    ("POST", "/api/v1/assessments"): Req(body=lambda w, a: {
        "dataset_id": w.get("ds_draft"), "assessor": "Tổ kiểm tra",
        "criteria": {c: "pass" for c in ASSESSMENT_CRITERIA}, "verdict": "pass"}),
    ("GET", "/api/v1/assessments/{id}"): Req(ids=rec("assessment")),
    ("GET", "/api/v1/assessments/programme"): Req(),
    ("GET", "/api/v1/assessments/unassessed"): Req(),
    ("GET", "/api/v1/assessments/overdue"): Req(),
    ("GET", "/api/v1/open-data"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("ds_open")),
    ("GET", "/api/v1/open-data/overdue"): Req(),
    ("GET", "/api/v1/open-data/{id}"): Req(ids=rec("ds_open")),
    ("GET", "/api/v1/search"): Req(
        query=lambda w: {"q": w.ds_draft_word},
        listed=lst("ds_draft"), match={"type": "dataset"}),

    # ------------------------------------------------------- sharing
    ("GET", "/api/v1/sharing-requests"): Req(
        query=lambda w: {"dataset_id": w.get("ds_pub")}, listed=lst("request")),
    ("POST", "/api/v1/sharing-requests"): Req(body=lambda w, a: w.request_body()),
    ("GET", "/api/v1/sharing-requests/{id}"): Req(ids=rec("request")),
    ("POST", "/api/v1/sharing-requests/{id}/approve"): Req(
        ids=rec("request_open"), body=fixed({}), consumes="request_open"),
    ("POST", "/api/v1/sharing-requests/{id}/refuse"): Req(
        ids=rec("request_open"), body=fixed({"reason": "Chưa đủ căn cứ pháp lý"}),
        consumes="request_open"),
    ("POST", "/api/v1/sharing-requests/{id}/withdraw"): Req(
        ids=rec("request_open"), consumes="request_open"),
    ("GET", "/api/v1/grants"): Req(
        query=lambda w: {"dataset_id": w.get("ds_pub")}, listed=lst("grant")),
    ("GET", "/api/v1/grants/{id}"): Req(ids=rec("grant")),
    ("GET", "/api/v1/grants/{id}/accounts"): Req(
        ids=rec("grant"), listed=lambda w: w.get("sysacc")[0]["id"]),
    ("POST", "/api/v1/grants/{id}/accounts"): Req(
        ids=rec("grant"), body=fixed({"name": "he-thong-moi"})),
    ("POST", "/api/v1/grants/{id}/accounts/{acc}/revoke"): Req(
        ids=lambda w: {"id": w.get("grant"), "acc": w.get("sysacc_to_revoke")},
        consumes="sysacc_to_revoke"),
    ("POST", "/api/v1/grants/{id}/accounts/{acc}/rotate-secret"): Req(
        ids=lambda w: {"id": w.get("grant"), "acc": w.get("sysacc_to_revoke")}),
    ("GET", "/api/v1/grants/{id}/usage-report-requests"): Req(
        ids=rec("grant"), listed=lst("usage")),
    ("POST", "/api/v1/grants/{id}/usage-report-requests"): Req(
        ids=rec("grant"), body=lambda w, a: w.usage_body()),
    ("GET", "/api/v1/datasets/{id}/files"): Req(
        ids=rec("ds_pub"), listed=lst("file_pub")),
    ("POST", "/api/v1/datasets/{id}/files"): Req(
        ids=rec("ds_pub"), raw=lambda w: (csv_bytes(), "text/csv")),
    ("GET", "/api/v1/data/{grant}/files"): Req(
        ids=rec("grant", "grant"), listed=lst("file_pub")),
    ("GET", "/api/v1/data/{grant}/files/{file}"): Req(
        ids=lambda w: {"grant": w.get("grant"), "file": w.get("file_pub")}),
    ("GET", "/api/v1/open-data/{id}/files"): Req(
        ids=rec("ds_open"), listed=lst("file_open")),
    ("GET", "/api/v1/open-data/{id}/files/{file}"): Req(
        ids=lambda w: {"id": w.get("ds_open"), "file": w.get("file_open")}),
    ("GET", "/api/v1/access-log"): Req(
        query=lambda w: {"grant_id": w.get("grant")}, listed=lst("access_row")),
    ("GET", "/api/v1/access-log/export"): Req(query=lambda w: {"format": "json"}),
    ("GET", "/api/v1/usage-reports"): Req(
        query=lambda w: {"grant_id": w.get("grant")}, listed=lst("usage")),
    ("GET", "/api/v1/usage-reports/{id}"): Req(ids=rec("usage")),
    ("POST", "/api/v1/usage-reports/{id}/answer"): Req(
        ids=rec("usage_to_answer"), body=fixed({"answer": "Đã sử dụng đúng mục đích"}),
        consumes="usage_to_answer"),
    ("GET", "/api/v1/error-reports"): Req(
        query=lambda w: {"dataset_id": w.get("ds_pub")}, listed=lst("error_report")),
    ("POST", "/api/v1/error-reports"): Req(body=lambda w, a: w.error_body()),
    ("GET", "/api/v1/error-reports/{id}"): Req(ids=rec("error_report")),
    ("POST", "/api/v1/error-reports/{id}/acknowledge"): Req(
        ids=rec("error_to_ack"), consumes="error_to_ack"),
    ("POST", "/api/v1/error-reports/{id}/correct"): Req(
        ids=rec("error_to_correct"),
        body=lambda w, a: {"file_id": w.get("file_pub"), "note": "Đã sửa"},
        consumes="error_to_correct"),
    ("POST", "/api/v1/error-reports/{id}/reject"): Req(
        ids=rec("error_to_reject"), body=fixed({"reason": "Dữ liệu đúng với nguồn"}),
        consumes="error_to_reject"),
    ("GET", "/api/v1/holidays"): Req(),
    ("POST", "/api/v1/holidays"): Req(body=lambda w, a: w.holiday_body()),
    ("GET", "/api/v1/holidays/working-days"): Req(
        query=lambda w: {"from": "2026-01-05", "days": 2}),
    ("DELETE", "/api/v1/holidays/{day}"): Req(
        ids=rec("holiday", "day"), consumes="holiday"),

    # ---------------------------------------------------- suspension
    ("POST", "/api/v1/grants/{id}/suspensions"): Req(
        ids=rec("grant_s"), body=suspension),
    ("GET", "/api/v1/grants/{id}/suspensions"): Req(
        ids=rec("grant_s"), listed=lst("suspension")),
    ("POST", "/api/v1/agencies/{id}/suspensions"): Req(
        ids=rec("cs_agency"), body=agency_suspension),
    ("GET", "/api/v1/suspensions"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("suspension")),
    ("GET", "/api/v1/suspensions/grounds"): Req(),
    ("GET", "/api/v1/suspensions/{id}"): Req(ids=rec("suspension")),
    ("POST", "/api/v1/suspensions/{id}/lift"): Req(
        ids=rec("suspension_to_lift"), body=fixed({"note": "Đã khắc phục"}),
        consumes="suspension_to_lift"),
    ("POST", "/api/v1/grants/{id}/termination"): Req(
        ids=rec("grant_to_end"), consumes="grant_to_end",
        body=fixed({"reason": "Mục đích đã kết thúc", "legal_ground": "purpose_ended"})),
    ("GET", "/api/v1/grants/{id}/termination"): Req(ids=rec("grant_t")),
    ("GET", "/api/v1/terminations"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("termination")),
    ("POST", "/api/v1/services/{id}/planned-suspensions"): Req(
        ids=rec("service"), body=lambda w, a: w.planned_body()),
    ("GET", "/api/v1/services/{id}/planned-suspensions"): Req(
        ids=rec("service"), listed=lst("planned")),
    ("GET", "/api/v1/planned-suspensions"): Req(
        query=lambda w: {"service_id": w.get("service")}, listed=lst("planned")),
    ("GET", "/api/v1/planned-suspensions/{id}"): Req(ids=rec("planned")),
    ("POST", "/api/v1/planned-suspensions/{id}/cancel"): Req(
        ids=rec("planned_to_cancel"), body=fixed({"note": "Hoãn nâng cấp"}),
        consumes="planned_to_cancel"),

    # ------------------------------------------------------- dispute
    ("GET", "/api/v1/disputes"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id}, listed=lst("dispute")),
    ("POST", "/api/v1/disputes"): Req(body=lambda w, a: w.dispute_body()),
    ("GET", "/api/v1/disputes/{id}"): Req(ids=rec("dispute")),
    ("POST", "/api/v1/disputes/{id}/transition"): Req(
        ids=rec("dispute_to_move"), body=fixed({"to": "acknowledged"}),
        consumes="dispute_to_move"),
    ("POST", "/api/v1/disputes/{id}/escalate"): Req(
        ids=rec("dispute_to_escalate"), body=fixed({"reason": "Quá hạn xử lý"}),
        consumes="dispute_to_escalate"),
    ("GET", "/api/v1/disputes/{id}/comments"): Req(
        ids=rec("dispute"), listed=lst("comment")),
    ("POST", "/api/v1/disputes/{id}/comments"): Req(
        ids=rec("dispute"), body=fixed({"body": "Ý kiến bổ sung"})),

    # -------------------------------------------------------- report
    ("GET", "/api/v1/reports"): Req(),
    **{("GET", f"/api/v1/reports/{name}"): Req(
        query=lambda w: {"agency_id": w.prov.agency_id})
       for name in ("sharing-requests", "grants", "suspensions", "disputes",
                    "catalog")},

    # ------------------------------------------------------- gateway
    **{(method, GATEWAY): Req(
        ids=lambda w: {"agency": w.prov.code, "service": w.gw_service_code},
        body=fixed({"ma_ho_so": "HS000001"}) if method in ("POST", "PUT", "PATCH")
        else None, codes=GATEWAY_CODES)
       for method in ("GET", "POST", "PUT", "PATCH", "DELETE")},
    ("GET", "/api/v1/opmon/records"): Req(
        query=lambda w: w.opmon_span(), listed=lst("gw_row"), items="records",
        pages=("next_records_from", "next_records_from")),
    ("GET", "/api/v1/services/{id}/health"): Req(ids=rec("gw_service")),
}


# --------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def matrix(api, db, admin, new_agency, admin_creds, upstream):
    """The two worlds and every actor's token, made once."""

    def actor(prefix, roles="agency_officer"):
        a = new_agency(prefix, roles)
        return a, Actor(a.agency_id, a.code, a.account_id,
                        api.token(a.client_id, a.client_secret))

    dic = api.token(admin_creds["client_id"], admin_creds["client_secret"])
    _, chair = actor("MXCH", "chairman")
    _, auditor = actor("MXAU", "auditor")
    p_raw, p = actor("MXP")
    _, c = actor("MXC")
    _, q = actor("MXQ")
    _, rr = actor("MXR")
    focal = parse_json_line(admin(["account", "create", "--agency", p.agency_id,
                                   "--name", "dau-moi", "--roles", "focal_point"]))
    own = World(api, db, new_agency, p, c, dic, chair.token, upstream)
    other = World(api, db, new_agency, q, rr, dic, chair.token, upstream)
    own.creds = other.creds = (p_raw.client_id, p_raw.client_secret)
    _, system = own.get("sysacc")
    other.get("sysacc")
    # First, so that the monitoring records have them by their turn.
    own.get("gw_row")
    other.get("gw_row")
    tokens = {"none": None, "dic_admin": dic, "chairman": chair.token,
              "officer": p.token, "officer_other": c.token,
              "focal_point": api.token(focal["client_id"], focal["client_secret"]),
              "auditor": auditor.token, "system": system}
    return {"own": own, "other": other}, tokens


# ------------------------------------------------------------------ tests

def test_the_table_lists_every_route_once_per_actor():
    rows = read_table()
    listed = {}
    for r in rows:
        listed.setdefault((r.method, r.path), []).append(r.actor)
    missing = served_routes() - set(listed)
    stale = set(listed) - served_routes()
    assert not missing, f"routes missing from {TABLE.name}: {sorted(missing)}"
    assert not stale, f"rows of {TABLE.name} for no route: {sorted(stale)}"
    wrong = {k: v for k, v in listed.items() if sorted(v) != sorted(ACTORS)}
    assert not wrong, f"endpoints without exactly one row per actor: {wrong}"
    unasked = set(listed) - set(REQUESTS)
    assert not unasked, f"endpoints with no request in REQUESTS: {sorted(unasked)}"


def _request_args(req, world, actor):
    kw = {}
    if req.query:
        kw["params"] = req.query(world)
    if req.raw:
        data, ctype = req.raw(world)
        kw.update(data=data, headers={"Content-Type": ctype})
    elif req.body:
        kw["json"] = req.body(world, actor)
    return kw


def _ask(api, method, path, token, kw):
    for attempt in range(20):
        r = api.request(method, path, token, **kw)
        if r.status_code != 429:  # the token endpoint's rate limit
            return r
        time.sleep(0.25 * (attempt + 1))
    return r


def _listed(api, r, req, want, method, path, token, kw):
    """Whether the record is among the list's items, over every page."""
    key, param = req.pages
    for _ in range(25):
        body = r.json()
        for item in body.get(req.items, []):
            if item.get("id") == want and all(
                    item.get(k) == v for k, v in (req.match or {}).items()):
                return True
        if not body.get(key):
            return False
        params = dict(kw.get("params") or {}, limit=200)
        params[param] = body[key]
        r = api.request(method, path, token, params=params)
        assert r.status_code == 200, f"{path} next page: {r.status_code} {r.text}"
    raise AssertionError(f"{path}: more than 25 pages")


def _check(api, row, column, worlds, tokens):
    """Sends one cell's request; returns None or what went wrong."""
    expected = getattr(row, column)
    if expected == "-":
        return None
    req, world = REQUESTS[(row.method, row.path)], worlds[column]
    path = row.path.format(**(req.ids(world) if req.ids else {}))
    want = req.listed(world) if req.listed else None
    kw = _request_args(req, world, row.actor)
    r = _ask(api, row.method, path, tokens[row.actor], kw)
    got = str(r.status_code)
    problem = None
    if got != expected[:3]:
        code = ""
        if r.status_code >= 400 and r.headers.get("Content-Type", "").startswith(
                "application/json"):
            code = " " + r.json().get("error", {}).get("code", "")
        problem = f"expected {expected}, got {got}{code}"
    elif r.status_code >= 400:
        body = r.json()
        if set(body) != {"error"} or "code" not in body["error"]:
            problem = f"{got} without the error envelope: {r.text[:120]}"
        elif req.codes and (body["error"]["code"], r.headers.get("X-Gateway-Error")) \
                != (req.codes.get(r.status_code),) * 2:
            problem = (f"{got} {body['error']['code']} (X-Gateway-Error "
                       f"{r.headers.get('X-Gateway-Error')}), expected "
                       f"{req.codes.get(r.status_code)}")
    elif req.codes and "X-Gateway-Error" in r.headers:
        problem = f"{got} with X-Gateway-Error {r.headers['X-Gateway-Error']}"
    elif expected[3:] in ("+", "-"):
        seen = _listed(api, r, req, want, row.method, path, tokens[row.actor], kw)
        if seen != (expected[3:] == "+"):
            problem = f"expected {expected}, got {got} with the record " \
                      f"{'listed' if seen else 'not listed'}"
    if r.status_code < 300 and req.consumes:
        world.drop(req.consumes)
    if problem:
        return (f"{TABLE.name}:{row.line} {row.method} {row.path} {row.actor} "
                f"{column}: {problem}")
    return None


def test_every_cell_of_the_matrix(api, matrix):
    worlds, tokens = matrix
    started = time.monotonic()
    problems = []
    for row in read_table():
        if (row.method, row.path) not in REQUESTS:
            continue  # the other test names it
        for column in ("own", "other"):
            p = _check(api, row, column, worlds, tokens)
            if p:
                problems.append(p)
    took = time.monotonic() - started
    assert not problems, f"{len(problems)} cells differ from {TABLE.name} " \
                         f"({took:.1f} s):\n" + "\n".join(problems)


def _shape(r):
    """An answer but for its request id and the ids a message may name."""
    try:
        body = r.json()
        body.get("error", {}).pop("request_id", None)
    except ValueError:
        body = r.text
    return r.status_code, re.sub(r"\d+", "N", str(body))


def test_an_unseen_record_is_answered_as_an_absent_one(api, matrix):
    """Issue 16: for every GET route with an id, each caller gets for a
    record it cannot see exactly the answer it gets for an id that names
    nothing (R10.1: another agency's records are not told to exist)."""
    worlds, tokens = matrix
    problems, asked = [], 0
    for row in read_table():
        if row.method != "GET" or "{" not in row.path:
            continue
        req = REQUESTS[(row.method, row.path)]
        for column in ("own", "other"):
            if getattr(row, column) != "404":
                continue
            world = worlds[column]
            ids = req.ids(world) if req.ids else {}
            kw = _request_args(req, world, row.actor)
            unseen = _ask(api, "GET", row.path.format(**ids), tokens[row.actor], kw)
            absent = _ask(api, "GET", row.path.format(**{k: MISSING for k in ids}),
                          tokens[row.actor], kw)
            asked += 1
            if _shape(unseen) != _shape(absent):
                problems.append(f"{row.path} {row.actor} {column}: unseen "
                                f"{unseen.status_code} {unseen.text[:100]} / absent "
                                f"{absent.status_code} {absent.text[:100]}")
    assert asked > 50, f"only {asked} unseen records asked about"
    assert not problems, "\n".join(problems)
