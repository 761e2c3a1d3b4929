#!/usr/bin/env python3
"""The gateway's monitoring reads at the issue's size (issue 18: "the log at
20,000,000 rows ... an opmon page p99 <= 20 ms"): GET /opmon/records for
each way of asking, and GET /services/{id}/health, against a running stack,
with each statement's plan and rows examined from MariaDB's slow log.

    ./stack up                       # or any stack: STACK_VAR says where
    STACK_VAR=var python3 bench/opmon.py --rows 20000000

It adds to the stack's database, as MariaDB's root: 80 agencies, 200
services of 40 of them (5 each, each on its own dataset), and ROWS gateway
log rows over the last 92 days (two calls a millisecond at each time, so
that ties are everywhere), each to a service and from a consumer drawn by
a hash, 95% delivered, 3% refused, 2% failed; the rows get a seq of their
own (from 10^9), so that the masters' sealer leaves them alone. Then, for
each question, --samples requests with a random 31-day range (the widest
allowed) and limit 100, one after another, and their latency percentiles
(the client's time: TLS, nginx, the module and MariaDB). The load is kept:
a second run with --no-load measures again. Writes nothing in the tree.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time

import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

DAY = 86400 * 1000
AGENCIES, PROVIDERS, SERVICES = 80, 40, 200


def sql(var, text):
    p = subprocess.run(["mariadb", "-S", os.path.join(var, "run", "mysqld.sock"),
                        "--default-character-set=utf8mb4", "-N", "-B", "datashare",
                        "-e", text], capture_output=True, text=True, timeout=7200)
    if p.returncode != 0:
        sys.exit(f"SQL failed: {p.stderr.strip()}\n{text[:500]}")
    return [line.split("\t") for line in p.stdout.splitlines()]


def conf(var):
    out = {}
    for line in open(os.path.join(var, "datashare.conf"), encoding="utf-8"):
        if "=" in line and not line.startswith("#"):
            k, v = line.rstrip("\n").split("=", 1)
            out[k] = v
    return out


def load(var, rows, chunk):
    """Agencies, services and rows, as described above."""
    sql(var, "DROP TABLE IF EXISTS opmon_bench_svc, opmon_bench_agency; "
        "CREATE TABLE opmon_bench_agency (n INT PRIMARY KEY, id BIGINT UNSIGNED); "
        "CREATE TABLE opmon_bench_svc (n INT PRIMARY KEY, id BIGINT UNSIGNED, "
        "agency_id BIGINT UNSIGNED, dataset_id BIGINT UNSIGNED)")
    tag = f"B{random.randrange(10**6):06d}"
    for n in range(AGENCIES):
        (aid,), = sql(var, f"INSERT INTO agencies (code, name) VALUES ('{tag}{n:03d}', "
                      f"'Bench agency {tag} {n}'); SELECT LAST_INSERT_ID()")
        sql(var, f"INSERT INTO opmon_bench_agency VALUES ({n}, {aid})")
    for n in range(SERVICES):
        owner = f"(SELECT id FROM opmon_bench_agency WHERE n = {n % PROVIDERS})"
        (sid,), = sql(var, (
            f"INSERT INTO `databases` (agency_id, kind, name, location, status) "
            f"VALUES ({owner}, 'specialized', 'Bench {tag} {n}', 'agency', 'listed'); "
            f"INSERT INTO datasets (database_id, title, classification, status, "
            f"published_at, fields_json) VALUES (LAST_INSERT_ID(), 'Bench {tag} {n}', "
            f"'shared', 'published', UTC_TIMESTAMP(6), '[]'); "
            f"SET @d = LAST_INSERT_ID(); "
            f"INSERT INTO services (dataset_id, agency_id, name, protocol, endpoint, "
            f"version, code) VALUES (@d, {owner}, 'Bench {n}', 'rest', "
            f"'https://x.example.vn/', '1', 'svc{n}'); "
            f"INSERT INTO opmon_bench_svc SELECT {n}, LAST_INSERT_ID(), {owner}, @d; "
            f"SELECT LAST_INSERT_ID()"))
    (now,), = sql(var, "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)")
    start = int(now) - 92 * DAY
    step = 92 * DAY * 2 // rows          # two calls at each millisecond used
    seq0 = int(sql(var, "SELECT COALESCE(MAX(seq), 0) FROM access_log")[0][0])
    seq0 = max(seq0, 10**9)
    t0 = time.monotonic()
    for lo in range(1, rows + 1, chunk):
        hi = min(rows, lo + chunk - 1)
        sql(var, f"""
