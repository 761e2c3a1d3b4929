/*
 * The sharing-service registry (Art. 9, R2.2): every way to get a
 * dataset's data, with its provider, protocol, endpoint, version,
 * technical guide and status, for agencies and the public to look up.
 * A service is seen by whoever sees its dataset: the public those of
 * published open data, every agency those of published shared data, the
 * provider all of its own.
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

static const char *const protocols[] = { "rest", "soap", "sftp", "file",
    "other", NULL };
static const char *const statuses[] = { "active", "deprecated", NULL };

#define SERVICE_COLS \
	"s.id, s.dataset_id, d.title AS dataset_title, s.agency_id, " \
	"a.name AS agency_name, s.name, s.protocol, s.endpoint, s.version, " \
	"s.guide, s.status, s.deprecated_at, s.created_at, s.updated_at, " \
	DATASET_VIS " AS visibility"
#define SERVICE_FROM \
	" FROM services s JOIN datasets d ON d.id = s.dataset_id " \
	"JOIN `databases` b ON b.id = d.database_id " \
	"JOIN agencies a ON a.id = s.agency_id "

static int
load_or_reply(struct http_req *r, long long id, struct db_rows **rows)
{
	static const char *sql =
	    "SELECT " SERVICE_COLS SERVICE_FROM "WHERE s.id = ?";

	if (row_or_reply(r, sql, id, "service", rows))
		return DS_REPLIED;
	if (!auth_sees(&r->who, db_get(*rows, 0, "visibility"),
	    db_get_int(*rows, 0, "agency_id")))
		return http_error(r, 404, "not_found", "no such service");
	return 0;
}

void
services_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " SERVICE_COLS SERVICE_FROM
	    "WHERE " SEES(DATASET_VIS, "s.agency_id")
	    "  AND (? = 0 OR s.dataset_id = ?) AND (? = 0 OR s.agency_id = ?) "
	    "  AND (? IS NULL OR s.status = ?) "
	    "  AND (? IS NULL OR s.protocol = ?) AND (? = 0 OR s.id > ?) "
	    "ORDER BY s.id LIMIT ?";
	enum { Q_DATASET, Q_AGENCY, Q_STATUS, Q_PROTOCOL, Q__N };
	static const struct field query[Q__N] = {
		[Q_DATASET] = { "dataset_id", F_ID, false, 0, 0, NULL },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_STATUS] = { "status", F_ENUM, false, 0, 0, statuses },
		[Q_PROTOCOL] = { "protocol", F_ENUM, false, 0, 0, protocols },
	};
	struct fval q[Q__N];
	struct page pg;

	if (http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	{
		struct db_param p[] = { SEES_PARAMS(&r->who),
		    P_INT(q[Q_DATASET].i), P_INT(q[Q_DATASET].i),
		    P_INT(q[Q_AGENCY].i), P_INT(q[Q_AGENCY].i),
		    P_STR(q[Q_STATUS].s), P_STR(q[Q_STATUS].s),
		    P_STR(q[Q_PROTOCOL].s), P_STR(q[Q_PROTOCOL].s),
		    P_INT(pg.after), P_INT(pg.after),
		    P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

void
service_show(struct http_req *r)
{
	struct db_rows *rows;

	if (load_or_reply(r, r->captures[0], &rows) == 0)
		http_reply(r, 200, db_row_json(rows, 0));
}

/* Inside a transaction: the search document, then the service as it now
 * is. */
static int
reload(struct http_req *r, long long id, json_object **out)
{
	struct db_rows *rows;
	int st;

	if ((st = search_sync_service(id)) != DS_OK)
		return st;
	if (load_or_reply(r, id, &rows))
		return DS_ERR;
	*out = db_row_json(rows, 0);
	return DS_OK;
}

/* Starts the transaction of a change to dataset id's services, with the
 * dataset's row locked: the triggers of migration 0009 then compute its
 * open-data services after any other change to them has committed. Sets
 * *provider (may be NULL) to the dataset's agency, as the row keeps it
 * (migration 0010). */
static int
begin_services_of(struct arena *a, long long id, long long *provider)
{
	static const char *lock =
	    "SELECT owner_agency_id FROM datasets WHERE id = ? FOR UPDATE";
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_begin()) != DS_OK ||
	    (st = db_query(a, lock, p, 1, &rows)) != DS_OK)
		return st;
	if (rows->nrows != 1)
		return DS_ERR;	/* datasets are never removed */
	if (provider != NULL)
		*provider = db_get_int(rows, 0, "owner_agency_id");
	return DS_OK;
}

/* The dataset a new service serves: the caller's own, in scope (Art.
 * 1.2: excluded data is never shared) and not withdrawn. */
static int
dataset_or_reply(struct http_req *r, long long id)
{
	struct db_rows *rows;

	if (dataset_load_or_reply(r, id, false, &rows) ||
	    owner_or_reply(r, db_get_int(rows, 0, "agency_id"), true))
		return DS_REPLIED;
	if (db_get_int(rows, 0, "excluded"))
		return invalid_field(r, "dataset_id", "excluded data "
		    "(internal, temporary or state secret, Art. 1.2) is "
		    "never shared");
	if (strcmp(db_get(rows, 0, "status"), "withdrawn") == 0)
		return http_error(r, 409, "conflict", "the dataset is "
		    "withdrawn");
	return 0;
}

