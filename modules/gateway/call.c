/*
 * One call through the gateway (issue 18; Art. 11.2, 13.1: every
 * connection between units goes through the province's platform with
 * identification, authentication and authorisation; Art. 17.2.b: a
 * consumer uses only what it was granted).
 *
 *	{METHOD} /gw/{provider_agency_code}/{service_code}/{path}?{query}
 *
 * The token's signature and times are checked here without the database;
 * everything else the checks need (the service, the account, its grant,
 * the grant's status, a planned suspension window now) is one statement,
 * one round trip. The checks then run in the documented order, each
 * refusal with its own code (docs/gateway.md), and the call goes on to
 * forward.c. Every call that names a registered service has its row in
 * the access log, refused ones included (record.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ds.h"
#include "gateway.h"
#include "grant_state.h"

long long
gw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The gateway's own failures (502, 504, 503 without a check) are
 * "failed"; a check's answer is "refused". */
static bool
is_failure(int status, const char *code)
{
	return status == 502 || status == 504 ||
	    strcmp(code, "database_unavailable") == 0;
}

int
gw_refuse(struct gw_call *c, int status, const char *code, const char *fmt,
    ...)
{
	struct http_req *r = c->r;
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->status = status;
	c->outcome = is_failure(status, code) ? "failed" : "refused";
	c->fault_code = code;
	c->fault_text = arena_strdup(r->arena, msg);
	http_header(r, "X-Gateway-Error", code);
	if (c->req_sha[0] != '\0')
		http_header(r, "X-Request-Hash", arena_strdup(r->arena,
		    c->req_sha));
	http_error(r, status, code, "%s", msg);
	/* The row holds what the consumer got: the envelope, as server.c
	 * writes it (json-c keeps the text it makes). */
	if (c->svc != NULL) {
		const char *text = json_object_to_json_string_ext(r->resp,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

		c->resp_bytes = (long long)strlen(text);
		sha256_hex(text, strlen(text), c->resp_sha);
		if (gw_record(c) != DS_OK)
			log_warnx(__func__, "%s %s: %s not logged", r->method,
			    r->path, code);
	}
	return DS_REPLIED;
}

/* ------------------------------------------------------------------ */
/* the check statement                                                  */

static const char *check_sql =
    "SELECT s.id, s.dataset_id, s.agency_id, s.status, s.protocol, "
    "  s.upstream_url, s.connect_timeout_ms, s.response_timeout_ms, "
    "  s.max_request_bytes, s.max_response_bytes, s.rate_limit_per_minute, "
    "  s.daily_quota, s.narrow, s.records_pointer, s.log_mode, s.openapi, "
    "  JSON_LENGTH(d.fields_json) AS dataset_nfields, "
    "  ac.status AS account_status, ac.agency_id AS account_agency, "
    "  g.id AS grant_id, g.consumer_agency_id, ca.code AS consumer_code, "
    "  g.dataset_id AS grant_dataset, g.service_id AS grant_service, "
    "  " GRANT_EFFECTIVE_STATUS_SQL("g") " AS grant_status, "
    "  g.fields_json AS grant_fields, "
    "  JSON_LENGTH(g.fields_json) AS grant_nfields, "
    "  (SELECT UNIX_TIMESTAMP(MAX(p.ends_at)) FROM planned_suspensions p "
    "   WHERE p.service_id = s.id AND p.state = 'scheduled' "
    "     AND p.starts_at <= UTC_TIMESTAMP(6) "
    "     AND p.ends_at > UTC_TIMESTAMP(6)) AS window_end, "
    "  UNIX_TIMESTAMP() AS now "
    "FROM agencies pa "
    "JOIN services s ON s.agency_id = pa.id AND s.code = ? "
    "JOIN datasets d ON d.id = s.dataset_id "
    "LEFT JOIN accounts ac ON ac.id = ? "
    "LEFT JOIN grants g ON g.id = ac.grant_id "
    "LEFT JOIN agencies ca ON ca.id = g.consumer_agency_id "
    "WHERE pa.code = ? AND s.upstream_url IS NOT NULL";

/* The token (no database): *who filled when it is good, else *why. */
static bool
token_good(struct gw_call *c, struct identity *who, const char **why)
{
	const char *h = c->r->authorization;

	memset(who, 0, sizeof(*who));
	*why = "a bearer token is required";
	if (h == NULL)
		return false;
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		*why = "the Authorization header must be 'Bearer <token>'";
		return false;
	}
	return auth_verify_token(c->r->arena, h + 7, (long long)time(NULL),
	    who, why) == DS_OK;
}

static const char *
col(const struct gw_call *c, const char *name)
{
	return db_get(c->svc, 0, name);
}

