"""The stack itself: nginx over TLS, its JSON errors, headers and limits.

These hold whatever the modules do; routes into modules are tested in the
modules' own test files.
"""

import concurrent.futures
import re
import socket
import ssl
import time
from urllib.parse import urlsplit

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")  # nginx's $request_id

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def assert_error_envelope(r, status, code=None):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"code", "message", "details", "request_id"} <= set(err), err
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code
    rid = r.headers.get("X-Request-Id")
    assert rid, "no X-Request-Id header"
    assert err["request_id"] == rid
    return err


def tls_handshake(base_url, **ctx_settings):
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for name, value in ctx_settings.items():
        if name == "alpn":
            ctx.set_alpn_protocols(value)
        else:
            setattr(ctx, name, value)
    with socket.create_connection((host, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            return tls.version(), tls.selected_alpn_protocol()


def test_nginx_answers_over_tls(api, base_url):
    assert base_url.startswith("https://127.0.0.1:")
    r = api.get("/nginx-ok")
    assert r.status_code == 200
    assert r.text == "ok\n"
    version, alpn = tls_handshake(base_url, alpn=["h2", "http/1.1"])
    assert version in ("TLSv1.2", "TLSv1.3")
    assert alpn == "h2"


def test_tls_1_2_is_accepted(base_url):
    version, _ = tls_handshake(base_url, maximum_version=ssl.TLSVersion.TLSv1_2)
    assert version == "TLSv1.2"


def test_unknown_api_path_is_json_404_with_request_id(api):
    r = api.get("/api/v1/nope")
    assert_error_envelope(r, 404)


def test_path_outside_api_is_json_404_from_nginx(api):
    r = api.get("/no-such-page")
    err = assert_error_envelope(r, 404, "not_found")
    assert REQUEST_ID.match(err["request_id"])


def test_request_ids_differ_per_request(api):
    a = api.get("/no-such-page").headers["X-Request-Id"]
    b = api.get("/no-such-page").headers["X-Request-Id"]
    assert a != b


def test_security_headers_on_api_responses(api):
    r = api.get("/api/v1/nope")
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, name
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Server"] == "nginx"  # server_tokens off: no version
    # One copy each: nginx is their only source.
    assert "," not in r.headers["X-Content-Type-Options"]
    assert "," not in r.headers["X-Request-Id"]


def test_security_headers_on_nginx_error_pages(api):
    r = api.get("/no-such-page")
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, name
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_two_megabyte_body_is_json_413_from_nginx(api):
    body = b'{"name":"' + b"a" * (2 * 1024 * 1024) + b'"}'
    r = api.post("/api/v1/agencies", data=body,
                 headers={"Content-Type": "application/json"})
    assert_error_envelope(r, 413, "payload_too_large")


def test_upload_route_accepts_bodies_over_one_megabyte(api):
    # nginx lets 2 MB through to the sharing module's upload route; whatever
    # the module answers (401 without a token), it is not nginx's 413.
    r = api.post("/api/v1/datasets/1/files", data=b"x" * (2 * 1024 * 1024),
                 headers={"Content-Type": "application/octet-stream"})
    assert r.status_code != 413, r.text


def test_oversized_header_is_json_400_from_nginx(api):
    r = api.get("/api/v1/agencies", headers={"X-Padding": "x" * 16384})
    assert_error_envelope(r, 400, "header_too_large")


def test_warehouse_is_not_reachable_directly(api):
    r = api.get("/warehouse/anything")
    assert_error_envelope(r, 404, "not_found")


def test_token_endpoint_is_rate_limited_with_json_429(api):
    def hit(_):
        return api.get("/api/v1/auth/token")  # 405 from the module: cheap

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(hit, range(120)))
    limited = [r for r in responses if r.status_code == 429]
    assert limited, sorted({r.status_code for r in responses})
    assert_error_envelope(limited[0], 429, "too_many_requests")
    # Let the bucket drain (burst 40 at 20 r/s) so later tests get tokens.
    time.sleep(3)
