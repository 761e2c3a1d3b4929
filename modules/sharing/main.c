/*
 * datashare-sharing: sharing requests and their decisions, grants and
 * their consumer-system accounts, the data warehouse (uploads, downloads
 * through a grant, open data), the access log, usage and error reports,
 * and the holiday calendar the deadlines count working days on.
 */
#include "ds.h"
#include "sharing.h"

/* RT_GRANT: the routes where a grant's system account acts as itself, on
 * its own grant (docs/security.md); elsewhere it belongs to no agency. */
static const struct route routes[] = {
	{ "GET",  "/api/v1/sharing-requests", requests_list, 0 },
	{ "POST", "/api/v1/sharing-requests", request_create, RT_JSON_BODY },
	{ "GET",  "/api/v1/sharing-requests/{id}", request_show, 0 },
	{ "POST", "/api/v1/sharing-requests/{id}/approve", request_approve, 0 },
	{ "POST", "/api/v1/sharing-requests/{id}/refuse", request_refuse, 0 },
	{ "POST", "/api/v1/sharing-requests/{id}/withdraw", request_withdraw, 0 },

	{ "GET",  "/api/v1/grants", grants_list, RT_GRANT },
	{ "GET",  "/api/v1/grants/{id}", grant_show, RT_GRANT },
	{ "GET",  "/api/v1/grants/{id}/accounts", grant_accounts_list, 0 },
	{ "POST", "/api/v1/grants/{id}/accounts", grant_account_create,
	  RT_JSON_BODY },
	{ "POST", "/api/v1/grants/{id}/accounts/{acc}/revoke",
	  grant_account_revoke, 0 },
	{ "POST", "/api/v1/grants/{id}/accounts/{acc}/rotate-secret",
	  grant_account_rotate, 0 },
	{ "GET",  "/api/v1/grants/{id}/usage-report-requests",
	  grant_usage_reports_list, 0 },
	{ "POST", "/api/v1/grants/{id}/usage-report-requests",
	  usage_report_request, RT_JSON_BODY },

	{ "GET",  "/api/v1/datasets/{id}/files", dataset_files_list,
	  RT_GRANT },
	{ "POST", "/api/v1/datasets/{id}/files", dataset_file_upload,
	  RT_RAW_BODY },
	{ "GET",  "/api/v1/data/{grant}/files", grant_files_list, RT_GRANT },
	/* Public: the handler authenticates, so refusals are logged. */
	{ "GET",  "/api/v1/data/{grant}/files/{file}", grant_file_download,
	  RT_PUBLIC },
	{ "GET",  "/api/v1/open-data/{id}/files", open_files_list, RT_PUBLIC },
	{ "GET",  "/api/v1/open-data/{id}/files/{file}", open_file_download,
	  RT_PUBLIC },

	{ "GET",  "/api/v1/access-log", access_log_list, 0 },
	{ "GET",  "/api/v1/access-log/export", access_log_export, 0 },

	{ "GET",  "/api/v1/usage-reports", usage_reports_list, 0 },
	{ "GET",  "/api/v1/usage-reports/{id}", usage_report_show, 0 },
	{ "POST", "/api/v1/usage-reports/{id}/answer", usage_report_answer,
	  RT_JSON_BODY },

	{ "GET",  "/api/v1/error-reports", error_reports_list, 0 },
	{ "POST", "/api/v1/error-reports", error_report_create, RT_JSON_BODY },
	{ "GET",  "/api/v1/error-reports/{id}", error_report_show, 0 },
	{ "POST", "/api/v1/error-reports/{id}/acknowledge",
	  error_report_acknowledge, 0 },
	{ "POST", "/api/v1/error-reports/{id}/correct", error_report_correct,
	  RT_JSON_BODY },
	{ "POST", "/api/v1/error-reports/{id}/reject", error_report_reject, 0 },

	{ "GET",    "/api/v1/holidays", holidays_list, RT_PUBLIC },
	{ "POST",   "/api/v1/holidays", holiday_create, RT_JSON_BODY },
	{ "GET",    "/api/v1/holidays/working-days", working_days_show,
	  RT_PUBLIC },
	{ "DELETE", "/api/v1/holidays/{day}", holiday_delete, 0 },
};

/* What the workers count in memory and the master writes in batches
 * (counter.c): open_file_download counts a public download (R2.3). */
static const struct counter_column counters[] = {
	[COUNTER_DOWNLOADS] = { "datasets", "downloads" },
};

static const struct module module = {
	.name = "datashare-sharing",
	.routes = routes,
	.nroutes = NPARAMS(routes),
	/* Decision deadlines and grant ends: their notices go out when they
	 * pass, traffic or none (sweep.c). */
	.tick = sharing_sweep,
	.tick_setting = "sweep_interval",
};

int
main(int argc, char **argv)
{
	if (counter_use(counters, NPARAMS(counters)) != DS_OK)
		return 1;
	return server_main(&module, argc, argv);
}
