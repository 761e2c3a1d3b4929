/*
 * One Connector/C connection per process, prepared statements cached per
 * connection by the address of their SQL text.
 *
 * Connector/C's own reconnect is never used: it reconnects a dropped
 * connection in autocommit mode in the middle of a transaction and lets
 * the rest of it commit (DESIGN.md). Here a lost connection fails the
 * request with DS_EUNAVAIL (503) and is made again on the next request,
 * with every statement prepared again. Only reads outside a transaction
 * and START TRANSACTION itself are retried once, as the server cannot have
 * acted on them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "ds.h"

#define STMT_CACHE	512	/* a power of two */
#define CELL_INITIAL	256

static MYSQL	*conn;
static bool	 in_tx;
static bool	 tx_broken;	/* the connection died inside a transaction */
static unsigned	 last_errno;
static int	(*on_begin)(void);	/* db_on_begin() */

static struct {
	const char	*sql;
	MYSQL_STMT	*stmt;
} cache[STMT_CACHE];

struct db_param
db_param_str(const char *s)
{
	if (s == NULL)
		return P_NULL;
	return (struct db_param){ .type = DBT_STR, .s = s, .len = strlen(s) };
}

struct db_param
db_param_fval(const struct fval *v, enum field_type t)
{
	if (!v->present)
		return P_NULL;
	switch (t) {
	case F_INT:
	case F_ID:
	case F_BOOL:
		return P_INT(v->i);
	case F_ARRAY:
	case F_STRINGS:
	case F_OBJECT:
		return P_STR(json_object_to_json_string_ext(v->o,
		    JSON_C_TO_STRING_PLAIN));
	default:
		return P_STR(v->s);
	}
}

static bool
is_conn_error(unsigned e)
{
	switch (e) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_COMMANDS_OUT_OF_SYNC:
	case CR_SERVER_LOST_EXTENDED:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case ER_QUERY_INTERRUPTED:
	case 4031:	/* disconnected for inactivity (newer servers) */
		return true;
	default:
		return false;
	}
}

static void
cache_clear(void)
{
	for (size_t i = 0; i < STMT_CACHE; i++) {
		if (cache[i].stmt != NULL)
			mysql_stmt_close(cache[i].stmt);
		cache[i].stmt = NULL;
		cache[i].sql = NULL;
	}
}

static void
drop_connection(void)
{
	cache_clear();
	if (conn != NULL)
		mysql_close(conn);
	conn = NULL;
}

void
db_disconnect(void)
{
	drop_connection();
	in_tx = false;
	tx_broken = false;
}

bool
db_in_tx(void)
{
	return in_tx;
}

unsigned
db_errno(void)
{
	return last_errno;
}

/* Maps a server or client error to a status, dropping a dead connection. */
static int
fail(const char *fn, unsigned e, const char *msg)
{
	last_errno = e;
	if (is_conn_error(e)) {
		log_warnx(fn, "database connection lost (%u): %s", e, msg);
		/* Whatever the transaction did is gone: every later statement
		 * of it must fail too, not run on a new connection in
		 * autocommit mode, until the handler rolls back. */
		if (in_tx)
			tx_broken = true;
		drop_connection();
		return DS_EUNAVAIL;
	}
	switch (e) {
	case ER_DUP_ENTRY:
	case ER_DUP_ENTRY_WITH_KEY_NAME:
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
		return DS_ECONFLICT;
	case ER_NO_REFERENCED_ROW:
	case ER_NO_REFERENCED_ROW_2:
	case ER_ROW_IS_REFERENCED:
	case ER_ROW_IS_REFERENCED_2:
		return DS_EFKEY;
	default:
		log_warnx(fn, "database error %u: %s", e, msg);
		return DS_ERR;
	}
}

