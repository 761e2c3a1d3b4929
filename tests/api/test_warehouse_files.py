"""Warehouse files: uploads by the provider, streamed, content addressed by
SHA-256, stored once, a version history per dataset."""

import json
import os

from sharing_setup import (CSV, JSON_DATA, audit_actions, granted, make_dataset,
                           notifications, party, sha256, upload, warehouse_path)


def test_provider_uploads_a_csv_stored_under_its_sha256(api, db, new_agency):
    p = party(api, new_agency, "WP")
    ds = make_dataset(db, p.agency_id)
    r = upload(api, p, ds, name="ho-gia-dinh.csv")
    assert r.status_code == 201, r.text
    f = r.json()
    assert f["sha256"] == sha256(CSV) and f["bytes"] == len(CSV)
    assert f["version"] == 1 and f["format"] == "csv" and f["name"] == "ho-gia-dinh.csv"
    assert f["columns"] == ["ma_ho", "ho_ten", "ngay_sinh", "dia_chi"]
    with open(warehouse_path(f["sha256"]), "rb") as stored:
        assert stored.read() == CSV
    assert db("SELECT dataset_id, version, sha256, bytes FROM warehouse_files "
              "WHERE id = %s", (f["id"],)) == [(str(ds), "1", sha256(CSV), str(len(CSV)))]
    assert audit_actions(db, "warehouse_file", f["id"]) == ["warehouse_file.upload"]


def test_same_content_is_stored_once_and_versions_are_kept(api, db, new_agency):
    p = party(api, new_agency, "WP")
    ds = make_dataset(db, p.agency_id)
    first = upload(api, p, ds).json()
    again = upload(api, p, ds)
    assert again.status_code == 200 and again.json()["unchanged"] is True
    assert again.json()["id"] == first["id"]
    v2 = CSV + "H003,Trần Văn C,2000-05-05,Đông Hòa\r\n".encode()
    second = upload(api, p, ds, data=v2).json()
    back = upload(api, p, ds)            # the first content again: a third version
    assert back.status_code == 201 and back.json()["version"] == 3
    assert back.json()["sha256"] == first["sha256"]
    assert os.path.isfile(warehouse_path(first["sha256"]))
    assert int(db("SELECT COUNT(*) FROM warehouse_files WHERE sha256 = %s AND "
                  "dataset_id = %s", (first["sha256"], ds))[0][0]) == 2
    listed = api.get(f"datasets/{ds}/files", token=p.token).json()["items"]
    assert [x["version"] for x in listed] == [3, 2, 1]
    assert listed[1]["id"] == second["id"]


def test_a_new_version_is_announced_to_active_consumers(api, db, new_agency):
    s = granted(api, db, new_agency)
    f = upload(api, s.provider, s.dataset_id)
    assert f.status_code == 201
    assert notifications(db, s.consumer.agency_id, "warehouse_file.new_version",
                         s.dataset_id) == 1


def test_json_uploads_list_their_keys(api, db, new_agency):
    p = party(api, new_agency, "WP")
    ds = make_dataset(db, p.agency_id)
    r = upload(api, p, ds, data=JSON_DATA, ctype="application/json")
    assert r.status_code == 201, r.text
    assert r.json()["format"] == "json"
    assert r.json()["columns"] == ["ma_ho", "ho_ten", "ngay_sinh", "dia_chi"]


def test_columns_outside_the_structure_are_422_naming_them(api, db, new_agency):
    p = party(api, new_agency, "WP")
    ds = make_dataset(db, p.agency_id)
    r = upload(api, p, ds, data=b"ma_ho,so_cmnd,luong\r\nH1,0123,5\r\n")
    assert r.status_code == 422, r.text
    text = " ".join(d["problem"] for d in r.json()["error"]["details"])
    assert "so_cmnd" in text and "luong" in text
    assert db("SELECT COUNT(*) FROM warehouse_files WHERE dataset_id = %s", (ds,)) \
        == [("0",)]


