"""Open data (Art. 10, 17.1.e, R2.3): readable without an account, views
counted, sorted by demand, updates due within three months.

Views are added in memory by the catalog's workers and written by its
master every seal_interval_ms (docs/catalog.md): a test waits for them."""

import csv
import json
import os
import pathlib
import time

import pytest

from catalog_helpers import (actor, all_pages, auditor, create_dataset,  # noqa: F401
                             demo_catalog, listed_database,
                             published_dataset)
from race_support import concurrent_gets, race_posts


SRC = pathlib.Path(os.environ.get("DS_SRC") or pathlib.Path(__file__).parents[2])
with open(SRC / "scripts" / "demo" / "agencies.tsv", encoding="utf-8") as _f:
    DEMO_AGENCIES = {row["code"] for row in csv.DictReader(_f, delimiter="\t")}


def views_reach(db, ids, want, seconds=3.0):
    """The views of each dataset in ids, once they equal want (a list) or
    after seconds: the master writes them within an interval."""
    end = time.monotonic() + seconds
    # One query for all: a query per id (a mariadb process each) took
    # longer than the wait for 150 ids, so the deadline came after the
    # first look, taken before the last interval's flush.
    marks = ", ".join(["%s"] * len(ids))
    while True:
        rows = dict(db(f"SELECT id, views FROM datasets WHERE id IN ({marks})",
                       tuple(ids)))
        got = [int(rows[str(i)]) for i in ids]
        if got == want or time.monotonic() > end:
            return got
        time.sleep(0.05)


def test_public_reads_published_open_data_only(api, actor):
    a = actor("OD")
    d = listed_database(api, a.token)
    opened = published_dataset(api, a.token, "open", database_id=d["id"])
    shared = published_dataset(api, a.token, "shared", database_id=d["id"])
    draft = create_dataset(api, a.token, d["id"], classification="open")
    items = all_pages(api, "open-data", agency_id=a.agency_id)
    assert [i["id"] for i in items] == [opened["id"]]
    assert all(i["classification"] == "open" and i["status"] == "published"
               for i in all_pages(api, "open-data"))
    assert api.get(f"open-data/{shared['id']}").status_code == 404
    assert api.get(f"open-data/{draft['id']}").status_code == 404


def test_each_read_counts_a_view(api, db, actor):
    a = actor("OD")
    ds = published_dataset(api, a.token, "open")
    svc = api.post("services", a.token, json={
        "dataset_id": ds["id"], "name": "Tải dữ liệu mở", "protocol": "file",
        "endpoint": "https://data.example.vn/x.csv", "version": "1"}).json()
    r = api.get(f"open-data/{ds['id']}")
    assert r.status_code == 200 and r.json()["title"] == ds["title"]
    assert [s["id"] for s in r.json()["services"]] == [svc["id"]]
    api.get(f"open-data/{ds['id']}")
    assert views_reach(db, [ds["id"]], [2]) == [2]
    # The answer shows what the database has: at most one interval late.
    assert api.get(f"open-data/{ds['id']}").json()["views"] in (2, 3)
    assert views_reach(db, [ds["id"]], [3]) == [3]
    assert api.get(f"open-data/{ds['id']}").json()["views"] >= 3


def test_concurrent_reads_all_arrive(api, db, actor):
    a = actor("OD")
    made = [published_dataset(api, a.token, "open") for _ in range(2)]
    threads, reads = 6, 25
    # Each reader alternates the two datasets.
    statuses = [r.status_code for r in concurrent_gets(
        api, [f"open-data/{made[(k + n) % 2]['id']}"
              for n in range(reads) for k in range(threads)], threads)]
    assert statuses == [200] * threads * reads
    # Exactly one view per read, none lost and none twice.
    half = threads * reads // 2
    assert views_reach(db, [d["id"] for d in made], [half, half]) == [half, half]
    time.sleep(0.5)
    assert views_reach(db, [d["id"] for d in made], [half, half], 0) == [half, half]


