/*
 * Lifting a suspension (R7.3, "khôi phục kết nối"): the provider, with a
 * note on what the consumer did. The grant serves data again only when no
 * other suspension of it is in force and it has not expired; a terminated
 * grant cannot be lifted (R7.4).
 */
#include <string.h>

#include "ds.h"
#include "suspension.h"

static const char *
json_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	    json_object_get_string(v) : "";
}

/* 403 unless the caller may lift this suspension: the provider or DIC,
 * and only DIC lifts what DIC imposed (a security or authority matter
 * is not the provider's to end). */
static int
require_lifter_or_reply(struct http_req *r, const struct grant *g,
    json_object *s)
{
	if (grant_require_provider_or_reply(r, g))
		return DS_REPLIED;
	if (strcmp(json_str(s, "imposed_by"), "dic") == 0 && !caller_is_dic(r))
		return http_error(r, 403, "forbidden",
		    "this suspension was imposed by DIC; only DIC may lift it");
	return DS_OK;
}

/* After a lift, the grant is active again only when no suspension of it
 * is still in force; past its end (database clock) it is expired. */
static int
grant_settle(struct http_req *r, const struct grant *g)
{
	static const char *sql =
	    "SELECT COUNT(*) AS n FROM suspensions "
	    "WHERE grant_id = ? AND state = 'in_force'";
	struct db_param p[] = { P_INT(g->id) };
	const struct identity *who = &r->who;
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, 1, &rows)))
		return st;
	if (db_get_int(rows, 0, "n") > 0 || strcmp(g->status, "suspended"))
		return DS_OK;
	return g->past_end ?
	    grant_status_move(who, g->id, "suspended", "expired",
	    "grant.expire") :
	    grant_status_move(who, g->id, "suspended", "active",
	    "grant.reactivate");
}

/* Tells the consumer (and the provider when DIC lifted). */
static int
notify_lift(struct http_req *r, const struct grant *g, long long id,
    json_object *after)
{
	int st;

	if ((st = notify(g->consumer, "suspension.lifted", "suspension", id,
	    json_object_get(after))))
		return st;
	return notify_provider_if_dic(r, g, "suspension.lifted", "suspension",
	    id, json_object_get(after));
}

void
suspension_lift(struct http_req *r)
{
	enum { SL_NOTE, SL__N };
	static const struct field spec[SL__N] = {
		[SL_NOTE] = { "note", F_TEXT, true, 0, 0, NULL },
	};
	static const char *sql =
	    "UPDATE suspensions SET state = 'lifted', "
	    "  lifted_at = UTC_TIMESTAMP(6), lifted_by_account_id = ?, "
	    "  lifted_by_agency_id = ?, lift_note = ? "
	    "WHERE id = ? AND state = 'in_force'";
	struct fval v[NPARAMS(spec)];
	long long id = r->captures[0];
	json_object *before = NULL, *after = NULL;
	struct grant g;
	unsigned long long n;
	int st;

	if (auth_require_role_or_reply(r, ROLES_ACT) ||
	    fields_read_or_reply(r, spec, NPARAMS(spec), v))
		return;
	if ((before = suspension_load_json(r, id)) == NULL)
		return;
	/* Lock the grant first, as every change here does: a racing
	 * termination either went before (409 here) or waits for us. */
	if ((st = db_begin()))
		goto fail;
	if (grant_get_or_reply(r, json_object_get_int64(
	    json_object_object_get(before, "grant_id")), true, &g) ||
	    require_lifter_or_reply(r, &g, before) ||
	    grant_require_not_terminated_or_reply(r, &g))
		goto replied;
	{
		struct db_param p[] = { P_INT(r->who.account_id),
		    P_INT(r->who.agency_id), P_STR(v[SL_NOTE].s), P_INT(id) };

		if ((st = db_exec(sql, p, NPARAMS(p), &n, NULL)))
			goto fail;
	}
	if (n == 0) {
		http_error(r, 409, "not_in_force",
		    "suspension %lld has already been lifted", id);
		goto replied;
	}
	if ((st = grant_settle(r, &g)))
		goto fail;
	if ((after = suspension_load_json(r, id)) == NULL)
		goto replied;
	if ((st = audit_append(&r->who, "suspension.lift", "suspension", id,
	    json_object_get(before), json_object_get(after))) ||
	    (st = notify_lift(r, &g, id, after)) || (st = db_commit()))
		goto fail;
	json_object_put(before);
	http_reply(r, 200, after);
	return;
fail:
	tx_fail_reply(r, st);
	json_object_put(before);
	json_object_put(after);
	return;
replied:
	db_rollback();
	json_object_put(before);
}
