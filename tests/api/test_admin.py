"""datashare-admin against the running stack (modules/admin/).

The CLI runs with the stack's config through the `admin` fixture; `db` reads
(and, in the last test, tampers with) the database as MariaDB's root.

Nothing here changes what other tests rely on: migrations are only ever
refused (an edited copy of sql/ is used, never the real one), keys go to a
temporary folder, and agencies and accounts are fresh ones. The one test that
breaks the audit chain runs last in this file, and puts the deleted row back
exactly as it was before it ends (see its docstring).
"""

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import uuid

import pytest

RUN = uuid.uuid4().hex[:6].upper()
_seq = iter(range(1, 1000))


def fresh_code(prefix: str) -> str:
    return f"{prefix}{RUN}{next(_seq):03d}"


def one_json_line(out: str) -> dict:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {out!r}"
    return json.loads(lines[0])


def create_agency(admin, prefix="ADM", *extra) -> int:
    out = admin(["agency", "create", "--code", fresh_code(prefix),
                 "--name", f"Agency {prefix}", *extra])
    assert re.fullmatch(r"\d+\n", out), f"not an id alone: {out!r}"
    return int(out)


def create_account(admin, agency_id: int, roles="agency_officer") -> dict:
    return one_json_line(admin(["account", "create", "--agency", agency_id,
                                "--name", f"acct {RUN}", "--roles", roles]))


def jwt_part(token: str, i: int) -> dict:
    part = token.split(".")[i]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def source_sql_dir() -> str:
    src = os.environ.get("DS_SRC") or os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(src, "sql")


def schema_migrations(db) -> list:
    return db("SELECT version, name, checksum, applied_at FROM schema_migrations "
              "ORDER BY version")


# ----------------------------------------------------------------- migrate

def test_migrate_twice_is_a_noop(admin, db):
    before = schema_migrations(db)
    assert "nothing to apply" in admin(["migrate"])
    assert "nothing to apply" in admin(["migrate"])
    assert schema_migrations(db) == before


