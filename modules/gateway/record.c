/*
 * A call's row in the access log (issue 18: "The log"; Art. 16.1.a: the
 * provider keeps the history of requests and of the content shared for at
 * least 3 months; Art. 5.4).
 *
 * One INSERT in autocommit (or, when the database stopped during the
 * call, a line fsync'ed to the spool, spool.c): the row is durable when
 * it returns, and
 * forward.c sends the answer's last piece only after that, so a consumer
 * never holds a whole answer whose call is not in the log. The master
 * links the row into the 'access' hash chain at its next sealing round
 * (chain_seal.c hashes the operational fields as the row's "tail"), and
 * retention, purge, export and verify treat it as any download row.
 *
 * In log mode "full" both bodies go to the warehouse under their SHA-256
 * (the digests the row holds), before the row: a row that says its bodies
 * are kept points at files that exist.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds.h"
#include "gateway.h"

static const char *insert_sql =
    "INSERT INTO access_log (kind, account_id, agency_id, grant_id, "
    "  provider_agency_id, consumer_agency_id, dataset_id, service_id, "
    "  request_path, outcome, reason, http_status, bytes, sha256, narrowed, "
    "  remote_addr, request_id, method, request_in_ms, request_out_ms, "
    "  response_in_ms, response_out_ms, succeeded, fault_code, fault_text, "
    "  request_bytes, request_sha256, bodies_kept, created_at) "
    "VALUES ('gateway', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "  ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static struct db_param
opt_int(long long v)
{
	return v != 0 ? P_INT(v) : P_NULL;
}

/* s cut to at most max bytes, on a character's boundary (a decoded path
 * may hold UTF-8, which the column must receive whole). */
static struct db_param
opt_str(struct arena *a, const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return P_NULL;
	if ((n = strnlen(s, max + 1)) > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return P_STR(arena_strndup(a, s, n));
}

/* "/gw/...?query", cut to the column's 512 characters. */
static const char *
logged_path(struct gw_call *c)
{
	const char *q = c->r->query;

	return arena_printf(c->r->arena, "%s%s%s", c->r->path,
	    q && *q ? "?" : "", q && *q ? q : "");
}

/* Full mode: the request body beside the answer, under its digest. */
static bool
request_kept(struct gw_call *c)
{
	struct arena *a = c->r->arena;
	char *tmp;
	int fd;

	if (c->body_fd >= 0)
		return blob_store(a, c->body_path, c->req_sha) == DS_OK;
	if ((fd = blob_tmp(a, &tmp)) < 0)
		return false;
	if (write(fd, c->body ? c->body : "", c->body_len) !=
	    (ssize_t)c->body_len) {
		close(fd);
		unlink(tmp);
		return false;
	}
	close(fd);
	return blob_store(a, tmp, c->req_sha) == DS_OK;
}

/* The call's arrival as the row's created_at (a spooled row keeps it). */
static const char *
created_at(struct arena *a, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	return arena_printf(a, "%04d-%02d-%02d %02d:%02d:%02d.%03lld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ms % 1000);
}

int
gw_record_params(const struct db_param *p)
{
	return db_exec(insert_sql, p, GW_RECORD_PARAMS, NULL, NULL);
}

int
gw_record(struct gw_call *c)
{
	struct http_req *r = c->r;
	struct arena *a = r->arena;
	bool delivered = strcmp(c->outcome, "delivered") == 0;
	bool kept = c->bodies_kept && request_kept(c);
	struct db_param p[] = {
		opt_int(r->who.account_id),
		r->who.authenticated ? P_INT(r->who.agency_id) : P_NULL,
		opt_int(c->grant_id), P_INT(c->provider_id),
		opt_int(c->consumer_id), P_INT(c->dataset_id),
		P_INT(c->service_id), opt_str(a, logged_path(c), 512),
		P_STR(c->outcome), delivered ? P_NULL : opt_str(a,
		c->fault_code, 64), P_INT(c->status),
		c->resp_sha[0] ? P_INT(c->resp_bytes) : P_NULL,
		c->resp_sha[0] ? P_STR(c->resp_sha) : P_NULL,
		P_INT(c->narrowed), opt_str(a, r->remote_addr, 64),
		P_STR(r->request_id), P_STR(c->method), P_INT(c->t_req_in),
		opt_int(c->t_req_out), opt_int(c->t_resp_in),
		opt_int(c->t_resp_out),
		P_INT(delivered && c->status < 500),
		opt_str(a, c->fault_code, 64), opt_str(a, c->fault_text, 255),
		c->req_sha[0] ? P_INT((long long)c->body_len) : P_NULL,
		c->req_sha[0] ? P_STR(c->req_sha) : P_NULL, P_INT(kept),
		P_STR(created_at(a, c->t_req_in)),
	};

	_Static_assert(NPARAMS(p) == GW_RECORD_PARAMS, "the row's fields");
	c->bodies_kept = kept;
	if (gw_record_params(p) == DS_OK)
		return DS_OK;
	/* The database stopped during the call: the row waits on the local
	 * disk (spool.c), durable before the answer completes. */
	return spool_append(a, p, NPARAMS(p));
}
