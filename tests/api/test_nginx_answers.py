"""What nginx answers by itself (docs/security.md, "nginx's own answers").

Every status nginx produces on its own is the API's JSON error envelope,
never its HTML page; HTTP/2 has the same 8 KiB limit on the request head as
HTTP/1.1 and answers it the same way, up to nginx's parser limit, past which
it can only end the connection (tested as what it does); and the portal
serves the files its pages load and nothing else from portal/.

Requests nginx refuses before any module sees them need clients that send
what requests and browsers will not: a raw TLS socket for HTTP/1.1, curl
for HTTP/2 (Debian's curl is built with nghttp2).
"""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
from urllib.parse import urlsplit

import pytest

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")  # nginx's $request_id
SRC = os.environ.get("DS_SRC") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
PORTAL = os.path.join(SRC, "portal")
CURL = shutil.which("curl")


class Answer:
    """One HTTP answer read off the wire: status, headers (names in lower
    case, the last value of each) and the body as bytes."""

    def __init__(self, status, headers, body, http_version):
        self.status = status
        self.headers = headers
        self.body = body
        self.http_version = http_version


def answer_of(r) -> Answer:
    """The Answer of a requests.Response."""
    return Answer(r.status_code, {k.lower(): v for k, v in r.headers.items()},
                  r.content, "HTTP/1.1")


def assert_envelope(a, status, code):
    """a is nginx's JSON error: status, JSON type, the envelope, and a
    request id that is the X-Request-Id header's."""
    assert a.status == status, (a.status, a.body[:300])
    assert a.headers.get("content-type", "").startswith("application/json"), a.headers
    body = json.loads(a.body)
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "details", "request_id"}, err
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"]
    assert err["details"] == []
    assert REQUEST_ID.match(err["request_id"]), err
    assert err["request_id"] == a.headers.get("x-request-id"), a.headers
    return err


# ------------------------------------------------------------ raw HTTP/1.1

