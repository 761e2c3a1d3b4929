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
 * POST /disputes/{id}/transition {"to": state, "reason": text}: the core
 * runs the table (transition.c), as for every resource: a caller who may
 * never take the ticket to that state gets 403; a ticket not in a state
 * that leads there gets 409. Each step is one conditional UPDATE on the
 * state and assignee read before, so of two racing steps one wins and the
 * other gets 409.
 */
#include <string.h>

#include "ds.h"
#include "dispute.h"

#define BY_ASSIGNEE	PARTY_ASSIGNEE
#define BY_FILER	PARTY_FILER

/* Each statement takes (reason) when keeps_reason is set, then the
 * assignee; the core adds the id and the state it leaves. */
#define SET	"UPDATE disputes SET updated_at = UTC_TIMESTAMP(6), "
#define WHERE	" WHERE assignee_agency_id = ? AND id = ? AND state = ?"

/* A step of a ticket: the core's step, and what the ticket records. */
struct ticket_step {
	struct transition step;		/* first: what the core reads */
	const char	*action;	/* dispute_events.action */
	bool		 reason_required;
	bool		 keeps_reason;	/* the statement stores the reason */
	bool		 once;		/* only while reopen_count = 0 */
};

static const struct ticket_step steps[] = {
	{ { "open", "acknowledged", BY_ASSIGNEE, SET "state = 'acknowledged', "
	  "acknowledged_at = UTC_TIMESTAMP(6)" WHERE }, "acknowledge", false,
	  false, false },
	{ { "acknowledged", "in_progress", BY_ASSIGNEE,
	  SET "state = 'in_progress'" WHERE }, "start", false, false, false },
	{ { "in_progress", "resolved", BY_ASSIGNEE, SET "state = 'resolved', "
	  "resolved_at = UTC_TIMESTAMP(6), resolution = ?" WHERE }, "resolve",
	  false, true, false },
	{ { "resolved", "closed", BY_ASSIGNEE | BY_FILER,
	  SET "state = 'closed', closed_at = UTC_TIMESTAMP(6)" WHERE }, "close",
	  false, false, false },
	{ { "resolved", "in_progress", BY_FILER, SET "state = 'in_progress', "
	  "resolved_at = NULL, reopen_count = reopen_count + 1" WHERE
	  " AND reopen_count = 0" }, "reopen", false, false, true },
	{ { "open", "rejected", BY_ASSIGNEE, SET "state = 'rejected', "
	  "rejected_at = UTC_TIMESTAMP(6), rejection_reason = ?" WHERE },
	  "reject", true, true, false },
	{ { "acknowledged", "rejected", BY_ASSIGNEE, SET "state = 'rejected', "
	  "rejected_at = UTC_TIMESTAMP(6), rejection_reason = ?" WHERE },
	  "reject", true, true, false },
	{ { "in_progress", "rejected", BY_ASSIGNEE, SET "state = 'rejected', "
	  "rejected_at = UTC_TIMESTAMP(6), rejection_reason = ?" WHERE },
	  "reject", true, true, false },
};
static const struct machine ticket_life = MACHINE("ticket", "conflict", steps);

static const char *const targets[] = {
	"acknowledged", "in_progress", "resolved", "closed", "rejected", NULL
};

/* The step from d's state to `to` that the caller (parties) may take:
 * the core's 403 or 409, and 409 when the one reopening was used. */
static const struct ticket_step *
ticket_step_or_reply(struct http_req *r, const struct dispute *d,
    const char *to, unsigned parties)
{
	const struct transition *t;

	if (transition_find_or_reply(r, &ticket_life, d->state, to, parties,
	    &t))
		return NULL;
	/* The core found it in steps[], whose elements begin with it. */
	if (((const struct ticket_step *)t)->once && d->reopen_count > 0) {
		http_error(r, 409, "conflict", "the ticket was reopened once "
		    "already");
		return NULL;
	}
	return (const struct ticket_step *)t;
}

void
dispute_transition(struct http_req *r)
{
	enum { DT_TO, DT_REASON, DT__N };
	static const struct field spec[DT__N] = {
		[DT_TO] = { "to", F_ENUM, true, 0, 0, targets },
		[DT_REASON] = { "reason", F_TEXT, false, 1, 5000, NULL },
	};
	struct fval v[NPARAMS(spec)];
	const struct ticket_step *t;
	struct dispute d;
	struct db_param p[2];
	size_t np = 0;

	if (dispute_load_or_reply(r, r->captures[0], &d) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    (t = ticket_step_or_reply(r, &d, v[DT_TO].s,
	    dispute_parties(&r->who, &d, true))) == NULL)
		return;
	if (t->reason_required && !v[DT_REASON].present) {
		json_detail(r, "reason", "is required to reject a ticket");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	if (t->keeps_reason)
		p[np++] = P_STR(v[DT_REASON].s);
	p[np++] = P_INT(d.assignee_agency_id);
	if (transition_begin_or_reply(r, &ticket_life, &t->step, d.id, p, np))
		return;
	dispute_record_and_reply(r, &d, d.id, t->action, v[DT_REASON].s, 200);
}
