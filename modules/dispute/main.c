/*
 * datashare-dispute: dispute tickets (R8; Art. 18), their routing to the
 * provider of the data concerned or to DIC, their states, escalation,
 * comments and due dates.
 */
#include "ds.h"
#include "dispute.h"

static const struct route routes[] = {
	{ "GET",  "/api/v1/disputes", disputes_list, 0 },
	{ "POST", "/api/v1/disputes", dispute_create, RT_JSON_BODY },
	{ "GET",  "/api/v1/disputes/{id}", dispute_show, 0 },
	{ "POST", "/api/v1/disputes/{id}/transition", dispute_transition,
	  RT_JSON_BODY },
	{ "POST", "/api/v1/disputes/{id}/escalate", dispute_escalate,
	  RT_JSON_BODY },
	{ "GET",  "/api/v1/disputes/{id}/comments", comments_list, 0 },
	{ "POST", "/api/v1/disputes/{id}/comments", comment_create,
	  RT_JSON_BODY },
};

static const struct module module = {
	.name = "datashare-dispute",
	.routes = routes,
	.nroutes = NPARAMS(routes),
};

int
main(int argc, char **argv)
{
	return server_main(&module, argc, argv);
}
