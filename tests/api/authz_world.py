"""The records the authorisation matrix (test_authz_matrix.py) sends its
requests at, made through the API as the agencies themselves make them.

A World is one providing agency and one consuming agency with everything
between them: catalog records of the provider (a draft and a listed
database, a draft and a published dataset, open data, a service, a
proposal, an assessment), a sharing request and a grant of the consumer,
accounts, files, reports, suspensions, a termination, a planned
suspension, a dispute, a service the gateway calls and a call through it.
The matrix builds two: "own" (the agencies the actors belong to) and
"other" (two agencies no actor but DIC, the Chairman and the auditor has
anything to do with).

Records are made when first asked for (World.get) and kept; a request
that consumes one (an approval, a lift) makes the matrix drop it
(World.drop), so the next actor that may do it finds a fresh one.
"""

import datetime as dt
import itertools
import random
import time
import uuid

from catalog_helpers import (FIELDS, Actor, add_body, create_database, create_dataset,
                             listed_database, record_assessment, unique)
from gateway_support import stack_conf
from sharing_setup import eventually
from suspension_helpers import suspension_body

NAMES = [f["name"] for f in FIELDS]
_seq = itertools.count(1)
_run = uuid.uuid4().hex[:6]
# Holidays this run adds: far in the future, somewhere else each run.
_FAR = dt.date(2200, 1, 1) + dt.timedelta(days=random.randrange(0, 2000000))


def word() -> str:
    """A word unique to this run and call (search finds it alone)."""
    return f"mx{_run}n{next(_seq)}"


def iso_in(days: float) -> str:
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_bytes() -> bytes:
    """A file of the catalog datasets' structure, new content each call (an
    upload of the current content again answers 200 "unchanged")."""
    return (f"ma_ho_so,ho_ten,ngay_cap\r\nHS{next(_seq):06d},Nguyễn Văn An,"
            "2024-01-02\r\n").encode("utf-8")


