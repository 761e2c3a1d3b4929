"""Query parameters are declared (issue 17, item 3): every list reads its
filters from one table through http_query_or_reply, so a parameter it does
not declare is a 422 naming it instead of being ignored (?stauts=open would
otherwise answer the unfiltered list), while declared ones, and limit and
cursor, work as before.

The reports (report/filter.c) already refused unknown parameters.
"""

import pytest

# (path, a declared parameter and a value it takes)
LISTS = [
    ("agencies", {"level": "department"}),
    ("accounts", {"agency_id": "1"}),
    ("notifications", {"unread": "true"}),
    ("databases", {"status": "draft"}),
    ("databases/unreviewed", {"year": "2026"}),
    ("datasets", {"status": "draft"}),
    ("services", {"status": "active"}),
    ("catalog/proposals", {"kind": "add"}),
    ("catalog/versions", {"limit": "5"}),
    ("assessments", {"year": "2026"}),
    ("assessments/programme", {"year": "2026"}),
    ("assessments/unassessed", {"year": "2026"}),
    ("assessments/overdue", {"limit": "5"}),
    ("open-data", {"sort": "demand"}),
    ("open-data/overdue", {"agency_id": "1"}),
    ("disputes", {"overdue": "true"}),
    ("sharing-requests", {"side": "provider"}),
    ("grants", {"side": "consumer"}),
    ("access-log", {"outcome": "refused"}),
    ("access-log/export", {"format": "json"}),
    ("usage-reports", {"overdue": "false"}),
    ("error-reports", {"status": "open"}),
    ("holidays", {"year": "2026"}),
    ("holidays/working-days", {"from": "2026-01-05", "days": "3"}),
    ("suspensions", {"late_notice": "true"}),
    ("terminations", {"agency_id": "1"}),
    ("planned-suspensions", {"emergency": "false"}),
    ("search", {"q": "dân cư", "type": "dataset"}),
]


@pytest.fixture(scope="module")
def officer(api, new_agency):
    a = new_agency("QP", "agency_officer")
    return api.token(a.client_id, a.client_secret)


@pytest.fixture
def reader(api, admin_token, officer):
    """reader(path, params) -> (token, response): the first of the DIC
    admin and an agency officer that may read the list."""
    def read(path, params):
        r = None
        for tok in (admin_token, officer):
            r = api.get(path, token=tok, params=params)
            if r.status_code not in (401, 403):
                return tok, r
        return None, r
    return read


def problems(r):
    return {d["field"]: d["problem"] for d in r.json()["error"]["details"]}


@pytest.mark.parametrize("path,declared", LISTS, ids=[p for p, _ in LISTS])
def test_declared_parameter_still_works(reader, path, declared):
    tok, r = reader(path, declared)
    assert tok is not None, f"{path}: no test account may read it: {r.text}"
    assert r.status_code == 200, f"{path}?{declared}: {r.status_code} {r.text}"


@pytest.mark.parametrize("path,declared", LISTS, ids=[p for p, _ in LISTS])
def test_unknown_parameter_is_422_naming_it(api, reader, path, declared):
    tok, r = reader(path, declared)
    assert tok is not None, r.text
    r = api.get(path, token=tok, params={**declared, "stauts": "open"})
    assert r.status_code == 422, f"{path}: {r.status_code} {r.text}"
    e = r.json()["error"]
    assert e["code"] == "validation_failed"
    assert problems(r) == {"stauts": "unknown parameter"}


def test_limit_and_cursor_are_always_known(api, admin_token):
    r = api.get("catalog/versions", token=admin_token, params={"limit": "1"})
    assert r.status_code == 200, r.text
    r = api.get("agencies", token=admin_token, params={"limit": "1"})
    assert r.status_code == 200, r.text
    cursor = r.json()["next_cursor"]
    assert cursor, "the demo data has more than one agency"
    r = api.get("agencies", token=admin_token,
                params={"limit": "1", "cursor": cursor})
    assert r.status_code == 200, r.text


def test_every_bad_value_and_unknown_parameter_is_named_at_once(
        api, admin_token):
    r = api.get("datasets", token=admin_token,
                params={"status": "gone", "agency_id": "0", "colour": "red",
                        "database_id": "x"})
    assert r.status_code == 422, r.text
    p = problems(r)
    assert p["status"].startswith("must be one of: ")
    assert p["agency_id"].startswith("must be an integer between 1 and ")
    assert p["database_id"].startswith("must be an integer between 1 and ")
    assert p["colour"] == "unknown parameter"
    assert len(p) == 4


def test_nested_list_takes_its_parent_from_the_path(api, admin_token):
    """Under /services/{id} the service is the path's: service_id is
    then not a parameter of the list."""
    r = api.get("planned-suspensions", token=admin_token,
                params={"service_id": "1"})
    assert r.status_code == 200, r.text
    r = api.get("services/1/planned-suspensions", token=admin_token,
                params={"service_id": "1"})
    assert r.status_code in (404, 422), r.text
    if r.status_code == 422:
        assert problems(r) == {"service_id": "unknown parameter"}
