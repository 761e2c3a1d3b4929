/*
 * What the passing of time changes, written down by a sweep: a request
 * whose decision deadline passed is due (its provider is told once,
 * Decree 47/2020 Art. 35.3), and a grant past its end is expired (both
 * sides are told). Readers never depend on the sweep: overdue and expired
 * are computed from the database clock on every read.
 *
 * The sweep runs after a response in a sharing worker at most every
 * sweep_interval seconds (default 60), before GET /sharing-requests?
 * overdue=true answers, and can be run by an operator's command: it needs
 * only ds.h and its tables, so datashare-admin may link this file. Each
 * row moves by a conditional UPDATE, so concurrent sweeps notify once.
 */
#include <time.h>

#include "ds.h"
#include "sharing.h"

#define BATCH	500

/* One row moved by sql (its id the only parameter), with its audit row and
 * the notifications, in one transaction. Returns 1 when moved. */
static int
move(const char *sql, long long id, const char *action, const char *entity,
    const char *kind, const long long *to, size_t nto)
{
	struct db_param p[] = { P_INT(id) };
	unsigned long long n;
	int st;

	if ((st = db_begin()) != DS_OK)
		return st;
	if ((st = db_exec(sql, p, 1, &n, NULL)) != DS_OK)
		goto fail;
	if (n == 0) {
		db_rollback();
		return 0;
	}
	if ((st = audit_append(NULL, action, entity, id, NULL, NULL)) != DS_OK)
		goto fail;
	for (size_t i = 0; i < nto; i++)
		if ((st = notify(to[i], kind, entity, id, NULL)) != DS_OK)
			goto fail;
	return (st = db_commit()) == DS_OK ? 1 : st;
fail:
	db_rollback();
	return st;
}

static long
sweep_due_requests(struct arena *a)
{
	static const char *due =
	    "SELECT id, provider_agency_id FROM sharing_requests "
	    "WHERE status = 'submitted' AND due_at < UTC_TIMESTAMP(6) "
	    "  AND due_notified_at IS NULL ORDER BY id LIMIT ?";
	static const char *mark =
	    "UPDATE sharing_requests SET due_notified_at = "
	    "  CURRENT_TIMESTAMP(6) WHERE id = ? AND status = 'submitted' "
	    "  AND due_notified_at IS NULL";
	struct db_param p[] = { P_INT(BATCH) };
	struct db_rows *rows;
	long moved = 0;
	int st;

	if ((st = db_query(a, due, p, 1, &rows)) != DS_OK)
		return st;
	for (size_t i = 0; i < rows->nrows; i++) {
		long long to[] = { db_get_int(rows, i, "provider_agency_id") };

		if ((st = move(mark, db_get_int(rows, i, "id"),
		    "sharing_request.due", "sharing_request",
		    "sharing_request.due", to, 1)) < 0)
			return st;
		moved += st;
	}
	return moved;
}

static long
sweep_expired_grants(struct arena *a)
{
	static const char *ended =
	    "SELECT id, provider_agency_id, consumer_agency_id FROM grants "
	    "WHERE status = 'active' AND ends_at <= UTC_TIMESTAMP(6) "
	    "ORDER BY id LIMIT ?";
	static const char *expire =
	    "UPDATE grants SET status = 'expired', "
	    "  updated_at = CURRENT_TIMESTAMP(6) "
	    "WHERE id = ? AND status = 'active' AND ends_at <= UTC_TIMESTAMP(6)";
	struct db_param p[] = { P_INT(BATCH) };
	struct db_rows *rows;
	long moved = 0;
	int st;

	if ((st = db_query(a, ended, p, 1, &rows)) != DS_OK)
		return st;
	for (size_t i = 0; i < rows->nrows; i++) {
		long long to[] = { db_get_int(rows, i, "provider_agency_id"),
		    db_get_int(rows, i, "consumer_agency_id") };

		if ((st = move(expire, db_get_int(rows, i, "id"),
		    "grant.expire", "grant", "grant.expired", to, 2)) < 0)
			return st;
		moved += st;
	}
	return moved;
}

long
sharing_sweep(void)
{
	struct arena *a = arena_new();
	long n, m;

	n = sweep_due_requests(a);
	m = n < 0 ? 0 : sweep_expired_grants(a);
	arena_free(a);
	if (n < 0 || m < 0)
		return n < 0 ? n : m;
	return n + m;
}

void
sharing_after_request(struct http_req *r)
{
	static time_t last;
	time_t now = time(NULL);

	(void)r;
	/* The local clock only paces the sweep; deadlines are the
	 * database's. */
	if (now - last < conf_int("sweep_interval", 60, 1, 86400, NULL))
		return;
	last = now;
	if (sharing_sweep() < 0)
		log_warnx(__func__, "the sweep failed; it runs again later");
}
