/*
 * GET /reports/suspensions (R7, R9.3): the suspensions recorded in the
 * range by legal ground, the consumers told late (Art. 16.2.h: within
 * suspension_notice_hours of the determination, a setting of the
 * suspension module) and the terminations by ground (Decree 47/2020
 * Art. 43, 44). With agency_id: where that agency is provider or
 * consumer.
 */
#include "ds.h"
#include "report.h"

/* Suspensions (alias s) recorded in the range, of the agency. */
#define FROM_SUSPENSIONS	" FROM " REPORT_PARAMS " JOIN suspensions s"
#define WHERE_SUSPENSIONS \
	" WHERE " IN_RANGE("s.created_at") \
	" AND " FOR_AGENCY("s.provider_agency_id, s.consumer_agency_id")
#define SUSPENSIONS	FROM_SUSPENSIONS WHERE_SUSPENSIONS
/* Terminations (alias t) made in the range, of the agency. */
#define TERMINATIONS \
	" FROM " REPORT_PARAMS " JOIN terminations t" \
	" WHERE " IN_RANGE("t.created_at") \
	" AND " FOR_AGENCY("t.provider_agency_id, t.consumer_agency_id")

#define SUSPENSION_COUNTS \
	"COUNT(*) AS suspensions, " \
	"COUNT(IF(s.state = 'in_force', 1, NULL)) AS in_force, " \
	"COUNT(IF(s.state = 'lifted', 1, NULL)) AS lifted, " \
	"COUNT(IF(s.notice_late, 1, NULL)) AS late_notices"

#define TERMINATION_COUNTS \
	"COUNT(*) AS terminations, " \
	"COUNT(IF(t.imposed_by = 'dic', 1, NULL)) AS imposed_by_dic, " \
	"CAST(COALESCE(SUM(t.accounts_revoked), 0) AS UNSIGNED) " \
	"  AS accounts_revoked"

static const struct report_section sections[] = {
	{ "summary", SECTION_OBJECT,
	  "SELECT " SUSPENSION_COUNTS SUSPENSIONS },
	{ "by_ground", SECTION_LIST,
	  "SELECT s.legal_ground, " SUSPENSION_COUNTS SUSPENSIONS
	  " GROUP BY s.legal_ground ORDER BY s.legal_ground" },
	/* by the provider of the suspended grants (whoever imposed them) */
	{ "by_provider", SECTION_LIST,
	  "SELECT s.provider_agency_id AS agency_id, a.name, "
	  SUSPENSION_COUNTS FROM_SUSPENSIONS
	  " JOIN agencies a ON a.id = s.provider_agency_id" WHERE_SUSPENSIONS
	  " GROUP BY s.provider_agency_id, a.name "
	  "ORDER BY s.provider_agency_id" },
	/* each notice sent after its limit, and by how much */
	{ "late_notices", SECTION_LIST,
	  "SELECT s.id AS suspension_id, s.grant_id, s.provider_agency_id, "
	  "  s.consumer_agency_id, s.legal_ground, s.imposed_by, "
	  "  s.determined_at, s.notice_due_at, s.notice_sent_at, "
	  "  TIMESTAMPDIFF(MICROSECOND, s.notice_due_at, s.notice_sent_at) "
	  "    / 3600000000 AS hours_late" SUSPENSIONS
	  " AND s.notice_late <> 0 ORDER BY s.id" },
	{ "terminations", SECTION_OBJECT,
	  "SELECT " TERMINATION_COUNTS TERMINATIONS },
	{ "terminations_by_ground", SECTION_LIST,
	  "SELECT t.legal_ground, " TERMINATION_COUNTS TERMINATIONS
	  " GROUP BY t.legal_ground ORDER BY t.legal_ground" },
};

void
report_suspensions(struct http_req *r)
{
	struct report_filter f;

	if (report_filter_or_reply(r, &f) == 0)
		report_run(r, "suspensions", &f, sections, NPARAMS(sections));
}
