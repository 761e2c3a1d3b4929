"""The gateway's monitoring data (issue 18, Art. 12.4): GET /opmon/records
(the gateway's log rows, X-Road's operational data, paged by
next_records_from) and GET /services/{id}/health (a service's recent calls).

The agencies, services and grants are real, made through the API (the
catalog's and the sharing module's), so that who sees what is decided on
real records. The log rows themselves are seeded with the `db` fixture,
which runs as MariaDB's root: that is setup only, standing for the gateway
that writes these rows (modules/gateway/call.c, written in parallel); the
rows have the columns of sql/0012_gateway.sql as the gateway contract
(/work/gw-contract.md, "The log") fixes them. Each test reads its own rows:
its own agencies, or its own hour of time days in the past (`slot`).
"""

import csv
import hashlib
import io
import itertools
import math
import random
import time
import uuid
from dataclasses import dataclass

import pytest

from catalog_helpers import actor, auditor, chairman  # noqa: F401 (fixtures)
from conftest import Agency
from suspension_helpers import make_grant, make_service, service_dataset, tok

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# The API's names of a record's fields, in the order the API gives them.
RECORD_FIELDS = [
    "id", "request_id", "method", "request_path", "service_id",
    "provider_agency_id", "consumer_agency_id", "grant_id", "account_id",
    "http_status", "outcome", "succeeded", "fault_code", "fault_text",
    "request_in_ms", "request_out_ms", "response_in_ms", "response_out_ms",
    "request_bytes", "request_sha256", "response_bytes", "response_sha256",
    "narrowed", "bodies_kept", "seq"]
# The log's columns a seeded row sets (sql/0003, sql/0012).
COLUMNS = [
    "kind", "account_id", "agency_id", "grant_id", "provider_agency_id",
    "consumer_agency_id", "dataset_id", "service_id", "request_path",
    "outcome", "reason", "http_status", "bytes", "sha256", "narrowed",
    "remote_addr", "request_id", "method", "request_in_ms", "request_out_ms",
    "response_in_ms", "response_out_ms", "succeeded", "fault_code",
    "fault_text", "request_bytes", "request_sha256", "bodies_kept"]

# Each run starts its slots at a random place, so that a rerun against the
# same stack (a dev stack) does not meet the rows of the last one.
_slots = itertools.count(random.randrange(1, 5000) * 40)


# ------------------------------------------------------------------ world

@dataclass
class World:
    """A provider P with services s1 and s2; consumer c1 holds a grant on
    s1, c2 none; Q provides s3, which P consumes; `other` has nothing to
    do with any of them."""
    provider: Agency
    c1: Agency
    c2: Agency
    q: Agency
    other: Agency
    s1: int
    s2: int
    s3: int
    datasets: dict
    grant: int


@pytest.fixture(scope="module")
def w(api, new_agency):
    p, c1, c2, q, other = (new_agency(x) for x in ("OP", "OC", "OC", "OQ", "OX"))
    s1, s2, s3 = make_service(api, p), make_service(api, p), make_service(api, q)
    datasets = {s: service_dataset(api, owner, s)
                for s, owner in ((s1, p), (s2, p), (s3, q))}
    grant = make_grant(api, p, c1, service_id=s1)
    return World(p, c1, c2, q, other, s1, s2, s3, datasets, grant)


def db_now_ms(db) -> int:
    return int(db("SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)")[0][0])


def slot(db) -> int:
    """The start of an hour of this test's own, ten days and more ago (a
    slot every two hours: the clock moves between two tests' slots)."""
    return db_now_ms(db) - 10 * DAY - next(_slots) * 2 * HOUR


