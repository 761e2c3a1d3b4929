"""Open data (Art. 10, 17.1.e, R2.3): readable without an account, views
counted, sorted by demand, updates due within three months."""

import csv
import os
import pathlib

from catalog_helpers import (actor, all_pages, auditor, create_dataset,  # noqa: F401
                             demo_catalog, listed_database,
                             published_dataset)


SRC = pathlib.Path(os.environ.get("DS_SRC") or pathlib.Path(__file__).parents[2])
with open(SRC / "scripts" / "demo" / "agencies.tsv", encoding="utf-8") as _f:
    DEMO_AGENCIES = {row["code"] for row in csv.DictReader(_f, delimiter="\t")}


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
    assert db("SELECT views FROM datasets WHERE id = %s", (ds["id"],)) == [("2",)]
    assert api.get(f"open-data/{ds['id']}").json()["views"] == 3


def test_lists_sort_by_demand(api, db, actor):
    a = actor("OD")
    made = [published_dataset(api, a.token, "open") for _ in range(3)]
    for ds, views in zip(made, (5, 40, 12)):
        for _ in range(views % 7):
            api.get(f"open-data/{ds['id']}")
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