INSERT INTO access_log (kind, agency_id, provider_agency_id, consumer_agency_id,
  dataset_id, service_id, request_path, outcome, reason, http_status, bytes, sha256,
  narrowed, remote_addr, request_id, method, request_in_ms, request_out_ms,
  response_in_ms, response_out_ms, succeeded, fault_code, fault_text, request_bytes,
  request_sha256, bodies_kept, seq)
SELECT 'gateway', c.id, s.agency_id, c.id, s.dataset_id, s.id,
  CONCAT('/gw/A', s.agency_id, '/svc', s.n, '/records?page=', q.seq % 100),
  o.outcome, IF(o.outcome = 'delivered', NULL, o.code),
  CASE o.outcome WHEN 'delivered' THEN 200 WHEN 'refused' THEN 403 ELSE 504 END,
  1024 + q.seq % 4096, SHA2(q.seq, 256), q.seq % 3 = 0, '10.0.0.7', MD5(q.seq), 'GET',
  {start} + (q.seq DIV 2) * {step},
  IF(o.outcome = 'refused', NULL, {start} + (q.seq DIV 2) * {step} + 2),
  IF(o.outcome = 'delivered', {start} + (q.seq DIV 2) * {step} + 20 + q.seq % 200, NULL),
  {start} + (q.seq DIV 2) * {step} + IF(o.outcome = 'failed', 30000, 25 + q.seq % 200),
  o.outcome = 'delivered', IF(o.outcome = 'delivered', NULL, o.code),
  IF(o.outcome = 'delivered', NULL, 'bench'), 0,
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0,
  {seq0} + q.seq
FROM seq_{lo}_to_{hi} q
JOIN opmon_bench_svc s
  ON s.n = CONV(SUBSTR(MD5(CONCAT('s', q.seq)), 1, 8), 16, 10) % {SERVICES}
JOIN opmon_bench_agency c
  ON c.n = CONV(SUBSTR(MD5(CONCAT('c', q.seq)), 1, 8), 16, 10) % {AGENCIES}
