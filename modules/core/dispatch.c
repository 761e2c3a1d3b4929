/*
 * The request path every module shares, from a request read into a
 * struct http_req to its answer (docs/architecture.md, "The request
 * path"): route (404, or 405 with Allow), body size (413) and type (415),
 * the token (401; a grant's system account confined to its grant's
 * routes; on an RT_ACCOUNT_JOINED GET the account is left to the
 * handler's own statement), the strict JSON parse (400), then the
 * handler, through an Idempotency-Key's replay when the request carries
 * one. server.c reads requests from FastCGI and writes the answers; tests
 * call server_dispatch directly.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ds.h"

static void
health(struct http_req *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	http_reply(r, 200, o);
}

static const struct route builtin[] = {
	{ "GET", "/api/v1/health", health, RT_PUBLIC },
};

static bool
is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static bool
is_form_type(const char *ct)
{
	size_t n = strlen("application/x-www-form-urlencoded");

	return ct != NULL && strncasecmp(ct,
	    "application/x-www-form-urlencoded", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Reads the whole body (content_length bytes) into the arena. */
static int
read_body(struct http_req *r)
{
	size_t want = (size_t)r->content_length, got = 0;
	int n;

	r->body = arena_alloc(r->arena, want + 1);
	while (got < want) {
		size_t chunk = want - got > 65536 ? 65536 : want - got;

		n = r->body_read(r->body_src, r->body + got, (int)chunk);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	r->body[got] = '\0';
	r->body_len = got;
	return 0;
}

static bool
has_body_method(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	    strcmp(m, "PATCH") == 0;
}

static const struct route *
route_find(const struct module *m, struct http_req *r)
{
	const struct route *hit = NULL;
	char allow[64], allow2[64];
	enum route_match rm, rm2 = ROUTE_NO_PATH;

	/* Whatever the answer to a HEAD, write_response leaves its body
	 * out (RFC 9110 9.3.2). */
	r->head = strcmp(r->method, "HEAD") == 0;
	rm = router_match(m->routes, m->nroutes, r->method, r->path, &hit,
	    r->captures, &r->ncaptures, allow, sizeof(allow));
	if (rm != ROUTE_FOUND)
		rm2 = router_match(builtin, NPARAMS(builtin), r->method,
		    r->path, &hit, r->captures, &r->ncaptures, allow2,
		    sizeof(allow2));
	if (rm == ROUTE_FOUND || rm2 == ROUTE_FOUND) {
		/* A HEAD matched its GET route (router.c): the handler runs
		 * it as that GET. */
		if (r->head)
			r->method = "GET";
		return hit;
	}
	if (rm == ROUTE_NO_METHOD || rm2 == ROUTE_NO_METHOD) {
		http_header(r, "Allow", arena_strdup(r->arena,
		    rm == ROUTE_NO_METHOD ? allow : allow2));
		http_error(r, 405, "method_not_allowed",
		    "%s is not allowed here", r->method);
		return NULL;
	}
	http_error(r, 404, "not_found", "no such resource");
	return NULL;
}

/* Every step before the handler: body limits and type, the token, the
 * body's syntax. Returns the route, or NULL with the error set. */
static const struct route *
prepare(const struct module *m, struct http_req *r)
{
	const struct route *rt;
	const char *why = NULL;
	long long limit = conf_int("body_limit", 1048576, 1024, 1LL << 30,
	    NULL);
	int st;

	if ((rt = route_find(m, r)) == NULL)
		return NULL;
	if (!(rt->flags & RT_RAW_BODY) && r->content_length > 0) {
		if (r->content_length > limit) {
			http_error(r, 413, "payload_too_large",
			    "the body is larger than %lld bytes", limit);
			return NULL;
		}
		if (!is_json_type(r->content_type) &&
		    !((rt->flags & RT_FORM_OR_JSON) &&
		    is_form_type(r->content_type))) {
			http_error(r, 415, "unsupported_media_type",
			    "the body must be application/json");
			return NULL;
		}
		if (read_body(r) != 0) {
			http_error(r, 400, "bad_request",
			    "the body ended early");
			return NULL;
		}
	}
	if (!(rt->flags & RT_PUBLIC) && (!(rt->flags & RT_OPTIONAL_AUTH) ||
	    r->authorization != NULL)) {
		/* A joined read checks the account in its own statement
		 * (auth_settle_or_reply); only GETs, see ds.h. */
		if ((rt->flags & RT_ACCOUNT_JOINED) &&
		    strcmp(r->method, "GET") == 0)
			st = auth_verify_deferred(r, rt->flags, &why);
		else if ((st = auth_verify(r->arena, r->authorization,
		    &r->who, &why)) == DS_OK)
			auth_confine_system(&r->who, rt->flags);
		if (st != DS_OK) {
			auth_refusal_reply(r, st, why);
			return NULL;
		}
	}
	if (r->body_len > 0 && is_json_type(r->content_type)) {
		char err[160];

		if ((r->json = json_parse_strict(r->body, r->body_len, err,
		    sizeof(err))) == NULL) {
			http_error(r, 400, "malformed_json", "%s", err);
			return NULL;
		}
	} else if ((rt->flags & RT_JSON_BODY) && has_body_method(r->method) &&
	    r->body_len == 0) {
		http_error(r, 400, "bad_request", "a JSON body is required");
		return NULL;
	}
	return rt;
}

/* A handler of an RT_ACCOUNT_JOINED route answered without checking
 * the caller's account. A 5xx stays (its statement failed: the database
 * is down); anything else is a bug, and whatever it wrote is taken back
 * for a 500, so that a disabled account learns nothing (a streamed
 * answer is cut off). */
static void
unsettled(struct http_req *r)
{
	r->pending = NULL;
	if (r->status >= 500 && !r->streamed)
		return;
	log_warnx(__func__, "%s %s answered %d without checking the account",
	    r->method, r->path, r->status);
	if (r->streamed) {
		r->abort = true;
		return;
	}
	json_object_put(r->resp);
	r->resp = NULL;
	r->resp_raw = NULL;
	r->status = 0;
	r->nheaders = 0;
	http_error_status(r, DS_ERR);
}

static void
run_handler(const struct route *rt, struct http_req *r)
{
	rt->fn(r);
	if (r->pending != NULL)
		unsettled(r);
	if (db_in_tx()) {
		log_warnx(__func__, "%s %s left a transaction open",
		    r->method, r->path);
		db_rollback();
	}
	if (r->status == 0 && r->resp == NULL && r->resp_raw == NULL)
		http_error_status(r, DS_ERR);
}

void
server_dispatch(const struct module *m, struct http_req *r)
{
	const struct route *rt;

	if ((rt = prepare(m, r)) != NULL) {
		/* A raw body (an upload) is streamed by its handler and is
		 * not in the request hash, so a replay could answer another
		 * upload with the first one's result: those routes keep
		 * their own idempotency (content addressing). */
		if (strcmp(r->method, "POST") == 0 && r->who.authenticated &&
		    r->idempotency_key != NULL && !(rt->flags & RT_RAW_BODY))
			idempotent_run(rt, r, run_handler);
		else
			run_handler(rt, r);
	}
	json_object_put(r->json);
	r->json = NULL;
	json_object_put(r->details);
	r->details = NULL;
}
