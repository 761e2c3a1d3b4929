/*
 * The gateway's monitoring data for providers and DIC (Art. 12.4; issue
 * 18; docs/gateway.md, "Monitoring data"): the log rows of the calls, as
 * X-Road's operational monitoring hands them out (getSecurityServer-
 * OperationalData), and a service's health over a recent window.
 *
 * Records come in (request_in_ms, id) order, a page at a time. The cursor
 * next_records_from is "<ms>:<id>": the next page begins right after the
 * row (ms, id), so rows that share a millisecond are neither lost nor
 * repeated at a page's edge (X-Road's cursor, a time alone, repeats them);
 * "<ms>:0" begins with the first row of ms. A row is written when its
 * call ends, up to a call's length after its request_in_ms: the newest
 * opmon_settle_s seconds are not answered yet (X-Road's offset of records
 * available), so that a cursor does not pass a time whose rows may still
 * come, and a range that reaches them answers where to go on from.
 *
 * Every question reads one index range in order (sql/0013_opmon.sql says
 * which): the filters and the caller's own scope are first folded into a
 * service, a provider and a consumer, and the statement is the one of the
 * index whose prefix they are.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "gateway.h"

/* Who reads every row and every service's health. */
#define OPMON_ALL	(ROLE_DIC_ADMIN | ROLE_AUDITOR)
/* The widest range one question may span: 31 days, in ms. */
#define SPAN_MAX_MS	(31LL * 86400 * 1000)
/* The last millisecond of year 9999: the largest time taken. */
#define MS_MAX		253402300799999LL

/* A record: the contract's log columns under the API's names. */
#define RECORD_COLS \
	"l.id, l.request_id, l.method, l.request_path, l.service_id, " \
	"l.provider_agency_id, l.consumer_agency_id, l.grant_id, " \
	"l.account_id, l.http_status, l.outcome, l.succeeded, l.fault_code, " \
	"l.fault_text, l.request_in_ms, l.request_out_ms, l.response_in_ms, " \
	"l.response_out_ms, l.request_bytes, l.request_sha256, " \
	"l.bytes AS response_bytes, l.sha256 AS response_sha256, " \
	"l.narrowed, l.bodies_kept, l.seq"

/* The service, provider and consumer filters (0: any): 6 parameters. A
 * given one is an equality the index's prefix answers; an absent one is a
 * constant truth the server drops. */
#define RECORD_SIDES \
	"AND (? = 0 OR l.service_id = ?) " \
	"AND (? = 0 OR l.provider_agency_id = ?) " \
	"AND (? = 0 OR l.consumer_agency_id = ?) "

/* The outcome, the range from right after (ms, id) up to a time, and the
 * page: 7 parameters, set by range_params. */
#define RECORD_RANGE \
	"AND (? IS NULL OR l.outcome = ?) " \
	"AND l.request_in_ms <= ? " \
	"AND (l.request_in_ms > ? OR (l.request_in_ms = ? AND l.id > ?)) " \
	"ORDER BY l.request_in_ms, l.id LIMIT ?"
#define NRANGE		7

#define RECORDS_BY(index) \
	"SELECT " RECORD_COLS " FROM access_log l FORCE INDEX (" index ") " \
	"WHERE l.kind = 'gateway' " RECORD_SIDES RECORD_RANGE

static const char *const sql_time = RECORDS_BY("access_log_gw_time");
static const char *const sql_service = RECORDS_BY("access_log_service");
static const char *const sql_service_consumer =
    RECORDS_BY("access_log_gw_service_consumer");
static const char *const sql_provider = RECORDS_BY("access_log_gw_provider");
static const char *const sql_consumer = RECORDS_BY("access_log_gw_consumer");
static const char *const sql_pair = RECORDS_BY("access_log_gw_pair");

/* An agency that names neither side: the page of its providing side and
 * the page of its consuming side (less the calls to itself, which the
 * first has), each from its own index, merged; the rows are read after
 * the merge, so that their columns keep their types. */