void
service_create(struct http_req *r)
{
	enum { SC_DATASET, SC_NAME, SC_PROTOCOL, SC_ENDPOINT, SC_VERSION,
	    SC_GUIDE, SC__N };
	static const struct field spec[SC__N] = {
		[SC_DATASET] = { "dataset_id", F_ID, true, 0, 0, NULL },
		[SC_NAME] = { "name", F_STRING, true, 1, 255, NULL },
		[SC_PROTOCOL] = { "protocol", F_ENUM, true, 0, 0, protocols },
		[SC_ENDPOINT] = { "endpoint", F_STRING, true, 1, 1000, NULL },
		[SC_VERSION] = { "version", F_STRING, true, 1, 32, NULL },
		[SC_GUIDE] = { "guide", F_TEXT, false, 0, 0, NULL },
	};
	/* The provider is the dataset's owner (contract: agency_id). The
	 * statement may not read datasets: its trigger writes there. */
	static const char *insert =
	    "INSERT INTO services (dataset_id, agency_id, name, protocol, "
	    "  endpoint, version, guide, created_by) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	unsigned long long id;
	long long provider;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    dataset_or_reply(r, v[SC_DATASET].i))
		return;
	if ((st = begin_services_of(r->arena, v[SC_DATASET].i,
	    &provider)) == DS_OK) {
		struct db_param p[] = { P_INT(v[SC_DATASET].i), P_INT(provider),
		    P_STR(v[SC_NAME].s), P_STR(v[SC_PROTOCOL].s),
		    P_STR(v[SC_ENDPOINT].s),
		    P_STR(v[SC_VERSION].s), P_STR(v[SC_GUIDE].s),
		    P_INT(r->who.account_id) };

		st = db_exec(insert, p, NPARAMS(p), NULL, &id);
	}
	if (st != DS_OK || (st = reload(r, (long long)id, &o))) {
		if (r->status == 0)
			tx_fail_reply(r, st);
		else
			db_rollback();
		return;
	}
	tx_commit_reply(r, "service.create", "service", (long long)id, NULL, o,
	    201);
}

/*
 * Runs a change of an active service owned by the caller, loaded in rows:
 * sql takes the parameters p and ends with "WHERE id = ? AND status =
 * 'active'". Replies 409 when the service is deprecated.
 */
static void
change_active(struct http_req *r, const struct db_rows *rows,
    const char *sql, struct db_param *p, size_t n, const char *action)
{
	unsigned long long changed;
	json_object *before, *after;
	int st;

	if ((st = begin_services_of(r->arena,
	    db_get_int(rows, 0, "dataset_id"), NULL)) ||
	    (st = db_exec(sql, p, n, &changed, NULL))) {
		tx_fail_reply(r, st);
		return;
	}
	if (changed == 0) {
		db_rollback();
		http_error(r, 409, "conflict", "the service is deprecated");
		return;
	}
	before = db_row_json(rows, 0);
	if ((st = reload(r, r->captures[0], &after))) {
		json_object_put(before);
		if (r->status == 0)
			tx_fail_reply(r, st);
		else
			db_rollback();
		return;
	}
	tx_commit_reply(r, action, "service", r->captures[0], before, after,
	    200);
}

/* The service of the path, which the caller's agency must provide. */
static int
own_or_reply(struct http_req *r, struct db_rows **rows)
{
	return load_or_reply(r, r->captures[0], rows) ||
	    owner_or_reply(r, db_get_int(*rows, 0, "agency_id"), true) ? DS_REPLIED : 0;
}

void
service_update(struct http_req *r)
{
	enum { SU_NAME, SU_PROTOCOL, SU_ENDPOINT, SU_VERSION, SU_GUIDE,
	    SU__N };
	static const struct field spec[SU__N] = {
		[SU_NAME] = { "name", F_STRING, false, 1, 255, NULL },
		[SU_PROTOCOL] = { "protocol", F_ENUM, false, 0, 0, protocols },
		[SU_ENDPOINT] = { "endpoint", F_STRING, false, 1, 1000, NULL },
		[SU_VERSION] = { "version", F_STRING, false, 1, 32, NULL },
		[SU_GUIDE] = { "guide", F_TEXT, F_NULLABLE, 0, 0, NULL },
	};
	static const char *sql =
	    "UPDATE services SET name = IF(?, ?, name), "
	    "  protocol = IF(?, ?, protocol), endpoint = IF(?, ?, endpoint), "
	    "  version = IF(?, ?, version), guide = IF(?, ?, guide), "
	    "  updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND status = 'active'";
	struct fval v[NPARAMS(spec)];
	struct db_param p[2 * NPARAMS(spec) + 1];
	struct db_rows *rows;

	if (own_or_reply(r, &rows) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	patch_params(spec, v, NPARAMS(spec), p);
	p[2 * NPARAMS(spec)] = P_INT(r->captures[0]);
	change_active(r, rows, sql, p, NPARAMS(p), "service.update");
}

void
service_deprecate(struct http_req *r)
{
	static const char *sql =
	    "UPDATE services SET status = 'deprecated', "
	    "  deprecated_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND status = 'active'";
	struct db_param p[] = { P_INT(r->captures[0]) };
	struct db_rows *rows;

	if (own_or_reply(r, &rows) == 0)
		change_active(r, rows, sql, p, NPARAMS(p), "service.deprecate");
}
