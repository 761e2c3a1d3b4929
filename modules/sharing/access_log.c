/*
 * The access history (R5; Art. 5.4, 16.1.a): one row for every delivery
 * or refusal through a grant, written before the answer leaves. Rows are
 * only ever inserted (the application role has no UPDATE of their content
 * and no DELETE) and linked into the 'access' hash chain after the
 * response, like the audit trail; datashare-admin verifies the chain and
 * purges past the retention (chain_purge in core).
 *
 * Provider and consumer read their own grants' rows, DIC and auditors
 * all; as a page of JSON, or exported whole as CSV or JSON (R5.4).
 */
#include <string.h>

#include "ds.h"
#include "sharing.h"

#define LOG_COLS \
	"l.id, l.created_at, l.account_id, l.agency_id, l.grant_id, " \
	"l.provider_agency_id, l.consumer_agency_id, l.dataset_id, " \
	"l.service_id, l.file_id, l.request_path, l.outcome, l.reason, " \
	"l.http_status, l.bytes, l.sha256, l.narrowed, l.remote_addr, " \
	"l.request_id, l.seq, l.hash"

int
access_log_append(struct http_req *r, const struct access_entry *e)
{
	static const char *sql =
	    "INSERT INTO access_log (account_id, agency_id, grant_id, "
	    "  provider_agency_id, consumer_agency_id, dataset_id, "
	    "  service_id, file_id, request_path, outcome, reason, "
	    "  http_status, bytes, sha256, narrowed, remote_addr, request_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	const struct db_rows *g = e->grant;
	const char *service = db_get(g, 0, "service_id");
	struct db_param p[] = {
		r->who.account_id ? P_INT(r->who.account_id) : P_NULL,
		r->who.agency_id ? P_INT(r->who.agency_id) : P_NULL,
		P_INT(db_get_int(g, 0, "id")),
		P_INT(db_get_int(g, 0, "provider_agency_id")),
		P_INT(db_get_int(g, 0, "consumer_agency_id")),
		P_INT(db_get_int(g, 0, "dataset_id")),
		service ? P_INT(db_get_int(g, 0, "service_id")) : P_NULL,
		e->file_id ? P_INT(e->file_id) : P_NULL,
		P_STR(arena_strndup(r->arena, r->path, strnlen(r->path, 512))),
		P_STR(e->outcome), P_STR(e->reason), P_INT(e->http_status),
		e->sha256 ? P_INT(e->bytes) : P_NULL, P_STR(e->sha256),
		P_INT(e->narrowed),
		P_STR(r->remote_addr ? arena_strndup(r->arena, r->remote_addr,
		    strnlen(r->remote_addr, 64)) : NULL), P_STR(r->request_id),
	};
	return db_exec(sql, p, NPARAMS(p), NULL, NULL);
}

/* The filters every reading of the log takes; 422 naming bad ones. */
struct log_filter {
	long long	 grant, agency;
	const char	*from, *to, *outcome, *format;
};

static const char *const outcomes[] = { "delivered", "refused", NULL };
static const char *const formats[] = { "csv", "json", NULL };

/* The query parameters of the log: the list takes all but the last
 * (LQ_FORMAT), the export all of them. */
enum { LQ_GRANT, LQ_AGENCY, LQ_OUTCOME, LQ_FROM, LQ_TO, LQ_FORMAT, LQ__N };
static const struct field log_query[LQ__N] = {
	[LQ_GRANT] = { "grant_id", F_ID, false, 0, 0, NULL },
	[LQ_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
	[LQ_OUTCOME] = { "outcome", F_ENUM, false, 0, 0, outcomes },
	[LQ_FROM] = { "from", F_DATETIME, false, 0, 0, NULL },
	[LQ_TO] = { "to", F_DATETIME, false, 0, 0, NULL },
	[LQ_FORMAT] = { "format", F_ENUM, false, 0, 0, formats },
};

static int
filter_or_reply(struct http_req *r, size_t n, struct log_filter *f)
{
	struct fval q[LQ__N];

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSEER) ||
	    http_query_or_reply(r, log_query, n, q))
		return DS_REPLIED;
	f->grant = q[LQ_GRANT].i;
	f->agency = q[LQ_AGENCY].i;
	f->outcome = q[LQ_OUTCOME].s;
	f->from = q[LQ_FROM].s;
	f->to = q[LQ_TO].s;
	f->format = n > LQ_FORMAT ? q[LQ_FORMAT].s : NULL;
	return 0;
}

/* The filters every reading below shares, then the order and the page:
 * 13 parameters, set by filter_params. */
#define LOG_FILTERS \
	"  AND (? = 0 OR l.agency_id = ? OR l.provider_agency_id = ? OR " \
	"    l.consumer_agency_id = ?) " \
	"  AND (? IS NULL OR l.created_at >= ?) " \
	"  AND (? IS NULL OR l.created_at < ?) " \
	"  AND (? IS NULL OR l.outcome = ?) " \
	"  AND (? = 0 OR l.id < ?) " \
	"ORDER BY l.id DESC LIMIT ?"
#define NFILTERS	13

static void
filter_params(const struct log_filter *f, long long before, long long limit,
    struct db_param p[NFILTERS])
{
	struct db_param v[NFILTERS] = {
		P_INT(f->agency), P_INT(f->agency), P_INT(f->agency),
		P_INT(f->agency), P_STR(f->from), P_STR(f->from),
		P_STR(f->to), P_STR(f->to), P_STR(f->outcome),
		P_STR(f->outcome), P_INT(before), P_INT(before),
		P_INT(limit),
	};

