"""Integrity of the hash chains (issue 7, item 7; R5.3, R10.2): verify
names an edited, a deleted and a swapped row in the audit trail and in the
access log; a signed checkpoint kept outside the database also catches
rows cut off the end and a rewritten tail, and survives a legal purge;
200 concurrent writers leave chains that verify.

Tampering is done as MariaDB's root, which can delete and insert rows but
not update a sealed one (the trigger): an edit or a swap is a row deleted
and put back changed. Every test puts the original rows back in a finally,
so the chains verify for the tests after it. That the modules' own account
cannot UPDATE or DELETE log rows is shown in test_audit.py and
test_access_log.py."""

import base64
import json
import os
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fault_support import Load, RootSession
from sharing_setup import granted

CHAINS = {"audit": "audit_events", "access": "access_log"}


def add_rows(chain, api, db, new_agency, admin_token, n=4):
    """n new rows in a chain, sealed by the modules after each answer."""
    if chain == "audit":
        for _ in range(n):
            r = api.post("agencies", admin_token,
                         json={"code": "I" + uuid.uuid4().hex[:10].upper(),
                               "name": "Integrity"})
            assert r.status_code == 201, r.text
    else:
        s = granted(api, db, new_agency)
        for _ in range(n):     # each refusal is logged (R5.1)
            r = api.get(f"data/{s.grant['id']}/files/999999999", s.consumer.token)
            assert r.status_code == 404, r.text


def tail(db, table, k):
    """(id, seq, hash) of the last k sealed rows, oldest first."""
    rows = db(f"SELECT id, seq, hash FROM {table} WHERE seq IS NOT NULL "
              f"ORDER BY seq DESC LIMIT {int(k)}")
    return [(int(i), int(s), h) for i, s, h in reversed(rows)]


def head(db, chain):
    (s, h), = db("SELECT seq, hash FROM chain_heads WHERE chain = %s", (chain,))
    return int(s), h


@contextmanager
def saved(db, table, ids):
    """Keeps a copy of rows ids of table and puts them back afterwards,
    whatever was done to them meanwhile."""
    keep = f"zz_keep_{uuid.uuid4().hex[:8]}"
    where = "id IN (" + ",".join(str(int(i)) for i in ids) + ")"
    db(f"CREATE TABLE {keep} AS SELECT * FROM {table} WHERE {where}")
    try:
        yield keep, where
    finally:
        db(f"DELETE FROM {table} WHERE {where}; "
           f"INSERT INTO {table} SELECT * FROM {keep}; DROP TABLE {keep}")


@contextmanager
def head_kept(db, chain):
    """Puts the chain's head back afterwards."""
    s, h = head(db, chain)
    try:
        yield
    finally:
        db("UPDATE chain_heads SET seq = %s, hash = %s WHERE chain = %s", (s, h, chain))


def put_back_changed(db, table, keep, where, change):
    """Replaces rows `where` of table by their copies in keep changed by
    the SQL assignment `change`."""
    tmp = f"zz_change_{uuid.uuid4().hex[:8]}"
    db(f"CREATE TABLE {tmp} AS SELECT * FROM {keep}; UPDATE {tmp} SET {change}; "
       f"DELETE FROM {table} WHERE {where}; INSERT INTO {table} SELECT * FROM {tmp}; "
       f"DROP TABLE {tmp}")


def broken(admin, args, chain, problem):
    with pytest.raises(AssertionError,
                       match=f"{chain}: the hash chain is broken: {problem}"):
        admin(args)


@pytest.fixture
def chain_rows(api, db, admin, new_agency, admin_token):
    def make(chain, n=4):
        add_rows(chain, api, db, new_agency, admin_token, n)
        admin(["seal"])
        assert f"{chain}: intact" in admin(["verify"])
    return make


# ------------------------------------------------------------ verify

@pytest.mark.parametrize("chain", CHAINS)
def test_verify_names_an_edited_row(chain, chain_rows, db, admin):
    chain_rows(chain)
    table = CHAINS[chain]
    (rid, seq, _), _ = tail(db, table, 2)
    change = "action = CONCAT(action, 'x')" if chain == "audit" else \
        "http_status = http_status + 1"
    with saved(db, table, [rid]) as (keep, where):
        put_back_changed(db, table, keep, where, change)
        broken(admin, ["verify"], chain, rf"row id {rid} \(seq {seq}\) was edited")
    assert f"{chain}: intact" in admin(["verify"])


