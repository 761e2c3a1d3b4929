/*
 * GET /reports/disputes (R8, R9.3): the tickets filed in the range by
 * category and state, how long their handlers took to acknowledge and to
 * resolve them, and which are overdue now (Art. 18; the limits are the
 * dispute module's settings). With agency_id: the tickets that agency
 * filed, handles, was first routed, or that concern it.
 */
#include "ds.h"
#include "report.h"

/* Tickets (alias d, view report_disputes) filed in the range. */
#define FROM_DISPUTES	" FROM " REPORT_PARAMS " JOIN report_disputes d"
#define WHERE_DISPUTES \
	" WHERE " IN_RANGE("d.created_at") " AND " FOR_AGENCY( \
	"d.filer_agency_id, d.agency_id, d.respondent_agency_id, " \
	"d.assignee_agency_id")
#define DISPUTES	FROM_DISPUTES WHERE_DISPUTES

#define OVERDUE		"(d.overdue_acknowledge OR d.overdue_resolve)"
#define COUNT_IF(cond)	"COUNT(IF(" cond ", 1, NULL))"
#define STATE_COUNTS \
	COUNT_IF("d.state = 'open'") " AS open, " \
	COUNT_IF("d.state = 'acknowledged'") " AS acknowledged, " \
	COUNT_IF("d.state = 'in_progress'") " AS in_progress, " \
	COUNT_IF("d.state = 'resolved'") " AS resolved, " \
	COUNT_IF("d.state = 'closed'") " AS closed, " \
	COUNT_IF("d.state = 'rejected'") " AS rejected"

static const struct report_section sections[] = {
	{ "summary", SECTION_OBJECT,
	  "SELECT COUNT(*) AS filed, "
	  "  " COUNT_IF(OVERDUE) " AS overdue, "
	  "  " COUNT_IF("d.overdue_acknowledge") " AS overdue_acknowledge, "
	  "  " COUNT_IF("d.overdue_resolve") " AS overdue_resolve, "
	  "  " COUNT_IF("d.resolved_late") " AS resolved_late, "
	  "  " COUNT_IF("d.escalated_at IS NOT NULL") " AS escalated"
	  DISPUTES },
	{ "by_state", SECTION_OBJECT, "SELECT " STATE_COUNTS DISPUTES },
	{ "by_category", SECTION_LIST,
	  "SELECT d.category, COUNT(*) AS filed, " STATE_COUNTS ", "
	  "  " COUNT_IF(OVERDUE) " AS overdue" DISPUTES
	  " GROUP BY d.category ORDER BY d.category" },
	/* start of the current round (filing or escalation) to its
	 * acknowledgement, hours */
	{ "time_to_acknowledge", SECTION_DURATIONS,
	  "SELECT d.hours_to_acknowledge AS hours" DISPUTES
	  " AND d.hours_to_acknowledge IS NOT NULL" },
	/* filing to the resolution that stands, hours */
	{ "time_to_resolve", SECTION_DURATIONS,
	  "SELECT d.hours_to_resolve AS hours" DISPUTES
	  " AND d.hours_to_resolve IS NOT NULL" },
	/* who holds the tickets now, and how they keep the limits */
	{ "by_assignee", SECTION_LIST,
	  "SELECT d.assignee_agency_id AS agency_id, a.name, "
	  "  COUNT(*) AS assigned, "
	  "  " COUNT_IF("d.state IN ('open', 'acknowledged', 'in_progress')")
	  "    AS unresolved, "
	  "  " COUNT_IF(OVERDUE) " AS overdue, "
	  "  " COUNT_IF("d.resolved_late") " AS resolved_late, "
	  "  AVG(d.hours_to_resolve) AS mean_hours_to_resolve"
	  FROM_DISPUTES " JOIN agencies a ON a.id = d.assignee_agency_id"
	  WHERE_DISPUTES
	  " GROUP BY d.assignee_agency_id, a.name "
	  "ORDER BY d.assignee_agency_id" },
};

void
report_disputes(struct http_req *r)
{
	struct report_filter f;

	if (report_filter_or_reply(r, &f) == 0)
		report_run(r, "disputes", &f, sections, NPARAMS(sections));
}
