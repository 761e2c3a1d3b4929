"""Comments on a ticket (R8.3): between both sides and DIC, immutable."""

import pytest

from dispute_support import (as_app, dic_account_id, dic_agency_id,
                             error_fields, filed, moved, party)


@pytest.fixture
def filer(api, new_agency):
    return party(api, new_agency, "CF")


@pytest.fixture
def provider(api, new_agency):
    return party(api, new_agency, "CP")


@pytest.fixture
def ticket(api, filer, provider):
    return filed(api, filer.token, agency_id=provider.agency_id)


def comment(api, tok, dispute_id, body):
    return api.post(f"disputes/{dispute_id}/comments", tok, json={"body": body})


def test_both_sides_and_dic_comment_and_read_in_order(api, db, admin_token,
                                                      admin_creds, filer,
                                                      provider, ticket):
    i = ticket["id"]
    said = [(filer, "Xin bổ sung dữ liệu năm 2023"),
            (provider, "Đang kiểm tra"),
            (None, "DIC theo dõi vướng mắc này")]
    for who, text in said:
        r = comment(api, who.token if who else admin_token, i, text)
        assert r.status_code == 201, r.text
        c = r.json()
        assert c["dispute_id"] == i and c["body"] == text
    dic = dic_agency_id(db)
    r = api.get(f"disputes/{i}/comments", provider.token)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(c["author_agency_id"], c["body"]) for c in items] == [
        (filer.agency_id, said[0][1]), (provider.agency_id, said[1][1]),
        (dic, said[2][1])]
    assert items[0]["author_account_id"] == filer.account_id
    assert items[2]["author_account_id"] == dic_account_id(db, admin_creds)
    rows = db("SELECT author_agency_id, body FROM dispute_comments "
              "WHERE dispute_id = %s ORDER BY id", (i,))
    assert rows == [(str(a), b) for a, b in
                    [(filer.agency_id, said[0][1]),
                     (provider.agency_id, said[1][1]), (dic, said[2][1])]]
    # Each comment is audited and reaches the other parties.
    audited = db("SELECT COUNT(*) FROM audit_events WHERE action = "
                 "'dispute.comment' AND entity = 'dispute_comment' AND "
                 "JSON_VALUE(after_json, '$.dispute_id') = %s", (i,))
    assert audited == [("3",)]
    kinds = db("SELECT agency_id, COUNT(*) FROM notifications WHERE entity = "
               "'dispute' AND entity_id = %s AND kind = 'dispute.comment' "
               "GROUP BY agency_id ORDER BY agency_id", (i,))
    # filer: from the provider and DIC; provider: from the filer and DIC.
    assert dict(kinds) == {str(filer.agency_id): "2",
                           str(provider.agency_id): "2"}


def test_comments_page_with_a_cursor(api, filer, ticket):
    for n in range(3):
        assert comment(api, filer.token, ticket["id"], f"c{n}").status_code == 201
    r = api.get(f"disputes/{ticket['id']}/comments", filer.token,
                params={"limit": 2})
    first = r.json()
    assert [c["body"] for c in first["items"]] == ["c0", "c1"]
    r = api.get(f"disputes/{ticket['id']}/comments", filer.token,
                params={"limit": 2, "cursor": first["next_cursor"]})
    assert [c["body"] for c in r.json()["items"]] == ["c2"]
    assert r.json()["next_cursor"] is None


def test_other_agency_cannot_read_or_comment_404(api, db, new_agency,
                                                 ticket):
    outsider = party(api, new_agency, "CO")
    assert api.get(f"disputes/{ticket['id']}/comments",
                   outsider.token).status_code == 404
    r = comment(api, outsider.token, ticket["id"], "xen vào")
    assert r.status_code == 404, r.text
    assert db("SELECT COUNT(*) FROM dispute_comments WHERE dispute_id = %s",
              (ticket["id"],)) == [("0",)]


def test_auditor_reads_comments_but_cannot_write_403(api, new_agency,
                                                     filer, ticket):
    auditor = party(api, new_agency, "CA", "auditor")
    assert comment(api, filer.token, ticket["id"], "một").status_code == 201
    r = api.get(f"disputes/{ticket['id']}/comments", auditor.token)
    assert r.status_code == 200 and len(r.json()["items"]) == 1
    assert comment(api, auditor.token, ticket["id"], "hai").status_code == 403


@pytest.mark.parametrize("body", [{"body": ""}, {}, {"body": 5},
                                  {"body": "x", "author_agency_id": 1}])
def test_bad_comment_is_422(api, filer, ticket, body):
    r = api.post(f"disputes/{ticket['id']}/comments", filer.token, json=body)
    assert r.status_code == 422, r.text
    assert error_fields(r) & {"body", "author_agency_id"}


def test_comment_on_a_closed_ticket_is_409(api, filer, provider, ticket):
    for to in ("acknowledged", "in_progress", "resolved"):
        moved(api, provider.token, ticket["id"], to)
    moved(api, filer.token, ticket["id"], "closed")
    r = comment(api, filer.token, ticket["id"], "thêm")
    assert r.status_code == 409, r.text


def test_comments_are_immutable(api, db, filer, ticket):
    r = comment(api, filer.token, ticket["id"], "bản gốc")
    assert r.status_code == 201
    cid = r.json()["id"]
    base = f"disputes/{ticket['id']}/comments"
    for method in ("PUT", "PATCH", "DELETE"):
        r = api.request(method, base, filer.token, json={"body": "sửa"})
        assert r.status_code == 405, (method, r.text)
        r = api.request(method, f"{base}/{cid}", filer.token, json={"body": "sửa"})
        assert r.status_code in (404, 405), (method, r.text)
    assert db("SELECT body FROM dispute_comments WHERE id = %s", (cid,)) == [
        ("bản gốc",)]
    # The modules' own database account cannot change or remove them, nor
    # rewrite the history of a ticket's steps.
    for sql in (f"UPDATE dispute_comments SET body = 'x' WHERE id = {cid}",
                f"DELETE FROM dispute_comments WHERE id = {cid}",
                "UPDATE dispute_events SET reason = 'x' WHERE dispute_id = "
                f"{ticket['id']}",
                f"DELETE FROM dispute_events WHERE dispute_id = {ticket['id']}"):
        p = as_app(sql)
        assert p.returncode != 0 and "command denied" in p.stderr, (sql, p.stderr)
    assert as_app(f"SELECT body FROM dispute_comments WHERE id = {cid}"
                  ).stdout.strip() == "bản gốc"
    assert db("SELECT body FROM dispute_comments WHERE id = %s", (cid,)) == [
        ("bản gốc",)]
