"""Setup and checks shared by the gateway's tests (test_gateway.py,
test_gateway_faults.py; issue 18, /work/gw-contract.md).

- The test provider: upstream_server.py run as its own process on
  loopback (fixtures `upstream`, `upstream_tls`, `upstream_other`, and
  `start_upstream` for one a test stops or binds elsewhere), with a CA of
  the tests' own for the TLS one (`upstream_certs`).
- `gw_world(...)`: a provider with a registered service whose upstream is
  the test provider, a consumer granted fewer fields than the dataset has,
  the grant's system account and its token; `World.call` calls the
  service through the gateway.
- The log row of a call (`gw_row`, by its X-Request-Id), and the checks
  every refusal and every delivery must pass.
- `verify_assertion`: X-Datashare-Assertion checked by hand against the
  JWKS (python3-cryptography only: the stack installs it, not PyJWT).

Import the fixtures a test file uses by name, as catalog_helpers' are.
"""

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional

import pytest
import requests

import fcgi_client
import upstream_server
from catalog_helpers import published_dataset, unique
from fault_support import ModuleMaster, master_and_workers, module_exe
from sharing_setup import eventually, sha256
from suspension_helpers import db_now, iso, suspension_body

HERE = os.path.dirname(os.path.abspath(__file__))

# The dataset behind every test service: the test provider's record fields.
GW_FIELDS = [
    {"name": "id", "type": "integer", "meaning": "Mã công dân", "personal": False},
    {"name": "ho_ten", "type": "string", "meaning": "Họ và tên", "personal": True},
    {"name": "ngay_sinh", "type": "date", "meaning": "Ngày sinh", "personal": True},
    {"name": "gioi_tinh", "type": "string", "meaning": "Giới tính", "personal": True},
    {"name": "dia_chi", "type": "string", "meaning": "Nơi thường trú", "personal": True},
    {"name": "so_cccd", "type": "string", "meaning": "Số CCCD", "personal": True},
    {"name": "so_dien_thoai", "type": "string", "meaning": "Số điện thoại",
     "personal": True},
    {"name": "nghe_nghiep", "type": "string", "meaning": "Nghề nghiệp",
     "personal": False},
]
assert [f["name"] for f in GW_FIELDS] == list(upstream_server.FIELDS)
# What a consumer is granted unless a test says otherwise: fewer fields.
GRANTED = ["id", "ho_ten", "ngay_sinh"]

def hexdigest(data: bytes) -> str:
    return sha256(data)


EMPTY_SHA256 = hexdigest(b"")


# ------------------------------------------------------------ the provider

