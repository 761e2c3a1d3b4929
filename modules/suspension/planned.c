/*
 * Planned suspensions of a whole service (Decree 47/2020 Art. 43.1): the
 * provider takes a service down for an upgrade, an expansion or
 * maintenance, and announces it to every consumer at least
 * planned_notice_workdays working days ahead (default 7), with the start
 * and the expected restoration. A shorter notice is refused unless the
 * announcement is an emergency with a reason (force majeure, Art. 43.1.b),
 * which DIC is told of and can list. The gateway refuses the service only
 * inside the announced window.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "suspension.h"

#define PLAN_COLS \
	"p.id, p.service_id, p.provider_agency_id, p.state, p.reason, " \
	"p.description, p.starts_at, p.ends_at, p.earliest_regular_start, " \
	"p.emergency, p.emergency_reason, p.consumers_notified, " \
	"p.created_by_account_id, p.created_by_agency_id, p.created_at, " \
	"p.cancelled_at, p.cancelled_by_account_id, p.cancel_note, " \
	"CASE WHEN p.state = 'cancelled' THEN 'cancelled' " \
	"  WHEN UTC_TIMESTAMP(6) < p.starts_at THEN 'upcoming' " \
	"  WHEN UTC_TIMESTAMP(6) < p.ends_at THEN 'in_progress' " \
	"  ELSE 'ended' END AS phase"

/* Who sees a planned suspension: DIC and auditors, the provider, the
 * agencies told of it and the consumers of the service. */
#define PLAN_VISIBLE \
	"(? OR p.provider_agency_id = ? " \
	"  OR EXISTS (SELECT 1 FROM planned_suspension_recipients x " \
	"    WHERE x.planned_suspension_id = p.id AND x.agency_id = ?) " \
	"  OR EXISTS (SELECT 1 FROM grants g WHERE g.service_id = p.service_id " \
	"    AND g.consumer_agency_id = ?))"

enum { P_REASON, P_DESC, P_START, P_END, P_EMERG, P_EMERG_REASON, NPFIELDS };

static json_object *
planned_load_json(struct http_req *r, long long id)
{
	static const char *sql =
	    "SELECT " PLAN_COLS " FROM planned_suspensions p "
	    "WHERE p.id = ? AND " PLAN_VISIBLE;
	long long me = r->who.agency_id;
	struct db_param p[] = { P_INT(id), P_INT(caller_sees_all(r)),
	    P_INT(me), P_INT(me), P_INT(me) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows)) != DS_OK) {
		http_error_status(r, st);
		return NULL;
	}
	if (rows->nrows != 1) {
		http_error(r, 404, "not_found", "no such planned suspension");
		return NULL;
	}
	return db_row_json(rows, 0);
}

/* ------------------------------------------------------------------ */
/* working days                                                         */

/* "YYYY-MM-DD" plus one day, into out. */
static void
next_day(const char *day, char out[11])
{
	long long t = 0;

	(void)date_parse(day, &t);
	date_format(t + 86400, out);
}

/* The first local day a planned suspension may start on without being
 * an emergency: the day after the n-th working day after today, so that
 * n whole working days lie between the announcement and the start
 * (Art. 43.1). Working days are core's (weekdays that are not in the
 * holidays table). */
static int
earliest_start(struct http_req *r, const char *today, long long n,
    char out[11])
{
	char last[11];
	int st;

	if (n == 0) {
		memcpy(out, today, 11);
		return DS_OK;
	}
	if ((st = workdays_add(r->arena, today, (int)n, last)) != DS_OK)
		return st;
	next_day(last, out);
	return DS_OK;
}

/* ------------------------------------------------------------------ */
/* announcing                                                           */

/* The service and its provider; 404 when absent or when the caller does
 * not see it (the catalog's rule: its dataset's visibility, auth_sees),
 * 403 for acting unless the caller is its provider or DIC. */
static int
service_load_or_reply(struct http_req *r, long long id, bool act,
    long long *provider)
{
	static const char *sql =
	    "SELECT s.agency_id, dataset_visibility(d.status, d.excluded, "
	    "  d.classification, b.status) AS visibility "
	    "FROM services s JOIN datasets d ON d.id = s.dataset_id "
	    "JOIN `databases` b ON b.id = d.database_id WHERE s.id = ?";
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows != 1 || !auth_sees(&r->who, db_get(rows, 0,
	    "visibility"), db_get_int(rows, 0, "agency_id")))
		return http_error(r, 404, "not_found", "no such service");
	*provider = db_get_int(rows, 0, "agency_id");
	if (act && !caller_is_dic(r) && !(r->who.agency_id == *provider &&
	    auth_has_role(&r->who, ROLE_ANY_AGENCY)))
		return http_error(r, 403, "forbidden",
		    "only the service's provider or DIC may do this");
	return DS_OK;
}

