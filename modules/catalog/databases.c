/*
 * Databases (R1.1, Art. 7, 8): each agency's shared and specialized
 * databases with the Art. 7.2 description and where they are hosted.
 * An agency creates and edits its own drafts. A specialized database is
 * listed and withdrawn by its owner; a shared one only by an issued
 * catalog version (Art. 7.1, versions.c).
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

const char *const db_kinds[] = { "shared", "specialized", NULL };
const char *const db_locations[] = { "provincial_data_centre", "agency",
    "national", "other", NULL };
static const char *const db_statuses[] = { "draft", "listed", "withdrawn",
    NULL };

#define DATABASE_COLS \
	"b.id, b.agency_id, a.name AS agency_name, b.kind, b.name, " \
	"b.managing_unit, b.objective, b.scope, b.master_data, " \
	"b.users_purposes, b.sources, b.sharing_methods, b.location, " \
	"b.location_detail, b.status, b.listed_at, b.withdrawn_at, " \
	"b.created_at, b.updated_at, " DATABASE_VIS " AS visibility"
#define DATABASE_FROM \
	" FROM `databases` b JOIN agencies a ON a.id = b.agency_id "

int
hosting_or_reply(struct http_req *r, const char *kind, const char *location)
{
	if (kind != NULL && strcmp(kind, "shared") == 0 && location != NULL &&
	    strcmp(location, "provincial_data_centre") != 0)
		return invalid_field(r, "location", "a shared database is "
		    "hosted at the provincial data centre (Art. 8.3)");
	return 0;
}

int
database_load_or_reply(struct http_req *r, long long id, bool lock,
    struct db_rows **rows)
{
	static const char *show =
	    "SELECT " DATABASE_COLS DATABASE_FROM "WHERE b.id = ?";
	static const char *locked =
	    "SELECT " DATABASE_COLS DATABASE_FROM "WHERE b.id = ? FOR UPDATE";

	if (row_or_reply(r, lock ? locked : show, id, "database", rows))
		return DS_REPLIED;
	if (!auth_sees(&r->who, db_get(*rows, 0, "visibility"),
	    db_get_int(*rows, 0, "agency_id"))) {
		if (db_in_tx())
			db_rollback();
		return http_error(r, 404, "not_found", "no such database");
	}
	return 0;
}

int
database_json(struct arena *a, long long id, json_object **out)
{
	static const char *sql =
	    "SELECT " DATABASE_COLS DATABASE_FROM "WHERE b.id = ?";
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, p, 1, &rows)) != DS_OK)
		return st;
	if (rows->nrows != 1)
		return DS_ENOTFOUND;
	*out = db_row_json(rows, 0);
	return DS_OK;
}

void
databases_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " DATABASE_COLS DATABASE_FROM
	    "WHERE " SEES(DATABASE_VIS, "b.agency_id")
	    "  AND (? = 0 OR b.agency_id = ?) AND (? IS NULL OR b.kind = ?) "
	    "  AND (? IS NULL OR b.status = ?) AND (? = 0 OR b.id > ?) "
	    "ORDER BY b.id LIMIT ?";
	enum { Q_AGENCY, Q_KIND, Q_STATUS, Q__N };
	static const struct field query[Q__N] = {
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_KIND] = { "kind", F_ENUM, false, 0, 0, db_kinds },
		[Q_STATUS] = { "status", F_ENUM, false, 0, 0, db_statuses },
	};
	struct fval q[Q__N];
	struct page pg;

	if (http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	{
		struct db_param p[] = { SEES_PARAMS(&r->who),
		    P_INT(q[Q_AGENCY].i), P_INT(q[Q_AGENCY].i),
		    P_STR(q[Q_KIND].s), P_STR(q[Q_KIND].s),
		    P_STR(q[Q_STATUS].s), P_STR(q[Q_STATUS].s),
		    P_INT(pg.after), P_INT(pg.after),
		    P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

void
database_show(struct http_req *r)
{
	struct db_rows *rows;

	if (database_load_or_reply(r, r->captures[0], false, &rows) == 0)
		http_reply(r, 200, db_row_json(rows, 0));
}

/* Inside a transaction: the database's search documents, then the
 * database as it now is. */
