"""Grants (R4.3): made by an approval; active, then expired by the
database clock; readable by provider, consumer and DIC only."""

from sharing_setup import granted, party


def test_grant_is_read_by_its_sides_and_dic_only(api, db, admin_token, new_agency):
    s = granted(api, db, new_agency)
    gid = s.grant["id"]
    for tok in (s.provider.token, s.consumer.token, admin_token):
        r = api.get(f"grants/{gid}", token=tok)
        assert r.status_code == 200 and r.json()["status"] == "active", r.text
    other = party(api, new_agency, "GO")
    assert api.get(f"grants/{gid}", token=other.token).status_code == 404
    assert gid not in [g["id"] for g in api.get(
        "grants", token=other.token).json()["items"]]
    mine = api.get("grants", token=s.consumer.token,
                   params={"side": "consumer", "limit": 200}).json()["items"]
    assert gid in [g["id"] for g in mine]


def test_grant_past_its_end_is_expired_by_the_database_clock(api, db, new_agency):
    s = granted(api, db, new_agency)
    gid = s.grant["id"]
    db("UPDATE grants SET ends_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
       "WHERE id = %s", (gid,))
    assert api.get(f"grants/{gid}", token=s.consumer.token).json()["status"] == "expired"
    listed = api.get("grants", token=s.provider.token,
                     params={"status": "expired", "limit": 200}).json()["items"]
    assert gid in [g["id"] for g in listed]
    active = api.get("grants", token=s.provider.token,
                     params={"status": "active", "limit": 200}).json()["items"]
    assert gid not in [g["id"] for g in active]


def test_indefinite_grant_has_no_end(api, db, new_agency):
    s = granted(api, db, new_agency, term="indefinite", ends_at=None)
    assert s.grant["ends_at"] is None and s.grant["status"] == "active"


def test_bad_grant_filters_are_422(api, db, new_agency):
    p = party(api, new_agency, "GF")
    assert api.get("grants", token=p.token, params={"status": "paused"}).status_code == 422
