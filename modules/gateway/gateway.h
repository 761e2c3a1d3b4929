/*
 * datashare-gateway: the province's integration platform (LGSP) for
 * calls between agencies' systems (issue 18, docs/gateway.md).
 *
 *   call.c     GET|POST|... /gw/{agency}/{service}/{path}: the checks
 *              (one statement), the order of the steps
 *   forward.c  the call to the provider (libcurl): request and answer
 *              streamed, narrowed when due
 *   record.c   the call's access-log row and, in "full" mode, its bodies
 *   spool.c    rows the database could not take, kept on disk until it
 *              is back
 *   rate.c     each grant's calls a minute and a day, in shared memory
 *   opmon.c    the log's operational-monitoring records and each
 *              service's health, for providers and DIC (Art. 12.4)
 *
 * The parsing of what consumers and providers send (the path, the
 * headers each way, the path sent upstream, a service's OpenAPI
 * operations) is core's gw_parse.c, where the fuzz harness reaches it.
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include "ds.h"

/* Any method under /gw/: one call through the gateway. */
void	 gw_call(struct http_req *);

/* One call, from its arrival to its log row. */
struct gw_call {
	struct http_req	*r;
	const char	*agency_code, *service_code;
	const char	*rest;		/* the path after the service code */
	struct db_rows	*svc;		/* the check statement's row */
	long long	 service_id, dataset_id, provider_id;
	long long	 grant_id, consumer_id;	/* 0: unknown */
	const char	*consumer_code;
	const char	*method;	/* what goes upstream (HEAD stays) */

	/* The request body as received: in memory (body) or, past
	 * GW_BODY_MEMORY, in a temporary file of the warehouse. */
	char		*body;
	size_t		 body_len;
	int		 body_fd;	/* -1: none */
	char		*body_path;
	char		 req_sha[65];

	/* The answer */
	int		 status;	/* what the consumer got */
	const char	*outcome;	/* delivered, refused, failed */
	const char	*fault_code, *fault_text;
	long long	 resp_bytes;
	char		 resp_sha[65];
	bool		 narrowed;
	bool		 bodies_kept;	/* forward.c: the answer's; record.c:
					 * both bodies' */
	const char	*const *granted;	/* gw_granted's cache */
	size_t		 ngranted;
	const char	*resp_path;	/* full mode: the answer's file */

	/* Epoch milliseconds; 0: did not happen */
	long long	 t_req_in, t_req_out, t_resp_in, t_resp_out;
};

#define GW_BODY_MEMORY	(1024 * 1024)

long long	 gw_now_ms(void);
/* Refuses the call: the error envelope with X-Gateway-Error, outcome
 * "refused" (or "failed" for the gateway's own 5xx). Returns DS_REPLIED. */
int	 gw_refuse(struct gw_call *, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Whether the answer is narrowed: the service narrows, is not SOAP, and
 * the grant has fewer fields than the dataset (call.c). */
bool	 gw_narrow_due(const struct gw_call *);
/* The grant's field names (arena), and how many. */
const char *const *gw_granted(struct gw_call *);
size_t	 gw_ngranted(struct gw_call *);

/* forward.c: sends the call upstream and streams the answer back. */
/* The master's start: libcurl's global state and the rate table. */
int	 gw_init(void);
void	 gw_forward(struct gw_call *);

/* record.c: the call's row in the access log (and its bodies in full
 * mode). DS_OK, or a database status: the caller then cuts the answer
 * off, since a call must not be acknowledged without its row. */
int	 gw_record(struct gw_call *);
/* The row's INSERT from its GW_RECORD_PARAMS parameters. */
#define GW_RECORD_PARAMS	28
int	 gw_record_params(const struct db_param *);

/* spool.c: rows the database could not take, on the local disk until
 * the master's tick moves them (spool_replay) into the table. */
int	 spool_append(struct arena *, const struct db_param *, size_t n);
int	 spool_replay(void);

/* rate.c */
enum rate_verdict { RATE_OK, RATE_MINUTE, RATE_DAY };
/* Maps the shared table and reads back today's counts (the master). */
int	 rate_init(void);
/* Counts one call of grant unless a limit (<= 0: none) is reached; then
 * *retry_after is the seconds until the minute or the day turns. */
enum rate_verdict rate_take(long long grant, long long per_minute,
	    long long per_day, long long now_ms, long long *retry_after);

/* GET /api/v1/opmon/records: the gateway's log rows (opmon.c). */
void	 opmon_records(struct http_req *);
/* GET /api/v1/services/{id}/health: a service's recent calls (opmon.c). */
void	 service_health(struct http_req *);

#endif /* GATEWAY_H */