/* Checks the window against the database clock and the working-day
 * notice; the earliest regular start goes to earliest. */
static int
check_window_or_reply(struct http_req *r, const struct fval *v,
    char earliest[11])
{
	static const char *sql =
	    "SELECT DATE(UTC_TIMESTAMP(6) + INTERVAL ? SECOND) AS today, "
	    "  DATE(CAST(? AS DATETIME(6)) + INTERVAL ? SECOND) AS start_day, "
	    "  CAST(? AS DATETIME(6)) > UTC_TIMESTAMP(6) AS future, "
	    "  CAST(? AS DATETIME(6)) > UTC_TIMESTAMP(6) - INTERVAL 5 MINUTE "
	    "    AS recent, "
	    "  CAST(? AS DATETIME(6)) > CAST(? AS DATETIME(6)) AS ordered";
	/* Working days are local dates (setting utc_offset_minutes). */
	long long off = workdays_utc_offset(), workdays = NOTICE_WORKDAYS();
	bool emergency = v[P_EMERG].present && v[P_EMERG].i;
	const char *start = v[P_START].s;
	struct db_param p[] = { P_INT(off), P_STR(start), P_INT(off),
	    P_STR(start), P_STR(start), P_STR(v[P_END].s), P_STR(start) };
	struct db_rows *t;
	int st;

	if ((st = db_query(r->arena, sql, p, NPARAMS(p), &t)) != DS_OK ||
	    (st = earliest_start(r, db_get(t, 0, "today"), workdays,
	    earliest)) != DS_OK)
		return http_error_status(r, st);
	if (db_get_int(t, 0, "ordered") == 0)
		json_detail(r, "ends_at", "must be after starts_at");
	/* An emergency may start now; a regular one only in the future. */
	if (db_get_int(t, 0, emergency ? "recent" : "future") == 0)
		json_detail(r, "starts_at", "must not be in the past");
	else if (!emergency && strcmp(db_get(t, 0, "start_day"),
	    earliest) < 0)
		json_detail(r, "starts_at", arena_printf(r->arena,
		    "must be on or after %s (local date): %lld working days' "
		    "notice (Decree 47/2020 Art. 43.1); a shorter one needs "
		    "emergency: true and an emergency_reason", earliest,
		    workdays));
	return DS_OK;
}

static int
read_planned_or_reply(struct http_req *r, struct fval *v, char earliest[11])
{
	static const char *const reasons[] = {
		"upgrade", "expansion", "maintenance", "other", NULL
	};
	static const struct field spec[NPFIELDS] = {
		[P_REASON] = { "reason", F_ENUM, true, 0, 0, reasons },
		[P_DESC] = { "description", F_TEXT, true, 0, 0, NULL },
		[P_START] = { "starts_at", F_DATETIME, true, 0, 0, NULL },
		[P_END] = { "ends_at", F_DATETIME, true, 0, 0, NULL },
		[P_EMERG] = { "emergency", F_BOOL, false, 0, 0, NULL },
		[P_EMERG_REASON] = { "emergency_reason", F_TEXT, false, 0, 0,
		    NULL },
	};
	bool emergency;

	if (fields_read_or_reply(r, spec, NPFIELDS, v))
		return DS_REPLIED;
	emergency = v[P_EMERG].present && v[P_EMERG].i;
	/* Art. 43.1.b: a short notice is for force majeure, stated. */
	if (emergency && !v[P_EMERG_REASON].present)
		json_detail(r, "emergency_reason",
		    "is required when emergency is true");
	if (!emergency && v[P_EMERG_REASON].present)
		json_detail(r, "emergency_reason",
		    "is only taken with emergency: true");
	if (check_window_or_reply(r, v, earliest))
		return DS_REPLIED;
	if (json_has_details(r))
		return json_details_reply(r, "the request has invalid fields");
	return DS_OK;
}

/* Tells every consumer with a live grant on the service, at once, and
 * records each as a recipient; the count goes to *n. */
