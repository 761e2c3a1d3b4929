/*
 * datashare-catalog: agencies, their focal points, databases, datasets,
 * sharing services, catalog proposals and versions, assessments, open
 * data and search.
 */
#include "ds.h"
#include "catalog.h"

static const struct route routes[] = {
	{ "GET",   "/api/v1/agencies", agencies_list, 0 },
	{ "POST",  "/api/v1/agencies", agency_create, RT_JSON_BODY },
	{ "GET",   "/api/v1/agencies/{id}", agency_show, 0 },
	{ "PATCH", "/api/v1/agencies/{id}", agency_update, RT_JSON_BODY },
};

static const struct module module = {
	"datashare-catalog", routes, NPARAMS(routes), NULL
};

int
main(int argc, char **argv)
{
	return server_main(&module, argc, argv);
}
