/*
 * The public holidays DIC keeps (working days skip them and weekends),
 * and a calculator for the working-day arithmetic every deadline uses.
 * Both reads are public: the calendar is no secret. ND47 Art. 35.3: a
 * sharing decision is due in working days, and so are the disputes' and
 * planned suspensions' deadlines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "sharing.h"

#define HOLIDAY_COLS "day, name, name_en, created_at"

static const char *sql_show =
    "SELECT " HOLIDAY_COLS " FROM holidays WHERE day = ?";

void
holidays_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " HOLIDAY_COLS " FROM holidays "
	    "WHERE (? = 0 OR YEAR(day) = ?) ORDER BY day LIMIT 1000";
	enum { Q_YEAR, Q__N };
	static const struct field query[Q__N] = {
		[Q_YEAR] = { "year", F_INT, false, 1900, 9999, NULL },
	};
	struct fval q[Q__N];
	struct db_rows *rows;
	json_object *o;
	long long year;
	int st;

	if (http_query_or_reply(r, query, Q__N, q))
		return;
	year = q[Q_YEAR].i;
	{
		struct db_param p[] = { P_INT(year), P_INT(year) };

		if ((st = db_query(r->arena, sql, p, 2, &rows)) != DS_OK) {
			http_error_status(r, st);
			return;
		}
	}
	o = json_object_new_object();
	json_object_object_add(o, "items", db_rows_json(rows));
	json_object_object_add(o, "next_cursor", NULL);
	http_reply(r, 200, o);
}

void
holiday_create(struct http_req *r)
{
	enum { HC_DAY, HC_NAME, HC_NAME_EN, HC__N };
	static const struct field spec[HC__N] = {
		[HC_DAY] = { "day", F_DATE, true, 0, 0, NULL },
		[HC_NAME] = { "name", F_STRING, true, 1, 255, NULL },
		[HC_NAME_EN] = { "name_en", F_STRING, false, 1, 255, NULL },
	};
	static const char *insert =
	    "INSERT INTO holidays (day, name, name_en) VALUES (?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_rows *rows;
	long long key;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLE_DIC_ADMIN) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	{
		struct db_param p[] = { P_STR(v[HC_DAY].s), P_STR(v[HC_NAME].s),
		    P_STR(v[HC_NAME_EN].s) };
		struct db_param q[] = { P_STR(v[HC_DAY].s) };

		if ((st = db_begin()) ||
		    (st = db_exec(insert, p, NPARAMS(p), NULL, NULL)) ||
		    (st = db_query(r->arena, sql_show, q, 1, &rows)))
			goto fail;
	}
	o = db_row_json(rows, 0);
	/* The audit trail's entity id is the day as YYYYMMDD. */
	key = (long long)strtoll(v[HC_DAY].s, NULL, 10) * 10000 +
	    strtoll(v[HC_DAY].s + 5, NULL, 10) * 100 + strtoll(v[HC_DAY].s + 8,
	    NULL, 10);
	tx_commit_reply(r, "holiday.create", "holiday", key, NULL, o, 201);
	return;
fail:
	db_rollback();
	if (st == DS_ECONFLICT)
		http_error(r, 409, "conflict", "%s is already a holiday",
		    v[HC_DAY].s);
	else
		http_error_status(r, st);
}

/* DELETE /holidays/{day}, the day written YYYYMMDD. */
void
holiday_delete(struct http_req *r)
{
	static const char *del = "DELETE FROM holidays WHERE day = ?";
	long long d = r->captures[0];
	char day[32];
	struct db_rows *rows;
	unsigned long long n;
	int st;

	if (auth_require_role_or_reply(r, ROLE_DIC_ADMIN))
		return;
	snprintf(day, sizeof(day), "%04lld-%02lld-%02lld", d / 10000,
	    d / 100 % 100, d % 100);
	{
		struct db_param p[] = { P_STR(day) };

		if (d < 19000101 || d > 99991231 ||
		    (st = db_query(r->arena, sql_show, p, 1, &rows)) != DS_OK ||
		    rows->nrows != 1) {
			http_error(r, 404, "not_found", "no such holiday");
			return;
		}
		if ((st = db_begin()) || (st = db_exec(del, p, 1, &n, NULL)) ||
		    (st = audit_append(&r->who, "holiday.delete", "holiday", d,
		    db_row_json(rows, 0), NULL)) || (st = db_commit())) {
			tx_fail_reply(r, st);
			return;
		}
	}
	http_reply(r, 200, db_row_json(rows, 0));
}

/* GET /holidays/working-days?from=YYYY-MM-DD&days=N: the Nth working day
 * after from. */
void
working_days_show(struct http_req *r)
{
	enum { Q_FROM, Q_DAYS, Q__N };
	static const struct field query[Q__N] = {
		[Q_FROM] = { "from", F_DATE, true, 0, 0, NULL },
		[Q_DAYS] = { "days", F_INT, false, 0, 366, NULL },
	};
	struct fval v[Q__N];
	json_object *o;
	long long days;
	char out[11];
	int st;

	if (http_query_or_reply(r, query, Q__N, v))
		return;
	days = v[Q_DAYS].present ? v[Q_DAYS].i : 1;
	if ((st = workdays_add(r->arena, v[Q_FROM].s, (int)days, out)) !=
	    DS_OK) {
		http_error_status(r, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "from", json_object_new_string(v[Q_FROM].s));
	json_object_object_add(o, "days", json_object_new_int64(days));
	json_object_object_add(o, "date", json_object_new_string(out));
	http_reply(r, 200, o);
}
