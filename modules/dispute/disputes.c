/*
 * Dispute tickets (R8; Art. 16.1.đ, 17.1.b, 17.2.d, 18): any agency files
 * one about data, a refusal, a suspension, access or a technical matter;
 * it is routed (routing.c), moves through its states (transitions.c),
 * can be escalated to DIC, and carries due dates (deadlines.c).
 *
 * A ticket is seen by its filer, its assignee, the agency it was first
 * routed to (which stays a party after an escalation) and DIC; auditors
 * read it too. Every other agency gets 404 (R10.1).
 */
#include <string.h>

#include "ds.h"
#include "dispute.h"

/* Roles that may read tickets, and those that may act on them (file,
 * move, escalate, comment): people of an agency, not consumer systems. */
#define READERS	(ROLE_ANY_AGENCY | ROLE_DIC_ADMIN | ROLE_CHAIRMAN | ROLE_AUDITOR)
#define ACTORS	(ROLE_ANY_AGENCY | ROLE_DIC_ADMIN)

static const char *const categories[] = {
	"data", "technical", "standards", "refusal", "suspension", "access",
	"other", NULL
};
static const char *const object_types[] = {
	"sharing_request", "grant", "suspension", "dataset", NULL
};
static const char *const states[] = {
	"open", "acknowledged", "in_progress", "resolved", "closed",
	"rejected", NULL
};

/* Overdue (R8.3): not acknowledged by the acknowledge limit, or not
 * resolved by the resolve limit, on the database's clock. */
#define OVERDUE \
	"((d.state = 'open' AND d.ack_due_at < UTC_TIMESTAMP(6)) OR " \
	" (d.state IN ('open', 'acknowledged', 'in_progress') AND " \
	"  d.resolve_due_at < UTC_TIMESTAMP(6)))"

#define DISPUTE_COLS \
	"d.id, d.subject, d.description, d.category, d.state, " \
	"d.filer_agency_id, d.filer_account_id, d.agency_id, d.object_type, " \
	"d.object_id, d.respondent_agency_id, d.assignee_agency_id, " \
	"d.assignee_account_id, d.assignment_rule, d.assignment_reason, " \
	"d.ack_due_at, d.resolve_due_at, d.acknowledged_at, d.resolved_at, " \
	"d.closed_at, d.rejected_at, d.resolution, d.rejection_reason, " \
	"d.reopen_count, d.escalated_at, d.escalated_by_agency_id, " \
	"d.created_at, d.updated_at, " OVERDUE " AS overdue_bool"

static const char *sql_load =
    "SELECT " DISPUTE_COLS " FROM disputes d WHERE d.id = ?";

/* Loads ticket id, whoever may see it. DS_ENOTFOUND when absent. */
static int
dispute_load(struct arena *a, long long id, struct dispute *d)
{
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	memset(d, 0, sizeof(*d));
	if ((st = db_query(a, sql_load, p, 1, &rows)) != DS_OK)
		return st;
	if (rows->nrows != 1)
		return DS_ENOTFOUND;
	d->id = id;
	d->state = db_get(rows, 0, "state");
	d->subject = db_get(rows, 0, "subject");
	d->filer_agency_id = db_get_int(rows, 0, "filer_agency_id");
	d->respondent_agency_id = db_get_int(rows, 0, "respondent_agency_id");
	d->assignee_agency_id = db_get_int(rows, 0, "assignee_agency_id");
	d->reopen_count = db_get_int(rows, 0, "reopen_count");
	d->rows = rows;
	return DS_OK;
}

unsigned
dispute_parties(const struct identity *who, const struct dispute *d,
    bool acting)
{
	unsigned p = 0;

	if (!auth_has_role(who, acting ? ACTORS : READERS))
		return 0;
	if (who->agency_id == d->filer_agency_id)
		p |= PARTY_FILER;
	if (who->agency_id == d->assignee_agency_id)
		p |= PARTY_ASSIGNEE;
	if (who->agency_id == d->respondent_agency_id)
		p |= PARTY_RESPONDENT;
	/* Issue 16: DIC's privileges come from the role, never from
	 * membership of the DIC's agency. */
	if (auth_has_role(who, ROLE_DIC_ADMIN))
		p |= PARTY_DIC;
	if (!acting && auth_has_role(who, ROLE_AUDITOR))
		p |= PARTY_AUDITOR;
	return p;
}

