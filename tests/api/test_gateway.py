"""The LGSP gateway (issue 18; Art. 9.2.b-c, 11.2, 13.1, 16.1.a, 17.2.b):
consumer systems call providers' registered services at
/gw/{provider agency code}/{service code}/{path}, checked against their
grant, narrowed to the granted fields and logged. The provider is a real
HTTP server the tests start (upstream_server.py); each check below is the
contract's (/work/gw-contract.md, docs/gateway.md). The faults are in
test_gateway_faults.py."""

import json
import os
import socket
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import jwt_forge as jf
import upstream_server as us
from fault_support import new_session
from gateway_support import (  # noqa: F401  (fixtures)
    EMPTY_SHA256, GRANTED, GatewayMaster, answer_ids, assert_assertion,
    assert_delivered, assert_envelope, assert_failed, assert_from_gateway,
    assert_refused, emergency_window, gw_row, gw_rows, gw_world, header,
    hexdigest, lift_suspension, narrowed, point_upstream, register_service,
    stack_conf, start_upstream, suspend_grant, terminate_grant, upstream,
    upstream_certs, upstream_other, upstream_tls, wait_for_day_start,
    wait_for_minute_start)
from sharing_setup import eventually, warehouse_path
from suspension_helpers import db_now, expire_grant

JSON = {"Content-Type": "application/json"}

# An OpenAPI document declaring three operations; anything else is
# undeclared (contract, check 7).
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Tra cứu công dân", "version": "1.0"},
    "paths": {
        "/records": {
            "get": {"responses": {"200": {"description": "Danh sách công dân"}}},
            "post": {"responses": {"200": {"description": "Tra cứu theo lô"}}},
        },
        "/record/{id}": {
            "get": {"parameters": [{"name": "id", "in": "path", "required": True,
                                    "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "Một công dân"}}},
        },
    },
}

SOAP_REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <TraCuuCongDan xmlns="urn:phuyen:dancu"><so_cccd>054000000001</so_cccd></TraCuuCongDan>
  </soap:Body>
</soap:Envelope>
""".encode("utf-8")


def removed(granted=GRANTED) -> list:
    return [f for f in us.FIELDS if f not in granted]


def gw_get(api, path, token):
    """GET of a /gw/ path that is not a World's service."""
    return api.session.get(api.base_url + path, timeout=30, allow_redirects=False,
                           headers={"Authorization": f"Bearer {token}"})


# ------------------------------------------------------ the whole path

def test_whole_path_delivers_the_answer_narrowed_to_the_granted_fields(api, db,
                                                                        gw_world):
    """Registered with a code and an upstream, requested, approved with
    fewer fields, a grant account: the call gets the provider's records
    with the granted fields only; the row has the digests of what went
    each way; the provider saw who called and a valid assertion."""
    w = gw_world()
    assert w.service["gateway_url"] == w.url("")
    t0 = time.time()
    r = w.call("GET", "records?n=5")
    assert r.status_code == 200, r.text
    assert r.json() == narrowed(us.records(5), GRANTED)
    assert int(r.headers["X-Datashare-Narrowed"]) in (len(removed()),
                                                      5 * len(removed()))
    assert r.headers.get("Content-Length") in (None, str(len(r.content)))
    assert_delivered(db, w, r, t0, rest="records?n=5", narrowed_=True)
    (entry,) = w.seen()
    rid = r.headers["X-Request-Id"]
    assert_from_gateway(w, entry, rid)
    assert (entry["method"], entry["route"], entry["query"]) == \
        ("GET", "/records", "n=5")
    assert entry["body_sha256"] == r.headers["X-Request-Hash"] == EMPTY_SHA256
    assert_assertion(api, w, entry, rid)


def test_records_at_the_services_json_pointer_are_narrowed(db, gw_world):
    w = gw_world(records_pointer="/data/items")
    t0 = time.time()
    r = w.call("GET", "wrapped?n=4")
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"items": narrowed(us.records(4), GRANTED)},
                        "total": 4}
    assert_delivered(db, w, r, t0, rest="wrapped?n=4", narrowed_=True)


