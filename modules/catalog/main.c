/*
 * datashare-catalog: agencies, their focal points, databases, datasets,
 * sharing services, catalog proposals and versions, assessments, open
 * data and search. Paths are DESIGN.md's; docs/api/catalog.yaml says what
 * each takes and returns.
 */
#include "ds.h"
#include "catalog.h"

#define J	RT_JSON_BODY
/* Reads whose own statement also checks the caller's account (core's
 * auth_settle_or_reply): one round trip to MariaDB, not two. */
#define JOINED	RT_ACCOUNT_JOINED

static const struct route routes[] = {
	{ "GET",   "/api/v1/agencies", agencies_list, 0 },
	{ "POST",  "/api/v1/agencies", agency_create, J },
	{ "GET",   "/api/v1/agencies/{id}", agency_show, JOINED },
	{ "PATCH", "/api/v1/agencies/{id}", agency_update, J },
	{ "GET",   "/api/v1/agencies/{id}/focal-points", focal_points_show, 0 },
	{ "PUT",   "/api/v1/agencies/{id}/focal-points", focal_point_set, J },

	{ "GET",   "/api/v1/databases", databases_list, 0 },
	{ "POST",  "/api/v1/databases", database_create, J },
	{ "GET",   "/api/v1/databases/{id}", database_show, 0 },
	{ "PATCH", "/api/v1/databases/{id}", database_update, J },
	{ "POST",  "/api/v1/databases/{id}/list", database_list_specialized, 0 },
	{ "POST",  "/api/v1/databases/{id}/withdraw",
	    database_withdraw_specialized, 0 },
	{ "GET",   "/api/v1/databases/{id}/reviews", reviews_list, 0 },
	{ "POST",  "/api/v1/databases/{id}/reviews", review_create, J },
	{ "GET",   "/api/v1/databases/unreviewed", databases_unreviewed, 0 },

	{ "GET",   "/api/v1/datasets", datasets_list, 0 },
	{ "POST",  "/api/v1/datasets", dataset_create, J },
	{ "GET",   "/api/v1/datasets/{id}", dataset_show, JOINED },
	{ "PATCH", "/api/v1/datasets/{id}", dataset_update, J },
	{ "POST",  "/api/v1/datasets/{id}/publish", dataset_publish, 0 },
	{ "POST",  "/api/v1/datasets/{id}/withdraw", dataset_withdraw, 0 },
	{ "POST",  "/api/v1/datasets/{id}/data-updates", dataset_data_update, J },

	{ "GET",   "/api/v1/services", services_list, RT_OPTIONAL_AUTH },
	{ "POST",  "/api/v1/services", service_create, J },
	{ "GET",   "/api/v1/services/{id}", service_show, RT_OPTIONAL_AUTH },
	{ "PATCH", "/api/v1/services/{id}", service_update, J },
	{ "POST",  "/api/v1/services/{id}/deprecate", service_deprecate, 0 },

	{ "GET",   "/api/v1/catalog/proposals", proposals_list, 0 },
	{ "POST",  "/api/v1/catalog/proposals", proposal_create, J },
	{ "GET",   "/api/v1/catalog/proposals/{id}", proposal_show, 0 },
	{ "PATCH", "/api/v1/catalog/proposals/{id}", proposal_update, J },
	{ "POST",  "/api/v1/catalog/proposals/{id}/resubmit",
	    proposal_resubmit, 0 },
	{ "POST",  "/api/v1/catalog/proposals/{id}/review", proposal_review, J },
	{ "POST",  "/api/v1/catalog/proposals/{id}/decision",
	    proposal_decide, J },
	{ "GET",   "/api/v1/catalog/versions", versions_list, RT_PUBLIC },
	{ "POST",  "/api/v1/catalog/versions", version_issue, J },
	{ "GET",   "/api/v1/catalog/versions/{id}", version_show, 0 },

	{ "GET",   "/api/v1/assessments", assessments_list, 0 },
	{ "POST",  "/api/v1/assessments", assessment_create, J },
	{ "GET",   "/api/v1/assessments/{id}", assessment_show, 0 },
	{ "GET",   "/api/v1/assessments/programme", programme_show, 0 },
	{ "GET",   "/api/v1/assessments/unassessed", programme_unassessed, 0 },
	{ "GET",   "/api/v1/assessments/overdue", programme_overdue, 0 },

	{ "GET",   "/api/v1/open-data", open_data_list, RT_PUBLIC },
	{ "GET",   "/api/v1/open-data/overdue", open_data_overdue, 0 },
	{ "GET",   "/api/v1/open-data/{id}", open_data_show, RT_PUBLIC },

	{ "GET",   "/api/v1/search", search, RT_OPTIONAL_AUTH },
};

/* What the workers count in memory and the master writes in batches
 * (counter.c): open_data_show counts a view of an open dataset (R2.3). */
static const struct counter_column counters[] = {
	[COUNTER_VIEWS] = { "datasets", "views" },
};

static const struct module module = {
	.name = "datashare-catalog",
	.routes = routes,
	.nroutes = NPARAMS(routes),
};

int
main(int argc, char **argv)
{
	if (counter_use(counters, NPARAMS(counters)) != DS_OK)
		return 1;
	search_estimates_share();
	return server_main(&module, argc, argv);
}