static int
notify_consumers(long long id, long long service, json_object *payload,
    long long *n)
{
	static const char *consumers =
	    "SELECT DISTINCT consumer_agency_id AS agency FROM grants "
	    "WHERE service_id = ? AND status IN ('active', 'suspended') "
	    "  AND NOT " GRANT_PAST_END_SQL("grants") " "
	    "ORDER BY consumer_agency_id";
	static const char *recipient =
	    "INSERT INTO planned_suspension_recipients "
	    "  (planned_suspension_id, agency_id) VALUES (?, ?)";
	static const char *count =
	    "UPDATE planned_suspensions SET consumers_notified = ? WHERE id = ?";
	struct db_param p[] = { P_INT(service) };
	struct arena *a = arena_new();
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, consumers, p, 1, &rows)) != DS_OK)
		goto out;
	for (size_t i = 0; i < rows->nrows; i++) {
		long long agency = db_get_int(rows, i, "agency");
		struct db_param q[] = { P_INT(id), P_INT(agency) };

		if ((st = db_exec(recipient, q, 2, NULL, NULL)) ||
		    (st = notify(agency, "planned_suspension.announced",
		    "planned_suspension", id, json_object_get(payload))))
			goto out;
	}
	*n = (long long)rows->nrows;
	{
		struct db_param q[] = { P_INT(*n), P_INT(id) };

		st = db_exec(count, q, 2, NULL, NULL);
	}
out:
	arena_free(a);
	return st;
}

/* An emergency announcement goes to DIC's feed too (Art. 43.1.b), unless
 * the DIC announced it. */
static int
notify_emergency_to_dic(struct http_req *r, long long id,
    json_object *payload)
{
	long long dic;
	int st;

	if ((st = agency_dic_id(r->arena, &dic)) != DS_OK || dic == 0 ||
	    dic == r->who.agency_id) {
		json_object_put(payload);
		return st;
	}
	return notify(dic, "planned_suspension.emergency",
	    "planned_suspension", id, payload);
}

/* Records the announcement, notifies, audits; its JSON in *out. */
static int
announce(struct http_req *r, long long service, long long provider,
    const struct fval *v, const char *earliest, json_object **out)
{
	static const char *insert =
	    "INSERT INTO planned_suspensions (service_id, provider_agency_id, "
	    "  reason, description, starts_at, ends_at, "
	    "  earliest_regular_start, emergency, emergency_reason, "
	    "  created_by_account_id, created_by_agency_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	bool emergency = v[P_EMERG].present && v[P_EMERG].i;
	unsigned long long id;
	long long n = 0;
	json_object *o;
	int st;

	{
		struct db_param p[] = { P_INT(service), P_INT(provider),
		    P_STR(v[P_REASON].s), P_STR(v[P_DESC].s),
		    P_STR(v[P_START].s), P_STR(v[P_END].s), P_STR(earliest),
		    P_INT(emergency), P_STR(v[P_EMERG_REASON].s),
		    P_INT(r->who.account_id), P_INT(r->who.agency_id) };

		if ((st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			return st;
	}
	if ((o = planned_load_json(r, (long long)id)) == NULL)
		return DS_ERR;
	json_object_object_del(o, "consumers_notified");
	st = notify_consumers((long long)id, service, o, &n);
	if (st == DS_OK && emergency)
		st = notify_emergency_to_dic(r, (long long)id, json_object_get(o));
	json_object_put(o);
	if (st != DS_OK ||
	    (*out = planned_load_json(r, (long long)id)) == NULL)
		return st ? st : DS_ERR;
	if ((st = audit_append(&r->who, "planned_suspension.create",
	    "planned_suspension", (long long)id, NULL, json_object_get(*out)))) {
		json_object_put(*out);
		return st;
	}
	return DS_OK;
}

void
planned_create(struct http_req *r)
{
	struct fval v[NPFIELDS];
	char earliest[11];
	long long provider = 0;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLES_ACT) ||
	    service_load_or_reply(r, r->captures[0], true, &provider) ||
	    read_planned_or_reply(r, v, earliest))
		return;
	if ((st = db_begin()) ||
	    (st = announce(r, r->captures[0], provider, v, earliest, &o)))
		goto fail;
	tx_commit_reply(r, NULL, NULL, 0, NULL, o, 201);
	return;
fail:
	tx_fail_reply(r, st);
}

/* ------------------------------------------------------------------ */
/* reading and cancelling                                               */

