/*
 * Accounts of people: DIC manages every agency's, an agency's focal point
 * its own agency's (Art. 15). Consumer-system accounts are issued on a
 * grant by the sharing module instead. A role can only be given by someone
 * allowed to give it; secrets are generated and shown once.
 */
#include <string.h>

#include "ds.h"
#include "auth.h"

#define ACCOUNT_COLS \
	"a.id, a.agency_id, a.name, a.client_id, a.roles, a.status, " \
	"a.grant_id, a.created_at, a.updated_at"

static const char *sql_show =
    "SELECT " ACCOUNT_COLS " FROM accounts a WHERE a.id = ?";

static json_object *
account_json(const struct db_rows *rows, size_t i)
{
	json_object *o = db_row_json(rows, i);

	json_object_object_add(o, "roles",
	    roles_json((unsigned)db_get_int(rows, i, "roles")));
	return o;
}

/*
 * Issue 16: a caller may create, rotate or disable an account only if it
 * could give every role that account holds. DIC's administrators manage
 * every account of a person; a focal point its own agency's officers and
 * focal points, never a dic_admin, the Chairman or an auditor that DIC made
 * in its agency (the DIC agency's focal point could take over dic_admin).
 */
#define PEOPLE_ROLES	(ROLE_DIC_ADMIN | ROLE_CHAIRMAN | ROLE_AGENCY_OFFICER | \
	ROLE_FOCAL_POINT | ROLE_AUDITOR)

static unsigned
manageable_roles(const struct identity *who)
{
	if (auth_has_role(who, ROLE_DIC_ADMIN))
		return PEOPLE_ROLES;
	if (auth_has_role(who, ROLE_FOCAL_POINT))
		return ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT;
	return 0;
}

/* The roles the caller may give to a new account: what it manages, and
 * dic_admin only inside the DIC's agency. */
static unsigned
grantable_roles(const struct identity *who, bool target_is_dic)
{
	unsigned r = manageable_roles(who);

	return target_is_dic ? r : r & ~(unsigned)ROLE_DIC_ADMIN;
}

/* Loads the account in the path for a reader: its owner, DIC, an auditor
 * (reads every account, acts on none) or a focal point of its agency.
 * Others' agencies' accounts are 404, roles that read none 403. */
static int
load_readable_or_reply(struct http_req *r, struct db_rows **rows)
{
	struct db_param p[] = { P_INT(r->captures[0]) };
	int st;

	if (r->captures[0] != r->who.account_id &&
	    auth_require_role_or_reply(r, ROLE_DIC_ADMIN | ROLE_FOCAL_POINT |
	    ROLE_AUDITOR))
		return DS_REPLIED;
	if ((st = db_query(r->arena, sql_show, p, 1, rows)) != DS_OK)
		return http_error_status(r, st);
	if ((*rows)->nrows != 1)
		return http_error_status(r, DS_ENOTFOUND);
	if (r->captures[0] == r->who.account_id)
		return 0;
	return auth_require_agency_or_reply(r,
	    db_get_int(*rows, 0, "agency_id"), ROLE_DIC_ADMIN | ROLE_AUDITOR);
}

/* Loads an account the caller may act on (manageable_roles). A grant's
 * system account is managed on its grant (/grants/{id}/accounts), never
 * here. */
static int
load_managed_or_reply(struct http_req *r, struct db_rows **rows)
{
	unsigned held;

	if (auth_require_role_or_reply(r, ROLE_DIC_ADMIN | ROLE_FOCAL_POINT) ||
	    load_readable_or_reply(r, rows))
		return DS_REPLIED;
	if (db_get(*rows, 0, "grant_id") != NULL)
		return http_error(r, 403, "grant_account", "a grant's system "
		    "account is managed through /api/v1/grants/%s/accounts",
		    db_get(*rows, 0, "grant_id"));
	held = (unsigned)db_get_int(*rows, 0, "roles");
	if ((held & ~manageable_roles(&r->who)) != 0)
		return http_error(r, 403, "forbidden", "the account holds a "
		    "role you may not give");
	return 0;
}