class World:
    """One provider and one consumer agency, and their records.

    prov and cons are catalog_helpers.Actor (agency_id, token of an
    agency_officer); dic and chair are the DIC admin's and the Chairman's
    tokens, used where a step belongs to them (reviewing a proposal);
    upstream is the test provider (gateway_support.Upstream) the world's
    gateway service calls.
    """

    def __init__(self, api, db, new_agency, prov, cons, dic, chair, upstream=None):
        self.api, self.db, self.new_agency = api, db, new_agency
        self.prov, self.cons, self.dic, self.chair = prov, cons, dic, chair
        self.upstream = upstream
        self.cache = {}

    # ------------------------------------------------------------ cache

    def get(self, key):
        if key not in self.cache:
            self.cache[key] = getattr(self, "make_" + key)()
        return self.cache[key]

    def drop(self, key):
        self.cache.pop(key, None)

    def _ok(self, r, *codes):
        assert r.status_code in (codes or (200, 201)), \
            f"fixture {r.request.method} {r.request.url}: {r.status_code} {r.text}"
        if r.headers.get("Content-Type", "").startswith("application/json"):
            return r.json()
        return None

    def post(self, token, path, body=None, **kw):
        return self._ok(self.api.post(path, token, json=body, **kw))

    # ---------------------------------------------------------- catalog

    def make_db_draft(self):
        """A draft specialized database: only its owner and oversight see it."""
        return create_database(self.api, self.prov.token)["id"]

    def make_db_listed(self):
        return listed_database(self.api, self.prov.token)["id"]

    def make_review(self):
        return self.post(self.prov.token,
                         f"databases/{self.get('db_draft')}/reviews",
                         {"outcome": "current"})["id"]

    def make_ds_draft(self):
        """A draft dataset whose title holds a word unique to it (search)."""
        self.cache["ds_draft_word"] = word()
        return create_dataset(self.api, self.prov.token, self.get("db_listed"),
                              title=f"Bộ dữ liệu {self.cache['ds_draft_word']}")["id"]

    @property
    def ds_draft_word(self):
        self.get("ds_draft")
        return self.cache["ds_draft_word"]

    def _published(self, classification="shared"):
        ds = create_dataset(self.api, self.prov.token, self.get("db_listed"),
                            classification=classification)
        a = record_assessment(self.api, self.prov.token, ds["id"])
        self.post(self.prov.token, f"datasets/{ds['id']}/publish")
        return ds["id"], a["id"]

    def make_ds_pub(self):
        """A published shared dataset: what consumers ask for."""
        ds, assessment = self._published()
        self.cache["assessment"] = assessment
        return ds

    def make_assessment(self):
        self.get("ds_pub")
        return self.cache["assessment"]

    def make_ds_open(self):
        return self._published("open")[0]

    def make_ds_assessed(self):
        """A draft dataset with a passing assessment: ready to publish."""
        ds = create_dataset(self.api, self.prov.token, self.get("db_listed"))
        record_assessment(self.api, self.prov.token, ds["id"])
        return ds["id"]

    def make_ds_to_withdraw(self):
        return self._published()[0]

    def make_db_to_list(self):
        return create_database(self.api, self.prov.token)["id"]

    def make_db_to_review(self):
        return create_database(self.api, self.prov.token)["id"]

    def make_db_to_withdraw(self):
        return listed_database(self.api, self.prov.token)["id"]

    def upload(self, dataset_id, token=None):
        return self._ok(self.api.post(
            f"datasets/{dataset_id}/files", token or self.prov.token,
            data=csv_bytes(), headers={"Content-Type": "text/csv"}))["id"]

    def make_file_pub(self):
        return self.upload(self.get("ds_pub"))

    def make_file_open(self):
        return self.upload(self.get("ds_open"))

    def service_body(self):
        return {"dataset_id": self.get("ds_pub"), "name": unique("Dịch vụ tra cứu"),
                "protocol": "rest", "endpoint": "https://lgsp.example.vn/api/v1/x",
                "version": "1.0"}

    def make_service(self):
        return self.post(self.prov.token, "services", self.service_body())["id"]

    def make_service_to_deprecate(self):
        return self.post(self.prov.token, "services", self.service_body())["id"]

    def _proposal(self):
        return self.post(self.prov.token, "catalog/proposals", add_body())["id"]

    def _review(self, pid, action):
        self.post(self.dic, f"catalog/proposals/{pid}/review",
                  {"action": action, "notes": "Ý kiến thẩm định"})
        return pid

    def make_proposal(self):
        return self._proposal()

    def make_proposal_submitted(self):
        return self._proposal()

    def make_proposal_returned(self):
        return self._review(self._proposal(), "return")

    def make_proposal_to_resubmit(self):
        return self._review(self._proposal(), "return")

    def make_proposal_recommended(self):
        return self._review(self._proposal(), "recommend")

    def make_proposal_approved(self):
        pid = self._review(self._proposal(), "recommend")
        self.post(self.chair, f"catalog/proposals/{pid}/decision",
                  {"decision": "approve", "notes": "Đồng ý"})
        return pid

    def version_body(self, ready=False):
        """An issue's body; ready: first make sure an approved proposal
        waits, so that the issue has something to apply."""
        if ready:
            self.get("proposal_approved")
        return {"number": unique("QĐ-UBND"), "decision_ref": "Quyết định số 1/QĐ-UBND",
                "issued_on": "2026-03-05"}

    def make_version(self):
        body = self.version_body(ready=True)
        self.drop("proposal_approved")
        return self.post(self.chair, "catalog/versions", body)["id"]

    # ---------------------------------------------------------- sharing

    def request_body(self, dataset_id=None):
        return {"dataset_id": dataset_id or self.get("ds_pub"),
                "purpose": "Xác minh hồ sơ hành chính",
                "legal_basis": "Nghị định 47/2020/NĐ-CP", "fields": NAMES,
                "term": "indefinite"}

    def _request(self):
        return self.post(self.cons.token, "sharing-requests", self.request_body())["id"]

    def _grant(self, cons=None):
        rid = self.post((cons or self.cons).token, "sharing-requests",
                        self.request_body())["id"]
        return self.post(self.prov.token, f"sharing-requests/{rid}/approve",
                         {})["grant"]["id"]

    def make_request(self):
        return self._request()

    def make_request_open(self):
        """A submitted request for the steps that decide it."""
        return self._request()

    def make_grant(self):
        return self._grant()

    def make_sysacc(self):
        """A consumer-system account on the grant: (account, token)."""
        acc = self.post(self.prov.token, f"grants/{self.get('grant')}/accounts",
                        {"name": "he-thong-tiep-nhan"})
        return acc, self.api.token(acc["client_id"], acc["client_secret"])

    def make_sysacc_to_revoke(self):
        return self.post(self.prov.token, f"grants/{self.get('grant')}/accounts",
                         {"name": "he-thong-du-phong"})["id"]

    def make_access_row(self):
        """A delivery through the grant (the consumer's officer downloads),
        which writes an access-log row."""
        g, f = self.get("grant"), self.get("file_pub")
        self._ok(self.api.get(f"data/{g}/files/{f}", self.cons.token))
        return int(self.db("SELECT MAX(id) FROM access_log WHERE grant_id = %s",
                           (g,))[0][0])

    def usage_body(self):
        return {"question": "Báo cáo tình hình sử dụng dữ liệu quý này",
                "due_at": iso_in(10)}

    def make_usage(self):
        return self.post(self.prov.token,
                         f"grants/{self.get('grant')}/usage-report-requests",
                         self.usage_body())["id"]

    def make_usage_to_answer(self):
        return self.make_usage()

    def error_body(self):
        return {"dataset_id": self.get("ds_pub"), "what": "Trường ngày cấp trống",
                "location": "Bản ghi HS000001"}

    def make_error_report(self):
        self.get("grant")  # the consumer receives the dataset
        return self.post(self.cons.token, "error-reports", self.error_body())["id"]

    def make_error_to_ack(self):
        return self.make_error_report()

    def make_error_to_reject(self):
        return self.make_error_report()

    def make_error_to_correct(self):
        eid = self.make_error_report()
        self.post(self.prov.token, f"error-reports/{eid}/acknowledge")
        return eid

    # ------------------------------------------------------- suspension

    def make_grant_s(self):
        """A grant kept for suspensions (suspending it again is allowed)."""
        return self._grant()

    def _suspend(self, grant):
        return self.post(self.prov.token, f"grants/{grant}/suspensions",
                         suspension_body(self.db))["id"]

    def make_suspension(self):
        return self._suspend(self.get("grant_s"))

    def make_suspension_to_lift(self):
        return self._suspend(self._grant())

    def make_grant_to_end(self):
        return self._grant()

    def make_grant_t(self):
        g = self._grant()
        self.post(self.prov.token, f"grants/{g}/termination",
                  {"reason": "Mục đích sử dụng đã kết thúc",
                   "legal_ground": "purpose_ended"})
        return g

    def make_termination(self):
        g = self.get("grant_t")
        return self._ok(self.api.get(f"grants/{g}/termination", self.prov.token))["id"]

    def make_cs_agency(self):
        """A second consumer agency with a live grant from the provider,
        for suspending every grant of an agency at once (kept apart so the
        world's own grant keeps serving)."""
        a = self.new_agency("CS")
        actor = Actor(a.agency_id, a.code, a.account_id,
                      self.api.token(a.client_id, a.client_secret))
        self._grant(actor)
        return a.agency_id

    def planned_body(self):
        return {"reason": "upgrade", "description": "Nâng cấp máy chủ",
                "starts_at": iso_in(40), "ends_at": iso_in(40.25)}

    def make_planned(self):
        return self.post(self.prov.token,
                         f"services/{self.get('service')}/planned-suspensions",
                         self.planned_body())["id"]

    def make_planned_to_cancel(self):
        return self.make_planned()

    # ---------------------------------------------------------- dispute

    def dispute_body(self):
        return {"subject": "Dữ liệu sai lệch", "category": "data",
                "description": "Trường ngày cấp trống với nhiều bản ghi.",
                "agency_id": self.prov.agency_id}

    def make_dispute(self):
        """Filed by the consumer about the provider's data (Art. 18.1: the
        provider is the assignee)."""
        return self.post(self.cons.token, "disputes", self.dispute_body())["id"]

    def make_dispute_to_move(self):
        return self.make_dispute()

    def make_dispute_to_escalate(self):
        return self.make_dispute()

    def make_comment(self):
        return self.post(self.cons.token, f"disputes/{self.get('dispute')}/comments",
                         {"body": "Đề nghị kiểm tra lại"})["id"]

    # ---------------------------------------------------------- gateway

    def make_gw_service(self):
        """A service of the published dataset that the gateway calls: a
        code, and the test provider as its upstream, under a tag of this
        world's (docs/gateway.md, "Registering a service")."""
        tag = uuid.uuid4().hex[:12]
        svc = self.post(self.prov.token, "services", dict(
            self.service_body(), code=f"mx-{tag}", upstream_url=self.upstream.url(tag)))
        self.cache["gw_service_code"] = svc["code"]
        return svc["id"]

    @property
    def gw_service_code(self):
        self.get("gw_service")
        return self.cache["gw_service_code"]

    def make_gw_row(self):
        """A call by the consumer's system through the gateway (the grant
        is on the service's dataset): the id of its access-log row, which
        is committed before the answer ends; its request_in_ms is kept."""
        _, token = self.get("sysacc")
        r = self.api.get(f"/gw/{self.prov.code}/{self.gw_service_code}/echo", token)
        self._ok(r, 200)
        rid = r.headers["X-Request-Id"]

        def row():
            """the call's access-log row"""
            return self.db("SELECT id, request_in_ms FROM access_log "
                           "WHERE request_id = %s AND kind = 'gateway'", (rid,))
        (rowid, at), = eventually(row)
        self.cache["gw_row_ms"] = int(at)
        return int(rowid)

    def opmon_span(self):
        """GET /opmon/records' range: the millisecond of gw_row's call.
        The records of the newest opmon_settle_s seconds (60 by default)
        are held back until no call still running can add one before
        them, so this first waits until the call is older than that."""
        self.get("gw_row")
        at = self.cache["gw_row_ms"]
        settle_ms = int(stack_conf().get("opmon_settle_s", 60)) * 1000
        while True:
            (now,), = self.db("SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)")
            if int(now) > at + settle_ms + 1000:
                return {"records_from": at, "records_to": at}
            time.sleep(min(5.0, (at + settle_ms + 1000 - int(now)) / 1000 + 0.1))

    # ------------------------------------------------------------- auth

    def make_notification(self):
        """The newest notice in the provider's feed (the request filed)."""
        self.get("request")
        return int(self.db("SELECT MAX(id) FROM notifications WHERE agency_id = %s",
                           (self.prov.agency_id,))[0][0])

    def account_body(self):
        return {"agency_id": self.prov.agency_id, "name": unique("can-bo"),
                "roles": ["agency_officer"]}

    def make_spare_account(self):
        """An officer account of the provider that no actor signs in with."""
        return self.post(self.dic, "accounts", self.account_body())["id"]

    def make_account_to_disable(self):
        return self.make_spare_account()

    # ----------------------------------------------------------- global

    @staticmethod
    def holiday_body():
        """A holiday far from any deadline a test counts."""
        day = _FAR + dt.timedelta(days=next(_seq))
        return {"day": day.isoformat(), "name": "Ngày thử"}

    def make_holiday(self):
        day = self.post(self.dic, "holidays", self.holiday_body())["day"]
        return day.replace("-", "")[:8]
