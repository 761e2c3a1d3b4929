/*
 * The yearly review of each database by its owner (Art. 7.2, R1.4): the
 * agency checks the current state of its databases once a year (by the
 * database's clock) and says whether the entry is current or needs
 * changes; the DIC sees which agencies have listed databases that nobody
 * reviewed this year.
 */
#include "ds.h"
#include "catalog.h"

#define REVIEW_COLS "v.id, v.database_id, v.agency_id, v.year, v.outcome, " \
	"v.notes, v.reviewed_by, v.created_at"

void
reviews_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " REVIEW_COLS " FROM database_reviews v "
	    "WHERE v.database_id = ? AND (? = 0 OR v.id > ?) "
	    "ORDER BY v.id LIMIT ?";
	struct db_rows *db;
	struct page pg;

	if (database_load_or_reply(r, r->captures[0], false, &db) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, NULL, 0, NULL))
		return;
	{
		struct db_param p[] = { P_INT(r->captures[0]), P_INT(pg.after),
		    P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

/* POST /databases/{id}/reviews: this year's review; one per database and
 * year. */
void
review_create(struct http_req *r)
{
	static const char *const outcomes[] = { "current", "changes_needed",
	    NULL };
	enum { RV_OUTCOME, RV_NOTES, RV__N };
	static const struct field spec[RV__N] = {
		[RV_OUTCOME] = { "outcome", F_ENUM, true, 0, 0, outcomes },
		[RV_NOTES] = { "notes", F_TEXT, false, 0, 0, NULL },
	};
	static const char *insert =
	    "INSERT INTO database_reviews (database_id, agency_id, year, "
	    "  outcome, notes, reviewed_by) "
	    "SELECT b.id, b.agency_id, YEAR(UTC_TIMESTAMP()), ?, ?, ? "
	    "FROM `databases` b WHERE b.id = ? AND b.status <> 'withdrawn'";
	static const char *show =
	    "SELECT " REVIEW_COLS " FROM database_reviews v WHERE v.id = ?";
	struct fval v[NPARAMS(spec)];
	struct db_rows *db, *rows;
	unsigned long long n, id;
	int st;

	if (database_load_or_reply(r, r->captures[0], false, &db) ||
	    owner_or_reply(r, db_get_int(db, 0, "agency_id"), true) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	{
		struct db_param p[] = { P_STR(v[RV_OUTCOME].s),
		    P_STR(v[RV_NOTES].s),
		    P_INT(r->who.account_id), P_INT(r->captures[0]) };

		if ((st = db_begin()) ||
		    (st = db_exec(insert, p, NPARAMS(p), &n, &id))) {
			db_rollback();
			if (st == DS_ECONFLICT)
				http_error(r, 409, "conflict", "the database "
				    "was already reviewed this year");
			else
				http_error_status(r, st);
			return;
		}
	}
	if (n == 0) {
		db_rollback();
		http_error(r, 409, "conflict", "the database is withdrawn");
		return;
	}
	if (row_or_reply(r, show, (long long)id, "review", &rows))
		return;
	tx_commit_reply(r, "database.review", "database_review",
	    (long long)id, NULL, db_row_json(rows, 0), 201);
}

/* Listed databases (alias b) with no review for the year (a parameter). */
#define UNREVIEWED \
	"b.status = 'listed' AND NOT EXISTS (SELECT 1 FROM database_reviews v " \
	"  WHERE v.database_id = b.id AND v.year = ?)"

/* GET /databases/unreviewed?year=: the agencies that owe a review, each
 * with its unreviewed databases; paged by agency. */
void
databases_unreviewed(struct http_req *r)
{
	static const char *agencies =
	    "SELECT a.id, a.code, a.name FROM agencies a "
	    "WHERE EXISTS (SELECT 1 FROM `databases` b "
	    "  WHERE b.agency_id = a.id AND " UNREVIEWED ") "
	    "  AND (? = 0 OR a.id > ?) ORDER BY a.id LIMIT ?";
	static const char *dbs =
	    "SELECT b.id, b.agency_id, b.name, b.kind FROM `databases` b "
	    "WHERE b.agency_id BETWEEN ? AND ? AND " UNREVIEWED
	    " ORDER BY b.agency_id, b.id";
	struct db_rows *ag, *db = NULL;
	struct page pg;
	enum { Q_YEAR, Q__N };
	static const struct field query[Q__N] = {
		[Q_YEAR] = { "year", F_INT, false, 2000, 9999, NULL },
	};
	struct fval q[Q__N];
	long long year;
	json_object *items;
	size_t j = 0;
	int st;

	if (auth_require_role_or_reply(r, ROLE_OVERSIGHT) ||
	    http_query_or_reply(r, query, Q__N, q) ||
	    http_page_or_reply(r, &pg))
		return;
	year = q[Q_YEAR].present ? q[Q_YEAR].i : catalog_year();
	{
		struct db_param p[] = { P_INT(year), P_INT(pg.after),
		    P_INT(pg.after), P_INT(pg.limit) };

		if ((st = db_query(r->arena, agencies, p, NPARAMS(p), &ag))) {
			http_error_status(r, st);
			return;
		}
	}
	if (ag->nrows > 0) {
		struct db_param p[] = { P_INT(db_get_int(ag, 0, "id")),
		    P_INT(db_get_int(ag, ag->nrows - 1, "id")), P_INT(year) };

		if ((st = db_query(r->arena, dbs, p, NPARAMS(p), &db))) {
			http_error_status(r, st);
			return;
		}
	}
	items = json_object_new_array();
	/* Both are ordered by agency: one merge pass. */
	for (size_t i = 0; i < ag->nrows; i++) {
		json_object *o = db_row_json(ag, i), *list;
		long long id = db_get_int(ag, i, "id");

		list = json_object_new_array();
		for (; j < db->nrows && db_get_int(db, j, "agency_id") <= id; j++)
			if (db_get_int(db, j, "agency_id") == id)
				json_object_array_add(list, db_row_json(db, j));
		json_object_object_add(o, "databases", list);
		json_object_array_add(items, o);
	}
	http_reply_page(r, &pg, items);
}
