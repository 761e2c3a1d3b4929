/*
 * Sharing requests (R4.1, R4.2; Art. 13, 14.5, 16.1.đ, 16.2.g): a consumer
 * agency asks a provider for a published shared or open dataset; the
 * provider approves (the same or a narrower term and scope), which makes
 * the grant, or refuses with a reason; the consumer may withdraw while
 * undecided. The steps are a table (request_steps) that the core runs
 * (transition.c): each is a conditional UPDATE from 'submitted', so of
 * two racing decisions one wins and the other gets 409.
 *
 * The decision is due within decision_days working days (Decree 47/2020
 * Art. 35.3 as amended: 2 working days); sweep.c tells the provider when
 * a request falls due.
 */
#include <string.h>

#include "ds.h"
#include "sharing.h"

#define REQUEST_COLS \
	"r.id, r.consumer_agency_id, r.provider_agency_id, r.dataset_id, " \
	"r.service_id, r.purpose, r.legal_basis, r.fields_json, r.term, " \
	"r.starts_at, r.ends_at, r.consent_reference, r.status, r.due_at, " \
	"r.due_notified_at, r.decided_at, r.decided_by, r.decision_note, " \
	"r.refusal_reason, r.created_by, r.created_at, r.updated_at, " \
	"(r.status = 'submitted' AND r.due_at < UTC_TIMESTAMP(6)) AS overdue_bool, " \
	"g.id AS grant_id"
#define REQUEST_FROM \
	" FROM sharing_requests r LEFT JOIN grants g ON g.request_id = r.id "

static const char *sql_show =
    "SELECT " REQUEST_COLS REQUEST_FROM "WHERE r.id = ?";

static const char *const terms[] = { "fixed", "indefinite", NULL };
static const char *const statuses[] = {
	"submitted", "approved", "refused", "withdrawn", NULL
};

/* The request in the path, for its two sides' staff and overseers. */
static const struct party_record request_record = {
	&sql_show, { "consumer_agency_id", "provider_agency_id" }, "request"
};

/* Who acts on a request: an officer of one of its two sides. */
#define BY_PROVIDER	(1u << 0)
#define BY_CONSUMER	(1u << 1)

#define DECIDE	"UPDATE sharing_requests SET updated_at = UTC_TIMESTAMP(6), "
#define FROM	" WHERE id = ? AND status = ?"

/*
 * The life of a request, as one table (Art. 13, 14.5, 16.1.đ):
 *
 *   submitted -> approved    the provider, which makes the grant (R4.2)
 *   submitted -> refused     the provider, stating why (Art. 16.1.đ)
 *   submitted -> withdrawn   the consumer, while undecided
 *
 * Every decision is final. A decision (approve, refuse) takes
 * (decided_by, note or reason) before the id and state.
 */
static const struct transition request_steps[] = {
	{ "submitted", "approved", BY_PROVIDER, DECIDE "status = 'approved', "
	  "decided_at = UTC_TIMESTAMP(6), decided_by = ?, decision_note = ?"
	  FROM },
	{ "submitted", "refused", BY_PROVIDER, DECIDE "status = 'refused', "
	  "decided_at = UTC_TIMESTAMP(6), decided_by = ?, refusal_reason = ?"
	  FROM },
	{ "submitted", "withdrawn", BY_CONSUMER, DECIDE "status = 'withdrawn'"
	  FROM },
};
static const struct machine request_life =
    MACHINE("request", "already_decided", request_steps);

/* The step of request q to `to` for the caller: 403 for anyone but the
 * side the table names (the caller sees the request, so not 404), 409
 * once decided. */
