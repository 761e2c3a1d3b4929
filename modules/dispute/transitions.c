/*
 * The life of a ticket (R8.3), as one table:
 *
 *   open -> acknowledged -> in_progress -> resolved -> closed
 *     \________________\______________\--> rejected (with a reason)
 *                                 resolved -> in_progress (reopen, once)
 *
 * Each step is taken by the assignee agency (an officer or its focal
 * point); closing also by the filer, who may instead reopen a resolved
 * ticket once. Escalation to DIC is its own action (disputes.c).
 *
 * POST /disputes/{id}/transition {"to": state, "reason": text}: a caller
 * who may never take the ticket to that state gets 403; a ticket not in a
 * state that leads there gets 409. Each step is one conditional UPDATE on
 * the state and assignee read before, so of two racing steps one wins and
 * the other gets 409.
 */
#include <string.h>

#include "ds.h"
#include "dispute.h"

#define BY_ASSIGNEE	PARTY_ASSIGNEE
#define BY_FILER	PARTY_FILER

/* Each statement takes (reason, id, assignee) when keeps_reason is set,
 * else (id, assignee). */
#define SET	"UPDATE disputes SET updated_at = UTC_TIMESTAMP(6), "
#define WHERE	" WHERE id = ? AND assignee_agency_id = ? AND state = "

static const struct ticket_step {
	const char	*from;
	const char	*to;
	unsigned	 by;		/* parties allowed */
	const char	*action;	/* dispute_events.action */
	bool		 reason_required;
	bool		 keeps_reason;	/* the statement stores the reason */
	bool		 once;		/* only while reopen_count = 0 */
	const char	*sql;
} transitions[] = {
	{ "open", "acknowledged", BY_ASSIGNEE, "acknowledge", false, false,
	  false, SET "state = 'acknowledged', "
	  "acknowledged_at = UTC_TIMESTAMP(6)" WHERE "'open'" },
	{ "acknowledged", "in_progress", BY_ASSIGNEE, "start", false, false,
	  false, SET "state = 'in_progress'" WHERE "'acknowledged'" },
	{ "in_progress", "resolved", BY_ASSIGNEE, "resolve", false, true,
	  false, SET "state = 'resolved', resolved_at = UTC_TIMESTAMP(6), "
	  "resolution = ?" WHERE "'in_progress'" },
	{ "resolved", "closed", BY_ASSIGNEE | BY_FILER, "close", false, false,
	  false, SET "state = 'closed', closed_at = UTC_TIMESTAMP(6)"
	  WHERE "'resolved'" },
	{ "resolved", "in_progress", BY_FILER, "reopen", false, false,
	  true, SET "state = 'in_progress', resolved_at = NULL, "
	  "reopen_count = reopen_count + 1" WHERE "'resolved' "
	  "AND reopen_count = 0" },
	{ "open", "rejected", BY_ASSIGNEE, "reject", true, true,
	  false, SET "state = 'rejected', rejected_at = UTC_TIMESTAMP(6), "
	  "rejection_reason = ?" WHERE "'open'" },
	{ "acknowledged", "rejected", BY_ASSIGNEE, "reject", true, true,
	  false, SET "state = 'rejected', rejected_at = UTC_TIMESTAMP(6), "
	  "rejection_reason = ?" WHERE "'acknowledged'" },
	{ "in_progress", "rejected", BY_ASSIGNEE, "reject", true, true,
	  false, SET "state = 'rejected', rejected_at = UTC_TIMESTAMP(6), "
	  "rejection_reason = ?" WHERE "'in_progress'" },
};

static const char *const targets[] = {
	"acknowledged", "in_progress", "resolved", "closed", "rejected", NULL
};

/* The step from d's state to `to` that the caller (parties) may take.
 * 403 when the caller may take no step to `to`, 409 when the ticket's
 * state has none (or the one reopening was used). */
static const struct ticket_step *
ticket_step_or_reply(struct http_req *r, const struct dispute *d,
    const char *to, unsigned parties)
{
	const struct ticket_step *t = NULL;
	unsigned allowed = 0;

	for (size_t i = 0; i < NPARAMS(transitions); i++) {
		if (strcmp(transitions[i].to, to) != 0)
			continue;
		allowed |= transitions[i].by;
		if (strcmp(transitions[i].from, d->state) == 0)
			t = &transitions[i];
	}
	if (!(parties & (t != NULL ? t->by : allowed))) {
		http_error(r, 403, "forbidden", "you may not move this ticket "
		    "to %s", to);
		return NULL;
	}
	if (t == NULL) {
		http_error(r, 409, "conflict", "a ticket in state %s cannot "
		    "move to %s", d->state, to);
		return NULL;
	}
	if (t->once && d->reopen_count > 0) {
		http_error(r, 409, "conflict", "the ticket was reopened once "
		    "already");
		return NULL;
	}
	return t;
}

void
dispute_transition(struct http_req *r)
{
	static const struct field spec[] = {
		{ "to", F_ENUM, true, 0, 0, targets },
		{ "reason", F_TEXT, false, 1, 5000, NULL },
	};
	struct fval v[NPARAMS(spec)];
	const struct ticket_step *t;
	struct dispute d;
	struct db_param p[3];
	unsigned long long n;
	size_t np = 0;
	int st;

	if (dispute_load_or_reply(r, r->captures[0], &d) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    (t = ticket_step_or_reply(r, &d, v[0].s,
	    dispute_parties(&r->who, &d, true))) == NULL)
		return;
	if (t->reason_required && !v[1].present) {
		json_detail(r, "reason", "is required to reject a ticket");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	if (t->keeps_reason)
		p[np++] = P_STR(v[1].s);
	p[np++] = P_INT(d.id);
	p[np++] = P_INT(d.assignee_agency_id);
	if ((st = db_begin()) || (st = db_exec(t->sql, p, np, &n, NULL))) {
		db_rollback();
		http_error_status(r, st);
		return;
	}
	if (n == 0) {
		db_rollback();
		http_error(r, 409, "conflict", "the ticket changed meanwhile; "
		    "reload it");
		return;
	}
	dispute_record_and_reply(r, &d, d.id, t->action, v[1].s, 200);
}
