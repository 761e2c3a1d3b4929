/*
 * datashare-report: read-only province-wide reports for DIC and auditors
 * (R9.3; Art. 19.4). Each report is GET /api/v1/reports/<name> with
 * ?from=&to=&agency_id=&format= (filter.c); docs/operations.md says what
 * DIC reads in each and how to act on it.
 */
#include "ds.h"
#include "report.h"

static const struct {
	const char	*name;
	const char	*about;
} reports[] = {
	{ "sharing-requests", "requests by state, provider and consumer; "
	  "time to decide" },
	{ "grants", "grants by status; accesses and bytes per grant and "
	  "agency" },
	{ "suspensions", "suspensions by legal ground, late notices, "
	  "terminations" },
	{ "disputes", "tickets by category and state; time to acknowledge "
	  "and resolve; overdue" },
	{ "catalog", "databases per agency, datasets by classification, "
	  "assessments, open data overdue, reviews owed" },
};

/* GET /reports: which reports there are. */
void
reports_index(struct http_req *r)
{
	json_object *body, *items;

	if (auth_require_role_or_reply(r, ROLE_REPORT_READER))
		return;
	body = json_object_new_object();
	items = json_object_new_array();
	for (size_t i = 0; i < NPARAMS(reports); i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name",
		    json_object_new_string(reports[i].name));
		json_object_object_add(o, "path", json_object_new_string(
		    arena_printf(r->arena, "/api/v1/reports/%s",
		    reports[i].name)));
		json_object_object_add(o, "about",
		    json_object_new_string(reports[i].about));
		json_object_array_add(items, o);
	}
	json_object_object_add(body, "items", items);
	http_reply(r, 200, body);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/reports", reports_index, 0 },
	{ "GET", "/api/v1/reports/sharing-requests", report_sharing_requests,
	  0 },
	{ "GET", "/api/v1/reports/grants", report_grants, 0 },
	{ "GET", "/api/v1/reports/suspensions", report_suspensions, 0 },
	{ "GET", "/api/v1/reports/disputes", report_disputes, 0 },
	{ "GET", "/api/v1/reports/catalog", report_catalog, 0 },
};

static const struct module module = {
	.name = "datashare-report",
	.routes = routes,
	.nroutes = NPARAMS(routes),
};

int
main(int argc, char **argv)
{
	return server_main(&module, argc, argv);
}
