"""GET /reports/grants (R9.3, R5): grants by status (expired computed from
the database clock) and the accesses and bytes of the access log, per
grant and per agency."""

from report_helpers import by, make_grant, report, this_year
from sharing_setup import party, upload


def expire(db, grant_id):
    """Time passes: the grant's end is behind us (the sharing sweep may
    not have written it down yet, so the table may still say active)."""
    db("UPDATE grants SET ends_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
       "WHERE id = %s", (grant_id,))


def download(api, grant, file_id, token):
    return api.get(f"data/{grant['id']}/files/{file_id}", token)


def test_accesses_and_bytes_per_grant_and_agency(api, db, new_agency, admin_token):
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    g1 = make_grant(api, db, provider, consumer)
    g2 = make_grant(api, db, provider, consumer)
    f1 = upload(api, provider, g1["dataset_id"]).json()
    f2 = upload(api, provider, g2["dataset_id"]).json()
    sizes = []
    for g, f in ((g1, f1), (g1, f1), (g2, f2)):
        r = download(api, g, f["id"], consumer.token)
        assert r.status_code == 200, r.text
        sizes.append(len(r.content))
    expire(db, g2["id"])
    assert download(api, g2, f2["id"], consumer.token).status_code == 403

    body = report(api, admin_token, "grants", agency_id=consumer.agency_id,
                  **this_year(db))
    assert body["accesses"] == {"accesses": 4, "delivered": 3, "refused": 1,
                                "bytes": sum(sizes), "grants_used": 2}
    assert [row["grant_id"] for row in body["by_grant"]] == [g1["id"], g2["id"]]
    assert by(body["by_grant"], "grant_id", g1["id"]) == {
        "grant_id": g1["id"], "provider_agency_id": provider.agency_id,
        "consumer_agency_id": consumer.agency_id, "dataset_id": g1["dataset_id"],
        "status": "active", "accesses": 2, "delivered": 2, "refused": 0,
        "bytes": sizes[0] + sizes[1]}
    row = by(body["by_grant"], "grant_id", g2["id"])
    assert (row["status"], row["accesses"], row["delivered"], row["refused"],
            row["bytes"]) == ("expired", 2, 1, 1, sizes[2])
    me = by(body["by_agency"], "agency_id", consumer.agency_id)
    assert {k: v for k, v in me.items() if k not in ("agency_id", "name")} == {
        "fetched": 4, "fetched_refused": 1, "fetched_bytes": sum(sizes),
        "served": 0, "served_refused": 0, "served_bytes": 0}
    them = by(body["by_agency"], "agency_id", provider.agency_id)
    assert (them["fetched"], them["served"], them["served_refused"],
            them["served_bytes"]) == (0, 4, 1, sum(sizes))
    assert len(body["by_agency"]) == 2
    # the figures are the access log's rows
    assert db("SELECT COUNT(*), SUM(bytes) FROM access_log WHERE consumer_agency_id = %s",
              (consumer.agency_id,)) == [("4", str(sum(sizes)))]


def test_accesses_outside_the_range_are_left_out(api, db, new_agency, admin_token):
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    g = make_grant(api, db, provider, consumer)
    f = upload(api, provider, g["dataset_id"]).json()
    assert download(api, g, f["id"], consumer.token).status_code == 200
    body = report(api, admin_token, "grants", agency_id=consumer.agency_id,
                  **{"from": "2024-01-01", "to": "2024-12-31"})
    assert body["accesses"]["accesses"] == 0 and body["by_grant"] == []
    assert body["made_in_range"]["total"] == 0
    # the grant exists now, whatever the range
    assert body["status_now"]["total"] == 1


def test_grants_by_status_now_and_made_in_range(api, db, new_agency, admin_token):
    """One grant in each status, made through the modules' APIs; the
    expired one only by the clock (its end moved into the past with SQL),
    and one made last year (its creation moved back with SQL)."""
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    # the first stays active
    _, expired, suspended, terminated, old = (
        make_grant(api, db, provider, consumer) for _ in range(5))
    expire(db, expired["id"])
    r = api.post(f"grants/{suspended['id']}/suspensions", provider.token, json={
        "violation": "Chuyển dữ liệu cho bên thứ ba", "legal_ground": "regulation_breach",
        "determined_at": expired["created_at"], "handling_plan": "Rà soát nhật ký",
        "consumer_action": "Báo cáo việc sử dụng dữ liệu"})
    assert r.status_code == 201, r.text
    r = api.post(f"grants/{terminated['id']}/termination", provider.token,
                 json={"reason": "Hết nhu cầu", "legal_ground": "purpose_ended"})
    assert r.status_code == 201, r.text
    db("UPDATE grants SET created_at = '2024-05-05 05:05:05' WHERE id = %s", (old["id"],))

    body = report(api, admin_token, "grants", agency_id=provider.agency_id,
                  **this_year(db))
    assert body["status_now"] == {"total": 5, "active": 2, "expired": 1,
                                  "suspended": 1, "terminated": 1}
    assert body["made_in_range"] == {"total": 4, "active": 1, "expired": 1,
                                     "suspended": 1, "terminated": 1}
    # The report counts by the clock: the sharing module's tick writes
    # 'expired' into the row within a second (test_sweep.py), so the row may
    # say either; what the report says above holds for both.
    assert db("SELECT status FROM grants WHERE id = %s", (expired["id"],))[0][0] in \
        ("active", "expired")
