/*
 * The ceiling of any read: a minimal libfcgi program that runs one
 * prepared point SELECT by primary key and answers the row as a JSON
 * object, with nothing else (no token, no routing, no arena).
 *
 *   pointselect SOCKET WORKERS TABLE
 *
 * TABLE is one of the names below; the id is the last path segment
 * (/bench/point/123). The database is reached with BENCH_DB_SOCKET,
 * BENCH_DB_USER, BENCH_DB_PASSWORD and BENCH_DB_NAME. An absent row is a
 * 404, like the project's handlers.
 *
 * Two "tables" are pages instead (issue 18, the gateway's log at 20
 * million rows): the page of operational-monitoring records that
 * GET /api/v1/opmon/records answers, as the plain SQL the contract
 * implies, over the indexes of sql/0012: 100 rows in (request_in_ms, id)
 * order from a time, over one day, for DIC (every service:
 * /bench/point/opmon/<ms>) or for one service (its provider:
 * /bench/point/opmon-service/<service id>/<ms>). The rows are written as
 * a JSON list with next_records_from, as the endpoint does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>
#include <mysql.h>

#include "benchfcgi.h"

#define MAX_COLS	64
#define MAX_PARAMS	8
#define PAGE		100

/* The operational-monitoring columns of a gateway call's row, under the
 * API's names (the contract's fields). */
#define OPMON_COLS \
	"l.id, l.request_id, l.method, l.request_path, l.service_id, " \
	"l.provider_agency_id, l.consumer_agency_id, l.grant_id, " \
	"l.account_id, l.http_status, l.outcome, l.succeeded, l.fault_code, " \
	"l.fault_text, l.request_in_ms, l.request_out_ms, l.response_in_ms, " \
	"l.response_out_ms, l.request_bytes, l.request_sha256, " \
	"l.bytes AS response_bytes, l.sha256 AS response_sha256, " \
	"l.narrowed, l.bodies_kept, l.seq"
/* From a time (ms) up to a day later, the page and one row more (whose
 * place is next_records_from). */
#define OPMON_RANGE \
	"AND l.request_in_ms <= ? + 86400000 " \
	"AND (l.request_in_ms > ? OR (l.request_in_ms = ? AND l.id > 0)) " \
	"ORDER BY l.request_in_ms, l.id LIMIT 101"

/* The statements the limit may run: every column of one row, as the
 * project's show handlers read them; or a page of rows. params maps each
 * placeholder to a number of the path (its last segments, in order). */
static const struct {
	const char	*table;
	const char	*sql;
	int		 page;
	int		 nvalues;
	int		 params[MAX_PARAMS];
	int		 nparams;
} stmts[] = {
	{ "agencies", "SELECT * FROM agencies WHERE id = ?", 0, 1, { 0 }, 1 },
	{ "datasets", "SELECT * FROM datasets WHERE id = ?", 0, 1, { 0 }, 1 },
	{ "opmon", "SELECT " OPMON_COLS " FROM access_log l "
	  "FORCE INDEX (access_log_gw_time) WHERE l.kind = 'gateway' "
	  OPMON_RANGE, 1, 1, { 0, 0, 0 }, 3 },
	{ "opmon-service", "SELECT " OPMON_COLS " FROM access_log l "
	  "FORCE INDEX (access_log_service) WHERE l.service_id = ? "
	  "AND l.kind = 'gateway' " OPMON_RANGE, 1, 2, { 0, 1, 1, 1 }, 4 },
};

static const char *sql;
static int which;

static MYSQL *
connect_db(void)
{
	MYSQL *m = mysql_init(NULL);

	if (m == NULL || mysql_real_connect(m, NULL, getenv("BENCH_DB_USER"),
	    getenv("BENCH_DB_PASSWORD"), getenv("BENCH_DB_NAME"), 0,
	    getenv("BENCH_DB_SOCKET"), 0) == NULL) {
		fprintf(stderr, "pointselect: connect: %s\n",
		    m ? mysql_error(m) : "out of memory");
		_exit(1);
	}
	mysql_set_character_set(m, "utf8mb4");
	return m;
}

/* Runs the statement for id; returns the row as JSON text (the caller
 * puts obj) or NULL when there is no such row. */