static const char *const sql_sides =
    "SELECT " RECORD_COLS " FROM ("
    "  (SELECT l.id FROM access_log l FORCE INDEX (access_log_gw_provider) "
    "    WHERE l.provider_agency_id = ? AND l.kind = 'gateway' "
    RECORD_RANGE ") "
    "  UNION ALL "
    "  (SELECT l.id FROM access_log l FORCE INDEX (access_log_gw_consumer) "
    "    WHERE l.consumer_agency_id = ? AND l.provider_agency_id <> ? "
    "    AND l.kind = 'gateway' " RECORD_RANGE ")"
    ") AS page JOIN access_log l ON l.id = page.id "
    "ORDER BY l.request_in_ms, l.id LIMIT ?";

/* One question for records, once read and folded. */
struct opmon_query {
	long long	 service, provider, consumer;	/* 0: any */
	const char	*outcome;			/* NULL: any */
	bool		 csv;
	long long	 from, to;	/* records_from, records_to (ms) */
	long long	 upto;		/* to, less what has not settled */
	long long	 at_ms;		/* the page begins after (at_ms, */
	long long	 after_id;	/* after_id) */
	long long	 limit;
	bool		 none;		/* nothing can match */
	bool		 sides;		/* an agency's two sides (sql_sides) */
};

static const char *const outcomes[] = { "delivered", "refused", "failed",
    NULL };
static const char *const formats[] = { "json", "csv", NULL };

enum { RQ_FROM, RQ_TO, RQ_NEXT, RQ_SERVICE, RQ_CONSUMER, RQ_PROVIDER,
    RQ_OUTCOME, RQ_FORMAT, RQ__N };
static const struct field records_query[RQ__N] = {
	[RQ_FROM] = { "records_from", F_INT, F_REQUIRED, 0, MS_MAX, NULL },
	[RQ_TO] = { "records_to", F_INT, F_OPTIONAL, 0, MS_MAX, NULL },
	[RQ_NEXT] = { "next_records_from", F_STRING, F_OPTIONAL, 3, 40,
	    NULL },
	[RQ_SERVICE] = { "service_id", F_ID, F_OPTIONAL, 0, 0, NULL },
	[RQ_CONSUMER] = { "consumer_agency_id", F_ID, F_OPTIONAL, 0, 0, NULL },
	[RQ_PROVIDER] = { "provider_agency_id", F_ID, F_OPTIONAL, 0, 0, NULL },
	[RQ_OUTCOME] = { "outcome", F_ENUM, F_OPTIONAL, 0, 0, outcomes },
	[RQ_FORMAT] = { "format", F_ENUM, F_OPTIONAL, 0, 0, formats },
};
/* Paging's limit, which http_query_or_reply leaves to the list: here
 * larger than elsewhere, as X-Road's pages are. */
static const struct field limit_field =
    { "limit", F_INT, F_OPTIONAL, 1, 1000, NULL };

/* The database's time in ms (DESIGN.md: its clock, not the host's). */
static int
now_ms(struct arena *a, long long *ms)
{
	static const char *sql =
	    "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) AS now_ms";
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, NULL, 0, &rows)) != DS_OK)
		return st;
	*ms = db_get_int(rows, 0, "now_ms");
	return DS_OK;
}

/* Digits only, with no leading zero but in "0". */
static bool
plain_number(const char *s, size_t n)
{
	if (n == 0 || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Reads "<ms>:<id>" exactly as records_next writes it: 0, or -1 (and
 * *ms, *id untouched). */
static int
cursor_parse(const char *s, long long *ms, long long *id)
{
	const char *colon = strchr(s, ':');
	long long m, i;
	char head[20];
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - s)) >= sizeof(head) ||
	    !plain_number(s, n) || !plain_number(colon + 1, strlen(colon + 1)))
		return -1;
	memcpy(head, s, n);
	head[n] = '\0';
	if (parse_ll(head, 0, MS_MAX, &m) != 0 ||
	    parse_ll(colon + 1, 0, 1LL << 62, &i) != 0)
		return -1;
	*ms = m;
	*id = i;
	return 0;
}