JOIN (SELECT 0 AS k, 'failed' AS outcome, 'upstream_timeout' AS code
      UNION ALL SELECT 1, 'refused', 'no_grant'
      UNION ALL SELECT 2, 'delivered', NULL) o
  ON o.k = IF(q.seq % 50 = 0, 0, IF(q.seq % 33 = 0, 1, 2))""")
        done = hi
        rate = done / max(time.monotonic() - t0, 1e-9)
        print(f"opmon: {done} rows ({rate:.0f}/s)", file=sys.stderr, flush=True)
    sql(var, "ANALYZE TABLE access_log")
    json.dump({"start": start, "end": start + (rows // 2) * step, "tag": tag},
              open(os.path.join(var, "opmon-bench.json"), "w"))


def token(api, base, cid, secret):
    r = api.post(f"{base}/api/v1/auth/token",
                 json={"client_id": cid, "client_secret": secret}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]


def officer(var, admin, agency_id, api, base):
    out = subprocess.run([admin, "--config", os.path.join(var, "datashare.conf"),
                          "account", "create", "--agency", str(agency_id), "--name",
                          f"bench-{agency_id}-{random.randrange(10**6)}", "--roles",
                          "agency_officer"], capture_output=True, text=True, check=True)
    acc = json.loads(next(l for l in out.stdout.splitlines() if l.startswith("{")))
    return token(api, base, acc["client_id"], acc["client_secret"])


def questions(var, api, base, admin):
    """(name, token, params) of each way of asking."""
    boot = json.load(open(os.path.join(var, "bootstrap.json")))
    dic = token(api, base, boot["client_id"], boot["client_secret"])
    ag = dict((int(n), int(i)) for n, i in sql(var, "SELECT n, id FROM opmon_bench_agency"))
    svc = {int(r[0]): (int(r[1]), int(r[2])) for r in
           sql(var, "SELECT n, id, agency_id FROM opmon_bench_svc")}
    p, c = ag[3], ag[57]               # a provider (and consumer); a consumer
    s, sp = svc[3]                     # one of p's services
    ptok, ctok = officer(var, admin, p, api, base), officer(var, admin, c, api, base)
    return [
        ("DIC, no filter", dic, {}),
        ("DIC, provider", dic, {"provider_agency_id": p}),
        ("DIC, consumer", dic, {"consumer_agency_id": c}),
        ("DIC, provider + consumer", dic, {"provider_agency_id": p, "consumer_agency_id": c}),
        ("DIC, service", dic, {"service_id": s}),
        ("DIC, service + consumer", dic, {"service_id": s, "consumer_agency_id": c}),
        ("DIC, provider + outcome=failed (2%)", dic,
         {"provider_agency_id": p, "outcome": "failed"}),
        ("provider, its own (both sides)", ptok, {}),
        ("provider, one consumer", ptok, {"consumer_agency_id": c}),
        ("consumer, one service", ctok, {"service_id": s}),
        ("consumer, its own (both sides)", ctok, {}),
        ("CSV, DIC, provider", dic, {"provider_agency_id": p, "format": "csv"}),
        ("DIC, no filter, recent", dic, {}),
        ("provider, its own, recent", ptok, {}),
        ("provider, one consumer, recent", ptok, {"consumer_agency_id": c}),
    ], dic, s


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def measure(api, base, name, tok, params, samples, lo, hi):
    """samples pages of the question, each at a random start: anywhere in
    the 92 days with a 31-day range, or (a name ending in "recent") in the
    last 2 hours of the load, as a monitor following the log reads."""
    lat, n = [], 0
    for _ in range(samples):
        if name.endswith("recent"):
            f = random.randrange(hi - 2 * 3600 * 1000, hi - 60 * 1000)
            q = dict(params, records_from=f, records_to=hi, limit=100)
        else:
            f = random.randrange(lo, hi - 31 * DAY)
            q = dict(params, records_from=f, records_to=f + 31 * DAY, limit=100)
        t = time.perf_counter()
        r = api.get(f"{base}/api/v1/opmon/records", params=q,
                    headers={"Authorization": f"Bearer {tok}"}, timeout=60)
        lat.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (name, r.status_code, r.text[:300])
        if "format" not in params:
            n += len(r.json()["records"])
    got = f"{n / samples:.0f}" if "format" not in params else "-"
    print(f"| {name} | {samples} | {got} | {pct(lat, 0.5):.1f} | "
          f"{pct(lat, 0.99):.1f} | {max(lat):.1f} |")


def plans(var, api, base, qs, lo, hi, dic, service):
    """One request of each question with the slow log on (every statement,
    with its EXPLAIN and Rows_examined), then the log's lines for the
    access_log statements."""
    log = os.path.join(var, "log", "opmon-slow.log")
    if os.path.exists(log):
        os.unlink(log)
    sql(var, f"SET GLOBAL slow_query_log_file = '{log}'; "
        "SET GLOBAL log_slow_verbosity = 'query_plan,explain'; "
        "SET GLOBAL long_query_time = 0; SET GLOBAL slow_query_log = 1")
    # The modules' sessions took long_query_time when they connected: end
    # them, and they connect again with it (the first request may be 503).
    for (tid,) in sql(var, "SELECT id FROM information_schema.PROCESSLIST "
                      "WHERE USER = 'ds_app'"):
        sql(var, f"KILL CONNECTION {tid}")
    f = (lo + hi) // 2
    for name, tok, params in qs:
        for _ in range(3):
            r = api.get(f"{base}/api/v1/opmon/records", params=dict(
                params, records_from=f, records_to=f + 31 * DAY, limit=100),
                headers={"Authorization": f"Bearer {tok}"}, timeout=60)
            if r.status_code == 200:
                break
    for w in (3600, 86400, 2592000):
        api.get(f"{base}/api/v1/services/{service}/health", params={"window_s": w},
                headers={"Authorization": f"Bearer {dic}"}, timeout=600)
    sql(var, "SET GLOBAL slow_query_log = 0; SET GLOBAL long_query_time = 10")
    text = open(log, encoding="utf-8", errors="replace").read()
    for entry in text.split("# User@Host")[1:]:
        if "access_log l" not in entry:
            continue
        stmt = entry.strip().splitlines()[-1]
        what = ", ".join(re.findall(r"FORCE INDEX \((\w+)\)", stmt))
        what += " " + re.sub(r"\s+", " ", stmt.split(" FROM ")[0])[:60]
        m = re.search(r"Query_time: (\S+).*Rows_examined: (\d+)", entry)
        print(f"\n{what}\n  {m.group(0)}\n  params: "
              + " ".join(re.findall(r"\b\w+ [=<>]+ \d+", stmt))[:200])
        for line in entry.splitlines():
            if line.startswith("# explain:"):
                print("  " + line[len("# explain: "):])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--chunk", type=int, default=500_000)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--no-load", action="store_true")
    ap.add_argument("--only", default="", help="questions whose name has this")
    a = ap.parse_args()
    var = os.path.abspath(os.environ.get("STACK_VAR", "var"))
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    admin = os.environ.get("DS_ADMIN", os.path.join(src, "build", "modules", "admin",
                                                    "datashare-admin"))
    port = open(os.path.join(var, "state", "port")).read().strip() \
        if os.path.exists(os.path.join(var, "state", "port")) else "8443"
    base = os.environ.get("DS_URL", f"https://127.0.0.1:{port}")
    if not a.no_load:
        load(var, a.rows, a.chunk)
    meta = json.load(open(os.path.join(var, "opmon-bench.json")))
    api = requests.Session()
    api.verify = False
    api.trust_env = False
    qs, dic, service = questions(var, api, base, admin)
    total = sql(var, "SELECT COUNT(*) FROM access_log WHERE kind = 'gateway'")[0][0]
    print(f"\naccess_log: {total} gateway rows\n")
    for name, size in sql(var, "SELECT index_name, stat_value * @@innodb_page_size "
                          "FROM mysql.innodb_index_stats WHERE table_name = 'access_log' "
                          "AND stat_name = 'size'"):
        print(f"  {name}: {int(size) / 2**20:.0f} MiB")
    print("\n| question | requests | records a page | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    qs = [q for q in qs if a.only in q[0]]
    for name, tok, params in qs:
        measure(api, base, name, tok, params, a.samples, meta["start"], meta["end"])
    for w in (3600, 86400, 2592000):
        t = time.perf_counter()
        r = api.get(f"{base}/api/v1/services/{service}/health", params={"window_s": w},
                    headers={"Authorization": f"Bearer {dic}"}, timeout=600)
        print(f"| health, window {w} s | 1 | calls {r.json().get('calls')} | "
              f"{(time.perf_counter() - t) * 1000:.1f} | | |")
    plans(var, api, base, qs, meta["start"], meta["end"], dic, service)


if __name__ == "__main__":
    main()
