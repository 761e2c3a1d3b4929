/*
 * agency create / list: the first agencies (the DIC above all) exist
 * before anyone can call the API to make the others.
 *
 * The audit row holds the agency as stored, in the shape the catalog
 * module's POST /agencies records, with no actor: the system did it.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"

#define AGENCY_COLS "id, code, name, name_en, level, parent_id, is_dic, " \
	"created_at, updated_at"

static const char *show_sql =
    "SELECT " AGENCY_COLS " FROM agencies WHERE id = ?";
static const char *by_code_sql =
    "SELECT id FROM agencies WHERE code = ?";
static const char *dic_sql =
    "SELECT id, code FROM agencies WHERE is_dic = 1";

static const char *const levels[] = {
	"department", "province", "district", "commune", "enterprise", "other",
	NULL
};

static int
check_level(const char *s)
{
	for (size_t i = 0; levels[i] != NULL; i++)
		if (strcmp(levels[i], s) == 0)
			return 0;
	warnx("--level: expected department, province, district, commune, "
	    "enterprise or other, not '%s'", s);
	return -1;
}

/* Says which unique key a refused insert hit: the code, or the DIC. */
static void
explain_conflict(struct arena *a, const char *code)
{
	struct db_param p[] = { P_STR(code) };
	struct db_rows *rows;

	if (db_query(a, by_code_sql, p, 1, &rows) == DS_OK && rows->nrows > 0)
		warnx("an agency with code %s exists already (id %s)", code,
		    db_cell(rows, 0, 0));
	else if (db_query(a, dic_sql, NULL, 0, &rows) == DS_OK &&
	    rows->nrows > 0)
		warnx("agency %s (%s) is the DIC already: there is only one",
		    db_cell(rows, 0, 0), db_cell(rows, 0, 1));
	else
		warnx("the agency conflicts with an existing one");
}

/* Inserts the agency and its audit row in one transaction. */
static int
agency_insert(struct arena *a, const struct db_param *p, size_t n,
    long long *id)
{
	static const char *insert_sql =
	    "INSERT INTO agencies (code, name, name_en, level, parent_id, "
	    "  is_dic) VALUES (?, ?, ?, ?, ?, ?)";
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
	if ((st = audit_append(NULL, "agency.create", "agency", *id, NULL,
	    db_row_json(rows, 0))) != DS_OK || (st = db_commit()) != DS_OK)
		goto fail;
	return DS_OK;
fail:
	db_rollback();
	return st;
}

int
cmd_agency_create(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_agency_create);
	const char *code, *name, *name_en, *level, *parent, *dic;
	struct opt o[] = {
		{ "code", false, &code, true },
		{ "name", false, &name, true },
		{ "name-en", false, &name_en, false },
		{ "level", false, &level, false },
		{ "parent", false, &parent, false },
		{ "dic", true, &dic, false },
	};
	long long parent_id = 0, id = 0;
	struct arena *a;
	int st, rc;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0 ||
	    arg_code("--code", code) != 0 || arg_text("--name", name, 255) ||
	    (name_en != NULL && arg_text("--name-en", name_en, 255) != 0) ||
	    (level != NULL && check_level(level) != 0) ||
	    (parent != NULL && arg_id("--parent", parent, &parent_id) != 0))
		return -1;
	if (admin_connect() != 0)
		return -1;
	a = arena_new();
	{
		struct db_param p[] = { P_STR(code), P_STR(name),
		    P_STR(name_en), P_STR(level ? level : "department"),
		    parent ? P_INT(parent_id) : P_NULL, P_INT(dic ? 1 : 0) };

		st = agency_insert(a, p, NPARAMS(p), &id);
	}
	if (st == DS_ECONFLICT) {
		explain_conflict(a, code);
		rc = -1;
	} else if (st == DS_EFKEY) {
		warnx("--parent: no agency has id %lld", parent_id);
		rc = -1;
	} else
		rc = admin_db_check(st, "creating the agency");
	if (rc == 0) {
		fprintf(stderr, "created agency %lld (%s)%s\n", id, code,
		    dic ? ", the DIC" : "");
		printf("%lld\n", id);
	}
	arena_free(a);
	return rc;
}

int
cmd_agency_list(int argc, char **argv)
{
	static const char *sql =
	    "SELECT id, code, name, is_dic FROM agencies ORDER BY id";
	const struct cmd *c = cmd_find(cmd_agency_list);
	struct db_rows *rows;
	struct arena *a;
	int rc;

	if (opts_parse(c, NULL, 0, argc, argv, NULL, 0, NULL) != 0 ||
	    admin_connect() != 0)
		return -1;
	a = arena_new();
	if ((rc = admin_db_check(db_query(a, sql, NULL, 0, &rows),
	    "listing agencies")) == 0)
		for (size_t r = 0; r < rows->nrows; r++) {
			tsv_cell(db_get(rows, r, "id"), false);
			tsv_cell(db_get(rows, r, "code"), false);
			tsv_cell(db_get(rows, r, "name"), false);
			tsv_cell(db_get(rows, r, "is_dic"), true);
		}
	arena_free(a);
	return rc;
}