static json_object *
fetch(MYSQL_STMT *s, long long id)
{
	static char bufs[MAX_COLS][8192];
	MYSQL_BIND p, b[MAX_COLS];
	unsigned long len[MAX_COLS];
	my_bool isnull[MAX_COLS];
	MYSQL_RES *meta;
	MYSQL_FIELD *f;
	json_object *o = NULL;
	unsigned n, c;

	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_LONGLONG;
	p.buffer = &id;
	if (mysql_stmt_bind_param(s, &p) || mysql_stmt_execute(s))
		_exit(1);
	meta = mysql_stmt_result_metadata(s);
	n = mysql_num_fields(meta);
	f = mysql_fetch_fields(meta);
	if (n > MAX_COLS)
		_exit(1);
	memset(b, 0, sizeof(b[0]) * n);
	for (c = 0; c < n; c++) {
		b[c].buffer_type = MYSQL_TYPE_STRING;
		b[c].buffer = bufs[c];
		b[c].buffer_length = sizeof(bufs[c]) - 1;
		b[c].length = &len[c];
		b[c].is_null = &isnull[c];
	}
	if (mysql_stmt_bind_result(s, b) || mysql_stmt_store_result(s))
		_exit(1);
	if (mysql_stmt_fetch(s) == 0) {
		o = json_object_new_object();
		for (c = 0; c < n; c++) {
			json_object *v = NULL;

			if (!isnull[c] && IS_NUM(f[c].type))
				v = json_object_new_int64(atoll(bufs[c]));
			else if (!isnull[c])
				v = json_object_new_string_len(bufs[c],
				    (int)(len[c] < sizeof(bufs[c]) ? len[c] :
				    sizeof(bufs[c]) - 1));
			json_object_object_add(o, f[c].name, v);
		}
	}
	mysql_stmt_free_result(s);
	mysql_free_result(meta);
	return o;
}

/* The page's text, built in one buffer and sent with one write. */
struct out {
	char	*buf;
	size_t	 len, cap;
};

static void
out_add(struct out *o, const char *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		if ((o->buf = realloc(o->buf, o->cap)) == NULL)
			_exit(1);
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

#define OUT_LIT(o, s)	out_add((o), (s), sizeof(s) - 1)

/* A JSON string of n bytes: quotes, backslashes and control characters
 * escaped (the text is UTF-8 from the database). */
static void
out_string(struct out *o, const char *v, unsigned long n)
{
	char esc[8];

	OUT_LIT(o, "\"");
	for (unsigned long i = 0, from = 0; i <= n; i++) {
		unsigned char ch = i < n ? (unsigned char)v[i] : 0;

		if (i < n && ch != '"' && ch != '\\' && ch >= 0x20)
			continue;
		out_add(o, v + from, i - from);
		from = i + 1;
		if (i == n)
			break;
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			out_add(o, esc, 2);
		} else
			out_add(o, esc, (size_t)snprintf(esc, sizeof(esc),
			    "\\u%04x", ch));
	}
	OUT_LIT(o, "\"");
}

/* A page: the values of the path bound as stmts[which] maps them, the
 * rows written straight to JSON text (numbers as the server sends them),
 * with next_records_from "<ms>:<id>", the page's last row, right after
 * which the next page begins (when there is one). */
