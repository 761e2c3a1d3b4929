"""What every report shares (modules/report/filter.c, output.c): DIC admins
and auditors only, the date range on the province's calendar, agency_id,
and JSON or CSV. The figures of each report are checked in
test_report_<name>.py."""

import pytest

from report_helpers import (REPORTS, by, csv_table, db_now, get_report, report,
                            this_year, LOCAL)
from sharing_setup import file_request, grant_account, granted, make_dataset, party


@pytest.fixture(scope="module")
def auditor_token(api, new_agency):
    a = new_agency("RA", "auditor")
    return api.token(a.client_id, a.client_secret)


@pytest.mark.parametrize("name", REPORTS)
def test_no_token_is_401(api, name):
    r = get_report(api, None, name)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("roles", ["agency_officer", "focal_point", "chairman",
                                   "agency_officer,focal_point"])
def test_agency_roles_and_the_chairman_get_403(api, new_agency, roles):
    a = new_agency("RF", roles)
    tok = api.token(a.client_id, a.client_secret)
    for name in REPORTS:
        r = get_report(api, tok, name)
        assert r.status_code == 403, (name, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    assert api.get("reports", tok).status_code == 403


def test_consumer_system_accounts_get_403(api, db, new_agency):
    s = granted(api, db, new_agency)
    _, tok = grant_account(api, s)
    assert get_report(api, tok, "grants").status_code == 403


@pytest.mark.parametrize("name", REPORTS)
def test_auditors_and_dic_read_every_report(api, admin_token, auditor_token, name):
    for tok in (admin_token, auditor_token):
        body = report(api, tok, name)
        assert body["report"] == name
        assert body["agency_id"] is None


def test_index_lists_every_report(api, admin_token, auditor_token):
    for tok in (admin_token, auditor_token):
        r = api.get("reports", tok)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [i["name"] for i in items] == list(REPORTS)
        assert all(i["path"] == f"/api/v1/reports/{i['name']}" for i in items)


def test_default_range_is_the_current_local_year(api, db, admin_token):
    year = (db_now(db) + LOCAL).year
    body = report(api, admin_token, "disputes")
    assert (body["from"], body["to"], body["year"]) == (f"{year}-01-01", f"{year}-12-31",
                                                        year)
    # local midnight (UTC+7) is 17:00 UTC the day before
    assert body["utc_offset_minutes"] == 420
    assert body["range_start"] == f"{year - 1}-12-31T17:00:00Z"
    assert body["range_end"] == f"{year}-12-31T17:00:00Z"


BAD = [
    ({"from": "2025-02-29"}, {"from"}),
    ({"to": "2025-13-01"}, {"to"}),
    ({"from": "25-01-01"}, {"from"}),
    ({"from": "1999-12-31"}, {"from"}),
    ({"to": "2025-01-01T00:00:00Z"}, {"to"}),
    ({"from": "2025-06-02", "to": "2025-06-01"}, {"from"}),
    ({"agency_id": "0"}, {"agency_id"}),
    ({"agency_id": "abc"}, {"agency_id"}),
    ({"format": "xlsx"}, {"format"}),
    ({"form": "csv"}, {"form"}),
    ({"from": "x", "to": "y", "format": "pdf", "limit": "5"},
     {"from", "to", "format", "limit"}),
]


@pytest.mark.parametrize("params,fields", BAD)
def test_bad_parameters_are_422_naming_each(api, admin_token, params, fields):
    for name in ("sharing-requests", "catalog"):
        r = get_report(api, admin_token, name, **params)
        assert r.status_code == 422, r.text
        body = r.json()["error"]
        assert body["code"] == "validation_failed"
        assert {d["field"] for d in body["details"]} == fields


def test_unknown_agency_is_422(api, db, admin_token):
    missing = int(db("SELECT COALESCE(MAX(id), 0) + 1000 FROM agencies")[0][0])
    r = get_report(api, admin_token, "grants", agency_id=missing)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"] == [{"field": "agency_id",
                                             "problem": "no such agency"}]


