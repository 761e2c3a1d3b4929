/*
 * Data quality assessments (Art. 6.2, ND47 Art. 16, R3): an inspection of
 * a dataset for a year, by an assessor, with a result per criterion (the
 * configured list, assessment_criteria), a verdict, findings and, when it
 * fails, a remediation plan with its due date. The owner agency records
 * its own inspections, the DIC any. An assessment is never edited: a
 * re-inspection is a new one, and the latest of a year is what counts
 * (publish.c, programme.c).
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

#define DEFAULT_CRITERIA \
	"completeness,accuracy,timeliness,consistency,structure_conformance"
#define MAX_CRITERIA	32

#define ASSESSMENT_COLS \
	"x.id, x.dataset_id, d.title AS dataset_title, x.agency_id, x.year, " \
	"x.assessor, x.criteria_json, x.verdict, x.findings, " \
	"x.remediation_plan, x.remediation_due, x.recorded_by, x.created_at"
#define ASSESSMENT_FROM \
	" FROM assessments x JOIN datasets d ON d.id = x.dataset_id "

/* The configured criteria, split into names (arena strings). */
static size_t
criteria(struct arena *a, const char **names)
{
	char *list = arena_strdup(a, conf_str("assessment_criteria",
	    DEFAULT_CRITERIA)), *save = NULL, *t;
	size_t n = 0;

	for (t = strtok_r(list, ", ", &save); t != NULL && n < MAX_CRITERIA;
	    t = strtok_r(NULL, ", ", &save))
		names[n++] = t;
	return n;
}

static bool
listed(const char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/*
 * The criteria results: every configured criterion, each "pass" or
 * "fail", nothing else. Adds a detail per problem; *all_pass tells
 * whether every criterion passed.
 */
static void
check_criteria(struct http_req *r, json_object *given, bool *all_pass)
{
	const char *names[MAX_CRITERIA];
	size_t n = criteria(r->arena, names);
	json_object *res;

	*all_pass = true;
	json_object_object_foreach(given, key, val) {
		const char *s = json_object_is_type(val, json_type_string) ?
		    json_object_get_string(val) : "";

		if (!listed(names, n, key))
			json_detail(r, arena_printf(r->arena, "criteria.%s",
			    key), "is not a configured criterion");
		else if (strcmp(s, "pass") != 0 && strcmp(s, "fail") != 0)
			json_detail(r, arena_printf(r->arena, "criteria.%s",
			    key), "must be pass or fail");
		else if (strcmp(s, "fail") == 0)
			*all_pass = false;
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_object_get_ex(given, names[i], &res))
			json_detail(r, arena_printf(r->arena, "criteria.%s",
			    names[i]), "is required");
}

enum { AS_DATASET, AS_YEAR, AS_ASSESSOR, AS_CRITERIA, AS_VERDICT, AS_FINDINGS,
    AS_REMEDIATION_PLAN, AS_REMEDIATION_DUE, AS__N };

/* A verdict must agree with the criteria; a failed one carries the plan
 * and its due date (Art. 6.2: the owner remedies what the assessment
 * found). The year is this one or a past one. */
static int
consistent_or_reply(struct http_req *r, const struct fval *v, int year)
{
	bool all_pass;

	check_criteria(r, v[AS_CRITERIA].o, &all_pass);
	if (strcmp(v[AS_VERDICT].s, "pass") == 0 && !all_pass)
		json_detail(r, "verdict", "cannot be pass when a criterion "
		    "failed");
	if (strcmp(v[AS_VERDICT].s, "fail") == 0 &&
	    !v[AS_REMEDIATION_PLAN].present)
		json_detail(r, "remediation_plan", "is required when the "
		    "assessment fails");
	if (strcmp(v[AS_VERDICT].s, "fail") == 0 &&
	    !v[AS_REMEDIATION_DUE].present)
		json_detail(r, "remediation_due", "is required when the "
		    "assessment fails");
	if (v[AS_YEAR].present && v[AS_YEAR].i > year)
		json_detail(r, "year", "must not be in the future");
	if (json_has_details(r))
		return json_details_reply(r, "the assessment is inconsistent "
		    "or incomplete");
	return 0;
}

/* The owner agency assesses its own data; the DIC any. */
static int
assessor_or_reply(struct http_req *r, long long dataset, long long *owner)
{
	struct db_rows *rows;

	if (dataset_load_or_reply(r, dataset, false, &rows))
		return DS_REPLIED;
	*owner = db_get_int(rows, 0, "agency_id");
	if (auth_has_role(&r->who, ROLE_DIC_ADMIN))
		return 0;
	return owner_or_reply(r, *owner, true);
}

static int
load_or_reply(struct http_req *r, long long id, struct db_rows **rows)
{
	static const char *sql =
	    "SELECT " ASSESSMENT_COLS ASSESSMENT_FROM "WHERE x.id = ?";

	if (row_or_reply(r, sql, id, "assessment", rows))
		return DS_REPLIED;
	if (db_get_int(*rows, 0, "agency_id") != r->who.agency_id &&
	    !auth_has_role(&r->who, ROLE_OVERSIGHT))
		return http_error(r, 404, "not_found", "no such assessment");
	return 0;
}

void
assessment_create(struct http_req *r)
{
	static const char *const verdicts[] = { "pass", "fail", NULL };
	static const struct field spec[AS__N] = {
		[AS_DATASET] = { "dataset_id", F_ID, true, 0, 0, NULL },
		[AS_YEAR] = { "year", F_INT, false, 2000, 9999, NULL },
		[AS_ASSESSOR] = { "assessor", F_STRING, true, 1, 255, NULL },
		[AS_CRITERIA] = { "criteria", F_OBJECT, true, 0, 0, NULL },
		[AS_VERDICT] = { "verdict", F_ENUM, true, 0, 0, verdicts },
		[AS_FINDINGS] = { "findings", F_TEXT, false, 0, 0, NULL },
		[AS_REMEDIATION_PLAN] = { "remediation_plan", F_TEXT, false, 0,
		    0, NULL },
		[AS_REMEDIATION_DUE] = { "remediation_due", F_DATE, false, 0,
		    0, NULL },
	};
	static const char *insert =
	    "INSERT INTO assessments (dataset_id, agency_id, year, assessor, "
	    "  criteria_json, verdict, findings, remediation_plan, "
	    "  remediation_due, recorded_by) "
	    "SELECT d.id, b.agency_id, ?, ?, ?, ?, ?, ?, ?, ? FROM datasets d "
	    "JOIN `databases` b ON b.id = d.database_id WHERE d.id = ?";
	struct fval v[NPARAMS(spec)];
	struct db_rows *rows;
	unsigned long long id;
	long long owner;
	int year = catalog_year(), st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_DIC_ADMIN) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    assessor_or_reply(r, v[AS_DATASET].i, &owner) ||
	    consistent_or_reply(r, v, year))
		return;
	{
		struct db_param p[] = {
		    P_INT(v[AS_YEAR].present ? v[AS_YEAR].i : year),
		    P_STR(v[AS_ASSESSOR].s),
		    db_param_fval(&v[AS_CRITERIA], F_OBJECT),
		    P_STR(v[AS_VERDICT].s), P_STR(v[AS_FINDINGS].s),
		    P_STR(v[AS_REMEDIATION_PLAN].s),
		    P_STR(v[AS_REMEDIATION_DUE].s),
		    P_INT(r->who.account_id), P_INT(v[AS_DATASET].i) };

		if ((st = db_begin()) ||
		    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
	}
	if (load_or_reply(r, (long long)id, &rows)) {
		db_rollback();
		return;
	}
	/* The owner hears of an assessment it did not record itself. */
	if (owner != r->who.agency_id && (st = notify(owner,
	    "assessment.recorded", "assessment", (long long)id, NULL)))
		goto fail;
	tx_commit_reply(r, "assessment.record", "assessment", (long long)id,
	    NULL, db_row_json(rows, 0), 201);
	return;
fail:
	tx_fail_reply(r, st);
}