static long long
col_int(const struct gw_call *c, const char *name)
{
	return db_get_int(c->svc, 0, name);
}

bool
gw_narrow_due(const struct gw_call *c)
{
	return db_get_int(c->svc, 0, "narrow") != 0 &&
	    strcmp(col(c, "protocol"), "soap") != 0 &&
	    col(c, "grant_nfields") != NULL &&
	    col_int(c, "grant_nfields") < col_int(c, "dataset_nfields");
}

/* The grant's fields_json, an array of field names. */
const char *const *
gw_granted(struct gw_call *c)
{
	json_object *a;
	const char **names;
	size_t n;

	if (c->granted != NULL)
		return c->granted;
	a = json_tokener_parse(col(c, "grant_fields"));
	n = json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
	names = arena_calloc(c->r->arena, n + 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = arena_strdup(c->r->arena, json_object_get_string(
		    json_object_array_get_idx(a, i)));
	json_object_put(a);
	c->granted = names;
	c->ngranted = n;
	return names;
}

size_t
gw_ngranted(struct gw_call *c)
{
	gw_granted(c);
	return c->ngranted;
}

/* ------------------------------------------------------------------ */
/* the checks, in their documented order                                */

/* 401 and 403 no_grant: the caller is a live account of a grant on this
 * service's dataset (and, when the grant names a service, this one). */
static int
check_caller(struct gw_call *c, const struct identity *who, bool good,
    const char *why)
{
	const char *st = col(c, "account_status");

	if (!good || st == NULL || strcmp(st, "active") != 0 ||
	    col_int(c, "account_agency") != who->agency_id) {
		http_header(c->r, "WWW-Authenticate", "Bearer");
		return gw_refuse(c, 401, "unauthorized", "%s", good ?
		    "the account is not active" : why);
	}
	c->r->who = *who;
	c->r->who.authenticated = true;
	if (col(c, "grant_id") == NULL ||
	    col_int(c, "consumer_agency_id") != who->agency_id ||
	    col_int(c, "grant_dataset") != c->dataset_id ||
	    (col(c, "grant_service") != NULL &&
	    col_int(c, "grant_service") != c->service_id))
		return gw_refuse(c, 403, "no_grant", "this account holds no "
		    "grant on this service");
	c->grant_id = col_int(c, "grant_id");
	c->consumer_id = col_int(c, "consumer_agency_id");
	c->consumer_code = col(c, "consumer_code");
	return DS_OK;
}

static int
check_grant(struct gw_call *c)
{
	const char *st = col(c, "grant_status");

	if (strcmp(st, "suspended") == 0)
		return gw_refuse(c, 403, "grant_suspended", "the grant is "
		    "suspended");
	if (strcmp(st, "terminated") == 0)
		return gw_refuse(c, 403, "grant_terminated", "the grant is "
		    "terminated");
	if (strcmp(st, "active") != 0)
		return gw_refuse(c, 403, "grant_expired", "the grant's term "
		    "has ended");
	return DS_OK;
}

static int
check_service(struct gw_call *c)
{
	if (strcmp(col(c, "status"), "active") != 0)
		return gw_refuse(c, 503, "service_suspended", "the service is "
		    "deprecated");
	if (col(c, "window_end") != NULL) {
		long long left = col_int(c, "window_end") - col_int(c, "now");

		http_header(c->r, "Retry-After", arena_printf(c->r->arena,
		    "%lld", left > 0 ? left : 1));
		return gw_refuse(c, 503, "service_suspended", "the service is "
		    "inside a planned suspension");
	}
	return DS_OK;
}

static int
check_rate(struct gw_call *c)
{
	long long retry = 0;
	enum rate_verdict v;

	v = rate_take(c->grant_id, col(c, "rate_limit_per_minute") ?
	    col_int(c, "rate_limit_per_minute") : 0, col(c, "daily_quota") ?
	    col_int(c, "daily_quota") : 0, c->t_req_in, &retry);
	if (v == RATE_OK)
		return DS_OK;
	http_header(c->r, "Retry-After", arena_printf(c->r->arena, "%lld",
	    retry));
	return v == RATE_MINUTE ?
	    gw_refuse(c, 429, "rate_limited", "the grant's calls a minute "
	    "reached the service's limit") :
	    gw_refuse(c, 429, "quota_exceeded", "the grant's calls today "
	    "reached the service's quota");
}

static int
check_size(struct gw_call *c)
{
	if (c->r->content_length > col_int(c, "max_request_bytes"))
		return gw_refuse(c, 413, "payload_too_large", "the body is "
		    "larger than the service's %lld bytes",
		    col_int(c, "max_request_bytes"));
	return DS_OK;
}

/* ------------------------------------------------------------------ */
/* the request body                                                     */

/* Reads the body as received, hashing it; past GW_BODY_MEMORY it goes to
 * a temporary file of the warehouse, from which forward.c sends it. */
static int
body_read(struct gw_call *c)
{
	struct http_req *r = c->r;
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	size_t want = r->content_length > 0 ? (size_t)r->content_length : 0;
	char *buf;
	int n;

	crypto_hash_sha256_init(&h);
	if (want > GW_BODY_MEMORY &&
	    (c->body_fd = blob_tmp(r->arena, &c->body_path)) < 0)
		return DS_ERR;
	buf = arena_alloc(r->arena, want > GW_BODY_MEMORY ? 65536 : want + 1);
	while (c->body_len < want) {
		size_t room = want - c->body_len;
		char *at = c->body_fd >= 0 ? buf : buf + c->body_len;

		if (c->body_fd >= 0 && room > 65536)
			room = 65536;
		if ((n = r->body_read(r->body_src, at, (int)room)) <= 0)
			return DS_EINVAL;
		crypto_hash_sha256_update(&h, (unsigned char *)at, (size_t)n);
		if (c->body_fd >= 0 && write(c->body_fd, at, (size_t)n) != n)
			return DS_ERR;
		c->body_len += (size_t)n;
	}
	c->body = c->body_fd >= 0 ? NULL : buf;
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(c->req_sha, sizeof(c->req_sha), md, sizeof(md));
	return DS_OK;
}

static int
body_or_reply(struct gw_call *c)
{
	int st = body_read(c);

	if (st == DS_OK)
		return DS_OK;
	return st == DS_EINVAL ?
	    gw_refuse(c, 400, "bad_request", "the body ended early") :
	    gw_refuse(c, 503, "storage_unavailable", "the body could not be "
	    "kept for forwarding");
}

/* ------------------------------------------------------------------ */
/* the call                                                             */

/* The statement, and the answers that need no row: 404, 503. */
static int
load_or_reply(struct gw_call *c, const struct identity *who)
{
	struct db_param p[] = { P_STR(c->service_code),
	    P_INT(who->account_id), P_STR(c->agency_code) };
	int st;

	if ((st = db_query(c->r->arena, check_sql, p, NPARAMS(p), &c->svc)) !=
	    DS_OK) {
		c->svc = NULL;
		return gw_refuse(c, 503, "database_unavailable", "the "
		    "gateway cannot check the call now");
	}
	if (c->svc->nrows != 1) {
		c->svc = NULL;
		return gw_refuse(c, 404, "no_such_service", "no callable "
		    "service %s of agency %s", c->service_code,
		    c->agency_code);
	}
	c->service_id = col_int(c, "id");
	c->dataset_id = col_int(c, "dataset_id");
	c->provider_id = col_int(c, "agency_id");
	return DS_OK;
}

static int
checks_or_reply(struct gw_call *c, const struct identity *who, bool good,
    const char *why)
{
	int st;

	if ((st = check_caller(c, who, good, why)) != DS_OK ||
	    (st = check_grant(c)) != DS_OK ||
	    (st = check_service(c)) != DS_OK)
		return st;
	if (col(c, "openapi") != NULL && !gw_openapi_declares(col(c,
	    "openapi"), c->method, c->rest))
		return gw_refuse(c, 403, "undeclared_operation", "%s %s is "
		    "not in the service's OpenAPI document", c->method,
		    c->rest);
	if ((st = check_rate(c)) != DS_OK || (st = check_size(c)) != DS_OK)
		return st;
	return DS_OK;
}

void
gw_call(struct http_req *r)
{
	struct gw_call c;
	struct identity who;
	const char *why;
	bool good;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.body_fd = -1;
	c.t_req_in = gw_now_ms();
	c.method = r->head ? "HEAD" : r->method;
	/* A small body is read first, so that every answer but a 413 can
	 * carry its hash. */
	if (r->content_length <= GW_BODY_MEMORY && body_or_reply(&c) != DS_OK)
		return;
	if (!gw_path_split(r->arena, r->path, &c.agency_code,
	    &c.service_code, &c.rest)) {
		gw_refuse(&c, 404, "no_such_service", "the path names no "
		    "service: /gw/{agency code}/{service code}/...");
		return;
	}
	good = token_good(&c, &who, &why);
	if (load_or_reply(&c, &who) != DS_OK ||
	    checks_or_reply(&c, &who, good, why) != DS_OK)
		goto done;
	if (c.req_sha[0] == '\0' && body_or_reply(&c) != DS_OK)
		goto done;
	gw_forward(&c);
done:
	if (c.body_fd >= 0) {
		close(c.body_fd);
		unlink(c.body_path);
	}
}
