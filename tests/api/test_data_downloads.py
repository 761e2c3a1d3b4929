"""Data delivery through a grant (R4, R5.1): the module checks token, grant
state and term, writes the access-log row, then nginx sends the file
(X-Accel-Redirect). Fields not granted are not delivered. Open data needs
no token; its downloads are counted in memory and written by the sharing
master every seal_interval_ms (docs/catalog.md), so tests wait for them."""

import csv
import io
import json
import time

from race_support import concurrent_gets
from sharing_setup import (CSV, JSON_DATA, NAMES, access_rows, grant_account,
                           granted, make_dataset, party, sha256, upload)


def downloads_reach(db, ds, want, seconds=3.0):
    """The dataset's downloads once they equal want, or after seconds."""
    end = time.monotonic() + seconds
    while True:
        got = int(db("SELECT downloads FROM datasets WHERE id = %s", (ds,))[0][0])
        if got == want or time.monotonic() > end:
            return got
        time.sleep(0.05)


def download(api, s, file_id, token):
    return api.get(f"data/{s.grant['id']}/files/{file_id}", token=token)


def test_full_path_request_approve_account_token_download(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    acc, tok = grant_account(api, s)
    r = download(api, s, f["id"], tok)
    assert r.status_code == 200, r.text
    assert r.content == CSV
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "X-Accel-Redirect" not in r.headers
    assert "attachment" in r.headers.get("Content-Disposition", "")
    rows = access_rows(db, s.grant["id"])
    assert rows == [("delivered", None, "200", str(len(r.content)),
                     sha256(r.content), str(acc["id"]), "0")]
    # the answer names the request id that the access-log row records
    assert db("SELECT request_id FROM access_log WHERE grant_id = %s",
              (s.grant["id"],)) == [(r.headers["X-Request-Id"],)]
    # the consumer agency's officers may fetch it too, and each time is logged
    r2 = download(api, s, f["id"], s.consumer.token)
    assert r2.status_code == 200 and r2.content == CSV
    assert len(access_rows(db, s.grant["id"])) == 2


def test_fields_not_granted_are_absent_from_the_csv_delivered(api, db, new_agency):
    s = granted(api, db, new_agency, approve={"fields": ["ma_ho", "dia_chi"]})
    f = upload(api, s.provider, s.dataset_id).json()
    _, tok = grant_account(api, s)
    r = download(api, s, f["id"], tok)
    assert r.status_code == 200, r.text
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8"))))
    assert table == [["ma_ho", "dia_chi"], ["H001", "12 Trần Hưng Đạo, Tuy Hòa"],
                     ["H002", "Sông Cầu"]]
    assert "Nguyễn" not in r.text and "1980" not in r.text
    rows = access_rows(db, s.grant["id"])
    assert rows[-1][3:5] == (str(len(r.content)), sha256(r.content))
    assert rows[-1][6] == "1"
    # made once, then served from the cache: same bytes, one derived row
    again = download(api, s, f["id"], tok)
    assert again.content == r.content
    assert db("SELECT COUNT(*), MIN(sha256) FROM warehouse_derived WHERE file_id = %s",
              (f["id"],)) == [("1", sha256(r.content))]


def test_fields_not_granted_are_absent_from_the_json_delivered(api, db, new_agency):
    s = granted(api, db, new_agency, approve={"fields": ["ma_ho", "ngay_sinh"]})
    f = upload(api, s.provider, s.dataset_id, data=JSON_DATA,
               ctype="application/json").json()
    r = download(api, s, f["id"], s.consumer.token)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert json.loads(r.content) == [{"ma_ho": "H001", "ngay_sinh": "1980-01-02"},
                                     {"ma_ho": "H002", "ngay_sinh": "1992-11-30"}]
    assert access_rows(db, s.grant["id"])[-1][4] == sha256(r.content)


def refused(db, s, reason, status):
    row = access_rows(db, s.grant["id"])[-1]
    assert row[0:3] == ("refused", reason, str(status)), row
    assert row[3] is None and row[4] is None


def test_expired_grant_is_refused_and_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    _, tok = grant_account(api, s)
    db("UPDATE grants SET ends_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
       "WHERE id = %s", (s.grant["id"],))
    r = download(api, s, f["id"], tok)
    assert r.status_code == 403 and r.json()["error"]["code"] == "grant_expired"
    refused(db, s, "grant_expired", 403)


def test_suspended_and_terminated_grants_are_refused_and_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    for status in ("suspended", "terminated"):
        db("UPDATE grants SET status = %s WHERE id = %s", (status, s.grant["id"]))
        r = download(api, s, f["id"], s.consumer.token)
        assert r.status_code == 403 and r.json()["error"]["code"] == f"grant_{status}"
        refused(db, s, f"grant_{status}", 403)


def test_grant_not_begun_is_refused_and_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    db("UPDATE grants SET starts_at = UTC_TIMESTAMP(6) + INTERVAL 1 DAY "
       "WHERE id = %s", (s.grant["id"],))
    r = download(api, s, f["id"], s.consumer.token)
    assert r.status_code == 403 and r.json()["error"]["code"] == "grant_not_started"
    refused(db, s, "grant_not_started", 403)


def test_withdrawn_dataset_is_refused_and_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    db("UPDATE datasets SET status = 'withdrawn' WHERE id = %s", (s.dataset_id,))
    r = download(api, s, f["id"], s.consumer.token)
    assert r.status_code == 403 and r.json()["error"]["code"] == "dataset_withdrawn"
    refused(db, s, "dataset_withdrawn", 403)


def test_revoked_account_is_refused_401_and_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    acc, tok = grant_account(api, s)
    assert download(api, s, f["id"], tok).status_code == 200
    api.post(f"grants/{s.grant['id']}/accounts/{acc['id']}/revoke",
             token=s.provider.token)
    r = download(api, s, f["id"], tok)
    assert r.status_code == 401
    refused(db, s, "account_not_active", 401)
    assert access_rows(db, s.grant["id"])[-1][5] == str(acc["id"])


def test_refused_and_withdrawn_requests_make_no_grant(api, db, new_agency):
    provider = party(api, new_agency, "DP")
    consumer = party(api, new_agency, "DC")
    ds = make_dataset(db, provider.agency_id)
    body = {"dataset_id": ds, "purpose": "p", "legal_basis": "l",
            "fields": ["ma_ho"], "term": "indefinite"}
    a = api.post("sharing-requests", token=consumer.token, json=body).json()
    b = api.post("sharing-requests", token=consumer.token, json=body).json()
    api.post(f"sharing-requests/{a['id']}/refuse", token=provider.token,
             json={"reason": "Không đủ căn cứ"})
    api.post(f"sharing-requests/{b['id']}/withdraw", token=consumer.token)
    assert db("SELECT COUNT(*) FROM grants WHERE request_id IN (%s, %s)",
              (a["id"], b["id"])) == [("0",)]
    listed = api.get("grants", token=consumer.token).json()["items"]
    assert [g for g in listed if g["dataset_id"] == ds] == []


def test_other_agencies_get_404_and_the_attempt_is_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    other = party(api, new_agency, "DO")
    r = download(api, s, f["id"], other.token)
    assert r.status_code == 404
    refused(db, s, "not_party", 404)
    assert access_rows(db, s.grant["id"])[-1][5] == str(other.account_id)
    r = download(api, s, f["id"], s.provider.token)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_consumer"
    assert api.get(f"data/{s.grant['id']}/files", token=other.token).status_code == 404


def test_a_file_of_another_dataset_is_404_and_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    mine = make_dataset(db, s.provider.agency_id)
    f = upload(api, s.provider, mine).json()
    r = download(api, s, f["id"], s.consumer.token)
    assert r.status_code == 404
    refused(db, s, "no_such_file", 404)


def test_no_or_bad_token_is_401_and_not_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    assert api.get(f"data/{s.grant['id']}/files/{f['id']}").status_code == 401
    assert download(api, s, f["id"], "not.a.token").status_code == 401
    assert access_rows(db, s.grant["id"]) == []


def test_the_grant_lists_its_files(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    _, tok = grant_account(api, s)
    r = api.get(f"data/{s.grant['id']}/files", token=tok)
    assert r.status_code == 200 and [x["id"] for x in r.json()["items"]] == [f["id"]]


def test_open_data_downloads_without_a_token_and_counts(api, db, new_agency):
    p = party(api, new_agency, "OP")
    ds = make_dataset(db, p.agency_id, classification="open")
    f = upload(api, p, ds).json()
    for n in (1, 2):
        r = api.get(f"/api/v1/open-data/{ds}/files/{f['id']}")
        assert r.status_code == 200 and r.content == CSV
        assert downloads_reach(db, ds, n) == n
    shared = make_dataset(db, p.agency_id)
    g = upload(api, p, shared).json()
    assert api.get(f"/api/v1/open-data/{shared}/files/{g['id']}").status_code == 404
    assert api.get(f"/api/v1/open-data/{ds}/files/{g['id']}").status_code == 404
    # Refused downloads count nothing, in either dataset.
    assert api.get(f"/api/v1/open-data/{ds}/files/{f['id']}").status_code == 200
    assert downloads_reach(db, ds, 3) == 3
    time.sleep(0.5)
    assert downloads_reach(db, ds, 3, 0) == 3
    assert downloads_reach(db, shared, 0, 0) == 0


def test_concurrent_open_downloads_all_arrive(api, db, new_agency):
    p = party(api, new_agency, "OP")
    ds = make_dataset(db, p.agency_id, classification="open")
    f = upload(api, p, ds).json()
    threads, each = 5, 20
    bodies = [(r.status_code, r.content == CSV) for r in concurrent_gets(
        api, [f"/api/v1/open-data/{ds}/files/{f['id']}"] * threads * each,
        threads)]
    assert bodies == [(200, True)] * threads * each
    # Exactly one count per delivery: none lost, none twice.
    assert downloads_reach(db, ds, threads * each) == threads * each
    time.sleep(0.5)
    assert downloads_reach(db, ds, threads * each, 0) == threads * each


def test_open_downloads_of_many_datasets_at_once_all_arrive(api, db, new_agency):
    """More datasets downloaded within one interval than the master writes
    in one statement and transaction (64): 70 datasets, two batches, some
    fetched two or three times by different clients; each count once."""
    p = party(api, new_agency, "OP")
    files = []
    for _ in range(70):
        ds = make_dataset(db, p.agency_id, classification="open")
        files.append((ds, upload(api, p, ds).json()["id"]))
    reps = [k % 3 + 1 for k in range(len(files))]
    fetches = [f for r in range(3) for f, n in zip(files, reps) if n > r]
    statuses = [r.status_code for r in concurrent_gets(
        api, [f"/api/v1/open-data/{ds}/files/{fid}" for ds, fid in fetches], 6)]
    assert statuses == [200] * len(fetches)
    ids = [ds for ds, _ in files]
    marks = ", ".join(["%s"] * len(ids))

    def counts():
        rows = dict(db(f"SELECT id, downloads FROM datasets WHERE id IN ({marks})",
                       tuple(ids)))
        return [int(rows[str(i)]) for i in ids]

    end = time.monotonic() + 3
    while counts() != reps and time.monotonic() < end:
        time.sleep(0.05)
    assert counts() == reps
    time.sleep(0.5)
    assert counts() == reps


def test_warehouse_files_are_not_reachable_directly(api, db, new_agency):
    p = party(api, new_agency, "OP")
    ds = make_dataset(db, p.agency_id, classification="open")
    f = upload(api, p, ds).json()
    r = api.get(f"/warehouse/{f['sha256'][:2]}/{f['sha256']}")
    assert r.status_code == 404


def test_a_system_account_of_another_grant_is_refused_and_logged(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    _, tok = grant_account(api, s)
    # a second grant of the same consumer, on the same dataset
    q = api.post("sharing-requests", token=s.consumer.token, json={
        "dataset_id": s.dataset_id, "purpose": "p", "legal_basis": "l",
        "fields": ["ma_ho"], "term": "indefinite"}).json()
    other = api.post(f"sharing-requests/{q['id']}/approve", token=s.provider.token,
                     json={}).json()["grant"]
    r = api.get(f"data/{other['id']}/files/{f['id']}", token=tok)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_grant"
    row = access_rows(db, other["id"])[-1]
    assert row[0:3] == ("refused", "wrong_grant", "403")


def test_each_unshareable_dataset_state_is_refused_and_logged(api, db, new_agency):
    # the grant, its file and its dataset's state are read in one query:
    # each rule of Art. 1.2 and of the catalog refuses with its own reason
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    database = db("SELECT database_id FROM datasets WHERE id = %s",
                  (s.dataset_id,))[0][0]
    cases = [
        ("datasets", "classification = 'restricted', status = 'draft', "
         "excluded = 1", "dataset_excluded"),
        ("datasets", "status = 'draft'", "dataset_not_published"),
        ("datasets", "classification = 'restricted'", "dataset_restricted"),
        ("`databases`", "status = 'draft'", "database_not_listed"),
        ("`databases`", "status = 'withdrawn'", "database_withdrawn"),
    ]
    for table, change, reason in cases:
        row = s.dataset_id if table == "datasets" else database
        db(f"UPDATE {table} SET {change} WHERE id = %s", (row,))
        r = download(api, s, f["id"], s.consumer.token)
        assert r.status_code == 403, (reason, r.text)
        assert r.json()["error"]["code"] == reason
        refused(db, s, reason, 403)
        db("UPDATE datasets SET excluded = 0, classification = 'shared', "
           "status = 'published' WHERE id = %s", (s.dataset_id,))
        db("UPDATE `databases` SET status = 'listed' WHERE id = %s", (database,))
    assert download(api, s, f["id"], s.consumer.token).status_code == 200


def test_a_grant_of_every_column_gets_the_file_itself_however_written(api, db, new_agency):
    # The grant's fields as the API writes them, with other spacing, in
    # another order, or with an escape: each covers every column of the
    # file, so the file itself is delivered, not a narrowed copy.
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id).json()
    spellings = [json.dumps(NAMES, separators=(",", ":")),
                 " [ " + " ,\n ".join(json.dumps(n) for n in NAMES) + " ] ",
                 json.dumps(list(reversed(NAMES))),
                 json.dumps(NAMES).replace("ma_ho", "ma\\u005fho")]
    for fields in spellings:
        db("UPDATE grants SET fields_json = %s WHERE id = %s",
           (fields, s.grant["id"]))
        r = download(api, s, f["id"], s.consumer.token)
        assert r.status_code == 200, (fields, r.text)
        assert r.content == CSV, fields
        row = access_rows(db, s.grant["id"])[-1]
        assert row[3:5] == (str(len(CSV)), sha256(CSV)) and row[6] == "0", fields
    assert db("SELECT COUNT(*) FROM warehouse_derived WHERE file_id = %s",
              (f["id"],)) == [("0",)]
    # one column fewer is narrowed, as before
    db("UPDATE grants SET fields_json = %s WHERE id = %s",
       (json.dumps(NAMES[:3]), s.grant["id"]))
    r = download(api, s, f["id"], s.consumer.token)
    assert r.status_code == 200 and r.content != CSV
    assert access_rows(db, s.grant["id"])[-1][6] == "1"