void
accounts_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " ACCOUNT_COLS " FROM accounts a "
	    "WHERE (? = 0 OR a.agency_id = ?) AND (? = 0 OR a.id > ?) "
	    "ORDER BY a.id LIMIT ?";
	enum { Q_AGENCY, Q__N };
	static const struct field query[Q__N] = {
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	struct page pg;
	struct db_rows *rows;
	long long agency;
	json_object *items;
	int st;

	if (auth_require_role_or_reply(r, ROLE_DIC_ADMIN | ROLE_FOCAL_POINT |
	    ROLE_AUDITOR) || http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	agency = q[Q_AGENCY].i;
	/* A focal point sees only its own agency's accounts. */
	if (!auth_has_role(&r->who, ROLE_DIC_ADMIN | ROLE_AUDITOR))
		agency = r->who.agency_id;
	{
		struct db_param p[] = { P_INT(agency), P_INT(agency),
		    P_INT(pg.after), P_INT(pg.after), P_INT(pg.limit) };

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	items = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(items, account_json(rows, i));
	http_reply_page(r, &pg, items);
}

void
account_show(struct http_req *r)
{
	struct db_rows *rows;

	if (load_readable_or_reply(r, &rows) == 0)
		http_reply(r, 200, account_json(rows, 0));
}

void
account_create(struct http_req *r)
{
	enum { AC_AGENCY, AC_NAME, AC_ROLES, AC__N };
	static const struct field spec[AC__N] = {
		[AC_AGENCY] = { "agency_id", F_ID, true, 0, 0, NULL },
		[AC_NAME] = { "name", F_STRING, true, 1, 255, NULL },
		[AC_ROLES] = { "roles", F_STRINGS, true, 1, 6, NULL },
	};
	static const char *agency_sql =
	    "SELECT id, is_dic FROM agencies WHERE id = ?";
	static const char *insert =
	    "INSERT INTO accounts (agency_id, name, client_id, secret_hash, "
	    "  roles, created_by) VALUES (?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_rows *ag, *rows;
	char hash[SECRET_HASH_MAX];
	const char *secret, *client_id;
	unsigned long long id;
	long roles;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLE_DIC_ADMIN | ROLE_FOCAL_POINT) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	if ((roles = roles_from_json(v[AC_ROLES].o)) <= 0) {
		json_detail(r, "roles", "unknown role");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	{
		struct db_param p[] = { P_INT(v[AC_AGENCY].i) };

		if ((st = db_query(r->arena, agency_sql, p, 1, &ag))) {
			http_error_status(r, st);
			return;
		}
	}
	if (ag->nrows != 1) {
		json_detail(r, "agency_id", "no such agency");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	if (auth_require_agency_or_reply(r, v[AC_AGENCY].i, ROLE_DIC_ADMIN))
		return;
	if (((unsigned long)roles & ~grantable_roles(&r->who,
	    db_get_int(ag, 0, "is_dic") != 0)) != 0) {
		http_error(r, 403, "forbidden",
		    "you may not give one of these roles to this account");
		return;
	}
	if (secret_issue(r->arena, &client_id, &secret, hash) != DS_OK) {
		http_error_status(r, DS_ERR);
		return;
	}
	if ((st = db_begin()))
		goto fail;
	{
		struct db_param p[] = { P_INT(v[AC_AGENCY].i),
		    P_STR(v[AC_NAME].s),
		    P_STR(client_id), P_STR(hash), P_INT(roles),
		    P_INT(r->who.account_id) };
		struct db_param q[1];

		if ((st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
		q[0] = P_INT((long long)id);
		if ((st = db_query(r->arena, sql_show, q, 1, &rows)))
			goto fail;
	}
	o = account_json(rows, 0);
	if ((st = audit_append(&r->who, "account.create", "account",
	    (long long)id, NULL, json_object_get(o))) || (st = db_commit())) {
		json_object_put(o);
		goto fail;
	}
	json_object_object_add(o, "client_secret",
	    json_object_new_string(secret));
	http_header(r, "Cache-Control", "no-store");
	http_reply(r, 201, o);
	return;
fail:
	db_rollback();
	http_error_status(r, st);
}

/*
 * Issue 16: the province must never be left without an administrator,
 * so the last active dic_admin cannot be disabled (datashare-admin, with
 * the database's owner account, remains the way back in). Read inside the
 * disabling transaction under the rows' locks, so that two administrators
 * disabling each other at once are serialised: the second finds no other.
 * *others gets the count of active dic_admins other than account.
 */
static int
other_dic_admins(struct arena *a, long long account, long long *others)
{
	static const char *sql =
	    "SELECT id FROM accounts WHERE status = 'active' "
	    "  AND (roles & ?) <> 0 AND grant_id IS NULL FOR UPDATE";
	struct db_param p[] = { P_INT(ROLE_DIC_ADMIN) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, p, 1, &rows)) != DS_OK)
		return st;
	*others = 0;
	for (size_t i = 0; i < rows->nrows; i++)
		if (db_get_int(rows, i, "id") != account)
			(*others)++;
	return DS_OK;
}

void
account_disable(struct http_req *r)
{
	static const char *sql =
	    "UPDATE accounts SET status = 'disabled', "
	    "  updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND status = 'active'";
	struct db_param p[] = { P_INT(r->captures[0]) };
	struct db_rows *before, *after;
	unsigned long long n;
	long long others = 0;
	bool admin;
	int st;

	if (load_managed_or_reply(r, &before))
		return;
	admin = (db_get_int(before, 0, "roles") & ROLE_DIC_ADMIN) != 0;
	if ((st = db_begin()) || (admin && (st = other_dic_admins(r->arena,
	    r->captures[0], &others))))
		goto fail;
	if (admin && others == 0) {
		db_rollback();
		http_error(r, 409, "last_dic_admin", "this is the last active "
		    "DIC administrator: make another one before disabling it");
		return;
	}
	if ((st = db_exec(sql, p, 1, &n, NULL)))
		goto fail;
	if (n == 0) {
		db_rollback();
		http_error(r, 409, "conflict", "the account is not active");
		return;
	}
	if ((st = db_query(r->arena, sql_show, p, 1, &after)) ||
	    (st = audit_append(&r->who, "account.disable", "account",
	    r->captures[0], account_json(before, 0), account_json(after, 0))) ||
	    (st = db_commit()))
		goto fail;
	http_reply(r, 200, account_json(after, 0));
	return;
fail:
	db_rollback();
	http_error_status(r, st);
}

void
account_rotate(struct http_req *r)
{
	struct db_rows *before;

	if (load_managed_or_reply(r, &before) == 0)
		secret_rotate_reply(r, r->captures[0], account_json(before, 0),
		    "account.rotate_secret", NULL);
}
