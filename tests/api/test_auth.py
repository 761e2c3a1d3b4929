"""Token issuance and verification (issue 2: items 2, 5 and 10; issue 7,
item 2: the token attacks)."""
import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

import jwt_forge as jf
from sharing_setup import access_rows, grant_account, granted, upload


def err(r):
    body = r.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "details", "request_id"} <= set(body["error"])
    return body["error"]


# ---------------------------------------------------------------- issuance

def test_token_from_json_body(api, new_agency):
    a = new_agency("TK")
    r = api.post("auth/token", json={"client_id": a.client_id,
                                     "client_secret": a.client_secret})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert r.headers["Cache-Control"] == "no-store"
    me = api.get("auth/me", token=body["access_token"])
    assert me.status_code == 200
    assert me.json()["agency_id"] == a.agency_id
    assert me.json()["roles"] == ["agency_officer"]


def test_token_from_form_with_basic_auth(api, new_agency):
    a = new_agency("TK")
    r = api.post("auth/token", data={"grant_type": "client_credentials"},
                 auth=(a.client_id, a.client_secret))
    assert r.status_code == 200, r.text
    assert api.get("auth/me", token=r.json()["access_token"]).status_code == 200


def test_token_from_form_fields(api, new_agency):
    a = new_agency("TK")
    r = api.post("auth/token", data={"grant_type": "client_credentials",
                                     "client_id": a.client_id,
                                     "client_secret": a.client_secret})
    assert r.status_code == 200, r.text


def test_form_without_client_credentials_grant_is_400(api, new_agency):
    a = new_agency("TK")
    r = api.post("auth/token", data={"grant_type": "password"},
                 auth=(a.client_id, a.client_secret))
    assert r.status_code == 400
    assert err(r)["code"] == "unsupported_grant_type"


def test_wrong_secret_unknown_client_and_disabled_account_look_the_same(
        api, admin, new_agency):
    a = new_agency("TK")
    b = new_agency("TK")
    admin(["account", "disable", b.account_id])
    answers = [
        api.post("auth/token", json={"client_id": a.client_id,
                                     "client_secret": "wrong"}),
        api.post("auth/token", json={"client_id": "ds-nobody",
                                     "client_secret": "wrong"}),
        api.post("auth/token", json={"client_id": b.client_id,
                                     "client_secret": b.client_secret}),
    ]
    for r in answers:
        assert r.status_code == 401
        assert err(r)["code"] == "invalid_client"
        assert err(r)["message"] == "invalid client credentials"


def test_secret_timing_does_not_reveal_unknown_clients(api, new_agency):
    """Unknown ids are checked against a dummy hash: similar time. Loose
    bound (a factor of 4 on medians) so the test only fails on a real
    short cut, not on noise."""
    a = new_agency("TK")

    def median(cid):
        times = []
        for _ in range(7):
            t = time.perf_counter()
            api.post("auth/token", json={"client_id": cid, "client_secret": "x"})
            times.append(time.perf_counter() - t)
        return sorted(times)[3]

    known, unknown = median(a.client_id), median("ds-nobody-at-all")
    assert unknown > known / 4 and known > unknown / 4, (known, unknown)


def test_disabled_account_token_stops_working_at_once(api, admin, new_agency):
    """Every worker of two modules has seen (and remembers verifying) the
    token before the account is disabled; none may accept it after."""
    a = new_agency("TK")
    tok = api.token(a.client_id, a.client_secret)
    paths = ["auth/me", f"agencies/{a.agency_id}"]
    for _ in range(8):
        for path in paths:
            assert api.get(path, token=tok).status_code == 200
    admin(["account", "disable", a.account_id])
    for _ in range(8):
        for path in paths:
            r = api.get(path, token=tok)
            assert r.status_code == 401
            assert r.headers.get("WWW-Authenticate") == "Bearer"


def test_jwks_lists_the_signing_key(api):
    r = api.get("auth/keys")
    assert r.status_code == 200
    kid, _ = jf.stack_key()
    keys = {k["kid"]: k for k in r.json()["keys"]}
    assert keys[kid]["kty"] == "RSA" and keys[kid]["alg"] == "RS256"
    assert keys[kid]["e"] == "AQAB"