/* The range and where the page begins: records_to defaults to now;
 * from <= to; at most SPAN_MAX_MS from the page's start to its end; the
 * part not settled yet is left for later. Bad ones are 422 details. */
static void
records_range(struct http_req *r, const struct fval *v, long long now,
    struct opmon_query *q)
{
	long long settle = conf_int("opmon_settle_s", 60, 0, 3600, NULL);

	q->from = v[RQ_FROM].i;
	q->to = v[RQ_TO].present ? v[RQ_TO].i : now;
	q->at_ms = q->from;
	if (v[RQ_NEXT].present && cursor_parse(v[RQ_NEXT].s, &q->at_ms,
	    &q->after_id) != 0)
		json_detail(r, "next_records_from",
		    "is not a next_records_from this API gave");
	if (q->at_ms < q->from) {
		q->at_ms = q->from;
		q->after_id = 0;
	}
	if (q->to < q->from)
		json_detail(r, "records_to", "must not be before records_from");
	else if (q->to - q->at_ms > SPAN_MAX_MS)
		json_detail(r, "records_from", arena_printf(r->arena,
		    "the range may span at most 31 days (%lld ms) up to "
		    "records_to (now when not given)", SPAN_MAX_MS));
	q->upto = q->to < now - settle * 1000 ? q->to : now - settle * 1000;
}

/* Reads the question into q: 422 naming every bad parameter. */
static int
records_query_or_reply(struct http_req *r, long long now,
    struct opmon_query *q)
{
	struct fval v[RQ__N], lim = { 0 };
	const char *limit = http_param(r, "limit");

	memset(q, 0, sizeof(*q));
	/* Read beside the declared ones, so that one 422 names them all;
	 * a cursor, every other list's, would page nothing here. */
	if (limit != NULL)
		json_read_text(r, &limit_field, limit, &lim);
	if (http_param(r, "cursor") != NULL)
		json_detail(r, "cursor", "unknown parameter: these records "
		    "page with next_records_from");
	if (http_query_or_reply(r, records_query, RQ__N, v))
		return DS_REPLIED;
	records_range(r, v, now, q);
	if (json_has_details(r))
		return json_details_reply(r, "invalid query parameter");
	q->service = v[RQ_SERVICE].i;
	q->provider = v[RQ_PROVIDER].i;
	q->consumer = v[RQ_CONSUMER].i;
	q->outcome = v[RQ_OUTCOME].s;
	q->csv = v[RQ_FORMAT].s != NULL && strcmp(v[RQ_FORMAT].s, "csv") == 0;
	q->limit = lim.present ? lim.i : 100;
	return DS_OK;
}

/* The agency a service belongs to, 0 when there is no such service. */
static int
service_provider(struct arena *a, long long id, long long *agency)
{
	static const char *sql = "SELECT agency_id FROM services WHERE id = ?";
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, p, 1, &rows)) != DS_OK)
		return st;
	*agency = rows->nrows == 1 ? db_get_int(rows, 0, "agency_id") : 0;
	return DS_OK;
}

/*
 * Folds the caller's scope into the filters. A service stands for its
 * provider (it has one). DIC and auditors see every row; an agency the
 * rows where it is the provider or the consumer: naming itself as
 * either, it sees what it asks for; naming another agency as one side,
 * it must be the other; naming neither, it reads both (q->sides). A
 * question no row can answer is marked none (an empty page, not a 403,
 * as filters of the access log narrow within what the caller sees).
 */
static int
records_scope(struct http_req *r, struct opmon_query *q)
{
	long long me = r->who.agency_id, owner;
	int st;

	if (q->service != 0) {
		if ((st = service_provider(r->arena, q->service, &owner)) != 0)
			return st;
		if (owner == 0 || (q->provider != 0 && q->provider != owner))
			q->none = true;
		q->provider = owner;
	}
	if (auth_has_role(&r->who, OPMON_ALL))
		return DS_OK;
	if (me <= 0)
		q->none = true;
	else if (q->provider == me || q->consumer == me)
		return DS_OK;
	else if (q->provider != 0 && q->consumer != 0)
		q->none = true;
	else if (q->provider != 0)
		q->consumer = me;
	else if (q->consumer != 0)
		q->provider = me;
	else
		q->sides = true;
	return DS_OK;
}