def test_a_single_record_object_is_narrowed(db, gw_world):
    w = gw_world()
    t0 = time.time()
    r = w.call("GET", "record/7")
    assert r.status_code == 200, r.text
    assert r.json() == narrowed([us.record(7)], GRANTED)[0]
    assert_delivered(db, w, r, t0, rest="record/7", narrowed_=True)


@pytest.mark.parametrize("rest,pointer", [
    ("text", None),                    # not JSON
    ("numbers", None),                 # JSON, but no records in it
    ("records?n=2", "/data/items"),    # no array where the pointer points
], ids=["not-json", "not-records", "pointer-misses"])
def test_an_answer_that_cannot_be_narrowed_is_502_never_passed_whole(
        db, gw_world, rest, pointer):
    w = gw_world(records_pointer=pointer)
    t0 = time.time()
    r = w.call("GET", rest)
    assert_failed(db, w, r, 502, "cannot_narrow", t0, answered=True, rest=rest)
    assert w.count() == 1
    assert "Xin chào" not in r.text and us.record(1)["so_cccd"] not in r.text


def test_an_answer_larger_than_narrowing_reads_is_502_cannot_narrow(db, gw_world):
    limit = int(stack_conf().get("gateway_narrow_max_bytes", 8388608))
    n = 1000
    while len(us.json_bytes(us.records(n))) <= limit:
        n *= 2
    w = gw_world()
    t0 = time.time()
    r = w.call("GET", f"records?n={n}")
    assert_failed(db, w, r, 502, "cannot_narrow", t0, answered=True,
                  rest=f"records?n={n}")
    assert us.record(1)["so_cccd"] not in r.text


def test_a_service_that_does_not_narrow_passes_the_answer_whole(db, gw_world):
    w = gw_world(narrow=False)
    t0 = time.time()
    r = w.call("GET", "records?n=3")
    assert r.status_code == 200, r.text
    assert r.json() == us.records(3)
    assert "X-Datashare-Narrowed" not in r.headers
    assert_delivered(db, w, r, t0, rest="records?n=3")


def test_a_grant_of_every_field_gets_the_answer_whole(db, gw_world):
    w = gw_world(granted=list(us.FIELDS))
    t0 = time.time()
    r = w.call("GET", "records?n=3")
    assert r.status_code == 200, r.text
    assert r.json() == us.records(3)
    assert "X-Datashare-Narrowed" not in r.headers
    assert_delivered(db, w, r, t0, rest="records?n=3")


# ------------------------------------------------------ what the provider sees

def test_the_provider_sees_who_calls_and_none_of_the_consumers_credentials(
        api, db, gw_world):
    """Forwarded: method, path after the service code, query, body, the
    consumer's own headers. Not forwarded: Authorization, Cookie, and any
    X-Datashare-* the consumer made up; the gateway's own say who calls."""
    w = gw_world(narrow=False)
    body = json.dumps({"so_cccd": "054000000007"}).encode()
    rest = "echo/tra-cuu?a=1&b=x%20y"
    t0 = time.time()
    r = w.call("POST", rest, data=body, headers={
        **JSON, "Cookie": "phien=bi-mat-cua-ben-goi",
        "X-Datashare-Consumer": "GIAMAO", "X-Datashare-Grant": "1",
        "X-Datashare-Request-Id": "gia-mao", "X-Datashare-Assertion": "a.b.c",
        "X-Trace-Id": "trace-123"})
    assert r.status_code == 200, r.text
    rid = r.headers["X-Request-Id"]
    assert_delivered(db, w, r, t0, body=body, method="POST", rest=rest)
    (entry,) = w.seen()
    assert_from_gateway(w, entry, rid)
    assert (entry["method"], entry["route"], entry["query"]) == \
        ("POST", "/echo/tra-cuu", "a=1&b=x%20y")
    assert entry["body_sha256"] == hexdigest(body) == r.headers["X-Request-Hash"]
    assert header(entry, "X-Trace-Id") == ["trace-123"]
    assert header(entry, "Content-Type") == ["application/json"]
    assert header(entry, "Host") == [w.upstream.authority]
    assert_assertion(api, w, entry, rid)
    assert r.json()["body_sha256"] == hexdigest(body)