	memcpy(p, v, sizeof(v));
}

/*
 * One grant's rows for one of its sides. Whose grant it is comes from the
 * grant's own row (its sides are those of every row of its log, and never
 * change), read once by primary key: for anyone else the server sees an
 * impossible condition and reads no log at all, where a test on every row
 * made it walk the caller's whole log (or the grant's) to find nothing.
 * Then the page is the newest rows of the index access_log_grant
 * (grant_id, id): 1 key and 49 index entries for a page of 50.
 */
static int
query_grant(struct http_req *r, const struct log_filter *f, long long before,
    long long limit, struct db_rows **rows)
{
	static const char *sql =
	    "SELECT " LOG_COLS " FROM grants g "
	    "JOIN access_log l ON l.grant_id = g.id "
	    "WHERE g.id = ? AND (g.provider_agency_id = ? OR "
	    "    g.consumer_agency_id = ?) " LOG_FILTERS;
	struct db_param p[3 + NFILTERS] = {
		P_INT(f->grant), P_INT(r->who.agency_id),
		P_INT(r->who.agency_id),
	};

	filter_params(f, before, limit, p + 3);
	return db_query(r->arena, sql, p, NPARAMS(p), rows);
}

/*
 * The rows of every grant of one agency: those of the grants it provides
 * and those of the grants it consumes (and does not provide), each the
 * newest of its own index (provider_agency_id, id) or (consumer_agency_id,
 * id), merged by id; the rows themselves are read after the merge, so the
 * columns keep their types (a UNION of the rows would make the boolean
 * narrowed an integer). A test on every row, an OR of the two sides, made
 * the server read and sort the agency's whole log for each page (105,000
 * rows for the benchmark's busiest provider, 0.4 s).
 */
static int
query_sides(struct http_req *r, const struct log_filter *f, long long before,
    long long limit, struct db_rows **rows)
{
	static const char *sql =
	    "SELECT " LOG_COLS " FROM ("
	    "  (SELECT l.id FROM access_log l "
	    "    WHERE l.provider_agency_id = ? " LOG_FILTERS ") "
	    "  UNION ALL "
	    "  (SELECT l.id FROM access_log l "
	    "    WHERE l.consumer_agency_id = ? AND l.provider_agency_id <> ? "
	    LOG_FILTERS ")"
	    ") AS page JOIN access_log l ON l.id = page.id "
	    "ORDER BY l.id DESC LIMIT ?";
	long long me = r->who.agency_id;
	struct db_param p[1 + NFILTERS + 2 + NFILTERS + 1] = { P_INT(me) };

	filter_params(f, before, limit, p + 1);
	p[1 + NFILTERS] = P_INT(me);
	p[2 + NFILTERS] = P_INT(me);
	filter_params(f, before, limit, p + 3 + NFILTERS);
	p[NPARAMS(p) - 1] = P_INT(limit);
	return db_query(r->arena, sql, p, NPARAMS(p), rows);
}

/* The rows the caller may see that match f, newest first, ids below
 * before (0: from the newest), at most limit: DIC and auditors all rows,
 * an agency its grants' (the two readings above). */
static int
query(struct http_req *r, const struct log_filter *f, long long before,
    long long limit, struct db_rows **rows)
{
	static const char *sql =
	    "SELECT " LOG_COLS " FROM access_log l "
	    "WHERE (? = 0 OR l.grant_id = ?) " LOG_FILTERS;
	struct db_param p[2 + NFILTERS] = { P_INT(f->grant), P_INT(f->grant) };

	if (!is_overseer(&r->who))
		return f->grant != 0 ? query_grant(r, f, before, limit, rows) :
		    query_sides(r, f, before, limit, rows);
	filter_params(f, before, limit, p + 2);
	return db_query(r->arena, sql, p, NPARAMS(p), rows);
}

void
access_log_list(struct http_req *r)
{
	struct log_filter f;
	struct db_rows *rows;
	struct page pg;
	int st;

	if (filter_or_reply(r, LQ_FORMAT, &f) || http_page_or_reply(r, &pg))
		return;
	if ((st = query(r, &f, pg.after, pg.limit, &rows)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	http_reply_page_rows(r, &pg, rows);
}

/* GET /access-log/export?format=csv|json: every matching row at once, up
 * to access_log_export_max (a narrower time range gets the rest). */
void
access_log_export(struct http_req *r)
{
	long long max = conf_int("access_log_export_max", 100000, 1, 10000000,
	    NULL);
	const char *format;
	struct log_filter f;
	struct db_rows *rows;
	size_t len;
	char *text;
	int st;

	if (filter_or_reply(r, LQ__N, &f))
		return;
	format = f.format;
	if ((st = query(r, &f, 0, max + 1, &rows)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if ((long long)rows->nrows > max) {
		json_detail(r, "from", arena_printf(r->arena, "more than %lld "
		    "rows match: narrow the time range", max));
		json_details_reply(r, "too many rows for one export");
		return;
	}
	if (format == NULL || strcmp(format, "json") == 0) {
		http_header(r, "Content-Disposition",
		    "attachment; filename=\"access-log.json\"");
		text = json_rows_text(r->arena, rows, &len);
		http_reply_raw(r, 200, "application/json; charset=utf-8", text,
		    len);
		return;
	}
	text = csv_rows_text(r->arena, rows, &len);
	http_header(r, "Content-Disposition",
	    "attachment; filename=\"access-log.csv\"");
	http_reply_raw(r, 200, "text/csv; charset=utf-8", text, len);
}
