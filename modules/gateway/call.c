/*
 * One call through the gateway.
 */
#include "ds.h"
#include "gateway.h"

void
gw_call(struct http_req *r)
{
	http_error(r, 404, "not_found", "not yet");
}
