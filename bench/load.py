#!/usr/bin/env python3
"""Loads a province-sized catalog into a datashare database, fast.

    load.py --mycnf VAR/my.cnf --out DIR [--agencies N --datasets N
            --grants N --access-log N] [--gateway]
            [--gateway-log N --gateway-log-days D --gateway-log-end-days E]

Generates tab-separated files in DIR and loads them with LOAD DATA LOCAL
INFILE as MariaDB's root over the stack's unix socket (never through the
API: a million access-log rows through HTTP would take longer than the
benchmark). It follows the schema of each applied migration and loads only
the tables that exist: foundation (0001: agencies), catalog (0002:
databases, datasets, services, search documents), sharing (0003: requests,
grants, access log with its hash chain, one warehouse file) and, asked
to, what the gateway's benchmark needs (0012: a dataset of eight fields
for the benchmark's service; N gateway calls in the access log, sealed
like the rest). It prints one JSON line describing what it made (id
ranges the benchmark draws from).

Rows are made with explicit ids from the table's current maximum + 1, so
the benchmark knows its ranges without asking. Accounts are not made here:
their secrets need argon2id hashes, which datashare-admin makes.
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import time

# Vietnamese words for titles and descriptions, so that search works on
# realistic text: the benchmark's queries use some of them with and
# without diacritics.
KINDS = ["Dữ liệu", "Danh mục", "Danh sách", "Thống kê", "Báo cáo",
         "Sổ đăng ký", "Bản đồ", "Hồ sơ"]
SUBJECTS = ["dân cư", "đất đai", "y tế", "giáo dục", "doanh nghiệp",
            "hộ tịch", "giao thông", "môi trường", "tài nguyên nước",
            "bảo hiểm xã hội", "lao động việc làm", "nông nghiệp",
            "thủy sản", "du lịch", "văn hóa", "xây dựng", "quy hoạch",
            "thuế", "ngân sách", "khí tượng thủy văn", "cán bộ công chức",
            "thủ tục hành chính", "an sinh xã hội", "hộ nghèo", "trường học",
            "bệnh viện", "giấy phép lái xe", "đăng ký kinh doanh",
            "công trình", "rừng phòng hộ"]
PLACES = ["Tuy Hòa", "Sông Cầu", "Đông Hòa", "Tây Hòa", "Phú Hòa", "Tuy An",
          "Đồng Xuân", "Sơn Hòa", "Sông Hinh", "Phú Yên"]
AGENCY_KINDS = [("department", "Sở"), ("district", "UBND huyện"),
                ("commune", "UBND xã"), ("enterprise", "Công ty")]
FIELDS = [("ma_dinh_danh", "string", "Mã định danh", False),
          ("ho_ten", "string", "Họ và tên", True),
          ("ngay_sinh", "date", "Ngày sinh", True),
          ("dia_chi", "string", "Địa chỉ thường trú", True),
          ("ma_don_vi", "string", "Mã đơn vị hành chính", False),
          ("so_luong", "integer", "Số lượng", False),
          ("ngay_cap_nhat", "datetime", "Ngày cập nhật", False),
          ("ghi_chu", "string", "Ghi chú", False)]


def tsv(value):
    """One field of a LOAD DATA file (its default escapes)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    s = str(value)
    return (s.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n"))


class Db:
    """The mariadb client as root over the stack's socket."""

    def __init__(self, mycnf):
        self.mycnf = mycnf

    def run(self, sql, local=False, tries=1):
        """Runs sql; tries > 1 retries a failed run (a statement that
        failed has rolled back), for the view below whose temporary table
        lives in MariaDB's tmpdir, which other users of /tmp may clean."""
        for attempt in range(tries):
            p = self.run_once(sql, local)
            if p.returncode == 0 or attempt == tries - 1:
                break
            print(f"load.py: retrying after: {p.stderr.strip()}",
                  file=sys.stderr)
            time.sleep(1)
        if p.returncode != 0:
            sys.exit(f"load.py: SQL failed: {p.stderr.strip()}\n{sql[:600]}")
        return [line.split("\t") for line in p.stdout.splitlines()]

    def run_once(self, sql, local):
        cmd = ["mariadb", f"--defaults-file={self.mycnf}", "-N", "-B",
               "--default-character-set=utf8mb4", "datashare"]
        if local:
            cmd.insert(2, "--local-infile=1")
        return subprocess.run(cmd, input=sql, capture_output=True,
                              text=True, timeout=1800)

    def value(self, sql):
        rows = self.run(sql)
        return rows[0][0] if rows else None

    def tables(self):
        return {r[0] for r in self.run(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'datashare'")}

    def next_id(self, table):
        return int(self.value(f"SELECT COALESCE(MAX(id), 0) + 1 FROM `{table}`"))

    def load(self, path, table, cols, unique_checks=False):
        """LOAD DATA with the checks a bulk load may skip: the generator
        makes consistent rows, and InnoDB would check each foreign key and
        unique key row by row otherwise.

        unique_checks=True keeps them for a table that the modules read
        while it is loaded: with both checks off, MariaDB (10.6+, MDEV-515)
        loads an empty table in bulk under a table lock, and a module
        master's sealing SELECT on the access log that began just before
        was seen to hang with the LOAD for good (10.11.19, the gateway's
        20-million-row load: both threads waiting in InnoDB, neither
        timing out). Kept on, the load is row by row, as any insert."""
        collist = ", ".join(f"`{c}`" for c in cols)
        self.run("SET SESSION foreign_key_checks = 0;\n"
                 f"SET SESSION unique_checks = {int(unique_checks)};\n"
                 f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table}` "
                 f"CHARACTER SET utf8mb4 ({collist});\n", local=True)


def columns(db, table):
    return {r[0] for r in db.run(
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = 'datashare' AND table_name = '{table}'")}


def write_rows(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write("\t".join(tsv(v) for v in row))
            f.write("\n")


def dt(t):
    """A DATETIME(6) value as the server prints it."""
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


# --------------------------------------------------------------- foundation

def load_agencies(db, out, n, rnd):
    first = db.next_id("agencies")
    rows = []
    for i in range(n):
        aid = first + i
        level, prefix = AGENCY_KINDS[i % len(AGENCY_KINDS)]
        subject = SUBJECTS[i % len(SUBJECTS)]
        place = PLACES[i % len(PLACES)]
        rows.append((aid, f"BENCH{aid:05d}", f"{prefix} {subject} {place} {aid}",
                     f"Agency {aid}", level, None))
    path = os.path.join(out, "agencies.tsv")
    write_rows(path, rows)
    db.load(path, "agencies", ["id", "code", "name", "name_en", "level",
                               "parent_id"])
    return first, first + n - 1


# ------------------------------------------------------------------ catalog

def classification_of(dataset_id):
    """Open, shared or restricted by id, so the benchmark can draw ids of
    one class: open when id % 10 < 3, restricted when id % 10 == 9."""
    r = dataset_id % 10
    return "open" if r < 3 else ("restricted" if r == 9 else "shared")


def load_catalog(db, out, agencies, n_datasets, rnd, now, gateway=False):
    a_first, a_last = agencies
    n_agencies = a_last - a_first + 1
    per_db = max(1, n_datasets // (2 * n_agencies))
    db_first = db.next_id("databases")
    ds_first = db.next_id("datasets")
    sv_first = db.next_id("services")
    dbs, datasets, services = [], [], []
    db_id = db_first
    ds_id = ds_first
    for k in range(n_agencies):
        agency = a_first + k
        for kind in ("shared", "specialized"):
            if len(datasets) >= n_datasets:
                break
            subject = SUBJECTS[(k + len(dbs)) % len(SUBJECTS)]
            location = ("provincial_data_centre" if kind == "shared"
                        else "agency")
            dbs.append((db_id, agency, kind, f"CSDL {subject} {agency}-{kind}",
                        f"Phòng dữ liệu {agency}", f"Quản lý {subject}",
                        f"Toàn tỉnh Phú Yên, {subject}",
                        f"Mã định danh {subject}", location, "listed",
                        dt(now - datetime.timedelta(days=400))))
            count = per_db if (k < n_agencies - 1 or kind == "shared") else \
                n_datasets - len(datasets)
            count = min(count, n_datasets - len(datasets))
            for j in range(count):
                datasets.append(dataset_row(ds_id, db_id, rnd, now))
                if ds_id % 10 == 5:
                    services.append(service_row(sv_first + len(services),
                                                ds_id, agency))
                ds_id += 1
            db_id += 1
    # whatever is left (n_datasets not a multiple) goes to the last database
    while len(datasets) < n_datasets:
        datasets.append(dataset_row(ds_id, db_id - 1, rnd, now))
        ds_id += 1
    # The gateway benchmark's dataset: all eight fields, shared, in the
    # first agency's shared database, outside the range the benchmark
    # draws ids from (its id would give it another class by id % 10).
    gw_dataset = None
    if gateway:
        gw_dataset = ds_id
        datasets.append(dataset_row(gw_dataset, db_first, rnd, now,
                                    fields=FIELDS, cls="shared"))
    write_rows(os.path.join(out, "databases.tsv"), dbs)
    db.load(os.path.join(out, "databases.tsv"), "databases",
            ["id", "agency_id", "kind", "name", "managing_unit", "objective",
             "scope", "master_data", "location", "status", "listed_at"])
    write_rows(os.path.join(out, "datasets.tsv"), datasets)
    db.load(os.path.join(out, "datasets.tsv"), "datasets",
            ["id", "database_id", "title", "description", "keywords",
             "update_frequency", "classification", "excluded", "status",
             "published_at", "fields_json", "technical_guide",
             "update_due_at", "views", "downloads"])
    write_rows(os.path.join(out, "services.tsv"), services)
    db.load(os.path.join(out, "services.tsv"), "services",
            ["id", "dataset_id", "agency_id", "name", "protocol", "endpoint",
             "version", "guide", "status"])
    search_documents(db)
    made = {"databases": [db_first, db_id - 1],
            "datasets": [ds_first, ds_id - 1],
            "services": [sv_first, sv_first + len(services) - 1],
            "per_database": per_db}
    if gw_dataset is not None:
        made["gateway_dataset"] = gw_dataset
    return made


def dataset_row(ds_id, db_id, rnd, now, fields=None, cls=None):
    kind = KINDS[ds_id % len(KINDS)]
    subject = SUBJECTS[(ds_id // 7) % len(SUBJECTS)]
    place = PLACES[(ds_id // 3) % len(PLACES)]
    year = 2015 + ds_id % 10
    title = f"{kind} {subject} {place} năm {year} số {ds_id}"
    other = SUBJECTS[rnd.randrange(len(SUBJECTS))]
    description = (f"{kind} về {subject} trên địa bàn {place}, cập nhật "
                   f"định kỳ; liên quan đến {other}. Phục vụ thủ tục hành "
                   f"chính và khai thác dùng chung.")
    keywords = json.dumps([subject, place, other], ensure_ascii=False)
    fields = fields or dataset_fields(ds_id)
    fields_json = json.dumps([{"name": f[0], "type": f[1], "meaning": f[2],
                               "personal": f[3]} for f in fields],
                             ensure_ascii=False)
    published = now - datetime.timedelta(days=1 + ds_id % 300,
                                          seconds=ds_id % 86400)
    cls = cls or classification_of(ds_id)
    due = published + datetime.timedelta(days=91) if cls == "open" else None
    return (ds_id, db_id, title, description, keywords, "monthly", cls, 0,
            "published", dt(published), fields_json,
            "Kết nối qua LGSP, REST/JSON.", dt(due) if due else None,
            rnd.randrange(1000), rnd.randrange(100))


def dataset_fields(ds_id):
    """Five fields, the first always ma_dinh_danh (so the benchmark can
    ask for it of any dataset), the others by id."""
    return [FIELDS[0]] + [FIELDS[1 + (ds_id + k) % (len(FIELDS) - 1)]
                          for k in range(4)]


def service_row(sv_id, ds_id, agency):
    return (sv_id, ds_id, agency, f"Dịch vụ chia sẻ bộ dữ liệu {ds_id}",
            "rest", f"https://lgsp.phuyen.gov.vn/api/ds/{ds_id}", "1.0",
            "Hướng dẫn kết nối qua LGSP.", "active")


def search_documents(db):
    """The search documents as the catalog module defines them: its view
    search_source (0002) says what each document holds."""
    if "search_documents" not in db.tables():
        return
    for doc_type in ("database", "dataset", "service"):
        db.run("SET SESSION innodb_ft_enable_stopword = OFF;\n"
               "INSERT INTO search_documents (doc_type, ref_id, agency_id, "
               "database_id, db_kind, classification, visibility, title, "
               "content) SELECT doc_type, ref_id, agency_id, database_id, "
               "db_kind, classification, visibility, title, content "
               f"FROM search_source WHERE doc_type = '{doc_type}';\n",
               tries=3)


# ------------------------------------------------------------------ sharing

# The access chain's columns, in the order modules/core/chain_seal.c hashes
# them (ACCESS_COLS); the loader seals the rows itself, as the sealer
# would, so the benchmark does not start with a million unsealed rows.
ACCESS_COLS = ["id", "created_at", "account_id", "agency_id", "grant_id",
               "provider_agency_id", "consumer_agency_id", "dataset_id",
               "service_id", "file_id", "request_path", "outcome", "reason",
               "http_status", "bytes", "sha256", "narrowed", "remote_addr",
               "request_id"]


def chain_text(v):
    return "\\N" if v is None else str(v)


def load_sharing(db, out, agencies, catalog, n_grants, n_log, hot_rows, rnd,
                 now, creator):
    """Approved requests and their active grants between random agencies
    over shared datasets, then the access log: hot_rows rows for the first
    grant (the one the benchmark pages through), the rest spread."""
    ds_first, ds_last = catalog["datasets"]
    per_db = catalog["per_database"]
    db_first = catalog["databases"][0]
    a_first, a_last = agencies
    rq_first = db.next_id("sharing_requests")
    gr_first = db.next_id("grants")
    requests, grants, meta = [], [], []
    for i in range(n_grants):
        while True:
            ds = rnd.randint(ds_first, ds_last)
            if classification_of(ds) == "shared":
                break
        database = min(db_first + (ds - ds_first) // per_db,
                       catalog["databases"][1])
        provider = a_first + (database - db_first) // 2
        provider = min(provider, a_last)
        consumer = provider
        while consumer == provider:
            consumer = rnd.randint(a_first, a_last)
        # the grant covers the first three fields of the dataset
        fields = json.dumps([f[0] for f in dataset_fields(ds)[:3]])
        created = now - datetime.timedelta(days=120, seconds=i)
        rid, gid = rq_first + i, gr_first + i
        requests.append((rid, consumer, provider, ds, None,
                         "Phục vụ giải quyết thủ tục hành chính",
                         "Nghị định 47/2020/NĐ-CP", fields, "indefinite",
                         dt(created), None, "approved",
                         dt(created + datetime.timedelta(days=10)),
                         dt(created + datetime.timedelta(days=2)), creator,
                         creator, dt(created)))
        grants.append((gid, rid, provider, consumer, ds, None, "active",
                       dt(created + datetime.timedelta(days=2)), None, fields,
                       creator, dt(created + datetime.timedelta(days=2))))
        meta.append((gid, provider, consumer, ds))
    write_rows(os.path.join(out, "requests.tsv"), requests)
    db.load(os.path.join(out, "requests.tsv"), "sharing_requests",
            ["id", "consumer_agency_id", "provider_agency_id", "dataset_id",
             "service_id", "purpose", "legal_basis", "fields_json", "term",
             "starts_at", "ends_at", "status", "due_at", "decided_at",
             "decided_by", "created_by", "created_at"])
    write_rows(os.path.join(out, "grants.tsv"), grants)
    db.load(os.path.join(out, "grants.tsv"), "grants",
            ["id", "request_id", "provider_agency_id", "consumer_agency_id",
             "dataset_id", "service_id", "status", "starts_at", "ends_at",
             "fields_json", "created_by", "created_at"])
    log_range = load_access_log(db, out, meta, n_log, hot_rows, rnd, now)
    return {"requests": [rq_first, rq_first + n_grants - 1],
            "grants": [gr_first, gr_first + n_grants - 1],
            "hot_grant": meta[0], "access_log": log_range}


def load_access_log(db, out, meta, n_log, hot_rows, rnd, now):
    head = db.run("SELECT seq, hash FROM chain_heads WHERE chain = 'access'")
    if not head:
        sys.exit("load.py: no 'access' chain head: is 0003 applied?")
    seq, prev = int(head[0][0]), head[0][1]
    unsealed = int(db.value("SELECT COUNT(*) FROM access_log WHERE seq IS NULL"))
    if unsealed:
        sys.exit("load.py: the access log has unsealed rows; load into a "
                 "fresh stack")
    first = db.next_id("access_log")
    start = now - datetime.timedelta(days=80)
    step = datetime.timedelta(days=79) / max(1, n_log)
    path = os.path.join(out, "access_log.tsv")
    cols = ACCESS_COLS + ["seq", "prev_hash", "hash"]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i in range(n_log):
            g = meta[0] if i < hot_rows else meta[rnd.randrange(len(meta))]
            gid, provider, consumer, ds = g
            delivered = rnd.random() < 0.97
            row = [first + i, dt(start + step * i), None, consumer, gid,
                   provider, consumer, ds, None, None,
                   f"/api/v1/data/{gid}/files/1",
                   "delivered" if delivered else "refused",
                   None if delivered else "suspended",
                   200 if delivered else 403,
                   102400 if delivered else None,
                   hashlib.sha256(str(i).encode()).hexdigest() if delivered
                   else None, 0, "127.0.0.1", f"bench{first + i:x}"]
            content = "".join(chain_text(v) + "\x1f" for v in row)
            h = hashlib.sha256((prev + "\n" + content).encode()).hexdigest()
            seq += 1
            f.write("\t".join(tsv(v) for v in row + [seq, prev, h]))
            f.write("\n")
            prev = h
    db.load(path, "access_log", cols, unique_checks=True)
    db.run(f"UPDATE chain_heads SET seq = {seq}, hash = '{prev}' "
           f"WHERE chain = 'access'")
    return [first, first + n_log - 1]


# ------------------------------------------------------------------ gateway

# A gateway call's operational fields (0012), hashed as the chain's last
# column "tail" (chain_seal.c, ACCESS_TAIL): CONCAT_WS(0x1f, 'gateway',
# each of these with NULL as \N).
GATEWAY_TAIL = ["method", "request_in_ms", "request_out_ms",
                "response_in_ms", "response_out_ms", "succeeded",
                "fault_code", "fault_text", "request_bytes",
                "request_sha256", "bodies_kept"]
EMPTY_SHA = hashlib.sha256(b"").hexdigest()
# What calls end in, by share of a thousand: (outcome, status, fault code,
# fault text). The provider's own 4xx/5xx are delivered; the gateway's
# refusals and failures carry its codes (docs/gateway.md).
GATEWAY_ENDS = ([("delivered", 200, None, None)] * 950 +
                [("delivered", 404, None, None)] * 8 +
                [("delivered", 500, None, None)] * 2 +
                [("refused", 401, "unauthorized", "the token has expired")] * 8 +
                [("refused", 403, "grant_suspended", "the grant is suspended")] * 6 +
                [("refused", 429, "rate_limited", "the grant's calls a "
                  "minute reached the service's limit")] * 11 +
                [("failed", 502, "upstream_unreachable", "the provider's "
                  "service cannot be reached")] * 9 +
                [("failed", 504, "upstream_timeout", "the provider did not "
                  "answer within the service's timeout")] * 6)


def gateway_callers(db, out):
    """The grants whose dataset has a service, each with a system account
    (made here, with a secret hash nothing verifies: these accounts only
    appear in the log, no one logs in with them)."""
    rows = db.run(
        "SELECT g.id, g.provider_agency_id, g.consumer_agency_id, "
        "g.dataset_id, MIN(s.id), pa.code FROM grants g "
        "JOIN services s ON s.dataset_id = g.dataset_id "
        "JOIN agencies pa ON pa.id = g.provider_agency_id "
        "WHERE g.status = 'active' GROUP BY g.id ORDER BY g.id")
    if not rows:
        sys.exit("load.py: no grant on a dataset with a service: load the "
                 "catalog and sharing first")
    first = db.next_id("accounts")
    accounts, callers = [], []
    for k, (gid, prov, cons, ds, svc, pcode) in enumerate(rows):
        aid = first + k
        accounts.append((aid, cons, f"He thong goi LGSP {gid}",
                         f"bench-gw-{gid}-{aid}", "!", 32, "active", gid))
        callers.append((int(gid), int(prov), int(cons), int(ds), int(svc),
                        pcode, aid))
    path = os.path.join(out, "gw_accounts.tsv")
    write_rows(path, accounts)
    db.load(path, "accounts", ["id", "agency_id", "name", "client_id",
                               "secret_hash", "roles", "status", "grant_id"])
    return callers


def load_gateway_log(db, out, n, days, end_days, rnd, now, chunk=500000):
    """n gateway calls over `days` days ending `end_days` days ago, one
    row each in the access log, sealed into the 'access' chain exactly as
    chain_seal.c hashes them (the operational fields as the tail column),
    so that datashare-admin verify passes. Written and loaded in chunks,
    each chunk loaded while the next is written; a chunk's file is removed
    once loaded. Returns the id range and the time range (ms)."""
    import threading
    head = db.run("SELECT seq, hash FROM chain_heads WHERE chain = 'access'")
    seq, prev = int(head[0][0]), head[0][1]
    if int(db.value("SELECT COUNT(*) FROM access_log WHERE seq IS NULL")):
        sys.exit("load.py: the access log has unsealed rows; load into a "
                 "fresh stack")
    callers = gateway_callers(db, out)
    # a few grants make most calls, as in a province
    weights = [1.0 / (k + 1) ** 0.8 for k in range(len(callers))]
    picks = rnd.choices(range(len(callers)), weights, k=65536)
    first = db.next_id("access_log")
    epoch = datetime.datetime(1970, 1, 1)
    end_ms = int((now - epoch).total_seconds() * 1000) - end_days * 86400000
    start_ms = end_ms - days * 86400000
    step = (end_ms - start_ms) / max(1, n)
    digests = [hashlib.sha256(b"%d" % k).hexdigest() for k in range(4096)]
    cols = ACCESS_COLS + ["kind"] + GATEWAY_TAIL + ["seq", "prev_hash",
                                                     "hash"]
    US = "\x1f"
    sha256 = hashlib.sha256
    loader, lo, part = None, 0, 0
    while lo < n:
        path = os.path.join(out, f"gw_log_{part}.tsv")
        hi = min(n, lo + chunk)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            lines = []
            for i in range(lo, hi):
                gid, prov, cons, ds, svc, pcode, acc = callers[
                    picks[i & 65535]]
                r = rnd.random()
                t_in = start_ms + int(i * step)
                end = GATEWAY_ENDS[int(r * 1000)]
                outcome, status, fault, text = end
                get = (i % 7) != 0
                method = "GET" if get else "POST"
                req_bytes = "0" if get else str(200 + i % 1800)
                req_sha = EMPTY_SHA if get else digests[(i * 7) & 4095]
                rid = f"{(first + i) * 2654435761 & (2**64 - 1):016x}" \
                      f"{i:016x}"
                if outcome == "refused":
                    t_out = t_rin = t_rout = "\\N"
                    done = t_in + 2
                    acct = "\\N" if status == 401 else str(acc)
                    agency = "\\N" if status == 401 else str(cons)
                    grant = "\\N" if status == 401 else str(gid)
                    consumer = "\\N" if status == 401 else str(cons)
                    resp_bytes = str(130 + len(text))
                    narrowed = "0"
                else:
                    out_ms = t_in + 1 + (i & 1)
                    rin = out_ms + 8 + int(r * 97731) % 240
                    rout = rin + (i * 13) % 40
                    t_out, t_rin, t_rout = str(out_ms), str(rin), str(rout)
                    done = rout + 1
                    acct, agency, grant, consumer = (str(acc), str(cons),
                                                     str(gid), str(cons))
                    resp_bytes = str(120 if outcome == "failed" else
                                     900 + (i * 31) % 99000)
                    narrowed = "1" if (outcome == "delivered" and
                                       status == 200 and i % 5 < 3) else "0"
                created = epoch + datetime.timedelta(milliseconds=done,
                                                     microseconds=i % 997)
                delivered = outcome == "delivered"
                row = [str(first + i), dt(created), acct, agency, grant,
                       str(prov), consumer, str(ds), str(svc), "\\N",
                       f"/gw/{pcode}/dv-{svc}/ho-so/{(i * 17) % 100000}"
                       f"?trang={i % 9 + 1}",
                       outcome, "\\N" if delivered else fault, str(status),
                       resp_bytes, digests[(i * 3 + 1) & 4095], narrowed,
                       f"10.{(cons >> 8) & 255}.{cons & 255}.{gid % 250 + 2}",
                       rid]
                tail = [method, str(t_in), t_out, t_rin, t_rout,
                        "1" if delivered and status < 500 else "0",
                        fault or "\\N", text or "\\N", req_bytes, req_sha,
                        "0"]
                content = US.join(row) + US + "gateway" + US + \
                    US.join(tail) + US
                h = sha256(f"{prev}\n{content}".encode()).hexdigest()
                seq += 1
                lines.append("\t".join(row) + "\tgateway\t" +
                             "\t".join(tail) + f"\t{seq}\t{prev}\t{h}\n")
                prev = h
                if len(lines) >= 10000:
                    f.write("".join(lines))
                    lines = []
            f.write("".join(lines))
        lo = hi
        if loader is not None:
            loader.join()
        loader = threading.Thread(target=load_and_remove, args=(
            db, path, cols))
        loader.start()
        part += 1
    if loader is not None:
        loader.join()
    db.run(f"UPDATE chain_heads SET seq = {seq}, hash = '{prev}' "
           f"WHERE chain = 'access'")
    return {"rows": n, "ids": [first, first + n - 1],
            "request_in_ms": [start_ms, end_ms], "callers": len(callers),
            "busiest_service": callers[0][4],
            "days": days, "end_days": end_days}


def load_and_remove(db, path, cols):
    db.load(path, "access_log", cols, unique_checks=True)
    os.remove(path)


# --------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mycnf", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--agencies", type=int, default=500)
    ap.add_argument("--datasets", type=int, default=100000)
    ap.add_argument("--grants", type=int, default=5000)
    ap.add_argument("--access-log", type=int, default=1000000)
    ap.add_argument("--hot-rows", type=int, default=None,
                    help="access-log rows of the first grant "
                         "(default: a tenth of them)")
    ap.add_argument("--creator", type=int, default=1,
                    help="account id recorded as creator of requests")
    ap.add_argument("--seed", type=int, default=47)
    ap.add_argument("--gateway", action="store_true",
                    help="also a dataset of all eight fields for the "
                         "gateway's benchmark service")
    ap.add_argument("--gateway-log", type=int, default=0,
                    help="gateway calls to write into the access log")
    ap.add_argument("--gateway-log-days", type=int, default=91,
                    help="the days the gateway calls span")
    ap.add_argument("--gateway-log-end-days", type=int, default=31,
                    help="how many days ago the last loaded call was")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rnd = random.Random(args.seed)
    db = Db(args.mycnf)
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    t0 = time.monotonic()
    tables = db.tables()
    made = {"seconds": {}}
    made["agencies"] = load_agencies(db, args.out, args.agencies, rnd)
    made["seconds"]["agencies"] = round(time.monotonic() - t0, 1)
    if {"databases", "datasets", "services"} <= tables:
        t = time.monotonic()
        made["catalog"] = load_catalog(db, args.out, made["agencies"],
                                       args.datasets, rnd, now,
                                       gateway=args.gateway and
                                       "upstream_url" in columns(db,
                                                                 "services"))
        made["seconds"]["catalog"] = round(time.monotonic() - t, 1)
    if made.get("catalog") and {"grants", "sharing_requests",
                                "access_log"} <= tables:
        t = time.monotonic()
        hot = args.hot_rows if args.hot_rows is not None else args.access_log // 10
        made["sharing"] = load_sharing(db, args.out, made["agencies"],
                                       made["catalog"], args.grants,
                                       args.access_log, hot, rnd, now,
                                       args.creator)
        made["seconds"]["sharing"] = round(time.monotonic() - t, 1)
    if args.gateway_log and made.get("sharing") and \
            "request_in_ms" in columns(db, "access_log"):
        t = time.monotonic()
        made["gateway_log"] = load_gateway_log(
            db, args.out, args.gateway_log, args.gateway_log_days,
            args.gateway_log_end_days, rnd, now)
        made["seconds"]["gateway log"] = round(time.monotonic() - t, 1)
    db.run("ANALYZE TABLE " + ", ".join(
        f"`{t}`" for t in ("agencies", "databases", "datasets", "services",
                           "search_documents", "sharing_requests", "grants",
                           "access_log") if t in tables) + ";")
    made["seconds"]["total"] = round(time.monotonic() - t0, 1)
    print(json.dumps(made))


if __name__ == "__main__":
    main()