int
db_connect(void)
{
	unsigned int timeout = 2, rw_timeout;
	my_bool off = 0;
	const char *errstr = NULL, *sock;
	long long port;
	static const char *session =
	    "SET time_zone = '+00:00', "
	    /* tx_isolation: MariaDB 10.11 has no transaction_isolation,
	     * which came in 11.1 and keeps this one as an alias. */
	    "SESSION tx_isolation = 'READ-COMMITTED', "
	    "SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,"
	    "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

	if (conn != NULL)
		return DS_OK;
	if (tx_broken)
		return DS_EUNAVAIL;
	port = conf_int("db_port", 3306, 1, 65535, &errstr);
	rw_timeout = (unsigned)conf_int("db_timeout", 10, 1, 3600, &errstr);
	if ((conn = mysql_init(NULL)) == NULL)
		abort();
	mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
	mysql_options(conn, MYSQL_OPT_RECONNECT, &off);
	mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	sock = conf_get("db_socket");
	if (mysql_real_connect(conn, sock ? NULL : conf_str("db_host",
	    "127.0.0.1"), conf_str("db_user", "ds_app"),
	    conf_str("db_password", ""), conf_str("db_name", "datashare"),
	    (unsigned)port, sock, 0) == NULL ||
	    mysql_real_query(conn, session, strlen(session)) != 0) {
		last_errno = mysql_errno(conn);
		log_warnx(__func__, "cannot connect to the database (%u): %s",
		    last_errno, mysql_error(conn));
		mysql_close(conn);
		conn = NULL;
		return DS_EUNAVAIL;
	}
	return DS_OK;
}

static MYSQL_STMT *
stmt_get(const char *sql, int *st)
{
	size_t h = ((uintptr_t)sql >> 4) & (STMT_CACHE - 1), i;
	MYSQL_STMT *s;

	for (i = 0; i < STMT_CACHE; i++, h = (h + 1) & (STMT_CACHE - 1)) {
		if (cache[h].sql == sql)
			return cache[h].stmt;
		if (cache[h].sql == NULL)
			break;
	}
	if ((*st = db_connect()) != DS_OK)
		return NULL;
	if ((s = mysql_stmt_init(conn)) == NULL)
		abort();
	if (mysql_stmt_prepare(s, sql, strlen(sql)) != 0) {
		*st = fail(__func__, mysql_stmt_errno(s), mysql_stmt_error(s));
		if (*st != DS_EUNAVAIL)
			log_warnx(__func__, "in: %s", sql);
		mysql_stmt_close(s);
		return NULL;
	}
	if (i == STMT_CACHE || conn == NULL) {
		/* A full cache is a programming error: too many statements. */
		log_warnx(__func__, "statement cache full");
		mysql_stmt_close(s);
		*st = DS_ERR;
		return NULL;
	}
	{
		my_bool yes = 1;

		mysql_stmt_attr_set(s, STMT_ATTR_UPDATE_MAX_LENGTH, &yes);
	}
	cache[h].sql = sql;
	cache[h].stmt = s;
	return s;
}

/* Parameters bound from the stack; more (a multi-row INSERT) from the
 * heap. */
#define BIND_STACK	64
#define BIND_MAX	1024

static int
bind_and_execute(MYSQL_STMT *s, const struct db_param *p, size_t n)
{
	MYSQL_BIND on_stack[BIND_STACK], *b = on_stack;
	my_bool null_flag = 1;
	int st = DS_OK;

	if (n > BIND_MAX || mysql_stmt_param_count(s) != n) {
		log_warnx(__func__, "statement takes %lu parameters, given %zu",
		    mysql_stmt_param_count(s), n);
		return DS_ERR;
	}
	if (n > BIND_STACK && (b = calloc(n, sizeof(*b))) == NULL)
		return DS_ERR;
	memset(b, 0, sizeof(b[0]) * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		switch (p[i].type) {
		case DBT_NULL:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			b[i].is_null = &null_flag;
			break;
		case DBT_INT:
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = (void *)&p[i].i;
			break;
		case DBT_DOUBLE:
			b[i].buffer_type = MYSQL_TYPE_DOUBLE;
			b[i].buffer = (void *)&p[i].d;
			break;
		case DBT_STR:
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = (void *)p[i].s;
			b[i].buffer_length = p[i].len;
			b[i].length = (unsigned long *)&p[i].len;
			break;
		}
	}
	if ((n > 0 && mysql_stmt_bind_param(s, b) != 0) ||
	    mysql_stmt_execute(s) != 0)
		st = fail(__func__, mysql_stmt_errno(s), mysql_stmt_error(s));
	if (b != on_stack)
		free(b);
	return st;
}

