"""The data portal (portal/) in a real browser: headless Debian Chromium
driven by playwright-core (portal/tests/run.mjs), against this stack.

Each test makes its records through the API, hands them to run.mjs in a
JSON file (DS_PORTAL_WORLD), runs one scenario, asserts the script's exit
code and its "ok" line, then checks in the database that what the browser
did happened. When a scenario fails, run.mjs keeps a screenshot of every
page it had open under $STACK_VAR/portal-artifacts/ (./stack test keeps
that folder when a test fails).
"""

import datetime
import json
import os
import re
import shutil
import subprocess

import pytest

from catalog_helpers import published_dataset, unique

SRC = os.environ.get("DS_SRC") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(SRC, "portal", "tests")
CHROMIUM = "/usr/bin/chromium"

LAND_FIELDS = [
    {"name": "ma_thua", "type": "string", "meaning": "Mã thửa đất", "personal": False},
    {"name": "loai_dat", "type": "string", "meaning": "Loại đất", "personal": False},
    {"name": "dien_tich", "type": "number", "meaning": "Diện tích (m²)", "personal": False},
]
LAND_CSV = ("ma_thua,loai_dat,dien_tich\r\n"
            "T001,Đất ở đô thị,120.5\r\n"
            "T002,Đất trồng lúa,3400\r\n").encode("utf-8")


@pytest.fixture(scope="session")
def portal_runner(tmp_path_factory):
    """run(scenario, world) -> CompletedProcess of node run.mjs."""
    assert os.path.exists(CHROMIUM), "chromium is missing: ./stack installs it (PACKAGES)"
    node = shutil.which("node")
    npm = shutil.which("npm")
    assert node and npm, "node and npm are needed for the portal's browser tests"
    # playwright-core, pinned in package-lock.json, into portal/tests/node_modules.
    p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=TESTS, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"npm ci failed: {p.stdout}\n{p.stderr}"
    workdir = tmp_path_factory.mktemp("portal")
    artifacts = os.path.join(os.environ["STACK_VAR"], "portal-artifacts")

    def run(scenario: str, world: dict) -> subprocess.CompletedProcess:
        path = workdir / f"{scenario}.json"
        path.write_text(json.dumps(world, ensure_ascii=False), encoding="utf-8")
        env = dict(os.environ, DS_PORTAL_WORLD=str(path), DS_ARTIFACTS=artifacts,
                   DS_DOWNLOADS=str(workdir / "downloads"))
        r = subprocess.run([node, os.path.join(TESTS, "run.mjs"), scenario],
                           capture_output=True, text=True, env=env, timeout=240)
        # Shown by pytest when the test fails.
        print(r.stdout)
        print(r.stderr)
        return r

    return run


def creds(agency) -> dict:
    return {"client_id": agency.client_id, "client_secret": agency.client_secret,
            "agency_id": agency.agency_id}


def officer(new_agency, api, prefix):
    a = new_agency(prefix)
    return a, api.token(a.client_id, a.client_secret)


def assert_ok(r, scenario):
    assert r.returncode == 0, f"run.mjs {scenario} exited {r.returncode}"
    assert f"ok - {scenario}" in r.stdout.splitlines()


def int_of(db, sql, params):
    return int(db(sql, params)[0][0])


def test_citizen_finds_land_data_downloads_its_file_and_the_count_rises(
        api, db, new_agency, portal_runner):
    provider, tok = officer(new_agency, api, "PO")
    title = unique("Đất đai")
    ds = published_dataset(api, tok, "open", title=title, fields=LAND_FIELDS,
                           description="Thửa đất, loại đất và diện tích")
    r = api.post(f"datasets/{ds['id']}/files", token=tok, data=LAND_CSV,
                 headers={"Content-Type": "text/csv"}, params={"name": "dat-dai.csv"})
    assert r.status_code == 201, r.text
    before = int_of(db, "SELECT downloads FROM datasets WHERE id = %s", (ds["id"],))

    run = portal_runner("citizen", {"query": "dat dai", "title": title,
                                    "dataset_id": ds["id"], "file_name": "dat-dai.csv",
                                    "file_head": "ma_thua,loai_dat,dien_tich"})

    assert_ok(run, "citizen")
    assert f"downloads {before} -> {before + 1}" in run.stdout
    assert int_of(db, "SELECT downloads FROM datasets WHERE id = %s",
                  (ds["id"],)) == before + 1