@pytest.mark.parametrize("chain", CHAINS)
def test_verify_names_a_deleted_row(chain, chain_rows, db, admin):
    chain_rows(chain)
    table = CHAINS[chain]
    (rid, seq, _), _ = tail(db, table, 2)
    with saved(db, table, [rid]) as (_, where):
        db(f"DELETE FROM {table} WHERE {where}")
        broken(admin, ["verify"], chain,
               rf"row seq {seq} is missing \(next present: {seq + 1}\): removed")
    assert f"{chain}: intact" in admin(["verify"])


@pytest.mark.parametrize("chain", CHAINS)
def test_verify_names_two_swapped_rows(chain, chain_rows, db, admin):
    """Two neighbours exchange places (seq), each keeping its own hashes:
    the one moved forward does not follow its new predecessor."""
    chain_rows(chain)
    table = CHAINS[chain]
    (a, sa, _), (b, sb, _), _ = tail(db, table, 3)
    with saved(db, table, [a, b]) as (keep, where):
        put_back_changed(db, table, keep, where,
                         f"seq = IF(id = {a}, {sb}, {sa})")
        broken(admin, ["verify"], chain,
               rf"row id {b} \(seq {sa}\) does not follow its predecessor")
    assert f"{chain}: intact" in admin(["verify"])


# -------------------------------------------------------- checkpoints

def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def server_signed(tmp_path, claims):
    """A checkpoint file with these claims signed by the server's own key
    (the newest in the stack's keys folder): what only the server's
    operator could make."""
    keys = os.path.join(os.environ["STACK_VAR"], "keys")
    kid = max(f[:-4] for f in os.listdir(keys)
              if f.endswith(".pem") and not f.endswith(".pub.pem"))
    key = serialization.load_pem_private_key(
        open(os.path.join(keys, kid + ".pem"), "rb").read(), password=None)
    h = b64(json.dumps({"alg": "RS256", "kid": kid, "typ": "JWT"}).encode())
    p = b64(json.dumps(claims).encode())
    sig = key.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
    path = tmp_path / f"signed-{uuid.uuid4().hex[:6]}.jws"
    path.write_text(f"{h}.{p}.{b64(sig)}\n")
    return path


def checkpoint(admin, tmp_path, name="cp.jws"):
    path = tmp_path / name
    out = admin(["checkpoint", "--out", str(path)])
    assert "signed with key" in out, out
    return path


def test_checkpoint_is_a_signed_record_of_each_head(api, db, admin, chain_rows,
                                                    tmp_path):
    chain_rows("audit")
    path = checkpoint(admin, tmp_path)
    jws = path.read_text().strip()
    h, p, sig = jws.split(".")
    header, claims = b64json(h), b64json(p)
    assert header["alg"] == "RS256"
    pub = os.path.join(os.environ["STACK_VAR"], "keys", header["kid"] + ".pub.pem")
    key = serialization.load_pem_public_key(open(pub, "rb").read())
    key.verify(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)),
               f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert claims["sub"] == "datashare-chain-checkpoint"
    (now,) = db("SELECT UNIX_TIMESTAMP()")[0]
    assert 0 <= int(now) - claims["iat"] < 60
    for chain in CHAINS:
        s, hh = head(db, chain)
        c = claims["chains"][chain]
        assert (c["head_seq"], c["head_hash"]) == (s, hh)
        (anchor,) = db("SELECT anchor_seq FROM chain_heads WHERE chain = %s",
                       (chain,))[0]
        assert c["rows"] == s - int(anchor)
    # The chains grow after it; it still holds.
    chain_rows("audit")
    out = admin(["verify", "--checkpoint", str(path)])
    assert "signature good" in out
    assert "audit: matches the checkpoint" in out and \
        "access: matches the checkpoint" in out


