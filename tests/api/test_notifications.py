"""The notification feed of the caller's agency. Modules add notifications
inside their transactions; here rows are put in directly (as the producing
modules' own tests do through the API) to check the feed itself."""


def add(db, agency_id, kind):
    db("INSERT INTO notifications (agency_id, kind, entity, entity_id, payload_json) "
       "VALUES (%s, %s, 'test', 1, '{\"a\": 1}')", (agency_id, kind))


def test_feed_is_newest_first_paged_and_scoped(api, new_agency, db):
    a, b = new_agency("NF"), new_agency("NF")
    for i in range(5):
        add(db, a.agency_id, f"k{i}")
    add(db, b.agency_id, "other")
    tok = api.token(a.client_id, a.client_secret)
    p1 = api.get("notifications?limit=3", token=tok).json()
    assert [n["kind"] for n in p1["items"]] == ["k4", "k3", "k2"]
    assert p1["items"][0]["payload"] == {"a": 1}
    p2 = api.get(f"notifications?limit=3&cursor={p1['next_cursor']}", token=tok).json()
    assert [n["kind"] for n in p2["items"]] == ["k1", "k0"]
    assert p2["next_cursor"] is None


def test_mark_read_and_unread_filter(api, new_agency, db):
    a, b = new_agency("NF"), new_agency("NF")
    add(db, a.agency_id, "x")
    nid = int(db("SELECT MAX(id) FROM notifications WHERE agency_id = %s", (a.agency_id,))[0][0])
    tb = api.token(b.client_id, b.client_secret)
    assert api.post(f"notifications/{nid}/read", token=tb).status_code == 404
    ta = api.token(a.client_id, a.client_secret)
    r = api.post(f"notifications/{nid}/read", token=ta)
    assert r.status_code == 200 and r.json()["read_at"]
    assert api.post(f"notifications/{nid}/read", token=ta).status_code == 200
    assert api.get("notifications?unread=true", token=ta).json()["items"] == []
    assert db("SELECT read_at IS NOT NULL FROM notifications WHERE id = %s", (nid,)) == [("1",)]
