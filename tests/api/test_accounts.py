"""Account management: DIC for any agency, a focal point for its own; a
role only from someone allowed to give it; secrets shown once."""
import json


def officer_token(api, a):
    return api.token(a.client_id, a.client_secret)


def test_dic_creates_an_account_whose_secret_works_once_shown(api, admin_token, new_agency, db):
    a = new_agency("AC")
    r = api.post("accounts", token=admin_token,
                 json={"agency_id": a.agency_id, "name": "Trần Thị Bình",
                       "roles": ["agency_officer"]})
    assert r.status_code == 201, r.text
    acc = r.json()
    assert acc["roles"] == ["agency_officer"] and acc["status"] == "active"
    tok = api.token(acc["client_id"], acc["client_secret"])
    assert api.get("auth/me", token=tok).json()["id"] == acc["id"]
    # shown once: reading it back never returns the secret
    again = api.get(f"accounts/{acc['id']}", token=admin_token).json()
    assert "client_secret" not in again
    stored = db("SELECT secret_hash FROM accounts WHERE id = %s", (acc["id"],))[0][0]
    assert stored.startswith("$argon2id$") and acc["client_secret"] not in stored
    audit = db("SELECT after_json FROM audit_events WHERE action = 'account.create' "
               "AND entity_id = %s", (acc["id"],))
    assert len(audit) == 1 and acc["client_secret"] not in audit[0][0]


def test_focal_point_manages_only_its_own_agency(api, new_agency):
    fp = new_agency("AF", roles="focal_point")
    other = new_agency("AF")
    tok = officer_token(api, fp)
    ok = api.post("accounts", token=tok, json={"agency_id": fp.agency_id,
                                              "name": "n", "roles": ["agency_officer"]})
    assert ok.status_code == 201
    r = api.post("accounts", token=tok, json={"agency_id": other.agency_id,
                                             "name": "n", "roles": ["agency_officer"]})
    assert r.status_code == 404
    listed = api.get("accounts", token=tok).json()["items"]
    assert {x["agency_id"] for x in listed} == {fp.agency_id}
    assert api.post(f"accounts/{other.account_id}/disable", token=tok).status_code == 404


def test_a_focal_point_cannot_give_dic_roles(api, new_agency, db):
    fp = new_agency("AF", roles="focal_point")
    tok = officer_token(api, fp)
    for role in ("dic_admin", "chairman", "auditor", "system"):
        r = api.post("accounts", token=tok, json={"agency_id": fp.agency_id,
                                                 "name": "x", "roles": [role]})
        assert r.status_code == 403, role
    assert db("SELECT COUNT(*) FROM accounts WHERE agency_id = %s", (fp.agency_id,)) == [("1",)]


def test_dic_admin_role_only_inside_the_dic(api, admin_token, new_agency):
    a = new_agency("AC")
    r = api.post("accounts", token=admin_token,
                 json={"agency_id": a.agency_id, "name": "x", "roles": ["dic_admin"]})
    assert r.status_code == 403


def test_officer_cannot_manage_accounts(api, new_agency):
    o = new_agency("AO")
    tok = officer_token(api, o)
    assert api.get("accounts", token=tok).status_code == 403
    r = api.post("accounts", token=tok, json={"agency_id": o.agency_id,
                                             "name": "x", "roles": ["agency_officer"]})
    assert r.status_code == 403


def test_unknown_role_is_422(api, admin_token, new_agency):
    a = new_agency("AC")
    r = api.post("accounts", token=admin_token,
                 json={"agency_id": a.agency_id, "name": "x", "roles": ["king"]})
    assert r.status_code == 422


def test_disable_then_disable_again_is_409(api, admin_token, new_agency, db):
    a = new_agency("AC")
    r = api.post(f"accounts/{a.account_id}/disable", token=admin_token)
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    assert api.post(f"accounts/{a.account_id}/disable", token=admin_token).status_code == 409
    assert db("SELECT status FROM accounts WHERE id = %s", (a.account_id,)) == [("disabled",)]
    rows = db("SELECT before_json, after_json FROM audit_events WHERE action = "
              "'account.disable' AND entity_id = %s", (a.account_id,))
    assert len(rows) == 1
    assert json.loads(rows[0][0])["status"] == "active"
    assert json.loads(rows[0][1])["status"] == "disabled"


def test_rotate_secret_replaces_the_old_one(api, admin_token, new_agency):
    a = new_agency("AC")
    r = api.post(f"accounts/{a.account_id}/rotate-secret", token=admin_token)
    assert r.status_code == 200
    new = r.json()["client_secret"]
    assert new != a.client_secret
    assert api.token_response(a.client_id, a.client_secret).status_code == 401
    assert api.token_response(a.client_id, new).status_code == 200


def test_everyone_reads_their_own_account(api, new_agency):
    o = new_agency("AO")
    tok = officer_token(api, o)
    r = api.get(f"accounts/{o.account_id}", token=tok)
    assert r.status_code == 200 and r.json()["client_id"] == o.client_id
