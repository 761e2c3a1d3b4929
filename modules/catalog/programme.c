/*
 * The year's assessment programme (Art. 6.3, 19.2, R3.2): the DIC plans
 * and follows the yearly inspection of every dataset in scope (not
 * excluded, not withdrawn). It sees which datasets have no assessment for
 * the year and which failed assessments have a remediation past its due
 * date. An agency sees the same for its own datasets; the oversight roles
 * see every agency's.
 */
#include "ds.h"
#include "catalog.h"

/* Datasets the programme covers (aliases d, b). */
#define IN_SCOPE "d.excluded = 0 AND d.status <> 'withdrawn'"
/* Whose rows the caller sees: its agency's, or all (oversight). */
#define MINE(col) "(" col " = ? OR ? = 1)"
#define MINE_PARAMS(who) \
	P_INT((who)->agency_id), P_INT(auth_has_role((who), ROLE_OVERSIGHT))
/* A failed assessment (alias x) that is the dataset's latest and whose
 * remediation is past due, by the database's clock. */
#define OVERDUE \
	"x.verdict = 'fail' AND x.remediation_due < UTC_DATE() " \
	"AND NOT EXISTS (SELECT 1 FROM assessments y " \
	"  WHERE y.dataset_id = x.dataset_id AND y.id > x.id)"

/* People of an agency see its programme; consumer systems nothing. */
static int
reader_or_reply(struct http_req *r)
{
	return auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSIGHT);
}

/* ?year=, this year by default: the one parameter of these lists
 * (besides paging). */
static int
year_or_reply(struct http_req *r, long long *year)
{
	enum { Q_YEAR, Q__N };
	static const struct field query[Q__N] = {
		[Q_YEAR] = { "year", F_INT, false, 2000, 9999, NULL },
	};
	struct fval q[Q__N];

	if (http_query_or_reply(r, query, Q__N, q))
		return DS_REPLIED;
	*year = q[Q_YEAR].present ? q[Q_YEAR].i : catalog_year();
	return DS_OK;
}

/* GET /assessments/programme?year=: the year's counts. */
void
programme_show(struct http_req *r)
{
	static const char *sql =
	    "SELECT ? AS year, COUNT(*) AS datasets, "
	    "  COALESCE(SUM(l.verdict IS NOT NULL), 0) AS assessed, "
	    "  COALESCE(SUM(l.verdict = 'pass'), 0) AS passed, "
	    "  COALESCE(SUM(l.verdict = 'fail'), 0) AS failed, "
	    "  COALESCE(SUM(l.verdict IS NULL), 0) AS unassessed, "
	    "  (SELECT COUNT(*) FROM assessments x "
	    "    WHERE " MINE("x.agency_id") " AND " OVERDUE ") AS overdue "
	    "FROM (SELECT (SELECT x.verdict FROM assessments x "
	    "        WHERE x.dataset_id = d.id AND x.year = ? "
	    "        ORDER BY x.id DESC LIMIT 1) AS verdict "
	    "      FROM datasets d JOIN `databases` b ON b.id = d.database_id "
	    "      WHERE " IN_SCOPE " AND " MINE("b.agency_id") ") l";
	struct db_rows *rows;
	long long year;
	int st;

	if (reader_or_reply(r) || year_or_reply(r, &year))
		return;
	{
		struct db_param p[] = { P_INT(year), MINE_PARAMS(&r->who),
		    P_INT(year), MINE_PARAMS(&r->who) };

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	http_reply(r, 200, db_row_json(rows, 0));
}

/* GET /assessments/unassessed?year=: datasets in scope with no
 * assessment for the year. */
void
programme_unassessed(struct http_req *r)
{
	static const char *sql =
	    "SELECT d.id, d.title, d.database_id, b.agency_id, "
	    "  a.name AS agency_name, d.status, d.classification "
	    "FROM datasets d JOIN `databases` b ON b.id = d.database_id "
	    "JOIN agencies a ON a.id = b.agency_id "
	    "WHERE " IN_SCOPE " AND " MINE("b.agency_id")
	    "  AND NOT EXISTS (SELECT 1 FROM assessments x "
	    "    WHERE x.dataset_id = d.id AND x.year = ?) "
	    "  AND (? = 0 OR d.id > ?) ORDER BY d.id LIMIT ?";
	struct page pg;
	long long year;

	if (reader_or_reply(r) || year_or_reply(r, &year) ||
	    http_page_or_reply(r, &pg))
		return;
	{
		struct db_param p[] = { MINE_PARAMS(&r->who), P_INT(year),
		    P_INT(pg.after), P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

/* GET /assessments/overdue: failed assessments, still the dataset's
 * latest, whose remediation is past due. */
void
programme_overdue(struct http_req *r)
{
	static const char *sql =
	    "SELECT x.id, x.dataset_id, d.title AS dataset_title, x.agency_id, "
	    "  a.name AS agency_name, x.year, x.remediation_plan, "
	    "  x.remediation_due, "
	    "  DATEDIFF(UTC_DATE(), x.remediation_due) AS days_overdue "
	    "FROM assessments x JOIN datasets d ON d.id = x.dataset_id "
	    "JOIN agencies a ON a.id = x.agency_id "
	    "WHERE " MINE("x.agency_id") " AND " OVERDUE
	    "  AND (? = 0 OR x.id > ?) ORDER BY x.id LIMIT ?";
	struct page pg;

	if (reader_or_reply(r) || http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, NULL, 0, NULL))
		return;
	{
		struct db_param p[] = { MINE_PARAMS(&r->who), P_INT(pg.after),
		    P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}
