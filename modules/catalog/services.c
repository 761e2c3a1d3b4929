/*
 * The sharing-service registry (Art. 9, R2.2): every way to get a
 * dataset's data, with its provider, protocol, endpoint, version,
 * technical guide and status, for agencies and the public to look up.
 * A service is seen by whoever sees its dataset: the public those of
 * published open data, every agency those of published shared data, the
 * provider all of its own.
 *
 * A service is also what the gateway calls (issue 18, docs/catalog.md
 * "The gateway's fields"): its code, its upstream, limits and log mode.
 * Its upstream and health URLs are internal addresses, shown to the
 * provider and the oversight roles only.
 */
#include <string.h>

#include <mysqld_error.h>

#include "ds.h"
#include "catalog.h"

static const char *const protocols[] = { "rest", "soap", "sftp", "file",
    "other", NULL };
static const char *const statuses[] = { "active", "deprecated", NULL };
static const char *const log_modes[] = { "metadata", "full", NULL };

/* The gateway's fields, the last GW__N entries of both specs below, in
 * this order (GATEWAY_SET's). A null clears the nullable ones; the others
 * keep their value (a PATCH's null is refused) or their default. */
enum { GW_CODE, GW_UPSTREAM, GW_HEALTH, GW_CONNECT, GW_RESPONSE, GW_MAXREQ,
    GW_MAXRESP, GW_RATE, GW_QUOTA, GW_NARROW, GW_POINTER, GW_LOG_MODE,
    GW_OPENAPI, GW__N };
#define GATEWAY_SPEC \
	{ "code", F_STRING, F_NULLABLE, 1, 64, NULL }, \
	{ "upstream_url", F_STRING, F_NULLABLE, 1, 1000, NULL }, \
	{ "health_url", F_STRING, F_NULLABLE, 1, 1000, NULL }, \
	{ "connect_timeout_ms", F_INT, F_OPTIONAL, 100, 60000, NULL }, \
	{ "response_timeout_ms", F_INT, F_OPTIONAL, 100, 600000, NULL }, \
	{ "max_request_bytes", F_INT, F_OPTIONAL, 0, 1073741824LL, NULL }, \
	{ "max_response_bytes", F_INT, F_OPTIONAL, 1, 1099511627776LL, \
	    NULL }, \
	{ "rate_limit_per_minute", F_INT, F_NULLABLE, 1, 1000000, NULL }, \
	{ "daily_quota", F_INT, F_NULLABLE, 1, 1000000000, NULL }, \
	{ "narrow", F_BOOL, F_OPTIONAL, 0, 0, NULL }, \
	{ "records_pointer", F_STRING, F_NULLABLE, 0, 255, NULL }, \
	{ "log_mode", F_ENUM, F_OPTIONAL, 0, 0, log_modes }, \
	{ "openapi", F_OBJECT, F_NULLABLE, 0, 0, NULL }
/* Sets the gateway's fields from patch_params(): 2 * GW__N parameters. */
#define GATEWAY_SET \
	"code = IF(?, ?, code), upstream_url = IF(?, ?, upstream_url), " \
	"health_url = IF(?, ?, health_url), " \
	"connect_timeout_ms = IF(?, ?, connect_timeout_ms), " \
	"response_timeout_ms = IF(?, ?, response_timeout_ms), " \
	"max_request_bytes = IF(?, ?, max_request_bytes), " \
	"max_response_bytes = IF(?, ?, max_response_bytes), " \
	"rate_limit_per_minute = IF(?, ?, rate_limit_per_minute), " \
	"daily_quota = IF(?, ?, daily_quota), narrow = IF(?, ?, narrow), " \
	"records_pointer = IF(?, ?, records_pointer), " \
	"log_mode = IF(?, ?, log_mode), openapi = IF(?, ?, openapi) "
/* The largest OpenAPI document, as the JSON text stored. */
#define OPENAPI_MAX	1048576

/* A service as every reader sees it, but for its upstream and health
 * URLs (NULL unless the caller is the provider or an oversight role) and
 * its OpenAPI document (the single GET adds it): SERVICE_PARAMS binds
 * the first, the base of gateway_url last. */
#define INTERNAL(col) \
	"IF(s.agency_id = ? OR ? = 1, " col ", NULL) AS "
#define SERVICE_COLS \
	"s.id, s.dataset_id, d.title AS dataset_title, s.agency_id, " \
	"a.name AS agency_name, s.name, s.protocol, s.endpoint, s.version, " \
	"s.guide, s.status, s.deprecated_at, s.created_at, s.updated_at, " \
	"s.code, " INTERNAL("s.upstream_url") "upstream_url, " \
	INTERNAL("s.health_url") "health_url, s.connect_timeout_ms, " \
	"s.response_timeout_ms, s.max_request_bytes, s.max_response_bytes, " \
	"s.rate_limit_per_minute, s.daily_quota, s.narrow, " \
	"s.records_pointer, s.log_mode, " \
	"IF(s.code IS NULL OR s.upstream_url IS NULL, NULL, " \
	"  CONCAT(?, '/gw/', a.code, '/', s.code, '/')) AS gateway_url, " \
	DATASET_VIS " AS visibility"