@pytest.mark.parametrize("chain", CHAINS)
def test_checkpoint_catches_rows_cut_off_the_end(chain, chain_rows, db, admin,
                                                 tmp_path):
    """The newest rows go and the head is moved back onto the last row
    left: the chain is consistent and plain verify cannot tell."""
    chain_rows(chain)
    path = checkpoint(admin, tmp_path)
    table = CHAINS[chain]
    rows = tail(db, table, 3)
    keep_id, keep_seq, keep_hash = rows[0]
    cut = [r[0] for r in rows[1:]]
    with head_kept(db, chain), saved(db, table, cut) as (_, where):
        db(f"DELETE FROM {table} WHERE {where}")
        db("UPDATE chain_heads SET seq = %s, hash = %s WHERE chain = %s",
           (keep_seq, keep_hash, chain))
        assert f"{chain}: intact" in admin(["verify"])
        broken(admin, ["verify", "--checkpoint", str(path)], chain,
               rf"the chain ends at seq {keep_seq}, before the checkpoint's "
               rf"head seq {rows[-1][1]}: rows were cut off the end")
    assert f"{chain}: matches the checkpoint" in \
        admin(["verify", "--checkpoint", str(path)])


def test_checkpoint_catches_a_rewritten_and_resealed_tail(chain_rows, db, admin,
                                                          tmp_path):
    """The last two rows are edited and sealed again from the row before
    them: a consistent chain with the same length, another head hash."""
    chain_rows("audit")
    path = checkpoint(admin, tmp_path)
    (base_seq, base_hash), ((a, _, _), (b, sb, _)) = \
        tail(db, "audit_events", 3)[0][1:], tail(db, "audit_events", 2)
    with head_kept(db, "audit"), saved(db, "audit_events", [a, b]) as (keep, where):
        # The head first: the module masters seal every seal_interval_ms,
        # and would otherwise link the rows put back to the old head.
        db("UPDATE chain_heads SET seq = %s, hash = %s WHERE chain = 'audit'",
           (base_seq, base_hash))
        put_back_changed(db, "audit_events", keep, where,
                         "seq = NULL, prev_hash = NULL, hash = NULL, "
                         "action = CONCAT(action, 'x')")
        admin(["seal"])
        assert head(db, "audit")[0] == sb
        assert "audit: intact" in admin(["verify"])
        broken(admin, ["verify", "--checkpoint", str(path)], "audit",
               rf"row seq {sb} does not have the checkpoint's head hash")
    assert "audit: matches the checkpoint" in \
        admin(["verify", "--checkpoint", str(path)])


