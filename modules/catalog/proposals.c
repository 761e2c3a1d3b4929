/*
 * Proposals to change the shared-database catalog (Art. 7, R1.2, R1.3).
 *
 * The owner agency files a proposal to add, modify or withdraw one of its
 * databases. An add carries the Art. 7.2 description and its justification
 * against Art. 7.3; a withdraw answers Art. 7.4; a modify names what
 * changes and why. Then:
 *
 *   submitted --DIC review--> recommended | returned | rejected
 *   returned  --owner edits, resubmits--> submitted
 *   recommended --Chairman decision--> approved | rejected
 *   approved  --issued in a catalog version (versions.c)--> issued
 *   approved  --Chairman rejects it before it is issued--> rejected
 *
 * Each actor's steps are a table (review_steps, decision_steps,
 * owner_steps) that the core runs (transition.c): each step is one
 * conditional UPDATE from the state it leaves, so the wrong state is a
 * 409 however requests race; the owner agency hears of each review and
 * decision, the DIC of each filing.
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

static const char *const kinds[] = { "add", "modify", "withdraw", NULL };
static const char *const statuses[] = { "submitted", "returned",
    "recommended", "rejected", "approved", "issued", NULL };

/* The fields of a proposal, in the order of the INSERT's columns. A
 * field's rule says for add, modify and withdraw whether it is required
 * (R), optional (O) or does not apply (-), and its article which article
 * asks for it. P_NAME to P_LOCATION_DETAIL are what a modify may change. */
enum { P_KIND, P_DATABASE, P_NAME, P_ART72 /* b) to g): ART72_N */,
    P_LOCATION = P_ART72 + ART72_N, P_LOCATION_DETAIL, P_LEGAL_VALUE,
    P_MASTER_DATA_REF, P_SERVES_PROCEDURES, P_REPLACEMENT, P_REASON,
    P__N };
static const struct field spec[P__N] = {
	[P_KIND] = { "kind", F_ENUM, true, 0, 0, kinds, "RRR", NULL },
	[P_DATABASE] = { "database_id", F_ID, false, 0, 0, NULL, "ORR", NULL },
	[P_NAME] = { "name", F_STRING, false, 1, 255, NULL, "RO-",
	    "Art. 7.2.a" },
	[P_ART72] = ART72_SPEC(F_OPTIONAL, "RO-"),
	[P_LOCATION] = { "location", F_ENUM, false, 0, 0, db_locations, "RO-",
	    "Art. 8.3" },
	[P_LOCATION_DETAIL] = { "location_detail", F_STRING, false, 1, 255,
	    NULL, "OO-", NULL },
	[P_LEGAL_VALUE] = { "legal_value", F_TEXT, false, 0, 0, NULL, "R--",
	    "Art. 7.3.a" },
	[P_MASTER_DATA_REF] = { "master_data_reference", F_TEXT, false, 0, 0,
	    NULL, "R-R", "Art. 7.3.b / 7.4.b" },
	[P_SERVES_PROCEDURES] = { "serves_procedures", F_TEXT, false, 0, 0,
	    NULL, "R-R", "Art. 7.3.c / 7.4.c" },
	[P_REPLACEMENT] = { "replacement", F_TEXT, false, 0, 0, NULL, "--R",
	    "Art. 7.4.a" },
	[P_REASON] = { "reason", F_TEXT, false, 0, 0, NULL, "ORO", NULL },
};

#define PROPOSAL_COLS \
	"p.id, p.kind, p.agency_id, a.name AS agency_name, p.database_id, " \
	"p.status, p.name, p.managing_unit, p.objective, p.scope, " \
	"p.master_data, p.users_purposes, p.sources, p.sharing_methods, " \
	"p.location, p.location_detail, p.legal_value, " \
	"p.master_data_reference, p.serves_procedures, p.replacement, " \
	"p.reason, p.filed_by, p.review_action, p.review_notes, " \
	"p.reviewed_by, p.reviewed_at, p.decision, p.decision_notes, " \
	"p.decided_by, p.decided_at, p.version_id, p.created_at, p.updated_at"
#define PROPOSAL_FROM \
	" FROM catalog_proposals p JOIN agencies a ON a.id = p.agency_id "

static int
kind_index(const char *kind)
{
	for (int i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], kind) == 0)
			return i;
	return 0;
}

