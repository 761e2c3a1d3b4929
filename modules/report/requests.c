/*
 * GET /reports/sharing-requests (R9.3): the sharing requests filed in the
 * range, by state and by provider and consumer agency, and how long
 * providers took to decide them (Art. 16.1.đ; Decree 47/2020 Art. 35.3).
 * With agency_id: the requests that agency filed or received.
 */
#include "ds.h"
#include "report.h"

/* Requests (alias v, view report_requests) filed in the range, of the
 * agency asked for; a section may join tables between the two halves. */
#define FROM_REQUESTS	" FROM " REPORT_PARAMS " JOIN report_requests v"
#define WHERE_REQUESTS \
	" WHERE " IN_RANGE("v.created_at") \
	" AND " FOR_AGENCY("v.provider_agency_id, v.consumer_agency_id")
#define REQUESTS	FROM_REQUESTS WHERE_REQUESTS

#define STATE_COUNTS \
	"COUNT(IF(v.status = 'submitted', 1, NULL)) AS submitted, " \
	"COUNT(IF(v.status = 'approved', 1, NULL)) AS approved, " \
	"COUNT(IF(v.status = 'refused', 1, NULL)) AS refused, " \
	"COUNT(IF(v.status = 'withdrawn', 1, NULL)) AS withdrawn"

/* One agency side's row: counts and the mean time it took to decide. */
#define BY_SIDE(side) \
	"SELECT v." side " AS agency_id, a.name, COUNT(*) AS filed, " \
	STATE_COUNTS ", COUNT(IF(v.overdue, 1, NULL)) AS overdue, " \
	"AVG(v.hours_to_decide) AS mean_hours_to_decide" \
	FROM_REQUESTS " JOIN agencies a ON a.id = v." side WHERE_REQUESTS \
	" GROUP BY v." side ", a.name ORDER BY v." side

static const struct report_section sections[] = {
	{ "summary", SECTION_OBJECT,
	  "SELECT COUNT(*) AS filed, "
	  "  COUNT(v.hours_to_decide) AS decided, "
	  "  COUNT(IF(v.status = 'submitted', 1, NULL)) AS pending, "
	  "  COUNT(IF(v.overdue, 1, NULL)) AS overdue" REQUESTS },
	{ "by_state", SECTION_OBJECT, "SELECT " STATE_COUNTS REQUESTS },
	/* filing to approval or refusal, hours */
	{ "time_to_decide", SECTION_DURATIONS,
	  "SELECT v.hours_to_decide AS hours" REQUESTS
	  " AND v.hours_to_decide IS NOT NULL" },
	{ "by_provider", SECTION_LIST,
	  BY_SIDE("provider_agency_id") },
	{ "by_consumer", SECTION_LIST,
	  BY_SIDE("consumer_agency_id") },
};

void
report_sharing_requests(struct http_req *r)
{
	struct report_filter f;

	if (report_filter_or_reply(r, &f) == 0)
		report_run(r, "sharing-requests", &f, sections,
		    NPARAMS(sections));
}