static size_t
range_params(const struct opmon_query *q, struct db_param *p)
{
	struct db_param v[NRANGE] = {
		P_STR(q->outcome), P_STR(q->outcome), P_INT(q->upto),
		P_INT(q->at_ms), P_INT(q->at_ms), P_INT(q->after_id),
		P_INT(q->limit + 1),
	};

	memcpy(p, v, sizeof(v));
	return NRANGE;
}

/* The statement whose index answers q (sql/0013_opmon.sql). */
static const char *
records_sql(const struct opmon_query *q)
{
	if (q->sides)
		return sql_sides;
	if (q->service != 0)
		return q->consumer != 0 ? sql_service_consumer : sql_service;
	if (q->provider != 0)
		return q->consumer != 0 ? sql_pair : sql_provider;
	return q->consumer != 0 ? sql_consumer : sql_time;
}

/* The page and one row more, which tells that there is a next page. A
 * question nothing answers still runs, on an empty range, for the
 * columns (a CSV's header). */
static int
records_read(struct http_req *r, struct opmon_query *q,
    struct db_rows **rows)
{
	long long me = r->who.agency_id;
	struct db_param p[1 + NRANGE + 2 + NRANGE + 1];
	size_t n = 0;

	if (q->none) {
		q->upto = 0;
		q->at_ms = 1;
	}
	if (q->sides) {
		p[n++] = P_INT(me);
		n += range_params(q, p + n);
		p[n++] = P_INT(me);
		p[n++] = P_INT(me);
		n += range_params(q, p + n);
		p[n++] = P_INT(q->limit + 1);
	} else {
		p[n++] = P_INT(q->service);
		p[n++] = P_INT(q->service);
		p[n++] = P_INT(q->provider);
		p[n++] = P_INT(q->provider);
		p[n++] = P_INT(q->consumer);
		p[n++] = P_INT(q->consumer);
		n += range_params(q, p + n);
	}
	return db_query(r->arena, records_sql(q), p, n, rows);
}

/* Where the next page begins, or NULL when the range is read to its end.
 * A full page (rows then holds one row more, which is dropped here) goes
 * on right after its last row; a range cut short because its end has not
 * settled yet goes on from the first millisecond not read (or, when the
 * page began past it, from where it began). */
static char *
records_next(struct arena *a, const struct opmon_query *q,
    struct db_rows *rows)
{
	size_t last;

	if ((long long)rows->nrows > q->limit) {
		rows->nrows = (size_t)q->limit;
		last = rows->nrows - 1;
		return arena_printf(a, "%lld:%lld",
		    db_get_int(rows, last, "request_in_ms"),
		    db_get_int(rows, last, "id"));
	}
	if (q->none || q->upto >= q->to)
		return NULL;
	if (q->at_ms > q->upto)
		return arena_printf(a, "%lld:%lld", q->at_ms, q->after_id);
	return arena_printf(a, "%lld:0", q->upto + 1);
}

/* GET /api/v1/opmon/records: a page of the gateway's log rows, as JSON
 * {"records": [...], "next_records_from": ...} or as CSV (the cursor in
 * the header X-Next-Records-From). */
