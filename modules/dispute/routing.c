/*
 * Routing a ticket (Art. 18): who must answer it, and why.
 *
 * Art. 18.1: each agency receives and resolves the problems raised about
 * connecting to and using the data it provides; so data, refusal,
 * suspension and access tickets go to the provider of the data concerned.
 * Art. 18.2: DIC receives and resolves technical, technology and
 * standards matters, and coordinates the focal points; so technical and
 * standards tickets, and those of no listed kind ("other"), go to DIC.
 * The ticket goes to the agency; its focal point (Art. 15.1.b, 18.1) is
 * recorded as the assignee account when the agency has named one.
 *
 * The object a ticket concerns lives in another module's table. Those
 * tables are created by migrations 0002-0004, which may not be applied
 * yet: then the lookup answers 422 "not supported yet" instead of failing.
 */
#include <string.h>

#include <mysqld_error.h>

#include "ds.h"
#include "dispute.h"

/* Per object type, the SQL that finds the provider of the data concerned,
 * the other party (the consumer; NULL for a dataset) and its visibility
 * (auth_sees: a dataset the catalog shows every agency may be raised by
 * any of them; the rest only by their parties).
 * Column names follow the table contract between modules. */
static const struct object_kind {
	const char	*type;
	const char	*sql;
} object_kinds[] = {
	{ "sharing_request",
	  "SELECT provider_agency_id, consumer_agency_id, "
	  "  'owner' AS visibility FROM sharing_requests WHERE id = ?" },
	{ "grant",
	  "SELECT provider_agency_id, consumer_agency_id, "
	  "  'owner' AS visibility FROM grants WHERE id = ?" },
	{ "suspension",
	  "SELECT provider_agency_id, consumer_agency_id, "
	  "  'owner' AS visibility FROM suspensions WHERE id = ?" },
	{ "dataset",
	  "SELECT b.agency_id AS provider_agency_id, "
	  "  NULL AS consumer_agency_id, "
	  "  dataset_visibility(d.status, d.excluded, d.classification, "
	  "    b.status) AS visibility "
	  "FROM datasets d JOIN `databases` b ON b.id = d.database_id "
	  "WHERE d.id = ?" },
};

/* Which categories go to DIC (Art. 18.2); the others to the provider. */
static const struct category_route {
	const char	*category;
	bool		 to_dic;
} category_routes[] = {
	{ "data",	false },
	{ "refusal",	false },
	{ "suspension",	false },
	{ "access",	false },
	{ "technical",	true },
	{ "standards",	true },
	{ "other",	true },
};

struct object_parties {
	long long	 provider;
	long long	 consumer;	/* 0 when the object has none */
};

bool
table_missing(int st)
{
	/* MariaDB answers 1142 (access denied), not 1146, for a table the
	 * role holds no privilege on, which a table not created yet is:
	 * it does not tell such a user whether the table exists. */
	return st == DS_ERR && (db_errno() == ER_NO_SUCH_TABLE ||
	    db_errno() == ER_TABLEACCESS_DENIED_ERROR);
}

static int
invalid(struct http_req *r, const char *field, const char *problem)
{
	json_detail(r, field, problem);
	return json_details_reply(r, "the request has invalid fields");
}

static const struct object_kind *
kind_find(const char *type)
{
	for (size_t i = 0; i < NPARAMS(object_kinds); i++)
		if (strcmp(object_kinds[i].type, type) == 0)
			return &object_kinds[i];
	return NULL;
}

static bool
category_to_dic(const char *category)
{
	for (size_t i = 0; i < NPARAMS(category_routes); i++)
		if (strcmp(category_routes[i].category, category) == 0)
			return category_routes[i].to_dic;
	return true;
}

/* Finds the object's parties and checks that the caller sees it. An
 * object that does not exist and one the caller cannot see (another
 * agency's grant, a restricted or draft dataset) get the same answer, so
 * the 422 tells nothing about others' records (issue 16). */
static int
object_lookup_or_reply(struct http_req *r, const char *type, long long id,
    struct object_parties *o)
{
	const struct object_kind *k = kind_find(type);
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if (k == NULL)
		return invalid(r, "object_type", "unknown object type");
	if ((st = db_query(r->arena, k->sql, p, 1, &rows)) != DS_OK) {
		if (table_missing(st))
			return invalid(r, "object_type", arena_printf(r->arena,
			    "object_type %s is not supported yet", type));
		return http_error_status(r, st);
	}
	if (rows->nrows != 1)
		goto none;
	o->provider = db_get_int(rows, 0, "provider_agency_id");
	o->consumer = db_get_int(rows, 0, "consumer_agency_id");
	if (o->consumer == r->who.agency_id || auth_sees(&r->who,
	    db_get(rows, 0, "visibility"), o->provider))
		return 0;
none:
	return invalid(r, "object_id", arena_printf(r->arena,
	    "no %s %lld concerns your agency", type, id));
}