/*
 * Checks v (all of spec) against the rules of kind: fields that do not
 * apply, and on filing (complete) each missing required one and a modify
 * that changes nothing. Art. 8.3 holds for the location of a shared
 * database. Replies 422 naming each problem.
 */
static int
rules_or_reply(struct http_req *r, const char *kind, const struct fval *v,
    bool complete)
{
	int k = kind_index(kind);
	bool changes = false;

	for (size_t i = P_DATABASE; i < P__N; i++) {
		const char *rule = spec[i].rule;

		if (rule[k] == '-' && (v[i].present || v[i].is_null))
			json_detail(r, spec[i].name, arena_printf(r->arena,
			    "does not apply to a %s proposal", kind));
		else if (rule[k] == 'R' && !v[i].present && complete)
			json_detail(r, spec[i].name, arena_printf(r->arena,
			    "is required for a %s proposal (%s)", kind,
			    spec[i].article ? spec[i].article : "Art. 7"));
		if (i >= P_NAME && i <= P_LOCATION_DETAIL && v[i].present)
			changes = true;
	}
	if (complete && k == 1 && !changes)
		json_detail(r, "name", "a modify proposal names at least one "
		    "Art. 7.2 field or the location to change");
	if (json_has_details(r))
		return json_details_reply(r, "the proposal is incomplete or "
		    "has fields that do not apply");
	return hosting_or_reply(r, "shared", v[P_LOCATION].s);
}

/* The database a proposal names: the caller's own, and in the state the
 * kind needs (add: not yet in the shared catalog; modify and withdraw: in
 * it). */
static int
target_or_reply(struct http_req *r, const char *kind, const struct fval *db)
{
	struct db_param p[] = { P_INT(db->i), P_INT(r->who.agency_id) };
	static const char *sql =
	    "SELECT kind, status FROM `databases` WHERE id = ? AND agency_id = ?";
	struct db_rows *rows;
	bool in_catalog;
	int st;

	if (!db->present)
		return 0;
	if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows != 1)
		return invalid_field(r, "database_id",
		    "is not a database of your agency");
	if (strcmp(db_get(rows, 0, "status"), "withdrawn") == 0)
		return http_error(r, 409, "conflict", "the database is "
		    "withdrawn");
	in_catalog = strcmp(db_get(rows, 0, "kind"), "shared") == 0 &&
	    strcmp(db_get(rows, 0, "status"), "listed") == 0;
	if (strcmp(kind, "add") == 0 && in_catalog)
		return http_error(r, 409, "conflict", "the database is already "
		    "in the shared catalog");
	if (strcmp(kind, "add") != 0 && !in_catalog)
		return http_error(r, 409, "conflict", "the database is not in "
		    "the shared catalog");
	return 0;
}

/* Loads a proposal the caller may see: its agency's, or any for the
 * oversight roles; 404 otherwise. */
static int
load_or_reply(struct http_req *r, long long id, struct db_rows **rows)
{
	static const char *sql =
	    "SELECT " PROPOSAL_COLS PROPOSAL_FROM "WHERE p.id = ?";

	if (row_or_reply(r, sql, id, "proposal", rows))
		return DS_REPLIED;
	if (db_get_int(*rows, 0, "agency_id") != r->who.agency_id &&
	    !auth_has_role(&r->who, ROLE_OVERSIGHT))
		return http_error(r, 404, "not_found", "no such proposal");
	return 0;
}

/* A short notice: the proposal's kind, database and new status. */
static json_object *
notice(const struct db_rows *rows)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind",
	    json_object_new_string(db_get(rows, 0, "kind")));
	json_object_object_add(o, "database_id",
	    db_get(rows, 0, "database_id") ? json_object_new_int64(
	    db_get_int(rows, 0, "database_id")) : NULL);
	json_object_object_add(o, "status",
	    json_object_new_string(db_get(rows, 0, "status")));
	return o;
}

