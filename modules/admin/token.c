/*
 * token issue: an access token for an account without its secret, for
 * bootstrapping and tests. The token is made by the core's token_sign(),
 * exactly as POST /api/v1/auth/token makes it, so what works with one
 * works with the other. Because it skips the secret, each issue leaves an
 * audit row.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"

#define TTL_MAX	86400

/* The lifetime: --ttl, else token_lifetime, else 900 s. */
static int
ttl_of(const char *opt, long long *ttl)
{
	const char *errstr = NULL;

	if (opt != NULL) {
		if (parse_ll(opt, 1, TTL_MAX, ttl) != 0) {
			warnx("--ttl: expected 1-%d seconds, not '%s'", TTL_MAX,
			    opt);
			return -1;
		}
		return 0;
	}
	*ttl = conf_int("token_lifetime", 900, 60, TTL_MAX, &errstr);
	if (errstr != NULL) {
		warnx("token_lifetime: expected 60-%d seconds", TTL_MAX);
		return -1;
	}
	return 0;
}

static int
audit_issue(long long id, long long agency_id, long long iat, long long ttl)
{
	json_object *o = json_object_new_object();
	int st;

	json_object_object_add(o, "agency_id",
	    json_object_new_int64(agency_id));
	json_object_object_add(o, "iat", json_object_new_int64(iat));
	json_object_object_add(o, "exp", json_object_new_int64(iat + ttl));
	json_object_object_add(o, "via", json_object_new_string(
	    "datashare-admin token issue"));
	/* audit_append() takes o. */
	st = audit_append(NULL, "token.issue", "account", id, NULL, o);
	return admin_db_check(st, "writing the audit row");
}

int
cmd_token_issue(int argc, char **argv)
{
	/* The database's clock, not this host's (DESIGN.md). */
	static const char *sql =
	    "SELECT a.status, a.agency_id, a.roles, UNIX_TIMESTAMP() AS now "
	    "FROM accounts a JOIN agencies g ON g.id = a.agency_id "
	    "WHERE a.id = ?";
	const struct cmd *c = cmd_find(cmd_token_issue);
	const char *account, *ttl_s, *token;
	struct opt o[] = {
		{ "account", false, &account, true },
		{ "ttl", false, &ttl_s, false },
	};
	long long id, ttl, agency_id, now;
	struct db_rows *rows;
	struct arena *a;
	int rc = -1;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0 ||
	    arg_id("--account", account, &id) != 0 ||
	    ttl_of(ttl_s, &ttl) != 0 || admin_connect() != 0)
		return -1;
	a = arena_new();
	{
		struct db_param p[] = { P_INT(id) };

		if (admin_db_check(db_query(a, sql, p, 1, &rows),
		    "reading the account") != 0)
			goto done;
	}
	if (rows->nrows != 1) {
		warnx("no account has id %lld", id);
		goto done;
	}
	if (strcmp(db_get(rows, 0, "status"), "active") != 0) {
		warnx("account %lld is %s, not active", id,
		    db_get(rows, 0, "status"));
		goto done;
	}
	agency_id = db_get_int(rows, 0, "agency_id");
	now = db_get_int(rows, 0, "now");
	if ((token = token_sign(a, id, agency_id,
	    (unsigned)db_get_int(rows, 0, "roles"), now, ttl)) == NULL) {
		warnx("cannot sign a token (is there a key in %s? see "
		    "keys generate)", conf_str("jwt_keys_dir", "jwt_keys_dir"));
		goto done;
	}
	if (audit_issue(id, agency_id, now, ttl) != 0)
		goto done;
	printf("%s\n", token);
	rc = 0;
done:
	arena_free(a);
	return rc;
}