def call(w, at, service=None, consumer=None, outcome="delivered", status=200,
         took=40, **over) -> dict:
    """A gateway log row as the contract writes it: a call to `service`
    (default s1) by `consumer` (an Agency, or None for a call refused before
    its caller was known) arriving at `at` ms and answered `took` ms later."""
    service = service or w.s1
    provider = w.q if service == w.s3 else w.provider
    consumer = w.c1 if consumer is None and outcome != "refused" else consumer
    forwarded = outcome == "delivered" or over.get("fault_code") == "upstream_timeout"
    body = f"{{\"n\": {at}}}".encode()
    row = dict(
        kind="gateway", account_id=None,
        agency_id=consumer.agency_id if consumer else None,
        grant_id=w.grant if consumer is w.c1 else None,
        provider_agency_id=provider.agency_id,
        consumer_agency_id=consumer.agency_id if consumer else None,
        dataset_id=w.datasets[service], service_id=service,
        request_path=f"/gw/{provider.code}/svc/items?at={at}",
        outcome=outcome, reason=None if outcome == "delivered" else "no_grant",
        http_status=status, bytes=len(body), sha256=sha(body), narrowed=0,
        remote_addr="127.0.0.1", request_id=uuid.uuid4().hex, method="GET",
        request_in_ms=at, request_out_ms=at + 1 if forwarded else None,
        response_in_ms=at + took - 1 if outcome == "delivered" else None,
        response_out_ms=at + took,
        succeeded=1 if outcome == "delivered" and status < 500 else 0,
        fault_code=None if outcome == "delivered" else "no_grant",
        fault_text=None if outcome == "delivered" else "no grant reaches this service",
        request_bytes=0, request_sha256=EMPTY_SHA, bodies_kept=0)
    row.update(over)
    return row


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def insert(db, rows) -> list:
    """Inserts the rows; returns them with their ids, in (request_in_ms, id)
    order, the order of the records."""
    for i in range(0, len(rows), 100):
        chunk = rows[i:i + 100]
        values = ",".join("(" + ",".join(["%s"] * len(COLUMNS)) + ")" for _ in chunk)
        db(f"INSERT INTO access_log ({','.join(COLUMNS)}) VALUES {values}",
           tuple(r[c] for r in chunk for c in COLUMNS))
    wanted = {r["request_id"]: r for r in rows}
    for i in range(0, len(rows), 200):
        part = [r["request_id"] for r in rows[i:i + 200]]
        for rid, req in db("SELECT id, request_id FROM access_log WHERE request_id IN ("
                           + ",".join(["%s"] * len(part)) + ")", tuple(part)):
            wanted[req]["id"] = int(rid)
    return sorted(rows, key=lambda r: (r["request_in_ms"], r["id"]))


