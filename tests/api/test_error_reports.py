"""Errors in shared data (R6.2; Art. 17.2.c, 16.2.d): the consumer reports,
the provider acknowledges, then corrects with a new version or rejects
with a reason."""

from sharing_setup import (CSV, audit_actions, granted, make_dataset,
                           notifications, party, upload)


def report(api, s, token=None, **over):
    body = {"dataset_id": s.dataset_id, "what": "Sai ngày sinh",
            "location": "Dòng H002, cột ngay_sinh", "evidence": "Giấy khai sinh số 12"}
    body.update(over)
    return api.post("error-reports", token=token or s.consumer.token, json=body)


def test_consumer_reports_provider_acknowledges_then_corrects(api, db, new_agency):
    s = granted(api, db, new_agency)
    v1 = upload(api, s.provider, s.dataset_id).json()
    r = report(api, s, file_id=v1["id"])
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["status"] == "open" and e["grant_id"] == s.grant["id"]
    assert notifications(db, s.provider.agency_id, "error_report.filed", e["id"]) == 1
    # correcting before acknowledging is the wrong state
    v2 = upload(api, s.provider, s.dataset_id,
                data=CSV.replace(b"1992-11-30", b"1992-11-03")).json()
    assert api.post(f"error-reports/{e['id']}/correct", token=s.provider.token,
                    json={"file_id": v2["id"]}).status_code == 409
    r = api.post(f"error-reports/{e['id']}/acknowledge", token=s.provider.token)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    # the correction must be a newer version of this dataset
    assert api.post(f"error-reports/{e['id']}/correct", token=s.provider.token,
                    json={"file_id": v1["id"]}).status_code == 422
    r = api.post(f"error-reports/{e['id']}/correct", token=s.provider.token,
                 json={"file_id": v2["id"], "note": "Đã sửa theo giấy khai sinh"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "corrected" and r.json()["corrected_file_id"] == v2["id"]
    assert notifications(db, s.consumer.agency_id, "error_report.corrected", e["id"]) == 1
    assert audit_actions(db, "error_report", e["id"]) == [
        "error_report.create", "error_report.acknowledge", "error_report.correct"]


def test_rejection_needs_a_reason(api, db, new_agency):
    s = granted(api, db, new_agency)
    e = report(api, s).json()
    for body in ({}, {"reason": " "}):
        assert api.post(f"error-reports/{e['id']}/reject", token=s.provider.token,
                        json=body).status_code == 422
    r = api.post(f"error-reports/{e['id']}/reject", token=s.provider.token,
                 json={"reason": "Dữ liệu đúng theo hồ sơ gốc"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert notifications(db, s.consumer.agency_id, "error_report.rejected", e["id"]) == 1
    assert api.post(f"error-reports/{e['id']}/acknowledge",
                    token=s.provider.token).status_code == 409


def test_only_a_consumer_of_the_dataset_reports(api, db, new_agency):
    s = granted(api, db, new_agency)
    stranger = party(api, new_agency, "EO")
    assert report(api, s, token=stranger.token).status_code == 403
    assert report(api, s, token=s.provider.token).status_code == 422
    open_ds = make_dataset(db, s.provider.agency_id, classification="open")
    r = report(api, s, token=stranger.token, dataset_id=open_ds)
    assert r.status_code == 201 and r.json()["grant_id"] is None


def test_each_side_sees_its_reports_others_404(api, db, admin_token, new_agency):
    s = granted(api, db, new_agency)
    e = report(api, s).json()
    for tok in (s.provider.token, s.consumer.token, admin_token):
        assert api.get(f"error-reports/{e['id']}", token=tok).status_code == 200
        ids = [x["id"] for x in api.get("error-reports", token=tok,
                                        params={"limit": 200}).json()["items"]]
        assert e["id"] in ids
    other = party(api, new_agency, "EO")
    assert api.get(f"error-reports/{e['id']}", token=other.token).status_code == 404
    assert api.post(f"error-reports/{e['id']}/acknowledge",
                    token=other.token).status_code == 404
    assert api.post(f"error-reports/{e['id']}/acknowledge",
                    token=s.consumer.token).status_code == 403