# ---------------------------------------------------------- verification

@pytest.fixture
def officer(new_agency):
    return new_agency("TV")


def me_status(api, token):
    return api.get("auth/me", token=token)


def test_a_token_signed_by_the_stack_key_is_accepted(api, officer):
    tok = jf.rs256(jf.claims(officer.account_id, officer.agency_id,
                             ["agency_officer"]))
    assert me_status(api, tok).status_code == 200


FORGED = [
    "expired", "not_yet_valid", "issued_in_future", "unknown_kid",
    "foreign_key_same_kid", "alg_none", "hs256_public_key", "missing_agency",
    "missing_sub", "missing_jti", "missing_exp", "wrong_issuer",
    "forged_agency", "unknown_role", "tampered_payload", "garbage",
    "oversized", "alg_none_signed", "alg_none_capitalised", "alg_rs512",
    "embedded_jwk", "kid_path", "kid_not_a_string", "header_not_json",
]

# The verifier's reason for the cases that only one check can refuse: the
# test then shows that check is what refused them.
WHY = {
    "alg_none_signed": "algorithm not allowed",
    "alg_none_capitalised": "algorithm not allowed",
    "alg_rs512": "algorithm not allowed",
    "hs256_public_key": "algorithm not allowed",
    "embedded_jwk": "unknown signing key",
    "kid_path": "unknown signing key",
    "kid_not_a_string": "unknown signing key",
    "unknown_kid": "unknown signing key",
    "foreign_key_same_kid": "bad signature",
    "tampered_payload": "bad signature",
    "expired": "the token has expired",
}


def forged(case, account_id, agency_id, roles):
    """A token of the given case for the account (see FORGED)."""
    c = jf.claims(account_id, agency_id, roles)
    now = int(time.time())
    kid, _ = jf.stack_key()
    return {
        # signed with the stack's own key: a genuine token replayed after
        # its exp (beyond the verifier's 60 s of clock skew)
        "expired": lambda: jf.rs256(dict(c, exp=now - 120, iat=now - 1000,
                                         nbf=now - 1000)),
        "not_yet_valid": lambda: jf.rs256(dict(c, nbf=now + 600)),
        "issued_in_future": lambda: jf.rs256(dict(c, iat=now + 600)),
        "unknown_kid": lambda: jf.rs256(c, kid="nosuchkey"),
        "foreign_key_same_kid": lambda: jf.rs256(c, key=jf.foreign_key()),
        "alg_none": lambda: jf.alg_none(c),
        "hs256_public_key": lambda: jf.hs256_with_public_pem(c),
        "missing_agency": lambda: jf.rs256(jf.claims(
            account_id, agency_id, roles, agency=None)),
        "missing_sub": lambda: jf.rs256({k: v for k, v in c.items() if k != "sub"}),
        "missing_jti": lambda: jf.rs256({k: v for k, v in c.items() if k != "jti"}),
        "missing_exp": lambda: jf.rs256({k: v for k, v in c.items() if k != "exp"}),
        "wrong_issuer": lambda: jf.rs256(dict(c, iss="someone-else")),
        # signed correctly, but the account belongs to another agency
        "forged_agency": lambda: jf.rs256(dict(c, agency=agency_id + 1)),
        "unknown_role": lambda: jf.rs256(dict(c, roles=["emperor"])),
        "tampered_payload": lambda: _tamper(jf.rs256(c)),
        "garbage": lambda: "not-a-token",
        "oversized": lambda: jf.rs256(dict(c, pad="x" * 16384)),
        # alg "none" carrying a good RS256 signature of its own bytes: only
        # the pinned algorithm refuses it (an empty signature fails earlier)
        "alg_none_signed": lambda: _stack_signed({"alg": "none", "kid": kid}, c),
        "alg_none_capitalised": lambda: _stack_signed({"alg": "None", "kid": kid}, c),
        "alg_rs512": lambda: _stack_signed({"alg": "RS512", "kid": kid}, c,
                                           hashes.SHA512()),
        # the attacker's own public key in the header (CVE-2018-0114 style)
        "embedded_jwk": lambda: _embedded_jwk(c),
        "kid_path": lambda: jf.rs256(c, kid=f"../keys/{kid}"),
        "kid_not_a_string": lambda: _stack_signed({"alg": "RS256", "kid": [kid]}, c),
        "header_not_json": lambda: _raw_signed(b"RS256", c),
    }[case]()


