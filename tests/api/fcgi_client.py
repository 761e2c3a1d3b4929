"""A minimal FastCGI client (FastCGI 1.0 spec: BEGIN_REQUEST, PARAMS,
STDIN, then read STDOUT until END_REQUEST), to talk to a module's socket
directly, without nginx, in process-model tests."""
import socket
import struct

VERSION, BEGIN, END, PARAMS, STDIN, STDOUT, STDERR = 1, 1, 3, 4, 5, 6, 7
RESPONDER = 1


def _record(kind, req_id, content=b""):
    pad = (-len(content)) % 8
    return struct.pack("!BBHHBx", VERSION, kind, req_id, len(content), pad) + content + b"\0" * pad


def _pair(k, v):
    def ln(n):
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    k, v = k.encode(), v.encode()
    return ln(len(k)) + ln(len(v)) + k + v


def request(sock_path, method, path, body=b"", headers=None, timeout=10):
    """Returns (status, headers dict, body bytes)."""
    params = {"REQUEST_METHOD": method, "DOCUMENT_URI": path, "REQUEST_URI": path,
              "QUERY_STRING": "", "CONTENT_LENGTH": str(len(body)),
              "CONTENT_TYPE": "application/json" if body else "",
              "REQUEST_ID": "0123456789abcdef0123456789abcdef"}
    params.update(headers or {})
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock_path)
    data = _record(BEGIN, 1, struct.pack("!HB5x", RESPONDER, 0))
    data += _record(PARAMS, 1, b"".join(_pair(k, v) for k, v in params.items()))
    data += _record(PARAMS, 1)
    # A record holds at most 65535 bytes: a larger body goes in pieces.
    for i in range(0, len(body), 32768):
        data += _record(STDIN, 1, body[i:i + 32768])
    data += _record(STDIN, 1)
    s.sendall(data)
    out, buf = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 8:
            _, kind, _, clen, pad = struct.unpack("!BBHHBx", buf[:8])
            if len(buf) < 8 + clen + pad:
                break
            content, buf = buf[8:8 + clen], buf[8 + clen + pad:]
            if kind == STDOUT:
                out += content
            elif kind == END:
                s.close()
                return _parse(out)
    s.close()
    return _parse(out)


def _parse(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode().split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip()] = v.strip()
    status = int(headers.get("Status", "200").split()[0])
    return status, headers, body
