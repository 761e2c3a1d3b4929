/*
 * The gateway's monitoring data for providers and DIC (Art. 12.4).
 */
#include "ds.h"
#include "gateway.h"

void
opmon_records(struct http_req *r)
{
	http_error(r, 404, "not_found", "not yet");
}

void
service_health(struct http_req *r)
{
	http_error(r, 404, "not_found", "not yet");
}
