/*
 * account create / disable / list: the first accounts (DIC's admin) are
 * made here, before anyone holds a token for POST /api/v1/accounts.
 *
 * As in the auth module, the client id and secret are generated, never
 * chosen; only the secret's argon2id hash is stored and the secret is
 * printed once. Audit rows hold the account as stored (roles by name),
 * never the secret or its hash, with no actor: the system did it.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"

#define ACCOUNT_COLS "id, agency_id, name, client_id, roles, status, " \
	"grant_id, created_at, updated_at"

static const char *show_sql =
    "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?";

/* The row as JSON with its roles as names; the caller puts it. */
static json_object *
account_json(const struct db_rows *rows)
{
	json_object *o = db_row_json(rows, 0);

	json_object_object_add(o, "roles",
	    roles_json((unsigned)db_get_int(rows, 0, "roles")));
	return o;
}

/* "dic_admin,auditor" -> bits; -1 after naming a bad or empty item. */
static long
parse_roles(struct arena *a, const char *list)
{
	char *copy = arena_strdup(a, list), *item, *save = NULL;
	long bits = 0;
	int bit;

	if (*list == '\0' || list[strlen(list) - 1] == ',' ||
	    strstr(list, ",,") != NULL || *list == ',') {
		warnx("--roles: expected ROLE[,ROLE...], not '%s'", list);
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((bit = role_parse(item)) < 0) {
			warnx("--roles: unknown role '%s' (dic_admin, "
			    "chairman, agency_officer, focal_point, auditor, "
			    "system)", item);
			return -1;
		}
		bits |= bit;
	}
	return bits;
}

/* Inserts the account and its audit row in one transaction. */
static int
account_insert(struct arena *a, const struct db_param *p, size_t n,
    long long *id)
{
	static const char *insert_sql =
	    "INSERT INTO accounts (agency_id, name, client_id, secret_hash, "
	    "  roles, grant_id) VALUES (?, ?, ?, ?, ?, ?)";
	unsigned long long newid;
	struct db_rows *rows;
	int st;

	if ((st = db_begin()) != DS_OK ||
	    (st = db_exec(insert_sql, p, n, NULL, &newid)) != DS_OK)
		goto fail;
	*id = (long long)newid;
	{
		struct db_param q[] = { P_INT(*id) };

		if ((st = db_query(a, show_sql, q, 1, &rows)) != DS_OK)
			goto fail;
	}
	/* audit_append() takes the object, even when it fails. */
	if ((st = audit_append(NULL, "account.create", "account", *id, NULL,
	    account_json(rows))) != DS_OK || (st = db_commit()) != DS_OK)
		goto fail;
	return DS_OK;
fail:
	db_rollback();
	return st;
}

static void
print_credentials(long long id, const char *client_id, const char *secret)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "client_id",
	    json_object_new_string(client_id));
	json_object_object_add(o, "client_secret",
	    json_object_new_string(secret));
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int
cmd_account_create(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_account_create);
	const char *agency, *name, *roles_s, *grant, *client_id, *secret;
	struct opt o[] = {
		{ "agency", false, &agency, true },
		{ "name", false, &name, true },
		{ "roles", false, &roles_s, true },
		{ "grant", false, &grant, false },
	};
	char hash[SECRET_HASH_MAX];
	long long agency_id, grant_id = 0, id = 0;
	long roles;
	struct arena *a;
	int st, rc = -1;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0 ||
	    arg_id("--agency", agency, &agency_id) != 0 ||
	    arg_text("--name", name, 255) != 0 ||
	    (grant != NULL && arg_id("--grant", grant, &grant_id) != 0))
		return -1;
	a = arena_new();
	if ((roles = parse_roles(a, roles_s)) < 0)
		goto done;
	/* A grant binds a consumer system to what it may fetch (Art.
	 * 16.2.e); on a person's account it would mean nothing. */
	if (grant != NULL && (roles & ROLE_SYSTEM) == 0) {
		warnx("--grant is for accounts with the role system");
		goto done;
	}
	if (secret_issue(a, &client_id, &secret, hash) != DS_OK) {
		warnx("cannot hash the secret");
		goto done;
	}
	if (admin_connect() != 0)
		goto done;
	{
		struct db_param p[] = { P_INT(agency_id), P_STR(name),
		    P_STR(client_id), P_STR(hash), P_INT(roles),
		    grant ? P_INT(grant_id) : P_NULL };

		st = account_insert(a, p, NPARAMS(p), &id);
	}
	if (st == DS_EFKEY)
		warnx("--agency: no agency has id %lld", agency_id);
	else if (admin_db_check(st, "creating the account") == 0) {
		fprintf(stderr, "created account %lld (%s) in agency %lld\n",
		    id, client_id, agency_id);
		print_credentials(id, client_id, secret);
		rc = 0;
	}