int
dispute_load_or_reply(struct http_req *r, long long id, struct dispute *d)
{
	int st;

	if (auth_require_role_or_reply(r, READERS))
		return DS_REPLIED;
	if ((st = dispute_load(r->arena, id, d)) != DS_OK)
		return http_error_status(r, st);
	/* Tickets of other agencies are invisible, not forbidden. */
	if (dispute_parties(&r->who, d, false) == 0)
		return http_error_status(r, DS_ENOTFOUND);
	return 0;
}

int
dispute_event_append(const struct identity *who, long long dispute_id,
    const char *action, const char *from_state, const char *to_state,
    long long from_assignee, long long to_assignee, const char *reason)
{
	static const char *sql =
	    "INSERT INTO dispute_events (dispute_id, action, from_state, "
	    "  to_state, from_assignee_agency_id, to_assignee_agency_id, "
	    "  actor_account_id, actor_agency_id, reason) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct db_param p[] = {
		P_INT(dispute_id), P_STR(action), P_STR(from_state),
		P_STR(to_state), from_assignee ? P_INT(from_assignee) : P_NULL,
		P_INT(to_assignee), P_INT(who->account_id),
		P_INT(who->agency_id), P_STR(reason),
	};

	return db_exec(sql, p, NPARAMS(p), NULL, NULL);
}

int
dispute_notify_parties(const struct identity *who, const struct dispute *d,
    const char *kind, json_object *payload)
{
	long long to[] = { d->filer_agency_id, d->respondent_agency_id,
	    d->assignee_agency_id };
	int st = DS_OK;

	for (size_t i = 0; i < NPARAMS(to) && st == DS_OK; i++) {
		bool seen = to[i] == who->agency_id;

		for (size_t j = 0; j < i; j++)
			seen = seen || to[j] == to[i];
		if (!seen)
			st = notify(to[i], kind, "dispute", d->id,
			    json_object_get(payload));
	}
	json_object_put(payload);
	return st;
}

static json_object *
notice(const struct dispute *d, const char *action)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "dispute_id", json_object_new_int64(d->id));
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "state", json_object_new_string(d->state));
	json_object_object_add(o, "subject",
	    json_object_new_string(d->subject));
	json_object_object_add(o, "assignee_agency_id",
	    json_object_new_int64(d->assignee_agency_id));
	return o;
}

void
dispute_record_and_reply(struct http_req *r, const struct dispute *before,
    long long id, const char *action, const char *reason, int status)
{
	const char *kind = arena_printf(r->arena, "dispute.%s", action);
	struct dispute after;
	json_object *o;
	int st;

	if ((st = dispute_load(r->arena, id, &after)) ||
	    (st = dispute_event_append(&r->who, id, action,
	    before ? before->state : NULL, after.state,
	    before ? before->assignee_agency_id : 0,
	    after.assignee_agency_id, reason)))
		goto fail;
	o = db_row_json(after.rows, 0);
	if ((st = audit_append(&r->who, kind, "dispute", id,
	    before ? db_row_json(before->rows, 0) : NULL,
	    json_object_get(o))) ||
	    (st = dispute_notify_parties(&r->who, &after, kind,
	    notice(&after, action))) || (st = db_commit())) {
		json_object_put(o);
		goto fail;
	}
	http_reply(r, status, o);
	return;
fail:
	db_rollback();
	http_error_status(r, st);
}

