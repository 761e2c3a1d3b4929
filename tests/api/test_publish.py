"""Publishing datasets (R3.1, Art. 6.2, Art. 1.2), withdrawing them and
recording updates of published data (Art. 10.4)."""

import concurrent.futures
import json

from catalog_helpers import (actor, audit_rows, create_database, create_dataset,  # noqa: F401
                             current_year,
                             error_code, listed_database, published_dataset,
                             record_assessment)



def status_of(db, dataset_id):
    return db("SELECT status FROM datasets WHERE id = %s", (dataset_id,))[0][0]


def test_publishing_without_an_assessment_is_409_with_the_reason(api, db, actor):
    a = actor("PB")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    r = api.post(f"datasets/{ds['id']}/publish", a.token)
    assert r.status_code == 409
    assert error_code(r) == "assessment_required"
    assert str(current_year(db)) in r.json()["error"]["message"]
    assert status_of(db, ds["id"]) == "draft"
    assert audit_rows(db, "dataset", ds["id"], "dataset.publish") == []


def test_last_years_pass_does_not_count_409(api, db, actor):
    a = actor("PB")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    record_assessment(api, a.token, ds["id"], year=current_year(db) - 1)
    r = api.post(f"datasets/{ds['id']}/publish", a.token)
    assert r.status_code == 409 and error_code(r) == "assessment_required"
    assert status_of(db, ds["id"]) == "draft"


def test_latest_assessment_of_the_year_decides(api, db, actor):
    a = actor("PB")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    record_assessment(api, a.token, ds["id"], "pass")
    record_assessment(api, a.token, ds["id"], "fail")
    r = api.post(f"datasets/{ds['id']}/publish", a.token)
    assert r.status_code == 409 and error_code(r) == "assessment_required"
    assert "failed" in r.json()["error"]["message"]
    record_assessment(api, a.token, ds["id"], "pass")
    r = api.post(f"datasets/{ds['id']}/publish", a.token)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["published_at"]
    assert status_of(db, ds["id"]) == "published"
    rows = audit_rows(db, "dataset", ds["id"], "dataset.publish")
    assert len(rows) == 1
    assert json.loads(rows[0][2])["status"] == "draft"
    assert json.loads(rows[0][3])["status"] == "published"


def test_open_data_is_due_for_update_three_months_after_publication(api, db, actor):
    a = actor("PB")
    open_ds = published_dataset(api, a.token, classification="open")
    shared_ds = published_dataset(api, a.token, classification="shared")
    assert db("SELECT update_due_at = published_at + INTERVAL 3 MONTH FROM datasets "
              "WHERE id = %s", (open_ds["id"],)) == [("1",)]
    assert shared_ds["update_due_at"] is None


def test_excluded_data_is_never_published_409(api, db, actor):
    a = actor("PB")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"],
                        classification="restricted", excluded=True,
                        exclusion_reason="temporary")
    record_assessment(api, a.token, ds["id"])
    r = api.post(f"datasets/{ds['id']}/publish", a.token)
    assert r.status_code == 409 and error_code(r) == "excluded_data"
    assert status_of(db, ds["id"]) == "draft"


def test_dataset_of_an_unlisted_database_is_not_published_409(api, db, actor):
    a = actor("PB")
    ds = create_dataset(api, a.token, create_database(api, a.token)["id"])
    record_assessment(api, a.token, ds["id"])
    r = api.post(f"datasets/{ds['id']}/publish", a.token)
    assert r.status_code == 409 and error_code(r) == "database_not_listed"
    assert status_of(db, ds["id"]) == "draft"


def test_publishing_twice_is_409_and_racing_publishers_get_one_200(api, db, actor):
    a = actor("PB")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    record_assessment(api, a.token, ds["id"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        codes = sorted(pool.map(lambda _: api.post(f"datasets/{ds['id']}/publish",
                                                   a.token).status_code, range(4)))
    assert codes == [200, 409, 409, 409]
    assert len(audit_rows(db, "dataset", ds["id"], "dataset.publish")) == 1


def test_only_the_owner_publishes_and_withdraws(api, db, actor, admin_token):
    a, other = actor("PB"), actor("PB")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    record_assessment(api, a.token, ds["id"])
    assert api.post(f"datasets/{ds['id']}/publish", other.token).status_code == 404
    assert api.post(f"datasets/{ds['id']}/publish", admin_token).status_code == 403
    assert status_of(db, ds["id"]) == "draft"


def test_withdrawn_dataset_leaves_the_catalog_and_can_return(api, db, actor):
    a, other = actor("PB"), actor("PB")
    ds = published_dataset(api, a.token, classification="open")
    r = api.post(f"datasets/{ds['id']}/withdraw", a.token)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert r.json()["update_due_at"] is None
    assert api.post(f"datasets/{ds['id']}/withdraw", a.token).status_code == 409
    assert api.get(f"datasets/{ds['id']}", other.token).status_code == 404
    assert api.get(f"open-data/{ds['id']}").status_code == 404
    # This year's pass still holds: it can be published again.
    r = api.post(f"datasets/{ds['id']}/publish", a.token)
    assert r.status_code == 200, r.text
    assert [x[0] for x in audit_rows(db, "dataset", ds["id"])][-3:] == \
        ["dataset.publish", "dataset.withdraw", "dataset.publish"]


def test_recorded_update_moves_the_due_date(api, db, actor):
    a = actor("PB")
    ds = published_dataset(api, a.token, classification="open")
    # Time travel: publication five months ago.
    db("UPDATE datasets SET published_at = UTC_TIMESTAMP(6) - INTERVAL 5 MONTH, "
       "update_due_at = UTC_TIMESTAMP(6) - INTERVAL 2 MONTH WHERE id = %s", (ds["id"],))
    r = api.post(f"datasets/{ds['id']}/data-updates", a.token,
                 json={"note": "Bổ sung số liệu quý III"})
    assert r.status_code == 200, r.text
    assert r.json()["data_updated_at"] is not None
    assert db("SELECT update_due_at = data_updated_at + INTERVAL 3 MONTH, "
              "update_due_at > UTC_TIMESTAMP(6) FROM datasets WHERE id = %s",
              (ds["id"],)) == [("1", "1")]
    assert db("SELECT note FROM dataset_updates WHERE dataset_id = %s", (ds["id"],)) == \
        [("Bổ sung số liệu quý III",)]
    assert len(audit_rows(db, "dataset", ds["id"], "dataset.data_update")) == 1


def test_only_published_data_is_updated_409(api, db, actor):
    a = actor("PB")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"])
    r = api.post(f"datasets/{ds['id']}/data-updates", a.token, json={"note": "x"})
    assert r.status_code == 409
    assert db("SELECT COUNT(*) FROM dataset_updates WHERE dataset_id = %s",
              (ds["id"],)) == [("0",)]
    r = api.post(f"datasets/{ds['id']}/data-updates", a.token, json={})
    assert r.status_code == 422