def test_malformed_files_are_422(api, db, new_agency):
    p = party(api, new_agency, "WP")
    ds = make_dataset(db, p.agency_id)
    bad = [
        (b"ma_ho,ho_ten\r\nH1\r\n", "text/csv"),                 # short record
        (b"ma_ho,ho_ten\r\n\"H1,x\r\n", "text/csv"),             # open quote
        (b"", "text/csv"),                                      # empty
        (b'{"ma_ho": "H1"}', "application/json"),               # not an array
        (b'[{"ma_ho": "H1"}] trailing', "application/json"),
        (b'[{"ma_ho": "H1", "ma_ho": "H2"}]', "application/json"),  # duplicate key
        (b'[1, 2]', "application/json"),
    ]
    for data, ctype in bad:
        r = upload(api, p, ds, data=data, ctype=ctype)
        assert r.status_code == 422, (data, r.status_code, r.text)
    assert db("SELECT COUNT(*) FROM warehouse_files WHERE dataset_id = %s", (ds,)) \
        == [("0",)]
    assert os.listdir(os.path.join(os.environ["STACK_VAR"], "warehouse", "tmp")) == []


def test_other_types_are_415(api, db, new_agency):
    p = party(api, new_agency, "WP")
    ds = make_dataset(db, p.agency_id)
    assert upload(api, p, ds, ctype="application/xml").status_code == 415


def test_only_the_provider_uploads(api, db, new_agency, admin_token):
    p = party(api, new_agency, "WP")
    other = party(api, new_agency, "WO")
    ds = make_dataset(db, p.agency_id)
    assert upload(api, other, ds).status_code == 403
    draft = make_dataset(db, p.agency_id, status="draft")
    assert upload(api, other, draft).status_code == 404
    r = api.post(f"datasets/{ds}/files", token=admin_token, data=CSV,
                 headers={"Content-Type": "text/csv"})
    assert r.status_code == 403


def test_versions_are_listed_to_provider_grantees_and_for_open_data(api, db, new_agency):
    s = granted(api, db, new_agency)
    upload(api, s.provider, s.dataset_id)
    assert len(api.get(f"datasets/{s.dataset_id}/files",
                       token=s.consumer.token).json()["items"]) == 1
    other = party(api, new_agency, "WO")
    assert api.get(f"datasets/{s.dataset_id}/files", token=other.token).status_code == 404
    open_ds = make_dataset(db, s.provider.agency_id, classification="open")
    upload(api, s.provider, open_ds)
    assert api.get(f"datasets/{open_ds}/files", token=other.token).status_code == 200
    assert len(api.get(f"/api/v1/open-data/{open_ds}/files").json()["items"]) == 1
    assert api.get(f"/api/v1/open-data/{s.dataset_id}/files").status_code == 404


def test_an_idempotency_key_never_replays_another_upload(api, db, new_agency):
    """The body of an upload is streamed, not hashed with the request, so
    a reused key must not answer a different file with the first one's
    result; retrying the same file is safe anyway (same content, same
    version)."""
    p = party(api, new_agency, "WP")
    ds = make_dataset(db, p.agency_id)
    key = {"Idempotency-Key": f"upload-{ds}"}
    first = api.post(f"datasets/{ds}/files", token=p.token, data=CSV,
                     headers={"Content-Type": "text/csv", **key})
    other = CSV + "H009,Võ Thị Mai,1999-09-09,Phú Hòa\r\n".encode()
    second = api.post(f"datasets/{ds}/files", token=p.token, data=other,
                      headers={"Content-Type": "text/csv", **key})
    assert first.status_code == 201 and second.status_code == 201, second.text
    assert second.json()["sha256"] == sha256(other)
    again = api.post(f"datasets/{ds}/files", token=p.token, data=other,
                     headers={"Content-Type": "text/csv", **key})
    assert again.status_code == 200 and again.json()["id"] == second.json()["id"]
