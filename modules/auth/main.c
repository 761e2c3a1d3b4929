/*
 * datashare-auth: tokens, the caller's identity, the notification feed
 * and account management.
 */
#include "ds.h"
#include "auth.h"

static const struct route routes[] = {
	{ "POST", "/api/v1/auth/token", token_issue, RT_PUBLIC | RT_FORM_OR_JSON },
	{ "GET",  "/api/v1/auth/me", me_show, RT_GRANT },
	{ "GET",  "/api/v1/auth/keys", keys_show, RT_PUBLIC },
	{ "GET",  "/api/v1/notifications", notifications_list, 0 },
	{ "POST", "/api/v1/notifications/{id}/read", notification_read, 0 },
	{ "GET",  "/api/v1/accounts", accounts_list, 0 },
	{ "POST", "/api/v1/accounts", account_create, RT_JSON_BODY },
	{ "GET",  "/api/v1/accounts/{id}", account_show, 0 },
	{ "POST", "/api/v1/accounts/{id}/disable", account_disable, 0 },
	{ "POST", "/api/v1/accounts/{id}/rotate-secret", account_rotate, 0 },
};

static const struct module module = {
	.name = "datashare-auth",
	.routes = routes,
	.nroutes = NPARAMS(routes),
};

int
main(int argc, char **argv)
{
	return server_main(&module, argc, argv);
}
