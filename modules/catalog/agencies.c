/*
 * Agencies: departments, district and commune committees, state
 * enterprises (Art. 2). DIC creates and edits them; every authenticated
 * caller reads them.
 */
#include "ds.h"
#include "catalog.h"

static const char *const levels[] = {
	"province", "department", "district", "commune", "enterprise", "other",
	NULL
};

/* An agency's columns, of table t ("g.", or "" alone). */
#define AGENCY_COLS_OF(t) \
	t "id, " t "code, " t "name, " t "name_en, " t "level, " \
	t "parent_id, " t "is_dic, " t "created_at, " t "updated_at"
#define AGENCY_COLS	AGENCY_COLS_OF("")

static const char *sql_show =
    "SELECT " AGENCY_COLS " FROM agencies WHERE id = ?";

/* Loads one agency as JSON into *out; replies 404 when absent. */
static int
load_or_reply(struct http_req *r, long long id, json_object **out)
{
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql_show, p, 1, &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows != 1)
		return http_error(r, 404, "not_found", "no such agency");
	*out = db_row_json(rows, 0);
	return 0;
}

void
agencies_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " AGENCY_COLS " FROM agencies "
	    "WHERE (? IS NULL OR level = ?) AND (? = 0 OR id > ?) "
	    "ORDER BY id LIMIT ?";
	enum { Q_LEVEL, Q__N };
	static const struct field query[Q__N] = {
		[Q_LEVEL] = { "level", F_ENUM, false, 0, 0, levels },
	};
	struct fval q[Q__N];
	struct page pg;

	/* A level that no agency can have is a 422, as for every other
	 * list's enum filter, not an empty page. */
	if (http_page_or_reply(r, &pg) != DS_OK ||
	    http_query_or_reply(r, query, Q__N, q) != DS_OK)
		return;
	{
		struct db_param p[] = { P_STR(q[Q_LEVEL].s), P_STR(q[Q_LEVEL].s),
		    P_INT(pg.after), P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

/* GET /agencies/{id} (RT_ACCOUNT_JOINED): the agency and the caller's
 * account in one statement, the account checked first. */
void
agency_show(struct http_req *r)
{
	static const char *sql =
	    "SELECT " AGENCY_COLS_OF("g.") ", " AUTH_ACCOUNT_COLS
	    " FROM agencies g" AUTH_ACCOUNT_JOIN "WHERE g.id = ?";
	struct db_param p[] = { AUTH_ACCOUNT_PARAM(r),
	    P_INT(r->captures[0]) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (auth_settle_or_reply(r, rows, 0) != DS_OK)
		return;
	if (rows->nrows != 1)
		http_error(r, 404, "not_found", "no such agency");
	else
		http_reply(r, 200, db_row_json(rows, 0));
}

/* A parent must exist; 422 naming the field otherwise. */
static int
check_parent_or_reply(struct http_req *r, const struct fval *parent)
{
	struct db_param p[] = { P_INT(parent->i) };
	struct db_rows *rows;
	int st;

	if (!parent->present)
		return 0;
	if ((st = db_query(r->arena, sql_show, p, 1, &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows != 1) {
		json_detail(r, "parent_id", "no such agency");
		return json_details_reply(r, "the request has invalid fields");
	}
	return 0;
}

void
agency_create(struct http_req *r)
{
	enum { AGC_CODE, AGC_NAME, AGC_NAME_EN, AGC_LEVEL, AGC_PARENT,
	    AGC__N };
	static const struct field spec[AGC__N] = {
		[AGC_CODE] = { "code", F_STRING, true, 1, 32, NULL },
		[AGC_NAME] = { "name", F_STRING, true, 1, 255, NULL },
		[AGC_NAME_EN] = { "name_en", F_STRING, false, 1, 255, NULL },
		[AGC_LEVEL] = { "level", F_ENUM, false, 0, 0, levels },
		[AGC_PARENT] = { "parent_id", F_ID, false, 0, 0, NULL },
	};
	static const char *insert =
	    "INSERT INTO agencies (code, name, name_en, level, parent_id) "
	    "VALUES (?, ?, ?, COALESCE(?, 'department'), ?)";
	struct fval v[NPARAMS(spec)];
	unsigned long long id;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLE_DIC_ADMIN) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    check_parent_or_reply(r, &v[AGC_PARENT]))
		return;
	{
		struct db_param p[] = { P_STR(v[AGC_CODE].s),
		    P_STR(v[AGC_NAME].s), P_STR(v[AGC_NAME_EN].s),
		    P_STR(v[AGC_LEVEL].s),
		    db_param_fval(&v[AGC_PARENT], F_ID) };

		if ((st = db_begin()) ||
		    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
	}
	if (load_or_reply(r, (long long)id, &o) != 0) {
		db_rollback();
		return;
	}
	tx_commit_reply(r, "agency.create", "agency", (long long)id, NULL, o,
	    201);
	return;
fail:
	db_rollback();
	if (st == DS_ECONFLICT)
		http_error(r, 409, "conflict", "an agency with code '%s' "
		    "already exists", v[AGC_CODE].s);
	else
		http_error_status(r, st);
}

void
agency_update(struct http_req *r)
{
	enum { AGU_NAME, AGU_NAME_EN, AGU_LEVEL, AGU_PARENT, AGU__N };
	static const struct field spec[AGU__N] = {
		[AGU_NAME] = { "name", F_STRING, false, 1, 255, NULL },
		[AGU_NAME_EN] = { "name_en", F_STRING, F_NULLABLE, 1, 255,
		    NULL },
		[AGU_LEVEL] = { "level", F_ENUM, false, 0, 0, levels },
		[AGU_PARENT] = { "parent_id", F_ID, F_NULLABLE, 0, 0, NULL },
	};
	/* Each field changes only when given: "?, 1" pairs say whether.
	 * name and level cannot be cleared: json_read_or_reply refuses a
	 * null for them. */
	static const char *update =
	    "UPDATE agencies SET name = IF(?, ?, name), "
	    "  name_en = IF(?, ?, name_en), level = IF(?, ?, level), "
	    "  parent_id = IF(?, ?, parent_id), "
	    "  updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
	struct fval v[NPARAMS(spec)];
	json_object *before, *after;
	long long id = r->captures[0];
	int st;

	if (auth_require_role_or_reply(r, ROLE_DIC_ADMIN) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    check_parent_or_reply(r, &v[AGU_PARENT]))
		return;
	if (v[AGU_PARENT].present && v[AGU_PARENT].i == id) {
		json_detail(r, "parent_id", "an agency cannot be its own parent");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	if ((st = db_begin()))
		goto fail;
	if (load_or_reply(r, id, &before) != 0) {
		db_rollback();
		return;
	}
	{
		struct db_param p[] = {
			P_INT(v[AGU_NAME].present), P_STR(v[AGU_NAME].s),
			P_INT(v[AGU_NAME_EN].present || v[AGU_NAME_EN].is_null),
			P_STR(v[AGU_NAME_EN].s),
			P_INT(v[AGU_LEVEL].present), P_STR(v[AGU_LEVEL].s),
			P_INT(v[AGU_PARENT].present || v[AGU_PARENT].is_null),
			db_param_fval(&v[AGU_PARENT], F_ID), P_INT(id),
		};

		if ((st = db_exec(update, p, NPARAMS(p), NULL, NULL))) {
			json_object_put(before);
			goto fail;
		}
	}
	if (load_or_reply(r, id, &after) != 0) {
		json_object_put(before);
		db_rollback();
		return;
	}
	tx_commit_reply(r, "agency.update", "agency", id, before, after, 200);
	return;
fail:
	db_rollback();
	http_error_status(r, st);
}
