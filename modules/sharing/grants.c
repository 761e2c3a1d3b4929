/*
 * Grants (R4.3): the connection an approval makes, active from its start
 * to its end (or indefinitely), then expired; suspended and terminated by
 * the suspension module. Provider, consumer and DIC read them.
 */
#include "ds.h"
#include "sharing.h"

static const char *sql_show =
    "SELECT " GRANT_COLS " FROM grants g WHERE g.id = ?";

static const char *const statuses[] = {
	"active", "expired", "suspended", "terminated", NULL
};

int
grant_json(struct arena *a, long long id, json_object **out)
{
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql_show, p, 1, &rows)) != DS_OK)
		return st;
	if (rows->nrows != 1)
		return DS_ENOTFOUND;
	*out = db_row_json(rows, 0);
	return DS_OK;
}

int
grant_load_or_reply(struct http_req *r, long long id, struct db_rows **rows)
{
	struct db_param p[] = { P_INT(id) };
	int st;

	if ((st = db_query(r->arena, sql_show, p, 1, rows)) != DS_OK)
		return http_error_status(r, st);
	/* A consumer system's account sees only its own grant. */
	if ((*rows)->nrows != 1 || (!is_overseer(&r->who) &&
	    r->who.agency_id != db_get_int(*rows, 0, "provider_agency_id") &&
	    r->who.agency_id != db_get_int(*rows, 0, "consumer_agency_id")) ||
	    (r->who.grant_id != 0 && r->who.grant_id != id))
		return http_error(r, 404, "not_found", "no such grant");
	return 0;
}

void
grants_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " GRANT_COLS " FROM grants g "
	    "WHERE (? = 1 OR g.consumer_agency_id = ? OR "
	    "    g.provider_agency_id = ?) "
	    "  AND (? IS NULL OR " GRANT_STATUS_SQL " = ?) "
	    "  AND (? = 0 OR g.dataset_id = ?) "
	    "  AND (? = 0 OR g.consumer_agency_id = ? OR "
	    "    g.provider_agency_id = ?) "
	    "  AND (? IS NULL OR (? = 'provider' AND g.provider_agency_id = ?) "
	    "    OR (? = 'consumer' AND g.consumer_agency_id = ?)) "
	    "  AND (? = 0 OR g.id = ?) "
	    "  AND (? = 0 OR g.id > ?) "
	    "ORDER BY g.id LIMIT ?";
	static const char *const sides[] = { "provider", "consumer", NULL };
	enum { Q_STATUS, Q_SIDE, Q_DATASET, Q_AGENCY, Q__N };
	static const struct field query[Q__N] = {
		[Q_STATUS] = { "status", F_ENUM, false, 0, 0, statuses },
		[Q_SIDE] = { "side", F_ENUM, false, 0, 0, sides },
		[Q_DATASET] = { "dataset_id", F_ID, false, 0, 0, NULL },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *status, *side;
	long long dataset, agency, me = r->who.agency_id;
	struct page pg;
	struct db_rows *rows;
	int st;

	if (http_query_or_reply(r, query, Q__N, q) ||
	    http_page_or_reply(r, &pg))
		return;
	status = q[Q_STATUS].s;
	side = q[Q_SIDE].s;
	dataset = q[Q_DATASET].i;
	agency = q[Q_AGENCY].i;
	{
		struct db_param p[] = {
			P_INT(is_overseer(&r->who)), P_INT(me), P_INT(me),
			P_STR(status), P_STR(status), P_INT(dataset),
			P_INT(dataset), P_INT(agency), P_INT(agency),
			P_INT(agency), P_STR(side), P_STR(side), P_INT(me),
			P_STR(side), P_INT(me), P_INT(r->who.grant_id),
			P_INT(r->who.grant_id), P_INT(pg.after),
			P_INT(pg.after), P_INT(pg.limit),
		};

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	http_reply_page_rows(r, &pg, rows);
}

void
grant_show(struct http_req *r)
{
	struct db_rows *rows;

	if (grant_load_or_reply(r, r->captures[0], &rows) == 0)
		http_reply(r, 200, db_row_json(rows, 0));
}