void
proposals_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " PROPOSAL_COLS PROPOSAL_FROM
	    "WHERE (p.agency_id = ? OR ? = 1) "
	    "  AND (? = 0 OR p.agency_id = ?) AND (? IS NULL OR p.status = ?) "
	    "  AND (? IS NULL OR p.kind = ?) AND (? = 0 OR p.id > ?) "
	    "ORDER BY p.id LIMIT ?";
	enum { Q_AGENCY, Q_STATUS, Q_KIND, Q__N };
	static const struct field query[Q__N] = {
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_STATUS] = { "status", F_ENUM, false, 0, 0, statuses },
		[Q_KIND] = { "kind", F_ENUM, false, 0, 0, kinds },
	};
	struct fval q[Q__N];
	struct page pg;

	if (http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	{
		struct db_param p[] = { P_INT(r->who.agency_id),
		    P_INT(auth_has_role(&r->who, ROLE_OVERSIGHT)),
		    P_INT(q[Q_AGENCY].i), P_INT(q[Q_AGENCY].i),
		    P_STR(q[Q_STATUS].s), P_STR(q[Q_STATUS].s),
		    P_STR(q[Q_KIND].s), P_STR(q[Q_KIND].s),
		    P_INT(pg.after), P_INT(pg.after),
		    P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

void
proposal_show(struct http_req *r)
{
	struct db_rows *rows;

	if (load_or_reply(r, r->captures[0], &rows) == 0)
		http_reply(r, 200, db_row_json(rows, 0));
}

/*
 * Ends a step inside its transaction: reloads the proposal, tells the
 * owner agency (kind_owner, may be NULL) and the DIC (kind_dic, may be
 * NULL), appends the audit row and replies status. before is taken.
 */
static void
finish(struct http_req *r, long long id, const char *action,
    json_object *before, const char *kind_owner, const char *kind_dic,
    int status)
{
	struct db_rows *rows;
	int st = DS_OK;

	if (load_or_reply(r, id, &rows)) {
		json_object_put(before);
		db_rollback();
		return;
	}
	if ((kind_owner != NULL && (st = notify(db_get_int(rows, 0,
	    "agency_id"), kind_owner, "proposal", id, notice(rows)))) ||
	    (kind_dic != NULL && (st = notify_dic(kind_dic, "proposal", id,
	    notice(rows))))) {
		json_object_put(before);
		tx_fail_reply(r, st);
		return;
	}
	tx_commit_reply(r, action, "proposal", id, before,
	    db_row_json(rows, 0), status);
}

void
proposal_create(struct http_req *r)
{
	static const char *insert =
	    "INSERT INTO catalog_proposals (kind, database_id, name, "
	    "  managing_unit, objective, scope, master_data, users_purposes, "
	    "  sources, sharing_methods, location, location_detail, "
	    "  legal_value, master_data_reference, serves_procedures, "
	    "  replacement, reason, agency_id, filed_by) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_param p[NPARAMS(spec) + 2];
	unsigned long long id;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    rules_or_reply(r, v[P_KIND].s, v, true) ||
	    target_or_reply(r, v[P_KIND].s, &v[P_DATABASE]))
		return;
	for (size_t i = 0; i < NPARAMS(spec); i++)
		p[i] = db_param_fval(&v[i], spec[i].type);
	p[NPARAMS(spec)] = P_INT(r->who.agency_id);
	p[NPARAMS(spec) + 1] = P_INT(r->who.account_id);
	if ((st = db_begin()) ||
	    (st = db_exec(insert, p, NPARAMS(p), NULL, &id))) {
		db_rollback();
		if (st == DS_ECONFLICT)
			http_error(r, 409, "conflict", "the database already "
			    "has an open proposal");
		else
			http_error_status(r, st);
		return;
	}
	finish(r, (long long)id, "proposal.file", NULL, NULL,
	    "catalog.proposal_filed", 201);
}

/*
 * The life of a proposal (Art. 7.1), as one table per actor: each endpoint
 * serves one actor (its role checked first), so a step of another actor
 * is, for it, a proposal in the wrong state (409), as a racing review
 * that lost finds it. Every SQL ends "WHERE id = ? AND status = ?".
 */
#define BY_DIC		(1u << 0)
#define BY_CHAIRMAN	(1u << 1)
#define BY_OWNER	(1u << 2)
#define FROM		", updated_at = UTC_TIMESTAMP(6) " \
			"WHERE id = ? AND status = ?"
/* An answer to a proposal: its status, the answer in column verb_col,
 * and (notes, who) in the answerer's columns. */
#define ANSWER(to, verb_col, verb, notes_col, by_col, at_col) \
	"UPDATE catalog_proposals SET status = '" to "', " \
	verb_col " = '" verb "', " notes_col " = ?, " by_col " = ?, " \
	at_col " = UTC_TIMESTAMP(6)" FROM

/* Art. 7.1, 7.2: the DIC reviews a submitted proposal: it recommends it
 * to the Chairman, returns it for changes or rejects it. Each takes
 * (notes, reviewer). */
#define REVIEW(to, action) ANSWER(to, "review_action", action, \
	"review_notes", "reviewed_by", "reviewed_at")
static const struct transition review_steps[] = {
	{ "submitted", "recommended", BY_DIC,
	  REVIEW("recommended", "recommend") },
	{ "submitted", "returned", BY_DIC, REVIEW("returned", "return") },
	{ "submitted", "rejected", BY_DIC, REVIEW("rejected", "reject") },
};
static const struct machine review_life =
    MACHINE("proposal", "conflict", review_steps);

/* Art. 7.1: the Chairman approves or rejects a recommended proposal, and
 * may still reject an approved one until a catalog version issues it.
 * Each takes (notes, decider). */
#define DECIDE(to, decision) ANSWER(to, "decision", decision, \
	"decision_notes", "decided_by", "decided_at")