void
opmon_records(struct http_req *r)
{
	struct opmon_query q;
	struct db_rows *rows;
	char *next, *text;
	long long now;
	size_t len;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | OPMON_ALL))
		return;
	if ((st = now_ms(r->arena, &now)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (records_query_or_reply(r, now, &q))
		return;
	if ((st = records_scope(r, &q)) != DS_OK ||
	    (st = records_read(r, &q, &rows)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	next = records_next(r->arena, &q, rows);
	if (!q.csv) {
		http_reply_list(r, "records", rows, "next_records_from", next);
		return;
	}
	if (next != NULL)
		http_header(r, "X-Next-Records-From", next);
	http_header(r, "Content-Disposition",
	    "attachment; filename=\"opmon-records.csv\"");
	text = csv_rows_text(r->arena, rows, &len);
	http_reply_raw(r, 200, "text/csv; charset=utf-8", text, len);
}

/* ------------------------------------------------------------------ */
/* a service's health                                                   */

/* The calls to one service in a window: 3 parameters (service, from,
 * to, in ms), read from access_log_service (service_id, request_in_ms). */
#define HEALTH_WINDOW \
	"FROM access_log l FORCE INDEX (access_log_service) " \
	"WHERE l.service_id = ? AND l.request_in_ms BETWEEN ? AND ? " \
	"AND l.kind = 'gateway' "
/* A call that was not refused and did not succeed: the gateway failed
 * (502, 504), or the provider answered 5xx. */
#define HEALTH_FAILED \
	"(l.outcome <> 'refused' AND NOT (l.succeeded <=> 1))"
/* A forwarded call's duration, from its arrival to the end of the
 * answer; NULL for a call never sent upstream. Signed: clocks may step. */
#define HEALTH_DURATION \
	"IF(l.request_out_ms IS NULL, NULL, " \
	"CAST(l.response_out_ms AS SIGNED) - CAST(l.request_in_ms AS SIGNED))"

/* The service, when the caller may see its health: its provider, DIC and
 * auditors, and an agency holding a live grant that reaches it (on its
 * dataset, naming it or no service: it depends on the service). Anyone
 * else is told that there is no such service. */
static int
health_service_or_reply(struct http_req *r, long long id)
{
	static const char *sql =
	    "SELECT s.agency_id = ? OR EXISTS (SELECT 1 FROM grants g "
	    "    WHERE g.consumer_agency_id = ? "
	    "    AND g.dataset_id = s.dataset_id "
	    "    AND g.status IN ('active', 'suspended') "
	    "    AND (g.service_id IS NULL OR g.service_id = s.id)) "
	    "  AS party_bool "
	    "FROM services s WHERE s.id = ?";
	struct db_param p[] = { P_INT(r->who.agency_id),
	    P_INT(r->who.agency_id), P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows != 1 || (!auth_has_role(&r->who, OPMON_ALL) &&
	    db_get_int(rows, 0, "party_bool") != 1))
		return http_error(r, 404, "not_found", "no such service");
	return DS_OK;
}

/* A cell as a JSON integer, or null. */
static json_object *
int_cell(const struct db_rows *rows, const char *name)
{
	const char *v = rows->nrows == 1 ? db_get(rows, 0, name) : NULL;

	return v == NULL ? NULL : json_object_new_int64(strtoll(v, NULL, 10));
}

/* The counts, the last success and the duration's min, avg and max. */
static int
health_counts(struct arena *a, const struct db_param *p, json_object *out,
    json_object *dur)
{
	static const char *sql =
	    "SELECT COUNT(*) AS calls, "
	    "  CAST(COALESCE(SUM(l.succeeded <=> 1), 0) AS SIGNED) "
	    "    AS succeeded, "
	    "  CAST(COALESCE(SUM(" HEALTH_FAILED "), 0) AS SIGNED) AS failed, "
	    "  CAST(COALESCE(SUM(l.outcome = 'refused'), 0) AS SIGNED) "
	    "    AS refused, "
	    "  MAX(IF(l.succeeded <=> 1, l.request_in_ms, NULL)) "
	    "    AS last_success_ms, "
	    "  MIN(" HEALTH_DURATION ") AS min, "
	    "  ROUND(AVG(" HEALTH_DURATION "), 1) AS avg, "
	    "  MAX(" HEALTH_DURATION ") AS max " HEALTH_WINDOW;
	static const char *const counts[] = { "calls", "succeeded", "failed",
	    "refused", "last_success_ms" };
	struct db_rows *rows;
	const char *avg;
	int st;

	if ((st = db_query(a, sql, p, 3, &rows)) != DS_OK)
		return st;
	for (size_t i = 0; i < NPARAMS(counts); i++)
		json_object_object_add(out, counts[i], int_cell(rows,
		    counts[i]));
	json_object_object_add(dur, "min", int_cell(rows, "min"));
	avg = db_get(rows, 0, "avg");
	json_object_object_add(dur, "avg", avg == NULL ? NULL :
	    json_object_new_double_s(strtod(avg, NULL), avg));
	json_object_object_add(dur, "max", int_cell(rows, "max"));
	return DS_OK;
}

/* The last failed call: when, its gateway's code (NULL when the provider
 * answered 5xx itself) and the status the consumer got. */
static int
health_last_failure(struct arena *a, const struct db_param *p,
    json_object *out)
{
	static const char *sql =
	    "SELECT l.request_in_ms, l.fault_code, l.http_status "
	    HEALTH_WINDOW "AND " HEALTH_FAILED " "
	    "ORDER BY l.request_in_ms DESC, l.id DESC LIMIT 1";
	struct db_rows *rows;
	const char *code;
	int st;

	if ((st = db_query(a, sql, p, 3, &rows)) != DS_OK)
		return st;
	code = rows->nrows == 1 ? db_get(rows, 0, "fault_code") : NULL;
	json_object_object_add(out, "last_failure_ms", int_cell(rows,
	    "request_in_ms"));
	json_object_object_add(out, "last_failure_code", code == NULL ? NULL :
	    json_object_new_string(code));
	json_object_object_add(out, "last_failure_status", int_cell(rows,
	    "http_status"));
	return DS_OK;
}

/* The 95th percentile of the window's durations, nearest rank (the
 * smallest duration that at least 95% of the calls did not exceed):
 * MariaDB's PERCENTILE_DISC, which sorts the durations in the server
 * (in memory up to tmp_table_size, then on disk), never here. */
static int
health_p95(struct arena *a, const struct db_param *p, json_object *dur)
{
	static const char *sql =
	    "SELECT PERCENTILE_DISC(0.95) WITHIN GROUP "
	    "  (ORDER BY " HEALTH_DURATION ") OVER () AS p95 "
	    HEALTH_WINDOW "AND l.request_out_ms IS NOT NULL "
	    "AND l.response_out_ms IS NOT NULL LIMIT 1";
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, p, 3, &rows)) != DS_OK)
		return st;
	json_object_object_add(dur, "p95", int_cell(rows, "p95"));
	return DS_OK;
}

