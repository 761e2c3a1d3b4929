/*
 * Suspensions of grants (R7.1, R7.2; Art. 16.1.g, 16.2.h; Decree 47/2020
 * Art. 43). The provider, or DIC, suspends one grant or every live grant
 * of one consumer agency; the record says what was violated, on which
 * legal ground, when it was determined, how it will be handled and what
 * the consumer must do. The notice to the consumer is written in the same
 * transaction, and its lateness against the 1-day limit is recorded.
 */
#include <string.h>

#include "ds.h"
#include "suspension.h"

#define SUSP_COLS \
	"s.id, s.grant_id, s.provider_agency_id, s.consumer_agency_id, " \
	"s.state, s.scope, s.imposed_by, s.violation, s.legal_ground, " \
	"s.determined_at, s.handling_plan, s.consumer_action, " \
	"s.notice_due_at, s.notice_sent_at, s.notice_late, " \
	"s.notice_notification_id, s.created_by_account_id, " \
	"s.created_by_agency_id, s.created_at, s.lifted_at, " \
	"s.lifted_by_account_id, s.lifted_by_agency_id, s.lift_note, " \
	GRANT_EFFECTIVE_STATUS_SQL("g") " AS grant_status"
#define SUSP_FROM " FROM suspensions s JOIN grants g ON g.id = s.grant_id "

/* The request fields: the first five are every suspension's (all
 * required, R7.1); the last only POST /agencies/{id}/suspensions takes. */
enum { F_VIOLATION, F_GROUND, F_DETERMINED, F_PLAN, F_ACTION, F_PROVIDER,
	NFIELDS };

static json_object *
suspension_json(struct http_req *r, const struct db_rows *rows, size_t i)
{
	json_object *o = db_row_json(rows, i);
	long long id = db_get_int(rows, i, "id");

	json_object_object_add(o, "dispute", dispute_call("suspension",
	    "suspension", id, arena_printf(r->arena, "Suspension %lld of "
	    "grant %lld", id, db_get_int(rows, i, "grant_id")), NULL, 0));
	return o;
}

json_object *
suspension_load_json(struct http_req *r, long long id)
{
	static const char *sql =
	    "SELECT " SUSP_COLS SUSP_FROM "WHERE s.id = ?";
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK) {
		http_error_status(r, st);
		return NULL;
	}
	if (rows->nrows != 1 || (!caller_sees_all(r) &&
	    db_get_int(rows, 0, "provider_agency_id") != r->who.agency_id &&
	    db_get_int(rows, 0, "consumer_agency_id") != r->who.agency_id)) {
		http_error(r, 404, "not_found", "no such suspension");
		return NULL;
	}
	return suspension_json(r, rows, 0);
}

/* Reads and validates the fields (n: 5, or 6 with provider_agency_id).
 * The legal grounds are a setting (Decree 47/2020 Art. 43 cases). */
static int
read_fields_or_reply(struct http_req *r, size_t n, struct fval *v)
{
	static const char *future_sql =
	    "SELECT CAST(? AS DATETIME(6)) > "
	    "  UTC_TIMESTAMP(6) + INTERVAL 5 MINUTE AS future";
	struct field spec[NFIELDS] = {
		[F_VIOLATION] = { "violation", F_TEXT, true, 0, 0, NULL },
		[F_GROUND] = { "legal_ground", F_ENUM, true, 0, 0, NULL },
		[F_DETERMINED] = { "determined_at", F_DATETIME, true, 0, 0,
		    NULL },
		[F_PLAN] = { "handling_plan", F_TEXT, true, 0, 0, NULL },
		[F_ACTION] = { "consumer_action", F_TEXT, true, 0, 0, NULL },
		[F_PROVIDER] = { "provider_agency_id", F_ID, false, 0, 0,
		    NULL },
	};
	struct db_rows *rows;
	int st;

	spec[F_GROUND].choices = grounds_list(r->arena,
	    SUSPENSION_GROUNDS_KEY, SUSPENSION_GROUNDS_DEF);
	if (fields_read_or_reply(r, spec, n, v))
		return DS_REPLIED;
	{
		struct db_param p[] = { P_STR(v[F_DETERMINED].s) };

		if ((st = db_query(r->arena, future_sql, p, 1, &rows)))
			return http_error_status(r, st);
	}
	/* A violation is determined before it is recorded (a few minutes
	 * of clock difference allowed). */
	if (db_get_int(rows, 0, "future") != 0)
		json_detail(r, "determined_at", "must not be in the future");
	if (json_has_details(r))
		return json_details_reply(r, "the request has invalid fields");
	return DS_OK;
}