static int
request_step_or_reply(struct http_req *r, const struct db_rows *q,
    const char *to, const struct transition **t)
{
	unsigned who = 0;

	if (auth_has_role(&r->who, ROLE_ANY_AGENCY)) {
		if (r->who.agency_id == db_get_int(q, 0, "provider_agency_id"))
			who |= BY_PROVIDER;
		if (r->who.agency_id == db_get_int(q, 0, "consumer_agency_id"))
			who |= BY_CONSUMER;
	}
	return transition_find_or_reply(r, &request_life, db_get(q, 0,
	    "status"), to, who, t);
}

void
requests_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " REQUEST_COLS REQUEST_FROM
	    "WHERE (? = 1 OR r.consumer_agency_id = ? OR "
	    "    r.provider_agency_id = ?) "
	    "  AND (? IS NULL OR r.status = ?) "
	    "  AND (? = 0 OR r.dataset_id = ?) "
	    "  AND (? = 0 OR r.consumer_agency_id = ? OR "
	    "    r.provider_agency_id = ?) "
	    "  AND (? IS NULL OR (? = 'provider' AND r.provider_agency_id = ?) "
	    "    OR (? = 'consumer' AND r.consumer_agency_id = ?)) "
	    "  AND (? = 0 OR (r.status = 'submitted' AND "
	    "    r.due_at < UTC_TIMESTAMP(6))) "
	    "  AND (? = 0 OR r.id > ?) "
	    "ORDER BY r.id LIMIT ?";
	static const char *const sides[] = { "provider", "consumer", NULL };
	enum { Q_STATUS, Q_SIDE, Q_DATASET, Q_AGENCY, Q_OVERDUE, Q__N };
	static const struct field query[Q__N] = {
		[Q_STATUS] = { "status", F_ENUM, false, 0, 0, statuses },
		[Q_SIDE] = { "side", F_ENUM, false, 0, 0, sides },
		[Q_DATASET] = { "dataset_id", F_ID, false, 0, 0, NULL },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_OVERDUE] = { "overdue", F_BOOL, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *status, *side;
	long long dataset, agency, me = r->who.agency_id;
	struct page pg;
	struct db_rows *rows;
	bool overdue;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSEER) ||
	    http_query_or_reply(r, query, Q__N, q) ||
	    http_page_or_reply(r, &pg))
		return;
	status = q[Q_STATUS].s;
	side = q[Q_SIDE].s;
	dataset = q[Q_DATASET].i;
	agency = q[Q_AGENCY].i;
	overdue = q[Q_OVERDUE].i != 0;
	{
		struct db_param p[] = {
			P_INT(is_overseer(&r->who)), P_INT(me), P_INT(me),
			P_STR(status), P_STR(status), P_INT(dataset),
			P_INT(dataset), P_INT(agency), P_INT(agency),
			P_INT(agency), P_STR(side), P_STR(side), P_INT(me),
			P_STR(side), P_INT(me), P_INT(overdue), P_INT(pg.after),
			P_INT(pg.after), P_INT(pg.limit),
		};

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	http_reply_page_rows(r, &pg, rows);
}

void
request_show(struct http_req *r)
{
	struct db_rows *rows;

	if (party_load_or_reply(r, &request_record, &rows) == 0)
		http_reply(r, 200, db_row_json(rows, 0));
}

/* The requested term, checked (Art. 14.5): fixed needs an end after its
 * start, in the future; indefinite has no end. Starts now by default. */
static void
check_term(struct http_req *r, const char *term, const char **starts,
    const char *ends, const char *now)
{
	if (*starts == NULL)
		*starts = now;
	if (strcmp(term, "indefinite") == 0) {
		if (ends != NULL)
			json_detail(r, "ends_at", "must be absent for an "
			    "indefinite term");
		return;
	}
	if (ends == NULL)
		json_detail(r, "ends_at", "is required for a fixed term");
	else if (time_cmp(ends, *starts) <= 0)
		json_detail(r, "ends_at", "must be after starts_at");
	else if (time_cmp(ends, now) <= 0)
		json_detail(r, "ends_at", "must be in the future");
}

