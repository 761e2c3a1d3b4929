"""Hostile input (issue 7, item 4): deep nesting, megabyte strings, invalid
UTF-8, NUL bytes, numbers out of range, unknown fields (mass assignment),
duplicate keys, huge limits and forged cursors, sent to representative
endpoints of every module. Each must be a 4xx with the error envelope,
never a 500; no worker may die (the modules' master logs "worker N ended
(status S)" when one does); and nothing may be written (the endpoint's
table and the caller's audit rows are counted before and after).
"""

import base64
import json
import os
from dataclasses import dataclass
from typing import Callable

import pytest

from catalog_helpers import ASSESSMENT_CRITERIA, published_dataset, unique
from suspension_helpers import make_grant, make_service, suspension_body, tok


def envelope(r, *statuses):
    assert r.status_code in statuses, f"{r.status_code}: {r.text[:300]}"
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    e = r.json()["error"]
    assert e["code"] and isinstance(e["message"], str)
    assert isinstance(e["details"], list)
    assert e["request_id"] == r.headers["X-Request-Id"]
    return e


def fields_named(e):
    return {d["field"] for d in e["details"]}


# ------------------------------------------------------------ no crashes

MODULES = ("auth", "catalog", "sharing", "suspension", "dispute", "report")


def _worker_deaths():
    """Lines in which a module's master reports a worker that ended."""
    n = 0
    for module in MODULES:
        path = os.path.join(os.environ["STACK_VAR"], "log", f"{module}.log")
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                n += sum(1 for line in f if "ended (status" in line)
    return n


@pytest.fixture(autouse=True)
def no_worker_dies():
    before = _worker_deaths()
    yield
    assert _worker_deaths() == before, "a module worker died (see the stack's logs)"


# ----------------------------------------------------------- the targets

@dataclass
class Target:
    """A create endpoint: who calls it, a valid body, where it writes, and
    one of its numeric fields."""
    name: str
    path: str
    token: str
    account_id: int
    body: Callable          # () -> a valid body (new each call)
    table: str              # the table a success would add a row to
    number: str = None      # a numeric field of the body, if it has one


