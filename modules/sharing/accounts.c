/*
 * Consumer-system accounts of a grant (R4.4; Art. 16.2.e, 17.2.a): the
 * provider issues credentials to the consumer's information system, bound
 * to the consumer agency and to that one grant (role system). The secret
 * is shown once. Revoking is immediate: core's auth_verify reads the
 * account's status on every request, so its unexpired tokens fail at once.
 */
#include <string.h>

#include "ds.h"
#include "sharing.h"

#define ACCOUNT_COLS \
	"a.id, a.agency_id, a.grant_id, a.name, a.client_id, a.status, " \
	"a.created_by, a.created_at, a.updated_at"

static const char *sql_show =
    "SELECT " ACCOUNT_COLS " FROM accounts a WHERE a.id = ? AND a.grant_id = ?";

/* The grant in the path, for an officer of one of its sides or an
 * overseer (reads); actions then check the side. */
static int
grant_or_reply(struct http_req *r, struct db_rows **g)
{
	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSEER))
		return DS_REPLIED;
	return grant_load_or_reply(r, r->captures[0], g);
}

/* The grant in the path (grant_or_reply) and its account {acc}, 404 when
 * the account is not one of that grant's. */
static int
grant_account_or_reply(struct http_req *r, struct db_rows **g,
    struct db_rows **acc)
{
	struct db_param p[] = { P_INT(r->captures[1]), P_INT(r->captures[0]) };
	int st;

	if (grant_or_reply(r, g))
		return DS_REPLIED;
	if ((st = db_query(r->arena, sql_show, p, 2, acc)) != DS_OK)
		return http_error_status(r, st);
	if ((*acc)->nrows != 1)
		return http_error(r, 404, "not_found",
		    "no such account on this grant");
	return DS_OK;
}