def test_refusal_needs_a_reason_and_the_consumer_disputes_it_in_one_click(
        api, db, new_agency, portal_runner):
    consumer, _ = officer(new_agency, api, "PA")
    provider, ptok = officer(new_agency, api, "PB")
    ds = published_dataset(api, ptok, "shared", title=unique("Hộ tịch"))
    ends = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()
    reason = "Dữ liệu đang được chuẩn hóa, chưa đủ điều kiện chia sẻ"

    run = portal_runner("refusal", {"consumer": creds(consumer), "provider": creds(provider),
                                    "dataset_id": ds["id"], "ends_on": ends,
                                    "reason": reason})

    assert_ok(run, "refusal")
    req = db("SELECT id, status, refusal_reason, consumer_agency_id FROM sharing_requests "
             "WHERE dataset_id = %s", (ds["id"],))
    assert len(req) == 1
    req_id, status, stated, consumer_id = req[0]
    assert (status, stated, int(consumer_id)) == ("refused", reason, consumer.agency_id)
    # The refusal without a reason was refused by the API, not only by the page.
    actions = [a for (a,) in db("SELECT action FROM audit_events WHERE entity = "
                                "'sharing_request' AND entity_id = %s ORDER BY id", (req_id,))]
    assert actions == ["sharing_request.create", "sharing_request.refuse"]
    disputes = db("SELECT id, state, category, object_type, object_id, filer_agency_id, "
                  "assignee_agency_id FROM disputes WHERE object_type = 'sharing_request' "
                  "AND object_id = %s", (req_id,))
    assert len(disputes) == 1
    d_id, state, category, _, _, filer, assignee = disputes[0]
    assert (state, category) == ("acknowledged", "refusal")
    assert (int(filer), int(assignee)) == (consumer.agency_id, provider.agency_id)
    assert f"dispute {d_id} acknowledged" in run.stdout
    events = [e for (e,) in db("SELECT action FROM dispute_events WHERE dispute_id = %s "
                               "ORDER BY id", (d_id,))]
    assert events == ["file", "acknowledge"]


def test_provider_approves_with_fewer_fields_and_the_grant_has_only_those(
        api, db, new_agency, portal_runner):
    consumer, ctok = officer(new_agency, api, "AC")
    provider, ptok = officer(new_agency, api, "AP")
    ds = published_dataset(api, ptok, "shared", title=unique("Cấp phép kinh doanh"))
    names = [f["name"] for f in ds["fields"]]
    r = api.post("sharing-requests", token=ctok, json={
        "dataset_id": ds["id"], "purpose": "Thẩm định hồ sơ", "legal_basis": "Nghị định 47/2020/NĐ-CP",
        "fields": names, "term": "indefinite"})
    assert r.status_code == 201, r.text
    req_id = r.json()["id"]

    run = portal_runner("approve", {"provider": creds(provider), "request_id": req_id,
                                    "drop_field": names[-1]})

    assert_ok(run, "approve")
    rows = db("SELECT g.id, g.status, g.fields_json, g.ends_at FROM grants g "
              "WHERE g.request_id = %s", (req_id,))
    assert len(rows) == 1
    gid, status, fields, ends = rows[0]
    assert (status, json.loads(fields), ends) == ("active", names[:-1], None)
    assert f"grant {gid} made" in run.stdout
    assert db("SELECT status FROM sharing_requests WHERE id = %s", (req_id,)) == [("approved",)]


