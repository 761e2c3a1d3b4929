/*
 * Helpers every catalog handler uses: ending a transaction with its audit
 * row, the database's year, notices to the DIC, offset paging.
 */
#include <string.h>
#include <time.h>

#include "ds.h"
#include "catalog.h"



int
invalid_field(struct http_req *r, const char *field, const char *problem)
{
	json_detail(r, field, problem);
	return json_details_reply(r, "the request has invalid fields");
}

int
catalog_year(void)
{
	time_t now;
	struct tm tm;

	/* ds_now() reads the database's clock only when connected. */
	(void)db_connect();
	now = (time_t)ds_now();
	gmtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

int
row_or_reply(struct http_req *r, const char *sql, long long id,
    const char *what, struct db_rows **rows)
{
	struct db_param p[] = { P_INT(id) };

	return row_params_or_reply(r, sql, p, 1, what, rows);
}

int
row_params_or_reply(struct http_req *r, const char *sql,
    const struct db_param *p, size_t n, const char *what,
    struct db_rows **rows)
{
	int st;

	if ((st = db_query(r->arena, sql, p, n, rows)) != DS_OK) {
		if (db_in_tx())
			db_rollback();
		return http_error_status(r, st);
	}
	if ((*rows)->nrows != 1) {
		if (db_in_tx())
			db_rollback();
		return http_error(r, 404, "not_found", "no such %s", what);
	}
	return 0;
}

void
patch_params(const struct field *spec, const struct fval *v, size_t n,
    struct db_param *p)
{
	for (size_t i = 0; i < n; i++) {
		p[2 * i] = P_INT(v[i].present ||
		    (v[i].is_null && spec[i].need == F_NULLABLE));
		p[2 * i + 1] = db_param_fval(&v[i], spec[i].type);
	}
}

/* ------------------------------------------------------------------ */
/* offset paging                                                        */

void
opage_query_reply(struct http_req *r, const struct opage *pg,
    const char *sql, const struct db_param *p, size_t n)
{
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, n, &rows)) != DS_OK)
		http_error_status(r, st);
	else
		http_reply_items(r, rows, rows->nrows > 0 &&
		    (long long)rows->nrows >= pg->limit ? http_cursor(r->arena,
		    "o1", pg->offset + (long long)rows->nrows) : NULL);
}
