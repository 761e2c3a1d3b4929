/*
 * GET /reports/catalog (R1-R3, R9.3): the shared-database catalog per
 * agency, datasets by classification, the year's assessments (Art. 6),
 * open data overdue for its update (Art. 10.4) and the agencies that owe
 * their yearly review (Art. 7.2). The catalog is a state more than a
 * flow: most figures are as of now; the range counts what was listed and
 * published in it, and "the year" is the year of its last day (the
 * current year by default), as the catalog's own year parameter. With
 * agency_id: that agency's databases and datasets.
 */
#include "ds.h"
#include "report.h"

#define COUNT_IF(cond)	"COUNT(IF(" cond ", 1, NULL))"
/* Databases (alias b) of the agency. */
#define DATABASES \
	" FROM " REPORT_PARAMS " JOIN `databases` b " \
	"WHERE " FOR_AGENCY("b.agency_id")
/* Datasets (alias d) with their database (b), of the agency. */
#define DATASETS \
	" FROM " REPORT_PARAMS " JOIN datasets d " \
	"JOIN `databases` b ON b.id = d.database_id " \
	"WHERE " FOR_AGENCY("b.agency_id")
/* A listed database with no review for the year (Art. 7.2), as the
 * catalog's GET /databases/unreviewed reads it. */
#define UNREVIEWED \
	"(b.status = 'listed' AND NOT EXISTS (SELECT 1 FROM database_reviews v " \
	"  WHERE v.database_id = b.id AND v.year = p.year))"
/* Open data (Art. 10): published and visible to the public, as the
 * catalog's GET /open-data reads it; overdue past its update date. */
#define OPEN_DATA \
	"d.status = 'published' AND dataset_visibility(d.status, d.excluded, " \
	"d.classification, b.status) = 'public'"
#define UPDATE_OVERDUE	"d.update_due_at < UTC_TIMESTAMP(6)"

static const struct report_section sections[] = {
	{ "databases", SECTION_OBJECT,
	  "SELECT "
	  COUNT_IF("b.kind = 'shared' AND b.status = 'listed'")
	  "  AS shared_listed, "
	  COUNT_IF("b.kind = 'specialized' AND b.status = 'listed'")
	  "  AS specialized_listed, "
	  COUNT_IF(IN_RANGE("b.listed_at")) " AS listed_in_range, "
	  COUNT_IF(IN_RANGE("b.withdrawn_at")) " AS withdrawn_in_range, "
	  COUNT_IF(UNREVIEWED) " AS unreviewed" DATABASES },
	/* agencies with a listed database */
	{ "databases_by_agency", SECTION_LIST,
	  "SELECT b.agency_id, a.name, "
	  COUNT_IF("b.kind = 'shared'") " AS shared_listed, "
	  COUNT_IF("b.kind = 'specialized'") " AS specialized_listed, "
	  COUNT_IF(UNREVIEWED) " AS unreviewed"
	  " FROM " REPORT_PARAMS " JOIN `databases` b "
	  "JOIN agencies a ON a.id = b.agency_id "
	  "WHERE " FOR_AGENCY("b.agency_id") " AND b.status = 'listed' "
	  "GROUP BY b.agency_id, a.name ORDER BY b.agency_id" },
	/* datasets not withdrawn */
	{ "datasets_by_classification", SECTION_LIST,
	  "SELECT d.classification, COUNT(*) AS datasets, "
	  COUNT_IF("d.status = 'published'") " AS published, "
	  COUNT_IF(IN_RANGE("d.published_at")) " AS published_in_range, "
	  COUNT_IF("d.excluded <> 0") " AS excluded" DATASETS
	  " AND d.status <> 'withdrawn' "
	  "GROUP BY d.classification ORDER BY d.classification" },
	/* the year's inspections (Art. 6.2; ND47 Art. 16) */
	{ "assessments", SECTION_OBJECT,
	  "SELECT p.year, COUNT(x.id) AS done, "
	  COUNT_IF("x.verdict = 'pass'") " AS passed, "
	  COUNT_IF("x.verdict = 'fail'") " AS failed, "
	  "COUNT(DISTINCT x.dataset_id) AS datasets_assessed"
	  " FROM " REPORT_PARAMS " LEFT JOIN assessments x "
	  "  ON x.year = p.year AND " FOR_AGENCY("x.agency_id")
	  " GROUP BY p.year" },
	{ "open_data", SECTION_OBJECT,
	  "SELECT COUNT(*) AS published, "
	  COUNT_IF(UPDATE_OVERDUE) " AS update_overdue" DATASETS
	  " AND " OPEN_DATA },
	{ "open_data_overdue", SECTION_LIST,
	  "SELECT d.id AS dataset_id, d.title AS name, b.agency_id, "
	  "  d.published_at, d.update_due_at, "
	  "  DATEDIFF(UTC_TIMESTAMP(6), d.update_due_at) AS days_overdue"
	  DATASETS " AND " OPEN_DATA " AND " UPDATE_OVERDUE
	  " ORDER BY d.update_due_at, d.id" },
	/* R1.4: who owes this year's review of its listed databases */
	{ "agencies_not_reviewed", SECTION_LIST,
	  "SELECT b.agency_id, a.name, COUNT(*) AS databases_unreviewed"
	  " FROM " REPORT_PARAMS " JOIN `databases` b "
	  "JOIN agencies a ON a.id = b.agency_id "
	  "WHERE " FOR_AGENCY("b.agency_id") " AND " UNREVIEWED
	  " GROUP BY b.agency_id, a.name ORDER BY b.agency_id" },
};

void
report_catalog(struct http_req *r)
{
	struct report_filter f;

	if (report_filter_or_reply(r, &f) == 0)
		report_run(r, "catalog", &f, sections, NPARAMS(sections));
}