/* The figures of the calls to service id from from to to (ms) into out,
 * the durations' under "duration_ms". */
static int
health_figures(struct arena *a, long long id, long long from, long long to,
    json_object *out)
{
	struct db_param p[] = { P_INT(id), P_INT(from), P_INT(to) };
	json_object *dur = json_object_new_object();
	int st;

	if ((st = health_counts(a, p, out, dur)) == DS_OK &&
	    (st = health_last_failure(a, p, out)) == DS_OK)
		st = health_p95(a, p, dur);
	json_object_object_add(out, "duration_ms", dur);
	return st;
}

static const struct field health_query[] = {
	{ "window_s", F_INT, F_OPTIONAL, 60, 2592000, NULL },
};

/* GET /api/v1/services/{id}/health?window_s=: the calls of the last
 * window_s seconds (default an hour, at most 30 days) by the database's
 * clock. Each figure reads the window's rows in the server. */
void
service_health(struct http_req *r)
{
	long long id = r->captures[0], window, now;
	struct fval q[NPARAMS(health_query)];
	json_object *out;
	int st;

	if (http_query_or_reply(r, health_query, NPARAMS(health_query), q) ||
	    health_service_or_reply(r, id))
		return;
	window = q[0].present ? q[0].i : 3600;
	if ((st = now_ms(r->arena, &now)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "service_id", json_object_new_int64(id));
	json_object_object_add(out, "window_s", json_object_new_int64(window));
	if ((st = health_figures(r->arena, id, now - window * 1000, now,
	    out)) != DS_OK) {
		json_object_put(out);
		http_error_status(r, st);
		return;
	}
	http_reply(r, 200, out);
}
