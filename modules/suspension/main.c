/*
 * datashare-suspension: suspensions of grants, their lifting, the
 * termination of grants, and planned suspensions of a whole service
 * (R7; Art. 16.1.g, 16.2.h; Decree 47/2020 Art. 43, 44).
 */
#include "ds.h"
#include "suspension.h"

static const struct route routes[] = {
	{ "POST", "/api/v1/grants/{id}/suspensions", suspension_create,
	  RT_JSON_BODY },
	{ "GET",  "/api/v1/grants/{id}/suspensions", grant_suspensions_list, 0 },
	{ "POST", "/api/v1/agencies/{id}/suspensions", agency_suspend_all,
	  RT_JSON_BODY },
	{ "GET",  "/api/v1/suspensions", suspensions_list, 0 },
	{ "GET",  "/api/v1/suspensions/grounds", grounds_show, 0 },
	{ "GET",  "/api/v1/suspensions/{id}", suspension_show, 0 },
	{ "POST", "/api/v1/suspensions/{id}/lift", suspension_lift,
	  RT_JSON_BODY },
	{ "POST", "/api/v1/grants/{id}/termination", termination_create,
	  RT_JSON_BODY },
	{ "GET",  "/api/v1/grants/{id}/termination", termination_show, 0 },
	{ "GET",  "/api/v1/terminations", terminations_list, 0 },
	{ "POST", "/api/v1/services/{id}/planned-suspensions", planned_create,
	  RT_JSON_BODY },
	{ "GET",  "/api/v1/services/{id}/planned-suspensions",
	  service_planned_list, 0 },
	{ "GET",  "/api/v1/planned-suspensions", planned_list, 0 },
	{ "GET",  "/api/v1/planned-suspensions/{id}", planned_show, 0 },
	{ "POST", "/api/v1/planned-suspensions/{id}/cancel", planned_cancel,
	  RT_JSON_BODY },
};

static const struct module module = {
	.name = "datashare-suspension",
	.routes = routes,
	.nroutes = NPARAMS(routes),
};

int
main(int argc, char **argv)
{
	return server_main(&module, argc, argv);
}