void
disputes_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " DISPUTE_COLS " FROM disputes d "
	    "WHERE (? OR d.filer_agency_id = ? OR d.assignee_agency_id = ? "
	    "    OR d.respondent_agency_id = ?) "
	    "  AND (? IS NULL OR d.state = ?) "
	    "  AND (? IS NULL OR d.category = ?) "
	    "  AND (? = 0 OR ? IN (d.filer_agency_id, d.assignee_agency_id, "
	    "      d.respondent_agency_id, d.agency_id)) "
	    "  AND (? = 0 OR " OVERDUE ") "
	    "  AND (? = 0 OR d.id < ?) "
	    "ORDER BY d.id DESC LIMIT ?";
	enum { Q_STATE, Q_CATEGORY, Q_AGENCY, Q_OVERDUE, Q__N };
	static const struct field query[Q__N] = {
		[Q_STATE] = { "state", F_ENUM, false, 0, 0, states },
		[Q_CATEGORY] = { "category", F_ENUM, false, 0, 0, categories },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_OVERDUE] = { "overdue", F_BOOL, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *state, *category;
	long long agency;
	struct db_rows *rows;
	struct page pg;
	bool overdue, all;
	int st;

	if (auth_require_role_or_reply(r, READERS) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	state = q[Q_STATE].s;
	category = q[Q_CATEGORY].s;
	agency = q[Q_AGENCY].i;
	overdue = q[Q_OVERDUE].i != 0;
	/* DIC and auditors see every ticket; others their agency's. */
	all = auth_has_role(&r->who, ROLE_DIC_ADMIN | ROLE_AUDITOR);
	{
		long long me = r->who.agency_id;
		struct db_param p[] = {
			P_INT(all), P_INT(me), P_INT(me), P_INT(me),
			P_STR(state), P_STR(state), P_STR(category),
			P_STR(category), P_INT(agency), P_INT(agency),
			P_INT(overdue), P_INT(pg.after), P_INT(pg.after),
			P_INT(pg.limit),
		};

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	http_reply_page_rows(r, &pg, rows);
}

void
dispute_show(struct http_req *r)
{
	static const char *sql =
	    "SELECT id, action, from_state, to_state, "
	    "  from_assignee_agency_id, to_assignee_agency_id, "
	    "  actor_account_id, actor_agency_id, reason, created_at "
	    "FROM dispute_events WHERE dispute_id = ? ORDER BY id";
	struct dispute d;
	struct db_rows *events;
	json_object *o;
	int st;

	if (dispute_load_or_reply(r, r->captures[0], &d))
		return;
	{
		struct db_param p[] = { P_INT(d.id) };

		if ((st = db_query(r->arena, sql, p, 1, &events))) {
			http_error_status(r, st);
			return;
		}
	}
	o = db_row_json(d.rows, 0);
	/* The history is short: a ticket has at most a dozen steps. */
	json_object_object_add(o, "events", db_rows_json(events));
	http_reply(r, 200, o);
}

void
dispute_create(struct http_req *r)
{
	enum { SUBJECT, DESCRIPTION, CATEGORY, AGENCY, OTYPE, OID, NDFIELDS };
	static const struct field spec[NDFIELDS] = {
		[SUBJECT] = { "subject", F_STRING, true, 1, 255, NULL },
		[DESCRIPTION] = { "description", F_TEXT, true, 1, 20000, NULL },
		[CATEGORY] = { "category", F_ENUM, true, 0, 0, categories },
		[AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[OTYPE] = { "object_type", F_ENUM, false, 0, 0, object_types },
		[OID] = { "object_id", F_ID, false, 0, 0, NULL },
	};
	static const char *insert =
	    "INSERT INTO disputes (subject, description, category, "
	    "  filer_agency_id, filer_account_id, agency_id, object_type, "
	    "  object_id, respondent_agency_id, assignee_agency_id, "
	    "  assignee_account_id, assignment_rule, assignment_reason, "
	    "  ack_due_at, resolve_due_at, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct routing rt;
	struct dispute_dues due;
	unsigned long long id;
	int st;

	if (auth_require_role_or_reply(r, ACTORS) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    routing_decide_or_reply(r, v[CATEGORY].s, &v[AGENCY], &v[OTYPE],
	    &v[OID], &rt))
		return;
	if ((st = db_begin()) || (st = dispute_dues(r->arena, &due)))
		goto fail;
	{
		struct db_param p[] = {
			P_STR(v[SUBJECT].s), P_STR(v[DESCRIPTION].s),
			P_STR(v[CATEGORY].s), P_INT(r->who.agency_id),
			P_INT(r->who.account_id), P_INT(rt.agency_id),
			db_param_fval(&v[OTYPE], F_ENUM),
			db_param_fval(&v[OID], F_ID),
			P_INT(rt.assignee_agency_id),
			P_INT(rt.assignee_agency_id),
			rt.assignee_account_id ? P_INT(rt.assignee_account_id) :
			    P_NULL,
			P_STR(rt.rule), P_STR(rt.reason), P_STR(due.ack),
			P_STR(due.resolve), P_STR(due.now), P_STR(due.now),
		};

		if ((st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
	}
	dispute_record_and_reply(r, NULL, (long long)id, "file", rt.reason,
	    201);
	return;
fail:
	db_rollback();
	http_error_status(r, st);
}

/*
 * Escalation (R8.2): the filer or the assignee sends the ticket to DIC
 * with a reason. DIC becomes the assignee (its focal point when named)
 * and must acknowledge it afresh, with due dates counted from now; the
 * first assignee stays a party (respondent) and the history keeps both.
 */

/* Where d escalates to: DIC's agency and focal point; 409 when DIC has
 * it already (or filed it), or the ticket is over. */
static int
escalation_target_or_reply(struct http_req *r, const struct dispute *d,
    long long *dic, long long *focal)
{
	int st;

	if ((st = routing_dic_agency(r->arena, dic)) ||
	    (st = routing_focal_point(r->arena, *dic, focal)))
		return http_error_status(r, st == DS_ENOTFOUND ? DS_ERR : st);
	if (d->assignee_agency_id == *dic || d->filer_agency_id == *dic)
		return http_error(r, 409, "conflict",
		    "the ticket is already DIC's");
	if (strcmp(d->state, "closed") == 0 ||
	    strcmp(d->state, "rejected") == 0)
		return http_error(r, 409, "conflict", "a %s ticket cannot be "
		    "escalated", d->state);
	return 0;
}

void
dispute_escalate(struct http_req *r)
{
	enum { DE_REASON, DE__N };
	static const struct field spec[DE__N] = {
		[DE_REASON] = { "reason", F_TEXT, true, 1, 5000, NULL },
	};
	/* Conditional on the state and assignee read: a step racing this
	 * one makes one of them 409. */
	static const char *sql =
	    "UPDATE disputes SET state = 'open', assignee_agency_id = ?, "
	    "  assignee_account_id = ?, assignment_rule = 'escalated', "
	    "  assignment_reason = ?, ack_due_at = ?, resolve_due_at = ?, "
	    "  acknowledged_at = NULL, resolved_at = NULL, escalated_at = ?, "
	    "  escalated_by_agency_id = ?, updated_at = ? "
	    "WHERE id = ? AND assignee_agency_id = ? AND state = ?";
	struct fval v[NPARAMS(spec)];
	struct dispute d;
	struct dispute_dues due;
	long long dic, focal;
	unsigned long long n;
	const char *why;
	int st;

	if (dispute_load_or_reply(r, r->captures[0], &d))
		return;
	if (!(dispute_parties(&r->who, &d, true) &
	    (PARTY_FILER | PARTY_ASSIGNEE))) {
		http_error(r, 403, "forbidden", "only the filer or the "
		    "assignee may escalate a ticket");
		return;
	}
	if (json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    escalation_target_or_reply(r, &d, &dic, &focal))
		return;
	why = arena_printf(r->arena, "escalated to DIC by the %s: %s",
	    r->who.agency_id == d.filer_agency_id ? "filer" : "assignee",
	    v[DE_REASON].s);
	if ((st = db_begin()) || (st = dispute_dues(r->arena, &due)))
		goto fail;
	{
		struct db_param p[] = {
			P_INT(dic), focal ? P_INT(focal) : P_NULL, P_STR(why),
			P_STR(due.ack), P_STR(due.resolve), P_STR(due.now),
			P_INT(r->who.agency_id), P_STR(due.now), P_INT(d.id),
			P_INT(d.assignee_agency_id), P_STR(d.state),
		};

		if ((st = db_exec(sql, p, NPARAMS(p), &n, NULL)))
			goto fail;
	}
	if (n == 0) {
		db_rollback();
		http_error(r, 409, "conflict", "the ticket changed meanwhile; "
		    "reload it");
		return;
	}
	dispute_record_and_reply(r, &d, d.id, "escalate", v[DE_REASON].s, 200);
	return;
fail:
	db_rollback();
	http_error_status(r, st);
}
