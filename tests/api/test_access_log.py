"""The access history (R5): a row for every delivery or refusal through a
grant, read by the grant's sides and DIC, exported as CSV and JSON,
append-only and hash-chained ('access' chain), verified and purged by
datashare-admin, never below 3 months."""

import csv
import io

import pytest

from sharing_setup import (Setup, access_rows, app_sql, file_request, grant_account,
                           granted, in_days, make_dataset, party, upload)


def delivered(api, db, new_agency, refusals=0):
    """A grant with one delivery (and some refusals) in its log."""
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    _, tok = grant_account(api, s)
    assert api.get(f"data/{s.grant['id']}/files/{f['id']}", token=tok).status_code == 200
    for _ in range(refusals):
        api.get(f"data/{s.grant['id']}/files/{f['id']}", token=s.provider.token)
    return s


def log_ids(api, token, **params):
    r = api.get("access-log", token=token, params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return [row["grant_id"] for row in r.json()["items"]]


def test_each_side_reads_its_own_grants_rows_and_dic_all(api, db, admin_token,
                                                          new_agency):
    a = delivered(api, db, new_agency)
    b = delivered(api, db, new_agency)
    ga, gb = a.grant["id"], b.grant["id"]
    for side in (a.provider, a.consumer):
        seen = log_ids(api, side.token)
        assert ga in seen and gb not in seen
    seen = log_ids(api, admin_token)
    assert ga in seen and gb in seen
    other = party(api, new_agency, "LO")
    assert log_ids(api, other.token, grant_id=ga) == []
    row = api.get("access-log", token=a.consumer.token,
                  params={"grant_id": ga}).json()["items"][0]
    assert row["outcome"] == "delivered" and row["sha256"] and row["bytes"] > 0
    assert row["dataset_id"] == a.dataset_id and row["file_id"]


def test_filters_by_grant_outcome_agency_and_time(api, db, admin_token, new_agency):
    s = delivered(api, db, new_agency, refusals=2)
    g = s.grant["id"]
    assert len(log_ids(api, admin_token, grant_id=g)) == 3
    assert len(log_ids(api, admin_token, grant_id=g, outcome="refused")) == 2
    assert len(log_ids(api, admin_token, grant_id=g, agency_id=s.consumer.agency_id)) == 3
    assert log_ids(api, admin_token, grant_id=g, **{"from": in_days(1)}) == []
    assert log_ids(api, admin_token, grant_id=g, to=in_days(-1)) == []
    assert len(log_ids(api, admin_token, grant_id=g, **{"from": in_days(-1),
                                                       "to": in_days(1)})) == 3
    for bad in ({"from": "yesterday"}, {"outcome": "maybe"}, {"grant_id": "x"}):
        assert api.get("access-log", token=admin_token, params=bad).status_code == 422


def consumes_too(api, db, new_agency, s):
    """A second grant, of another agency's dataset, that s.provider consumes
    (one delivery in its log)."""
    other = party(api, new_agency, "LP")
    ds = make_dataset(db, other.agency_id)
    req = file_request(api, s.provider, ds)
    r = api.post(f"sharing-requests/{req['id']}/approve", token=other.token, json={})
    assert r.status_code == 200, r.text
    s2 = Setup(other, s.provider, ds, r.json(), r.json()["grant"])
    f = upload(api, other, ds).json()
    _, tok = grant_account(api, s2)
    assert api.get(f"data/{s2.grant['id']}/files/{f['id']}", token=tok).status_code == 200
    return s2


def pages(api, token, **params):
    """Every item of a listing, one per page, following the cursors."""
    items, cursor = [], None
    while True:
        r = api.get("access-log", token=token,
                    params={"limit": 1, **params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


def test_a_side_pages_through_the_grants_it_provides_and_consumes(api, db, new_agency):
    s = delivered(api, db, new_agency, refusals=2)
    s2 = consumes_too(api, db, new_agency, s)
    me = s.provider.agency_id
    want = [int(r[0]) for r in db(
        "SELECT id FROM access_log WHERE provider_agency_id = %s "
        "OR consumer_agency_id = %s ORDER BY id DESC", (me, me))]
    assert len(want) == 4
    items = pages(api, s.provider.token)
    assert [x["id"] for x in items] == want
    assert {x["grant_id"] for x in items} == {s.grant["id"], s2.grant["id"]}
    refused = pages(api, s.provider.token, outcome="refused")
    assert [x["id"] for x in refused] == want[1:3]
    assert [x["id"] for x in pages(api, s.consumer.token)] == want[1:]
    assert [x["id"] for x in pages(api, s2.provider.token)] == want[:1]
    # Each item is its row: integers, a boolean, UTC times, nulls.
    cols = ("id", "created_at", "account_id", "agency_id", "grant_id",
            "service_id", "file_id", "request_path", "outcome", "reason",
            "http_status", "bytes", "sha256", "narrowed")
    for x in items:
        row = db(f"SELECT {', '.join(cols)} FROM access_log WHERE id = %s",
                 (x["id"],))[0]
        for name, v in zip(cols, row):
            if name == "created_at":
                assert x[name] == str(v)[:10] + "T" + str(v)[11:19] + "Z"
            elif name == "narrowed":
                assert x[name] is (str(v) == "1")
            elif v is None:
                assert x[name] is None, name
            elif name in ("request_path", "outcome", "reason", "sha256"):
                assert x[name] == str(v), name
            else:
                assert x[name] == int(v), name


def test_export_as_csv_and_json(api, db, new_agency):
    s = delivered(api, db, new_agency, refusals=1)
    g = s.grant["id"]
    r = api.get("access-log/export", token=s.provider.token,
                params={"grant_id": g, "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [t["outcome"] for t in table] == ["refused", "delivered"]
    assert table[1]["sha256"] == access_rows(db, g)[0][4]
    r = api.get("access-log/export", token=s.consumer.token,
                params={"grant_id": g, "format": "json"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(
        "application/json")
    assert [x["outcome"] for x in r.json()] == ["refused", "delivered"]
    assert api.get("access-log/export", token=s.consumer.token,
                   params={"format": "xml"}).status_code == 422


def test_the_application_cannot_edit_or_delete_the_log(api, db, new_agency):
    s = delivered(api, db, new_agency)
    rid = int(db("SELECT id FROM access_log WHERE grant_id = %s", (s.grant["id"],))[0][0])
    for sql in (f"UPDATE access_log SET bytes = 1 WHERE id = {rid}",
                f"UPDATE access_log SET outcome = 'refused' WHERE id = {rid}",
                f"DELETE FROM access_log WHERE id = {rid}",
                "DELETE FROM chain_purges",
                "UPDATE chain_heads SET anchor_seq = 0 WHERE chain = 'access'"):
        p = app_sql(sql)
        assert p.returncode != 0 and "denied" in p.stderr.lower(), (sql, p.stderr)
    assert access_rows(db, s.grant["id"])[0][0] == "delivered"


def test_a_sealed_row_cannot_be_updated_even_by_root(api, db, admin, new_agency):
    s = delivered(api, db, new_agency)
    admin(["seal"])
    with pytest.raises(AssertionError, match="append-only"):
        db("UPDATE access_log SET bytes = bytes + 1 WHERE grant_id = %s",
           (s.grant["id"],))


def test_verify_catches_a_row_edited_in_the_database(api, db, admin, new_agency):
    """An edit is a row put back with other content (root cannot UPDATE a
    sealed row: the trigger refuses). The original is restored after."""
    s = delivered(api, db, new_agency, refusals=2)
    admin(["seal"])
    assert "access: intact:" in admin(["verify"])
    victim = db("SELECT id, seq FROM access_log WHERE grant_id = %s ORDER BY seq "
                "LIMIT 1", (s.grant["id"],))[0]           # the delivery
    saved, edited = f"zz_access_saved_{victim[0]}", f"zz_access_edited_{victim[0]}"
    for table in (saved, edited):
        db(f"CREATE TABLE {table} AS SELECT * FROM access_log WHERE id = %s",
           (victim[0],))
    db(f"UPDATE {edited} SET bytes = bytes + 1")
    try:
        db(f"DELETE FROM access_log WHERE id = %s; "
           f"INSERT INTO access_log SELECT * FROM {edited}", (victim[0],))
        with pytest.raises(AssertionError, match=rf"access: the hash chain is broken: "
                           rf"row id {victim[0]} \(seq {victim[1]}\) was edited"):
            admin(["verify"])
    finally:
        db(f"DELETE FROM access_log WHERE id = %s; "
           f"INSERT INTO access_log SELECT * FROM {saved}; "
           f"DROP TABLE {saved}; DROP TABLE {edited}", (victim[0],))
    assert "access: intact:" in admin(["verify"])


def test_purge_refuses_a_retention_of_two_months(admin, monkeypatch):
    with pytest.raises(AssertionError, match="below the minimum of 92 days"):
        admin(["access-log", "purge", "--days", "60"])
    monkeypatch.setenv("DS_ACCESS_LOG_RETENTION_DAYS", "61")
    with pytest.raises(AssertionError, match="below the minimum of 92 days"):
        admin(["access-log", "purge"])


def test_purge_keeps_younger_rows_records_itself_and_verify_passes(
        api, db, admin, new_agency):
    """Starts the access chain afresh (the rows of earlier tests go: every
    test reads only its own), then lays down rows 200, 200, 10 and 200 days
    old. A purge at 92 days removes the first two only: it stops at the
    first younger row, even though an older one follows it."""
    s = granted(api, db, new_agency)
    admin(["seal"])
    db("START TRANSACTION; "
       "SELECT seq FROM chain_heads WHERE chain = 'access' FOR UPDATE; "
       "DELETE FROM access_log; DELETE FROM chain_purges WHERE chain = 'access'; "
       "UPDATE chain_heads SET seq = 0, hash = REPEAT('0', 64), anchor_seq = 0, "
       "anchor_hash = REPEAT('0', 64) WHERE chain = 'access'; COMMIT")
    ages = [200, 200, 10, 200]
    for days in ages:
        db("INSERT INTO access_log (created_at, grant_id, provider_agency_id, "
           "consumer_agency_id, dataset_id, request_path, outcome, reason, "
           "http_status) VALUES (UTC_TIMESTAMP(6) - INTERVAL %s DAY, %s, %s, %s, %s, "
           "'/api/v1/data/x', 'refused', 'test', 403)",
           (days, s.grant["id"], s.provider.agency_id, s.consumer.agency_id,
            s.dataset_id))
    admin(["seal"])
    ids = [int(r[0]) for r in db("SELECT id FROM access_log ORDER BY seq")]
    out = admin(["access-log", "purge", "--days", "92"])
    assert "purged 2 rows" in out and "up to seq 2" in out, out
    left = [int(r[0]) for r in db("SELECT id FROM access_log ORDER BY seq")]
    assert left == ids[2:]
    rec = db("SELECT from_seq, up_to_seq, rows_removed, keep_days FROM chain_purges "
             "WHERE chain = 'access'")
    assert rec == [("1", "2", "2", "92")]
    assert db("SELECT anchor_seq FROM chain_heads WHERE chain = 'access'") == [("2",)]
    assert db("SELECT COUNT(*) FROM audit_events WHERE action = 'chain.purge'") \
        != [("0",)]
    assert "access: intact: 2 rows checked" in admin(["verify"])
    assert "nothing to purge" in admin(["access-log", "purge", "--days", "92"])
    # an anchor that moves without a recorded purge is caught
    db("UPDATE chain_purges SET up_to_seq = 1 WHERE chain = 'access'")
    try:
        with pytest.raises(AssertionError, match="no recorded purge ends there"):
            admin(["verify"])
    finally:
        db("UPDATE chain_purges SET up_to_seq = 2 WHERE chain = 'access'")
    assert "access: intact:" in admin(["verify"])
