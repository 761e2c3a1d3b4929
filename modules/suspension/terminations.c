/*
 * Termination of a grant (R7.4, "chấm dứt kết nối"; Decree 47/2020
 * Art. 44): by the provider or DIC, with a reason and a legal ground. It
 * is final: the grant cannot be lifted, suspended or reactivated after
 * it, and the consumer systems' accounts on it are revoked in the same
 * transaction; a new sharing request is needed.
 */
#include <string.h>

#include "ds.h"
#include "suspension.h"

#define TERM_COLS \
	"t.id, t.grant_id, t.provider_agency_id, t.consumer_agency_id, " \
	"t.imposed_by, t.reason, t.legal_ground, t.previous_status, " \
	"t.accounts_revoked, t.created_by_account_id, " \
	"t.created_by_agency_id, t.created_at"

static json_object *
termination_json(struct http_req *r, const struct db_rows *rows, size_t i)
{
	json_object *o = db_row_json(rows, i);
	long long grant = db_get_int(rows, i, "grant_id");

	json_object_object_add(o, "dispute", dispute_call("suspension",
	    "grant", grant, arena_printf(r->arena, "Termination of grant %lld",
	    grant), NULL, 0));
	return o;
}

/* The termination of grant id as JSON, or NULL after replying 404. */
static json_object *
load_json(struct http_req *r, long long grant)
{
	static const char *sql =
	    "SELECT " TERM_COLS " FROM terminations t WHERE t.grant_id = ?";
	struct db_param p[] = { P_INT(grant) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK) {
		http_error_status(r, st);
		return NULL;
	}
	if (rows->nrows != 1) {
		http_error(r, 404, "not_found", "grant %lld is not terminated",
		    grant);
		return NULL;
	}
	return termination_json(r, rows, 0);
}

/* Revokes every account issued on the grant (R7.4, Art. 16.2.e), each
 * with its audit row; their tokens stop working at once, since every
 * token is checked against an active account. Counts them in *n. */
static int
revoke_accounts(struct http_req *r, long long grant, long long *n)
{
	static const char *find =
	    "SELECT id, status FROM accounts "
	    "WHERE grant_id = ? AND status <> 'revoked' ORDER BY id FOR UPDATE";
	static const char *revoke =
	    "UPDATE accounts SET status = 'revoked', "
	    "  updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
	struct db_param p[] = { P_INT(grant) };
	struct db_rows *rows;
	json_object *before, *after;
	int st;

	if ((st = db_query(r->arena, find, p, 1, &rows)))
		return st;
	for (size_t i = 0; i < rows->nrows; i++) {
		long long id = db_get_int(rows, i, "id");
		struct db_param q[] = { P_INT(id) };

		if ((st = db_exec(revoke, q, 1, NULL, NULL)))
			return st;
		before = json_object_new_object();
		json_object_object_add(before, "status",
		    json_object_new_string(db_get(rows, i, "status")));
		after = json_object_new_object();
		json_object_object_add(after, "status",
		    json_object_new_string("revoked"));
		json_object_object_add(after, "grant_terminated",
		    json_object_new_int64(grant));
		if ((st = audit_append(&r->who, "account.revoke", "account", id,
		    before, after)))
			return st;
	}
	*n = (long long)rows->nrows;
	return DS_OK;
}

enum { TC_REASON, TC_LEGAL_GROUND, TC__N };