void
assessments_list(struct http_req *r)
{
	static const char *const verdicts[] = { "pass", "fail", NULL };
	static const char *sql =
	    "SELECT " ASSESSMENT_COLS ASSESSMENT_FROM
	    "WHERE (x.agency_id = ? OR ? = 1) "
	    "  AND (? = 0 OR x.dataset_id = ?) AND (? = 0 OR x.agency_id = ?) "
	    "  AND (? = 0 OR x.year = ?) AND (? IS NULL OR x.verdict = ?) "
	    "  AND (? = 0 OR x.id > ?) ORDER BY x.id LIMIT ?";
	enum { Q_DATASET, Q_AGENCY, Q_YEAR, Q_VERDICT, Q__N };
	static const struct field query[Q__N] = {
		[Q_DATASET] = { "dataset_id", F_ID, false, 0, 0, NULL },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_YEAR] = { "year", F_INT, false, 2000, 9999, NULL },
		[Q_VERDICT] = { "verdict", F_ENUM, false, 0, 0, verdicts },
	};
	struct fval q[Q__N];
	struct page pg;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSIGHT) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, query, Q__N, q))
		return;
	{
		struct db_param p[] = { P_INT(r->who.agency_id),
		    P_INT(auth_has_role(&r->who, ROLE_OVERSIGHT)),
		    P_INT(q[Q_DATASET].i), P_INT(q[Q_DATASET].i),
		    P_INT(q[Q_AGENCY].i), P_INT(q[Q_AGENCY].i),
		    P_INT(q[Q_YEAR].i), P_INT(q[Q_YEAR].i),
		    P_STR(q[Q_VERDICT].s), P_STR(q[Q_VERDICT].s),
		    P_INT(pg.after), P_INT(pg.after),
		    P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

void
assessment_show(struct http_req *r)
{
	struct db_rows *rows;

	if (load_or_reply(r, r->captures[0], &rows) == 0)
		http_reply(r, 200, db_row_json(rows, 0));
}