def test_a_forged_or_foreign_checkpoint_is_refused(api, admin, admin_token, tmp_path):
    path = checkpoint(admin, tmp_path)
    h, p, sig = path.read_text().strip().split(".")
    claims = b64json(p)
    claims["chains"]["audit"]["head_seq"] -= 1
    bad = tmp_path / "forged.jws"
    bad.write_text(f"{h}.{b64(json.dumps(claims).encode())}.{sig}\n")
    with pytest.raises(AssertionError, match="not a valid checkpoint: bad signature"):
        admin(["verify", "--checkpoint", str(bad)])
    # Signed by a key the server does not have.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    hdr = b64(json.dumps({"alg": "RS256", "kid": "k-not-ours", "typ": "JWT"}).encode())
    s = key.sign(f"{hdr}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
    bad.write_text(f"{hdr}.{p}.{b64(s)}\n")
    with pytest.raises(AssertionError, match="unknown signing key"):
        admin(["verify", "--checkpoint", str(bad)])
    # Signed by the server's key, but an access token, not a checkpoint.
    bad.write_text(admin_token + "\n")
    with pytest.raises(AssertionError, match="not a chain checkpoint"):
        admin(["verify", "--checkpoint", str(bad)])


def test_no_checkpoint_of_a_broken_chain(chain_rows, db, admin, tmp_path):
    chain_rows("audit")
    (rid, _, _), _ = tail(db, "audit_events", 2)
    with saved(db, "audit_events", [rid]) as (keep, where):
        put_back_changed(db, "audit_events", keep, where,
                         "action = CONCAT(action, 'x')")
        with pytest.raises(AssertionError, match="broken, no checkpoint"):
            admin(["checkpoint", "--out", str(tmp_path / "cp.jws")])
    assert not (tmp_path / "cp.jws").exists()


def test_checkpoints_still_hold_after_a_legal_purge(api, db, admin, new_agency,
                                                    tmp_path):
    """Starts the access chain afresh (as test_access_log's purge test
    does) with two rows 200 days old: checkpoint A; one row 10 days old:
    checkpoint B. A purge at 92 days removes A's head row itself and moves
    the anchor onto its hash: both checkpoints, and verify, still pass."""
    s = granted(api, db, new_agency)
    admin(["seal"])
    db("START TRANSACTION; "
       "SELECT seq FROM chain_heads WHERE chain = 'access' FOR UPDATE; "
       "DELETE FROM access_log; DELETE FROM chain_purges WHERE chain = 'access'; "
       "UPDATE chain_heads SET seq = 0, hash = REPEAT('0', 64), anchor_seq = 0, "
       "anchor_hash = REPEAT('0', 64) WHERE chain = 'access'; COMMIT")

    def old_row(days):
        db("INSERT INTO access_log (created_at, grant_id, provider_agency_id, "
           "consumer_agency_id, dataset_id, request_path, outcome, reason, "
           "http_status) VALUES (UTC_TIMESTAMP(6) - INTERVAL %s DAY, %s, %s, %s, "
           "%s, '/api/v1/data/x', 'refused', 'test', 403)",
           (days, s.grant["id"], s.provider.agency_id, s.consumer.agency_id,
            s.dataset_id))

    old_row(200)
    old_row(200)
    admin(["seal"])
    a = checkpoint(admin, tmp_path, "a.jws")
    old_row(10)
    admin(["seal"])
    b = checkpoint(admin, tmp_path, "b.jws")
    out = admin(["access-log", "purge", "--days", "92"])
    assert "purged 2 rows" in out, out
    assert "access: intact: 1 rows checked" in admin(["verify"])
    for cp in (a, b):
        out = admin(["verify", "--checkpoint", str(cp)])
        assert "access: matches the checkpoint" in out, out
    # A checkpoint whose head the purge removed is held to the anchor:
    # at the anchor's seq the hashes must agree; below it, rows are gone.
    claims = b64json(a.read_text().split(".")[1])
    claims["chains"]["access"]["head_hash"] = "1" * 64
    bad = server_signed(tmp_path, claims)
    broken(admin, ["verify", "--checkpoint", str(bad)], "access",
           "the purge anchor at seq 2 has another hash than the checkpoint's head")
    claims["chains"]["access"]["head_seq"] = 1
    assert "access: matches the checkpoint" in \
        admin(["verify", "--checkpoint", str(server_signed(tmp_path, claims))])


@contextmanager
def heads_held(*chains):
    """A root session holding the chains' head rows locked, as a module
    master does mid-round (chain_seal): the modules' sealing skips them,
    so rows appended meanwhile stay unsealed. Yields the session's
    release(), which ends the round (ROLLBACK)."""
    root = RootSession()
    names = ",".join(f"'{c}'" for c in chains)
    root.run(f"START TRANSACTION; SELECT seq FROM chain_heads WHERE chain IN "
             f"({names}) FOR UPDATE")
    try:
        yield lambda: root.run("ROLLBACK")
    finally:
        root.close()


@contextmanager
def unsealed_rows(db, api, new_agency, admin_token):
    """New rows in both chains, left unsealed while their heads are held:
    ({chain: [their ids]}, release)."""
    s = granted(api, db, new_agency)
    with heads_held("audit", "access") as release:
        add_rows("audit", api, db, new_agency, admin_token, n=3)
        for _ in range(3):
            r = api.get(f"data/{s.grant['id']}/files/999999999", s.consumer.token)
            assert r.status_code == 404, r.text
        ids = {c: [int(i) for (i,) in db(f"SELECT id FROM {t} WHERE seq IS NULL")]
               for c, t in CHAINS.items()}
        assert all(ids.values()), ids
        yield ids, release


def in_background(fn):
    """Runs fn in a thread; the returned join() gives its result or raises
    what it raised."""
    box = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as e:      # handed to join()
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()

    def join(timeout=60):
        t.join(timeout)
        assert not t.is_alive(), "still running"
        if "error" in box:
            raise box["error"]
        return box["result"]
    join.running = t.is_alive
    return join


def test_checkpoint_waits_for_a_sealing_master_and_covers_its_rows(
        api, db, admin, new_agency, admin_token, tmp_path):
    """Rows appended while a master holds both heads mid-round are
    unsealed when the checkpoint starts. Pass: it waits for the round
    instead of signing the old heads, then links them (or the master
    does) before signing: every one of them lies at or below the signed
    head, and verify --checkpoint passes."""
    path = tmp_path / "cp.jws"
    with unsealed_rows(db, api, new_agency, admin_token) as (ids, release):
        join = in_background(lambda: admin(["checkpoint", "--out", str(path)]))
        time.sleep(1.5)
        assert join.running(), "the checkpoint did not wait for the held heads"
        release()
        out = join()
    assert "signed with key" in out and "audit: linked" in out, out
    claims = b64json(path.read_text().split(".")[1])
    for chain, table in CHAINS.items():
        seqs = db(f"SELECT seq FROM {table} WHERE id IN "
                  f"({','.join(map(str, ids[chain]))})")
        top = claims["chains"][chain]["head_seq"]
        assert all(q is not None and int(q) <= top for (q,) in seqs), (chain, seqs, top)
    out = admin(["verify", "--checkpoint", str(path)])
    assert "audit: matches the checkpoint" in out and \
        "access: matches the checkpoint" in out, out


def test_checkpoint_refuses_a_head_held_past_its_wait(api, db, admin, new_agency,
                                                     admin_token, tmp_path):
    """A head held longer than --wait: no checkpoint at all (not one that
    leaves out rows committed before it), saying which chain and why;
    once the round ends, the next checkpoint covers the rows."""
    path = tmp_path / "cp.jws"
    with unsealed_rows(db, api, new_agency, admin_token) as (ids, release):
        t0 = time.monotonic()
        with pytest.raises(AssertionError,
                           match="audit: another process held the chain's head "
                                 "for more than 1 s: no checkpoint"):
            admin(["checkpoint", "--out", str(path), "--wait", "1"])
        assert time.monotonic() - t0 < 10
        assert not path.exists()
        release()
    admin(["checkpoint", "--out", str(path)])
    claims = b64json(path.read_text().split(".")[1])
    (top,), = db("SELECT MAX(seq) FROM audit_events WHERE id IN "
                 f"({','.join(map(str, ids['audit']))})")
    assert int(top) <= claims["chains"]["audit"]["head_seq"]
    assert "audit: matches the checkpoint" in \
        admin(["verify", "--checkpoint", str(path)])


# ------------------------------------------------ many writers at once

def test_two_hundred_concurrent_writers_leave_chains_that_verify(
        api, db, admin, new_agency, admin_token):
    """200 creates (audit rows) and 200 refused downloads (access-log rows)
    from 20 clients at once, the module masters sealing as they go. Pass:
    after seal, both chains verify; every row written is linked once, in
    one order with no gap."""
    s = granted(api, db, new_agency)
    tag = "C" + uuid.uuid4().hex[:6].upper()

    def write(sess, i):
        if i % 2 == 0:
            r = sess.post(api.url("agencies"), timeout=30,
                          headers={"Authorization": f"Bearer {admin_token}"},
                          json={"code": f"{tag}{i:04d}", "name": f"Writer {i}"})
            return r.status_code == 201
        r = sess.get(api.url(f"data/{s.grant['id']}/files/999999999"), timeout=30,
                     headers={"Authorization": f"Bearer {s.consumer.token}"})
        return r.status_code == 404

    results = Load(write, threads=20, n=400).start().join()
    assert results == [True] * 400
    admin(["seal"])
    out = admin(["verify"])
    assert "audit: intact" in out and "access: intact" in out, out
    audit = db("SELECT e.seq FROM audit_events e JOIN agencies a ON "
               "e.entity = 'agency' AND e.entity_id = a.id AND "
               "e.action = 'agency.create' WHERE a.code LIKE %s", (tag + "%",))
    access = db("SELECT seq FROM access_log WHERE grant_id = %s", (s.grant["id"],))
    for rows in (audit, access):
        seqs = [int(r[0]) for r in rows if r[0] is not None]
        assert len(rows) == 200 and len(set(seqs)) == 200, len(set(seqs))
