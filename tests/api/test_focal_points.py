"""Focal points (Art. 15.1.b, R9.1): one current officer per agency, the
history kept with dates."""

import json

from catalog_helpers import (actor, audit_rows, detail_fields, dic_agency,  # noqa: F401
                             notifications)



def test_agency_names_its_focal_point_and_history_is_kept(api, db, actor):
    a = actor("FP")
    r = api.put(f"agencies/{a.agency_id}/focal-points", a.token,
                json={"name": "Nguyễn Văn An", "title": "Phó Chánh Văn phòng",
                      "email": "an@example.vn", "phone": "0257 3822 001",
                      "account_id": a.account_id})
    assert r.status_code == 200, r.text
    first = r.json()["current"]
    assert first["name"] == "Nguyễn Văn An" and first["ended_at"] is None
    r = api.put(f"agencies/{a.agency_id}/focal-points", a.token,
                json={"name": "Trần Thị Bình", "email": "binh@example.vn"})
    assert r.status_code == 200, r.text
    got = api.get(f"agencies/{a.agency_id}/focal-points", a.token).json()
    assert got["current"]["name"] == "Trần Thị Bình"
    assert [h["name"] for h in got["history"]] == ["Trần Thị Bình", "Nguyễn Văn An"]
    assert got["history"][1]["ended_at"] is not None
    assert got["history"][1]["ended_at"] >= got["history"][1]["started_at"]
    rows = db("SELECT name, ended_at IS NULL FROM focal_points WHERE agency_id = %s "
              "ORDER BY id", (a.agency_id,))
    assert rows == [("Nguyễn Văn An", "0"), ("Trần Thị Bình", "1")]
    audits = audit_rows(db, "agency", a.agency_id, "focal_point.set")
    assert len(audits) == 2
    assert json.loads(audits[1][2])["current"]["name"] == "Nguyễn Văn An"
    assert json.loads(audits[1][3])["current"]["name"] == "Trần Thị Bình"
    # The DIC, provincial focal point (Art. 15.1.a), hears of each change.
    assert len([n for n in notifications(db, dic_agency(db), "focal_point.changed")
                if n[1] == str(a.agency_id)]) == 2


def test_dic_names_an_agency_focal_point_and_the_agency_is_told(api, db, actor, admin_token):
    a = actor("FP")
    r = api.put(f"agencies/{a.agency_id}/focal-points", admin_token,
                json={"name": "Lê Văn Cường", "email": "cuong@example.vn"})
    assert r.status_code == 200, r.text
    assert len(notifications(db, a.agency_id, "focal_point.changed")) == 1


def test_other_agency_cannot_name_a_focal_point_403(api, db, actor):
    a, other = actor("FP"), actor("FP")
    r = api.put(f"agencies/{a.agency_id}/focal-points", other.token,
                json={"name": "X", "email": "x@example.vn"})
    assert r.status_code == 403
    assert db("SELECT COUNT(*) FROM focal_points WHERE agency_id = %s",
              (a.agency_id,)) == [("0",)]
    # Anyone signed in may read who to contact.
    assert api.get(f"agencies/{a.agency_id}/focal-points", other.token).status_code == 200


def test_account_of_another_agency_and_bad_email_are_422(api, actor):
    a, other = actor("FP"), actor("FP")
    r = api.put(f"agencies/{a.agency_id}/focal-points", a.token,
                json={"name": "X", "email": "x@example.vn", "account_id": other.account_id})
    assert detail_fields(r) == {"account_id"}
    r = api.put(f"agencies/{a.agency_id}/focal-points", a.token,
                json={"name": "X", "email": "not-an-address"})
    assert detail_fields(r) == {"email"}
    r = api.put(f"agencies/{a.agency_id}/focal-points", a.token, json={"title": "x"})
    assert detail_fields(r) == {"name", "email"}


def test_unknown_agency_is_404(api, actor):
    a = actor("FP")
    assert api.get("agencies/999999999/focal-points", a.token).status_code == 404
    assert api.put("agencies/999999999/focal-points", a.token,
                   json={"name": "X", "email": "x@example.vn"}).status_code == 404