/* The notice's content: what the consumer is told (Art. 16.2.h). */
static json_object *
notice_payload(struct http_req *r, long long id, const struct grant *g,
    const struct fval *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "suspension_id", json_object_new_int64(id));
	json_object_object_add(o, "grant_id", json_object_new_int64(g->id));
	json_object_object_add(o, "violation",
	    json_object_new_string(v[F_VIOLATION].s));
	json_object_object_add(o, "legal_ground",
	    json_object_new_string(v[F_GROUND].s));
	json_object_object_add(o, "determined_at", json_object_new_string(
	    rfc3339_from_db(r->arena, v[F_DETERMINED].s)));
	json_object_object_add(o, "handling_plan",
	    json_object_new_string(v[F_PLAN].s));
	json_object_object_add(o, "consumer_action",
	    json_object_new_string(v[F_ACTION].s));
	json_object_object_add(o, "dispute", dispute_call("suspension",
	    "suspension", id, arena_printf(r->arena, "Suspension %lld of "
	    "grant %lld", id, g->id), NULL, 0));
	return o;
}

/* Sends the notice to the consumer and records it on the suspension:
 * which notification, when, and whether later than the limit. */
static int
send_notice(struct http_req *r, long long id, const struct grant *g,
    const struct fval *v)
{
	/* LAST_INSERT_ID() is the notification notify() just wrote. */
	static const char *sql =
	    "UPDATE suspensions SET notice_notification_id = LAST_INSERT_ID(), "
	    "  notice_sent_at = (SELECT n.created_at FROM notifications n "
	    "    WHERE n.id = LAST_INSERT_ID()), "
	    "  notice_late = notice_sent_at > notice_due_at "
	    "WHERE id = ?";
	struct db_param p[] = { P_INT(id) };
	int st;

	if ((st = notify(g->consumer, "suspension.notice", "suspension", id,
	    notice_payload(r, id, g, v))))
		return st;
	return db_exec(sql, p, 1, NULL, NULL);
}

/* Records one suspension of a locked, live grant: the row, the grant's
 * status, the notice, the audit rows. Returns its JSON in *out. */
