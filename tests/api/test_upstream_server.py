"""The gateway tests' own tools, checked without the stack: the test
provider (upstream_server.py) behaves as its docstring says, and the
assertion verifier (gateway_support.verify_assertion) accepts a good
RS256 JWS and refuses a bad one. A gateway test that fails then points
at the gateway, not at its harness."""

import base64
import hashlib
import http.client
import json
import socket
import ssl
import time

import pytest
import requests

import upstream_server as us
from gateway_support import (  # noqa: F401  (fixtures)
    header, start_upstream, upstream, upstream_certs, upstream_tls,
    verify_assertion)
from jwt_forge import b64url


def get(u, path, **kw):
    return u.session.get(u.base() + path, timeout=10, **kw)


def raw_exchange(u, request: bytes, timeout=10) -> bytes:
    """Sends request bytes on a fresh connection; what came back until the
    server closed it (or timeout)."""
    with socket.create_connection((u.host, u.port), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    return out
                out += data
        except ConnectionResetError:
            return out + b"<RST>"


def test_records_wrapped_record_and_numbers_are_the_documented_json(upstream):
    r = get(upstream, "/w/t1/records?n=3")
    assert r.status_code == 200 and r.json() == us.records(3)
    assert [list(x) for x in r.json()] == [list(us.FIELDS)] * 3
    assert r.json()[0]["ho_ten"] == "Trần Thị Bình"
    assert get(upstream, "/w/t1/wrapped?n=2").json() == \
        {"data": {"items": us.records(2)}, "total": 2}
    assert get(upstream, "/w/t1/record/42").json() == us.record(42)
    assert get(upstream, "/w/t1/numbers").json() == [1, 2, 3]
    r = get(upstream, "/w/t1/text")
    assert r.headers["Content-Type"].startswith("text/plain") and "Xin chào" in r.text


def test_echo_answers_what_arrived_with_length_or_chunked_bodies(upstream):
    body = "dữ liệu".encode() * 1000
    r = upstream.session.put(upstream.base() + "/w/t2//echo/a?x=1&y=a%20b",
                             data=body, headers={"X-Thu": "1"}, timeout=10)
    got = r.json()
    assert (got["method"], got["query"], got["body_bytes"]) == ("PUT", "x=1&y=a%20b",
                                                                len(body))
    assert got["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert base64.b64decode(got["body_b64"]) == body and got["body_text"] == \
        body.decode()
    assert got["headers"]["x-thu"] == "1"
    chunks = (p for p in (b"ab", b"cde", b"f" * 70000))
    r = upstream.session.post(upstream.base() + "/w/t2/echo?body=0", data=chunks,
                              timeout=10)
    got = r.json()
    assert got["headers"]["transfer-encoding"] == "chunked" and "body_b64" not in got
    assert got["body_sha256"] == hashlib.sha256(b"abcde" + b"f" * 70000).hexdigest()
    (first, second) = upstream.log("t2")
    assert first["route"] == "/echo/a" and first["path"] == "/w/t2//echo/a"
    assert header(first, "X-Thu") == ["1"] and second["body_bytes"] == 70005


def test_connections_are_kept_alive(upstream):
    c = http.client.HTTPConnection(upstream.host, upstream.port, timeout=10)
    for _ in range(3):
        c.request("GET", "/w/t3/records?n=1")
        assert c.getresponse().read()
    c.close()
    assert len({e["conn"] for e in upstream.log("t3")}) == 1


def test_the_log_counts_by_tag_and_not_itself(upstream):
    upstream.reset("t4")
    get(upstream, "/w/t4/healthz")
    get(upstream, "/w/t4/status/418")
    get(upstream, "/w/t4-other/healthz")
    assert upstream.count("t4") == 2 and upstream.count("t4-other") == 1
    assert [e["route"] for e in upstream.log("t4")] == ["/healthz", "/status/418"]
    upstream.reset("t4")
    assert upstream.count("t4") == 0 and upstream.count("t4-other") == 1


def test_large_streams_n_bytes_with_length_or_chunked(upstream):
    n = 3 * us.CHUNK + 5
    for mode in ("length", "chunked"):
        r = get(upstream, f"/w/t5/large?bytes={n}&mode={mode}")
        assert len(r.content) == n
        assert hashlib.sha256(r.content).hexdigest() == us.large_sha256(n)
        assert ("Content-Length" in r.headers) == (mode == "length")
    assert [(e["complete"], e["sent_bytes"]) for e in upstream.log("t5")] == \
        [(True, n), (True, n)]


def test_a_client_leaving_mid_stream_stops_the_stream(upstream):
    n = 512 << 20
    with socket.create_connection((upstream.host, upstream.port), timeout=10) as s:
        s.sendall(f"GET /w/t6/large?bytes={n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + 10
    while upstream.log("t6")[0]["complete"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
    (entry,) = upstream.log("t6")
    assert entry["complete"] is False and entry["sent_bytes"] < n


def test_slow_and_slow_body_wait_where_documented(upstream):
    t = time.monotonic()
    assert get(upstream, "/w/t7/slow?ms=300&n=2").json() == us.records(2)
    assert time.monotonic() - t >= 0.3
    c = http.client.HTTPConnection(upstream.host, upstream.port, timeout=10)
    t = time.monotonic()
    c.request("GET", "/w/t7/slow-body?ms=400")
    resp = c.getresponse()
    head = time.monotonic() - t
    assert resp.status == 200 and head < 0.3
    assert json.loads(resp.read()) == us.records(1)
    assert time.monotonic() - t >= 0.4
    c.close()


def test_reset_garbage_and_reset_mid_misbehave(upstream):
    out = raw_exchange(upstream, b"GET /w/t8/reset HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out == b"<RST>"
    out = raw_exchange(upstream, b"GET /w/t8/garbage HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"\x16\x03\x01") and b"HTTP/" not in out
    out = raw_exchange(upstream, b"GET /w/t8/reset-mid?bytes=1000000&send=70000"
                       b"&after_ms=100 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200") and b"Content-Length: 1000000" in out
    assert out.endswith(b"<RST>") and len(out) < 1000000
    assert upstream.count("t8") == 3


def test_status_redirect_and_soap(upstream):
    r = get(upstream, "/w/t9/status/503")
    assert r.status_code == 503 and r.json()["status"] == 503
    assert r.headers["X-Provider-Note"] == "status-503"
    r = get(upstream, "/w/t9/redirect?to=http%3A%2F%2F127.0.0.1%3A1%2Fx",
            allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "http://127.0.0.1:1/x"
    envelope = b"<soap:Envelope/>"
    r = upstream.session.post(upstream.base() + "/w/t9/soap", data=envelope,
                              headers={"Content-Type": "text/xml"}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/xml")
    assert r.content == us.SOAP_ANSWER.format(
        sha=hashlib.sha256(envelope).hexdigest()).encode()
    assert get(upstream, "/w/t9/soap").status_code == 415


def test_tls_is_trusted_with_the_tests_ca_only(upstream_tls):
    r = get(upstream_tls, "/w/t10/healthz")
    assert r.status_code == 200 and upstream_tls.log("t10")[0]["tls"] is True
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(upstream_tls.base() + "/w/t10/healthz", timeout=10)
    ctx = ssl.create_default_context(cafile=upstream_tls.certs["ca"])
    c = http.client.HTTPSConnection("localhost", upstream_tls.port, context=ctx,
                                    timeout=10)
    c.request("GET", "/w/t10/healthz")
    assert c.getresponse().status == 200
    c.close()
    assert upstream_tls.count("t10") == 2


def test_a_stopped_provider_refuses_connections(start_upstream):
    u = start_upstream()
    assert get(u, "/healthz").status_code == 200
    u.stop()
    with pytest.raises(OSError):
        socket.create_connection((u.host, u.port), timeout=2).close()


def test_assertion_verifier_accepts_good_and_refuses_tampered_jws():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nums = key.public_key().public_numbers()

    def b64int(i):
        return b64url(i.to_bytes((i.bit_length() + 7) // 8, "big"))

    jwks = {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
                      "n": b64int(nums.n), "e": b64int(nums.e)}]}

    def jws(head, claims):
        h = b64url(json.dumps(head).encode())
        p = b64url(json.dumps(claims).encode())
        sig = key.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{h}.{p}.{b64url(sig)}"

    claims = {"sub": "SO-TNMT", "grant": 7}
    good = jws({"alg": "RS256", "kid": "k1"}, claims)
    assert verify_assertion(good, jwks)[1] == claims
    h, p, s = good.split(".")
    forged = b64url(json.dumps({"sub": "KHAC", "grant": 7}).encode())
    for bad in (f"{h}.{forged}.{s}", jws({"alg": "RS256", "kid": "k2"}, claims),
                jws({"alg": "HS256", "kid": "k1"}, claims), f"{h}.{p}"):
        with pytest.raises(AssertionError):
            verify_assertion(bad, jwks)
