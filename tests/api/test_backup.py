"""Backup and restore, as docs/security.md tells an operator to do them: a
checkpoint, a mariadb-dump as the owner account and the role's grants,
then, on an empty second MariaDB server that this test starts, the
accounts as `./stack` makes them, the dump, the grants, `migrate
--status` and `verify --checkpoint`. The restored database must verify
against the checkpoint taken with the backup, hold the same rows, and
keep itself: its triggers and procedures run for the modules' account
with the grants that came back."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from catalog_helpers import actor, published_dataset  # noqa: F401
from fault_support import stop_process


def conf_value(path, key):
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k.strip() == key:
                return v.strip()
    raise KeyError(key)


def run(args, stdin=None, password=None, **kw):
    env = dict(os.environ)
    if password is not None:
        env["MYSQL_PWD"] = password
    p = subprocess.run(args, input=stdin, capture_output=True, text=True,
                       env=env, timeout=120, **kw)
    assert p.returncode == 0, f"{args[0]} exited {p.returncode}: {p.stderr}"
    return p.stdout


class Server:
    """A private MariaDB on a unix socket only (no TCP at all), in a
    folder of its own, ended by the PID this test started."""

    def __init__(self, folder, collation):
        self.folder = folder
        self.sock = os.path.join(folder, "mysqld.sock")
        self.cnf = os.path.join(folder, "my.cnf")
        os.makedirs(os.path.join(folder, "tmp"))
        with open(self.cnf, "w") as f:
            f.write(f"[mariadbd]\ndatadir={folder}/data\nsocket={self.sock}\n"
                    f"tmpdir={folder}/tmp\npid-file={folder}/mysqld.pid\n"
                    f"log-error={folder}/mysqld.log\nskip-networking\n"
                    f"user={subprocess.check_output(['id', '-un'], text=True).strip()}\n"
                    f"character-set-server=utf8mb4\n"
                    f"collation-server={collation}\n"
                    f"innodb_buffer_pool_size=64M\n"
                    f"[client]\nsocket={self.sock}\n"
                    f"default-character-set=utf8mb4\n")
        self.proc = None

    def start(self):
        folder = self.folder
        run(["mariadb-install-db", f"--defaults-file={self.cnf}",
             "--auth-root-authentication-method=socket", "--skip-test-db"])
        self.proc = subprocess.Popen(
            ["mariadbd", f"--defaults-file={self.cnf}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(300):
            if subprocess.run(["mariadb-admin", f"--defaults-file={self.cnf}",
                               "--connect-timeout=2", "ping"],
                              capture_output=True).returncode == 0:
                return
            assert self.proc.poll() is None, open(f"{folder}/mysqld.log").read()
            time.sleep(0.1)
        raise AssertionError("the restore server did not start")

    def root(self, sql):
        return run(["mariadb", f"--defaults-file={self.cnf}", "-N", "-B",
                    "datashare", "-e", sql])

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc, timeout=60)


@pytest.fixture
def restore_server():
    folder = tempfile.mkdtemp(prefix="datashare-restore-")
    sock = os.path.join(os.environ["STACK_VAR"], "run", "mysqld.sock")
    collation = run(["mariadb", "-S", sock, "-N", "-B", "-e",
                     "SELECT @@collation_server"]).strip()
    server = Server(folder, collation)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_backup_restores_into_an_empty_server_and_verifies(
        api, db, admin, actor, restore_server):  # noqa: F811
    conf = os.environ["DS_CONFIG"]
    live = os.path.join(os.environ["STACK_VAR"], "run", "mysqld.sock")
    owner, owner_pw = (conf_value(conf, "db_owner_user"),
                       conf_value(conf, "db_owner_password"))
    app, app_pw = conf_value(conf, "db_user"), conf_value(conf, "db_password")
    work = restore_server.folder

    # State worth restoring: an open dataset with a service (the triggers'
    # JSON and copies) and its audit rows.
    a = actor("BK")
    ds = published_dataset(api, a.token, "open")
    svc = api.post("services", a.token, json={
        "dataset_id": ds["id"], "name": "Tải về", "protocol": "file",
        "endpoint": "https://data.example.vn/a.csv", "version": "1"})
    assert svc.status_code == 201, svc.text
    svc = svc.json()

    # Backup, in the documented order.
    checkpoint = os.path.join(work, "checkpoint.jws")
    admin(["checkpoint", "--out", checkpoint])
    dump = run(["mariadb-dump", "-S", live, "-u", owner, "--single-transaction",
                "--routines", "--triggers", "--hex-blob", "datashare"],
               password=owner_pw)
    grants = run(["mariadb", "-S", live, "-N", "-B", "-e",
                  "SHOW GRANTS FOR datashare_app"])
    # the owner's triggers and routines come with it (--routines, --triggers)
    for made in ("DEFINER=`ds_owner`@`localhost`*/ /*!50003 TRIGGER "
                 "datasets_owner_insert",
                 "DEFINER=`ds_owner`@`localhost`*/ /*!50003 TRIGGER "
                 "services_open_insert",
                 "DEFINER=`ds_owner`@`localhost` PROCEDURE "
                 "`dataset_services_refresh`"):
        assert made in dump, made

    # Restore: the accounts as ./stack's db_setup makes them, the dump as
    # the owner, the grants as root.
    r = restore_server
    run(["mariadb", f"--defaults-file={r.cnf}"], stdin=f"""