def test_migrate_status_lists_0001_as_applied(admin):
    lines = admin(["migrate", "--status"]).splitlines()
    first = lines[0].split("\t")
    assert first[0] == "0001" and first[1] == "foundation", lines
    assert re.fullmatch(r"applied \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first[2])
    assert all(line.split("\t")[2].startswith("applied") for line in lines)


def test_migrate_refuses_an_edited_applied_migration(admin, db, tmp_path,
                                                     monkeypatch):
    sql = tmp_path / "sql"
    shutil.copytree(source_sql_dir(), sql)
    with open(sql / "0001_foundation.sql", "a", encoding="utf-8") as f:
        f.write("\n-- an edit after the fact\n")
    monkeypatch.setenv("DS_SQL_DIR", str(sql))
    before = schema_migrations(db)

    with pytest.raises(AssertionError, match=r"exited 1: .*0001_foundation\.sql "
                       r"was changed after it was applied"):
        admin(["migrate"])
    with pytest.raises(AssertionError, match="exited 1"):
        admin(["migrate", "--status"])
    status = admin(["migrate", "--status"], check=False)
    assert re.search(r"^0001\tfoundation\tCHANGED", status, re.M), status
    assert schema_migrations(db) == before


def test_migrate_refuses_a_misnamed_migration_file(admin, db, tmp_path,
                                                   monkeypatch):
    sql = tmp_path / "sql"
    shutil.copytree(source_sql_dir(), sql)
    (sql / "2_oops.sql").write_text("SELECT 1;\n")
    monkeypatch.setenv("DS_SQL_DIR", str(sql))
    before = schema_migrations(db)
    with pytest.raises(AssertionError, match=r"2_oops\.sql: not named NNNN_name\.sql"):
        admin(["migrate"])
    assert schema_migrations(db) == before


# -------------------------------------------------------------------- help

@pytest.mark.parametrize("cmd", [
    ["migrate"], ["keys", "generate"], ["agency", "create"], ["agency", "list"],
    ["account", "create"], ["account", "disable"], ["account", "list"],
    ["token", "issue"], ["seal"], ["verify"],
])
def test_every_command_answers_help(admin, cmd):
    out = admin([*cmd, "--help"])
    assert out.startswith("usage: datashare-admin --config FILE " + " ".join(cmd))


def test_unknown_command_and_option_fail_with_a_message(admin):
    with pytest.raises(AssertionError, match="unknown command 'frobnicate'"):
        admin(["frobnicate"])
    with pytest.raises(AssertionError, match="unknown option '--colour'"):
        admin(["agency", "list", "--colour"])


# -------------------------------------------------------------------- keys

def test_keys_generate_writes_a_matching_key_pair(admin, tmp_path, monkeypatch):
    keys = tmp_path / "keys"
    monkeypatch.setenv("DS_JWT_KEYS_DIR", str(keys))
    kid = admin(["keys", "generate"]).strip()
    assert re.fullmatch(r"k\d{8}-\d{6}-[0-9a-f]{6}", kid), kid

    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o700
    priv, pub = keys / f"{kid}.pem", keys / f"{kid}.pub.pem"
    assert stat.S_IMODE(os.stat(priv).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(pub).st_mode) == 0o644
    assert priv.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    derived = subprocess.run(["openssl", "pkey", "-in", str(priv), "-pubout"],
                             capture_output=True, text=True, check=True).stdout
    assert derived == pub.read_text()
    text = subprocess.run(["openssl", "pkey", "-in", str(priv), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "2048 bit" in text


def test_keys_generate_never_replaces_a_key(admin, tmp_path, monkeypatch):
    monkeypatch.setenv("DS_JWT_KEYS_DIR", str(tmp_path))
    assert admin(["keys", "generate", "--kid", "k-fixed"]).strip() == "k-fixed"
    first = (tmp_path / "k-fixed.pem").read_bytes()
    with pytest.raises(AssertionError, match="a key k-fixed exists"):
        admin(["keys", "generate", "--kid", "k-fixed"])
    assert (tmp_path / "k-fixed.pem").read_bytes() == first
    with pytest.raises(AssertionError, match="--kid"):
        admin(["keys", "generate", "--kid", "../escape"])
    assert not (tmp_path.parent / "escape.pem").exists()


# ---------------------------------------------------------------- agencies

def test_agency_create_prints_the_id_and_writes_an_audit_row(admin, db):
    code = fresh_code("AC")
    out = admin(["agency", "create", "--code", code, "--name", "Sở Y tế",
                 "--name-en", "Department of Health", "--level", "province"])
    agency_id = int(out)
    assert db("SELECT code, name, name_en, level, is_dic FROM agencies "
              "WHERE id = %s", (agency_id,)) == \
        [(code, "Sở Y tế", "Department of Health", "province", "0")]
    audit = db("SELECT actor_account_id, after_json FROM audit_events "
               "WHERE action = 'agency.create' AND entity_id = %s", (agency_id,))
    assert len(audit) == 1
    assert audit[0][0] is None  # the system did it
    assert json.loads(audit[0][1])["code"] == code
    assert f"{agency_id}\t{code}\tSở Y tế\t0" in admin(["agency", "list"]).splitlines()


def test_agency_create_refuses_bad_input_and_writes_nothing(admin, db):
    parent = create_agency(admin, "PAR")
    code = db("SELECT code FROM agencies WHERE id = %s", (parent,))[0][0]
    count = db("SELECT COUNT(*) FROM agencies")
    for args, message in [
        (["--code", "has space", "--name", "x"], "--code"),
        (["--code", "X" * 33, "--name", "x"], "--code"),
        (["--code", fresh_code("B"), "--name", "a\tb"], "control characters"),
        (["--code", fresh_code("B"), "--name", "x", "--level", "planet"], "--level"),
        (["--code", fresh_code("B"), "--name", "x", "--parent", "0"], "--parent"),
        (["--code", fresh_code("B"), "--name", "x", "--parent", "999999999"],
         "no agency has id 999999999"),
        (["--code", code, "--name", "again"], f"code {code} exists"),
        (["--name", "no code"], "--code is required"),
    ]:
        with pytest.raises(AssertionError, match=re.escape(message)):
            admin(["agency", "create", *args])
    assert db("SELECT COUNT(*) FROM agencies") == count


def test_a_second_dic_is_refused(admin):
    with pytest.raises(AssertionError, match="is the DIC already"):
        admin(["agency", "create", "--code", fresh_code("DIC"), "--name", "x",
               "--dic"])


# ---------------------------------------------------------------- accounts

def test_account_create_prints_a_working_secret(admin, db, api):
    agency_id = create_agency(admin)
    acc = create_account(admin, agency_id, "agency_officer,focal_point")
    assert set(acc) == {"id", "client_id", "client_secret"}
    assert re.fullmatch(r"ds-[A-Za-z0-9_-]{16}", acc["client_id"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", acc["client_secret"])

    (row,) = db("SELECT agency_id, client_id, secret_hash, roles, status "
                "FROM accounts WHERE id = %s", (acc["id"],))
    assert row[0] == str(agency_id) and row[1] == acc["client_id"]
    assert row[2].startswith("$argon2id$") and acc["client_secret"] not in row[2]
    assert row[3] == str(4 | 8) and row[4] == "active"
    # The secret is shown once and stored nowhere, audit trail included.
    audit = db("SELECT after_json FROM audit_events WHERE action = "
               "'account.create' AND entity_id = %s", (acc["id"],))
    assert len(audit) == 1
    assert acc["client_secret"] not in audit[0][0] and "$argon2id$" not in audit[0][0]
    assert json.loads(audit[0][0])["roles"] == ["agency_officer", "focal_point"]

    r = api.token_response(acc["client_id"], acc["client_secret"])
    if r.status_code == 404:
        pytest.skip("POST /api/v1/auth/token is not served yet")
    assert r.status_code == 200, r.text
    secret = acc["client_secret"]
    wrong = ("y" if secret[0] == "x" else "x") + secret[1:]
    assert api.token_response(acc["client_id"], wrong).status_code == 401


def test_account_create_refuses_unknown_roles_and_agencies(admin, db):
    agency_id = create_agency(admin)
    count = db("SELECT COUNT(*) FROM accounts")
    for args, message in [
        (["--agency", agency_id, "--name", "x", "--roles", "root"], "unknown role 'root'"),
        (["--agency", agency_id, "--name", "x", "--roles", "auditor,"], "--roles"),
        (["--agency", "999999999", "--name", "x", "--roles", "auditor"],
         "no agency has id 999999999"),
        (["--agency", agency_id, "--name", "x", "--roles", "auditor", "--grant", "1"],
         "--grant is for accounts with the role system"),
    ]:
        with pytest.raises(AssertionError, match=re.escape(message)):
            admin(["account", "create", *map(str, args)])
    assert db("SELECT COUNT(*) FROM accounts") == count


def test_account_disable_stops_the_account(admin, db, api):
    agency_id = create_agency(admin)
    acc = create_account(admin, agency_id)
    assert admin(["account", "disable", acc["id"]]).strip() == \
        f"account {acc['id']} disabled"
    assert db("SELECT status FROM accounts WHERE id = %s", (acc["id"],)) == \
        [("disabled",)]
    audit = db("SELECT before_json, after_json FROM audit_events WHERE action = "
               "'account.disable' AND entity_id = %s", (acc["id"],))
    assert [(json.loads(b)["status"], json.loads(a)["status"]) for b, a in audit] \
        == [("active", "disabled")]
    with pytest.raises(AssertionError, match="is disabled, not active"):
        admin(["account", "disable", acc["id"]])
    with pytest.raises(AssertionError, match="is disabled, not active"):
        admin(["token", "issue", "--account", acc["id"]])
    r = api.token_response(acc["client_id"], acc["client_secret"])
    if r.status_code != 404:
        assert r.status_code == 401, r.text


def test_account_list_filters_by_agency(admin):
    agency_id = create_agency(admin)
    acc = create_account(admin, agency_id, "auditor")
    lines = admin(["account", "list", "--agency", agency_id]).splitlines()
    assert lines == [f"{acc['id']}\t{agency_id}\t{acc['client_id']}\tacct {RUN}"
                     f"\tauditor\tactive"]
    assert lines[0] in admin(["account", "list"]).splitlines()


# ------------------------------------------------------------------ tokens

def test_token_issue_gives_a_token_the_api_accepts(admin, api):
    agency_id = create_agency(admin)
    acc = create_account(admin, agency_id, "agency_officer,auditor")
    token = admin(["token", "issue", "--account", acc["id"], "--ttl", "300"]).strip()

    header, claims = jwt_part(token, 0), jwt_part(token, 1)
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["sub"] == str(acc["id"]) and isinstance(claims["sub"], str)
    assert claims["agency"] == agency_id
    assert claims["roles"] == ["agency_officer", "auditor"]
    assert claims["exp"] - claims["iat"] == 300 and claims["nbf"] == claims["iat"]
    assert claims["iss"] and claims["jti"]

    r = api.get("auth/me", token=token)
    if r.status_code == 404:
        pytest.skip("GET /api/v1/auth/me is not served yet")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == acc["id"] and r.json()["agency_id"] == agency_id


def test_token_issue_refuses_unknown_accounts_and_bad_ttls(admin):
    with pytest.raises(AssertionError, match="no account has id 999999999"):
        admin(["token", "issue", "--account", "999999999"])
    for ttl in ("0", "86401", "12abc"):
        with pytest.raises(AssertionError, match="--ttl"):
            admin(["token", "issue", "--account", "1", "--ttl", ttl])


# ------------------------------------------------------------ audit chain

def test_seal_then_verify_passes_on_a_fresh_stack(admin):
    create_agency(admin)  # at least one row to link
    out = admin(["seal"])
    assert re.fullmatch(r"audit: linked \d+ rows?\naccess: linked \d+ rows?\n",
                        out), out
    out = admin(["verify"])
    m = re.match(r"audit: intact: (\d+) rows checked, head seq (\d+) hash "
                 r"([0-9a-f]{64}), (\d+) unsealed\naccess: intact: ", out)
    assert m, out
    assert int(m.group(1)) >= 1 and int(m.group(2)) >= int(m.group(1))


def test_zz_verify_exits_1_after_a_sealed_row_is_deleted_as_root(admin, db):
    """Runs last in this file: it breaks the audit chain on purpose.

    A sealed row cannot be changed (the trigger refuses UPDATE, even for
    root) but root can DELETE one. verify must then name the gap and exit 1.
    The row is copied aside first and put back byte for byte afterwards
    (INSERT is allowed), so the chain is whole again for the tests that run
    after this file; the final verify proves it.
    """
    first, second = create_agency(admin, "ZZA"), create_agency(admin, "ZZB")
    admin(["seal"])
    rows = db("SELECT id, seq FROM audit_events WHERE action = 'agency.create' "
              "AND entity_id IN (%s, %s) ORDER BY seq", (first, second))
    assert len(rows) == 2 and all(seq is not None for _, seq in rows), rows
    victim, seq = int(rows[0][0]), rows[0][1]  # not the head: a gap inside
    saved = f"zz_audit_saved_{RUN.lower()}"

    db(f"CREATE TABLE {saved} AS SELECT * FROM audit_events WHERE id = %s", (victim,))
    try:
        db("DELETE FROM audit_events WHERE id = %s", (victim,))
        with pytest.raises(AssertionError, match=r"exited 1: .*audit: the hash "
                           rf"chain is broken: row seq {seq} is missing"):
            admin(["verify"])
    finally:
        db(f"INSERT INTO audit_events SELECT * FROM {saved}")
        db(f"DROP TABLE {saved}")
    assert admin(["verify"]).startswith("audit: intact:")