static const struct transition decision_steps[] = {
	{ "recommended", "approved", BY_CHAIRMAN,
	  DECIDE("approved", "approve") },
	{ "recommended", "rejected", BY_CHAIRMAN,
	  DECIDE("rejected", "reject") },
	{ "approved", "rejected", BY_CHAIRMAN, DECIDE("rejected", "reject") },
};
static const struct machine decision_life =
    MACHINE("proposal", "conflict", decision_steps);

/* The owner agency edits a returned proposal (it stays returned; the
 * edit's own parameters first) and resubmits it. */
static const struct transition owner_steps[] = {
	{ "returned", "returned", BY_OWNER, "UPDATE catalog_proposals SET "
	  "name = IF(?, ?, name), managing_unit = IF(?, ?, managing_unit), "
	  "objective = IF(?, ?, objective), scope = IF(?, ?, scope), "
	  "master_data = IF(?, ?, master_data), "
	  "users_purposes = IF(?, ?, users_purposes), "
	  "sources = IF(?, ?, sources), "
	  "sharing_methods = IF(?, ?, sharing_methods), "
	  "location = IF(?, ?, location), "
	  "location_detail = IF(?, ?, location_detail), "
	  "legal_value = IF(?, ?, legal_value), "
	  "master_data_reference = IF(?, ?, master_data_reference), "
	  "serves_procedures = IF(?, ?, serves_procedures), "
	  "replacement = IF(?, ?, replacement), reason = IF(?, ?, reason)"
	  FROM },
	{ "returned", "submitted", BY_OWNER, "UPDATE catalog_proposals SET "
	  "status = 'submitted'" FROM },
};
static const struct machine owner_life =
    MACHINE("proposal", "conflict", owner_steps);

/* Takes the proposal before (loaded, the caller's role checked) to `to`
 * by the actor's table m, then notifies and replies. */
static void
step(struct http_req *r, const struct db_rows *before,
    const struct machine *m, unsigned who, const char *to,
    const struct db_param *p, size_t n, const char *action,
    const char *kind_owner, const char *kind_dic)
{
	const struct transition *t;

	if (transition_find_or_reply(r, m, db_get(before, 0, "status"), to,
	    who, &t) ||
	    transition_begin_or_reply(r, m, t, r->captures[0], p, n))
		return;
	finish(r, r->captures[0], action, db_row_json(before, 0), kind_owner,
	    kind_dic, 200);
}

/* The proposal of the path, which must be the caller's agency's, filed
 * by one of its officers or its focal point. */
static int
own_or_reply(struct http_req *r, struct db_rows **rows)
{
	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    load_or_reply(r, r->captures[0], rows))
		return DS_REPLIED;
	if (db_get_int(*rows, 0, "agency_id") != r->who.agency_id)
		return http_error(r, 404, "not_found", "no such proposal");
	return 0;
}