def test_a_404_read_counts_nothing(api, db, actor):
    a = actor("OD")
    d = listed_database(api, a.token)
    shared = published_dataset(api, a.token, "shared", database_id=d["id"])
    draft = create_dataset(api, a.token, d["id"], classification="open")
    opened = published_dataset(api, a.token, "open", database_id=d["id"])
    for ds in (shared, draft):
        assert api.get(f"open-data/{ds['id']}").status_code == 404
    assert api.get(f"open-data/{opened['id']}").status_code == 200
    # Once the one good read has arrived, the refused ones would have too.
    ids = [shared["id"], draft["id"], opened["id"]]
    assert views_reach(db, ids, [0, 0, 1]) == [0, 0, 1]
    time.sleep(0.5)
    assert views_reach(db, ids, [0, 0, 1], 0) == [0, 0, 1]


def test_lists_sort_by_demand(api, db, actor):
    a = actor("OD")
    made = [published_dataset(api, a.token, "open") for _ in range(3)]
    for ds, views in zip(made, (5, 40, 12)):
        for _ in range(views % 7):
            api.get(f"open-data/{ds['id']}")
    assert views_reach(db, [d["id"] for d in made], [5, 5, 5]) == [5, 5, 5]
    # Time travel for the counters: the sharing module counts downloads.
    db("UPDATE datasets SET downloads = %s WHERE id = %s", (100, made[2]["id"]))
    items = all_pages(api, "open-data", sort="demand", agency_id=a.agency_id)
    assert [i["id"] for i in items] == [made[2]["id"], made[0]["id"], made[1]["id"]]
    demand = [i["demand"] for i in all_pages(api, "open-data", sort="demand")]
    assert demand == sorted(demand, reverse=True)
    page = api.get("open-data", params={"sort": "demand", "limit": 2,
                                        "agency_id": a.agency_id}).json()
    rest = api.get("open-data", params={"sort": "demand", "limit": 2,
                                        "agency_id": a.agency_id,
                                        "cursor": page["next_cursor"]}).json()
    assert [i["id"] for i in page["items"] + rest["items"]] == [i["id"] for i in items]
    assert api.get("open-data", params={"sort": "views"}).status_code == 422


def test_dic_lists_open_data_overdue_for_update(api, db, actor, admin_token, auditor):
    a = actor("OD")
    late = published_dataset(api, a.token, "open")
    fresh = published_dataset(api, a.token, "open")
    # Time travel: published four months ago, due a month ago.
    db("UPDATE datasets SET published_at = UTC_TIMESTAMP(6) - INTERVAL 4 MONTH, "
       "update_due_at = UTC_TIMESTAMP(6) - INTERVAL 1 MONTH WHERE id = %s", (late["id"],))
    overdue = {i["id"]: i for i in all_pages(api, "open-data/overdue", admin_token,
                                         agency_id=a.agency_id)}
    assert set(overdue) == {late["id"]} and overdue[late["id"]]["days_overdue"] >= 28
    assert fresh["id"] not in overdue
    assert api.get("open-data/overdue", a.token).status_code == 403
    assert api.get("open-data/overdue").status_code == 401
    assert all_pages(api, "open-data/overdue", auditor.token, agency_id=a.agency_id)
    api.post(f"datasets/{late['id']}/data-updates", a.token, json={"note": "Cập nhật"})
    assert all_pages(api, "open-data/overdue", admin_token, agency_id=a.agency_id) == []


def test_demo_catalog_has_overdue_open_data(api, admin_token, db):
    # Loaded by test_search's fixture when it ran first; else nothing to say.
    if db("SELECT COUNT(*) FROM audit_events WHERE action = 'demo.load'") == [("0",)]:
        return
    assert all_pages(api, "open-data/overdue", admin_token)


