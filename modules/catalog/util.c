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
	int st;

	if ((st = db_query(r->arena, sql, p, 1, rows)) != DS_OK) {
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
		p[2 * i] = P_INT(v[i].present || v[i].is_null);
		p[2 * i + 1] = db_param_fval(&v[i], spec[i].type);
	}
}

/* ------------------------------------------------------------------ */
/* offset paging                                                        */

int
opage_or_reply(struct http_req *r, struct opage *pg)
{
	const char *c = http_param(r, "cursor");
	unsigned char *dec;
	long n;

	pg->offset = 0;
	if (http_param_int_or_reply(r, "limit", 50, 1, 200, &pg->limit) != 0)
		return DS_REPLIED;
	if (c == NULL)
		return DS_OK;
	n = b64url_decode(r->arena, c, strlen(c), &dec);
	if (n < 4 || n > 24 || strlen((char *)dec) != (size_t)n ||
	    memcmp(dec, "o1:", 3) != 0 ||
	    parse_ll((char *)dec + 3, 1, 1000000, &pg->offset) != 0) {
		json_detail(r, "cursor", "is not a cursor this API issued");
		return json_details_reply(r, "invalid query parameter");
	}
	return DS_OK;
}

/* Replies 200 {"items": rows, "next_cursor": ...} as http_reply_page_rows
 * does, the cursor holding the offset after a full page. */
static void
opage_reply_rows(struct http_req *r, const struct opage *pg,
    const struct db_rows *rows)
{
	const char *items = json_rows_text(r->arena, rows, NULL);
	const char *next = "null", *body;

	if (rows->nrows > 0 && (long long)rows->nrows >= pg->limit) {
		char *raw = arena_printf(r->arena, "o1:%lld",
		    pg->offset + (long long)rows->nrows);

		/* base64url: nothing to escape. */
		next = arena_printf(r->arena, "\"%s\"", b64url_encode(r->arena,
		    (unsigned char *)raw, strlen(raw)));
	}
	body = arena_printf(r->arena, "{\"items\":%s,\"next_cursor\":%s}",
	    items, next);
	http_reply_raw(r, 200, "application/json; charset=utf-8", body,
	    strlen(body));
}

void
opage_query_reply(struct http_req *r, const struct opage *pg,
    const char *sql, const struct db_param *p, size_t n)
{
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, n, &rows)) != DS_OK)
		http_error_status(r, st);
	else
		opage_reply_rows(r, pg, rows);
}