static int
suspend_one(struct http_req *r, const struct grant *g, const struct fval *v,
    const char *scope, json_object **out)
{
	static const char *insert =
	    "INSERT INTO suspensions (grant_id, provider_agency_id, "
	    "  consumer_agency_id, scope, imposed_by, violation, legal_ground, "
	    "  determined_at, handling_plan, consumer_action, notice_due_at, "
	    "  created_by_account_id, created_by_agency_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "  CAST(? AS DATETIME(6)) + INTERVAL ? HOUR, ?, ?)";
	long long hours = NOTICE_HOURS();
	unsigned long long id;
	int st;

	{
		struct db_param p[] = { P_INT(g->id), P_INT(g->provider),
		    P_INT(g->consumer), P_STR(scope),
		    P_STR(imposed_by(r, g)), P_STR(v[F_VIOLATION].s),
		    P_STR(v[F_GROUND].s), P_STR(v[F_DETERMINED].s),
		    P_STR(v[F_PLAN].s), P_STR(v[F_ACTION].s),
		    P_STR(v[F_DETERMINED].s), P_INT(hours),
		    P_INT(r->who.account_id), P_INT(r->who.agency_id) };

		if ((st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			return st;
	}
	/* R7.3: from this moment the gateway refuses the grant. A grant
	 * already suspended stays so, with one more suspension in force. */
	if (strcmp(g->status, "active") == 0 && (st = grant_status_move(
	    &r->who, g->id, "active", "suspended", "grant.suspend")))
		return st;
	/* suspension_load_json has replied when it gives NULL (a lost
	 * database is its 503, not a 500 here). */
	if ((st = send_notice(r, (long long)id, g, v)))
		return st;
	if ((*out = suspension_load_json(r, (long long)id)) == NULL)
		return DS_REPLIED;
	if ((st = audit_append(&r->who, "suspension.create", "suspension",
	    (long long)id, NULL, json_object_get(*out))) ||
	    (st = notify_provider_if_dic(r, g, "suspension.recorded",
	    "suspension", (long long)id, json_object_get(*out)))) {
		json_object_put(*out);
		return st;
	}
	return DS_OK;
}

void
suspension_create(struct http_req *r)
{
	struct fval v[NFIELDS];
	struct grant g;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLES_ACT) ||
	    read_fields_or_reply(r, F_PROVIDER, v))
		return;
	if ((st = db_begin()))
		goto fail;
	if (grant_get_or_reply(r, r->captures[0], true, &g) ||
	    grant_require_provider_or_reply(r, &g) ||
	    grant_require_live_or_reply(r, &g)) {
		db_rollback();
		return;
	}
	if ((st = suspend_one(r, &g, v, "grant", &o)))
		goto fail;
	tx_commit_reply(r, NULL, NULL, 0, NULL, o, 201);
	return;
fail:
	tx_fail_reply(r, st);
}

/* The provider whose grants an agency-wide suspension covers: the
 * caller's agency; DIC may name another. */
static int
provider_or_reply(struct http_req *r, const struct fval *given,
    long long *provider)
{
	static const char *sql = "SELECT id FROM agencies WHERE id = ?";
	struct db_param p[] = { P_INT(r->captures[0]) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, 1, &rows)))
		return http_error_status(r, st);
	if (rows->nrows != 1)
		return http_error(r, 404, "not_found", "no such agency");
	*provider = given->present ? given->i : r->who.agency_id;
	if (*provider != r->who.agency_id && !caller_is_dic(r))
		return http_error(r, 403, "forbidden",
		    "only DIC may act for another providing agency");
	return DS_OK;
}

/* R7.1: every live grant of one consumer agency with one provider at
 * once, each with its own suspension record and notice. */
void
agency_suspend_all(struct http_req *r)
{
	struct fval v[NFIELDS];
	struct grant *g;
	long long provider = 0;
	size_t n;
	json_object *items, *o;
	int st;

	if (auth_require_role_or_reply(r, ROLES_ACT) ||
	    read_fields_or_reply(r, NFIELDS, v) ||
	    provider_or_reply(r, &v[F_PROVIDER], &provider))
		return;
	if ((st = db_begin()) || (st = grants_live_lock(r, r->captures[0],
	    provider, &g, &n)))
		goto fail;
	if (n == 0) {
		db_rollback();
		http_error(r, 409, "no_live_grants", "agency %lld has no "
		    "active grant from agency %lld", r->captures[0], provider);
		return;
	}
	items = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		if ((st = suspend_one(r, &g[i], v, "agency", &o))) {
			json_object_put(items);
			goto fail;
		}
		json_object_array_add(items, o);
	}
	o = json_object_new_object();
	json_object_object_add(o, "consumer_agency_id",
	    json_object_new_int64(r->captures[0]));
	json_object_object_add(o, "provider_agency_id",
	    json_object_new_int64(provider));
	json_object_object_add(o, "items", items);
	tx_commit_reply(r, NULL, NULL, 0, NULL, o, 201);
	return;