static int
reload(struct http_req *r, long long id, json_object **out)
{
	struct db_rows *rows;
	int st;

	if ((st = search_sync_database(id)) != DS_OK)
		return st;
	if (database_load_or_reply(r, id, false, &rows))
		return DS_ERR;
	*out = db_row_json(rows, 0);
	return DS_OK;
}

/* A database's fields, in the order of the INSERT's and the UPDATE's
 * columns: kind, name, the Art. 7.2 ones, where it is hosted. */
enum { DB_KIND, DB_NAME, DB_ART72, DB_LOCATION = DB_ART72 + ART72_N,
    DB_LOCATION_DETAIL, DB__N };

void
database_create(struct http_req *r)
{
	static const struct field spec[DB__N] = {
		[DB_KIND] = { "kind", F_ENUM, true, 0, 0, db_kinds },
		[DB_NAME] = { "name", F_STRING, true, 1, 255, NULL },
		[DB_ART72] = ART72_SPEC(F_OPTIONAL, NULL),
		[DB_LOCATION] = { "location", F_ENUM, true, 0, 0, db_locations },
		[DB_LOCATION_DETAIL] = { "location_detail", F_STRING, false, 1,
		    255, NULL },
	};
	static const char *insert =
	    "INSERT INTO `databases` (agency_id, kind, name, managing_unit, "
	    "  objective, scope, master_data, users_purposes, sources, "
	    "  sharing_methods, location, location_detail, created_by) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_param p[NPARAMS(spec) + 2];
	unsigned long long id;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    hosting_or_reply(r, v[DB_KIND].s, v[DB_LOCATION].s))
		return;
	p[0] = P_INT(r->who.agency_id);
	for (size_t i = 0; i < NPARAMS(spec); i++)
		p[i + 1] = db_param_fval(&v[i], spec[i].type);
	p[NPARAMS(spec) + 1] = P_INT(r->who.account_id);
	if ((st = db_begin()) ||
	    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)) ||
	    (st = reload(r, (long long)id, &o)))
		goto fail;
	tx_commit_reply(r, "database.create", "database", (long long)id, NULL,
	    o, 201);
	return;
fail:
	if (r->status != 0)
		return;
	db_rollback();
	if (st == DS_ECONFLICT)
		http_error(r, 409, "conflict", "your agency already has a "
		    "database named '%s'", v[DB_NAME].s);
	else
		http_error_status(r, st);
}