def make_upstream_certs(folder) -> dict:
    """A CA of the tests' own and a server certificate it signed, for
    127.0.0.1, ::1 and localhost: {"ca": path, "cert": path, "key": path}.
    The CA file is what a gateway must be given (gateway_ca_file) to trust
    the TLS provider; without it the provider's certificate is unknown."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import ipaddress

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            "datashare test provider CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                       False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                        "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .sign(ca_key, hashes.SHA256()))
    paths = {n: os.path.join(str(folder), f"{n}.pem") for n in ("ca", "cert", "key")}
    with open(paths["ca"], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["cert"], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.open(paths["key"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    return paths


class Upstream:
    """One upstream_server.py process. host is where it listens (127.0.0.1,
    or ::1); certs makes it TLS. url(tag) is a service's upstream_url;
    count/log/reset read its request log, by world tag."""

    def __init__(self, host="127.0.0.1", certs: Optional[dict] = None,
                 name="localhost-ip"):
        self.host, self.certs = host, certs
        self.scheme = "https" if certs else "http"
        cmd = [sys.executable, os.path.join(HERE, "upstream_server.py"),
               "--host", host]
        if certs:
            cmd += ["--cert", certs["cert"], "--key", certs["key"]]
        # Its stderr goes to a file, never a pipe nobody reads: a long run
        # of resets and hang-ups must not fill a pipe and stall it.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr,
                                  text=True)
        line = self.p.stdout.readline()
        if not line:
            self.stderr.seek(0)
            raise AssertionError("the test provider did not start: " +
                                 self.stderr.read())
        self.port = json.loads(line)["port"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = certs["ca"] if certs else True

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def base(self) -> str:
        return f"{self.scheme}://{self.authority}"

    def url(self, tag: str, host: Optional[str] = None) -> str:
        """The upstream_url of a world: this server, under /w/<tag>; host
        replaces the address by a name (ip6-localhost ...)."""
        authority = f"{host}:{self.port}" if host else self.authority
        return f"{self.scheme}://{authority}/w/{tag}"

    def _control(self, what, tag=None, **params):
        if tag is not None:
            params["tag"] = tag
        r = self.session.get(f"{self.base()}/{what}", params=params, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def count(self, tag=None) -> int:
        """Requests received (for tag's world, or in all)."""
        return self._control("_count", tag)["count"]

    def log(self, tag=None, limit=100) -> list:
        """The last requests received, oldest first: dicts with method,
        path, route, query, headers ([name, value] pairs), body_sha256,
        body_bytes, conn, and sent_bytes/sent_sha256/complete for the
        streamed answers."""
        return self._control("_log", tag, limit=limit)["items"]

    def reset(self, tag=None):
        self._control("_reset", tag)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.session.close()
        self.p.stdout.close()
        self.stderr.close()


def header(entry: dict, name: str) -> list:
    """Every value of a header in an upstream log entry."""
    return [v for k, v in entry["headers"] if k.lower() == name.lower()]


@pytest.fixture(scope="session")
def upstream_certs(tmp_path_factory) -> dict:
    return make_upstream_certs(tmp_path_factory.mktemp("upstream-tls"))


@pytest.fixture(scope="session")
def upstream():
    """The plain test provider on 127.0.0.1, for the whole run."""
    u = Upstream()
    yield u
    u.stop()


@pytest.fixture(scope="session")
def upstream_tls(upstream_certs):
    """The TLS test provider on 127.0.0.1; its CA is upstream_tls.certs["ca"]."""
    u = Upstream(certs=upstream_certs)
    yield u
    u.stop()


@pytest.fixture(scope="session")
def upstream_other():
    """A second plain provider: where a redirect points, to show that
    nothing reached it."""
    u = Upstream()
    yield u
    u.stop()


@pytest.fixture
def start_upstream():
    """start_upstream(host="127.0.0.1", certs=None) -> a provider of the
    test's own, stopped after it (or by the test, to take it down)."""
    started = []

    def start(host="127.0.0.1", certs=None):
        started.append(Upstream(host, certs))
        return started[-1]

    yield start
    for u in started:
        u.stop()


# ------------------------------------------------------------- the world

def stack_conf() -> dict:
    """The stack's datashare.conf as a dict."""
    with open(os.environ["DS_CONFIG"], encoding="utf-8") as f:
        return dict(line.strip().split("=", 1) for line in f
                    if "=" in line and not line.lstrip().startswith("#"))


_DEFAULT = object()


@dataclass
class World:
    """Everything gw_world made; call() is a consumer system's call."""
    api: object
    upstream: Upstream
    tag: str
    provider: object          # conftest.Agency (code, client_id ...)
    consumer: object
    provider_token: str
    consumer_token: str
    dataset_id: int
    service: dict
    request: dict
    grant: dict
    account: dict
    token: str
    granted: list = field(default_factory=list)

    @property
    def service_id(self) -> int:
        return self.service["id"]

    @property
    def service_code(self) -> str:
        return self.service["code"]

    @property
    def grant_id(self) -> int:
        return self.grant["id"]

    def path(self, rest="") -> str:
        """/gw/<provider code>/<service code>/<rest>."""
        return f"/gw/{self.provider.code}/{self.service_code}/{rest.lstrip('/')}"

    def url(self, rest="") -> str:
        return self.api.base_url + self.path(rest)

    def call(self, method="GET", rest="echo", token=_DEFAULT, session=None,
             headers=None, **kw) -> requests.Response:
        """{method} /gw/<provider>/<service>/<rest> with the grant
        account's token (token=None sends none; another token, that one)."""
        h = dict(headers or {})
        token = self.token if token is _DEFAULT else token
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        kw.setdefault("timeout", 60)
        kw.setdefault("allow_redirects", False)
        return (session or self.api.session).request(method, self.url(rest),
                                                     headers=h, **kw)

    def count(self) -> int:
        """Requests this world's service sent the provider."""
        return self.upstream.count(self.tag)

    def seen(self) -> list:
        """What the provider received from this world, oldest first."""
        return self.upstream.log(self.tag)


def register_service(api, token, dataset_id, code, upstream_url, **over) -> dict:
    """POST /api/v1/services with the gateway's fields (the contract's
    table): the service, as answered."""
    body = {"dataset_id": dataset_id, "name": unique("Dịch vụ tra cứu công dân"),
            "protocol": "rest", "endpoint": "https://lgsp.phuyen.gov.vn/tra-cuu",
            "version": "1.0", "code": code}
    if upstream_url is not None:
        body["upstream_url"] = upstream_url
    body.update(over)
    r = api.post("services", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def ask_and_approve(api, consumer_token, provider_token, dataset_id, service_id,
                    fields) -> tuple:
    """A sharing request by the consumer for fields through the service,
    approved as asked: (request, grant)."""
    r = api.post("sharing-requests", consumer_token, json={
        "dataset_id": dataset_id, "service_id": service_id,
        "purpose": "Xác minh thông tin công dân khi giải quyết thủ tục",
        "legal_basis": "Nghị định 47/2020/NĐ-CP", "fields": list(fields),
        "term": "indefinite"})
    assert r.status_code == 201, r.text
    req = r.json()
    r = api.post(f"sharing-requests/{req['id']}/approve", provider_token, json={})
    assert r.status_code == 200, r.text
    return req, r.json()["grant"]


def system_account(api, provider_token, grant_id, name="he-thong-mot-cua") -> tuple:
    """The grant's system account, issued by the provider: (account, token)."""
    r = api.post(f"grants/{grant_id}/accounts", provider_token, json={"name": name})
    assert r.status_code == 201, r.text
    acc = r.json()
    return acc, api.token(acc["client_id"], acc["client_secret"])


@pytest.fixture
def gw_world(api, new_agency, upstream):
    """gw_world(granted=GRANTED, upstream=the plain provider, protocol="rest",
    **service) -> World.

    A provider agency (with officer) and its published dataset of
    GW_FIELDS, a service on it with a code and upstream_url =
    <upstream>/w/<tag> and the given settings (rate_limit_per_minute,
    daily_quota, narrow, records_pointer, log_mode, connect_timeout_ms,
    response_timeout_ms, max_request_bytes, max_response_bytes, openapi
    ...), a consumer agency whose request for `granted` through the service
    the provider approved, the grant's system account and its token."""

    def make(granted=GRANTED, upstream=upstream, **service) -> World:
        tag = uuid.uuid4().hex[:12]
        provider, consumer = new_agency("GP"), new_agency("GC")
        ptok = api.token(provider.client_id, provider.client_secret)
        ctok = api.token(consumer.client_id, consumer.client_secret)
        ds = published_dataset(api, ptok, fields=GW_FIELDS)
        svc = register_service(api, ptok, ds["id"], f"tra-cuu-{tag}",
                               upstream.url(tag), **service)
        req, grant = ask_and_approve(api, ctok, ptok, ds["id"], svc["id"], granted)
        acc, token = system_account(api, ptok, grant["id"])
        return World(api, upstream, tag, provider, consumer, ptok, ctok, ds["id"],
                     svc, req, grant, acc, token, list(granted))

    return make


def narrowed(items, granted) -> list:
    """What narrowing leaves of records: their granted fields only."""
    return [{k: v for k, v in rec.items() if k in granted} for rec in items]


# -------------------------------------------------------------- the log

GW_COLUMNS = (
    "id", "kind", "account_id", "agency_id", "grant_id", "provider_agency_id",
    "consumer_agency_id", "dataset_id", "service_id", "request_path", "outcome",
    "reason", "http_status", "bytes", "sha256", "narrowed", "remote_addr",
    "request_id", "method", "request_in_ms", "request_out_ms", "response_in_ms",
    "response_out_ms", "succeeded", "fault_code", "fault_text", "request_bytes",
    "request_sha256", "bodies_kept")


def gw_rows(db, request_id) -> list:
    """The access-log rows of one request id, as dicts of str/None."""
    rows = db(f"SELECT {', '.join(GW_COLUMNS)} FROM access_log "
              "WHERE request_id = %s ORDER BY id", (request_id,))
    return [dict(zip(GW_COLUMNS, r)) for r in rows]


def gw_row(db, request_id, timeout=10.0) -> dict:
    """The one gateway row of a call, waited for: a streamed answer's row
    is complete only once the answer is (its digest), so it may land a
    moment after the consumer has read the last byte."""
    def one():
        """the call's access-log row"""
        rows = gw_rows(db, request_id)
        return rows if rows else None
    rows = eventually(one, timeout)
    assert len(rows) == 1, rows
    assert rows[0]["kind"] == "gateway", rows[0]
    return rows[0]


def ms(value) -> Optional[int]:
    return None if value is None else int(value)


def assert_times(row, t0, t1, sent, answered):
    """The row's ms timestamps: request_in within the call (t0..t1, epoch
    s, a second's slack each side for the two clocks' reading), and
    request in <= out <= response in <= response out for those present.
    sent / answered: True, the request went out / an answer began (the
    column is set); False, not (NULL); None, the contract does not say
    for this case (not checked)."""
    rin = ms(row["request_in_ms"])
    assert rin is not None, row
    assert t0 * 1000 - 1000 <= rin <= t1 * 1000 + 1000, (t0, rin, t1)
    for col, want in (("request_out_ms", sent), ("response_in_ms", answered)):
        if want is not None:
            assert (row[col] is not None) == want, (col, want, row)
    order = [ms(row[c]) for c in ("request_in_ms", "request_out_ms",
                                  "response_in_ms", "response_out_ms")
             if row[c] is not None]
    assert order == sorted(order), row
    if answered:
        assert row["response_out_ms"] is not None, row


def assert_ids(row, w: World, caller="grant"):
    """Who called what: the world's service, dataset and provider, and the
    caller: "grant" (the world's system account, its agency and grant),
    None (no account known: no token, or a bad one), or a conftest.Agency
    whose officer called (no grant)."""
    assert row["service_id"] == str(w.service_id), row
    assert row["dataset_id"] == str(w.dataset_id), row
    assert row["provider_agency_id"] == str(w.provider.agency_id), row
    if caller == "grant":
        assert row["account_id"] == str(w.account["id"]), row
        assert row["agency_id"] == str(w.consumer.agency_id), row
        assert row["consumer_agency_id"] == str(w.consumer.agency_id), row
        assert row["grant_id"] == str(w.grant_id), row
    elif caller is None:
        assert (row["account_id"], row["agency_id"], row["grant_id"],
                row["consumer_agency_id"]) == (None, None, None, None), row
    elif caller == "skip":
        pass
    else:
        assert row["account_id"] == str(caller.account_id), row
        assert row["agency_id"] == str(caller.agency_id), row


def answer_ids(r) -> tuple:
    """(X-Request-Id, X-Request-Hash) of a gateway answer, which every one
    carries."""
    rid, rhash = r.headers.get("X-Request-Id"), r.headers.get("X-Request-Hash")
    assert rid, dict(r.headers)
    assert rhash and len(rhash) == 64 and int(rhash, 16) >= 0, dict(r.headers)
    return rid, rhash


def assert_envelope(r, status: int, code: str) -> tuple:
    """The gateway's own error: status, the project's envelope with code,
    X-Gateway-Error naming it, X-Request-Id (the envelope's request_id)
    and X-Request-Hash. Returns (request id, request hash)."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    err = r.json()["error"]
    assert err["code"] == code and err["message"], r.text[:500]
    assert r.headers.get("X-Gateway-Error") == code, dict(r.headers)
    rid, rhash = answer_ids(r)
    assert err["request_id"] == rid, (err, rid)
    return rid, rhash


def assert_refused(db, w: World, r, status: int, code: str, t0: float,
                   sent_before: int = 0, body: Optional[bytes] = b"",
                   method="GET", rest="echo", caller="grant") -> dict:
    """A refusal as the contract has it: assert_envelope; X-Request-Hash
    the digest of body (None: not checked, for a body the gateway need
    not read); nothing reached the provider (its count for the world is
    still sent_before); one log row: refused, the code as reason and fault
    code, succeeded 0, what the consumer got (status, size and digest of
    the envelope), the request's digest, its method and path, the caller
    (assert_ids), nothing sent. Returns the row."""
    t1 = time.time()
    rid, rhash = assert_envelope(r, status, code)
    if body is not None:
        assert rhash == hexdigest(body), (rhash, len(body))
    assert w.count() == sent_before, w.seen()
    row = gw_row(db, rid)
    assert (row["outcome"], row["reason"], row["http_status"]) == \
        ("refused", code, str(status)), row
    assert row["fault_code"] == code and row["fault_text"], row
    assert row["succeeded"] == "0", row
    assert row["method"] == method, row
    assert row["request_path"] == w.path(rest), row
    assert (row["bytes"], row["sha256"]) == (str(len(r.content)),
                                             hexdigest(r.content)), row
    assert row["request_sha256"] == rhash, row
    assert row["narrowed"] == "0" and row["bodies_kept"] == "0", row
    assert row["remote_addr"] == "127.0.0.1", row
    assert_ids(row, w, caller)
    assert_times(row, t0, t1, sent=False, answered=False)
    return row


def assert_failed(db, w: World, r, status: int, code: str, t0: float,
                  sent: Optional[bool] = True, answered: Optional[bool] = False,
                  method="GET", rest="echo") -> dict:
    """A failure of the gateway's own (502/504): assert_envelope; one log
    row: failed, the code as reason and fault code, succeeded 0, what the
    consumer got, the request's digest, whether the request went out and
    an answer began (assert_times). Returns the row."""
    t1 = time.time()
    rid, rhash = assert_envelope(r, status, code)
    row = gw_row(db, rid)
    assert (row["outcome"], row["reason"], row["http_status"]) == \
        ("failed", code, str(status)), row
    assert row["fault_code"] == code and row["fault_text"], row
    assert row["succeeded"] == "0", row
    assert row["method"] == method and row["request_path"] == w.path(rest), row
    assert (row["bytes"], row["sha256"]) == (str(len(r.content)),
                                             hexdigest(r.content)), row
    assert row["request_sha256"] == rhash, row
    assert row["narrowed"] == "0", row
    assert_ids(row, w)
    assert_times(row, t0, t1, sent=sent, answered=answered)
    return row


def assert_delivered(db, w: World, r, t0: float, body: bytes = b"",
                     method="GET", rest="echo", narrowed_: bool = False,
                     kept: bool = False) -> dict:
    """A delivery: X-Request-Id, X-Request-Hash = the digest of body (what
    the consumer sent), no X-Gateway-Error; one log row: delivered, no
    reason or fault, succeeded as the status says (the provider answered,
    status < 500), the status, size and digest of the body the consumer
    got, the request's method, path, size and digest, narrowed as given,
    the four timestamps in order. Returns the row."""
    t1 = time.time()
    rid, rhash = answer_ids(r)
    assert "X-Gateway-Error" not in r.headers, dict(r.headers)
    assert rhash == hexdigest(body), (rhash, len(body))
    row = gw_row(db, rid)
    assert (row["outcome"], row["reason"], row["http_status"]) == \
        ("delivered", None, str(r.status_code)), row
    assert row["fault_code"] is None, row
    assert row["succeeded"] == ("1" if r.status_code < 500 else "0"), row
    assert row["method"] == method and row["request_path"] == w.path(rest), row
    assert (row["bytes"], row["sha256"]) == (str(len(r.content)),
                                             hexdigest(r.content)), row
    assert (row["request_bytes"], row["request_sha256"]) == \
        (str(len(body)), hexdigest(body)), row
    assert row["narrowed"] == ("1" if narrowed_ else "0"), row
    assert row["bodies_kept"] == ("1" if kept else "0"), row
    assert row["remote_addr"] == "127.0.0.1", row
    assert_ids(row, w)
    assert_times(row, t0, t1, sent=True, answered=True)
    return row


def assert_from_gateway(w: World, entry: dict, request_id: str) -> dict:
    """An upstream log entry as the provider must see a call of w's: for
    its world, with one X-Datashare-Consumer (the consumer agency's
    code), X-Datashare-Grant (the grant) and X-Datashare-Request-Id (the
    consumer's X-Request-Id), and no consumer credentials."""
    assert entry["tag"] == w.tag, entry
    assert header(entry, "X-Datashare-Consumer") == [w.consumer.code], entry
    assert header(entry, "X-Datashare-Grant") == [str(w.grant_id)], entry
    assert header(entry, "X-Datashare-Request-Id") == [request_id], entry
    assert header(entry, "Authorization") == [], entry
    assert header(entry, "Cookie") == [], entry
    return entry


# ---------------------------------------------------------- the assertion

def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_assertion(jws: str, jwks: dict) -> tuple:
    """(header, claims) of a compact RS256 JWS whose signature verifies
    with the JWKS key its kid names (RSA PKCS#1 v1.5, SHA-256); raises
    AssertionError otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    parts = jws.split(".")
    assert len(parts) == 3, jws
    head = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    assert head.get("alg") == "RS256", head
    keys = {k.get("kid"): k for k in jwks["keys"]}
    assert head.get("kid") in keys, (head, list(keys))
    jwk = keys[head["kid"]]
    assert jwk["kty"] == "RSA", jwk
    key = rsa.RSAPublicNumbers(int.from_bytes(b64url_decode(jwk["e"]), "big"),
                               int.from_bytes(b64url_decode(jwk["n"]), "big")
                               ).public_key()
    try:
        key.verify(b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode(),
                   padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise AssertionError(f"the assertion's signature does not verify: {jws}")
    return head, claims


def assert_assertion(api, w: World, entry: dict, request_id: str):
    """The provider's X-Datashare-Assertion verifies with GET
    /api/v1/auth/keys and says, for this call: iss = jwt_issuer, sub = the
    consumer agency's code, aud = "<provider code>/<service code>", grant,
    service, request_id, iat now and exp = iat + 60."""
    (jws,) = header(entry, "X-Datashare-Assertion")
    r = api.get("auth/keys")
    assert r.status_code == 200, r.text
    _, claims = verify_assertion(jws, r.json())
    assert claims["iss"] == stack_conf().get("jwt_issuer", "datashare"), claims
    assert claims["sub"] == w.consumer.code, claims
    assert claims["aud"] == f"{w.provider.code}/{w.service_code}", claims
    assert claims["grant"] == w.grant_id and claims["service"] == w.service_id, claims
    assert claims["request_id"] == request_id, claims
    assert abs(claims["iat"] - entry["time"]) <= 5, (claims, entry["time"])
    assert claims["exp"] == claims["iat"] + 60, claims
    return claims


# ------------------------------------------------- grants and services

def suspend_grant(api, db, w: World) -> int:
    """The provider suspends the world's grant (Art. 16.2.h): the
    suspension's id."""
    r = api.post(f"grants/{w.grant_id}/suspensions", w.provider_token,
                 json=suspension_body(db))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def lift_suspension(api, w: World, suspension_id):
    r = api.post(f"suspensions/{suspension_id}/lift", w.provider_token,
                 json={"note": "Đơn vị đã khắc phục và nộp báo cáo"})
    assert r.status_code == 200, r.text


def terminate_grant(api, w: World):
    r = api.post(f"grants/{w.grant_id}/termination", w.provider_token,
                 json={"reason": "Vi phạm lặp lại sau hai lần tạm dừng",
                       "legal_ground": "serious_or_repeated_breach"})
    assert r.status_code == 201, r.text
    return r.json()


def emergency_window(api, db, w: World, seconds: int) -> dict:
    """A planned suspension of the world's service that is under way now:
    an emergency announcement (Decree 47 Art. 43.1.b may start at once; a
    regular one only after the notice days), from the database's now for
    `seconds`. The announcement, as answered."""
    now = db_now(db)
    r = api.post(f"services/{w.service_id}/planned-suspensions", w.provider_token,
                 json={"reason": "maintenance",
                       "description": "Sự cố máy chủ cơ sở dữ liệu",
                       "starts_at": iso(now),
                       "ends_at": iso(now + dt.timedelta(seconds=seconds)),
                       "emergency": True,
                       "emergency_reason": "Mất điện tại trung tâm dữ liệu"})
    assert r.status_code == 201, r.text
    return r.json()


def point_upstream(db, w: World, url: str):
    """Moves the service's upstream behind the registry's back, as a
    changed DNS answer or an edited row would: the gateway must check
    every call, not only the registration."""
    db("UPDATE services SET upstream_url = %s WHERE id = %s", (url, w.service_id))


def wait_for_minute_start(margin: float = 15.0):
    """Waits, when fewer than margin seconds are left in this UTC minute,
    for the next one: a rate limit counts calls per minute, and a burst
    that straddles two minutes would meet two allowances. This waits on
    the clock itself, so there is nothing to poll."""
    left = 60 - (time.time() % 60)
    if left < margin:
        time.sleep(left + 0.2)


def wait_for_day_start(margin: float = 30.0):
    """The same for a UTC day (quotas)."""
    left = 86400 - (time.time() % 86400)
    if left < margin:
        time.sleep(left + 0.2)


# ----------------------------------------------- the gateway's processes

def gateway_workers() -> list:
    return master_and_workers("gateway")[1]


def is_sanitizer_build() -> bool:
    """Whether the stack runs the ASan/UBSan executables, whose shadow
    memory makes any RSS bound meaningless."""
    with open(module_exe("gateway"), "rb") as f:
        return b"__asan_init" in f.read()


def rss_kib(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class RssWatch:
    """Samples the VmRSS of the given pids every 20 ms until stop();
    peak() is the largest seen, in KiB, and samples how many were read."""

    def __init__(self, pids):
        self.pids, self.top, self.samples = list(pids), 0, 0
        self.done = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.done.is_set():
            for pid in self.pids:
                v = rss_kib(pid)
                if v is not None:
                    self.top = max(self.top, v)
                    self.samples += 1
            time.sleep(0.02)

    def start(self):
        self.t.start()
        return self

    def stop(self):
        self.done.set()
        self.t.join(5)
        return self.top


class GatewayMaster(ModuleMaster):
    """A second gateway master beside the stack's, its settings overridden
    (gateway_ca_file, gateway_upstream_networks ...), called straight
    over FastCGI as nginx would."""

    def __init__(self, tmp_path, overrides):
        super().__init__("gateway", tmp_path, overrides)

    def call(self, w: World, method="GET", rest="echo", query="", body=b"",
             token=_DEFAULT):
        """(status, headers, body) of a call of w's service."""
        token = w.token if token is _DEFAULT else token
        path = w.path(rest)
        params = {"QUERY_STRING": query,
                  "REQUEST_URI": path + ("?" + query if query else ""),
                  "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
                  "REQUEST_ID": uuid.uuid4().hex,
                  "CONTENT_TYPE": "application/json" if body else ""}
        if token is not None:
            params["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return fcgi_client.request(self.sock, method, path, body, headers=params,
                                   timeout=30)
