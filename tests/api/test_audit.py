"""The audit trail: every change leaves a row, rows are sealed into the
hash chain after the answer, and the modules' database account can neither
rewrite nor delete them (R10.2, R5.3)."""
import os
import subprocess
import time
import uuid


def app_sql(sql):
    """Runs SQL as the modules' own database account (ds_app)."""
    conf = dict(line.split("=", 1) for line in
                open(os.environ["DS_CONFIG"]).read().splitlines()
                if "=" in line and not line.startswith("#"))
    return subprocess.run(
        ["mariadb", "-S", conf["db_socket"], "-u", conf["db_user"],
         f"-p{conf['db_password']}", "-N", "-B", conf["db_name"], "-e", sql],
        capture_output=True, text=True, timeout=30)


def create_agency(api, token):
    r = api.post("agencies", token=token,
                 json={"code": "AU" + uuid.uuid4().hex[:8].upper(), "name": "x"})
    assert r.status_code == 201
    return r.json()["id"]


def test_rows_are_sealed_into_the_chain_after_the_answer(api, admin_token, db):
    aid = create_agency(api, admin_token)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        row = db("SELECT seq, prev_hash, hash FROM audit_events WHERE "
                 "action = 'agency.create' AND entity_id = %s", (aid,))[0]
        if row[0] is not None:
            break
        time.sleep(0.1)
    seq, prev, h = row
    assert seq is not None and len(h) == 64 and len(prev) == 64
    # linked to its predecessor in the chain
    before = db("SELECT hash FROM audit_events WHERE seq = %s", (int(seq) - 1,))
    if int(seq) > 1:
        assert before == [(prev,)]


def test_the_chain_verifies(api, admin_token, admin):
    create_agency(api, admin_token)
    admin(["seal"])
    out = admin(["verify"])
    assert "intact" in out


def test_the_app_account_cannot_rewrite_or_delete_audit_rows(api, admin_token, db):
    aid = create_agency(api, admin_token)
    rid = db("SELECT id FROM audit_events WHERE action = 'agency.create' "
             "AND entity_id = %s", (aid,))[0][0]
    upd = app_sql(f"UPDATE audit_events SET action = 'forged' WHERE id = {int(rid)}")
    assert upd.returncode != 0 and "denied" in upd.stderr.lower()
    dele = app_sql(f"DELETE FROM audit_events WHERE id = {int(rid)}")
    assert dele.returncode != 0 and "denied" in dele.stderr.lower()
    assert db("SELECT action FROM audit_events WHERE id = %s", (int(rid),)) == \
        [("agency.create",)]


def test_a_sealed_row_cannot_be_resealed_even_by_the_app(api, admin_token, admin, db):
    aid = create_agency(api, admin_token)
    admin(["seal"])
    rid = db("SELECT id FROM audit_events WHERE action = 'agency.create' "
             "AND entity_id = %s", (aid,))[0][0]
    r = app_sql(f"UPDATE audit_events SET hash = REPEAT('0', 64) WHERE id = {int(rid)}")
    assert r.returncode != 0 and "append-only" in r.stderr