DATASET_KEYS = ["id", "database_id", "agency_id", "agency_name", "title",
                "description", "keywords", "update_frequency",
                "classification", "excluded", "exclusion_reason", "status",
                "published_at", "fields", "technical_guide",
                "sharing_methods", "update_due_at", "data_updated_at",
                "views", "downloads", "created_at", "updated_at",
                "visibility", "demand", "services"]
SERVICE_KEYS = ["id", "name", "protocol", "endpoint", "version", "guide"]


def test_read_gives_every_field_and_active_services_in_id_order(api, db, actor):
    """The services come from the dataset's own row (services_json, kept
    by migration 0009's triggers): the keys in their documented order,
    each once, the JSON columns embedded, only the active services, by
    id, with what the services table holds."""
    a = actor("OD")
    ds = published_dataset(api, a.token, "open")
    bare = published_dataset(api, a.token, "open")
    made = [api.post("services", a.token, json={
        "dataset_id": ds["id"], "name": f"Dịch vụ \"{n}\" / {n}",
        "protocol": "rest", "endpoint": f"https://data.example.vn/{n}",
        "version": str(n), **({"guide": "Hướng dẫn\ndùng"} if n == 1 else {})})
        for n in range(3)]
    assert [m.status_code for m in made] == [201] * 3
    ids = [m.json()["id"] for m in made]
    assert api.post(f"services/{ids[1]}/deprecate", a.token,
                    json={}).status_code == 200
    r = api.get(f"open-data/{ds['id']}")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    body = r.json(object_pairs_hook=lambda pairs: pairs)
    assert [k for k, _ in body] == DATASET_KEYS
    assert [[k for k, _ in s] for s in dict(body)["services"]] == [SERVICE_KEYS] * 2
    got = r.json()
    services = got["services"]
    want = db("SELECT id, name, protocol, endpoint, version, guide FROM services "
              "WHERE dataset_id = %s AND status = 'active' ORDER BY id", (ds["id"],))
    assert [s["id"] for s in services] == [ids[0], ids[2]] == [int(w[0]) for w in want]
    assert [[s[k] for k in SERVICE_KEYS[1:]] for s in services] == \
        [list(w[1:]) for w in want]
    assert services[0]["guide"] is None and services[0]["name"] == 'Dịch vụ "0" / 0'
    row = db("SELECT title, keywords, fields_json, views "
             "FROM datasets WHERE id = %s", (ds["id"],))[0]
    assert got["title"] == row[0] == ds["title"]
    assert got["keywords"] == json.loads(row[1]) and isinstance(got["keywords"], list)
    assert got["fields"] == json.loads(row[2]) and isinstance(got["fields"], list)
    # This read's view may have been written since (views_reach).
    assert got["views"] in (int(row[3]), int(row[3]) - 1)
    assert got["demand"] == got["views"] + got["downloads"]
    assert got["excluded"] is False
    assert got["visibility"] == "public" and got["id"] == ds["id"]
    assert got["published_at"].endswith("Z") and "T" in got["published_at"]
    # The same dataset once per answer, however many services it has.
    assert r.text.count('"title"') == 1
    # Without services: an empty list, the dataset once.
    r = api.get(f"open-data/{bare['id']}")
    assert r.status_code == 200 and r.json()["services"] == []
    assert [k for k, _ in r.json(object_pairs_hook=lambda p: p)] == DATASET_KEYS


def test_services_registered_at_once_all_show(api, db, actor):
    """Providers registering services of one dataset at the same moment:
    the open dataset lists every one of them afterwards, as does the
    dataset's row (each change computes the list after the others have
    committed), and a deprecation takes one out."""
    a = actor("OD")
    ds = published_dataset(api, a.token, "open")
    for round_ in range(6):
        made = race_posts(api, "services", a.token, [
            {"dataset_id": ds["id"], "name": f"Dịch vụ {round_}.{n}",
             "protocol": "rest", "endpoint": f"https://data.example.vn/{round_}/{n}",
             "version": "1"} for n in range(8)])
        assert [m.status_code for m in made] == [201] * 8
    assert api.post(f"services/{made[3].json()['id']}/deprecate", a.token,
                    json={}).status_code == 200
    active = [int(i) for (i,) in db(
        "SELECT id FROM services WHERE dataset_id = %s AND status = 'active' "
        "ORDER BY id", (ds["id"],))]
    assert len(active) == 47
    r = api.get(f"open-data/{ds['id']}")
    assert r.status_code == 200
    assert [s["id"] for s in r.json()["services"]] == active
    stored = json.loads(db("SELECT services_json FROM datasets WHERE id = %s",
                           (ds["id"],))[0][0])
    assert [s["id"] for s in stored] == active