def test_consumer_sees_the_suspension_its_provider_imposed_with_its_terms(
        api, db, new_agency, portal_runner):
    consumer, ctok = officer(new_agency, api, "SC")
    provider, ptok = officer(new_agency, api, "SP")
    ds = published_dataset(api, ptok, "shared", title=unique("Giấy phép xây dựng"))
    r = api.post("sharing-requests", token=ctok, json={
        "dataset_id": ds["id"], "purpose": "Cấp phép", "legal_basis": "Nghị định 47/2020/NĐ-CP",
        "fields": [f["name"] for f in ds["fields"]], "term": "indefinite"})
    assert r.status_code == 201, r.text
    r = api.post(f"sharing-requests/{r.json()['id']}/approve", token=ptok, json={})
    assert r.status_code == 200, r.text
    grant_id = r.json()["grant"]["id"]
    terms = {"violation": "Dữ liệu được chuyển cho bên thứ ba ngoài mục đích đã đăng ký",
             "handling_plan": "Kiểm tra nhật ký truy cập 30 ngày gần nhất",
             "consumer_action": "Báo cáo việc sử dụng dữ liệu và xóa bản sao trong 5 ngày làm việc"}

    run = portal_runner("suspension", {"consumer": creds(consumer), "provider": creds(provider),
                                       "grant_id": grant_id, **terms})

    assert_ok(run, "suspension")
    rows = db("SELECT id, state, violation, handling_plan, consumer_action, legal_ground "
              "FROM suspensions WHERE grant_id = %s", (grant_id,))
    assert len(rows) == 1
    assert rows[0][1:5] == ("in_force", terms["violation"], terms["handling_plan"],
                            terms["consumer_action"])
    assert db("SELECT status FROM grants WHERE id = %s", (grant_id,)) == [("suspended",)]
    assert f"suspension {rows[0][0]} seen by the consumer" in run.stdout


def test_keyboard_alone_reaches_the_search_box_and_the_first_result(
        api, new_agency, portal_runner):
    provider, tok = officer(new_agency, api, "PK")
    title = unique("Đất đai bàn phím")
    ds = published_dataset(api, tok, "open", title=title, fields=LAND_FIELDS)

    run = portal_runner("keyboard", {"query": title, "dataset_id": ds["id"]})

    assert_ok(run, "keyboard")


def test_a_wrong_secret_is_said_in_the_form_and_signing_out_forgets_the_token(
        new_agency, portal_runner):
    a = new_agency("SO")

    run = portal_runner("signout", {"officer": creds(a)})

    assert_ok(run, "signout")
    assert "signed out" in run.stdout


# The gateway's refusals and failures, in the contract's order (issue 18,
# docs/gateway.md): what a service's connection page lists.
GATEWAY_ERRORS = [
    [404, "no_such_service"], [401, "unauthorized"], [403, "no_grant"],
    [403, "grant_suspended"], [403, "grant_terminated"], [403, "grant_expired"],
    [503, "service_suspended"], [403, "undeclared_operation"],
    [429, "rate_limited"], [429, "quota_exceeded"], [413, "payload_too_large"],
    [502, "upstream_refused_address"], [502, "upstream_unreachable"],
    [502, "upstream_redirect"], [502, "bad_upstream_response"],
    [502, "cannot_narrow"], [504, "upstream_timeout"], [503, "database_unavailable"],
]

# A provider's OpenAPI document; one summary carries markup, which the page
# must show as the characters it is.
PARCELS_API = {
    "openapi": "3.0.3",
    "info": {"title": "Tra cứu thửa đất", "version": "1.0"},
    "paths": {
        "/parcels": {"get": {"summary": "Danh sách thửa đất",
                             "responses": {"200": {"description": "ok"}}}},
        "/parcels/{ma_thua}": {"get": {"summary": "Một thửa đất theo mã thửa",
                                       "responses": {"200": {"description": "ok"}}}},
        "/parcels/search": {"post": {"summary": "Tìm <b>theo loại đất</b>",
                                     "responses": {"200": {"description": "ok"}}}},
    },
}


def new_service(api, tok, dataset_id, name) -> dict:
    r = api.post("services", tok, json={
        "dataset_id": dataset_id, "name": name, "protocol": "rest",
        "endpoint": "https://lgsp.example.vn/api/thua-dat", "version": "1.0"})
    assert r.status_code == 201, r.text
    return r.json()


def set_gateway_fields(db, service_id, **fields):
    """Gives a service its gateway fields (sql/0012_gateway.sql) in the
    database: POST/PATCH /services take them only with the catalog's part
    of issue 18, built on another branch; the page reads them from
    GET /services/{id} either way."""
    sets = ", ".join(f"{column} = %s" for column in fields)
    db(f"UPDATE services SET {sets} WHERE id = %s", (*fields.values(), service_id))