int
db_exec(const char *sql, const struct db_param *p, size_t n,
    unsigned long long *affected, unsigned long long *insert_id)
{
	MYSQL_STMT *s;
	int st = DS_OK;

	if ((s = stmt_get(sql, &st)) == NULL)
		return st;
	if ((st = bind_and_execute(s, p, n)) != DS_OK)
		return st;
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(s);
	if (insert_id != NULL)
		*insert_id = mysql_stmt_insert_id(s);
	mysql_stmt_free_result(s);
	return DS_OK;
}

static enum col_kind
col_kind(const MYSQL_FIELD *f)
{
	size_t nl = strlen(f->name);

	if (nl > 5 && strcmp(f->name + nl - 5, "_json") == 0)
		return COL_JSON;
	/* A computed truth value ("(a < b) AS overdue_bool") is an integer
	 * to MariaDB; the name says it is a boolean. */
	if (nl > 5 && strcmp(f->name + nl - 5, "_bool") == 0)
		return COL_BOOL;
	switch (f->type) {
	case MYSQL_TYPE_TINY:
		if (f->length == 1)
			return COL_BOOL;
		/* FALLTHROUGH */
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return COL_INT;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return COL_DOUBLE;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_TIMESTAMP:
		return COL_DATETIME;
	case MYSQL_TYPE_DATE:
		return COL_DATE;
	default:
		return COL_STR;
	}
}

static int
fetch_all(struct arena *a, MYSQL_STMT *s, struct db_rows *rows)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(s);
	MYSQL_FIELD *f;
	MYSQL_BIND *b;
	unsigned long *len;
	my_bool *isnull;
	size_t nc, r, c, cap;
	int rc;

	if (meta == NULL)
		return DS_OK;
	if (mysql_stmt_store_result(s) != 0) {
		mysql_free_result(meta);
		return fail(__func__, mysql_stmt_errno(s), mysql_stmt_error(s));
	}
	nc = mysql_num_fields(meta);
	f = mysql_fetch_fields(meta);
	rows->ncols = nc;
	rows->nrows = 0;
	rows->names = arena_calloc(a, nc, sizeof(char *));
	rows->kinds = arena_calloc(a, nc, sizeof(enum col_kind));
	b = arena_calloc(a, nc, sizeof(*b));
	len = arena_calloc(a, nc, sizeof(*len));
	isnull = arena_calloc(a, nc, sizeof(*isnull));
	for (c = 0; c < nc; c++) {
		size_t sz = f[c].max_length + 1;

		if (sz < CELL_INITIAL)
			sz = CELL_INITIAL;
		rows->names[c] = arena_strdup(a, f[c].name);
		rows->kinds[c] = col_kind(&f[c]);
		b[c].buffer_type = MYSQL_TYPE_STRING;
		b[c].buffer = arena_alloc(a, sz);
		b[c].buffer_length = sz;
		b[c].length = &len[c];
		b[c].is_null = &isnull[c];
	}
	mysql_free_result(meta);
	cap = (size_t)mysql_stmt_num_rows(s);
	rows->cells = arena_calloc(a, (cap ? cap : 1) * nc, sizeof(char *));
	rows->lens = arena_calloc(a, (cap ? cap : 1) * nc, sizeof(size_t));
	if (mysql_stmt_bind_result(s, b) != 0)
		return fail(__func__, mysql_stmt_errno(s), mysql_stmt_error(s));
	for (r = 0; r < cap; r++) {
		rc = mysql_stmt_fetch(s);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1)
			return fail(__func__, mysql_stmt_errno(s),
			    mysql_stmt_error(s));
		for (c = 0; c < nc; c++) {
			char *cell;

			if (isnull[c])
				continue;
			cell = arena_alloc(a, len[c] + 1);
			if (len[c] < b[c].buffer_length)
				memcpy(cell, b[c].buffer, len[c]);
			else {
				/* Truncated: fetch this column whole. */
				MYSQL_BIND one = { 0 };
				unsigned long l2;

				one.buffer_type = MYSQL_TYPE_STRING;
				one.buffer = cell;
				one.buffer_length = len[c] + 1;
				one.length = &l2;
				if (mysql_stmt_fetch_column(s, &one,
				    (unsigned)c, 0) != 0)
					return fail(__func__,
					    mysql_stmt_errno(s),
					    mysql_stmt_error(s));
			}
			cell[len[c]] = '\0';
			rows->cells[r * nc + c] = cell;
			rows->lens[r * nc + c] = len[c];
		}
	}
	rows->nrows = r;
	mysql_stmt_free_result(s);
	return DS_OK;
}