@pytest.fixture(scope="module")
def env(api, db, new_agency, admin_creds):
    dic = api.token(admin_creds["client_id"], admin_creds["client_secret"])
    dic_id = int(db("SELECT id FROM accounts WHERE client_id = %s",
                    (admin_creds["client_id"],))[0][0])
    p, c = new_agency("ILP"), new_agency("ILC")
    pt, ct = tok(api, p), tok(api, c)
    ds = published_dataset(api, pt)["id"]
    service = make_service(api, p)
    grant = make_grant(api, p, c, dataset_id=ds)
    dispute = api.post("disputes", ct, json={
        "subject": "Sai lệch", "description": "Trường trống", "category": "data",
        "agency_id": p.agency_id}).json()["id"]
    db_listed = api.get(f"datasets/{ds}", pt).json()["database_id"]
    suspension = suspension_body(db)  # determined an hour ago

    def request_body():
        return {"dataset_id": ds, "purpose": "Xác minh", "legal_basis": "NĐ 47",
                "fields": ["ma_ho_so"], "term": "indefinite"}

    targets = [
        Target("auth: accounts", "accounts", dic, dic_id,
               lambda: {"agency_id": p.agency_id, "name": unique("cb"),
                        "roles": ["agency_officer"]},
               "accounts", "agency_id"),
        Target("catalog: agencies", "agencies", dic, dic_id,
               lambda: {"code": unique("IL").replace(" ", "").replace("-", "")[:32],
                        "name": "Cơ quan"},
               "agencies", "parent_id"),
        Target("catalog: datasets", "datasets", pt, p.account_id,
               lambda: {"database_id": db_listed, "title": unique("Bộ dữ liệu")},
               "datasets", "database_id"),
        Target("catalog: assessments", "assessments", pt, p.account_id,
               lambda: {"dataset_id": ds, "assessor": "Tổ kiểm tra",
                        "criteria": {k: "pass" for k in ASSESSMENT_CRITERIA},
                        "verdict": "pass"},
               "assessments", "year"),
        Target("sharing: requests", "sharing-requests", ct, c.account_id,
               request_body, "sharing_requests", "dataset_id"),
        Target("sharing: error reports", "error-reports", ct, c.account_id,
               lambda: {"dataset_id": ds, "what": "Trường trống", "location": "HS1"},
               "error_reports", "file_id"),
        Target("sharing: usage reports", f"grants/{grant}/usage-report-requests", pt,
               p.account_id, lambda: {"question": "Báo cáo",
                                      "due_at": "2099-01-01T00:00:00Z"},
               "usage_report_requests"),
        Target("suspension: suspensions", f"grants/{grant}/suspensions", pt,
               p.account_id, lambda: dict(suspension), "suspensions"),
        Target("suspension: agency-wide", f"agencies/{c.agency_id}/suspensions", pt,
               p.account_id, lambda: dict(suspension), "suspensions",
               "provider_agency_id"),
        Target("suspension: planned", f"services/{service}/planned-suspensions", pt,
               p.account_id, lambda: {"reason": "upgrade", "description": "Nâng cấp",
                                      "starts_at": "2099-01-05T00:00:00Z",
                                      "ends_at": "2099-01-05T06:00:00Z"},
               "planned_suspensions"),
        Target("dispute: disputes", "disputes", ct, c.account_id,
               lambda: {"subject": "Sai lệch", "description": "Trường trống",
                        "category": "data", "agency_id": p.agency_id},
               "disputes", "agency_id"),
        Target("dispute: comments", f"disputes/{dispute}/comments", ct, c.account_id,
               lambda: {"body": "Ý kiến"}, "dispute_comments"),
    ]
    return {"targets": {t.name: t for t in targets}, "dic": dic, "p": pt, "c": ct,
            "grant": grant, "dispute": dispute, "ds": ds}


# Fields each target must not let a caller set (mass assignment): the
# columns its handler sets itself.
MASS = {
    "auth: accounts": ("status", "grant_id", "client_id", "secret_hash"),
    "catalog: agencies": ("is_dic", "dic_marker", "id"),
    "catalog: datasets": ("status", "published_at", "agency_id", "views", "created_by"),
    "catalog: assessments": ("agency_id", "recorded_by"),
    "sharing: requests": ("status", "provider_agency_id", "consumer_agency_id",
                          "due_at", "decided_by"),
    "sharing: error reports": ("status", "reporter_agency_id", "grant_id",
                               "provider_agency_id"),
    "sharing: usage reports": ("status", "consumer_agency_id", "provider_agency_id"),
    "suspension: suspensions": ("state", "imposed_by", "notice_late",
                                "provider_agency_id"),
    "suspension: agency-wide": ("state", "imposed_by", "consumer_agency_id"),
    "suspension: planned": ("state", "provider_agency_id", "earliest_regular_start"),
    "dispute: disputes": ("state", "assignee_agency_id", "filer_agency_id",
                          "assignment_rule"),
    "dispute: comments": ("author_agency_id", "author_account_id"),
}
TARGETS = list(MASS)
# One target per module, with a numeric field, for the attacks that come
# in many variants: the parser and the field reader are core's, shared by
# every module, so each variant needs to reach each module once.
PER_MODULE = ["auth: accounts", "catalog: datasets", "sharing: requests",
              "suspension: agency-wide", "dispute: disputes"]


def counts(db, t):
    # t.table is one of this file's constants, never input.
    return db(f"SELECT (SELECT COUNT(*) FROM `{t.table}`), (SELECT COUNT(*) FROM "
              "audit_events WHERE actor_account_id = %s)", (t.account_id,))


def send(api, db, t, data: bytes, *statuses):
    """Posts raw JSON text to the target; checks the envelope and that
    nothing was written. Returns the error."""
    before = counts(db, t)
    r = api.post(t.path, t.token, data=data,
                 headers={"Content-Type": "application/json"})
    e = envelope(r, *statuses)
    assert counts(db, t) == before, f"{t.name}: something was written"
    return e