#define SERVICE_PARAMS(r) \
	P_INT(caller_agency(&(r)->who)), P_INT(sees_all(&(r)->who)), \
	P_INT(caller_agency(&(r)->who)), P_INT(sees_all(&(r)->who)), \
	P_STR(gateway_base((r)->arena))
#define SERVICE_FROM \
	" FROM services s JOIN datasets d ON d.id = s.dataset_id " \
	"JOIN `databases` b ON b.id = d.database_id " \
	"JOIN agencies a ON a.id = s.agency_id "

/* The caller's agency as SEES_PARAMS binds it: 0 (no agency) without a
 * token. */
static long long
caller_agency(const struct identity *who)
{
	return who->authenticated ? who->agency_id : 0;
}

static bool
sees_all(const struct identity *who)
{
	return auth_has_role(who, ROLE_OVERSIGHT);
}

/* What gateway URLs start with: base_url without a trailing '/' ("" when
 * unset: the URL is then a path). */
static const char *
gateway_base(struct arena *a)
{
	const char *base = conf_str("base_url", "");
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return arena_strndup(a, base, n);
}

/* The text an OpenAPI document is stored (and measured) as: json-c's
 * plain form without its "\/" escapes, which would double the size of
 * paths for nothing. Belongs to the document's object. */
static const char *
openapi_text(json_object *doc)
{
	return json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

static int
load_or_reply(struct http_req *r, long long id, struct db_rows **rows)
{
	static const char *sql =
	    "SELECT " SERVICE_COLS ", s.openapi AS openapi_json" SERVICE_FROM
	    "WHERE s.id = ?";
	struct db_param p[] = { SERVICE_PARAMS(r), P_INT(id) };

	if (row_params_or_reply(r, sql, p, NPARAMS(p), "service", rows))
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
		struct db_param p[] = { SERVICE_PARAMS(r),
		    SEES_PARAMS(&r->who),
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

/* RFC 6901: "" (the whole document) or tokens each after a '/', in
 * which '~' is only ever ~0 or ~1. */
static bool
json_pointer_valid(const char *s)
{
	if (*s != '\0' && *s != '/')
		return false;
	for (; *s != '\0'; s++)
		if (*s == '~' && s[1] != '0' && s[1] != '1')
			return false;
	return true;
}

/* The gateway fields' rules beyond their types and bounds (v and spec
 * from GW_CODE on): a code's characters, where the URLs lead (netpolicy:
 * its reason is the detail), the pointer's syntax, the document's size.
 * Every problem is a detail of one 422. DS_OK or DS_REPLIED. */
static int
gateway_fields_or_reply(struct http_req *r, const struct field *spec,
    const struct fval *v)
{
	static const char code_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-";
	const char *why;

	if (v[GW_CODE].present &&
	    v[GW_CODE].s[strspn(v[GW_CODE].s, code_chars)] != '\0')
		json_detail(r, spec[GW_CODE].name, "must have only letters "
		    "A-Z and a-z, digits and '-'");
	for (int i = GW_UPSTREAM; i <= GW_HEALTH; i++)
		if (v[i].present && (why = netpolicy_url_check(v[i].s)))
			json_detail(r, spec[i].name, why);
	if (v[GW_POINTER].present && !json_pointer_valid(v[GW_POINTER].s))
		json_detail(r, spec[GW_POINTER].name, "must be a JSON pointer "
		    "(RFC 6901): empty, or '/' before each token, with '~' "
		    "only in ~0 and ~1");
	if (v[GW_OPENAPI].present &&
	    strlen(openapi_text(v[GW_OPENAPI].o)) > OPENAPI_MAX)
		json_detail(r, spec[GW_OPENAPI].name, "must be at most 1 MiB "
		    "(1048576 bytes) as JSON text");
	if (json_has_details(r))
		return json_details_reply(r, "the request has invalid fields");
	return DS_OK;
}

/* Ends a change that failed inside its transaction: rolled back, with
 * 409 code_taken when the agency's unique service code refused it, else
 * the status's error (an answer already written stays). */
static void
change_fail(struct http_req *r, int st)
{
	if (r->status != 0) {
		db_rollback();
		return;
	}
	if (st == DS_ECONFLICT && (db_errno() == ER_DUP_ENTRY ||
	    db_errno() == ER_DUP_ENTRY_WITH_KEY_NAME)) {
		db_rollback();
		http_error(r, 409, "code_taken", "the provider agency has a "
		    "service with this code already");
		return;
	}
	tx_fail_reply(r, st);
}

/* GATEWAY_SET's 2 * GW__N parameters in p (v and spec from GW_CODE
 * on): patch_params', but the document as openapi_text() writes it. */
static void
gateway_params(const struct field *spec, const struct fval *v,
    struct db_param *p)
{
	patch_params(spec, v, GW__N, p);
	if (v[GW_OPENAPI].present)
		p[2 * GW_OPENAPI + 1] = P_STR(openapi_text(v[GW_OPENAPI].o));
}

/* Inside the transaction that inserted service id: its gateway fields,
 * those given over the defaults of migration 0012. */
static int
gateway_fields_set(long long id, const struct field *spec,
    const struct fval *v)
{
	static const char *sql =
	    "UPDATE services SET " GATEWAY_SET "WHERE id = ?";
	struct db_param p[2 * GW__N + 1];

	gateway_params(spec, v, p);
	p[2 * GW__N] = P_INT(id);
	return db_exec(sql, p, NPARAMS(p), NULL, NULL);
}

void
service_create(struct http_req *r)
{
	enum { SC_DATASET, SC_NAME, SC_PROTOCOL, SC_ENDPOINT, SC_VERSION,
	    SC_GUIDE, SC_GW, SC__N = SC_GW + GW__N };
	static const struct field spec[SC__N] = {
		[SC_DATASET] = { "dataset_id", F_ID, true, 0, 0, NULL },
		[SC_NAME] = { "name", F_STRING, true, 1, 255, NULL },
		[SC_PROTOCOL] = { "protocol", F_ENUM, true, 0, 0, protocols },
		[SC_ENDPOINT] = { "endpoint", F_STRING, true, 1, 1000, NULL },
		[SC_VERSION] = { "version", F_STRING, true, 1, 32, NULL },
		[SC_GUIDE] = { "guide", F_TEXT, false, 0, 0, NULL },
		GATEWAY_SPEC
	};
	/* The provider is the dataset's owner (contract: agency_id). The
	 * statement may not read datasets: its trigger writes there. */
	static const char *insert =
	    "INSERT INTO services (dataset_id, agency_id, name, protocol, "
	    "  endpoint, version, guide, created_by) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	unsigned long long id = 0;
	long long provider;
	json_object *o;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    gateway_fields_or_reply(r, spec + SC_GW, v + SC_GW) ||
	    dataset_or_reply(r, v[SC_DATASET].i))
		return;
	if ((st = begin_services_of(r->arena, v[SC_DATASET].i,
	    &provider)) == DS_OK) {
		struct db_param p[] = { P_INT(v[SC_DATASET].i), P_INT(provider),
		    P_STR(v[SC_NAME].s), P_STR(v[SC_PROTOCOL].s),
		    P_STR(v[SC_ENDPOINT].s),
		    P_STR(v[SC_VERSION].s), P_STR(v[SC_GUIDE].s),
		    P_INT(r->who.account_id) };

		if ((st = db_exec(insert, p, NPARAMS(p), NULL, &id)) == DS_OK)
			st = gateway_fields_set((long long)id, spec + SC_GW,
			    v + SC_GW);
	}
	if (st != DS_OK || (st = reload(r, (long long)id, &o))) {
		change_fail(r, st);
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
		change_fail(r, st);
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
		change_fail(r, st);
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
	    SU_GW, SU__N = SU_GW + GW__N };
	static const struct field spec[SU__N] = {
		[SU_NAME] = { "name", F_STRING, false, 1, 255, NULL },
		[SU_PROTOCOL] = { "protocol", F_ENUM, false, 0, 0, protocols },
		[SU_ENDPOINT] = { "endpoint", F_STRING, false, 1, 1000, NULL },
		[SU_VERSION] = { "version", F_STRING, false, 1, 32, NULL },
		[SU_GUIDE] = { "guide", F_TEXT, F_NULLABLE, 0, 0, NULL },
		GATEWAY_SPEC
	};
	static const char *sql =
	    "UPDATE services SET name = IF(?, ?, name), "
	    "  protocol = IF(?, ?, protocol), endpoint = IF(?, ?, endpoint), "
	    "  version = IF(?, ?, version), guide = IF(?, ?, guide), "
	    GATEWAY_SET ", updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND status = 'active'";
	struct fval v[NPARAMS(spec)];
	struct db_param p[2 * NPARAMS(spec) + 1];
	struct db_rows *rows;

	if (own_or_reply(r, &rows) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    gateway_fields_or_reply(r, spec + SU_GW, v + SU_GW))
		return;
	patch_params(spec, v, SU_GW, p);
	gateway_params(spec + SU_GW, v + SU_GW, p + 2 * SU_GW);
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