def test_put_patch_and_delete_reach_the_provider_with_their_bodies(db, gw_world):
    w = gw_world(narrow=False)
    for method, body in (("PUT", '{"ho_ten": "Lê Thị Bé"}'.encode()),
                         ("PATCH", '{"dia_chi": "Sông Cầu"}'.encode()),
                         ("DELETE", b"")):
        t0 = time.time()
        r = w.call(method, "echo/7", data=body or None, headers=JSON if body else {})
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["method"], got["body_sha256"]) == (method, hexdigest(body))
        assert_delivered(db, w, r, t0, body=body, method=method, rest="echo/7")
    assert [e["method"] for e in w.seen()] == ["PUT", "PATCH", "DELETE"]


def test_provider_4xx_and_5xx_pass_through_unchanged(db, gw_world):
    """The provider's status, headers and body reach the consumer as they
    were; the row says delivered, succeeded only below 500."""
    w = gw_world(narrow=False)
    for code in (404, 418, 500, 503):
        t0 = time.time()
        r = w.call("GET", f"status/{code}")
        assert r.status_code == code, r.text
        assert r.json() == {"status": code, "message": f"provider says {code}"}
        assert r.headers.get("X-Provider-Note") == f"status-{code}"
        assert_delivered(db, w, r, t0, rest=f"status/{code}")
    assert w.count() == 4


def test_every_answer_carries_x_request_id_and_x_request_hash(api, gw_world):
    """Delivered, refused, failed and unknown-service answers alike: the
    hash is the SHA-256 of the body as sent (of nothing for a GET), so
    the provider, given the same body, finds the same digest."""
    w = gw_world(narrow=False)
    body = b'{"ma_ho_so": "HS-0001"}'
    answers = [w.call("POST", "echo", data=body, headers=JSON),
               w.call("POST", "echo", token=None, data=body, headers=JSON),
               w.call("POST", "garbage", data=body, headers=JSON)]
    assert [a.status_code for a in answers] == [200, 401, 502]
    unknown = gw_get(api, f"/gw/{w.provider.code}/khong-co-dich-vu/echo", w.token)
    assert unknown.status_code == 404
    ids = [answer_ids(a) for a in answers] + [answer_ids(unknown)]
    assert [h for _, h in ids] == [hexdigest(body)] * 3 + [EMPTY_SHA256]
    assert len({i for i, _ in ids}) == 4
    assert [e["body_sha256"] for e in w.seen()] == [hexdigest(body)] * 2


# ------------------------------------------------------------- refusals

def test_an_unknown_service_is_404_no_such_service_and_not_logged(api, db,
                                                                  gw_world):
    """No active service with that agency and service code and an
    upstream: 404, and no row (no provider is known). The row of a call
    made after them is waited for: had they been logged, theirs would be
    there by then."""
    w = gw_world()
    bare = register_service(api, w.provider_token, w.dataset_id,
                            f"chua-noi-{w.tag}", None)     # code, no upstream
    rids = []
    for path in (f"/gw/{w.provider.code}/khong-co/echo",
                 f"/gw/KHONGCO{w.tag[:6].upper()}/{w.service_code}/echo",
                 f"/gw/{w.consumer.code}/{w.service_code}/echo",
                 f"/gw/{w.provider.code}/{bare['code']}/echo"):
        r = gw_get(api, path, w.token)
        rids.append(assert_envelope(r, 404, "no_such_service")[0])
    r = w.call("GET", "records?n=1")
    assert r.status_code == 200, r.text
    gw_row(db, r.headers["X-Request-Id"])
    for rid in rids:
        assert gw_rows(db, rid) == []
    assert w.count() == 1