/* PATCH /catalog/proposals/{id}: the owner edits a returned proposal. */
void
proposal_update(struct http_req *r)
{
	/* Everything but kind and database_id, which a proposal keeps. */
	const struct field *edit = spec + P_NAME;
	const size_t nedit = NPARAMS(spec) - P_NAME;
	struct fval v[NPARAMS(spec)];
	struct db_param p[2 * (NPARAMS(spec) - P_NAME)];
	struct db_rows *rows;

	/* No field of spec is F_NULLABLE: a PATCH's null is a 422 for
	 * each (a returned proposal is edited, not emptied). */
	memset(v, 0, sizeof(v));
	if (own_or_reply(r, &rows) ||
	    json_read_or_reply(r, r->json, edit, nedit, v + P_NAME) ||
	    rules_or_reply(r, db_get(rows, 0, "kind"), v, false))
		return;
	patch_params(edit, v + P_NAME, nedit, p);
	step(r, rows, &owner_life, BY_OWNER, "returned", p, NPARAMS(p),
	    "proposal.update", NULL, NULL);
}

void
proposal_resubmit(struct http_req *r)
{
	struct db_rows *rows;

	if (own_or_reply(r, &rows) == 0)
		step(r, rows, &owner_life, BY_OWNER, "submitted", NULL, 0,
		    "proposal.resubmit", NULL, "catalog.proposal_filed");
}

/* Notes are required when the answer is not a yes (return, reject). */
static int
notes_or_reply(struct http_req *r, const char *answer, const char *yes,
    const struct fval *notes)
{
	if (strcmp(answer, yes) != 0 && !notes->present)
		return invalid_field(r, "notes", arena_printf(r->arena,
		    "are required to %s a proposal", answer));
	return 0;
}

/* POST /catalog/proposals/{id}/review: the DIC recommends, returns for
 * changes or rejects a submitted proposal (Art. 7.1, 7.2). */
void
proposal_review(struct http_req *r)
{
	static const char *const actions[] = { "recommend", "return",
	    "reject", NULL };
	enum { R_ACTION, R_NOTES, R__N };
	static const struct field rspec[R__N] = {
		[R_ACTION] = { "action", F_ENUM, true, 0, 0, actions },
		[R_NOTES] = { "notes", F_TEXT, false, 1, 5000, NULL },
	};
	static const char *const targets[] = { "recommended", "returned",
	    "rejected" };
	struct fval v[NPARAMS(rspec)];
	struct db_rows *rows;

	if (auth_require_role_or_reply(r, ROLE_DIC_ADMIN) ||
	    load_or_reply(r, r->captures[0], &rows) ||
	    json_read_or_reply(r, r->json, rspec, NPARAMS(rspec), v) ||
	    notes_or_reply(r, v[R_ACTION].s, "recommend", &v[R_NOTES]))
		return;
	{
		struct db_param p[] = { P_STR(v[R_NOTES].s),
		    P_INT(r->who.account_id) };
		size_t i = 0;

		while (strcmp(actions[i], v[R_ACTION].s) != 0)
			i++;
		step(r, rows, &review_life, BY_DIC, targets[i], p, NPARAMS(p),
		    "proposal.review", "catalog.proposal_reviewed", NULL);
	}
}

/* POST /catalog/proposals/{id}/decision: the Chairman approves or
 * rejects a recommended proposal (Art. 7.1). An approved one may still be
 * rejected until it is issued: one that no longer applies (its database
 * changed, its name was taken) would otherwise stop every later issue of
 * the catalog (versions.c). */
void
proposal_decide(struct http_req *r)
{
	static const char *const decisions[] = { "approve", "reject", NULL };
	enum { D_DECISION, D_NOTES, D__N };
	static const struct field dspec[D__N] = {
		[D_DECISION] = { "decision", F_ENUM, true, 0, 0, decisions },
		[D_NOTES] = { "notes", F_TEXT, false, 1, 5000, NULL },
	};
	struct fval v[NPARAMS(dspec)];
	struct db_rows *rows;

	if (auth_require_role_or_reply(r, ROLE_CHAIRMAN) ||
	    load_or_reply(r, r->captures[0], &rows) ||
	    json_read_or_reply(r, r->json, dspec, NPARAMS(dspec), v) ||
	    notes_or_reply(r, v[D_DECISION].s, "approve", &v[D_NOTES]))
		return;
	{
		struct db_param p[] = { P_STR(v[D_NOTES].s),
		    P_INT(r->who.account_id) };

		step(r, rows, &decision_life, BY_CHAIRMAN,
		    strcmp(v[D_DECISION].s, "approve") == 0 ? "approved" : "rejected", p,
		    NPARAMS(p), "proposal.decide", "catalog.proposal_decided",
		    "catalog.proposal_decided");
	}
}
