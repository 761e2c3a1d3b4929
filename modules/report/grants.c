/*
 * GET /reports/grants (R9.3, R5): how many grants are active, expired,
 * suspended and terminated, and how much data went through them: the
 * access-log rows written in the range, per grant and per agency.
 * Expired is computed from the database clock (view report_grants), as
 * the sharing module shows it. With agency_id: the grants and accesses
 * where that agency is provider or consumer.
 */
#include "ds.h"
#include "report.h"

#define STATUS_COUNTS \
	"COUNT(*) AS total, " \
	"COUNT(IF(g.status = 'active', 1, NULL)) AS active, " \
	"COUNT(IF(g.status = 'expired', 1, NULL)) AS expired, " \
	"COUNT(IF(g.status = 'suspended', 1, NULL)) AS suspended, " \
	"COUNT(IF(g.status = 'terminated', 1, NULL)) AS `terminated`"
#define GRANTS_OF_AGENCY \
	" FROM " REPORT_PARAMS " JOIN report_grants g " \
	"WHERE " FOR_AGENCY("g.provider_agency_id, g.consumer_agency_id")

/* Access-log rows (alias l) written in the range, of the agency. */
#define FROM_ACCESS	" FROM " REPORT_PARAMS " JOIN access_log l"
#define WHERE_ACCESS \
	" WHERE " IN_RANGE("l.created_at") \
	" AND " FOR_AGENCY("l.provider_agency_id, l.consumer_agency_id")
/* Delivered bytes of the rows matching cond (refusals carry none). */
#define BYTES(cond) \
	"CAST(COALESCE(SUM(IF(l.outcome = 'delivered' AND " cond ", " \
	"l.bytes, 0)), 0) AS UNSIGNED)"
#define COUNT_IF(cond)	"COUNT(IF(" cond ", 1, NULL))"

static const struct report_section sections[] = {
	/* every grant, whenever made, by its status now */
	{ "status_now", SECTION_OBJECT,
	  "SELECT " STATUS_COUNTS GRANTS_OF_AGENCY },
	/* grants made in the range, by their status now */
	{ "made_in_range", SECTION_OBJECT,
	  "SELECT " STATUS_COUNTS GRANTS_OF_AGENCY
	  " AND " IN_RANGE("g.created_at") },
	{ "accesses", SECTION_OBJECT,
	  "SELECT COUNT(*) AS accesses, "
	  "  " COUNT_IF("l.outcome = 'delivered'") " AS delivered, "
	  "  " COUNT_IF("l.outcome = 'refused'") " AS refused, "
	  "  " BYTES("1") " AS bytes, "
	  "  COUNT(DISTINCT l.grant_id) AS grants_used"
	  FROM_ACCESS WHERE_ACCESS },
	{ "by_grant", SECTION_LIST,
	  "SELECT l.grant_id, g.provider_agency_id, g.consumer_agency_id, "
	  "  g.dataset_id, g.status, COUNT(*) AS accesses, "
	  "  " COUNT_IF("l.outcome = 'delivered'") " AS delivered, "
	  "  " COUNT_IF("l.outcome = 'refused'") " AS refused, "
	  "  " BYTES("1") " AS bytes"
	  FROM_ACCESS " JOIN report_grants g ON g.id = l.grant_id"
	  WHERE_ACCESS
	  " GROUP BY l.grant_id, g.provider_agency_id, g.consumer_agency_id, "
	  "  g.dataset_id, g.status ORDER BY l.grant_id" },
	/* each agency as the one that fetched (consumer) and as the one
	 * whose data was served (provider) */
	{ "by_agency", SECTION_LIST,
	  "SELECT a.id AS agency_id, a.name, "
	  "  " COUNT_IF("l.consumer_agency_id = a.id") " AS fetched, "
	  "  " COUNT_IF("l.consumer_agency_id = a.id AND l.outcome = 'refused'")
	  "    AS fetched_refused, "
	  "  " BYTES("l.consumer_agency_id = a.id") " AS fetched_bytes, "
	  "  " COUNT_IF("l.provider_agency_id = a.id") " AS served, "
	  "  " COUNT_IF("l.provider_agency_id = a.id AND l.outcome = 'refused'")
	  "    AS served_refused, "
	  "  " BYTES("l.provider_agency_id = a.id") " AS served_bytes"
	  FROM_ACCESS " JOIN agencies a "
	  "  ON a.id IN (l.consumer_agency_id, l.provider_agency_id)"
	  WHERE_ACCESS " GROUP BY a.id, a.name ORDER BY a.id" },
};

void
report_grants(struct http_req *r)
{
	struct report_filter f;

	if (report_filter_or_reply(r, &f) == 0)
		report_run(r, "grants", &f, sections, NPARAMS(sections));
}