static void
page(MYSQL_STMT *s, const long long *v, FCGX_Stream *fout)
{
	static char bufs[MAX_COLS][1024];
	static struct out o;
	MYSQL_BIND p[MAX_PARAMS], b[MAX_COLS];
	unsigned long len[MAX_COLS];
	my_bool isnull[MAX_COLS];
	MYSQL_RES *meta;
	MYSQL_FIELD *f;
	unsigned n, c;
	int rows = 0;
	char last[64] = "";

	memset(p, 0, sizeof(p));
	for (int i = 0; i < stmts[which].nparams; i++) {
		p[i].buffer_type = MYSQL_TYPE_LONGLONG;
		p[i].buffer = (void *)&v[stmts[which].params[i]];
	}
	if (mysql_stmt_bind_param(s, p) || mysql_stmt_execute(s))
		_exit(1);
	meta = mysql_stmt_result_metadata(s);
	n = mysql_num_fields(meta);
	f = mysql_fetch_fields(meta);
	if (n > MAX_COLS)
		_exit(1);
	memset(b, 0, sizeof(b[0]) * n);
	for (c = 0; c < n; c++) {
		b[c].buffer_type = MYSQL_TYPE_STRING;
		b[c].buffer = bufs[c];
		b[c].buffer_length = sizeof(bufs[c]) - 1;
		b[c].length = &len[c];
		b[c].is_null = &isnull[c];
	}
	if (mysql_stmt_bind_result(s, b) || mysql_stmt_store_result(s))
		_exit(1);
	o.len = 0;
	OUT_LIT(&o, "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n\r\n"
	    "{\"records\":[");
	while (mysql_stmt_fetch(s) == 0) {
		if (++rows > PAGE) {
			/* there is a next page */
			OUT_LIT(&o, "],\"next_records_from\":\"");
			out_add(&o, last, strlen(last));
			OUT_LIT(&o, "\"");
			break;
		}
		/* request_in_ms is column 14, id column 0 */
		snprintf(last, sizeof(last), "%.*s:%.*s", (int)(len[14] < 30 ?
		    len[14] : 30), bufs[14], (int)(len[0] < 30 ? len[0] : 30),
		    bufs[0]);
		out_add(&o, rows > 1 ? ",{" : "{", rows > 1 ? 2 : 1);
		for (c = 0; c < n; c++) {
			unsigned long l = len[c] < sizeof(bufs[c]) ? len[c] :
			    sizeof(bufs[c]) - 1;

			if (c > 0)
				OUT_LIT(&o, ",");
			OUT_LIT(&o, "\"");
			out_add(&o, f[c].name, f[c].name_length);
			OUT_LIT(&o, "\":");
			if (isnull[c])
				OUT_LIT(&o, "null");
			else if (IS_NUM(f[c].type))
				out_add(&o, bufs[c], l);
			else
				out_string(&o, bufs[c], l);
		}
		OUT_LIT(&o, "}");
	}
	if (rows <= PAGE)
		OUT_LIT(&o, "],\"next_records_from\":null");
	OUT_LIT(&o, "}");
	FCGX_PutStr(o.buf, (int)o.len, fout);
	mysql_stmt_free_result(s);
	mysql_free_result(meta);
}

/* The numbers at the end of the path: /bench/point/<table>/<a>[/<b>]. */
static void
path_values(const char *uri, long long *v, int n)
{
	const char *p = uri ? uri + strlen(uri) : NULL;

	for (int i = n - 1; i >= 0; i--) {
		v[i] = 0;
		if (p == NULL)
			continue;
		while (p > uri && p[-1] != '/')
			p--;
		v[i] = atoll(p);
		if (p > uri)
			p--;
	}
}

static void
serve(int fd)
{
	MYSQL *m = connect_db();
	MYSQL_STMT *s = mysql_stmt_init(m);
	FCGX_Request r;

	if (s == NULL || mysql_stmt_prepare(s, sql, strlen(sql)) != 0) {
		fprintf(stderr, "pointselect: prepare: %s\n", mysql_error(m));
		_exit(1);
	}
	if (FCGX_InitRequest(&r, fd, 0) != 0)
		_exit(1);
	while (FCGX_Accept_r(&r) >= 0) {
		const char *uri = FCGX_GetParam("DOCUMENT_URI", r.envp);
		const char *slash = uri ? strrchr(uri, '/') : NULL;
		json_object *o;

		if (stmts[which].page) {
			long long v[MAX_PARAMS];

			path_values(uri, v, stmts[which].nvalues);
			page(s, v, r.out);
			FCGX_Finish_r(&r);
			continue;
		}
		o = fetch(s, slash ? atoll(slash + 1) : 0);

		if (o == NULL)
			FCGX_PutS("Status: 404 Not Found\r\n"
			    "Content-Type: application/json\r\n\r\n"
			    "{\"error\":{\"code\":\"not_found\"}}", r.out);
		else
			FCGX_FPrintF(r.out, "Status: 200 OK\r\n"
			    "Content-Type: application/json; charset=utf-8\r\n"
			    "\r\n%s", json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		FCGX_Finish_r(&r);
	}
	_exit(0);
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: pointselect SOCKET WORKERS TABLE\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (strcmp(argv[3], stmts[i].table) == 0) {
			sql = stmts[i].sql;
			which = (int)i;
		}
	if (sql == NULL) {
		fprintf(stderr, "pointselect: unknown table %s\n", argv[3]);
		return 2;
	}
	return bench_prefork(argv[1], atoi(argv[2]), serve);
}