def test_a_service_s_connection_page_shows_its_call_url_curl_example_and_error_codes(
        api, db, base_url, new_agency, portal_runner):
    consumer, _ = officer(new_agency, api, "GC")
    provider, ptok = officer(new_agency, api, "GP")
    ds = published_dataset(api, ptok, "shared", title=unique("Thửa đất"), fields=LAND_FIELDS)
    svc = new_service(api, ptok, ds["id"], unique("Tra cứu thửa đất"))
    code = "thua-dat"
    # The test stack allows upstreams on 127.0.0.0/8; nothing is called here.
    set_gateway_fields(db, svc["id"], code=code, upstream_url="http://127.0.0.1:9/api/",
                       rate_limit_per_minute=60, openapi=json.dumps(PARCELS_API))
    gateway_url = f"{base_url}/gw/{provider.code}/{code}/"

    run = portal_runner("connection", {
        "consumer": creds(consumer), "dataset_id": ds["id"], "service_id": svc["id"],
        "name": svc["name"], "code": code, "gateway_url": gateway_url,
        "example_path": "parcels", "audience": f"{provider.code}/{code}",
        "error_codes": GATEWAY_ERRORS,
        "limits": ["5 giây", "30 giây", "60 lời gọi mỗi phút cho mỗi quyền khai thác",
                   "Không giới hạn"],
        "operations": [["GET", "/parcels", "Danh sách thửa đất"],
                       ["GET", "/parcels/{ma_thua}", "Một thửa đất theo mã thửa"],
                       ["POST", "/parcels/search", "Tìm <b>theo loại đất</b>"]],
        "openapi": PARCELS_API})

    assert_ok(run, "connection")
    assert f"service {svc['id']}: {gateway_url}" in run.stdout


def test_a_service_without_an_upstream_is_shown_as_not_callable_through_the_gateway(
        api, db, new_agency, portal_runner):
    provider, tok = officer(new_agency, api, "GN")
    ds = published_dataset(api, tok, "open", title=unique("Đất đai"), fields=LAND_FIELDS)
    svc = new_service(api, tok, ds["id"], unique("Tải dữ liệu đất đai"))
    # A code alone does not make a service callable (gateway_url stays null).
    set_gateway_fields(db, svc["id"], code="dat-dai")

    run = portal_runner("not_callable", {"dataset_id": ds["id"], "service_id": svc["id"],
                                         "name": svc["name"]})

    assert_ok(run, "not_callable")
    assert f"service {svc['id']}: not callable" in run.stdout


# ------------------------------------------------- without the browser

PORTAL = os.path.join(SRC, "portal")


def portal_files(*exts):
    for root, dirs, files in os.walk(PORTAL):
        dirs[:] = [d for d in dirs if d not in ("node_modules", "tests")]
        for f in files:
            if f.endswith(exts):
                yield os.path.join(root, f)


def test_nginx_serves_the_portal_under_the_strict_csp(api):
    r = api.get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert '<script type="module" src="js/app.js">' in r.text
    js = api.get("/js/app.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["Content-Type"]
    texts = api.get("/i18n/vi.json")
    assert texts.status_code == 200 and texts.json()["site.name"] == "Cổng dữ liệu"


def test_the_portal_has_no_inline_script_or_style_and_never_parses_html():
    html = open(os.path.join(PORTAL, "index.html"), encoding="utf-8").read()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, "inline script"
    assert "<style" not in html and "style=" not in html, "inline style"
    assert re.search(r"\son[a-z]+=", html) is None, "inline event handler"
    for path in portal_files(".js"):
        code = open(path, encoding="utf-8").read()
        code = re.sub(r"//[^\n]*", "", code)  # comments may name what is avoided
        for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                       "eval(", "new Function", ".style.", "setAttribute('style'"):
            assert banned not in code, f"{banned} in {path}"


def test_every_text_the_pages_use_exists_in_both_languages():
    vi = json.load(open(os.path.join(PORTAL, "i18n", "vi.json"), encoding="utf-8"))
    en = json.load(open(os.path.join(PORTAL, "i18n", "en.json"), encoding="utf-8"))
    assert set(vi) == set(en)
    assert all(v.strip() for v in [*vi.values(), *en.values()])
    used = set()
    for path in portal_files(".js"):
        code = open(path, encoding="utf-8").read()
        used |= set(re.findall(r"(?<![\w.])t\('([a-z_.\-]+)'", code))
        used |= set(re.findall(r"tOr\('([a-z_.\-]+)'", code))
    used.discard("key")  # the example in i18n.js's comment
    assert used and used <= set(vi), sorted(used - set(vi))
    # Placeholders agree between the languages.
    for k in vi:
        assert set(re.findall(r"\{(\w+)\}", vi[k])) == set(re.findall(r"\{(\w+)\}", en[k])), k
