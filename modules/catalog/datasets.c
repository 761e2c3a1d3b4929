/*
 * Datasets (R2.1, Art. 12.2): the units of data inside a database, with
 * their structure description (fields: name, type, meaning, whether
 * personal data), keywords, update frequency, classification and the
 * Art. 1.2 exclusion. Publishing and data updates are in publish.c.
 */
#include <string.h>
#include <strings.h>

#include "ds.h"
#include "catalog.h"

#define MAX_FIELDS	500

static const char *const frequencies[] = { "realtime", "daily", "weekly",
    "monthly", "quarterly", "yearly", "irregular", NULL };
static const char *const classifications[] = { "open", "shared",
    "restricted", NULL };
static const char *const exclusions[] = { "state_secret", "internal",
    "temporary", NULL };
static const char *const statuses[] = { "draft", "published", "withdrawn",
    NULL };
static const char *const field_types[] = { "string", "integer", "number",
    "boolean", "date", "datetime", "geometry", "file", "other", NULL };

/* The dataset read into rows (one row, or none) if the caller may see
 * it; otherwise 404, the open transaction rolled back. */
static int
visible_or_reply(struct http_req *r, const struct db_rows *rows)
{
	if (rows->nrows == 1 && auth_sees(&r->who, db_get(rows, 0,
	    "visibility"), db_get_int(rows, 0, "agency_id")))
		return 0;
	if (db_in_tx())
		db_rollback();
	return http_error(r, 404, "not_found", "no such dataset");
}

int
dataset_load_or_reply(struct http_req *r, long long id, bool lock,
    struct db_rows **rows)
{
	static const char *show =
	    "SELECT " DATASET_COLS DATASET_FROM "WHERE d.id = ?";
	static const char *locked =
	    "SELECT " DATASET_COLS DATASET_FROM "WHERE d.id = ? FOR UPDATE";

	if (row_or_reply(r, lock ? locked : show, id, "dataset", rows))
		return DS_REPLIED;
	return visible_or_reply(r, *rows);
}

