/*
 * Catalog versions (Art. 7.1, R1.3): the Chairman issues the shared-
 * database catalog, numbered and dated, yearly or on demand. Issuing
 * applies every approved proposal not yet issued (databases listed,
 * modified, withdrawn) and stores a snapshot of the whole shared catalog
 * as it then stands, all in one transaction. The application may only
 * insert and read versions (sql/0002_catalog.sql), so a version reads the
 * same forever, whatever changes later.
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

#define VERSION_COLS "v.id, v.number, v.decision_ref, v.issued_on, " \
	"v.issued_at, v.issued_by, v.changes"

/* GET /catalog/versions: public, as the Chairman's decisions that issue
 * the catalog are (the data portal lists them); each version's snapshot
 * of databases and datasets needs a token (version_show). */
void
versions_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " VERSION_COLS " FROM catalog_versions v "
	    "WHERE (? = 0 OR v.id > ?) ORDER BY v.id LIMIT ?";
	struct page pg;

	if (http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, NULL, 0, NULL))
		return;
	{
		struct db_param p[] = { P_INT(pg.after), P_INT(pg.after),
		    P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

static const char *sql_show =
    "SELECT " VERSION_COLS ", v.snapshot_json FROM catalog_versions v "
    "WHERE v.id = ?";

/* The visibility a snapshot's dataset had when the version was issued:
 * stored since issue 16; older snapshots hold its classification, and
 * only published datasets of listed databases, so the classification
 * alone decides (VISIBILITY's rule). */
static const char *
snapshot_visibility(json_object *dataset)
{
	json_object *v;
	const char *cls;

	if (json_object_object_get_ex(dataset, "visibility", &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (!json_object_object_get_ex(dataset, "classification", &v) ||
	    !json_object_is_type(v, json_type_string))
		return "owner";
	cls = json_object_get_string(v);
	return strcmp(cls, "open") == 0 ? "public" :
	    strcmp(cls, "shared") == 0 ? "agencies" : "owner";
}

/* Issue 16: the issued databases are public record, but a snapshot shows
 * each caller only the datasets the catalog shows it (auth_sees), so a
 * restricted dataset's title stays with its owner and the overseers. */
static void
snapshot_narrow(const struct identity *who, json_object *version)
{
	json_object *snap, *dbs;

	if (!json_object_object_get_ex(version, "snapshot", &snap) ||
	    !json_object_object_get_ex(snap, "databases", &dbs) ||
	    !json_object_is_type(dbs, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(dbs); i++) {
		json_object *b = json_object_array_get_idx(dbs, i), *sets, *id;
		long long owner = 0;
		size_t j = 0;

		if (json_object_object_get_ex(b, "agency_id", &id))
			owner = json_object_get_int64(id);
		if (!json_object_object_get_ex(b, "datasets", &sets) ||
		    !json_object_is_type(sets, json_type_array))
			continue;
		while (j < json_object_array_length(sets)) {
			json_object *d = json_object_array_get_idx(sets, j);

			if (auth_sees(who, snapshot_visibility(d), owner))
				j++;
			else
				json_object_array_del_idx(sets, j, 1);
		}
	}
}

/* GET /catalog/versions/{id}: the version with its snapshot as stored,
 * narrowed to what the caller sees. */
void
version_show(struct http_req *r)
{
	struct db_rows *rows;
	json_object *o;

	if (row_or_reply(r, sql_show, r->captures[0], "catalog version",
	    &rows) != 0)
		return;
	o = db_row_json(rows, 0);
	snapshot_narrow(&r->who, o);
	http_reply(r, 200, o);
}

/* ------------------------------------------------------------------ */
/* applying approved proposals                                          */

/* Each kind's change, from the proposal's own row (parameters: the
 * proposal id and the issue time for each timestamp; a new database
 * takes them the other way round). */
static const char *apply_add_existing =
    "UPDATE `databases` b JOIN catalog_proposals p ON p.id = ? "
    "SET b.kind = 'shared', b.name = p.name, "
    "  b.managing_unit = p.managing_unit, b.objective = p.objective, "
    "  b.scope = p.scope, b.master_data = p.master_data, "
    "  b.users_purposes = p.users_purposes, b.sources = p.sources, "
    "  b.sharing_methods = p.sharing_methods, b.location = p.location, "
    "  b.location_detail = p.location_detail, b.status = 'listed', "
    "  b.listed_at = ?, b.updated_at = ? "
    "WHERE b.id = p.database_id AND b.agency_id = p.agency_id "
    "  AND b.status <> 'withdrawn' "
    "  AND NOT (b.kind = 'shared' AND b.status = 'listed')";
static const char *apply_add_new =
    "INSERT INTO `databases` (agency_id, kind, name, managing_unit, "
    "  objective, scope, master_data, users_purposes, sources, "
    "  sharing_methods, location, location_detail, status, listed_at, "
    "  updated_at, created_by) "
    "SELECT p.agency_id, 'shared', p.name, p.managing_unit, p.objective, "
    "  p.scope, p.master_data, p.users_purposes, p.sources, "
    "  p.sharing_methods, p.location, p.location_detail, 'listed', ?, ?, "
    "  p.filed_by FROM catalog_proposals p WHERE p.id = ?";
static const char *apply_modify =
    "UPDATE `databases` b JOIN catalog_proposals p ON p.id = ? "
    "SET b.name = COALESCE(p.name, b.name), "
    "  b.managing_unit = COALESCE(p.managing_unit, b.managing_unit), "
    "  b.objective = COALESCE(p.objective, b.objective), "
    "  b.scope = COALESCE(p.scope, b.scope), "
    "  b.master_data = COALESCE(p.master_data, b.master_data), "
    "  b.users_purposes = COALESCE(p.users_purposes, b.users_purposes), "
    "  b.sources = COALESCE(p.sources, b.sources), "
    "  b.sharing_methods = COALESCE(p.sharing_methods, b.sharing_methods), "
    "  b.location = COALESCE(p.location, b.location), "
    "  b.location_detail = COALESCE(p.location_detail, b.location_detail), "
    "  b.updated_at = ? "
    "WHERE b.id = p.database_id AND b.kind = 'shared' "
    "  AND b.status = 'listed'";
static const char *apply_withdraw =
    "UPDATE `databases` b JOIN catalog_proposals p ON p.id = ? "
    "SET b.status = 'withdrawn', b.withdrawn_at = ?, b.updated_at = ? "
    "WHERE b.id = p.database_id AND b.kind = 'shared' "
    "  AND b.status = 'listed'";

/*
 * Applies proposal i of rows (inside the transaction) and sets *database
 * to the database it changed. Returns DS_OK, or DS_ECONFLICT when the
 * database is no longer in the state the proposal needs (or a name
 * clashes), or another status.
 */
static int
apply(struct http_req *r, const struct db_rows *rows, size_t i,
    const char *now, long long *database)
{
	const char *kind = db_get(rows, i, "kind");
	long long pid = db_get_int(rows, i, "id");
	json_object *before = NULL, *after;
	unsigned long long changed = 0, newid = 0;
	int st;

	*database = db_get_int(rows, i, "database_id");
	if (*database != 0 &&
	    (st = database_json(r->arena, *database, &before)) != DS_OK)
		return st;
	if (strcmp(kind, "add") == 0 && *database == 0) {
		struct db_param p[] = { P_STR(now), P_STR(now), P_INT(pid) };

		st = db_exec(apply_add_new, p, NPARAMS(p), &changed, &newid);
		*database = (long long)newid;
	} else if (strcmp(kind, "modify") == 0) {
		struct db_param p[] = { P_INT(pid), P_STR(now) };

		st = db_exec(apply_modify, p, NPARAMS(p), &changed, NULL);
	} else {
		struct db_param p[] = { P_INT(pid), P_STR(now), P_STR(now) };

		st = db_exec(strcmp(kind, "add") == 0 ? apply_add_existing :
		    apply_withdraw, p, NPARAMS(p), &changed, NULL);
	}
	if (st == DS_OK && changed == 0)
		st = DS_ECONFLICT;
	if (st != DS_OK || (st = search_sync_database(*database)) != DS_OK ||
	    (st = database_json(r->arena, *database, &after)) != DS_OK) {
		json_object_put(before);
		return st;
	}
	return audit_append(&r->who, strcmp(kind, "withdraw") == 0 ?
	    "database.withdraw" : strcmp(kind, "modify") == 0 ?
	    "database.modify" : "database.list", "database", *database,
	    before, after);
}

/* ------------------------------------------------------------------ */
/* the snapshot                                                         */

/* Every listed shared database with its published datasets. */
static int
catalog_json(struct http_req *r, json_object **out)
{
	static const char *dbs =
	    "SELECT b.id, b.agency_id, a.code AS agency_code, "
	    "  a.name AS agency_name, b.name, b.managing_unit, b.objective, "
	    "  b.scope, b.master_data, b.users_purposes, b.sources, "
	    "  b.sharing_methods, b.location, b.location_detail, b.listed_at "
	    "FROM `databases` b JOIN agencies a ON a.id = b.agency_id "
	    "WHERE b.kind = 'shared' AND b.status = 'listed' ORDER BY b.id";
	static const char *sets =
	    "SELECT d.id, d.database_id, d.title, d.classification, "
	    "  " DATASET_VIS " AS visibility "
	    "FROM datasets d JOIN `databases` b ON b.id = d.database_id "
	    "WHERE b.kind = 'shared' AND b.status = 'listed' "
	    "  AND d.status = 'published' ORDER BY d.database_id, d.id";
	struct db_rows *b, *d;
	size_t j = 0;
	int st;

	if ((st = db_query(r->arena, dbs, NULL, 0, &b)) ||
	    (st = db_query(r->arena, sets, NULL, 0, &d)))
		return st;
	*out = json_object_new_array();
	/* Both lists are ordered by database id: one merge pass. */
	for (size_t i = 0; i < b->nrows; i++) {
		json_object *o = db_row_json(b, i), *list;
		long long id = db_get_int(b, i, "id");

		list = json_object_new_array();
		for (; j < d->nrows && db_get_int(d, j, "database_id") <= id;
		    j++)
			if (db_get_int(d, j, "database_id") == id)
				json_object_array_add(list, db_row_json(d, j));
		json_object_object_add(o, "datasets", list);
		json_object_array_add(*out, o);
	}
	return DS_OK;
}

enum { VI_NUMBER, VI_DECISION_REF, VI_ISSUED_ON, VI__N };

static json_object *
snapshot_json(const struct fval *v, const char *issued_at,
    json_object *changes, json_object *databases)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "province", json_object_new_string(
	    conf_str("province_name", "")));
	json_object_object_add(o, "number",
	    json_object_new_string(v[VI_NUMBER].s));
	json_object_object_add(o, "decision_ref",
	    json_object_new_string(v[VI_DECISION_REF].s));
	json_object_object_add(o, "issued_on",
	    json_object_new_string(v[VI_ISSUED_ON].s));
	json_object_object_add(o, "issued_at", json_object_new_string(
	    issued_at));
	json_object_object_add(o, "changes", changes);
	json_object_object_add(o, "databases", databases);
	return o;
}

/* One change of the snapshot: which proposal did what to which
 * database of which agency. */
static json_object *
change_json(const struct db_rows *rows, size_t i, long long database)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "proposal_id",
	    json_object_new_int64(db_get_int(rows, i, "id")));
	json_object_object_add(o, "kind",
	    json_object_new_string(db_get(rows, i, "kind")));
	json_object_object_add(o, "database_id",
	    json_object_new_int64(database));
	json_object_object_add(o, "agency_id",
	    json_object_new_int64(db_get_int(rows, i, "agency_id")));
	return o;
}

/* ------------------------------------------------------------------ */
/* issuing                                                              */

/* Marks the proposals issued in version and tells each agency with a
 * change, and the DIC, once. */
static int
close_proposals(struct http_req *r, const struct db_rows *rows,
    json_object *changes, long long version)
{
	static const char *mark =
	    "UPDATE catalog_proposals SET status = 'issued', version_id = ?, "
	    "  database_id = ?, updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND status = 'approved'";
	unsigned long long changed;
	int st;

	for (size_t i = 0; i < rows->nrows; i++) {
		json_object *c = json_object_array_get_idx(changes, i), *x;
		long long pid = db_get_int(rows, i, "id"), agency, db;
		bool told = false;

		json_object_object_get_ex(c, "database_id", &x);
		db = json_object_get_int64(x);
		agency = db_get_int(rows, i, "agency_id");
		{
			struct db_param p[] = { P_INT(version), P_INT(db),
			    P_INT(pid) };

			if ((st = db_exec(mark, p, NPARAMS(p), &changed,
			    NULL)) != DS_OK)
				return st;
		}
		if (changed == 0)
			return DS_ECONFLICT;
		if ((st = audit_append(&r->who, "proposal.issue", "proposal",
		    pid, NULL, json_object_get(c))) != DS_OK)
			return st;
		for (size_t j = 0; j < i; j++)
			told = told || db_get_int(rows, j, "agency_id") == agency;
		if (!told && (st = notify(agency, "catalog.version_issued",
		    "catalog_version", version, NULL)) != DS_OK)
			return st;
	}
	return notify_dic("catalog.version_issued", "catalog_version",
	    version, NULL);
}

/* Applies the approved proposals (rows) in order; fills changes. On a
 * proposal that no longer applies, replies 409 naming it. */
static int
apply_all(struct http_req *r, const struct db_rows *rows, const char *now,
    json_object *changes)
{
	long long database;
	int st;

	for (size_t i = 0; i < rows->nrows; i++) {
		if ((st = apply(r, rows, i, now, &database)) == DS_ECONFLICT)
			return http_error(r, 409, "conflict", "proposal %lld "
			    "no longer applies: its database changed since, or "
			    "its name is taken", db_get_int(rows, i, "id"));
		if (st != DS_OK)
			return http_error_status(r, st);
		json_object_array_add(changes, change_json(rows, i, database));
	}
	return 0;
}

/* POST /catalog/versions: the Chairman issues the catalog. */
void
version_issue(struct http_req *r)
{
	static const struct field spec[VI__N] = {
		[VI_NUMBER] = { "number", F_STRING, true, 1, 64, NULL },
		[VI_DECISION_REF] = { "decision_ref", F_STRING, true, 1, 255,
		    NULL },
		[VI_ISSUED_ON] = { "issued_on", F_DATE, true, 0, 0, NULL },
	};
	static const char *approved =
	    "SELECT id, kind, agency_id, database_id FROM catalog_proposals "
	    "WHERE status = 'approved' ORDER BY id FOR UPDATE";
	static const char *clock = "SELECT UTC_TIMESTAMP(6) AS now";
	static const char *insert =
	    "INSERT INTO catalog_versions (number, decision_ref, issued_on, "
	    "  issued_at, issued_by, changes, snapshot_json) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_rows *rows, *now, *out;
	json_object *changes, *snap = NULL, *dbs;
	unsigned long long id;
	int st;

	if (auth_require_role_or_reply(r, ROLE_CHAIRMAN) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	if ((st = db_begin()) ||
	    (st = db_query(r->arena, approved, NULL, 0, &rows)) ||
	    (st = db_query(r->arena, clock, NULL, 0, &now)))
		goto fail;
	if (rows->nrows == 0) {
		db_rollback();
		http_error(r, 409, "nothing_to_issue", "no approved proposal "
		    "waits to be issued");
		return;
	}
	changes = json_object_new_array();
	if (apply_all(r, rows, db_get(now, 0, "now"), changes) ||
	    (st = catalog_json(r, &dbs))) {
		json_object_put(changes);
		goto fail;
	}
	snap = snapshot_json(v, rfc3339_from_db(r->arena, db_get(now, 0,
	    "now")), json_object_get(changes), dbs);
	{
		struct db_param p[] = { P_STR(v[VI_NUMBER].s),
		    P_STR(v[VI_DECISION_REF].s),
		    P_STR(v[VI_ISSUED_ON].s), P_STR(db_get(now, 0, "now")),
		    P_INT(r->who.account_id), P_INT((long long)rows->nrows),
		    P_STR(json_object_to_json_string_ext(snap,
		    JSON_C_TO_STRING_PLAIN)) };

		st = db_exec(insert, p, NPARAMS(p), NULL, &id);
	}
	json_object_put(snap);
	if (st == DS_OK)
		st = close_proposals(r, rows, changes, (long long)id);
	json_object_put(changes);
	if (st == DS_ECONFLICT) {
		db_rollback();
		http_error(r, 409, "conflict", "a version numbered '%s' exists "
		    "already, or a proposal was issued meanwhile",
		    v[VI_NUMBER].s);
		return;
	}
	if (st != DS_OK ||
	    row_or_reply(r, sql_show, (long long)id, "version", &out))
		goto fail;
	tx_commit_reply(r, "catalog_version.issue", "catalog_version",
	    (long long)id, NULL, db_row_json(out, 0), 201);
	return;
fail:
	if (r->status == 0)
		tx_fail_reply(r, st);
	else
		db_rollback();
}