int
db_query(struct arena *a, const char *sql, const struct db_param *p,
    size_t n, struct db_rows **out)
{
	struct db_rows *rows = arena_calloc(a, 1, sizeof(*rows));
	MYSQL_STMT *s;
	int st = DS_OK, attempt;

	*out = rows;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((s = stmt_get(sql, &st)) != NULL &&
		    (st = bind_and_execute(s, p, n)) == DS_OK &&
		    (st = fetch_all(a, s, rows)) == DS_OK)
			return DS_OK;
		/* A read outside a transaction may be retried once on a fresh
		 * connection: the server cannot have acted on it. */
		if (st != DS_EUNAVAIL || in_tx || !is_conn_error(last_errno))
			break;
	}
	return st;
}

static int
simple(const char *sql)
{
	int st;

	if ((st = db_connect()) != DS_OK)
		return st;
	if (mysql_real_query(conn, sql, strlen(sql)) != 0)
		return fail(__func__, mysql_errno(conn), mysql_error(conn));
	return DS_OK;
}

void
db_on_begin(int (*fn)(void))
{
	on_begin = fn;
}

int
db_begin(void)
{
	int st;

	/* Nothing has happened yet: a stale connection may be replaced. */
	if ((st = simple("START TRANSACTION")) == DS_EUNAVAIL)
		st = simple("START TRANSACTION");
	in_tx = st == DS_OK;
	if (in_tx && on_begin != NULL && (st = on_begin()) != DS_OK)
		db_rollback();
	return st;
}

int
db_commit(void)
{
	int st;

	if (conn == NULL || tx_broken) {
		in_tx = tx_broken = false;
		return DS_EUNAVAIL;
	}
	st = mysql_commit(conn) == 0 ? DS_OK :
	    fail(__func__, mysql_errno(conn), mysql_error(conn));
	in_tx = tx_broken = false;
	if (st == DS_OK)
		on_begin = NULL;
	return st;
}

void
db_rollback(void)
{
	if (conn != NULL && !tx_broken && mysql_rollback(conn) != 0)
		fail(__func__, mysql_errno(conn), mysql_error(conn));
	in_tx = tx_broken = false;
}

long long
ds_now(void)
{
	static const char *sql = "SELECT UNIX_TIMESTAMP()";
	struct arena *a;
	struct db_rows *rows;
	long long now = (long long)time(NULL);

	if (conn == NULL)
		return now;
	a = arena_new();
	if (db_query(a, sql, NULL, 0, &rows) == DS_OK && rows->nrows == 1)
		now = strtoll(db_cell(rows, 0, 0), NULL, 10);
	arena_free(a);
	return now;
}