/* The service, when named, must be an active service of the dataset. */
static int
check_service(struct http_req *r, const struct fval *svc, long long dataset)
{
	static const char *sql =
	    "SELECT dataset_id, status FROM services WHERE id = ?";
	struct db_param p[] = { P_INT(svc->i) };
	struct db_rows *rows;
	int st;

	if (!svc->present)
		return DS_OK;
	if ((st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK)
		return st;
	if (rows->nrows != 1 || db_get_int(rows, 0, "dataset_id") != dataset)
		json_detail(r, "service_id", "no such service of this dataset");
	else if (strcmp(db_get(rows, 0, "status"), "active") != 0)
		json_detail(r, "service_id", "the service is deprecated");
	return DS_OK;
}

/* The dataset of a new request: it exists, is another agency's, and may
 * be shared (409 with the reason otherwise). */
static int
dataset_or_reply(struct http_req *r, long long id, struct db_rows **d)
{
	const char *code, *why;
	int st = dataset_load(r->arena, id, d);

	if (st == DS_ENOTFOUND) {
		json_detail(r, "dataset_id", "no such dataset");
		return json_details_reply(r, "the request has invalid fields");
	}
	if (st != DS_OK)
		return http_error_status(r, st);
	if (db_get_int(*d, 0, "provider_agency_id") == r->who.agency_id) {
		json_detail(r, "dataset_id", "is your own agency's dataset");
		return json_details_reply(r, "the request has invalid fields");
	}
	if ((code = dataset_unshareable(*d, &why)) != NULL)
		return http_error(r, 409, code, "%s", why);
	return 0;
}

void
request_create(struct http_req *r)
{
	enum { RC_DATASET, RC_SERVICE, RC_PURPOSE, RC_LEGAL_BASIS, RC_FIELDS,
	    RC_TERM, RC_STARTS, RC_ENDS, RC_CONSENT, RC__N };
	static const struct field spec[RC__N] = {
		[RC_DATASET] = { "dataset_id", F_ID, true, 0, 0, NULL },
		[RC_SERVICE] = { "service_id", F_ID, false, 0, 0, NULL },
		[RC_PURPOSE] = { "purpose", F_TEXT, true, 1, 5000, NULL },
		[RC_LEGAL_BASIS] = { "legal_basis", F_TEXT, true, 1, 5000,
		    NULL },
		[RC_FIELDS] = { "fields", F_STRINGS, true, 1, 500, NULL },
		[RC_TERM] = { "term", F_ENUM, true, 0, 0, terms },
		[RC_STARTS] = { "starts_at", F_DATETIME, false, 0, 0, NULL },
		[RC_ENDS] = { "ends_at", F_DATETIME, false, 0, 0, NULL },
		[RC_CONSENT] = { "consent_reference", F_STRING, false, 1, 255,
		    NULL },
	};
	static const char *insert =
	    "INSERT INTO sharing_requests (consumer_agency_id, "
	    "  provider_agency_id, dataset_id, service_id, purpose, "
	    "  legal_basis, fields_json, term, starts_at, ends_at, "
	    "  consent_reference, due_at, created_by) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_rows *d, *rows;
	const char *now, *starts;
	char due[20];
	unsigned long long id;
	long long provider;
	json_object *names, *o;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    dataset_or_reply(r, v[RC_DATASET].i, &d))
		return;
	if ((st = db_now_text(r->arena, &now)) != DS_OK ||
	    (st = check_service(r, &v[RC_SERVICE], v[RC_DATASET].i)) !=
	    DS_OK) {
		http_error_status(r, st);
		return;
	}
	starts = v[RC_STARTS].s;
	check_term(r, v[RC_TERM].s, &starts, v[RC_ENDS].s, now);
	names = dataset_field_names(d);
	names_subset(r, "fields", v[RC_FIELDS].o, names,
	    "in the dataset's structure");
	json_object_put(names);
	if (json_has_details(r)) {
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	/* Decree 47/2020 Art. 35.3: the provider answers within
	 * decision_days working days. */
	if ((st = workdays_due(r->arena, now, (int)conf_int("decision_days",
	    2, 1, 60, NULL), due)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	provider = db_get_int(d, 0, "provider_agency_id");
	{
		struct db_param p[] = {
			P_INT(r->who.agency_id), P_INT(provider),
			P_INT(v[RC_DATASET].i),
			db_param_fval(&v[RC_SERVICE], F_ID),
			P_STR(v[RC_PURPOSE].s), P_STR(v[RC_LEGAL_BASIS].s),
			db_param_fval(&v[RC_FIELDS], F_STRINGS),
			P_STR(v[RC_TERM].s), P_STR(starts), P_STR(v[RC_ENDS].s),
			P_STR(v[RC_CONSENT].s), P_STR(due),
			P_INT(r->who.account_id),
		};
		struct db_param q[1];

		if ((st = db_begin()) ||
		    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
		q[0] = P_INT((long long)id);
		if ((st = db_query(r->arena, sql_show, q, 1, &rows)))
			goto fail;
	}
	o = db_row_json(rows, 0);
	if ((st = audit_append(&r->who, "sharing_request.create",
	    "sharing_request", (long long)id, NULL, json_object_get(o))) ||
	    (st = notify(provider, "sharing_request.filed", "sharing_request",
	    (long long)id, NULL)) || (st = db_commit())) {
		json_object_put(o);
		goto fail;
	}
	http_reply(r, 201, o);
	return;
fail:
	tx_fail_reply(r, st);
}

/* The rest of a decision's transaction: the audit row (before, after),
 * a notification to each agency in to[] (0 entries skipped, duplicates
 * once), commit. Returns the request after it (caller owns), or NULL
 * with the error replied. */
static json_object *
record_decision(struct http_req *r, const char *action,
    const struct db_rows *before, const char *kind, const long long *to,
    size_t nto)
{
	struct db_param p[] = { P_INT(r->captures[0]) };
	struct db_rows *after;
	json_object *o;
	int st;

	if ((st = db_query(r->arena, sql_show, p, 1, &after)) != DS_OK) {
		tx_fail_reply(r, st);
		return NULL;
	}
	o = db_row_json(after, 0);
	if ((st = audit_append(&r->who, action, "sharing_request",
	    r->captures[0], db_row_json(before, 0), json_object_get(o))))
		goto fail;
	for (size_t i = 0; i < nto; i++) {
		bool dup = to[i] == 0;

		for (size_t j = 0; j < i && !dup; j++)
			dup = to[j] == to[i];
		if (!dup && (st = notify(to[i], kind, "sharing_request",
		    r->captures[0], NULL)) != DS_OK)
			goto fail;
	}
	if ((st = db_commit()) != DS_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	tx_fail_reply(r, st);
	return NULL;
}

/* The body of an approval (request_approve). */
enum { AP_TERM, AP_STARTS, AP_ENDS, AP_FIELDS, AP_NOTE, AP__N };

/* What an approval grants. */
struct granted {
	const char	*starts, *ends;	/* ends NULL: indefinite */
	const char	*fields;	/* JSON array text (arena) */
};

/* The granted term and scope (R4.2): each may be narrower than asked,
 * never wider; what the body leaves out is granted as asked. Adds a 422
 * detail for each widening. */
static void
check_narrower(struct http_req *r, const struct db_rows *q,
    const struct fval *v, const char *now, struct granted *g)
{
	const char *q_term = db_get(q, 0, "term");
	const char *q_starts = db_get(q, 0, "starts_at");
	const char *q_ends = db_get(q, 0, "ends_at");
	const char *term = v[AP_TERM].present ? v[AP_TERM].s : q_term;
	json_object *asked = json_tokener_parse(db_get(q, 0, "fields_json"));
	json_object *fields = v[AP_FIELDS].present ? v[AP_FIELDS].o : asked;

	g->starts = v[AP_STARTS].present ? v[AP_STARTS].s : q_starts;
	g->ends = v[AP_ENDS].present ? v[AP_ENDS].s :
	    strcmp(term, "fixed") == 0 ? q_ends : NULL;
	if (strcmp(q_term, "fixed") == 0 && strcmp(term, "indefinite") == 0)
		json_detail(r, "term", "an indefinite term is wider than the "
		    "fixed term requested");
	if (time_cmp(g->starts, q_starts) < 0)
		json_detail(r, "starts_at", "is earlier than the start "
		    "requested");
	if (strcmp(term, "indefinite") == 0 && v[AP_ENDS].present)
		json_detail(r, "ends_at", "must be absent for an indefinite "
		    "term");
	else if (strcmp(term, "fixed") == 0) {
		if (g->ends == NULL)
			json_detail(r, "ends_at", "is required for a fixed "
			    "term");
		else if (time_cmp(g->ends, g->starts) <= 0)
			json_detail(r, "ends_at", "must be after starts_at");
		else if (q_ends != NULL && time_cmp(g->ends, q_ends) > 0)
			json_detail(r, "ends_at", "is later than the end "
			    "requested");
		else if (time_cmp(g->ends, now) <= 0)
			json_detail(r, "ends_at", "must be in the future");
	}
	names_subset(r, "fields", fields, asked, "among the fields requested");
	g->fields = arena_strdup(r->arena, json_object_to_json_string_ext(
	    fields, JSON_C_TO_STRING_PLAIN));
	json_object_put(asked);
}

/* Nothing is granted on data that has left the catalog meanwhile. */
static int
still_shareable_or_reply(struct http_req *r, const struct db_rows *q)
{
	const char *code, *why;
	struct db_rows *d;
	int st;

	if ((st = dataset_load(r->arena, db_get_int(q, 0, "dataset_id"),
	    &d)) != DS_OK)
		return http_error_status(r, st);
	if ((code = dataset_unshareable(d, &why)) != NULL)
		return http_error(r, 409, code, "%s", why);
	return 0;
}

/* Inside the approval's transaction: the grant and its audit row.
 * Returns the grant (caller owns), or NULL with the error replied. */
static json_object *
grant_insert(struct http_req *r, const struct granted *g)
{
	static const char *insert =
	    "INSERT INTO grants (request_id, provider_agency_id, "
	    "  consumer_agency_id, dataset_id, service_id, starts_at, ends_at, "
	    "  fields_json, created_by) "
	    "SELECT id, provider_agency_id, consumer_agency_id, dataset_id, "
	    "  service_id, ?, ?, ?, ? FROM sharing_requests WHERE id = ?";
	struct db_param p[] = { P_STR(g->starts), P_STR(g->ends),
	    P_STR(g->fields), P_INT(r->who.account_id), P_INT(r->captures[0]) };
	unsigned long long id;
	json_object *o;
	int st;

	if ((st = db_exec(insert, p, NPARAMS(p), NULL, &id)) != DS_OK) {
		tx_fail_reply(r, st);
		return NULL;
	}
	if ((st = grant_json(r->arena, (long long)id, &o)) != DS_OK) {
		tx_fail_reply(r, st);
		return NULL;
	}
	if ((st = audit_append(&r->who, "grant.create", "grant", (long long)id,
	    NULL, json_object_get(o))) != DS_OK) {
		json_object_put(o);
		tx_fail_reply(r, st);
		return NULL;
	}
	return o;
}

void
request_approve(struct http_req *r)
{
	static const struct field spec[AP__N] = {
		[AP_TERM] = { "term", F_ENUM, false, 0, 0, terms },
		[AP_STARTS] = { "starts_at", F_DATETIME, false, 0, 0, NULL },
		[AP_ENDS] = { "ends_at", F_DATETIME, false, 0, 0, NULL },
		[AP_FIELDS] = { "fields", F_STRINGS, false, 1, 500, NULL },
		[AP_NOTE] = { "note", F_TEXT, false, 1, 5000, NULL },
	};
	const struct transition *t;
	struct fval v[NPARAMS(spec)];
	struct db_rows *q;
	struct granted g;
	const char *now;
	json_object *o, *grant;
	long long to[1];
	int st;

	if (party_load_or_reply(r, &request_record, &q) ||
	    request_step_or_reply(r, q, "approved", &t) ||
	    json_read_or_reply(r, body_or_empty(r), spec, NPARAMS(spec), v))
		return;
	if ((st = db_now_text(r->arena, &now)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	check_narrower(r, q, v, now, &g);
	if (json_has_details(r)) {
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	if (still_shareable_or_reply(r, q))
		return;
	{
		struct db_param p[] = { P_INT(r->who.account_id),
		    P_STR(v[AP_NOTE].s) };

		if (transition_begin_or_reply(r, &request_life, t,
		    r->captures[0], p, NPARAMS(p)) ||
		    (grant = grant_insert(r, &g)) == NULL)
			return;
	}
	to[0] = db_get_int(q, 0, "consumer_agency_id");
	if ((o = record_decision(r, "sharing_request.approve", q,
	    "sharing_request.approved", to, 1)) == NULL) {
		json_object_put(grant);
		return;
	}
	json_object_object_add(o, "grant", grant);
	http_reply(r, 200, o);
}

void
request_refuse(struct http_req *r)
{
	enum { RF_REASON, RF__N };
	static const struct field spec[RF__N] = {
		[RF_REASON] = { "reason", F_TEXT, true, 1, 5000, NULL },
	};
	const struct transition *t;
	struct fval v[NPARAMS(spec)];
	struct db_rows *q;
	long long to[2];
	json_object *o;
	int st;

	/* Art. 16.1.đ: a refusal states its reason. */
	if (party_load_or_reply(r, &request_record, &q) ||
	    request_step_or_reply(r, q, "refused", &t) ||
	    json_read_or_reply(r, body_or_empty(r), spec, NPARAMS(spec), v))
		return;
	if (text_blank(v[RF_REASON].s)) {
		json_detail(r, "reason", "must state a reason (Art. 16.1.đ)");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	to[0] = db_get_int(q, 0, "consumer_agency_id");
	/* ND47 Art. 48: DIC is the competent authority for a dispute. */
	if ((st = agency_dic_id(r->arena, &to[1])) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	{
		struct db_param p[] = { P_INT(r->who.account_id),
		    P_STR(v[RF_REASON].s) };

		if (transition_begin_or_reply(r, &request_life, t,
		    r->captures[0], p, NPARAMS(p)))
			return;
	}
	if ((o = record_decision(r, "sharing_request.refuse", q,
	    "sharing_request.refused", to, 2)) == NULL)
		return;
	json_object_object_add(o, "dispute", dispute_call("refusal",
	    "sharing_request", db_get_int(q, 0, "id"), arena_printf(r->arena,
	    "Refusal of sharing request %lld", db_get_int(q, 0, "id")),
	    v[RF_REASON].s,
	    db_get_int(q, 0, "provider_agency_id")));
	http_reply(r, 200, o);
}

void
request_withdraw(struct http_req *r)
{
	const struct transition *t;
	struct db_rows *q;
	long long to[1];
	json_object *o;

	if (party_load_or_reply(r, &request_record, &q) ||
	    request_step_or_reply(r, q, "withdrawn", &t) ||
	    transition_begin_or_reply(r, &request_life, t, r->captures[0],
	    NULL, 0))
		return;
	to[0] = db_get_int(q, 0, "provider_agency_id");
	if ((o = record_decision(r, "sharing_request.withdraw", q,
	    "sharing_request.withdrawn", to, 1)) != NULL)
		http_reply(r, 200, o);
}
