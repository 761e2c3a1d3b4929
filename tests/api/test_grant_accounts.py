"""Consumer-system accounts of a grant (R4.4; Art. 16.2.e, 17.2.a)."""

from sharing_setup import (audit_actions, grant_account, granted, notifications,
                           party, token)


def test_provider_issues_an_account_bound_to_consumer_and_grant(api, db, new_agency):
    s = granted(api, db, new_agency)
    gid = s.grant["id"]
    r = api.post(f"grants/{gid}/accounts", token=s.provider.token,
                 json={"name": "Hệ thống một cửa"})
    assert r.status_code == 201, r.text
    acc = r.json()
    assert acc["client_secret"] and acc["grant_id"] == gid
    assert acc["agency_id"] == s.consumer.agency_id and acc["status"] == "active"
    assert r.headers["Cache-Control"] == "no-store"
    assert db("SELECT agency_id, grant_id, roles FROM accounts WHERE id = %s",
              (acc["id"],)) == [(str(s.consumer.agency_id), str(gid), "32")]
    tok = token(api, acc["client_id"], acc["client_secret"])
    me = api.get("auth/me", token=tok).json()
    assert me["roles"] == ["system"]
    listed = api.get(f"grants/{gid}/accounts", token=s.consumer.token).json()["items"]
    assert [a["id"] for a in listed] == [acc["id"]]
    assert "client_secret" not in listed[0]
    assert audit_actions(db, "account", acc["id"]) == ["grant_account.create"]
    assert notifications(db, s.consumer.agency_id, "grant_account.issued", gid) == 1


def test_only_the_provider_issues_accounts(api, db, new_agency):
    s = granted(api, db, new_agency)
    gid = s.grant["id"]
    r = api.post(f"grants/{gid}/accounts", token=s.consumer.token, json={"name": "x"})
    assert r.status_code == 403
    other = party(api, new_agency, "AO")
    assert api.post(f"grants/{gid}/accounts", token=other.token,
                    json={"name": "x"}).status_code == 404
    assert api.get(f"grants/{gid}/accounts", token=other.token).status_code == 404


def test_no_account_on_an_expired_or_suspended_grant(api, db, new_agency):
    s = granted(api, db, new_agency)
    gid = s.grant["id"]
    db("UPDATE grants SET status = 'suspended' WHERE id = %s", (gid,))
    r = api.post(f"grants/{gid}/accounts", token=s.provider.token, json={"name": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "grant_suspended"
    db("UPDATE grants SET status = 'active', ends_at = UTC_TIMESTAMP(6) - INTERVAL 1 "
       "MINUTE WHERE id = %s", (gid,))
    r = api.post(f"grants/{gid}/accounts", token=s.provider.token, json={"name": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "grant_expired"


def test_revoked_account_tokens_fail_at_once(api, db, new_agency):
    s = granted(api, db, new_agency)
    gid = s.grant["id"]
    acc, tok = grant_account(api, s)
    assert api.get(f"grants/{gid}", token=tok).status_code == 200
    r = api.post(f"grants/{gid}/accounts/{acc['id']}/revoke", token=s.provider.token)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    # the same, unexpired token is refused on the very next request
    assert api.get(f"grants/{gid}", token=tok).status_code == 401
    assert api.token_response(acc["client_id"], acc["client_secret"]).status_code == 401
    assert api.post(f"grants/{gid}/accounts/{acc['id']}/revoke",
                    token=s.provider.token).status_code == 409
    assert audit_actions(db, "account", acc["id"])[-1] == "grant_account.revoke"
    assert notifications(db, s.consumer.agency_id, "grant_account.revoked", gid) == 1


def test_a_system_account_sees_only_its_own_grant(api, db, new_agency):
    s = granted(api, db, new_agency)
    _, tok = grant_account(api, s)
    # a second grant of the same consumer
    r = api.post("sharing-requests", token=s.consumer.token, json={
        "dataset_id": s.dataset_id, "purpose": "p", "legal_basis": "l",
        "fields": ["ma_ho"], "term": "indefinite"})
    second = api.post(f"sharing-requests/{r.json()['id']}/approve",
                      token=s.provider.token, json={}).json()["grant"]
    assert api.get(f"grants/{second['id']}", token=tok).status_code == 404
    ids = [g["id"] for g in api.get("grants", token=tok).json()["items"]]
    assert ids == [s.grant["id"]]


def test_revoking_an_account_of_another_grant_is_404(api, db, new_agency):
    a = granted(api, db, new_agency)
    b = granted(api, db, new_agency)
    acc, _ = grant_account(api, a)
    assert api.post(f"grants/{b.grant['id']}/accounts/{acc['id']}/revoke",
                    token=b.provider.token).status_code == 404
