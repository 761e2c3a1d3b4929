/*
 * A grant's status, owned in one place (issue 17, item 4). The sharing
 * module makes grants and expires them; the suspension module suspends,
 * lifts and terminates them. Both are separate executables on one
 * schema, so what a status means and how it changes live here, in the
 * core library they both link: one definition of "past its end", one
 * definition of the status callers see, and one function that writes a
 * change (grant_state.c).
 */
#ifndef GRANT_STATE_H
#define GRANT_STATE_H

#include "ds.h"

/* Whether grant g (an SQL alias or table name, as a string literal) is
 * past its end by the database clock: the one definition of "expired"
 * (Art. 14.5: a fixed term ends; an indefinite one has no end). */
#define GRANT_PAST_END_SQL(g) \
	"(" g ".ends_at IS NOT NULL AND " g ".ends_at <= UTC_TIMESTAMP(6))"

/* A grant's status as callers see it: an active grant past its end is
 * expired, whether or not the sweep has written it yet. The view
 * report_grants (sql/0006_report.sql) spells the same rule for the report
 * module: a change here needs a migration of that view. */
#define GRANT_EFFECTIVE_STATUS_SQL(g) \
	"CASE WHEN " g ".status = 'active' AND " GRANT_PAST_END_SQL(g) \
	" THEN 'expired' ELSE " g ".status END"

/* Moves grant id from status `from` to `to` inside the caller's open
 * transaction, when grant_steps (grant_state.c) has that step: one
 * conditional UPDATE (a step to 'expired' also needs the grant past its
 * end, a step back to 'active' needs it not), then the audit row (action,
 * before and after status; who may be NULL for the sweep). DS_OK,
 * DS_ECONFLICT when the grant was not in from (or no such step exists),
 * or a database status. */
int	 grant_status_move(const struct identity *who, long long id,
	    const char *from, const char *to, const char *action);

#endif