@pytest.mark.parametrize("case", FORGED)
def test_forged_or_invalid_tokens_are_401(api, officer, case):
    tok = forged(case, officer.account_id, officer.agency_id, ["agency_officer"])
    r = me_status(api, tok)
    # A 16 KB header is refused by nginx before it reaches a module.
    expected = (400, 401) if case == "oversized" else (401,)
    assert r.status_code in expected, r.text
    e = err(r)
    assert e["request_id"] == r.headers["X-Request-Id"]
    if r.status_code == 401:
        assert e["code"] == "unauthorized"
    if case in WHY:
        assert e["message"] == WHY[case]


@pytest.mark.parametrize("case", ["alg_none", "alg_none_signed", "hs256_public_key",
                                  "unknown_kid", "embedded_jwk", "tampered_payload",
                                  "expired", "kid_path"])
def test_forged_tokens_download_nothing_and_log_nothing(api, db, new_agency, case):
    """The download route checks its token itself (to log refusals of
    known accounts): a forged system-account token gets a plain 401, no
    data, and no access-log row attributed to anyone."""
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    acc, _ = grant_account(api, s)
    tok = forged(case, acc["id"], s.consumer.agency_id, ["system"])
    r = api.get(f"data/{s.grant['id']}/files/{f['id']}", token=tok)
    assert r.status_code == 401, r.text
    assert err(r)["code"] == "unauthorized"
    assert "X-Accel-Redirect" not in r.headers
    assert access_rows(db, s.grant["id"]) == []


def _stack_signed(header, claims, digest=None):
    """Any header, signed with the stack's own private key (RSA PKCS#1)."""
    _, key = jf.stack_key()
    return jf.encode(header, claims, lambda m: key.sign(
        m, padding.PKCS1v15(), digest or hashes.SHA256()))


def _raw_signed(header: bytes, claims):
    """A header that is not JSON, signed with the stack's key."""
    _, key = jf.stack_key()
    h = jf.b64url(header)
    p = jf.b64url(json.dumps(claims).encode())
    sig = key.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{h}.{p}.{jf.b64url(sig)}"


def _embedded_jwk(claims):
    """Signed by a key of the attacker's, whose public half rides in the
    header as a JWK: a verifier that trusts it accepts anything."""
    key = jf.foreign_key()
    pub = key.public_key().public_numbers()

    def num(n):
        return jf.b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

    header = {"alg": "RS256", "typ": "JWT",
              "jwk": {"kty": "RSA", "e": num(pub.e), "n": num(pub.n)}}
    return jf.encode(header, claims, lambda m: key.sign(
        m, padding.PKCS1v15(), hashes.SHA256()))


def _tamper(token):
    h, p, s = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["roles"] = ["dic_admin"]
    p2 = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{h}.{p2}.{s}"


def test_roles_come_from_the_database_not_only_the_token(api, officer, db):
    """A token claiming dic_admin for an officer's account gives no DIC
    power: the account's roles in the database are authoritative."""
    tok = jf.rs256(jf.claims(officer.account_id, officer.agency_id,
                             ["dic_admin", "agency_officer"]))
    r = api.post("agencies", token=tok, json={"code": "NOPE1", "name": "x"})
    assert r.status_code == 403
    assert db("SELECT COUNT(*) FROM agencies WHERE code = %s", ("NOPE1",)) == [("0",)]


def test_no_token_is_401_with_envelope(api):
    r = api.get("agencies")
    assert r.status_code == 401
    assert err(r)["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_basic_scheme_on_an_api_call_is_401(api, officer):
    r = api.get("agencies", auth=(officer.client_id, officer.client_secret))
    assert r.status_code == 401