CREATE DATABASE datashare CHARACTER SET utf8mb4;
CREATE ROLE datashare_app;
CREATE USER '{owner}'@'localhost' IDENTIFIED BY '{owner_pw}';
GRANT ALL PRIVILEGES ON datashare.* TO '{owner}'@'localhost' WITH GRANT OPTION;
CREATE USER '{app}'@'localhost' IDENTIFIED BY '{app_pw}';
GRANT datashare_app TO '{app}'@'localhost';
SET DEFAULT ROLE datashare_app FOR '{app}'@'localhost';
""")
    run(["mariadb", "-S", r.sock, "-u", owner, "datashare"], stdin=dump,
        password=owner_pw)
    run(["mariadb", f"--defaults-file={r.cnf}"],
        stdin="".join(line + ";\n" for line in grants.splitlines()))

    # The admin CLI on the restored server: every migration applied and
    # unchanged, both chains intact up to the checkpoint's heads.
    restored_conf = os.path.join(work, "datashare.conf")
    with open(conf, encoding="utf-8") as f:
        text = f.read()
    with open(restored_conf, "w", encoding="utf-8") as f:
        f.write(re.sub(r"(?m)^db_socket=.*$", f"db_socket={r.sock}", text))
    status = run([os.environ["DS_ADMIN"], "--config", restored_conf,
                  "migrate", "--status"])
    assert "pending" not in status and "changed" not in status, status
    verified = run([os.environ["DS_ADMIN"], "--config", restored_conf,
                    "verify", "--checkpoint", checkpoint])
    assert verified.count("intact") == 2, verified

    # The dataset's row as the live database has it (the triggers' copies
    # and JSON included), and every trigger and routine.
    row = ("SELECT SHA2(CONCAT_WS('|', id, title, owner_agency_id, "
           "owner_agency_name, owner_db_status, services_json), 256) "
           f"FROM datasets WHERE id = {int(ds['id'])}")
    assert r.root(row).strip() == db(row)[0][0]
    for names in ("SELECT GROUP_CONCAT(trigger_name ORDER BY trigger_name) "
                  "FROM information_schema.triggers "
                  "WHERE trigger_schema = 'datashare'",
                  "SELECT GROUP_CONCAT(routine_name ORDER BY routine_name) "
                  "FROM information_schema.routines "
                  "WHERE routine_schema = 'datashare'"):
        assert r.root(names).strip() == db(names)[0][0]

    # The restored triggers run for the modules' account, with the grants
    # that came back: a service renamed shows in the dataset's JSON.
    run(["mariadb", "-S", r.sock, "-u", app, "datashare", "-e",
         f"UPDATE services SET name = 'Đổi tên' WHERE id = {int(svc['id'])}"],
        password=app_pw)
    assert "Đổi tên" in r.root(
        f"SELECT services_json FROM datasets WHERE id = {int(ds['id'])}")

    # The check is real: the restored trail one row short fails it.
    r.root("DELETE FROM audit_events ORDER BY seq DESC LIMIT 1")
    p = subprocess.run([os.environ["DS_ADMIN"], "--config", restored_conf,
                        "verify", "--checkpoint", checkpoint],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0, p.stdout
    assert "audit" in p.stdout + p.stderr