fail:
	tx_fail_reply(r, st);
}

/* Lists suspensions the caller may see, filtered; grant 0 = any. */
static void
list_reply(struct http_req *r, long long grant)
{
	static const char *const states[] = { "in_force", "lifted", NULL };
	static const char *sql =
	    "SELECT " SUSP_COLS SUSP_FROM
	    "WHERE (? OR s.provider_agency_id = ? OR s.consumer_agency_id = ?) "
	    "  AND (? = 0 OR s.grant_id = ?) "
	    "  AND (? = 0 OR s.provider_agency_id = ? "
	    "    OR s.consumer_agency_id = ?) "
	    "  AND (? IS NULL OR s.state = ?) "
	    "  AND (? = 0 OR s.notice_late = 1) "
	    "  AND s.id > ? ORDER BY s.id LIMIT ?";
	/* Under /grants/{id} the grant is the path's: grant_id, last, is
	 * then not a parameter. */
	enum { Q_AGENCY, Q_LATE, Q_STATE, Q_GRANT, Q__N };
	static const struct field query[Q__N] = {
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_LATE] = { "late_notice", F_BOOL, false, 0, 0, NULL },
		[Q_STATE] = { "state", F_ENUM, false, 0, 0, states },
		[Q_GRANT] = { "grant_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *state;
	long long agency, me = r->who.agency_id;
	struct db_rows *rows;
	struct page pg;
	bool late;
	json_object *items;
	int st;

	if (auth_require_role_or_reply(r, ROLES_READ) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, grant == 0 ? Q__N : Q_GRANT, q))
		return;
	if (grant == 0)
		grant = q[Q_GRANT].i;
	agency = q[Q_AGENCY].i;
	late = q[Q_LATE].i != 0;
	state = q[Q_STATE].s;
	{
		struct db_param p[] = { P_INT(caller_sees_all(r)), P_INT(me),
		    P_INT(me), P_INT(grant), P_INT(grant), P_INT(agency),
		    P_INT(agency), P_INT(agency), P_STR(state), P_STR(state),
		    P_INT(late), P_INT(pg.after), P_INT(pg.limit) };

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	items = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(items, suspension_json(r, rows, i));
	http_reply_page(r, &pg, items);
}

void
suspensions_list(struct http_req *r)
{
	list_reply(r, 0);
}

void
grant_suspensions_list(struct http_req *r)
{
	struct grant g;

	if (auth_require_role_or_reply(r, ROLES_READ) ||
	    grant_get_or_reply(r, r->captures[0], false, &g))
		return;
	list_reply(r, g.id);
}

void
suspension_show(struct http_req *r)
{
	json_object *o;

	if (auth_require_role_or_reply(r, ROLES_READ))
		return;
	if ((o = suspension_load_json(r, r->captures[0])) != NULL)
		http_reply(r, 200, o);
}

static json_object *
strings_json(const char *const *list)
{
	json_object *a = json_object_new_array();

	for (; *list != NULL; list++)
		json_object_array_add(a, json_object_new_string(*list));
	return a;
}

/* The settings a client needs to fill the forms: the legal grounds
 * accepted and the time limits. */
void
grounds_show(struct http_req *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "suspension_grounds", strings_json(
	    grounds_list(r->arena, SUSPENSION_GROUNDS_KEY,
	    SUSPENSION_GROUNDS_DEF)));
	json_object_object_add(o, "termination_grounds", strings_json(
	    grounds_list(r->arena, TERMINATION_GROUNDS_KEY,
	    TERMINATION_GROUNDS_DEF)));
	json_object_object_add(o, "suspension_notice_hours",
	    json_object_new_int64(NOTICE_HOURS()));
	json_object_object_add(o, "planned_notice_workdays",
	    json_object_new_int64(NOTICE_WORKDAYS()));
	http_reply(r, 200, o);
}