def test_a_call_without_a_valid_token_is_401_and_sends_nothing(db, gw_world):
    w = gw_world()
    expired = jf.rs256(jf.claims(w.account["id"], w.consumer.agency_id,
                                 ["system"], ttl=-120))
    for token in (None, "khong-phai-token", expired):
        t0 = time.time()
        r = w.call("GET", "echo", token=token)
        assert_refused(db, w, r, 401, "unauthorized", t0, caller=None)
        assert r.headers.get("WWW-Authenticate") == "Bearer"


def test_a_revoked_accounts_token_is_401_on_the_next_call(api, db, gw_world):
    w = gw_world()
    assert w.call("GET", "records?n=1").status_code == 200
    r = api.post(f"grants/{w.grant_id}/accounts/{w.account['id']}/revoke",
                 w.provider_token)
    assert r.status_code == 200, r.text
    t0 = time.time()
    r = w.call("GET", "echo")
    assert_refused(db, w, r, 401, "unauthorized", t0, sent_before=1, caller="skip")


def test_an_officers_token_is_403_no_grant(db, gw_world):
    """A person's token is not a system's: neither the consumer's officer
    nor the provider's own calls through a grant."""
    w = gw_world()
    for who, token in ((w.consumer, w.consumer_token),
                       (w.provider, w.provider_token)):
        t0 = time.time()
        r = w.call("GET", "echo", token=token)
        assert_refused(db, w, r, 403, "no_grant", t0, caller=who)


def test_another_grants_account_is_403_no_grant(db, gw_world):
    a, b = gw_world(), gw_world()
    t0 = time.time()
    r = a.call("GET", "echo", token=b.token)
    row = assert_refused(db, a, r, 403, "no_grant", t0, caller="skip")
    assert row["account_id"] == str(b.account["id"])
    assert b.count() == 0


def test_a_grant_through_another_service_of_the_dataset_is_403_no_grant(
        api, db, gw_world):
    w = gw_world()
    other_tag = w.tag + "-khac"
    other = register_service(api, w.provider_token, w.dataset_id,
                             f"khac-{w.tag}", w.upstream.url(other_tag))
    r = gw_get(api, f"/gw/{w.provider.code}/{other['code']}/echo", w.token)
    rid, _ = assert_envelope(r, 403, "no_grant")
    row = gw_row(db, rid)
    assert (row["outcome"], row["service_id"], row["account_id"]) == \
        ("refused", str(other["id"]), str(w.account["id"])), row
    assert w.upstream.count(other_tag) == 0


def test_a_suspended_grant_is_403_on_the_next_call_and_200_once_lifted(
        api, db, gw_world):
    w = gw_world()
    assert w.call("GET", "records?n=1").status_code == 200
    sid = suspend_grant(api, db, w)
    t0 = time.time()
    r = w.call("GET", "echo")
    assert_refused(db, w, r, 403, "grant_suspended", t0, sent_before=1)
    lift_suspension(api, w, sid)
    t0 = time.time()
    r = w.call("GET", "records?n=1")
    assert r.status_code == 200, r.text
    assert_delivered(db, w, r, t0, rest="records?n=1", narrowed_=True)
    assert w.count() == 2


