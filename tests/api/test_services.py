"""The sharing-service registry (Art. 9, R2.2)."""

from catalog_helpers import (actor, audit_rows, create_dataset, detail_fields,  # noqa: F401
                             listed_database, published_dataset, unique)


def register(api, token, dataset_id, **over):
    body = {"dataset_id": dataset_id, "name": unique("Dịch vụ tra cứu"),
            "protocol": "rest", "endpoint": "https://lgsp.example.vn/api/v1/x",
            "version": "1.0", "guide": "Gọi GET với mã hồ sơ"}
    body.update(over)
    return api.post("services", token, json=body)


def test_provider_registers_a_service_for_its_dataset(api, db, actor):
    a = actor("SV")
    ds = published_dataset(api, a.token)
    r = register(api, a.token, ds["id"])
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["agency_id"] == a.agency_id and s["dataset_id"] == ds["id"]
    assert s["status"] == "active" and s["protocol"] == "rest"
    assert db("SELECT agency_id, status, version FROM services WHERE id = %s",
              (s["id"],)) == [(str(a.agency_id), "active", "1.0")]
    assert len(audit_rows(db, "service", s["id"], "service.create")) == 1
    assert db("SELECT visibility FROM search_documents WHERE doc_type = 'service' "
              "AND ref_id = %s", (s["id"],)) == [("agencies",)]


def test_excluded_data_gets_no_service_422(api, db, actor):
    a = actor("SV")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"],
                        classification="restricted", excluded=True,
                        exclusion_reason="internal")
    r = register(api, a.token, ds["id"])
    assert detail_fields(r) == {"dataset_id"}
    assert db("SELECT COUNT(*) FROM services WHERE dataset_id = %s", (ds["id"],)) == [("0",)]


def test_only_the_provider_registers_and_fields_are_checked(api, actor):
    a, other = actor("SV"), actor("SV")
    ds = published_dataset(api, a.token)
    assert register(api, other.token, ds["id"]).status_code == 403
    r = register(api, a.token, ds["id"], protocol="ftp", version="")
    assert detail_fields(r) == {"protocol", "version"}


def test_public_sees_services_of_open_data_only(api, actor):
    a, other = actor("SV"), actor("SV")
    open_s = register(api, a.token, published_dataset(api, a.token, "open")["id"]).json()
    shared_s = register(api, a.token, published_dataset(api, a.token, "shared")["id"]).json()
    restr_s = register(api, a.token,
                       published_dataset(api, a.token, "restricted")["id"]).json()
    assert api.get(f"services/{open_s['id']}").status_code == 200
    assert api.get(f"services/{shared_s['id']}").status_code == 404
    public = {s["id"] for s in api.get("services",
                                       params={"agency_id": a.agency_id}).json()["items"]}
    assert public == {open_s["id"]}
    seen = {s["id"] for s in api.get("services", other.token,
                                     params={"agency_id": a.agency_id}).json()["items"]}
    assert seen == {open_s["id"], shared_s["id"]}
    assert api.get(f"services/{restr_s['id']}", other.token).status_code == 404
    mine = {s["id"] for s in api.get("services", a.token,
                                     params={"agency_id": a.agency_id}).json()["items"]}
    assert mine == {open_s["id"], shared_s["id"], restr_s["id"]}


def test_deprecated_service_is_not_changed_409(api, db, actor):
    a = actor("SV")
    s = register(api, a.token, published_dataset(api, a.token)["id"]).json()
    r = api.patch(f"services/{s['id']}", a.token, json={"version": "2.0", "guide": None})
    assert r.status_code == 200 and r.json()["version"] == "2.0" and r.json()["guide"] is None
    r = api.post(f"services/{s['id']}/deprecate", a.token)
    assert r.status_code == 200 and r.json()["status"] == "deprecated"
    assert r.json()["deprecated_at"] is not None
    assert api.post(f"services/{s['id']}/deprecate", a.token).status_code == 409
    assert api.patch(f"services/{s['id']}", a.token, json={"version": "3"}).status_code == 409
    assert db("SELECT status, version FROM services WHERE id = %s", (s["id"],)) == \
        [("deprecated", "2.0")]
    assert [x[0] for x in audit_rows(db, "service", s["id"])] == \
        ["service.create", "service.update", "service.deprecate"]


def test_other_agency_cannot_change_a_service(api, actor):
    a, other = actor("SV"), actor("SV")
    s = register(api, a.token, published_dataset(api, a.token)["id"]).json()
    assert api.post(f"services/{s['id']}/deprecate", other.token).status_code == 403
    assert api.patch(f"services/{s['id']}", other.token,
                     json={"name": "x"}).status_code == 403