/* PATCH /databases/{id}: the owner edits a draft. */
void
database_update(struct http_req *r)
{
	static const struct field spec[DB__N] = {
		[DB_KIND] = { "kind", F_ENUM, false, 0, 0, db_kinds },
		[DB_NAME] = { "name", F_STRING, false, 1, 255, NULL },
		[DB_ART72] = ART72_SPEC(F_NULLABLE, NULL),
		[DB_LOCATION] = { "location", F_ENUM, false, 0, 0,
		    db_locations },
		[DB_LOCATION_DETAIL] = { "location_detail", F_STRING,
		    F_NULLABLE, 1, 255, NULL },
	};
	static const char *update =
	    "UPDATE `databases` SET kind = IF(?, ?, kind), "
	    "  name = IF(?, ?, name), managing_unit = IF(?, ?, managing_unit), "
	    "  objective = IF(?, ?, objective), scope = IF(?, ?, scope), "
	    "  master_data = IF(?, ?, master_data), "
	    "  users_purposes = IF(?, ?, users_purposes), "
	    "  sources = IF(?, ?, sources), "
	    "  sharing_methods = IF(?, ?, sharing_methods), "
	    "  location = IF(?, ?, location), "
	    "  location_detail = IF(?, ?, location_detail), "
	    "  updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND status = 'draft'";
	struct fval v[NPARAMS(spec)];
	struct db_param p[2 * NPARAMS(spec) + 1];
	long long id = r->captures[0];
	struct db_rows *rows;
	json_object *before, *after;
	int st;

	if (database_load_or_reply(r, id, false, &rows) ||
	    owner_or_reply(r, db_get_int(rows, 0, "agency_id"), true) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	if ((st = db_begin()) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	/* Checked again on the locked row: it may have changed since. */
	if (database_load_or_reply(r, id, true, &rows))
		return;
	if (strcmp(db_get(rows, 0, "status"), "draft") != 0) {
		db_rollback();
		http_error(r, 409, "conflict", "only a draft database can be "
		    "edited; a listed shared one changes by a proposal");
		return;
	}
	if (hosting_or_reply(r, v[DB_KIND].present ? v[DB_KIND].s :
	    db_get(rows, 0, "kind"), v[DB_LOCATION].present ?
	    v[DB_LOCATION].s : db_get(rows, 0, "location"))) {
		db_rollback();
		return;
	}
	before = db_row_json(rows, 0);
	patch_params(spec, v, NPARAMS(spec), p);
	p[2 * NPARAMS(spec)] = P_INT(id);
	if ((st = db_exec(update, p, NPARAMS(p), NULL, NULL)) ||
	    (st = reload(r, id, &after))) {
		json_object_put(before);
		if (r->status != 0)
			return;
		tx_fail_reply(r, st);
		return;
	}
	tx_commit_reply(r, "database.update", "database", id, before, after,
	    200);
}

/* Who lists and withdraws a specialized database: its owner agency. */
#define BY_OWNER	(1u << 0)

#define SPECIALIZED(set) \
	"UPDATE `databases` SET " set ", updated_at = UTC_TIMESTAMP(6) " \
	"WHERE kind = 'specialized' AND id = ? AND status = ?"

/*
 * The life of a specialized database, as one table: its owner lists it
 * and withdraws it (Art. 7, 8). A shared database changes status only
 * through an issued catalog version (Art. 7.1, versions.c), so it has no
 * steps here.
 *
 *   draft -> listed -> withdrawn
 */
static const struct transition specialized_steps[] = {
	{ "draft", "listed", BY_OWNER,
	  SPECIALIZED("status = 'listed', listed_at = UTC_TIMESTAMP(6)") },
	{ "listed", "withdrawn", BY_OWNER,
	  SPECIALIZED("status = 'withdrawn', "
	  "withdrawn_at = UTC_TIMESTAMP(6)") },
};
static const struct machine specialized_life =
    MACHINE("database", "conflict", specialized_steps);

/* Takes a specialized database of the path to `to` (its owner's
 * decision); a shared one is a 409 naming the way it changes. */
static void
specialized_transition(struct http_req *r, const char *to,
    const char *action)
{
	const struct transition *t;
	struct db_rows *rows;
	json_object *before, *after;
	int st;

	if (database_load_or_reply(r, r->captures[0], false, &rows) ||
	    owner_or_reply(r, db_get_int(rows, 0, "agency_id"), true))
		return;
	if (strcmp(db_get(rows, 0, "kind"), "shared") == 0) {
		http_error(r, 409, "conflict", "a shared database enters or "
		    "leaves the catalog only by an issued catalog version "
		    "(Art. 7.1): file a proposal");
		return;
	}
	if (transition_find_or_reply(r, &specialized_life, db_get(rows, 0,
	    "status"), to, BY_OWNER, &t))
		return;
	if (transition_begin_or_reply(r, &specialized_life, t, r->captures[0],
	    NULL, 0))
		return;
	before = db_row_json(rows, 0);
	if ((st = reload(r, r->captures[0], &after))) {
		json_object_put(before);
		if (r->status == 0)
			tx_fail_reply(r, st);
		return;
	}
	tx_commit_reply(r, action, "database", r->captures[0], before, after,
	    200);
}

void
database_list_specialized(struct http_req *r)
{
	specialized_transition(r, "listed", "database.list");
}

void
database_withdraw_specialized(struct http_req *r)
{
	specialized_transition(r, "withdrawn", "database.withdraw");
}