def test_services_json_follows_every_writer(db, actor, api):
    """The list is the triggers' work, so a service changed by SQL (an
    administrator, a bulk load) shows in the open dataset too."""
    a = actor("OD")
    ds = published_dataset(api, a.token, "open")
    svc = api.post("services", a.token, json={
        "dataset_id": ds["id"], "name": "Tải về", "protocol": "file",
        "endpoint": "https://data.example.vn/a.csv", "version": "1"}).json()
    db("UPDATE services SET name = 'Đổi tên' WHERE id = %s", (svc["id"],))
    assert [s["name"] for s in api.get(f"open-data/{ds['id']}").json()["services"]] \
        == ["Đổi tên"]
    db("UPDATE services SET status = 'deprecated' WHERE id = %s", (svc["id"],))
    assert api.get(f"open-data/{ds['id']}").json()["services"] == []


def test_reads_of_many_datasets_at_once_all_arrive(api, db, actor):
    """More datasets read within one interval than the master writes in
    one statement and transaction (64): 150 datasets, three batches, some
    read two or three times by different clients. Every batch arrives,
    each view once."""
    a = actor("OD")
    ids = [i["id"] for i in all_pages(api, "open-data")][:150]
    ids += [published_dataset(api, a.token, "open")["id"]
            for _ in range(150 - len(ids))]
    reps = [k % 3 + 1 for k in range(len(ids))]
    # Each client reads a slice of every round: repeats come from
    # different workers, interleaved with other datasets.
    reads = [i for r in range(3) for i, n in zip(ids, reps) if n > r]
    before = [int(db("SELECT views FROM datasets WHERE id = %s", (i,))[0][0])
              for i in ids]
    statuses = [r.status_code for r in
                concurrent_gets(api, [f"open-data/{i}" for i in reads], 8)]
    assert statuses == [200] * len(reads) and len(reads) == 300
    want = [b + n for b, n in zip(before, reps)]
    assert views_reach(db, ids, want) == want
    time.sleep(0.5)
    assert views_reach(db, ids, want, 0) == want


def owner_copies(db, dataset_id):
    """The copies migration 0010 keeps in the dataset's row."""
    return tuple(db("SELECT owner_agency_id, owner_agency_name, "
                    "owner_db_status FROM datasets WHERE id = %s",
                    (dataset_id,))[0])


def test_database_withdrawn_or_listed_shows_at_once(api, db, actor):
    """The read takes the database's status from the dataset's row; the
    foreign key moves it in the commit that withdraws or lists the
    database, so the next read already agrees, whoever wrote it."""
    a = actor("OD")
    d = listed_database(api, a.token)
    ds = published_dataset(api, a.token, "open", database_id=d["id"])
    assert api.get(f"open-data/{ds['id']}").status_code == 200
    r = api.post(f"databases/{d['id']}/withdraw", a.token)
    assert r.status_code == 200, r.text
    assert api.get(f"open-data/{ds['id']}").status_code == 404
    assert owner_copies(db, ds["id"])[2] == "withdrawn"
    # an administrator's SQL, both ways
    db("UPDATE `databases` SET status = 'listed' WHERE id = %s", (d["id"],))
    assert api.get(f"open-data/{ds['id']}").status_code == 200
    db("UPDATE `databases` SET status = 'draft' WHERE id = %s", (d["id"],))
    assert api.get(f"open-data/{ds['id']}").status_code == 404
    assert owner_copies(db, ds["id"])[2] == "draft"