def test_a_terminated_grant_is_refused_for_good(api, db, gw_world):
    """Termination revokes the grant's accounts with it (Art. 17.2.a), so
    their tokens fail at the account check, which comes first: 401, on
    every later call; and no new account can be issued on the grant."""
    w = gw_world()
    assert w.call("GET", "records?n=1").status_code == 200
    terminate_grant(api, w)
    for _ in range(2):
        t0 = time.time()
        r = w.call("GET", "echo")
        assert_refused(db, w, r, 401, "unauthorized", t0, sent_before=1,
                       caller="skip")
    r = api.post(f"grants/{w.grant_id}/accounts", w.provider_token,
                 json={"name": "he-thong-moi"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "grant_terminated"


def test_a_terminated_grants_live_account_is_403_grant_terminated(db, gw_world):
    """The grant check on its own: the API never leaves an account active
    on a terminated grant, so the grant's status is set by SQL here,
    standing for a termination whose account revocation the gateway must
    not rely on."""
    w = gw_world()
    db("UPDATE grants SET status = 'terminated' WHERE id = %s", (w.grant_id,))
    t0 = time.time()
    r = w.call("GET", "echo")
    assert_refused(db, w, r, 403, "grant_terminated", t0)


def test_an_expired_grant_is_403_grant_expired(db, gw_world):
    w = gw_world()
    expire_grant(db, w.grant_id)      # time passes: its end is behind us
    t0 = time.time()
    r = w.call("GET", "echo")
    assert_refused(db, w, r, 403, "grant_expired", t0)


def test_a_planned_suspension_window_is_503_with_retry_after_and_200_around_it(
        api, db, gw_world):
    """An emergency window (it may start at once; a regular one needs 7
    working days' notice) of 8 seconds: 200 before it, 503 inside with
    Retry-After up to its end, 200 again once it has ended by itself."""
    w = gw_world()
    assert w.call("GET", "records?n=1").status_code == 200
    window = emergency_window(api, db, w, seconds=8)
    t0 = time.time()
    r = w.call("GET", "echo")
    assert_refused(db, w, r, 503, "service_suspended", t0, sent_before=1)
    assert 0 < int(r.headers["Retry-After"]) <= 9, r.headers

    def served():
        """a call served after the window"""
        r = w.call("GET", "records?n=1")
        return r if r.status_code == 200 else None

    r = eventually(served, timeout=30)
    assert db_now(db).strftime("%Y-%m-%dT%H:%M:%SZ") >= window["ends_at"]
    assert w.count() == 2


def test_a_deprecated_service_is_503_service_suspended(api, db, gw_world):
    w = gw_world()
    r = api.post(f"services/{w.service_id}/deprecate", w.provider_token)
    assert r.status_code == 200, r.text
    t0 = time.time()
    r = w.call("GET", "echo")
    assert_refused(db, w, r, 503, "service_suspended", t0)


def test_an_operation_the_openapi_document_does_not_declare_is_403(db, gw_world):
    w = gw_world(openapi=OPENAPI)
    assert w.call("GET", "records?n=2").status_code == 200
    assert w.call("GET", "record/3").status_code == 200
    for method, rest in (("DELETE", "records"), ("GET", "echo"),
                         ("GET", "record/3/chi-tiet")):
        t0 = time.time()
        r = w.call(method, rest)
        assert_refused(db, w, r, 403, "undeclared_operation", t0, sent_before=2,
                       method=method, rest=rest)


def test_a_body_over_the_services_limit_is_413_and_not_sent(db, gw_world):
    w = gw_world(narrow=False, max_request_bytes=1024)
    octets = {"Content-Type": "application/octet-stream"}
    r = w.call("POST", "echo?body=0", data=b"a" * 1024, headers=octets)
    assert r.status_code == 200, r.text
    t0 = time.time()
    r = w.call("POST", "echo", data=b"a" * 1025, headers=octets)
    assert_refused(db, w, r, 413, "payload_too_large", t0, sent_before=1,
                   body=None, method="POST")


def test_fifty_racing_calls_against_ten_a_minute_let_exactly_ten_pass(db, gw_world):
    """50 calls at once, each on its own connection, against
    rate_limit_per_minute = 10: exactly 10 reach the provider, 40 are 429
    rate_limited with Retry-After up to the next minute, 50 rows."""
    w = gw_world(rate_limit_per_minute=10)
    wait_for_minute_start()
    start = threading.Barrier(50)

    def one(_):
        s = new_session()
        try:
            start.wait(30)
            return w.call("GET", "records?n=1", session=s)
        finally:
            s.close()

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(one, range(50)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * 10 + [429] * 40, codes
    assert w.count() == 10
    for a in answers:
        if a.status_code == 429:
            assert_envelope(a, 429, "rate_limited")
            assert 0 < int(a.headers["Retry-After"]) <= 60, a.headers
    rows = [gw_row(db, a.headers["X-Request-Id"]) for a in answers]
    outcomes = sorted((row["outcome"], row["reason"] or "") for row in rows)
    assert outcomes == [("delivered", "")] * 10 + [("refused", "rate_limited")] * 40


def test_a_daily_quota_refuses_the_calls_after_it_until_the_next_day(db, gw_world):
    w = gw_world(daily_quota=3)
    wait_for_day_start()
    for _ in range(3):
        assert w.call("GET", "records?n=1").status_code == 200
    t0 = time.time()
    r = w.call("GET", "echo")
    assert_refused(db, w, r, 429, "quota_exceeded", t0, sent_before=3)
    to_midnight = 86400 - time.time() % 86400
    assert abs(int(r.headers["Retry-After"]) - to_midnight) <= 5, r.headers


def test_the_first_failing_check_in_the_contracts_order_answers(api, db, gw_world):
    """A call that fails four checks at once (grant suspended, service in
    a window, operation undeclared, body too large) is refused by the
    first; removing each cause in turn shows the next."""
    w = gw_world(openapi=OPENAPI, max_request_bytes=16)
    big = json.dumps({"so_cccd": "054000000001" * 4}).encode()
    suspension = suspend_grant(api, db, w)
    window = emergency_window(api, db, w, seconds=600)

    def refused_with(method, rest, body, status, code):
        t0 = time.time()
        r = w.call(method, rest, data=body, headers=JSON)
        assert_refused(db, w, r, status, code, t0, body=None, method=method,
                       rest=rest)

    refused_with("DELETE", "records", big, 403, "grant_suspended")
    lift_suspension(api, w, suspension)
    refused_with("DELETE", "records", big, 503, "service_suspended")
    r = api.post(f"planned-suspensions/{window['id']}/cancel", w.provider_token,
                 json={"note": "Đã khắc phục xong"})
    assert r.status_code == 200, r.text
    refused_with("DELETE", "records", big, 403, "undeclared_operation")
    refused_with("POST", "records", big, 413, "payload_too_large")
    r = w.call("POST", "records?n=1", data=b"{}", headers=JSON)
    assert r.status_code == 200, r.text
    assert w.count() == 1


# ------------------------------------------------------------------- SSRF

def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def resolves_to_ipv6_loopback(name) -> bool:
    try:
        return any(a[4][0] == "::1" for a in socket.getaddrinfo(name, 80))
    except socket.gaierror:
        return False


@pytest.mark.parametrize("target", [
    "link-local", "link-local-v4-mapped", "zero-address", "ipv6-loopback",
    "name-resolving-to-ipv6-loopback"])
def test_an_upstream_moved_to_a_refused_address_is_502_and_gets_nothing(
        db, gw_world, start_upstream, target):
    """The service's upstream is changed behind the registry's back (SQL
    stands for DNS or the row changing after registration); every call
    checks the address it is about to connect to. The test stack allows
    127.0.0.0/8 and the names localhost and ip6-localhost; each target
    below is refused whatever the configuration, or is loopback outside
    the allowed networks. Where a provider listens there, it gets
    nothing."""
    listener = None
    if target in ("ipv6-loopback", "name-resolving-to-ipv6-loopback"):
        if not ipv6_loopback():
            pytest.skip("no IPv6 loopback here")
        if target.startswith("name") and not resolves_to_ipv6_loopback("ip6-localhost"):
            pytest.skip("ip6-localhost does not resolve to ::1 here")
        listener = start_upstream("::1")
    w = gw_world(narrow=False)
    url = {
        "link-local": "http://169.254.169.254/latest/meta-data",
        "link-local-v4-mapped": "http://[::ffff:169.254.169.254]/latest/meta-data",
        # 0.0.0.0 connects to this machine: the provider would get it.
        "zero-address": f"http://0.0.0.0:{w.upstream.port}/w/{w.tag}",
        "ipv6-loopback": listener and listener.url(w.tag),
        "name-resolving-to-ipv6-loopback":
            listener and listener.url(w.tag, host="ip6-localhost"),
    }[target]
    point_upstream(db, w, url)
    t0 = time.time()
    r = w.call("GET", "echo")
    assert_failed(db, w, r, 502, "upstream_refused_address", t0, sent=False)
    assert w.count() == 0
    if listener:
        assert listener.count() == 0


def test_an_upstream_redirect_is_502_and_not_followed(db, gw_world, upstream_other):
    w = gw_world(narrow=False)
    target = upstream_other.url(w.tag) + "/echo"
    rest = "redirect?to=" + urllib.parse.quote(target, safe="")
    t0 = time.time()
    r = w.call("GET", rest)
    assert_failed(db, w, r, 502, "upstream_redirect", t0, answered=True, rest=rest)
    assert "Location" not in r.headers
    assert w.count() == 1 and upstream_other.count(w.tag) == 0


def test_loopback_is_refused_at_call_time_when_not_a_configured_network(
        db, gw_world, tmp_path):
    """A second gateway master whose configuration no longer allows
    loopback (as if DIC narrowed the networks after registration)."""
    w = gw_world(narrow=False)
    gw = GatewayMaster(tmp_path, {"gateway_upstream_networks": "10.0.0.0/8",
                                  "gateway_upstream_hosts": "lgsp.example.vn"})
    try:
        status, headers, body = gw.call(w)
    finally:
        gw.stop()
    assert status == 502, body
    assert json.loads(body)["error"]["code"] == "upstream_refused_address"
    assert headers.get("X-Gateway-Error") == "upstream_refused_address"
    row = gw_row(db, headers["X-Request-Id"])
    assert (row["outcome"], row["reason"], row["request_out_ms"]) == \
        ("failed", "upstream_refused_address", None), row
    assert w.count() == 0


# -------------------------------------------------------------------- TLS

def test_a_tls_upstream_whose_ca_is_not_trusted_is_502_and_gets_nothing(
        db, gw_world, upstream_tls):
    """The test stack trusts the system's CAs only; the provider's
    certificate is from the tests' own CA. The handshake fails, so no
    request is ever sent."""
    w = gw_world(narrow=False, upstream=upstream_tls)
    t0 = time.time()
    r = w.call("GET", "echo")
    assert r.status_code == 502, r.text
    code = r.json()["error"]["code"]
    assert code == "upstream_tls", r.text
    assert_failed(db, w, r, 502, code, t0, sent=None)
    assert w.count() == 0


def test_a_tls_upstream_is_verified_against_the_configured_ca(db, gw_world,
                                                              upstream_tls,
                                                              tmp_path):
    w = gw_world(narrow=False, upstream=upstream_tls)
    gw = GatewayMaster(tmp_path, {"gateway_ca_file": upstream_tls.certs["ca"]})
    try:
        status, headers, body = gw.call(w, "GET", "echo")
    finally:
        gw.stop()
    assert status == 200, body
    (entry,) = w.seen()
    assert entry["tls"] is True
    assert_from_gateway(w, entry, headers["X-Request-Id"])
    row = gw_row(db, headers["X-Request-Id"])
    assert (row["outcome"], row["http_status"], row["sha256"]) == \
        ("delivered", "200", hexdigest(body)), row


# ------------------------------------------------- protocols, bodies, log

def test_a_soap_service_passes_through_without_narrowing(db, gw_world):
    """A SOAP service (the grant has fewer fields, the service narrows):
    the envelope goes and comes back unchanged, with the same checks and
    its row."""
    w = gw_world(protocol="soap")
    for ctype in ("text/xml; charset=utf-8", "application/soap+xml; charset=utf-8"):
        t0 = time.time()
        r = w.call("POST", "soap", data=SOAP_REQUEST, headers={
            "Content-Type": ctype, "SOAPAction": '"urn:phuyen:dancu#TraCuuCongDan"'})
        assert r.status_code == 200, r.text
        assert r.content == us.SOAP_ANSWER.format(
            sha=hexdigest(SOAP_REQUEST)).encode("utf-8")
        assert r.headers["Content-Type"].startswith(ctype.split(";")[0])
        assert "X-Datashare-Narrowed" not in r.headers
        assert_delivered(db, w, r, t0, body=SOAP_REQUEST, method="POST", rest="soap")
    assert [header(e, "SOAPAction") for e in w.seen()] == \
        [['"urn:phuyen:dancu#TraCuuCongDan"']] * 2


def test_full_log_mode_keeps_both_bodies_in_the_warehouse(db, gw_world):
    """log_mode full: the request body and the answer as the consumer got
    it (narrowed) are in the warehouse under their SHA-256."""
    w = gw_world(log_mode="full")
    body = json.dumps({"yeu_cau": uuid.uuid4().hex}).encode()
    t0 = time.time()
    r = w.call("POST", "records?n=3", data=body, headers=JSON)
    assert r.status_code == 200, r.text
    assert r.json() == narrowed(us.records(3), GRANTED)
    row = assert_delivered(db, w, r, t0, body=body, method="POST",
                           rest="records?n=3", narrowed_=True, kept=True)
    with open(warehouse_path(row["request_sha256"]), "rb") as f:
        assert f.read() == body
    with open(warehouse_path(row["sha256"]), "rb") as f:
        assert f.read() == r.content


def test_metadata_log_mode_keeps_digests_and_no_body(db, gw_world):
    w = gw_world()
    body = json.dumps({"yeu_cau": uuid.uuid4().hex}).encode()
    t0 = time.time()
    r = w.call("POST", "records?n=1", data=body, headers=JSON)
    assert r.status_code == 200, r.text
    assert_delivered(db, w, r, t0, body=body, method="POST", rest="records?n=1",
                     narrowed_=True, kept=False)
    assert not os.path.exists(warehouse_path(hexdigest(body)))


def test_a_chunked_answer_streams_through_whole(db, gw_world):
    w = gw_world(narrow=False)
    n = (5 << 20) + 123
    rest = f"large?bytes={n}&mode=chunked"
    t0 = time.time()
    r = w.call("GET", rest)
    assert r.status_code == 200
    assert len(r.content) == n and hexdigest(r.content) == us.large_sha256(n)
    assert_delivered(db, w, r, t0, rest=rest)
    (entry,) = w.seen()
    assert entry["complete"] is True and entry["sent_sha256"] == hexdigest(r.content)


def test_a_large_request_body_reaches_the_provider_whole(db, gw_world):
    w = gw_world(narrow=False, max_request_bytes=8 << 20)
    body = os.urandom(5 << 20)
    t0 = time.time()
    r = w.call("POST", "echo?body=0", data=body,
               headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text[:300]
    assert (r.json()["body_bytes"], r.json()["body_sha256"]) == \
        (len(body), hexdigest(body))
    assert_delivered(db, w, r, t0, body=body, method="POST", rest="echo?body=0")


def test_an_answer_over_max_response_bytes_is_502_bad_upstream_response(
        db, gw_world):
    w = gw_world(narrow=False, max_response_bytes=1 << 20)
    rest = f"large?bytes={2 << 20}"          # with its Content-Length
    t0 = time.time()
    r = w.call("GET", rest)
    assert_failed(db, w, r, 502, "bad_upstream_response", t0, answered=True,
                  rest=rest)


def test_upstream_connections_are_reused(gw_world):
    """20 calls one after the other: the provider sees them come on a few
    kept-alive connections, not one connection each."""
    w = gw_world()
    for _ in range(20):
        assert w.call("GET", "records?n=1").status_code == 200
    seen = w.seen()
    assert len(seen) == 20
    assert len({e["conn"] for e in seen}) <= 10, [e["conn"] for e in seen]
