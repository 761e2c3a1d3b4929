#!/usr/bin/env python3
"""The test provider the gateway's tests call (issue 18): a small, real
HTTP/1.1 server with keep-alive, plain or TLS, that behaves as a
provider's system would, and misbehaves on request.

    upstream_server.py [--host 127.0.0.1] [--port 0] [--cert C --key K]

It prints one line, {"port": N}, once it listens, then serves until it is
killed. gateway_support.py starts it (the `upstream` fixtures).

Every path may start with /w/<tag>/: the tag names the test world that
called (a service's upstream_url is http://host:port/w/<tag>), so that
tests sharing one server count only their own requests. The rest of the
path picks the behaviour:

    /echo[/...]          any method: JSON of what arrived (method, path,
                         query, headers, body as base64 and text, its
                         SHA-256 and size); ?body=0 leaves the body out
    /records?n=N         a JSON array of N records (record(i) below)
    /wrapped?n=N         {"data": {"items": [...]}, "total": N}
    /record/ID           one record
    /numbers             [1, 2, 3]: JSON, but no records
    /large?bytes=N       N bytes made on the fly (large_chunks), written
       [&mode=chunked]   64 KiB at a time, with Content-Length or chunked
    /slow?ms=N[&n=K]     K records (default 1) after N ms
    /slow-body?ms=N      the head of K records at once, their body N ms later
    /reset               closes the connection with a TCP RST, no answer
    /reset-mid?bytes=N&send=M[&after_ms=T]
                         the head of an N-byte body, M bytes of it, then
                         (T ms later, default 300) a TCP RST
    /garbage             bytes that are not HTTP, then a close
    /status/CODE         that status (200-599) with a small JSON body (none
                         for 204 and 304)
    /redirect?to=URL     302 to URL
    /text                a text/plain body
    /soap                POST text/xml or application/soap+xml: a SOAP
                         envelope back
    /healthz             {"status": "ok"}

And the request log, which is not itself logged (?tag=T: that world's only):

    /_count              {"count": requests received}
    /_log[?limit=N]      {"items": the last N (default 100) requests:
                         method, path, query, headers, body digest, the
                         connection they came on, and for streamed answers
                         how much was sent and whether all of it}
    /_reset              forgets the requests
"""

import argparse
import base64
import collections
import hashlib
import itertools
import json
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024            # each write of a streamed answer
BODY_KEEP = 16 << 20         # the most of a request body /echo sends back
LOG_KEEP = 10000             # requests remembered; /_log shows the last 100

FIELDS = ("id", "ho_ten", "ngay_sinh", "gioi_tinh", "dia_chi", "so_cccd",
          "so_dien_thoai", "nghe_nghiep")

_HO = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi")
_DEM = ("Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu")
_TEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Phúc", "Quỳnh",
        "Tâm")
_NOI = ("Phường 1, Tuy Hòa", "Xuân Phú, Sông Cầu", "Hòa Vinh, Đông Hòa",
        "Sơn Thành Tây, Tây Hòa", "Hòa An, Phú Hòa", "An Mỹ, Tuy An",
        "Eà Bar, Sông Hinh", "Xuân Quang 1, Đồng Xuân")
_NGHE = ("Nông dân", "Giáo viên", "Công chức", "Ngư dân", "Kỹ sư",
         "Học sinh")


def record(i: int) -> dict:
    """Resident i (a whole number), the same on every call, so a test can
    work out what a narrowed answer must hold."""
    return {
        "id": i,
        "ho_ten": f"{_HO[i % 8]} {_DEM[i % 6]} {_TEN[i % 10]}",
        "ngay_sinh": f"{1950 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "gioi_tinh": "Nữ" if i % 2 else "Nam",
        "dia_chi": f"{1 + i % 200} đường Trần Hưng Đạo, {_NOI[i % 8]}, Phú Yên",
        "so_cccd": f"054{i:09d}",
        "so_dien_thoai": f"09{(i * 7919) % 100000000:08d}",
        "nghe_nghiep": _NGHE[i % 6],
    }


def records(n: int) -> list:
    return [record(i) for i in range(1, n + 1)]


def wrapped(n: int) -> dict:
    return {"data": {"items": records(n)}, "total": n}