def test_agency_renamed_shows_in_its_open_data(api, db, actor, admin_token):
    """A rename that changes only case and marks (equal in the column's
    collation) still reaches the copy."""
    a = actor("OD")
    ds = published_dataset(api, a.token, "open")
    name = f"Sở Thông tin {a.code}"
    r = api.patch(f"agencies/{a.agency_id}", token=admin_token,
                  json={"name": name})
    assert r.status_code == 200, r.text
    assert api.get(f"open-data/{ds['id']}").json()["agency_name"] == name
    db("UPDATE agencies SET name = %s WHERE id = %s",
       (name.upper(), a.agency_id))
    got = api.get(f"open-data/{ds['id']}").json()
    assert (got["agency_id"], got["agency_name"]) == (a.agency_id,
                                                      name.upper())
    assert owner_copies(db, ds["id"]) == (str(a.agency_id), name.upper(),
                                          "listed")


def test_database_given_to_another_agency_takes_its_datasets(api, db, actor):
    a, b = actor("OD"), actor("OD")
    ds = published_dataset(api, a.token, "open")
    b_name = db("SELECT name FROM agencies WHERE id = %s",
                (b.agency_id,))[0][0]
    db("UPDATE `databases` SET agency_id = %s WHERE id = %s",
       (b.agency_id, ds["database_id"]))
    got = api.get(f"open-data/{ds['id']}").json()
    assert (got["agency_id"], got["agency_name"]) == (b.agency_id, b_name)
    # the other reads join the database and the agency: they agree
    assert api.get(f"datasets/{ds['id']}", b.token).json()["agency_name"] \
        == b_name


def test_dataset_moved_without_its_copies_is_refused(api, db, actor):
    """An administrator's SQL that moves a dataset to another agency's
    database must move the copies too: the key refuses it otherwise, and
    the row stays as it was."""
    a, b = actor("OD"), actor("OD")
    ds = published_dataset(api, a.token, "open")
    other = listed_database(api, b.token)
    before = owner_copies(db, ds["id"])
    with pytest.raises(AssertionError, match="datasets_owner_fk"):
        db("UPDATE datasets SET database_id = %s WHERE id = %s",
           (other["id"], ds["id"]))
    assert owner_copies(db, ds["id"]) == before
    assert api.get(f"open-data/{ds['id']}").json()["agency_id"] == a.agency_id


def test_with_no_counter_table_each_read_writes_its_view_at_once(api, db, actor,
                                                                tmp_path):
    """Issue 17, item 8: the fallback a worker takes when the master's
    counter table cannot hold a count (full, or counter_slots=0) writes the
    view itself, in the request. A second catalog master with no table,
    beside the stack's, runs that path: each read is in the row before the
    answer comes back, with no master round to wait for."""
    import fcgi_client
    from fault_support import module_exe, stop_process
    import subprocess

    a = actor("OC")
    ds = published_dataset(api, a.token, "open")
    sock = str(tmp_path / "catalog.sock")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DS_")}
    env["DS_COUNTER_SLOTS"] = "0"
    with open(tmp_path / "catalog.log", "w+") as log:
        p = subprocess.Popen([module_exe("catalog"), "--config", os.environ["DS_CONFIG"],
                              "--socket", sock, "--workers", "1",
                              "--socket-mode", "0600"], stdout=log, stderr=log, env=env)
        try:
            for _ in range(200):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            assert os.path.exists(sock), log.read()
            for n in (1, 2, 3):
                status, _, body = fcgi_client.request(sock, "GET",
                                                      f"/api/v1/open-data/{ds['id']}")
                assert status == 200, body
                assert db("SELECT views FROM datasets WHERE id = %s",
                          (ds["id"],)) == [(str(n),)]
        finally:
            stop_process(p)