/* Records the termination of a locked grant; its JSON in *out. */
static int
terminate(struct http_req *r, const struct grant *g, const struct fval *v,
    json_object **out)
{
	static const char *insert =
	    "INSERT INTO terminations (grant_id, provider_agency_id, "
	    "  consumer_agency_id, imposed_by, reason, legal_ground, "
	    "  previous_status, accounts_revoked, created_by_account_id, "
	    "  created_by_agency_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	unsigned long long id;
	long long revoked = 0;
	int st;

	if ((st = grant_status_move(&r->who, g->id, g->status, "terminated",
	    "grant.terminate")) || (st = revoke_accounts(r, g->id, &revoked)))
		return st;
	{
		struct db_param p[] = { P_INT(g->id), P_INT(g->provider),
		    P_INT(g->consumer), P_STR(imposed_by(r, g)),
		    P_STR(v[TC_REASON].s), P_STR(v[TC_LEGAL_GROUND].s),
		    P_STR(g->status),
		    P_INT(revoked), P_INT(r->who.account_id),
		    P_INT(r->who.agency_id) };

		if ((st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			return st;
	}
	if ((*out = load_json(r, g->id)) == NULL)
		return DS_ERR;
	if ((st = audit_append(&r->who, "termination.create", "termination",
	    (long long)id, NULL, json_object_get(*out))) ||
	    (st = notify(g->consumer, "grant.terminated", "termination",
	    (long long)id, json_object_get(*out))) ||
	    (st = notify_provider_if_dic(r, g, "grant.terminated",
	    "termination", (long long)id, json_object_get(*out)))) {
		json_object_put(*out);
		return st;
	}
	return DS_OK;
}

void
termination_create(struct http_req *r)
{
	struct field spec[TC__N] = {
		[TC_REASON] = { "reason", F_TEXT, true, 0, 0, NULL },
		[TC_LEGAL_GROUND] = { "legal_ground", F_ENUM, true, 0, 0,
		    NULL },
	};
	struct fval v[NPARAMS(spec)];
	struct grant g;
	json_object *o;
	int st;

	/* Decree 47/2020 Art. 44 cases, a setting. */
	spec[1].choices = grounds_list(r->arena, TERMINATION_GROUNDS_KEY,
	    TERMINATION_GROUNDS_DEF);
	if (auth_require_role_or_reply(r, ROLES_ACT) ||
	    fields_read_or_reply(r, spec, NPARAMS(spec), v))
		return;
	if ((st = db_begin()))
		goto fail;
	if (grant_get_or_reply(r, r->captures[0], true, &g) ||
	    grant_require_provider_or_reply(r, &g) ||
	    grant_require_not_terminated_or_reply(r, &g)) {
		db_rollback();
		return;
	}
	if ((st = terminate(r, &g, v, &o)))
		goto fail;
	tx_commit_reply(r, NULL, NULL, 0, NULL, o, 201);
	return;
fail:
	tx_fail_reply(r, st);
}

void
termination_show(struct http_req *r)
{
	struct grant g;
	json_object *o;

	if (auth_require_role_or_reply(r, ROLES_READ) ||
	    grant_get_or_reply(r, r->captures[0], false, &g))
		return;
	if ((o = load_json(r, g.id)) != NULL)
		http_reply(r, 200, o);
}

void
terminations_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " TERM_COLS " FROM terminations t "
	    "WHERE (? OR t.provider_agency_id = ? OR t.consumer_agency_id = ?) "
	    "  AND (? = 0 OR t.grant_id = ?) "
	    "  AND (? = 0 OR t.provider_agency_id = ? "
	    "    OR t.consumer_agency_id = ?) "
	    "  AND t.id > ? ORDER BY t.id LIMIT ?";
	enum { Q_GRANT, Q_AGENCY, Q__N };
	static const struct field query[Q__N] = {
		[Q_GRANT] = { "grant_id", F_ID, false, 0, 0, NULL },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	long long grant, agency, me = r->who.agency_id;
	struct db_rows *rows;
	struct page pg;
	json_object *items;
	int st;

	if (auth_require_role_or_reply(r, ROLES_READ) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	grant = q[Q_GRANT].i;
	agency = q[Q_AGENCY].i;
	{
		struct db_param p[] = { P_INT(caller_sees_all(r)), P_INT(me),
		    P_INT(me), P_INT(grant), P_INT(grant), P_INT(agency),
		    P_INT(agency), P_INT(agency), P_INT(pg.after),
		    P_INT(pg.limit) };

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	items = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(items, termination_json(r, rows, i));
	http_reply_page(r, &pg, items);
}