def raw_http1(base_url, request: bytes) -> Answer:
    """Send request bytes as they are over TLS (ALPN http/1.1) and read the
    one answer; nginx closes the connection after each of these errors, and
    the requests here say Connection: close anyway."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the stack's certificate is self-signed
    ctx.set_alpn_protocols(["http/1.1"])
    data = b""
    with socket.create_connection((host, port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(request)
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ")[:2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return Answer(int(status), headers, body, version)


# ---------------------------------------------------------------- HTTP/2

def curl(base_url, path, tmp_path, headers=(), http2=True, verbose=False):
    """GET path with curl, each of headers ("Name: value") sent as given.
    Returns (Answer or None when no answer came, curl's exit code, its
    stderr). The headers go through a file: hundreds of them would crowd
    a command line."""
    assert CURL, "curl is missing: ./stack installs it (PACKAGES)"
    hfile = tmp_path / "request-headers"
    hfile.write_text("".join(h + "\n" for h in headers), encoding="latin-1")
    dump, out = tmp_path / "answer-headers", tmp_path / "answer-body"
    for f in (dump, out):
        if f.exists():
            f.unlink()
    cmd = [CURL, "-sk", "--noproxy", "*", "--max-time", "30",
           "--http2" if http2 else "--http1.1",
           "-D", str(dump), "-o", str(out), "-w", "%{http_code}",
           "-H", f"@{hfile}", base_url + path]
    if verbose:
        cmd.insert(1, "-v")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=60)
    if p.stdout.strip() in (b"", b"000"):
        return None, p.returncode, p.stderr.decode("latin-1")
    blocks = dump.read_bytes().decode("latin-1").strip().split("\r\n\r\n")
    lines = blocks[-1].split("\r\n")
    version, status = lines[0].split(" ")[:2]
    hdrs = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        hdrs[name.strip().lower()] = value.strip()
    body = out.read_bytes() if out.exists() else b""
    return Answer(int(status), hdrs, body, version), p.returncode, p.stderr.decode("latin-1")


def many_headers(count, size):
    """count distinct header fields with size-byte values."""
    return [f"X-Field-{i}: " + "b" * size for i in range(count)]


# ------------------------------------------------------- HTTP/1.1 refusals

@pytest.mark.parametrize("coding", ["gzip", "gzip, chunked", "identity"])
def test_a_transfer_coding_other_than_chunked_is_json_501(base_url, coding):
    a = raw_http1(base_url, (
        "POST /api/v1/agencies HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "Content-Type: application/json\r\n"
        f"Transfer-Encoding: {coding}\r\n"
        "Connection: close\r\n\r\n").encode())
    assert_envelope(a, 501, "not_implemented")


@pytest.mark.parametrize("version", ["HTTP/2.5", "HTTP/3.0", "HTTP/2.0"])
def test_an_http_version_other_than_1_x_is_json_505(base_url, version):
    a = raw_http1(base_url, (
        f"GET /api/v1/agencies {version}\r\n"
        "Host: 127.0.0.1\r\n"
        "Connection: close\r\n\r\n").encode())
    assert_envelope(a, 505, "http_version_not_supported")
    # nginx refused it before reading a URI; it still gets the API's headers
    assert a.headers["cache-control"] == "no-store"
    assert a.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


# ------------------------------------------------- the request head's limit

def test_a_16_kb_header_over_http2_is_json_400_and_6_kb_passes(base_url, tmp_path):
    a, rc, err = curl(base_url, "/nginx-ok", tmp_path, ["X-Padding: " + "x" * 6000])
    assert a is not None, f"curl exit {rc}: {err[-500:]}"
    assert a.http_version == "HTTP/2" and a.status == 200 and a.body == b"ok\n"
    a, rc, err = curl(base_url, "/api/v1/agencies", tmp_path,
                      ["X-Padding: " + "x" * 16384])
    assert a is not None, f"no answer over HTTP/2, curl exit {rc}: {err[-500:]}"
    assert a.http_version == "HTTP/2"
    assert_envelope(a, 400, "header_too_large")


def test_four_hundred_headers_are_json_400_over_http2_as_over_http1(base_url, tmp_path):
    fields = many_headers(400, 100)  # about 44 KB decoded, 35 KB coded
    for http2 in (True, False):
        a, rc, err = curl(base_url, "/api/v1/agencies", tmp_path, fields, http2=http2)
        assert a is not None, f"no answer (http2={http2}), curl exit {rc}: {err[-500:]}"
        assert a.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
        assert_envelope(a, 400, "header_too_large")


def test_a_field_past_nginx_parser_limit_over_http2_ends_the_connection(base_url, tmp_path):
    """What nginx cannot answer: a header field whose HPACK-coded length
    is over large_client_header_buffers' 16 KiB (the other such case, a
    header list over 64 KiB decoded, curl will not send: nghttp2 refuses
    header blocks it estimates over 64 KiB). nginx's HTTP/2 parser ends the
    whole connection with GOAWAY ENHANCE_YOUR_CALM (error code 11) and no
    response. Over HTTP/1.1 the same field is the JSON 400. nginx itself
    carries on: the next connection is answered."""
    field = ["X-Padding: " + "x" * 40000]  # 35,000 bytes coded
    a, rc, err = curl(base_url, "/api/v1/agencies", tmp_path, field, verbose=True)
    assert a is None and rc != 0, (a and a.status, rc)
    assert re.search(r"GOAWAY, error=11\b", err), err[-800:]
    a, rc, err = curl(base_url, "/api/v1/agencies", tmp_path, field, http2=False)
    assert a is not None, f"curl exit {rc}: {err[-500:]}"
    assert_envelope(a, 400, "header_too_large")
    a, rc, err = curl(base_url, "/nginx-ok", tmp_path)
    assert a is not None and a.status == 200, (rc, err[-500:])


# ---------------------------------------------------- nginx's other pages

@pytest.mark.parametrize("path", ["/api/v1", "/api/v1/auth", "/api/v1/data",
                                  "/css", "/js", "/js/views", "/i18n"])
def test_paths_nginx_would_redirect_are_json_404(api, path):
    r = api.get(path)  # requests does not follow redirects here
    assert "Location" not in r.headers, r.headers
    assert_envelope(answer_of(r), 404, "not_found")


def test_a_failed_precondition_on_a_portal_file_is_json_412(api):
    # nginx may close the connection after this 412 without saying so (the
    # not-modified filter finalizes the request), and the session would
    # then reuse a closed connection for the next test's first request: this
    # one asks for its own.
    r = api.get("/favicon.svg", headers={"If-Match": '"no-such-etag"',
                                         "Connection": "close"})
    assert_envelope(answer_of(r), 412, "precondition_failed")


def test_byte_ranges_are_off_so_a_bad_range_is_the_whole_file(api):
    """nginx would answer a range past the end 416 with its HTML page (and
    its error page would carry the security headers twice); files are sent
    whole instead (max_ranges 0), ranges or not."""
    whole = api.get("/favicon.svg")
    for rng in ("bytes=999999-", "bytes=0-9"):
        r = api.get("/favicon.svg", headers={"Range": rng})
        assert r.status_code == 200, (rng, r.status_code, r.text[:200])
        assert r.content == whole.content
        assert "Content-Range" not in r.headers


# ------------------------------------------------------------ the portal

@pytest.mark.parametrize("path", [
    "/tests/", "/tests", "/tests/package.json", "/tests/package-lock.json",
    "/tests/run.mjs", "/tests/browser.mjs", "/tests/.gitignore",
    "/tests/node_modules/playwright-core/package.json",
    "/css/", "/js/", "/js/views/", "/i18n/",
])
def test_what_the_portal_pages_do_not_load_is_json_404(api, path):
    r = api.get(path)
    assert_envelope(answer_of(r), 404, "not_found")
    page = api.get("/")
    assert page.status_code == 200
    assert '<script type="module" src="js/app.js">' in page.text


def portal_files():
    """Every file of portal/ outside tests/, as URL paths."""
    for root, dirs, files in os.walk(PORTAL):
        dirs[:] = [d for d in dirs if d != "tests"]
        for f in files:
            yield "/" + os.path.relpath(os.path.join(root, f), PORTAL).replace(os.sep, "/")


def test_every_file_the_portal_pages_load_is_served(api):
    """The served set is a pattern in nginx (index.html, favicon.svg,
    css/*.css, js/**.js two levels deep, i18n/*.json): every file of the
    portal outside tests/ must fit it, or a page would break."""
    paths = sorted(portal_files())
    assert "/index.html" in paths and "/js/app.js" in paths
    for path in paths:
        r = api.get(path)
        assert r.status_code == 200, f"{path}: {r.status_code}"
        with open(os.path.join(PORTAL, path.lstrip("/")), "rb") as f:
            assert r.content == f.read(), path
    r = api.get("/")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