def test_one_day_range_is_inclusive_on_the_local_calendar(api, db, new_agency,
                                                          admin_token):
    """from and to are whole local days (UTC+7): a request filed at 00:00
    local on 10 March (17:00 UTC on the 9th) belongs to the 10th, one
    filed at 23:59:59 local on the 10th too, one a microsecond later to
    the 11th. The filing times are set with SQL: no API files in the past."""
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    ds = make_dataset(db, provider.agency_id)
    times = ["2025-03-09 16:59:59.999999", "2025-03-09 17:00:00",
             "2025-03-10 16:59:59.999999", "2025-03-10 17:00:00"]
    for t in times:
        req = file_request(api, consumer, ds)
        db("UPDATE sharing_requests SET created_at = %s WHERE id = %s", (t, req["id"]))

    def filed(frm, to):
        return report(api, admin_token, "sharing-requests", agency_id=consumer.agency_id,
                      **{"from": frm, "to": to})["summary"]["filed"]

    assert filed("2025-03-10", "2025-03-10") == 2
    assert filed("2025-03-09", "2025-03-09") == 1
    assert filed("2025-03-11", "2025-03-11") == 1
    assert filed("2025-03-09", "2025-03-11") == 4
    assert filed("2025-01-01", "2025-03-08") == 0
    # and none of them in this year's default range
    assert report(api, admin_token, "sharing-requests",
                  agency_id=consumer.agency_id)["summary"]["filed"] == 0


def test_csv_carries_every_json_figure_with_header_and_attachment(api, db, new_agency,
                                                                  admin_token):
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    req = file_request(api, consumer, make_dataset(db, provider.agency_id))
    assert api.post(f"sharing-requests/{req['id']}/approve", provider.token,
                    json={}).status_code == 200
    params = dict(this_year(db), agency_id=consumer.agency_id)
    js = report(api, admin_token, "sharing-requests", **params)
    r = get_report(api, admin_token, "sharing-requests", format="csv", **params)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == (
        f'attachment; filename="sharing-requests_{params["from"]}_{params["to"]}'
        f'_agency-{consumer.agency_id}.csv"')
    assert r.text.startswith("section,dimension,key,name,metric,value\r\n")
    rows = csv_table(r.text)
    cells = {(x["section"], x["key"], x["metric"]): x["value"] for x in rows}
    # scalars of the head, each figure of an object section, each figure
    # of a list section's rows (keyed by the row's first member)
    assert cells[("report", "", "report")] == "sharing-requests"
    assert cells[("report", "", "agency_id")] == str(consumer.agency_id)
    for k, v in js["summary"].items():
        assert cells[("summary", "", k)] == str(v)
    for k, v in js["by_state"].items():
        assert cells[("by_state", "", k)] == str(v)
    assert cells[("time_to_decide", "", "count")] == "1"
    row = by(js["by_provider"], "agency_id", provider.agency_id)
    line = [x for x in rows if x["section"] == "by_provider"
            and x["key"] == str(provider.agency_id) and x["metric"] == "approved"]
    assert len(line) == 1
    assert line[0]["dimension"] == "agency_id"
    assert line[0]["name"] == row["name"]
    assert line[0]["value"] == "1"


def test_csv_defuses_names_a_spreadsheet_would_run(api, db, admin_token, new_agency):
    """An agency name is input: "=HYPERLINK(...)" must not become a formula."""
    provider, consumer = party(api, new_agency, "RP"), party(api, new_agency, "RC")
    r = api.patch(f"agencies/{provider.agency_id}", admin_token,
                  json={"name": '=HYPERLINK("http://x","y")'})
    assert r.status_code == 200, r.text
    file_request(api, consumer, make_dataset(db, provider.agency_id))
    r = get_report(api, admin_token, "sharing-requests", format="csv",
                   agency_id=consumer.agency_id)
    assert r.status_code == 200
    names = {x["name"] for x in csv_table(r.text)
             if x["section"] == "by_provider"}
    assert names == {"'=HYPERLINK(\"http://x\",\"y\")"}


def test_reading_reports_changes_nothing(api, db, admin_token):
    """Reports are read-only: no audit row, no notification."""
    before = db("SELECT (SELECT COUNT(*) FROM audit_events), "
                "(SELECT COUNT(*) FROM notifications)")
    for name in REPORTS:
        report(api, admin_token, name)
        assert get_report(api, admin_token, name, format="csv").status_code == 200
    assert db("SELECT (SELECT COUNT(*) FROM audit_events), "
              "(SELECT COUNT(*) FROM notifications)") == before
