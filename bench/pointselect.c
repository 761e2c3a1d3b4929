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

/* The statements the limit may run: every column of one row, as the
 * project's show handlers read them. */
static const struct {
	const char	*table;
	const char	*sql;
} stmts[] = {
	{ "agencies", "SELECT * FROM agencies WHERE id = ?" },
	{ "datasets", "SELECT * FROM datasets WHERE id = ?" },
};

static const char *sql;

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
		json_object *o = fetch(s, slash ? atoll(slash + 1) : 0);

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
		if (strcmp(argv[3], stmts[i].table) == 0)
			sql = stmts[i].sql;
	if (sql == NULL) {
		fprintf(stderr, "pointselect: unknown table %s\n", argv[3]);
		return 2;
	}
	return bench_prefork(argv[1], atoi(argv[2]), serve);
}
