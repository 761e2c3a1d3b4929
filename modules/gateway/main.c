/*
 * datashare-gateway: consumer systems call providers' registered services
 * through the platform, checked against their grants, narrowed to the
 * granted fields and logged (Art. 9.2.b-c, 11.2, 11.4, 13.1, 16.1.a,
 * 17.2.b; docs/gateway.md).
 */
#include "ds.h"
#include "gateway.h"

/* The gateway reads its own token (RT_PUBLIC), so that a refused token
 * is answered with X-Gateway-Error and logged like every other refusal;
 * it reads the body itself (RT_RAW_BODY) against the service's limit. */
#define GW_FLAGS	(RT_PUBLIC | RT_RAW_BODY)

static const struct route routes[] = {
	{ "GET",    "/gw/*", gw_call, GW_FLAGS },
	{ "POST",   "/gw/*", gw_call, GW_FLAGS },
	{ "PUT",    "/gw/*", gw_call, GW_FLAGS },
	{ "PATCH",  "/gw/*", gw_call, GW_FLAGS },
	{ "DELETE", "/gw/*", gw_call, GW_FLAGS },
	{ "GET", "/api/v1/opmon/records", opmon_records, 0 },
	{ "GET", "/api/v1/services/{id}/health", service_health, 0 },
};

static const struct module module = {
	.name = "datashare-gateway",
	.routes = routes,
	.nroutes = NPARAMS(routes),
	.init = gw_init,
	.tick = spool_replay,
	.tick_setting = "gateway_spool_interval",
	.tick_default = 2,
};

int
main(int argc, char **argv)
{
	return server_main(&module, argc, argv);
}