static int
agency_exists_or_reply(struct http_req *r, long long id)
{
	static const char *sql = "SELECT id FROM agencies WHERE id = ?";
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows != 1)
		return invalid(r, "agency_id", "no such agency");
	return 0;
}

/* The agency concerned and the provider of the data concerned, from the
 * object when there is one, else from agency_id. */
static int
concerned_or_reply(struct http_req *r, const struct fval *agency,
    const struct fval *otype, const struct fval *oid, long long *concerned,
    long long *provider)
{
	struct object_parties o = { 0, 0 };

	if (otype->present != oid->present)
		return invalid(r, otype->present ? "object_id" : "object_type",
		    "object_type and object_id are given together");
	if (!otype->present) {
		if (!agency->present)
			return invalid(r, "agency_id",
			    "is required when no object is given");
		if (agency_exists_or_reply(r, agency->i))
			return DS_REPLIED;
		*concerned = *provider = agency->i;
		return 0;
	}
	if (object_lookup_or_reply(r, otype->s, oid->i, &o))
		return DS_REPLIED;
	/* The other party of the object; its provider when there is none. */
	*provider = o.provider;
	*concerned = o.provider != r->who.agency_id || o.consumer == 0 ?
	    o.provider : o.consumer;
	if (agency->present && agency->i != o.provider &&
	    (o.consumer == 0 || agency->i != o.consumer))
		return invalid(r, "agency_id", arena_printf(r->arena,
		    "is not a party to %s %lld", otype->s, oid->i));
	if (agency->present)
		*concerned = agency->i;
	return 0;
}

int
routing_decide_or_reply(struct http_req *r, const char *category,
    const struct fval *agency, const struct fval *otype,
    const struct fval *oid, struct routing *out)
{
	bool to_dic = category_to_dic(category);
	long long provider = 0;
	int st;

	memset(out, 0, sizeof(*out));
	if (concerned_or_reply(r, agency, otype, oid, &out->agency_id,
	    &provider))
		return DS_REPLIED;
	if (to_dic) {
		if ((st = routing_dic_agency(r->arena,
		    &out->assignee_agency_id)) != DS_OK) {
			if (st == DS_ENOTFOUND)
				log_warnx(__func__, "no agency is the DIC");
			return http_error_status(r, st == DS_ENOTFOUND ?
			    DS_ERR : st);
		}
		out->rule = "art_18_2_dic";
		out->reason = arena_printf(r->arena, "Art. 18.2: DIC handles "
		    "%s matters", category);
	} else {
		out->assignee_agency_id = provider;
		out->rule = "art_18_1_provider";
		out->reason = otype->present ? arena_printf(r->arena,
		    "Art. 18.1: agency %lld provides the data of %s %lld",
		    provider, otype->s, oid->i) : arena_printf(r->arena,
		    "Art. 18.1: agency %lld, the agency concerned, provides "
		    "the data", provider);
	}
	/* Nobody files a ticket with itself: the filer would answer it. */
	if (out->assignee_agency_id == r->who.agency_id && to_dic)
		return invalid(r, "category", "your agency is the DIC, which "
		    "handles these matters itself (Art. 18.2)");
	if (out->assignee_agency_id == r->who.agency_id)
		return invalid(r, otype->present ? "object_id" : "agency_id",
		    "your agency provides this data and resolves such "
		    "matters itself (Art. 18.1)");
	if ((st = routing_focal_point(r->arena, out->assignee_agency_id,
	    &out->assignee_account_id)) != DS_OK)
		return http_error_status(r, st);
	return 0;
}

int
routing_dic_agency(struct arena *a, long long *id)
{
	int st;

	if ((st = agency_dic_id(a, id)) != DS_OK)
		return st;
	return *id != 0 ? DS_OK : DS_ENOTFOUND;
}

/*
 * The focal point is the catalog module's (R9.1, /agencies/{id}/focal-
 * points, migration 0002): the agency's row with no end date is its
 * current one, the ended rows its history. Until that table exists, or
 * when the current focal point has no active account, the ticket is
 * assigned to the agency alone (account NULL).
 */
int
routing_focal_point(struct arena *a, long long agency_id,
    long long *account_id)
{
	static const char *sql =
	    "SELECT f.account_id, a.status FROM focal_points f "
	    "JOIN accounts a ON a.id = f.account_id "
	    "WHERE f.agency_id = ? AND f.ended_at IS NULL";
	struct db_param p[] = { P_INT(agency_id) };
	struct db_rows *rows;
	int st;

	*account_id = 0;
	if ((st = db_query(a, sql, p, 1, &rows)) != DS_OK)
		return table_missing(st) ? DS_OK : st;
	if (rows->nrows == 1 && strcmp(db_get(rows, 0, "status"),
	    "active") == 0)
		*account_id = db_get_int(rows, 0, "account_id");
	return DS_OK;
}