done:
	arena_free(a);
	return rc;
}

/* Says why a conditional UPDATE changed nothing. */
static void
explain_not_active(struct arena *a, long long id)
{
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;

	if (db_query(a, show_sql, p, 1, &rows) != DS_OK)
		warnx("account %lld was not disabled", id);
	else if (rows->nrows == 0)
		warnx("no account has id %lld", id);
	else
		warnx("account %lld is %s, not active", id,
		    db_get(rows, 0, "status"));
}

/* Disables the account if active, with its audit row; DS_ENOTFOUND when
 * there was nothing to disable. */
static int
account_set_disabled(struct arena *a, long long id)
{
	static const char *sql =
	    "UPDATE accounts SET status = 'disabled', "
	    "  updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND status = 'active'";
	struct db_param p[] = { P_INT(id) };
	struct db_rows *before, *after;
	unsigned long long n;
	int st;

	if ((st = db_begin()) != DS_OK ||
	    (st = db_query(a, show_sql, p, 1, &before)) != DS_OK ||
	    (st = db_exec(sql, p, 1, &n, NULL)) != DS_OK)
		goto fail;
	if (n == 0) {
		st = DS_ENOTFOUND;
		goto fail;
	}
	if ((st = db_query(a, show_sql, p, 1, &after)) != DS_OK)
		goto fail;
	if ((st = audit_append(NULL, "account.disable", "account", id,
	    account_json(before), account_json(after))) != DS_OK ||
	    (st = db_commit()) != DS_OK)
		goto fail;
	return DS_OK;
fail:
	db_rollback();
	return st;
}

int
cmd_account_disable(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_account_disable);
	const char *pos[1];
	long long id;
	struct arena *a;
	int np, st, rc = -1;

	if (opts_parse(c, NULL, 0, argc, argv, pos, 1, &np) != 0)
		return -1;
	if (np != 1) {
		warnx("the account id is required");
		return usage_error(c);
	}
	if (arg_id("ID", pos[0], &id) != 0 || admin_connect() != 0)
		return -1;
	a = arena_new();
	st = account_set_disabled(a, id);
	if (st == DS_ENOTFOUND)
		explain_not_active(a, id);
	else if (admin_db_check(st, "disabling the account") == 0) {
		printf("account %lld disabled\n", id);
		rc = 0;
	}
	arena_free(a);
	return rc;
}

/* The role bits as "dic_admin,auditor" (arena). */
static const char *
roles_text(struct arena *a, unsigned roles)
{
	const char *out = "";

	for (unsigned bit = 1; bit != 0 && bit <= roles; bit <<= 1)
		if ((roles & bit) != 0 && role_name(bit) != NULL)
			out = arena_printf(a, "%s%s%s", out, *out ? "," : "",
			    role_name(bit));
	return out;
}

int
cmd_account_list(int argc, char **argv)
{
	static const char *sql =
	    "SELECT id, agency_id, client_id, name, roles, status "
	    "FROM accounts WHERE (? = 0 OR agency_id = ?) ORDER BY id";
	const struct cmd *c = cmd_find(cmd_account_list);
	const char *agency;
	struct opt o[] = { { "agency", false, &agency, false } };
	long long agency_id = 0;
	struct db_rows *rows;
	struct arena *a;
	int rc;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0 ||
	    (agency != NULL && arg_id("--agency", agency, &agency_id) != 0) ||
	    admin_connect() != 0)
		return -1;
	a = arena_new();
	{
		struct db_param p[] = { P_INT(agency_id), P_INT(agency_id) };

		rc = admin_db_check(db_query(a, sql, p, NPARAMS(p), &rows),
		    "listing accounts");
	}
	for (size_t r = 0; rc == 0 && r < rows->nrows; r++) {
		tsv_cell(db_get(rows, r, "id"), false);
		tsv_cell(db_get(rows, r, "agency_id"), false);
		tsv_cell(db_get(rows, r, "client_id"), false);
		tsv_cell(db_get(rows, r, "name"), false);
		tsv_cell(roles_text(a, (unsigned)db_get_int(rows, r, "roles")),
		    false);
		tsv_cell(db_get(rows, r, "status"), true);
	}
	arena_free(a);
	return rc;
}
