/*
 * Open data (Art. 10, 17.1.e, R2.3): published open datasets, readable by
 * anyone without an account. Each read of one counts a view; with the
 * downloads the sharing module counts, that is the demand by which lists
 * can be sorted (Art. 10.4: high-demand data first). Each has a due date
 * for its next update (publish.c); the DIC lists what is overdue.
 */
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "catalog.h"

/* Published open data only: the status test lets the index narrow it. */
#define OPEN "d.status = 'published' AND " DATASET_VIS " = 'public'"

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
	const char *sort;
	long long agency;

	if (enum_param_or_reply(r, "sort", sorts, &sort) ||
	    http_param_int_or_reply(r, "agency_id", 0, 1, 1LL << 53, &agency))
		return;
	if (sort != NULL && strcmp(sort, "demand") == 0) {
		struct opage pg;

		if (opage_or_reply(r, &pg))
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

/* An open dataset's active services, the last columns of its read. */
#define SERVICE_COLS \
	"s.id, s.name, s.protocol, s.endpoint, s.version, s.guide"
#define SERVICE_NCOLS	6

/* A row's service id, 0 for none (NULL). */
static long long
service_id(const struct db_rows *rows, size_t r, size_t col)
{
	const char *v = db_cell(rows, r, col);

	return v == NULL ? 0 : strtoll(v, NULL, 10);
}

/* The rows in the order of their service ids (NULL, no service, first),
 * as the separate query's ORDER BY gave them. The join cannot sort: an
 * ORDER BY on the outer-joined table made MariaDB sort the row with the
 * dataset's TEXT columns in a temporary table, ~250 us a read. Few rows,
 * most often in order already (the index is (dataset_id, id)): an
 * insertion sort. */
static void
sort_services(struct arena *a, struct db_rows *rows, size_t col)
{
	size_t nc = rows->ncols, i, j, sz = nc * sizeof(char *);
	const char **cells = arena_alloc(a, sz);
	size_t *lens = arena_alloc(a, nc * sizeof(size_t));
	long long key;

	for (i = 1; i < rows->nrows; i++) {
		key = service_id(rows, i, col);
		for (j = i; j > 0 && service_id(rows, j - 1, col) > key; j--)
			;
		if (j == i)
			continue;
		/* Row i moves up to j; rows j..i-1 move down one. */
		memcpy(cells, rows->cells + i * nc, sz);
		memcpy(lens, rows->lens + i * nc, nc * sizeof(size_t));
		memmove(rows->cells + (j + 1) * nc, rows->cells + j * nc,
		    (i - j) * sz);
		memmove(rows->lens + (j + 1) * nc, rows->lens + j * nc,
		    (i - j) * nc * sizeof(size_t));
		memcpy(rows->cells + j * nc, cells, sz);
		memcpy(rows->lens + j * nc, lens, nc * sizeof(size_t));
	}
}

/* GET /open-data/{id}: public; counts a view. The dataset comes with its
 * active services. Its views are the database's, which the master brings
 * up to date every seal_interval_ms (docs/catalog.md).
 * One round trip: the services are LEFT JOINed (one row per service, the
 * dataset repeated; one row with NULL services when it has none), which
 * costs MariaDB an index dive where a second query cost a whole
 * statement; the text is written from the rows (core jsonout), the bytes
 * json-c gave (docs/catalog.md, "Reading one open dataset"). */
void
open_data_show(struct http_req *r)
{
	/* Only when no count can be added in memory (counter.c). */
	static const char *count =
	    "UPDATE datasets d JOIN `databases` b ON b.id = d.database_id "
	    "SET d.views = d.views + 1 WHERE d.id = ? AND " OPEN;
	static const char *show =
	    "SELECT " DATASET_COLS ", d.views + d.downloads AS demand, "
	    SERVICE_COLS DATASET_FROM
	    "LEFT JOIN services s ON s.dataset_id = d.id "
	    "  AND s.status = 'active' "
	    "WHERE d.id = ? AND " OPEN;
	struct db_param p[] = { P_INT(r->captures[0]) };
	struct db_rows *rows;
	const char *body;
	size_t len;
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
	sort_services(r->arena, rows, rows->ncols - SERVICE_NCOLS);
	body = json_nested_text(r->arena, rows, rows->ncols - SERVICE_NCOLS,
	    "services", &len);
	http_reply_raw(r, 200, "application/json; charset=utf-8", body, len);
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
	struct page pg;
	long long agency;

	if (auth_require_role_or_reply(r, ROLE_OVERSIGHT) ||
	    http_page_or_reply(r, &pg) ||
	    http_param_int_or_reply(r, "agency_id", 0, 1, 1LL << 53, &agency))
		return;
	{
		struct db_param p[] = { P_INT(agency), P_INT(agency),
		    P_INT(pg.after), P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}
