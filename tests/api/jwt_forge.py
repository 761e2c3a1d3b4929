"""Tokens made by the tests themselves, to attack the verifier with.

Signing uses the stack's own private key (read from its key folder) when a
test needs a token that is correctly signed but wrong in another way.
"""
import base64
import glob
import hashlib
import hmac
import json
import os
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def keys_dir() -> str:
    return os.path.join(os.environ["STACK_VAR"], "keys")


def stack_key():
    """(kid, private key) of the newest key of the stack."""
    pems = sorted(p for p in glob.glob(os.path.join(keys_dir(), "*.pem"))
                  if not p.endswith(".pub.pem"))
    path = pems[-1]
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    return os.path.basename(path)[:-4], key


def stack_public_pem() -> bytes:
    kid, _ = stack_key()
    with open(os.path.join(keys_dir(), kid + ".pub.pem"), "rb") as f:
        return f.read()


def claims(account_id: int, agency_id: int, roles, ttl: int = 600, **over):
    now = int(time.time())
    c = {"iss": "datashare", "sub": str(account_id), "agency": agency_id,
         "roles": list(roles), "iat": now, "nbf": now, "exp": now + ttl,
         "jti": uuid.uuid4().hex}
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def encode(header: dict, payload: dict, sign) -> str:
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = f"{h}.{p}".encode()
    return f"{h}.{p}.{b64url(sign(signing_input))}"


def rs256(payload: dict, kid: str = None, key=None) -> str:
    """RS256 with the stack's key (or the key given)."""
    skid, skey = stack_key()
    key = key or skey
    kid = kid or skid
    return encode({"alg": "RS256", "typ": "JWT", "kid": kid}, payload,
                  lambda m: key.sign(m, padding.PKCS1v15(), hashes.SHA256()))


def foreign_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def hs256_with_public_pem(payload: dict) -> str:
    """The classic confusion attack: HMAC keyed with the public key's PEM."""
    kid, _ = stack_key()
    secret = stack_public_pem()
    return encode({"alg": "HS256", "typ": "JWT", "kid": kid}, payload,
                  lambda m: hmac.new(secret, m, hashlib.sha256).digest())


def alg_none(payload: dict) -> str:
    kid, _ = stack_key()
    h = b64url(json.dumps({"alg": "none", "kid": kid}).encode())
    p = b64url(json.dumps(payload).encode())
    return f"{h}.{p}."