def records(api, token, **params):
    r = api.get("opmon/records", token, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def ids(api, token, **params) -> list:
    return [x["id"] for x in records(api, token, limit=1000, **params)["records"]]


def every_record(api, token, **params) -> list:
    """Every record over all pages (records_to must be settled, so that the
    last page says there is no next), checking that only a full page goes
    on."""
    out, nxt = [], None
    for _ in range(10000):
        p = dict(params)
        if nxt is not None:
            p["next_records_from"] = nxt
        body = records(api, token, **p)
        out += body["records"]
        nxt = body["next_records_from"]
        if nxt is None:
            return out
        assert len(body["records"]) == int(params.get("limit", 100))
    raise AssertionError("paging did not end")


def error_fields(r) -> set:
    assert r.status_code == 422, r.text
    return {d["field"] for d in r.json()["error"]["details"]}


# ------------------------------------------------------------ the records

def test_a_record_is_the_log_row_under_the_api_names(api, db, w, admin_token):
    t = slot(db)
    rows = insert(db, [
        call(w, t + 10, narrowed=1, request_bytes=12, request_sha256=sha(b"{\"q\": \"H01\"}"),
             bodies_kept=1),
        call(w, t + 20, outcome="failed", status=504, took=3000,
             fault_code="upstream_timeout", fault_text="the service did not answer in 3000 ms"),
        call(w, t + 30, outcome="refused", status=401, consumer=None, succeeded=None,
             fault_code="unauthorized", fault_text="no token"),
    ])
    # A download row of the same provider at the same time is not a record.
    db("INSERT INTO access_log (kind, grant_id, provider_agency_id, consumer_agency_id, "
       "dataset_id, request_path, outcome, http_status) VALUES ('download', %s, %s, %s, %s, "
       "'/api/v1/data/1/files/1', 'delivered', 200)",
       (w.grant, w.provider.agency_id, w.c1.agency_id, w.datasets[w.s1]))
    body = records(api, tok(api, w.provider), records_from=t, records_to=t + HOUR)
    assert body["next_records_from"] is None
    got = body["records"]
    assert [x["id"] for x in got] == [r["id"] for r in rows]
    for x, row in zip(got, rows):
        assert list(x) == RECORD_FIELDS
        seq = db("SELECT seq FROM access_log WHERE id = %s", (row["id"],))[0][0]
        assert x["seq"] is None or x["seq"] == int(seq)
        expect = {k: row[k] for k in RECORD_FIELDS if k in row}
        expect.update(response_bytes=row["bytes"], response_sha256=row["sha256"],
                      succeeded=None if row["succeeded"] is None else bool(row["succeeded"]),
                      narrowed=bool(row["narrowed"]), bodies_kept=bool(row["bodies_kept"]))
        assert {k: x[k] for k in expect} == expect
    assert got[0]["narrowed"] is True and got[0]["succeeded"] is True
    assert got[2]["consumer_agency_id"] is None and got[2]["grant_id"] is None


def test_filters_by_service_consumer_provider_and_outcome(api, db, w, admin_token):
    t = slot(db)
    rows = insert(db, [
        call(w, t + 1, service=w.s1, consumer=w.c1),
        call(w, t + 2, service=w.s1, consumer=w.c2, outcome="refused", status=403),
        call(w, t + 3, service=w.s2, consumer=w.c1, outcome="failed", status=502,
             fault_code="upstream_unreachable"),
        call(w, t + 4, service=w.s2, consumer=w.c2),
        call(w, t + 5, service=w.s3, consumer=w.provider),
        call(w, t + 6, service=w.s1, consumer=w.c1, status=503, succeeded=0),
    ])
    r = [x["id"] for x in rows]
    span = dict(records_from=t, records_to=t + HOUR)
    dic = admin_token
    assert ids(api, dic, **span) == r
    assert ids(api, dic, service_id=w.s1, **span) == [r[0], r[1], r[5]]
    assert ids(api, dic, service_id=w.s2, consumer_agency_id=w.c2.agency_id, **span) == [r[3]]
    assert ids(api, dic, consumer_agency_id=w.c1.agency_id, **span) == [r[0], r[2], r[5]]
    assert ids(api, dic, provider_agency_id=w.provider.agency_id, **span) == r[:4] + [r[5]]
    assert ids(api, dic, provider_agency_id=w.q.agency_id, **span) == [r[4]]
    assert ids(api, dic, provider_agency_id=w.provider.agency_id,
               consumer_agency_id=w.c2.agency_id, **span) == [r[1], r[3]]
    assert ids(api, dic, outcome="refused", **span) == [r[1]]
    assert ids(api, dic, outcome="failed", **span) == [r[2]]
    assert ids(api, dic, outcome="delivered", provider_agency_id=w.provider.agency_id,
               **span) == [r[0], r[3], r[5]]
    # A service and a provider that is not its own: nothing, at once.
    assert ids(api, dic, service_id=w.s1, provider_agency_id=w.q.agency_id, **span) == []
    assert ids(api, dic, service_id=999999999, **span) == []
    # The range: from and to inclusive.
    assert ids(api, dic, records_from=t + 2, records_to=t + 4) == r[1:4]


def test_paging_through_one_busy_millisecond_loses_and_repeats_none(api, db, w,
                                                                   admin_token):
    t = slot(db)
    rows = [call(w, t + 5 + (i % 3), consumer=(w.c1, w.c2)[i % 2]) for i in range(9)]
    # P is the provider of s1 and s2 and the consumer of s3 (Q's).
    rows += [call(w, t + 100, service=(w.s1, w.s2, w.s3)[i % 3],
                  consumer=w.provider if i % 3 == 2 else (w.c1, w.c2)[i % 2])
             for i in range(160)]
    rows += [call(w, t + 101 + i) for i in range(5)]
    rows = insert(db, rows)
    span = dict(records_from=t, records_to=t + HOUR)
    for limit in (1, 7, 100, 173, 174):
        got = [x["id"] for x in every_record(api, admin_token, limit=limit, **span)]
        assert got == [r["id"] for r in rows], limit
    # The agency's own view: its providing side and its consuming side
    # (s3, Q's) merged, through the same busy millisecond.
    mine = [r["id"] for r in rows]
    got = [x["id"] for x in every_record(api, tok(api, w.provider), limit=6, **span)]
    assert got == mine
    c2 = [r["id"] for r in rows if r["consumer_agency_id"] == w.c2.agency_id]
    got = [x["id"] for x in every_record(api, tok(api, w.c2), limit=4, **span)]
    assert got == c2
    # The cursor names the last row of the page: its time and its id.
    body = records(api, admin_token, limit=12, **span)
    last = body["records"][-1]
    assert body["next_records_from"] == f"{last['request_in_ms']}:{last['id']}"


def test_a_range_read_to_its_end_says_no_next(api, db, w, admin_token):
    t = slot(db)
    rows = insert(db, [call(w, t + i) for i in range(5)])
    span = dict(records_from=t, records_to=t + HOUR, provider_agency_id=w.provider.agency_id)
    body = records(api, admin_token, limit=5, **span)
    assert len(body["records"]) == 5 and body["next_records_from"] is None
    body = records(api, admin_token, limit=4, **span)
    assert body["next_records_from"] == f"{t + 3}:{rows[3]['id']}"
    body = records(api, admin_token, limit=4, next_records_from=body["next_records_from"],
                   **span)
    assert [x["id"] for x in body["records"]] == [rows[4]["id"]]
    assert body["next_records_from"] is None


def test_csv_has_the_json_columns_quoted_as_rfc_4180(api, db, w, admin_token):
    t = slot(db)
    text = 'upstream said "no", then\r\nclosed'
    insert(db, [call(w, t + 1), call(w, t + 2, outcome="failed", status=502,
                                     fault_code="bad_upstream_response", fault_text=text),
                call(w, t + 3)])
    span = dict(records_from=t, records_to=t + HOUR, provider_agency_id=w.provider.agency_id)
    want = records(api, admin_token, **span)["records"]
    r = api.get("opmon/records", admin_token, params=dict(span, format="csv"))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "X-Next-Records-From" not in r.headers
    raw = r.content.decode("utf-8")
    assert raw.startswith(",".join(RECORD_FIELDS) + "\r\n")
    assert '"upstream said ""no"", then\r\nclosed"' in raw
    table = list(csv.reader(io.StringIO(raw, newline="")))
    assert table[0] == RECORD_FIELDS and len(table) == 4
    for line, x in zip(table[1:], want):
        for name, cell in zip(RECORD_FIELDS, line):
            v = x[name]
            expect = "" if v is None else str(int(v)) if isinstance(v, bool) else str(v)
            assert cell == expect, name
    # Paged, the cursor comes in a header.
    r = api.get("opmon/records", admin_token, params=dict(span, format="csv", limit=2))
    assert r.headers["X-Next-Records-From"] == f"{want[1]['request_in_ms']}:{want[1]['id']}"
    assert len(list(csv.reader(io.StringIO(r.text, newline="")))) == 3


def settle_ms() -> int:
    """The stack's opmon_settle_s (default 60; the test stack sets 10)."""
    from gateway_support import stack_conf
    return int(stack_conf().get("opmon_settle_s", "60")) * SECOND


def test_the_newest_rows_wait_and_the_cursor_says_from_when(api, db, w, admin_token):
    """A row is written when its call ends: the last opmon_settle_s are
    not answered yet, and the cursor goes on from the first millisecond
    not read (X-Road's records-available offset)."""
    settle = settle_ms()
    now = db_now_ms(db)
    old, new = insert(db, [call(w, now - 5 * MINUTE), call(w, now - settle // 5)])
    q = dict(records_from=now - 10 * MINUTE, provider_agency_id=w.provider.agency_id)
    body = records(api, admin_token, **q)
    after = db_now_ms(db)
    assert [x["id"] for x in body["records"]] == [old["id"]]
    ms, rid = map(int, body["next_records_from"].split(":"))
    assert rid == 0 and now - settle + 1 <= ms <= after - settle + 1
    # An explicit end past the settled time is cut the same way.
    body = records(api, admin_token, records_to=now, **q)
    assert [x["id"] for x in body["records"]] == [old["id"]]
    assert body["next_records_from"] is not None
    # From the cursor: nothing more until the new row settles.
    body = records(api, admin_token, next_records_from=f"{ms}:0", **q)
    assert body["records"] == [] and body["next_records_from"] is not None
    # A range that has settled is read whole and ends.
    body = records(api, admin_token, records_to=now - 2 * MINUTE, **q)
    assert [x["id"] for x in body["records"]] == [old["id"]]
    assert body["next_records_from"] is None
    assert new["id"] not in ids(api, admin_token, **q)


def test_who_sees_which_records(api, db, w, admin_token, auditor):
    t = slot(db)
    rows = insert(db, [
        call(w, t + 1, service=w.s1, consumer=w.c1),
        call(w, t + 2, service=w.s1, consumer=w.c2),
        call(w, t + 3, service=w.s3, consumer=w.provider),
        call(w, t + 4, service=w.s1, consumer=None, outcome="refused", status=401),
    ])
    r = [x["id"] for x in rows]
    span = dict(records_from=t, records_to=t + HOUR)
    p, c1, c2, q, other = (tok(api, a) for a in (w.provider, w.c1, w.c2, w.q, w.other))
    # DIC and auditors: every row.
    assert ids(api, admin_token, **span) == r
    assert ids(api, auditor.token, **span) == r
    # The provider: its services' calls, and its own calls to Q's service.
    assert ids(api, p, **span) == r
    assert ids(api, p, consumer_agency_id=w.c2.agency_id, **span) == [r[1]]
    assert ids(api, p, provider_agency_id=w.q.agency_id, **span) == [r[2]]
    # A consumer: its own calls only, whatever it names.
    assert ids(api, c1, **span) == [r[0]]
    assert ids(api, c1, service_id=w.s1, **span) == [r[0]]
    assert ids(api, c1, provider_agency_id=w.provider.agency_id, **span) == [r[0]]
    assert ids(api, c1, consumer_agency_id=w.c2.agency_id, **span) == []
    assert ids(api, c2, **span) == [r[1]]
    # Q sees the call to its service, not P's others.
    assert ids(api, q, **span) == [r[2]]
    assert ids(api, q, service_id=w.s1, **span) == []
    # An agency with no part in them: an empty page, whatever it asks.
    assert ids(api, other, **span) == []
    assert ids(api, other, provider_agency_id=w.provider.agency_id, **span) == []
    assert ids(api, other, service_id=w.s1, consumer_agency_id=w.c1.agency_id, **span) == []


def test_roles_without_records_are_403_and_no_token_401(api, db, w, chairman):
    span = {"records_from": 0, "records_to": 1000}
    assert api.get("opmon/records", params=span).status_code == 401
    assert api.get("opmon/records", chairman.token, params=span).status_code == 403
    acc = api.post(f"grants/{w.grant}/accounts", tok(api, w.provider),
                   json={"name": "he-thong-giam-sat"})
    assert acc.status_code == 201, acc.text
    system = api.token(acc.json()["client_id"], acc.json()["client_secret"])
    assert api.get("opmon/records", system, params=span).status_code == 403


@pytest.mark.parametrize("params,fields", [
    ({}, {"records_from"}),
    ({"records_from": "yesterday"}, {"records_from"}),
    ({"records_from": "-1"}, {"records_from"}),
    ({"records_from": "1000", "records_to": "999"}, {"records_to"}),
    ({"records_from": "0", "records_to": str(32 * DAY)}, {"records_from"}),
    ({"records_from": "0", "records_to": "10", "limit": "0"}, {"limit"}),
    ({"records_from": "0", "records_to": "10", "limit": "1001"}, {"limit"}),
    ({"records_from": "0", "records_to": "10", "outcome": "ok"}, {"outcome"}),
    ({"records_from": "0", "records_to": "10", "format": "xml"}, {"format"}),
    ({"records_from": "0", "records_to": "10", "service_id": "0"}, {"service_id"}),
    ({"records_from": "0", "records_to": "10", "grant_id": "3"}, {"grant_id"}),
    ({"records_from": "0", "records_to": "10", "cursor": "djE6NQ"}, {"cursor"}),
    ({"records_from": "0", "records_to": "10", "next_records_from": "5"},
     {"next_records_from"}),
    ({"records_from": "0", "records_to": "10", "next_records_from": "05:1"},
     {"next_records_from"}),
    ({"records_from": "0", "records_to": "10", "next_records_from": "5:-1"},
     {"next_records_from"}),
    ({"records_from": "0", "records_to": "10", "next_records_from": "5:1:2"},
     {"next_records_from"}),
    ({"records_to": "x", "limit": "x", "outcome": "x", "consumer_agency_id": "x"},
     {"records_from", "records_to", "limit", "outcome", "consumer_agency_id"}),
])
def test_bad_parameters_are_422_naming_each(api, admin_token, params, fields):
    assert error_fields(api.get("opmon/records", admin_token, params=params)) == fields


def test_31_days_are_allowed_and_a_cursor_moves_the_start(api, admin_token):
    span = {"records_from": "0", "records_to": str(31 * DAY)}
    assert records(api, admin_token, **span)["records"] == []
    late = dict(span, records_to=str(40 * DAY), next_records_from=f"{10 * DAY}:0")
    assert records(api, admin_token, **late)["next_records_from"] is None


# The server's handler reads: every index entry or row a statement reads
# from InnoDB and tests in the server counts once (a page that reads the
# log, or an index range of the wrong side, counts thousands below). The
# other processes of the stack and this SHOW add a few dozen.
HANDLER_READS = ("Handler_read_first", "Handler_read_key", "Handler_read_last",
                 "Handler_read_next", "Handler_read_prev", "Handler_read_rnd",
                 "Handler_read_rnd_next")


def rows_read(db) -> int:
    rows = db("SHOW GLOBAL STATUS WHERE Variable_name IN ("
              + ",".join(["%s"] * len(HANDLER_READS)) + ")", HANDLER_READS)
    assert len(rows) == len(HANDLER_READS), rows
    return sum(int(v) for _, v in rows)


def test_a_page_reads_a_page_not_the_log(api, db, w, admin_token):
    """20,000 calls of c1 to s1 and, spread among them, 50 of c2: each way
    to ask for a page of c2's calls must read about a page of rows, by its
    index (sql/0013_opmon.sql), where reading by another index or the table
    reads thousands."""
    t = slot(db)
    db("INSERT INTO access_log (kind, grant_id, agency_id, provider_agency_id, "
       "consumer_agency_id, dataset_id, service_id, request_path, outcome, http_status, "
       "method, request_id, request_in_ms, request_out_ms, response_in_ms, "
       "response_out_ms, succeeded) "
       "SELECT 'gateway', %s, IF(seq % 400 = 0, %s, %s), %s, IF(seq % 400 = 0, %s, %s), "
       "%s, %s, '/gw/x/y/z', 'delivered', 200, 'GET', CONCAT('bulk-', seq), "
       "%s + seq * 10, %s + seq * 10 + 1, %s + seq * 10 + 5, %s + seq * 10 + 6, 1 "
       "FROM seq_1_to_20000",
       (w.grant, w.c2.agency_id, w.c1.agency_id, w.provider.agency_id, w.c2.agency_id,
        w.c1.agency_id, w.datasets[w.s1], w.s1, t, t, t, t))
    # Let the masters link the new rows into the chain first: sealing reads them.
    for _ in range(300):
        if db("SELECT COUNT(*) FROM access_log WHERE seq IS NULL")[0][0] == "0":
            break
        time.sleep(0.1)
    span = dict(records_from=t, records_to=t + HOUR, limit=20)
    c2, p = w.c2.agency_id, w.provider.agency_id
    asks = [  # (who, what, whether only c2's calls answer)
        (admin_token, dict(consumer_agency_id=c2), True),
        (admin_token, dict(provider_agency_id=p, consumer_agency_id=c2), True),
        (admin_token, dict(service_id=w.s1, consumer_agency_id=c2), True),
        (tok(api, w.provider), dict(consumer_agency_id=c2), True),
        (tok(api, w.c2), dict(service_id=w.s1), True),
        (tok(api, w.c2), {}, True),
        (admin_token, dict(provider_agency_id=p), False),
        (admin_token, {}, False),
    ]
    for token, ask, only_c2 in asks:
        reads = []
        for _ in range(5):
            before = rows_read(db)
            body = records(api, token, **span, **ask)
            reads.append(rows_read(db) - before)
        assert len(body["records"]) == 20, ask
        if only_c2:
            assert {x["consumer_agency_id"] for x in body["records"]} == {c2}, ask
        assert min(reads) < 1000, (ask, reads)


# ------------------------------------------------------------- the health

def window_rows(w, now, service):
    """Calls of the last hour (and two older ones) to service, of every
    kind the health counts."""
    rows = []
    for k in range(30):
        rows.append(call(w, now - (50 - k) * MINUTE, service=service, took=10 + (k * 37) % 200))
    for k in range(3):
        rows.append(call(w, now - (40 - k) * MINUTE - 7, service=service, status=503,
                         took=900 + k))
    rows.append(call(w, now - 9 * MINUTE, service=service, outcome="failed", status=504,
                     took=3000, fault_code="upstream_timeout"))
    rows.append(call(w, now - 8 * MINUTE, service=service, outcome="failed", status=504,
                     took=3001, fault_code="upstream_timeout"))
    rows.append(call(w, now - 7 * MINUTE, service=service, outcome="failed", status=502,
                     took=2, fault_code="upstream_unreachable"))
    rows.append(call(w, now - 6 * MINUTE, service=service, outcome="failed", status=502,
                     took=3, fault_code="upstream_unreachable"))
    for k in range(4):
        rows.append(call(w, now - (5 - k) * MINUTE, service=service, outcome="refused",
                         status=(403, 429)[k % 2], consumer=w.c2,
                         succeeded=None if k == 0 else 0,
                         fault_code=("no_grant", "rate_limited")[k % 2]))
    rows.append(call(w, now - 2 * HOUR, service=service))
    rows.append(call(w, now - 2 * HOUR + 1, service=service, outcome="failed", status=502,
                     fault_code="upstream_unreachable"))
    return rows


def expected_health(rows, since):
    rows = [r for r in rows if r["request_in_ms"] >= since]
    ok = [r for r in rows if r["succeeded"] == 1]
    refused = [r for r in rows if r["outcome"] == "refused"]
    failed = [r for r in rows if r not in ok and r not in refused]
    last_failure = max(failed, key=lambda r: (r["request_in_ms"], r["id"]))
    d = sorted(r["response_out_ms"] - r["request_in_ms"] for r in rows
               if r["request_out_ms"] is not None)
    return {
        "calls": len(rows), "succeeded": len(ok), "failed": len(failed),
        "refused": len(refused),
        "last_success_ms": max(r["request_in_ms"] for r in ok),
        "last_failure_ms": last_failure["request_in_ms"],
        "last_failure_code": last_failure["fault_code"],
        "last_failure_status": last_failure["http_status"],
        "duration_ms": {"min": d[0], "max": d[-1], "avg": sum(d) / len(d),
                        "p95": d[math.ceil(0.95 * len(d)) - 1]},
    }


def check_health(body, want, service, window):
    assert body["service_id"] == service and body["window_s"] == window
    got = dict(body)
    dur, wdur = got.pop("duration_ms"), dict(want["duration_ms"])
    assert abs(dur.pop("avg") - wdur.pop("avg")) <= 0.05 + 1e-9
    assert dur == wdur
    want = {k: v for k, v in want.items() if k != "duration_ms"}
    assert {k: got[k] for k in want} == want


def test_health_figures_are_the_windows_calls(api, db, w, admin_token):
    svc = make_service(api, w.provider)
    w.datasets[svc] = service_dataset(api, w.provider, svc)
    now = db_now_ms(db)
    rows = insert(db, window_rows(w, now, svc) + [call(w, now - MINUTE, service=w.s2)])
    rows = [r for r in rows if r["service_id"] == svc]
    r = api.get(f"services/{svc}/health", tok(api, w.provider))
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["service_id", "window_s", "calls", "succeeded", "failed",
                          "refused", "last_success_ms", "last_failure_ms",
                          "last_failure_code", "last_failure_status", "duration_ms"]
    assert list(body["duration_ms"]) == ["min", "avg", "max", "p95"]
    check_health(body, expected_health(rows, now - HOUR), svc, 3600)
    assert body["calls"] == 41 and body["failed"] == 7 and body["refused"] == 4
    assert body["last_failure_code"] == "upstream_unreachable"
    # A wider window takes the two older calls too.
    body = api.get(f"services/{svc}/health", admin_token, params={"window_s": 10800}).json()
    check_health(body, expected_health(rows, now - 3 * HOUR), svc, 10800)
    assert body["calls"] == 43


def test_a_failure_answered_by_the_provider_has_no_gateway_code(api, db, w):
    svc = make_service(api, w.provider)
    w.datasets[svc] = service_dataset(api, w.provider, svc)
    now = db_now_ms(db)
    insert(db, [call(w, now - 3 * MINUTE, service=svc, outcome="failed", status=504,
                     fault_code="upstream_timeout", took=30000),
                call(w, now - 2 * MINUTE, service=svc, status=500, took=12)])
    body = api.get(f"services/{svc}/health", tok(api, w.provider)).json()
    assert body["failed"] == 2 and body["succeeded"] == 0
    assert body["last_failure_ms"] == now - 2 * MINUTE
    assert body["last_failure_code"] is None and body["last_failure_status"] == 500
    assert body["last_success_ms"] is None
    assert body["duration_ms"] == {"min": 12, "avg": 15006.0, "max": 30000, "p95": 30000}


def test_a_quiet_service_has_zero_calls_and_no_figures(api, w):
    svc = make_service(api, w.provider)
    body = api.get(f"services/{svc}/health", tok(api, w.provider),
                   params={"window_s": 60}).json()
    assert body == {"service_id": svc, "window_s": 60, "calls": 0, "succeeded": 0,
                    "failed": 0, "refused": 0, "last_success_ms": None,
                    "last_failure_ms": None, "last_failure_code": None,
                    "last_failure_status": None,
                    "duration_ms": {"min": None, "avg": None, "max": None, "p95": None}}


def test_who_sees_a_services_health(api, w, new_agency, admin_token, auditor, chairman):
    c3 = new_agency("OC")
    # A grant on the dataset that names no service reaches every service of it.
    make_grant(api, w.provider, c3, dataset_id=w.datasets[w.s1])
    path = f"services/{w.s1}/health"
    for who in (tok(api, w.provider), tok(api, w.c1), tok(api, c3), admin_token,
                auditor.token):
        assert api.get(path, who).status_code == 200
    # No grant reaching it, another provider, a role with no agency in it:
    # as if there were no such service.
    for who in (tok(api, w.c2), tok(api, w.q), tok(api, w.other), chairman.token):
        r = api.get(path, who)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api.get(f"services/{w.s3}/health", tok(api, w.provider)).status_code == 404
    assert api.get(path).status_code == 401
    assert api.get("services/999999999/health", admin_token).status_code == 404


@pytest.mark.parametrize("params,fields", [
    ({"window_s": "59"}, {"window_s"}),
    ({"window_s": "2592001"}, {"window_s"}),
    ({"window_s": "hour"}, {"window_s"}),
    ({"since": "1"}, {"since"}),
])
def test_health_bad_parameters_are_422(api, w, admin_token, params, fields):
    assert error_fields(api.get(f"services/{w.s1}/health", admin_token,
                                params=params)) == fields