void
grant_accounts_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " ACCOUNT_COLS " FROM accounts a "
	    "WHERE a.grant_id = ? AND (? = 0 OR a.id > ?) "
	    "ORDER BY a.id LIMIT ?";
	struct db_rows *g;
	struct page pg;

	if (grant_or_reply(r, &g) || http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, NULL, 0, NULL))
		return;
	{
		struct db_param p[] = { P_INT(r->captures[0]), P_INT(pg.after),
		    P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

void
grant_account_create(struct http_req *r)
{
	enum { GA_NAME, GA__N };
	static const struct field spec[GA__N] = {
		[GA_NAME] = { "name", F_STRING, true, 1, 255, NULL },
	};
	static const char *insert =
	    "INSERT INTO accounts (agency_id, name, client_id, secret_hash, "
	    "  roles, grant_id, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)";
	static const char *lock =
	    "SELECT status FROM grants WHERE id = ? FOR UPDATE";
	struct fval v[NPARAMS(spec)];
	struct db_rows *g, *rows, *locked;
	char hash[SECRET_HASH_MAX];
	const char *secret, *client_id, *status;
	unsigned long long id;
	long long consumer;
	json_object *o;
	int st;

	if (grant_or_reply(r, &g))
		return;
	if (r->who.agency_id != db_get_int(g, 0, "provider_agency_id") ||
	    !auth_has_role(&r->who, ROLE_ANY_AGENCY)) {
		http_error(r, 403, "forbidden", "only the provider issues "
		    "accounts for a grant");
		return;
	}
	if (json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	/* Art. 17.2.a: credentials only for a connection that is live. */
	status = db_get(g, 0, "status");
	if (strcmp(status, "active") != 0) {
		http_error(r, 409, arena_printf(r->arena, "grant_%s", status),
		    "the grant is %s: no account can be issued", status);
		return;
	}
	consumer = db_get_int(g, 0, "consumer_agency_id");
	if (secret_issue(r->arena, &client_id, &secret, hash) != DS_OK) {
		http_error_status(r, DS_ERR);
		return;
	}
	{
		struct db_param p[] = { P_INT(consumer), P_STR(v[GA_NAME].s),
		    P_STR(client_id), P_STR(hash), P_INT(ROLE_SYSTEM),
		    P_INT(r->captures[0]), P_INT(r->who.account_id) };
		struct db_param q[2];

		q[0] = P_INT(r->captures[0]);
		if ((st = db_begin()) ||
		    (st = db_query(r->arena, lock, q, 1, &locked)))
			goto fail;
		/* The suspension module suspends and terminates under this
		 * row lock (and revokes the grant's accounts): re-read the
		 * status under it, or a racing termination could leave a
		 * new active account on a terminated grant. */
		status = locked->nrows == 1 ? db_cell(locked, 0, 0) : "gone";
		if (strcmp(status, "active") != 0) {
			db_rollback();
			http_error(r, 409, arena_printf(r->arena, "grant_%s",
			    status), "the grant is %s: no account can be "
			    "issued", status);
			return;
		}
		if ((st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
		q[0] = P_INT((long long)id);
		q[1] = P_INT(r->captures[0]);
		if ((st = db_query(r->arena, sql_show, q, 2, &rows)))
			goto fail;
	}
	o = db_row_json(rows, 0);
	if ((st = audit_append(&r->who, "grant_account.create", "account",
	    (long long)id, NULL, json_object_get(o))) ||
	    (st = notify(consumer, "grant_account.issued", "grant",
	    r->captures[0], NULL)) || (st = db_commit())) {
		json_object_put(o);
		goto fail;
	}
	json_object_object_add(o, "client_secret",
	    json_object_new_string(secret));
	http_header(r, "Cache-Control", "no-store");
	http_reply(r, 201, o);
	return;
fail:
	tx_fail_reply(r, st);
}

void
grant_account_revoke(struct http_req *r)
{
	static const char *revoke =
	    "UPDATE accounts SET status = 'revoked', "
	    "  updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND grant_id = ? AND status = 'active'";
	struct db_param p[] = { P_INT(r->captures[1]), P_INT(r->captures[0]) };
	struct db_rows *g, *before, *after;
	unsigned long long n;
	long long provider, consumer, other;
	int st;

	if (grant_account_or_reply(r, &g, &before))
		return;
	/* The provider revokes (R4.4); the consumer may too, for its own
	 * system's credentials when they leak. */
	provider = db_get_int(g, 0, "provider_agency_id");
	consumer = db_get_int(g, 0, "consumer_agency_id");
	if (!auth_has_role(&r->who, ROLE_ANY_AGENCY) ||
	    (r->who.agency_id != provider && r->who.agency_id != consumer)) {
		http_error(r, 403, "forbidden", "only the grant's provider or "
		    "consumer revokes its accounts");
		return;
	}
	if ((st = db_begin()) || (st = db_exec(revoke, p, 2, &n, NULL)))
		goto fail;
	if (n == 0) {
		db_rollback();
		http_error(r, 409, "conflict", "the account is not active");
		return;
	}
	other = r->who.agency_id == provider ? consumer : provider;
	if ((st = db_query(r->arena, sql_show, p, 2, &after)) ||
	    (st = audit_append(&r->who, "grant_account.revoke", "account",
	    r->captures[1], db_row_json(before, 0), db_row_json(after, 0))) ||
	    (st = notify(other, "grant_account.revoked", "grant",
	    r->captures[0], NULL)) || (st = db_commit()))
		goto fail;
	http_reply(r, 200, db_row_json(after, 0));
	return;
fail:
	tx_fail_reply(r, st);
}

/*
 * Issue 16: the provider issues a grant's account and so sees its secret
 * (Art. 16.2.e). The consumer's focal point may then give its system a
 * secret that only the consumer knows; the provider keeps revoking (and
 * is told that the secret changed, not what it is).
 */
void
grant_account_rotate(struct http_req *r)
{
	struct db_rows *g, *before;
	struct notice told = { 0, "grant_account.rotated", "grant",
	    r->captures[0] };

	if (grant_account_or_reply(r, &g, &before))
		return;
	if (!auth_has_role(&r->who, ROLE_FOCAL_POINT) || r->who.agency_id !=
	    db_get_int(g, 0, "consumer_agency_id")) {
		http_error(r, 403, "forbidden", "only the consumer's focal "
		    "point rotates its system's secret");
		return;
	}
	told.agency_id = db_get_int(g, 0, "provider_agency_id");
	secret_rotate_reply(r, r->captures[1], db_row_json(before, 0),
	    "grant_account.rotate_secret", &told);
}
