/*
 * What the passing of time changes, written down by a sweep: a request
 * whose decision deadline passed is due (its provider is told once,
 * Decree 47/2020 Art. 35.3), and a grant past its end is expired (both
 * sides are told). Readers never depend on the sweep: overdue and expired
 * are computed from the database clock on every read.
 *
 * The sweep is the sharing module's tick: its master runs it every
 * sweep_interval seconds (default 60), traffic or none, between sealing
 * rounds (server.c); no worker runs it. It needs only ds.h and its
 * tables, so datashare-admin may link this file. Every host runs a
 * master, so sweeps may run at once: each row moves by a conditional
 * UPDATE (one of them moves it, and notifies), after a lock taken with
 * SKIP LOCKED, so that a row another transaction holds waits for the
 * next run instead of holding up the master.
 */
#include "ds.h"
#include "sharing.h"

/* Rows of each kind one run moves at most, so that a run stays short (a
 * backlog, after a stop, drains over the next runs). */
#define BATCH	100

/* Marks request id due (its audit row with it): DS_OK, DS_ECONFLICT when
 * another sweep did, or a status. */
static int
mark_due(long long id)
{
	static const char *mark =
	    "UPDATE sharing_requests SET due_notified_at = "
	    "  UTC_TIMESTAMP(6) WHERE id = ? AND status = 'submitted' "
	    "  AND due_notified_at IS NULL";
	struct db_param p[] = { P_INT(id) };
	unsigned long long n;
	int st;

	if ((st = db_exec(mark, p, 1, &n, NULL)) != DS_OK)
		return st;
	if (n == 0)
		return DS_ECONFLICT;
	return audit_append(NULL, "sharing_request.due", "sharing_request",
	    id, NULL, NULL);
}

/* Expires grant id by the one writer of grant status (grant_state.c),
 * which checks that it is past its end and writes the audit row. */
static int
expire_grant(long long id)
{
	return grant_status_move(NULL, id, "active", "expired",
	    "grant.expire");
}

/* One row moved by step (DS_ECONFLICT: not moved), after taking its lock
 * (its id the only parameter), with the notifications, in one
 * transaction. Returns 1 when moved, 0 when another sweep moved it or
 * holds it, or a status. */
static int
move(struct arena *a, const char *lock, int (*step)(long long), long long id,
    const char *entity, const char *kind, const long long *to, size_t nto)
{
	struct db_param p[] = { P_INT(id) };
	struct db_rows *held;
	int st;

	if ((st = db_begin()) != DS_OK)
		return st;
	if ((st = db_query(a, lock, p, 1, &held)) != DS_OK)
		goto fail;
	if (held->nrows == 0 || (st = step(id)) == DS_ECONFLICT) {
		db_rollback();
		return 0;
	}
	if (st != DS_OK)
		goto fail;
	for (size_t i = 0; i < nto; i++)
		if ((st = notify(to[i], kind, entity, id, NULL)) != DS_OK)
			goto fail;
	return (st = db_commit()) == DS_OK ? 1 : st;
fail:
	db_rollback();
	return st;
}

/* Requests whose decision deadline passed: their provider is told once
 * (due_notified_at). Returns the rows moved, or a status. */
static long
sweep_due_requests(struct arena *a)
{
	static const char *due =
	    "SELECT id, provider_agency_id FROM sharing_requests "
	    "WHERE status = 'submitted' AND due_at < UTC_TIMESTAMP(6) "
	    "  AND due_notified_at IS NULL ORDER BY id LIMIT ?";
	static const char *lock =
	    "SELECT id FROM sharing_requests WHERE id = ? "
	    "FOR UPDATE SKIP LOCKED";
	struct db_param p[] = { P_INT(BATCH) };
	struct db_rows *rows;
	long moved = 0;
	int st;

	if ((st = db_query(a, due, p, 1, &rows)) != DS_OK)
		return st;
	for (size_t i = 0; i < rows->nrows; i++) {
		long long to[] = { db_get_int(rows, i, "provider_agency_id") };

		if ((st = move(a, lock, mark_due, db_get_int(rows, i, "id"),
		    "sharing_request", "sharing_request.due", to, 1)) < 0)
			return st;
		moved += st;
	}
	return moved;
}

/* Active grants past their end become expired; both sides are told.
 * Returns the rows moved, or a status. */
static long
sweep_expired_grants(struct arena *a)
{
	static const char *ended =
	    "SELECT id, provider_agency_id, consumer_agency_id FROM grants "
	    "WHERE status = 'active' AND " GRANT_PAST_END_SQL("grants") " "
	    "ORDER BY id LIMIT ?";
	static const char *lock =
	    "SELECT id FROM grants WHERE id = ? FOR UPDATE SKIP LOCKED";
	struct db_param p[] = { P_INT(BATCH) };
	struct db_rows *rows;
	long moved = 0;
	int st;

	if ((st = db_query(a, ended, p, 1, &rows)) != DS_OK)
		return st;
	for (size_t i = 0; i < rows->nrows; i++) {
		long long to[] = { db_get_int(rows, i, "provider_agency_id"),
		    db_get_int(rows, i, "consumer_agency_id") };

		if ((st = move(a, lock, expire_grant, db_get_int(rows, i, "id"),
		    "grant", "grant.expired", to, 2)) < 0)
			return st;
		moved += st;
	}
	return moved;
}

int
sharing_sweep(void)
{
	struct arena *a = arena_new();
	long n, m;

	/* The two are independent: one failing does not hold up the
	 * other's notices, unless the database is away for both. */
	if ((n = sweep_due_requests(a)) < 0)
		log_warnx(__func__, "due requests: status %ld", n);
	arena_reset(a);
	m = n == DS_EUNAVAIL ? 0 : sweep_expired_grants(a);
	if (m < 0)
		log_warnx(__func__, "expired grants: status %ld", m);
	arena_free(a);
	if (n < 0 || m < 0)
		return (int)(n < 0 ? n : m);
	return DS_OK;
}