void
datasets_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " DATASET_COLS DATASET_FROM
	    "WHERE " SEES(DATASET_VIS, "b.agency_id")
	    "  AND (? = 0 OR d.database_id = ?) AND (? = 0 OR b.agency_id = ?) "
	    "  AND (? IS NULL OR d.classification = ?) "
	    "  AND (? IS NULL OR d.status = ?) AND (? = 0 OR d.id > ?) "
	    "ORDER BY d.id LIMIT ?";
	enum { Q_DATABASE, Q_AGENCY, Q_CLASS, Q_STATUS, Q__N };
	static const struct field query[Q__N] = {
		[Q_DATABASE] = { "database_id", F_ID, false, 0, 0, NULL },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_CLASS] = { "classification", F_ENUM, false, 0, 0,
		    classifications },
		[Q_STATUS] = { "status", F_ENUM, false, 0, 0, statuses },
	};
	struct fval q[Q__N];
	struct page pg;

	if (http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	{
		struct db_param p[] = { SEES_PARAMS(&r->who),
		    P_INT(q[Q_DATABASE].i), P_INT(q[Q_DATABASE].i),
		    P_INT(q[Q_AGENCY].i), P_INT(q[Q_AGENCY].i),
		    P_STR(q[Q_CLASS].s), P_STR(q[Q_CLASS].s),
		    P_STR(q[Q_STATUS].s), P_STR(q[Q_STATUS].s),
		    P_INT(pg.after), P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

/* GET /datasets/{id} (RT_ACCOUNT_JOINED): the dataset and the caller's
 * account in one statement, the account checked first. */
void
dataset_show(struct http_req *r)
{
	static const char *sql =
	    "SELECT " DATASET_COLS ", " AUTH_ACCOUNT_COLS DATASET_FROM
	    AUTH_ACCOUNT_JOIN "WHERE d.id = ?";
	struct db_param p[] = { AUTH_ACCOUNT_PARAM(r),
	    P_INT(r->captures[0]) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (auth_settle_or_reply(r, rows, 0) == DS_OK &&
	    visible_or_reply(r, rows) == 0)
		http_reply_row(r, 200, rows, 0);
}

/* Checks one structure field {name, type, meaning, personal}, adding a
 * detail "fields[i].x" for each problem. */
static void
check_field(struct http_req *r, json_object *f, size_t i)
{
	static const struct { const char *key; json_type type; } keys[] = {
		{ "name", json_type_string }, { "type", json_type_string },
		{ "meaning", json_type_string }, { "personal", json_type_boolean },
	};
	json_object *v;

	if (!json_object_is_type(f, json_type_object)) {
		json_detail(r, arena_printf(r->arena, "fields[%zu]", i),
		    "must be an object {name, type, meaning, personal}");
		return;
	}
	json_object_object_foreach(f, key, val) {
		size_t k;

		(void)val;
		for (k = 0; k < NPARAMS(keys) && strcmp(keys[k].key, key); k++)
			;
		if (k == NPARAMS(keys))
			json_detail(r, arena_printf(r->arena, "fields[%zu].%s",
			    i, key), "unknown field");
	}
	for (size_t k = 0; k < NPARAMS(keys); k++) {
		const char *name = arena_printf(r->arena, "fields[%zu].%s", i,
		    keys[k].key);
		long len;

		if (!json_object_object_get_ex(f, keys[k].key, &v) ||
		    !json_object_is_type(v, keys[k].type)) {
			json_detail(r, name, keys[k].type == json_type_boolean ?
			    "is required, true or false" : "is required text");
			continue;
		}
		if (keys[k].type != json_type_string)
			continue;
		len = utf8_length(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		if (len < 1 || len > (k == 2 ? 2000 : 128))
			json_detail(r, name, k == 2 ? "must have 1 to 2000 "
			    "characters" : "must have 1 to 128 characters");
		else if (k == 1) {
			const char *const *t;

			for (t = field_types; *t && strcmp(*t,
			    json_object_get_string(v)); t++)
				;
			if (*t == NULL)
				json_detail(r, name, "must be one of: string, "
				    "integer, number, boolean, date, datetime, "
				    "geometry, file, other");
		}
	}
}

/* The structure description (Art. 12.2): an array of fields with unique
 * names. Replies 422 naming each problem. */
static int
structure_or_reply(struct http_req *r, const struct fval *fields)
{
	size_t n;

	if (!fields->present)
		return 0;
	n = json_object_array_length(fields->o);
	for (size_t i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(fields->o, i), *a, *b;

		check_field(r, f, i);
		for (size_t j = 0; j < i && json_object_object_get_ex(f,
		    "name", &a); j++)
			if (json_object_object_get_ex(
			    json_object_array_get_idx(fields->o, j), "name", &b) &&
			    json_object_is_type(a, json_type_string) &&
			    json_object_is_type(b, json_type_string) &&
			    strcasecmp(json_object_get_string(a),
			    json_object_get_string(b)) == 0) {
				json_detail(r, arena_printf(r->arena,
				    "fields[%zu].name", i), "repeats a name");
				break;
			}
	}
	if (json_has_details(r))
		return json_details_reply(r, "the structure description is "
		    "invalid");
	return 0;
}

/* Art. 1.2: internal, temporary and state-secret data is out of scope:
 * it can never be open or shared, and says why it is excluded. */
static int
exclusion_or_reply(struct http_req *r, bool excluded, const char *reason,
    const char *classification)
{
	if (excluded && classification != NULL &&
	    strcmp(classification, "restricted") != 0)
		json_detail(r, "classification", "excluded data (internal, "
		    "temporary or state secret, Art. 1.2) can never be open "
		    "or shared");
	if (excluded && reason == NULL)
		json_detail(r, "exclusion_reason", "is required for excluded "
		    "data");
	if (!excluded && reason != NULL)
		json_detail(r, "exclusion_reason", "applies only to excluded "
		    "data");
	if (json_has_details(r))
		return json_details_reply(r, "the request has invalid fields");
	return 0;
}

/* Inside a transaction: the dataset's search documents, then the
 * dataset as it now is. */
static int
reload(struct http_req *r, long long id, json_object **out)
{
	struct db_rows *rows;
	int st;

	if ((st = search_sync_dataset(id)) != DS_OK)
		return st;
	if (dataset_load_or_reply(r, id, false, &rows))
		return DS_ERR;
	*out = db_row_json(rows, 0);
	return DS_OK;
}

/* The caller's own database, not withdrawn, to hold a new dataset. */
static int
parent_or_reply(struct http_req *r, long long database)
{
	struct db_rows *rows;

	if (database_load_or_reply(r, database, false, &rows) ||
	    owner_or_reply(r, db_get_int(rows, 0, "agency_id"), true))
		return DS_REPLIED;
	if (strcmp(db_get(rows, 0, "status"), "withdrawn") == 0)
		return http_error(r, 409, "conflict",
		    "the database is withdrawn");
	return 0;
}

static void
reply_conflict_or_error(struct http_req *r, int st, const char *title)
{
	if (r->status != 0)
		return;
	db_rollback();
	if (st == DS_ECONFLICT)
		http_error(r, 409, "conflict", "the database already has a "
		    "dataset titled '%s'", title);
	else
		http_error_status(r, st);
}

void
dataset_create(struct http_req *r)
{
	/* In the order of the INSERT's columns. */
	enum { DC_DATABASE, DC_TITLE, DC_DESCRIPTION, DC_KEYWORDS,
	    DC_FREQUENCY, DC_CLASS, DC_EXCLUDED, DC_REASON, DC_FIELDS,
	    DC_GUIDE, DC_METHODS, DC__N };
	static const struct field spec[DC__N] = {
		[DC_DATABASE] = { "database_id", F_ID, true, 0, 0, NULL },
		[DC_TITLE] = { "title", F_STRING, true, 1, 500, NULL },
		[DC_DESCRIPTION] = { "description", F_TEXT, false, 0, 0, NULL },
		[DC_KEYWORDS] = { "keywords", F_STRINGS, false, 0, 50, NULL },
		[DC_FREQUENCY] = { "update_frequency", F_ENUM, false, 0, 0,
		    frequencies },
		[DC_CLASS] = { "classification", F_ENUM, false, 0, 0,
		    classifications },
		[DC_EXCLUDED] = { "excluded", F_BOOL, false, 0, 0, NULL },
		[DC_REASON] = { "exclusion_reason", F_ENUM, false, 0, 0,
		    exclusions },
		[DC_FIELDS] = { "fields", F_ARRAY, false, 0, MAX_FIELDS, NULL },
		[DC_GUIDE] = { "technical_guide", F_TEXT, false, 0, 0, NULL },
		[DC_METHODS] = { "sharing_methods", F_TEXT, false, 0, 0, NULL },
	};
	static const char *insert =
	    "INSERT INTO datasets (database_id, title, description, keywords, "
	    "  update_frequency, classification, excluded, exclusion_reason, "
	    "  fields_json, technical_guide, sharing_methods, created_by) "
	    "VALUES (?, ?, ?, COALESCE(?, '[]'), COALESCE(?, 'irregular'), "
	    "  COALESCE(?, 'restricted'), COALESCE(?, 0), ?, "
	    "  COALESCE(?, '[]'), ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_param p[NPARAMS(spec) + 1];
	unsigned long long id;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    structure_or_reply(r, &v[DC_FIELDS]) ||
	    exclusion_or_reply(r, v[DC_EXCLUDED].present && v[DC_EXCLUDED].i,
	    v[DC_REASON].s, v[DC_CLASS].present ? v[DC_CLASS].s :
	    "restricted") ||
	    parent_or_reply(r, v[DC_DATABASE].i))
		return;
	for (size_t i = 0; i < NPARAMS(spec); i++)
		p[i] = db_param_fval(&v[i], spec[i].type);
	p[NPARAMS(spec)] = P_INT(r->who.account_id);
	if ((st = db_begin()) ||
	    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)) ||
	    (st = reload(r, (long long)id, &o))) {
		reply_conflict_or_error(r, st, v[DC_TITLE].s);
		return;
	}
	tx_commit_reply(r, "dataset.create", "dataset", (long long)id, NULL, o,
	    201);
}

/* The fields of a PATCH, in the order of the UPDATE's columns. */
enum { DU_TITLE, DU_DESCRIPTION, DU_KEYWORDS, DU_FREQUENCY, DU_CLASS,
    DU_EXCLUDED, DU_REASON, DU_FIELDS, DU_GUIDE, DU_METHODS, DU__N };

/* The classification and exclusion after a PATCH: given values, else the
 * stored ones. */
static int
merged_exclusion_or_reply(struct http_req *r, const struct db_rows *rows,
    const struct fval *v)
{
	bool excluded = v[DU_EXCLUDED].present ? v[DU_EXCLUDED].i != 0 :
	    db_get_int(rows, 0, "excluded") != 0;
	const char *reason = v[DU_REASON].present ? v[DU_REASON].s :
	    v[DU_REASON].is_null ? NULL : db_get(rows, 0, "exclusion_reason");

	return exclusion_or_reply(r, excluded, reason, v[DU_CLASS].present ?
	    v[DU_CLASS].s : db_get(rows, 0, "classification"));
}

/* PATCH /datasets/{id}: the owner edits the description at any time; the
 * classification and exclusion only while not published, since
 * publishing is where they are checked (R3.1, Art. 1.2). */
void
dataset_update(struct http_req *r)
{
	static const struct field spec[DU__N] = {
		[DU_TITLE] = { "title", F_STRING, false, 1, 500, NULL },
		[DU_DESCRIPTION] = { "description", F_TEXT, F_NULLABLE, 0, 0,
		    NULL },
		[DU_KEYWORDS] = { "keywords", F_STRINGS, false, 0, 50, NULL },
		[DU_FREQUENCY] = { "update_frequency", F_ENUM, false, 0, 0,
		    frequencies },
		[DU_CLASS] = { "classification", F_ENUM, false, 0, 0,
		    classifications },
		[DU_EXCLUDED] = { "excluded", F_BOOL, false, 0, 0, NULL },
		[DU_REASON] = { "exclusion_reason", F_ENUM, F_NULLABLE, 0, 0,
		    exclusions },
		[DU_FIELDS] = { "fields", F_ARRAY, false, 0, MAX_FIELDS, NULL },
		[DU_GUIDE] = { "technical_guide", F_TEXT, F_NULLABLE, 0, 0,
		    NULL },
		[DU_METHODS] = { "sharing_methods", F_TEXT, F_NULLABLE, 0, 0,
		    NULL },
	};
	static const char *update =
	    "UPDATE datasets SET title = IF(?, ?, title), "
	    "  description = IF(?, ?, description), "
	    "  keywords = IF(?, ?, keywords), "
	    "  update_frequency = IF(?, ?, update_frequency), "
	    "  classification = IF(?, ?, classification), "
	    "  excluded = IF(?, ?, excluded), "
	    "  exclusion_reason = IF(?, ?, exclusion_reason), "
	    "  fields_json = IF(?, ?, fields_json), "
	    "  technical_guide = IF(?, ?, technical_guide), "
	    "  sharing_methods = IF(?, ?, sharing_methods), "
	    "  updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
	struct fval v[NPARAMS(spec)];
	struct db_param p[2 * NPARAMS(spec) + 1];
	long long id = r->captures[0];
	struct db_rows *rows;
	json_object *before, *after;
	bool scope_change;
	int st;

	if (dataset_load_or_reply(r, id, false, &rows) ||
	    owner_or_reply(r, db_get_int(rows, 0, "agency_id"), true) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    structure_or_reply(r, &v[DU_FIELDS]))
		return;
	scope_change = v[DU_CLASS].present || v[DU_EXCLUDED].present ||
	    v[DU_REASON].present || v[DU_REASON].is_null;
	if ((st = db_begin()) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (dataset_load_or_reply(r, id, true, &rows))
		return;
	if (scope_change &&
	    strcmp(db_get(rows, 0, "status"), "published") == 0) {
		db_rollback();
		http_error(r, 409, "conflict", "a published dataset keeps its "
		    "classification and exclusion: withdraw it first");
		return;
	}
	if (merged_exclusion_or_reply(r, rows, v)) {
		db_rollback();
		return;
	}
	before = db_row_json(rows, 0);
	patch_params(spec, v, NPARAMS(spec), p);
	p[2 * NPARAMS(spec)] = P_INT(id);
	if ((st = db_exec(update, p, NPARAMS(p), NULL, NULL)) ||
	    (st = reload(r, id, &after))) {
		json_object_put(before);
		reply_conflict_or_error(r, st, v[DU_TITLE].s ? v[DU_TITLE].s :
		    db_get(rows, 0, "title"));
		return;
	}
	tx_commit_reply(r, "dataset.update", "dataset", id, before, after,
	    200);
}