def text(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def with_raw(body: dict, key: str, raw: bytes) -> bytes:
    """body's JSON with key's value replaced by raw bytes (not JSON-encoded)."""
    body = dict(body, **{key: "@@RAW@@"})
    return text(body).replace(b'"@@RAW@@"', raw)


def first_string_field(body):
    return next(k for k, v in body.items() if isinstance(v, str))


def test_every_target_accepts_its_valid_body(api, db, env):
    """The bodies below are valid, so each refusal is the attack's doing:
    each target's body succeeds once (then is not sent again)."""
    for name in TARGETS:
        t = env["targets"][name]
        r = api.post(t.path, t.token, json=t.body())
        assert r.status_code == 201, f"{name}: {r.status_code} {r.text}"


# ------------------------------------------------------------- nesting

@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("shape", ["array", "object"])
def test_deep_nesting_is_400(api, db, env, name, shape):
    t = env["targets"][name]
    deep = (b"[" * 10000 + b"1" + b"]" * 10000 if shape == "array"
            else b'{"a":' * 10000 + b"1" + b"}" * 10000)
    e = send(api, db, t, with_raw(t.body(), first_string_field(t.body()), deep), 400)
    assert e["code"] == "malformed_json"


@pytest.mark.parametrize("name", TARGETS)
def test_nesting_depth_limit_is_sixteen(api, db, env, name):
    """16 levels parse (the field then has the wrong type: 422), 17 do not."""
    t = env["targets"][name]
    key = first_string_field(t.body())
    ok = with_raw(t.body(), key, b"[" * 15 + b"1" + b"]" * 15)  # 16 with the body
    assert key in fields_named(send(api, db, t, ok, 422))
    deep = with_raw(t.body(), key, b"[" * 16 + b"1" + b"]" * 16)
    assert send(api, db, t, deep, 400)["code"] == "malformed_json"


# ------------------------------------------------------------- strings

@pytest.mark.parametrize("name", TARGETS)
def test_a_megabyte_string_is_413(api, db, env, name):
    t = env["targets"][name]
    body = dict(t.body(), **{first_string_field(t.body()): "x" * (1 << 20)})
    send(api, db, t, text(body), 413)


@pytest.mark.parametrize("name", TARGETS)
def test_a_string_just_under_the_body_limit_is_422_naming_it(api, db, env, name):
    t = env["targets"][name]
    key = first_string_field(t.body())
    body = dict(t.body(), **{key: "Đ" * 500000})  # 1,000,000 bytes of UTF-8
    assert key in fields_named(send(api, db, t, text(body), 422))


INVALID_UTF8 = {
    "bad_continuation": b"\xc3\x28",
    "lone_continuation": b"\x80",
    "overlong_slash": b"\xc0\xaf",
    "overlong_nul": b"\xc0\x80",
    "surrogate": b"\xed\xa0\x80",
    "above_10ffff": b"\xf4\x90\x80\x80",
    "five_bytes": b"\xf8\x88\x80\x80\x80",
    "truncated": b"\xe1\x80",
    "latin1": "Hà Nội".encode("latin-1", errors="replace"),
}


@pytest.mark.parametrize("name", PER_MODULE)
@pytest.mark.parametrize("seq", sorted(INVALID_UTF8))
def test_invalid_utf8_is_400(api, db, env, name, seq):
    t = env["targets"][name]
    raw = b'"abc' + INVALID_UTF8[seq] + b'def"'
    e = send(api, db, t, with_raw(t.body(), first_string_field(t.body()), raw), 400)
    assert e["code"] == "malformed_json"


@pytest.mark.parametrize("name", PER_MODULE)
@pytest.mark.parametrize("escape", [b"\\ud800", b"\\udfff", b"\\ud800x", b"\\udbff\\ud800"])
def test_escaped_lone_surrogates_are_refused(api, db, env, name, escape):
    """Valid JSON text, but no Unicode string: never stored as it is or
    silently replaced."""
    t = env["targets"][name]
    raw = b'"abc' + escape + b'def"'
    send(api, db, t, with_raw(t.body(), first_string_field(t.body()), raw), 400, 422)


# ----------------------------------------------------------------- NUL

@pytest.mark.parametrize("name", TARGETS)
def test_a_raw_nul_byte_is_400(api, db, env, name):
    t = env["targets"][name]
    raw = b'"abc\x00def"'
    send(api, db, t, with_raw(t.body(), first_string_field(t.body()), raw), 400)


@pytest.mark.parametrize("name", TARGETS)
def test_an_escaped_nul_in_a_value_is_400(api, db, env, name):
    """No field holds a NUL; the parser refuses it before any field does."""
    t = env["targets"][name]
    key = first_string_field(t.body())
    send(api, db, t, text(dict(t.body(), **{key: "ab\u0000cd"})), 400)


@pytest.mark.parametrize("name", TARGETS)
def test_an_escaped_nul_in_a_key_is_refused(api, db, env, name):
    """A key is a C string to json-c: "x\\u0000y" must not become "x"."""
    t = env["targets"][name]
    body = t.body()
    key = first_string_field(body)
    data = text(body).replace(f'"{key}"'.encode(), f'"{key}\\u0000evil"'.encode(), 1)
    send(api, db, t, data, 400, 422)


def test_nul_bytes_in_query_strings_are_400(api, env):
    for path, token in [("notifications", env["c"]), ("datasets", env["p"]),
                        ("grants", env["c"]), ("suspensions", env["p"]),
                        ("disputes", env["c"]), ("search", None),
                        ("reports/grants", env["dic"])]:
        envelope(api.get(f"{path}?agency_id=1%00", token), 400)
        envelope(api.get(f"{path}?q=a%00b", token), 400)


# ------------------------------------------------------------- numbers

NUMBERS = {
    "above_int64": b"9223372036854775808",
    "far_above": b"99999999999999999999999999",
    "below_int64": b"-9223372036854775809",
    "negative": b"-1",
    "zero": b"0",
    "fraction": b"1.5",
    "exponent": b"1e2",
    "overflowing_double": b"1e309",
    "string": b'"7"',
    "bool": b"true",
    "array": b"[1]",
}


@pytest.mark.parametrize("name", PER_MODULE)
@pytest.mark.parametrize("value", sorted(NUMBERS))
def test_numbers_out_of_range_or_of_another_type_are_refused(api, db, env, name, value):
    """422 naming the field (never coerced or saturated); 400 where the
    parser refuses the number itself (an infinite double)."""
    t = env["targets"][name]
    e = send(api, db, t, with_raw(t.body(), t.number, NUMBERS[value]), 400, 422)
    if e["code"] == "validation_failed":
        assert t.number in fields_named(e)
    else:
        assert value == "overflowing_double" and e["code"] == "malformed_json"


# ---------------------------------------------- unknown fields, duplicates

@pytest.mark.parametrize("name,field", [(n, f) for n in TARGETS for f in MASS[n]])
def test_unknown_fields_are_422_naming_them(api, db, env, name, field):
    """Mass assignment: a field the endpoint does not declare is refused,
    not ignored, even with a plausible value."""
    t = env["targets"][name]
    value = {"status": "approved", "state": "closed", "is_dic": True,
             "notice_late": False, "imposed_by": "dic"}.get(field, 1)
    e = send(api, db, t, text(dict(t.body(), **{field: value})), 422)
    assert field in fields_named(e)


@pytest.mark.parametrize("name", TARGETS)
def test_duplicate_keys_are_400(api, db, env, name):
    t = env["targets"][name]
    body = t.body()
    key = first_string_field(body)
    dup = text(body)[:-1] + b', ' + json.dumps(key).encode() + b': "second"}'
    assert send(api, db, t, dup, 400)["code"] == "malformed_json"


# ------------------------------------------------------- limits, cursors

LISTS = [  # (path, whose token)
    ("notifications", "c"), ("accounts", "dic"),                   # auth
    ("databases", "p"), ("datasets", "p"), ("catalog/proposals", "p"),  # catalog
    ("sharing-requests", "c"), ("grants", "c"), ("access-log", "p"),  # sharing
    ("suspensions", "p"), ("planned-suspensions", "p"),            # suspension
    ("disputes", "c"),                                             # dispute
]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("path,who", LISTS)
@pytest.mark.parametrize("limit", ["1000000", "99999999999999999999999", "201", "0", "-1",
                                   "1e3", "", " 5"])
def test_bad_limits_are_422(api, env, path, who, limit):
    e = envelope(api.get(path, env[who], params={"limit": limit}), 422)
    assert fields_named(e) == {"limit"}


FORGED = {
    "garbage": "garbage!!",
    "not_base64": "****",
    "negative": b64(b"v1:-1"),
    "zero": b64(b"v1:0"),
    "huge": b64(b"v1:99999999999999999999"),
    "other_version": b64(b"v2:5"),
    "offset_kind": b64(b"o1:5"),
    "trailing": b64(b"v1:5x"),
    "long": b64(b"v1:" + b"1" * 60),
    "nul": b64(b"v1:5\x00"),
    "empty": "",
}


@pytest.mark.parametrize("path,who", LISTS)
@pytest.mark.parametrize("cursor", sorted(FORGED))
def test_forged_cursors_are_422(api, env, path, who, cursor):
    e = envelope(api.get(path, env[who], params={"cursor": FORGED[cursor]}), 422)
    assert fields_named(e) == {"cursor"}


@pytest.mark.parametrize("cursor", ["garbage", b64(b"v1:5"), b64(b"o1:-1"),
                                    b64(b"o1:99999999999")])
def test_forged_offset_cursors_are_422(api, env, cursor):
    """Search pages by offset ("o1:"): its cursors are checked the same."""
    e = envelope(api.get("search", env["p"], params={"q": "du lieu", "cursor": cursor}),
                 422)
    assert fields_named(e) == {"cursor"}


@pytest.mark.parametrize("path", ["grants", "sharing-requests", "disputes",
                                  "suspensions", "access-log"])
def test_a_well_formed_cursor_moves_only_within_what_the_caller_sees(
        api, env, new_agency, path):
    """A cursor is only a position: from the very start ("v1:1") an agency
    with no records still sees none of the others'."""
    outsider = tok(api, new_agency("ILX"))
    r = api.get(path, outsider, params={"cursor": b64(b"v1:1"), "limit": 200})
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []


@pytest.mark.parametrize("path", [
    "accounts/99999999999999999999999", "agencies/18446744073709551616",
    "datasets/-1", "datasets/0", "grants/1e3", "grants/0x10",
    "sharing-requests/99999999999999999999", "suspensions/9223372036854775808",
    "disputes/00000000000000000000000000001", "disputes/1%00",
])
def test_ids_out_of_range_in_paths_are_404(api, env, path):
    envelope(api.get(path, env["dic"]), 400, 404)


@pytest.mark.parametrize("report", ["sharing-requests", "grants", "suspensions",
                                    "disputes", "catalog"])
@pytest.mark.parametrize("param,value", [
    ("from", "2026-02-30"), ("from", "99999-01-01"), ("to", "2026-13-01"),
    ("from", "1900-01-01"), ("agency_id", "99999999999999999999999"),
    ("agency_id", "-1"), ("agency_id", "1e3"), ("agency_id", "9007199254740993"),
    ("format", "xml"), ("limit", "1000000"), ("cursor", "garbage"),
])
def test_report_parameters_out_of_range_are_422(api, env, report, param, value):
    """The report module takes no paging; an unknown or bad parameter is a
    422 naming it rather than a silently different report."""
    e = envelope(api.get(f"reports/{report}", env["dic"], params={param: value}), 422)
    assert fields_named(e) == {param}
