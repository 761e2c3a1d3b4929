"""Faults (issue 7, item 6), each a script with its pass criterion:
the system keeps working, loses nothing it acknowledged and half-writes
nothing when a worker is killed, the database stops or drops a
connection, the warehouse's disk fills up or nginx reloads.
docs/security.md says what each one proved."""

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import pytest
import requests

import fcgi_client
from fault_support import (MODULES, Load, ModuleMaster, RootSession,
                           busy_worker, closed_unanswered, master_and_workers,
                           nginx_cmd, wait_for_workers)
from sharing_setup import (FIELDS, Party, access_rows, file_request, granted,
                           make_dataset, request_body)
from suspension_helpers import make_grant, suspension_body, tok

WRITES = 200


# ------------------------------------------------- kill -9 of a worker

@dataclass
class Writes:
    """Creates that one module answers: POST path with body(i) under
    token; the rows land in table where scope holds, each with one audit
    row (entity, action)."""
    path: str
    token: str
    body: Callable[[int], dict]
    table: str
    scope: str
    entity: str
    action: str


def writes_for(module, api, db, new_agency, admin_token) -> Writes:
    if module == "auth":
        a = new_agency("KA")
        return Writes("accounts", admin_token,
                      lambda i: {"agency_id": a.agency_id, "name": f"kill-{i}",
                                 "roles": ["agency_officer"]},
                      "accounts", f"agency_id = {a.agency_id} AND name LIKE 'kill-%'",
                      "account", "account.create")
    if module == "catalog":
        tag = "K" + uuid.uuid4().hex[:6].upper()
        return Writes("agencies", admin_token,
                      lambda i: {"code": f"{tag}{i:03d}", "name": f"Kill {tag} {i}"},
                      "agencies", f"code LIKE '{tag}%'", "agency", "agency.create")
    if module == "sharing":
        provider, consumer = new_agency("KP"), new_agency("KC")
        dataset = make_dataset(db, provider.agency_id)
        return Writes("sharing-requests", tok(api, consumer),
                      lambda i: request_body(dataset),
                      "sharing_requests", f"consumer_agency_id = {consumer.agency_id}",
                      "sharing_request", "sharing_request.create")
    if module == "suspension":
        provider, consumer = new_agency("KP"), new_agency("KC")
        grant = make_grant(api, provider, consumer)
        body = suspension_body(db)
        return Writes(f"grants/{grant}/suspensions", tok(api, provider),
                      lambda i: body, "suspensions", f"grant_id = {grant}",
                      "suspension", "suspension.create")
    if module == "dispute":
        filer, provider = new_agency("KF"), new_agency("KR")
        return Writes("disputes", tok(api, filer),
                      lambda i: {"subject": f"Kill {i}", "description": "x",
                                 "category": "data",
                                 "agency_id": provider.agency_id},
                      "disputes", f"filer_agency_id = {filer.agency_id}",
                      "dispute", "dispute.file")
    raise ValueError(module)


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_kill_9_of_a_worker_during_writes_loses_nothing_acknowledged(
        module, api, db, admin, new_agency, admin_token):
    """Pass: every create answered 2xx is in the database with its audit
    row; no row of the run lacks its audit row (none half-written); the
    other answers are nginx's 502 for the request the dead worker held;
    the master replaces the worker; the audit chain still verifies."""
    w = writes_for(module, api, db, new_agency, admin_token)

    def create(s, i):
        r = s.post(api.url(w.path), json=w.body(i), timeout=30,
                   headers={"Authorization": f"Bearer {w.token}"})
        return r.status_code, r.json().get("id") if r.status_code == 201 else None

    _, before = master_and_workers(module)
    assert before, f"{module} has no workers"
    load = Load(create, threads=16, n=WRITES).start()
    # Three kills, a quarter of the writes apart: each catches its worker
    # in a request, or between two.
    victims = []
    for k in (1, 2, 3):
        load.wait_count(WRITES * k // 4)
        pids = wait_for_workers(module, len(before), victims)
        victims.append(busy_worker(pids))
        os.kill(victims[-1], signal.SIGKILL)
    results = load.join()
    assert len(results) == WRITES
    statuses = {s for s, _ in results}
    assert statuses <= {201, 502}, results
    acked = {i for s, i in results if s == 201}
    assert len(acked) >= WRITES - 30, results

    rows = {int(r[0]) for r in db(f"SELECT id FROM {w.table} WHERE {w.scope}")}
    assert acked <= rows, acked - rows
    assert len(rows) <= WRITES
    audited = db("SELECT entity_id, COUNT(*) FROM audit_events WHERE entity = %s "
                 "AND action = %s AND entity_id >= %s GROUP BY entity_id",
                 (w.entity, w.action, min(rows)))
    audited = {int(e): int(n) for e, n in audited}
    for rid in rows:
        assert audited.get(rid) == 1, f"{w.table} {rid}: {audited.get(rid)} audit rows"

    after = wait_for_workers(module, len(before), victims)
    assert len(after) == len(before) and not set(victims) & set(after), \
        (before, victims, after)
    admin(["seal"])
    assert "audit: intact" in admin(["verify"])


@pytest.mark.slow
def test_creates_cut_short_by_kill_9_settle_on_retry_with_their_key(
        api, db, admin_token):
    """Creates carrying an Idempotency-Key while catalog workers are
    killed; each one not answered 201 is sent again with its key and body.
    Pass: every retry settles at once: 201 (replayed, or done now because
    the first attempt committed nothing) or 409 idempotency_answer_lost
    (the first attempt committed; its answer died with the worker), never
    a key left reserved by a dead worker; and in the end each create
    happened exactly once."""
    tag = "R" + uuid.uuid4().hex[:6].upper()

    def body(i):
        return {"code": f"{tag}{i:04d}", "name": f"Retry {i}"}

    def create(s, i):
        r = s.post(api.url("agencies"), json=body(i), timeout=30,
                   headers={"Authorization": f"Bearer {admin_token}",
                            "Idempotency-Key": f"{tag}-{i}"})
        return i, r.status_code

    _, before = master_and_workers("catalog")
    load = Load(create, threads=16, n=WRITES).start()
    victims = []
    for k in (1, 2, 3):
        load.wait_count(WRITES * k // 4)
        victims.append(busy_worker(wait_for_workers("catalog", len(before), victims)))
        os.kill(victims[-1], signal.SIGKILL)
    results = load.join()
    wait_for_workers("catalog", len(before), victims)
    assert {s for _, s in results} <= {201, 502}, results
    for i, status in results:
        if status == 201:
            continue
        r = api.post("agencies", admin_token, json=body(i),
                     headers={"Idempotency-Key": f"{tag}-{i}"})
        assert r.status_code == 201 or (
            r.status_code == 409 and
            r.json()["error"]["code"] == "idempotency_answer_lost"), (i, r.text)
    made = db("SELECT code, COUNT(*) FROM agencies WHERE code LIKE %s GROUP BY code",
              (tag + "%",))
    assert len(made) == WRITES and {n for _, n in made} == {"1"}, made


# ------------------------------------------------- MariaDB stopped under load

def reads(api, token):
    """One cheap authenticated read per module (the token check itself
    reads the database in each)."""
    return ["agencies?limit=5", "auth/me", "sharing-requests?limit=5",
            "suspensions?limit=5", "disputes?limit=5"]


@pytest.mark.slow
def test_database_stopped_under_load_answers_503_quickly_then_recovers(
        api, db, admin_token, db_stop, db_start):
    """Pass: while MariaDB is down every answer is 2xx or 503
    database_unavailable, none slower than 2.5 s (no hang); some were 503;
    after it is back every request succeeds with the modules untouched;
    every create answered 201 is in the database with its audit row."""
    paths = reads(api, admin_token)
    tag = "D" + uuid.uuid4().hex[:6].upper()

    def call(s, i, tag=tag):
        t = time.monotonic()
        if i % 6 == 5:
            r = s.post(api.url("agencies"), timeout=30,
                       json={"code": f"{tag}{i:05d}", "name": f"Load {i}"},
                       headers={"Authorization": f"Bearer {admin_token}"})
        else:
            r = s.get(api.url(paths[i % 6]), timeout=30,
                      headers={"Authorization": f"Bearer {admin_token}"})
        elapsed = time.monotonic() - t
        code = r.json()["error"]["code"] if r.status_code >= 400 else None
        made = r.json()["id"] if r.status_code == 201 else None
        return r.status_code, code, elapsed, made

    masters = {m: master_and_workers(m) for m in MODULES}
    load = Load(call, threads=12).start()
    try:
        time.sleep(1)
        db_stop()
        down_from = load.count()
        time.sleep(3)
    finally:
        db_start()
    time.sleep(0.5)
    results = load.stop()
    during = results[down_from:]
    assert all(r[0] != "exception" for r in results), \
        [r for r in results if r[0] == "exception"][:5]
    bad = [r for r in results if not (200 <= r[0] < 300 or
                                      (r[0] == 503 and r[1] == "database_unavailable"))]
    assert not bad, bad[:10]
    slow = [r for r in results if r[2] >= 2.5]
    assert not slow, slow[:10]
    assert sum(1 for r in during if r[0] == 503) > 0, "the database never looked down"

    # Back: every module answers at once, reads and writes alike.
    after = "E" + uuid.uuid4().hex[:6].upper()
    for i in range(60):
        r = call(api.session, i, after)
        assert 200 <= r[0] < 300, r
    assert {m: master_and_workers(m) for m in MODULES} == masters, \
        "a module or worker was restarted"
    made = [r[3] for r in results if r[3] is not None]
    if made:
        have = db("SELECT a.id, COUNT(e.id) FROM agencies a LEFT JOIN audit_events e "
                  "ON e.entity = 'agency' AND e.entity_id = a.id AND "
                  "e.action = 'agency.create' WHERE a.code LIKE %s GROUP BY a.id",
                  (tag + "%",))
        have = {int(i): int(n) for i, n in have}
        for aid in made:
            assert have.get(aid) == 1, (aid, have.get(aid))
        assert all(n == 1 for n in have.values()), have


# ------------------------------------ a connection killed inside a transaction

def test_connection_killed_inside_a_transaction_commits_nothing(api, db, new_agency):
    """An approval runs UPDATE sharing_requests, then INSERT INTO grants,
    whose foreign key check needs a shared lock on the dataset's row. Root
    holds that row FOR UPDATE, so the module's transaction stops after its
    first write; root then KILLs the module's connection and lets go.
    Pass: the approval fails with 503, the request is still 'submitted'
    (the first write is gone), no grant, audit row or notification exists;
    the next approval succeeds on a new connection."""
    provider, consumer = new_agency("XP"), new_agency("XC")
    ptok, ctok = tok(api, provider), tok(api, consumer)
    dataset = make_dataset(db, provider.agency_id)
    req = file_request(api, Party(consumer.agency_id, consumer.account_id, ctok),
                       dataset)
    root = RootSession()
    box = {}
    try:
        root.run("START TRANSACTION")
        assert root.run(f"SELECT id FROM datasets WHERE id = {int(dataset)} "
                        "FOR UPDATE") == [(str(dataset),)]
        t = threading.Thread(target=lambda: box.setdefault("r", api.post(
            f"sharing-requests/{req['id']}/approve", ptok, json={})))
        t.start()
        victim = None
        deadline = time.monotonic() + 10
        while victim is None and time.monotonic() < deadline:
            rows = root.run("SELECT ID FROM information_schema.PROCESSLIST "
                            "WHERE USER = 'ds_app' AND INFO LIKE "
                            "'INSERT INTO grants%'")
            victim = int(rows[0][0]) if rows else None
            time.sleep(0.02)
        assert victim is not None, "the approval never reached INSERT INTO grants"
        # Mid-transaction: the first write is done, uncommitted.
        assert root.run("SELECT status FROM sharing_requests WHERE id = "
                        f"{int(req['id'])}") == [("submitted",)]
        root.run(f"KILL {victim}")
        root.run("ROLLBACK")
        t.join(30)
    finally:
        root.close()
    r = box["r"]
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "database_unavailable"
    assert db("SELECT status, decided_at FROM sharing_requests WHERE id = %s",
              (req["id"],)) == [("submitted", None)]
    assert db("SELECT id FROM grants WHERE request_id = %s", (req["id"],)) == []
    assert db("SELECT action FROM audit_events WHERE entity = 'sharing_request' "
              "AND entity_id = %s", (req["id"],)) == [("sharing_request.create",)]
    assert db("SELECT COUNT(*) FROM notifications WHERE kind = "
              "'sharing_request.approved' AND entity_id = %s", (req["id"],)) == [("0",)]
    r = api.post(f"sharing-requests/{req['id']}/approve", ptok, json={})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["grant"]["id"]


def _killed_while_waiting(root, info_like, start):
    """Starts start() in a thread, waits until the modules' connection runs
    a statement like info_like (it waits on a row root holds), KILLs that
    connection and returns the thread's answer."""
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", start()))
    t.start()
    victim = None
    deadline = time.monotonic() + 10
    while victim is None and time.monotonic() < deadline:
        rows = root.run("SELECT ID FROM information_schema.PROCESSLIST WHERE "
                        f"USER = 'ds_app' AND INFO LIKE '{info_like}'")
        victim = int(rows[0][0]) if rows else None
        time.sleep(0.02)
    assert victim is not None, f"no statement like {info_like} ever ran"
    root.run(f"KILL {victim}")
    root.run("ROLLBACK")
    t.join(30)
    return box["r"]


def test_database_lost_during_a_suspensions_grant_load_is_503(api, db, new_agency):
    """Issue 17, item 1: suspending a grant first loads it under its row
    lock. Root holds that row, KILLs the module's connection while it
    waits, and lets go. Pass: 503 database_unavailable (the error the
    grant's loader wrote, not a 500 written over it), no suspension row,
    the grant still active; the next suspension succeeds."""
    provider, consumer = new_agency("XS"), new_agency("XT")
    grant = make_grant(api, provider, consumer)
    root = RootSession()
    try:
        root.run("START TRANSACTION")
        root.run(f"SELECT id FROM grants WHERE id = {int(grant)} FOR UPDATE")
        r = _killed_while_waiting(
            root, "SELECT id, provider_agency_id%FOR UPDATE",
            lambda: api.post(f"grants/{grant}/suspensions", tok(api, provider),
                             json=suspension_body(db)))
    finally:
        root.close()
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "database_unavailable"
    assert db("SELECT COUNT(*) FROM suspensions WHERE grant_id = %s", (grant,)) == [("0",)]
    assert db("SELECT status FROM grants WHERE id = %s", (grant,)) == [("active",)]
    r = api.post(f"grants/{grant}/suspensions", tok(api, provider),
                 json=suspension_body(db))
    assert r.status_code == 201, r.text


# ----------------------------------------------- the warehouse's disk is full

def big_csv(size) -> bytes:
    """A valid data file of the sharing tests' dataset, about size bytes."""
    head = ",".join(f["name"] for f in FIELDS) + "\r\n"
    row = "H{:07d},Nguyễn Văn An,1980-01-02,12 Trần Hưng Đạo Tuy Hòa\r\n"
    n = size // len(row.format(0).encode()) + 1
    return (head + "".join(row.format(i) for i in range(n))).encode("utf-8")


class SharingMaster(ModuleMaster):
    """A second sharing master beside the stack's (fault_support's
    ModuleMaster), with one worker."""

    def __init__(self, tmp_path, overrides, preexec=None):
        super().__init__("sharing", tmp_path, overrides, preexec)

    def upload(self, token, dataset, body):
        return fcgi_client.request(
            self.sock, "POST", f"/api/v1/datasets/{dataset}/files", body,
            headers={"CONTENT_TYPE": "text/csv",
                     "HTTP_AUTHORIZATION": f"Bearer {token}"}, timeout=30)

    def download(self, token, grant, file):
        return fcgi_client.request(
            self.sock, "GET", f"/api/v1/data/{grant}/files/{file}",
            headers={"HTTP_AUTHORIZATION": f"Bearer {token}"}, timeout=30)


def assert_clean_storage_failure(db, warehouse, dataset, status, body, big):
    """A 507 with the error envelope, no part file left in the warehouse's
    tmp/, nothing under the file's content address, no row, no audit row."""
    assert status == 507, body
    err = json.loads(body)["error"]
    assert err["code"] == "insufficient_storage" and err["message"], err
    sha = hashlib.sha256(big).hexdigest()
    assert not os.path.exists(os.path.join(warehouse, sha[:2], sha))
    tmp = os.path.join(warehouse, "tmp")
    assert not os.path.isdir(tmp) or os.listdir(tmp) == [], os.listdir(tmp)
    assert db("SELECT id FROM warehouse_files WHERE dataset_id = %s", (dataset,)) == []
    assert db("SELECT COUNT(*) FROM audit_events WHERE action = "
              "'warehouse_file.upload' AND after_json LIKE %s",
              (f'%"dataset_id":{dataset},%',)) == [("0",)]


def provider_and_dataset(api, db, new_agency):
    provider = new_agency("WP")
    return tok(api, provider), make_dataset(db, provider.agency_id)


def big_upload_fails_cleanly(api, db, new_agency, master, warehouse):
    """A new provider's 2 MiB upload through master fails cleanly
    (assert_clean_storage_failure) and leaves its workers alive; returns
    the provider's token and dataset."""
    token, dataset = provider_and_dataset(api, db, new_agency)
    big = big_csv(2 << 20)
    workers = master.workers()
    status, _, body = master.upload(token, dataset, big)
    assert_clean_storage_failure(db, str(warehouse), dataset, status, body, big)
    assert master.workers() == workers, master.output()
    return token, dataset


@contextmanager
def tmpfs_warehouse(tmp_path, size="1m"):
    """A warehouse folder on a tmpfs of size mounted for the test, and
    unmounted after (skips, saying why, without root or mount)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    mnt = tmp_path / "warehouse"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0750",
                        "tmpfs", str(mnt)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        if os.path.ismount(mnt):
            subprocess.run(["umount", "-l", str(mnt)], check=False)
    assert not os.path.ismount(mnt)


def test_full_warehouse_disk_fails_the_upload_cleanly(api, db, new_agency, tmp_path):
    """The warehouse is a 1 MiB tmpfs mounted for this test (a second
    sharing master uses it); a 2 MiB upload fills it. Pass: 507
    insufficient_storage, no partial file, no row; once the part file is
    gone a small upload succeeds on the same disk and worker."""
    with tmpfs_warehouse(tmp_path) as mnt:
        master = SharingMaster(tmp_path, {"warehouse_dir": str(mnt)})
        try:
            token, dataset = big_upload_fails_cleanly(api, db, new_agency,
                                                      master, mnt)
            status, _, body = master.upload(token, dataset, big_csv(4096))
            assert status == 201, body
            sha = json.loads(body)["sha256"]
            assert os.path.exists(mnt / sha[:2] / sha)
        finally:
            master.stop()


def warehouse_files(warehouse):
    """Every file under the warehouse, as paths relative to it."""
    return sorted(os.path.relpath(os.path.join(d, f), warehouse)
                  for d, _, fs in os.walk(warehouse) for f in fs)


def test_full_warehouse_disk_fails_a_narrowed_download_cleanly(api, db, new_agency,
                                                             tmp_path):
    """A grant without ngay_sinh downloads a 640 KiB file from a 1 MiB
    warehouse: its narrowed copy (about 530 KiB) does not fit beside the
    file. Pass: 507 insufficient_storage, no part file and no derived file
    or row, the attempt logged as a refusal (R5.1: no row says delivered),
    the worker alive; once the disk has room the same download delivers
    the copy and logs it."""
    with tmpfs_warehouse(tmp_path) as mnt:
        master = SharingMaster(tmp_path, {"warehouse_dir": str(mnt)})
        try:
            s = granted(api, db, new_agency,
                        approve={"fields": ["ma_ho", "ho_ten", "dia_chi"]})
            data = big_csv(640 << 10)
            status, _, body = master.upload(s.provider.token, s.dataset_id, data)
            assert status == 201, body
            f = json.loads(body)
            stored = warehouse_files(mnt)
            assert stored == [os.path.join(f["sha256"][:2], f["sha256"])]
            workers = master.workers()
            status, hdrs, body = master.download(s.consumer.token, s.grant["id"],
                                                 f["id"])
            assert status == 507, body
            err = json.loads(body)["error"]
            assert err["code"] == "insufficient_storage", err
            assert "no room" in err["message"] and "nothing was delivered" in \
                err["message"], err
            assert "X-Accel-Redirect" not in hdrs
            assert warehouse_files(mnt) == stored      # no part, no copy
            assert db("SELECT COUNT(*) FROM warehouse_derived WHERE file_id = %s",
                      (f["id"],)) == [("0",)]
            assert access_rows(db, s.grant["id"]) == [
                ("refused", "insufficient_storage", "507", None, None,
                 str(s.consumer.account_id), "0")]
            assert master.workers() == workers, master.output()
            subprocess.run(["mount", "-o", "remount,size=4m", str(mnt)], check=True)
            status, hdrs, body = master.download(s.consumer.token, s.grant["id"],
                                                 f["id"])
            assert status == 200, body
            (sha, size), = db("SELECT sha256, bytes FROM warehouse_derived "
                              "WHERE file_id = %s", (f["id"],))
            assert hdrs["X-Accel-Redirect"] == f"/warehouse/{sha[:2]}/{sha}"
            copy = (mnt / sha[:2] / sha).read_bytes()
            assert copy.startswith(b"ma_ho,ho_ten,dia_chi\r\n")
            assert hashlib.sha256(copy).hexdigest() == sha and len(copy) == int(size)
            assert os.listdir(mnt / "tmp") == []
            assert access_rows(db, s.grant["id"])[1:] == [
                ("delivered", None, "200", size, sha,
                 str(s.consumer.account_id), "1")]
        finally:
            master.stop()


def test_file_size_limit_fails_the_upload_cleanly(api, db, new_agency, tmp_path):
    """The second sharing master runs under a 1 MiB file-size limit
    (RLIMIT_FSIZE): writing past it fails with EFBIG, and by default kills
    the process with SIGXFSZ. Pass: 507 insufficient_storage, the worker
    still alive, no partial file, no row."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    master = SharingMaster(tmp_path, {"warehouse_dir": str(warehouse)}, limit)
    try:
        big_upload_fails_cleanly(api, db, new_agency, master, warehouse)
    finally:
        master.stop()


# ------------------------------------------------ wait_timeout and idle time

def ds_app_connections(db, idle_for=0):
    """The modules' connections, those idle at least idle_for seconds."""
    return [int(r[0]) for r in db("SELECT ID FROM information_schema.PROCESSLIST "
                                  "WHERE USER = 'ds_app' AND TIME >= %s", (idle_for,))]


def kill_ds_app_connections(db):
    for cid in ds_app_connections(db):
        try:
            db("KILL %s", (cid,))
        except AssertionError:
            pass        # gone meanwhile


def every_module_answers(api, admin_token, tag, rounds=8):
    """rounds of one read per module and one create; all must be 2xx.
    Two workers per module: eight rounds reach each one almost surely."""
    codes = []
    for i in range(rounds):
        for p in reads(api, admin_token):
            codes.append((p, api.get(p, admin_token).status_code))
        r = api.post("agencies", admin_token,
                     json={"code": f"{tag}{i:03d}", "name": f"Idle {i}"})
        codes.append(("POST agencies", r.status_code))
    return [c for c in codes if not 200 <= c[1] < 300]


@pytest.mark.slow
def test_connections_closed_by_wait_timeout_are_made_again(api, db, admin_token):
    """The server's wait_timeout is set to 5 s; the modules' connections
    are dropped so that they reconnect under it; after 10 s idle the
    server has closed every one of them. Pass: the next requests, reads
    and writes in every module, all succeed (each worker notices the dead
    connection, connects again and prepares its statements again)."""
    tag = "W" + uuid.uuid4().hex[:6].upper()
    (old,) = db("SELECT @@GLOBAL.wait_timeout")[0]
    try:
        db("SET GLOBAL wait_timeout = 5")
        kill_ds_app_connections(db)
        assert every_module_answers(api, admin_token, tag + "A") == []
        assert ds_app_connections(db), "no module connection to time out"
        time.sleep(10)
        # The masters' own connections stay busy sealing the chains every
        # seal_interval_ms; every connection idle past the limit is gone.
        assert ds_app_connections(db, idle_for=6) == [], \
            "the server kept idle connections"
        assert every_module_answers(api, admin_token, tag + "B") == []
    finally:
        db("SET GLOBAL wait_timeout = %s", (int(old),))
        # Later tests get connections with the usual timeout.
        kill_ds_app_connections(db)
    assert every_module_answers(api, admin_token, tag + "C", rounds=2) == []


# ------------------------------------------------------- nginx reload under load

@pytest.mark.slow
def test_nginx_reload_under_load_fails_no_request(api, db, admin_token):
    """Pass: three `nginx -s reload` during a steady load of reads and
    creates from 8 clients on keep-alive connections: every request is
    answered 2xx. A client, as HTTP allows, sends a request again once when
    a keep-alive connection was closed under it without an answer: reads,
    and creates that carry an Idempotency-Key, which then exist once."""
    paths = reads(api, admin_token)
    tag = "N" + uuid.uuid4().hex[:6].upper()

    def call(s, i):
        h = {"Authorization": f"Bearer {admin_token}"}
        retried = 0
        reused = getattr(s, "used", False)
        s.used = True
        for attempt in (1, 2):
            try:
                if i % 6 == 5:
                    h["Idempotency-Key"] = f"{tag}-{i}"
                    r = s.post(api.url("agencies"), headers=h, timeout=30,
                               json={"code": f"{tag}{i:04d}", "name": f"Reload {i}"})
                else:
                    r = s.get(api.url(paths[i % 6]), headers=h, timeout=30)
                return r.status_code, retried, r.text[:200]
            except requests.ConnectionError as e:
                if attempt == 2 or not reused or not closed_unanswered(e):
                    raise
                retried = 1

    load = Load(call, threads=8).start()
    try:
        for _ in range(3):
            time.sleep(1)
            p = nginx_cmd("-s", "reload")
            assert p.returncode == 0, p.stderr
        time.sleep(1)
    finally:
        results = load.stop()
    assert len(results) > 100
    failed = [r for r in results if r[0] == "exception" or not 200 <= r[0] < 300]
    assert not failed, (len(failed), failed[:5])
    assert sum(r[1] for r in results) <= 10, "too many connections closed unanswered"
    creates = sum(1 for i in range(len(results)) if i % 6 == 5)
    made = db("SELECT code FROM agencies WHERE code LIKE %s", (tag + "%",))
    assert len(made) == len({c for (c,) in made}) == creates
