/*
 * datashare-gateway: the province's integration platform (LGSP) for
 * calls between agencies' systems (issue 18, docs/gateway.md).
 *
 *   call.c     GET|POST|... /gw/{agency}/{service}/{path}: the checks,
 *              the forwarding, the narrowing and the log row
 *   opmon.c    the log's operational-monitoring records and each
 *              service's health, for providers and DIC (Art. 12.4)
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include "ds.h"

/* Any method under /gw/: one call through the gateway. */
void	 gw_call(struct http_req *);
/* The worker's share of the gateway: its upstream connection cache and
 * the rate counters' table (call.c). */
int	 gw_init(void);

/* GET /api/v1/opmon/records: the gateway's log rows (opmon.c). */
void	 opmon_records(struct http_req *);
/* GET /api/v1/services/{id}/health: a service's recent calls (opmon.c). */
void	 service_health(struct http_req *);

#endif /* GATEWAY_H */
