/*
 * Open data (Art. 10, 17.1.e, R2.3): published open datasets, readable by
 * anyone without an account. Each read of one counts a view; with the
 * downloads the sharing module counts, that is the demand by which lists
 * can be sorted (Art. 10.4: high-demand data first). Each has a due date
 * for its next update (publish.c); the DIC lists what is overdue.
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

/* Published open data only: the status test lets the index narrow it.
 * The database's status from db_status: b.status (OPEN), or the dataset's
 * own copy (migration 0010), in step with it within the same commit. */
#define OPEN_WITH(db_status) \
	"d.status = 'published' AND " DATASET_VIS_WITH(db_status) " = 'public'"
#define OPEN		OPEN_WITH("b.status")
#define OWN_OPEN	OPEN_WITH("d.owner_db_status")

/* GET /open-data?agency_id=&sort=id|demand: public. By id (the default)
 * the cursor is an id; by demand (views + downloads, most first) it is
 * an offset. */
void
open_data_list(struct http_req *r)
{
	static const char *const sorts[] = { "id", "demand", NULL };
	static const char *by_id =
	    "SELECT " DATASET_COLS ", d.views + d.downloads AS demand"
	    DATASET_FROM "WHERE " OPEN " AND (? = 0 OR b.agency_id = ?) "
	    "  AND (? = 0 OR d.id > ?) ORDER BY d.id LIMIT ?";
	static const char *by_demand =
	    "SELECT " DATASET_COLS ", d.views + d.downloads AS demand"
	    DATASET_FROM "WHERE " OPEN " AND (? = 0 OR b.agency_id = ?) "
	    "ORDER BY demand DESC, d.id LIMIT ? OFFSET ?";
	enum { Q_SORT, Q_AGENCY, Q__N };
	static const struct field query[Q__N] = {
		[Q_SORT] = { "sort", F_ENUM, false, 0, 0, sorts },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *sort;
	long long agency;

	if (http_query_or_reply(r, query, Q__N, q))
		return;
	sort = q[Q_SORT].s;
	agency = q[Q_AGENCY].i;
	if (sort != NULL && strcmp(sort, "demand") == 0) {
		struct opage pg;

		if (http_opage_or_reply(r, &pg))
			return;
		struct db_param p[] = { P_INT(agency), P_INT(agency),
		    P_INT(pg.limit), P_INT(pg.offset) };

		opage_query_reply(r, &pg, by_demand, p, NPARAMS(p));
	} else {
		struct page pg;

		if (http_page_or_reply(r, &pg))
			return;
		struct db_param p[] = { P_INT(agency), P_INT(agency),
		    P_INT(pg.after), P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, by_id, p, NPARAMS(p));
	}
}

/* GET /open-data/{id}: public; counts a view. The read is the dataset's
 * row alone: it holds its agency and its database's status (migration
 * 0010) and its active services as JSON (0009), each kept by the
 * database. Its views are the database's, which the master brings up to
 * date every seal_interval_ms (docs/catalog.md). */
void
open_data_show(struct http_req *r)
{
	/* Only when no count can be added in memory (counter.c). */
	static const char *count =
	    "UPDATE datasets d SET d.views = d.views + 1 "
	    "WHERE d.id = ? AND " OWN_OPEN;
	static const char *show =
	    "SELECT " DATASET_COLS_WITH("d.owner_agency_id",
	    "d.owner_agency_name", "d.owner_db_status") ", "
	    "d.views + d.downloads AS demand, d.services_json "
	    "FROM datasets d WHERE d.id = ? AND " OWN_OPEN;
	struct db_param p[] = { P_INT(r->captures[0]) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, show, p, 1, &rows))) {
		http_error_status(r, st);
		return;
	}
	if (rows->nrows == 0) {
		http_error(r, 404, "not_found", "no such open dataset");
		return;
	}
	/* A view is a counter, not a change of state: no audit row. */
	if (counter_add(COUNTER_VIEWS, r->captures[0]) != 0 &&
	    (st = db_exec(count, p, 1, NULL, NULL)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	http_reply_row(r, 200, rows, 0);
}

/* GET /open-data/overdue: open data whose update is past its due date
 * (Art. 10.4), for the DIC and the other oversight roles. */
void
open_data_overdue(struct http_req *r)
{
	static const char *sql =
	    "SELECT " DATASET_COLS ", "
	    "  DATEDIFF(UTC_TIMESTAMP(6), d.update_due_at) AS days_overdue"
	    DATASET_FROM "WHERE " OPEN
	    "  AND d.update_due_at < UTC_TIMESTAMP(6) "
	    "  AND (? = 0 OR b.agency_id = ?) AND (? = 0 OR d.id > ?) "
	    "ORDER BY d.id LIMIT ?";
	enum { Q_AGENCY, Q__N };
	static const struct field query[Q__N] = {
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	struct page pg;
	long long agency;

	if (auth_require_role_or_reply(r, ROLE_OVERSIGHT) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	agency = q[Q_AGENCY].i;
	{
		struct db_param p[] = { P_INT(agency), P_INT(agency),
		    P_INT(pg.after), P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}