def json_bytes(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


_BLOCK = bytes((i * 131 + (i >> 8) * 7) & 0xFF for i in range(CHUNK))


def large_chunks(n: int):
    """The body of /large?bytes=n, one 64 KiB block at a time (the same
    block again and again, the last one cut): nothing the size of the
    answer is ever held."""
    left = n
    while left > 0:
        part = _BLOCK if left >= CHUNK else _BLOCK[:left]
        left -= len(part)
        yield part


def large_sha256(n: int) -> str:
    h = hashlib.sha256()
    for part in large_chunks(n):
        h.update(part)
    return h.hexdigest()


SOAP_ANSWER = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <TraCuuCongDanResponse xmlns="urn:phuyen:dancu">
      <id>1</id><ho_ten>Nguyễn Văn An</ho_ten><so_cccd>054000000001</so_cccd>
      <dia_chi>Phường 1, Tuy Hòa</dia_chi><request_sha256>{sha}</request_sha256>
    </TraCuuCongDanResponse>
  </soap:Body>
</soap:Envelope>
"""

TAGGED = re.compile(r"^/w/([^/]+)(/.*)?$")


class RequestLog:
    """The requests received, for the tests' "the upstream got (no)
    request" assertions; thread safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = collections.deque(maxlen=LOG_KEEP)
        self.seq = itertools.count(1)

    def add(self, entry: dict) -> dict:
        with self.lock:
            entry["seq"] = next(self.seq)
            self.items.append(entry)
        return entry

    def update(self, entry: dict, **values):
        with self.lock:
            entry.update(values)

    def select(self, tag):
        with self.lock:
            return [dict(e) for e in self.items if tag is None or e["tag"] == tag]

    def clear(self, tag):
        with self.lock:
            keep = [e for e in self.items if tag is not None and e["tag"] != tag]
            self.items.clear()
            self.items.extend(keep)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host, port, ssl_context=None):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.ssl_context = ssl_context
        self.verbose = False
        self.log = RequestLog()
        self.connections = itertools.count(1)
        super().__init__((host, port), Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's own thread,
        # so that a slow or failing client never holds up accept().
        if self.ssl_context is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        request.settimeout(10)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "datashare-test-upstream/1"
    timeout = 120            # an idle keep-alive connection ends after this

    def setup(self):
        super().setup()
        self.conn_id = next(self.server.connections)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("upstream: " + (fmt % args) + "\n")

    # ------------------------------------------------------------ dispatch

    def _dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        path = re.sub("/+", "/", url.path)
        query = urllib.parse.parse_qs(url.query)
        m = TAGGED.match(path)
        tag, route = (m.group(1), m.group(2) or "/") if m else (None, path)
        self.head_only = self.command == "HEAD"
        self.entry = None
        try:
            if route in ("/_count", "/_log", "/_reset"):
                self._discard_body()
                return self._control(route, query, tag)
            body, digest, size = self._read_body()
            self.entry = self.server.log.add({
                "tag": tag, "conn": self.conn_id, "method": self.command,
                "path": url.path, "route": route, "query": url.query,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_sha256": digest, "body_bytes": size,
                "peer": list(self.client_address[:2]),
                "tls": isinstance(self.connection, ssl.SSLSocket),
                "time": time.time(), "sent_bytes": None, "complete": None})
            self._route(route, query, body, digest, size)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError,
                socket.timeout):
            self.close_connection = True
        except ValueError as e:        # a bad number in the query or framing
            self.close_connection = True
            self._json(400, {"error": str(e)})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = \
        do_OPTIONS = _dispatch

    def _route(self, route, query, body, digest, size):
        def arg(name, default=None, lo=0, hi=1 << 40):
            v = query.get(name, [None])[0]
            if v is None:
                return default
            return max(lo, min(hi, int(v)))

        if route == "/echo" or route.startswith("/echo/"):
            return self._echo(query, body, digest, size)
        if route == "/records":
            return self._json(200, records(arg("n", 3, hi=1000000)))
        if route == "/wrapped":
            return self._json(200, wrapped(arg("n", 3, hi=1000000)))
        m = re.fullmatch(r"/record/([0-9]{1,9})", route)
        if m:
            return self._json(200, record(int(m.group(1))))
        if route == "/numbers":
            return self._json(200, [1, 2, 3])
        if route == "/large":
            return self._large(arg("bytes", CHUNK),
                               query.get("mode", ["length"])[0] == "chunked",
                               query.get("type", ["application/octet-stream"])[0])
        if route == "/slow":
            time.sleep(arg("ms", 1000, hi=600000) / 1000)
            return self._json(200, records(arg("n", 1, hi=10000)))
        if route == "/slow-body":
            data = json_bytes(records(arg("n", 1, hi=10000)))
            self._head(200, "application/json; charset=utf-8", len(data))
            time.sleep(arg("ms", 1000, hi=600000) / 1000)
            return self._write(data)
        if route == "/reset":
            return self._reset()
        if route == "/reset-mid":
            return self._reset_mid(arg("bytes", 1 << 20), arg("send", CHUNK),
                                   arg("after_ms", 300, hi=60000))
        if route == "/garbage":
            self.wfile.write(b"\x16\x03\x01 this is not HTTP \x00\xff\xfe\r\n\r\n")
            self.close_connection = True
            return None
        m = re.fullmatch(r"/status/([2-5][0-9][0-9])", route)
        if m:
            code = int(m.group(1))
            note = {"X-Provider-Note": f"status-{code}"}
            if code in (204, 304):           # no body, by definition
                return self._head(code, None, headers=note)
            return self._json(code, {"status": code,
                                     "message": f"provider says {code}"},
                              note)
        if route == "/redirect":
            to = query.get("to", ["http://127.0.0.1:9/"])[0]
            return self._json(302, {"redirect": to}, {"Location": to})
        if route == "/text":
            return self._send(200, "text/plain; charset=utf-8",
                              "Xin chào, đây không phải JSON.\n".encode("utf-8"))
        if route == "/soap":
            return self._soap(body, digest)
        if route == "/healthz":
            return self._json(200, {"status": "ok"})
        return self._json(404, {"error": "no such route", "route": route})

    # -------------------------------------------------------------- bodies

    def _read_body(self):
        """(the first BODY_KEEP bytes, SHA-256 hex, size) of the request
        body, Content-Length or chunked."""
        h, kept, size = hashlib.sha256(), bytearray(), 0

        def take(data):
            nonlocal size
            h.update(data)
            if len(kept) < BODY_KEEP:
                kept.extend(data[:BODY_KEEP - len(kept)])
            size += len(data)

        def read_exactly(n):
            while n > 0:
                data = self.rfile.read(min(n, CHUNK))
                if not data:
                    raise ConnectionResetError("request body cut short")
                take(data)
                n -= len(data)

        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline(65537)
                n = int(line.split(b";")[0].strip() or b"x", 16)
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                read_exactly(n)
                self.rfile.readline(65537)
        else:
            read_exactly(int(self.headers.get("Content-Length") or 0))
        return bytes(kept), h.hexdigest(), size

    def _discard_body(self):
        self._read_body()

    # ------------------------------------------------------------- answers

    def _head(self, status, ctype, length=None, headers=None, chunked=False):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif length is not None:
            self.send_header("Content-Length", str(length))
        if getattr(self, "entry", None):
            self.send_header("X-Upstream-Seq", str(self.entry["seq"]))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def _write(self, data):
        if not self.head_only:
            self.wfile.write(data)

    def _send(self, status, ctype, data, headers=None):
        self._head(status, ctype, len(data), headers)
        self._write(data)

    def _json(self, status, value, headers=None):
        self._send(status, "application/json; charset=utf-8", json_bytes(value),
                   headers)

    def _echo(self, query, body, digest, size):
        answer = {
            "method": self.command, "path": urllib.parse.urlsplit(self.path).path,
            "query": urllib.parse.urlsplit(self.path).query,
            "headers": {k.lower(): ", ".join(self.headers.get_all(k))
                        for k in {k for k in self.headers.keys()}},
            "header_list": [[k, v] for k, v in self.headers.items()],
            "body_sha256": digest, "body_bytes": size,
        }
        if query.get("body", ["1"])[0] != "0":
            answer["body_b64"] = base64.b64encode(body).decode()
            try:
                answer["body_text"] = body.decode("utf-8")
            except UnicodeDecodeError:
                answer["body_text"] = None
        self._json(200, answer)

    def _large(self, n, chunked, ctype):
        """Streams n bytes; records how many went out and their digest."""
        h, sent = hashlib.sha256(), 0
        self._head(200, ctype, None if chunked else n, chunked=chunked)
        try:
            if not self.head_only:
                for part in large_chunks(n):
                    if chunked:
                        self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
                    else:
                        self.wfile.write(part)
                    h.update(part)
                    sent += len(part)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
        finally:
            self.server.log.update(self.entry, sent_bytes=sent,
                                   sent_sha256=h.hexdigest(),
                                   complete=sent == n)

    def _soap(self, body, digest):
        ctype = self.headers.get("Content-Type", "")
        if self.command != "POST" or not ctype.startswith(
                ("text/xml", "application/soap+xml")):
            return self._send(415, "text/plain; charset=utf-8",
                              b"POST text/xml or application/soap+xml\n")
        answer = SOAP_ANSWER.format(sha=digest).encode("utf-8")
        self._send(200, ctype.split(";")[0] + "; charset=utf-8", answer)

    def _reset(self):
        """Ends the connection with a TCP RST: SO_LINGER 0, then the
        descriptor itself is closed (the handler's file objects would keep
        a plain close() from closing it)."""
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            os.close(sock.detach())
        except OSError:
            pass
        self.close_connection = True

    def _reset_mid(self, n, send, after_ms):
        self._head(200, "application/octet-stream", n)
        sent = 0
        for part in large_chunks(min(send, n)):
            self.wfile.write(part)
            sent += len(part)
        self.server.log.update(self.entry, sent_bytes=sent, complete=False)
        time.sleep(after_ms / 1000)
        self._reset()

    # ------------------------------------------------------------ control

    def _control(self, route, query, tag):
        tag = query.get("tag", [tag])[0]
        items = self.server.log.select(tag)
        if route == "/_count":
            return self._json(200, {"count": len(items)})
        if route == "/_log":
            limit = int(query.get("limit", ["100"])[0])
            return self._json(200, {"items": items[-limit:] if limit > 0 else []})
        # /_reset
        self.server.log.clear(tag)
        return self._json(200, {"cleared": len(items)})


def tls_context(cert, key) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert", help="PEM certificate (chain) for TLS")
    p.add_argument("--key", help="PEM private key for TLS")
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args(argv)
    if bool(a.cert) != bool(a.key):
        p.error("--cert and --key go together")
    server = Server(a.host, a.port, tls_context(a.cert, a.key) if a.cert else None)
    server.verbose = a.verbose
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