static void
list_reply(struct http_req *r, long long service)
{
	static const char *sql =
	    "SELECT " PLAN_COLS " FROM planned_suspensions p "
	    "WHERE " PLAN_VISIBLE
	    "  AND (? = 0 OR p.service_id = ?) "
	    "  AND (? < 0 OR p.emergency = ?) "
	    "  AND (? IS NULL OR p.state = ?) "
	    "  AND p.id > ? ORDER BY p.id LIMIT ?";
	static const char *const states[] = { "scheduled", "cancelled", NULL };
	/* Under /services/{id} the service is the path's: service_id, last,
	 * is then not a parameter. */
	enum { Q_EMERGENCY, Q_STATE, Q_SERVICE, Q__N };
	static const struct field query[Q__N] = {
		[Q_EMERGENCY] = { "emergency", F_BOOL, false, 0, 0, NULL },
		[Q_STATE] = { "state", F_ENUM, false, 0, 0, states },
		[Q_SERVICE] = { "service_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *state;
	long long me = r->who.agency_id, emergency;
	struct page pg;

	if (auth_require_role_or_reply(r, ROLES_READ) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, service == 0 ? Q__N : Q_SERVICE, q))
		return;
	if (service == 0)
		service = q[Q_SERVICE].i;
	/* ?emergency=true|false, or -1 (either) when absent. */
	emergency = q[Q_EMERGENCY].present ? q[Q_EMERGENCY].i : -1;
	state = q[Q_STATE].s;
	{
		struct db_param p[] = { P_INT(caller_sees_all(r)), P_INT(me),
		    P_INT(me), P_INT(me), P_INT(service), P_INT(service),
		    P_INT(emergency), P_INT(emergency), P_STR(state),
		    P_STR(state), P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

void
planned_list(struct http_req *r)
{
	list_reply(r, 0);
}

void
service_planned_list(struct http_req *r)
{
	long long provider = 0;

	if (auth_require_role_or_reply(r, ROLES_READ) ||
	    service_load_or_reply(r, r->captures[0], false, &provider))
		return;
	list_reply(r, r->captures[0]);
}

void
planned_show(struct http_req *r)
{
	json_object *o;

	if (auth_require_role_or_reply(r, ROLES_READ))
		return;
	if ((o = planned_load_json(r, r->captures[0])) != NULL)
		http_reply(r, 200, o);
}

/* Tells every agency told of the announcement that it is cancelled. */
static int
notify_cancel(long long id, json_object *payload)
{
	static const char *sql =
	    "SELECT agency_id FROM planned_suspension_recipients "
	    "WHERE planned_suspension_id = ? ORDER BY agency_id";
	struct db_param p[] = { P_INT(id) };
	struct arena *a = arena_new();
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, p, 1, &rows)) == DS_OK)
		for (size_t i = 0; i < rows->nrows && st == DS_OK; i++)
			st = notify(db_get_int(rows, i, "agency_id"),
			    "planned_suspension.cancelled",
			    "planned_suspension", id, json_object_get(payload));
	arena_free(a);
	return st;
}

/* The provider (or DIC) cancels an announcement, or ends a window early:
 * the service is restored at once. */
void
planned_cancel(struct http_req *r)
{
	enum { PC_NOTE, PC__N };
	static const struct field spec[PC__N] = {
		[PC_NOTE] = { "note", F_TEXT, true, 0, 0, NULL },
	};
	static const char *sql =
	    "UPDATE planned_suspensions SET state = 'cancelled', "
	    "  cancelled_at = UTC_TIMESTAMP(6), cancelled_by_account_id = ?, "
	    "  cancel_note = ? "
	    "WHERE id = ? AND state = 'scheduled' "
	    "  AND ends_at > UTC_TIMESTAMP(6)";
	struct fval v[NPARAMS(spec)];
	long long id = r->captures[0], provider;
	json_object *before, *after = NULL;
	unsigned long long n;
	int st;

	if (auth_require_role_or_reply(r, ROLES_ACT) ||
	    fields_read_or_reply(r, spec, NPARAMS(spec), v))
		return;
	if ((before = planned_load_json(r, id)) == NULL)
		return;
	if (service_load_or_reply(r, json_object_get_int64(
	    json_object_object_get(before, "service_id")), true, &provider)) {
		json_object_put(before);
		return;
	}
	{
		struct db_param p[] = { P_INT(r->who.account_id),
		    P_STR(v[PC_NOTE].s), P_INT(id) };

		if ((st = db_begin()) ||
		    (st = db_exec(sql, p, NPARAMS(p), &n, NULL)))
			goto fail;
	}
	if (n == 0) {
		db_rollback();
		json_object_put(before);
		http_error(r, 409, "not_scheduled", "planned suspension %lld "
		    "is already cancelled or over", id);
		return;
	}
	if ((after = planned_load_json(r, id)) == NULL) {
		st = DS_ERR;
		goto fail;
	}
	if ((st = audit_append(&r->who, "planned_suspension.cancel",
	    "planned_suspension", id, json_object_get(before),
	    json_object_get(after))) || (st = notify_cancel(id, after)) ||
	    (st = db_commit()))
		goto fail;
	json_object_put(before);
	http_reply(r, 200, after);
	return;
fail:
	tx_fail_reply(r, st);
	json_object_put(before);
	json_object_put(after);
}
