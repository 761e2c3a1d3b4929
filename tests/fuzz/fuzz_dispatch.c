/*
 * Fuzzes the whole path of a request before and around its handler, as
 * server.c's worker runs it, with the request in memory and no database:
 * the query string (http_parse_form, 400), routing (404, 405 + Allow),
 * Content-Length and the body limit (413), Content-Type (415), reading the
 * body, the Authorization header (401; no key is loaded, so no token can
 * pass and the database is never asked), the strict JSON parse (400), then
 * handlers in the house style reading declared fields, the query and the
 * cursor, and the raw body of an upload route.
 *
 * The input is lines, then the body:
 *   method \n path \n query \n content-type \n authorization \n
 *   content-length \n body...
 * An empty content-type or authorization line is an absent header; an
 * empty content-length line means the body's own length, "none" an
 * absent header, anything else is passed as CONTENT_LENGTH would be. A
 * method that nginx would refuse (not [A-Z_-]) becomes GET.
 *
 * Properties: every response is a known status with a body that is strict
 * JSON (the error envelope for errors), never a 500; a 401 carries
 * WWW-Authenticate, a 405 a non-empty Allow; a 413 only for a body over
 * the limit; no handler behind a token runs; an upload route's body is
 * left for its handler; nothing leaks.
 */
#include "fuzz.h"

#define BODY_LIMIT	2048

static struct arena *arena;
static bool reached_upload;
static bool trace;		/* FUZZ_TRACE=1: print each response */

struct membody {
	const uint8_t	*p;
	size_t		 len, off;
};

static int
mem_read(void *src, char *buf, int n)
{
	struct membody *m = src;
	size_t k = m->len - m->off;

	if (n < 0)
		abort();
	if (k > (size_t)n)
		k = (size_t)n;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (int)k;
}

static const char *const kinds[] = { "shared", "specialized", NULL };

static void
h_list(struct http_req *r)
{
	json_object *items;
	struct page pg;
	bool open;

	if (http_page_or_reply(r, &pg) != DS_OK ||
	    http_param_bool_or_reply(r, "open", &open) != DS_OK)
		return;
	FUZZ_CHECK(pg.limit >= 1 && pg.limit <= 200 && pg.after >= 0 &&
	    pg.after <= 1LL << 62, "page %lld after %lld", pg.limit, pg.after);
	/* A full page when the limit is small, so next_cursor is made. */
	items = json_object_new_array();
	for (long long i = 1; i <= pg.limit && i <= 5; i++) {
		json_object *it = json_object_new_object();

		json_object_object_add(it, "id",
		    json_object_new_int64(pg.after + i));
		json_object_array_add(items, it);
	}
	http_reply_page(r, &pg, items);
}

static const struct field create_spec[] = {
	{ "name", F_STRING, true, 1, 200, NULL },
	{ "kind", F_ENUM, true, 0, 0, kinds },
	{ "parent_id", F_ID, false, 0, 0, NULL },
	{ "open", F_BOOL, false, 0, 0, NULL },
	{ "due", F_DATE, false, 0, 0, NULL },
	{ "at", F_DATETIME, false, 0, 0, NULL },
	{ "keywords", F_STRINGS, false, 0, 20, NULL },
	{ "structure", F_ARRAY, false, 0, 0, NULL },
	{ "note", F_TEXT, false, 0, 0, NULL },
	{ "limits", F_OBJECT, false, 0, 0, NULL },
	{ "size", F_INT, false, 0, 1000000, NULL },
};

/* Echoes what was read: the reply is then checked like any other. */
static void
echo(struct http_req *r, int status, const struct field *spec, size_t n,
    const struct fval *v)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		json_object *x = NULL;

		if (!v[i].present)
			continue;
		switch (spec[i].type) {
		case F_INT:
		case F_ID:
			x = json_object_new_int64(v[i].i);
			break;
		case F_BOOL:
			x = json_object_new_boolean(v[i].i != 0);
			break;
		case F_ARRAY:
		case F_STRINGS:
		case F_OBJECT:
			x = json_object_get(v[i].o);
			break;
		default:
			x = json_object_new_string(v[i].s);
		}
		json_object_object_add(o, spec[i].name, x);
	}
	http_reply(r, status, o);
}

static void
h_create(struct http_req *r)
{
	struct fval v[NPARAMS(create_spec)];

	FUZZ_CHECK(r->json != NULL, "a JSON route without a body");
	if (json_read_or_reply(r, r->json, create_spec, NPARAMS(create_spec),
	    v) != DS_OK)
		return;
	echo(r, 201, create_spec, NPARAMS(create_spec), v);
}

static void
h_update(struct http_req *r)
{
	static const struct field spec[] = {
		{ "name", F_STRING, false, 1, 200, NULL },
		{ "kind", F_ENUM, false, 0, 0, kinds },
		{ "parent_id", F_ID, false, 0, 0, NULL },
	};
	struct fval v[NPARAMS(spec)];

	FUZZ_CHECK(r->ncaptures == 1 && r->captures[0] > 0, "captures");
	if (json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) != DS_OK)
		return;
	echo(r, 200, spec, NPARAMS(spec), v);
}

static void
h_show(struct http_req *r)
{
	json_object *o = json_object_new_object();

	FUZZ_CHECK(r->ncaptures >= 1 && r->ncaptures <= 2, "captures");
	for (size_t i = 0; i < r->ncaptures; i++)
		FUZZ_CHECK(r->captures[i] > 0 &&
		    r->captures[i] < 1000000000000000LL, "capture %lld",
		    r->captures[i]);
	json_object_object_add(o, "id", json_object_new_int64(r->captures[0]));
	http_reply(r, 200, o);
}

/* An upload reads its own body (RT_RAW_BODY), as a warehouse route will. */
static void
h_upload(struct http_req *r)
{
	char buf[4096];
	long long total = 0;
	int n;

	reached_upload = true;
	FUZZ_CHECK(r->body == NULL && r->json == NULL,
	    "core read an upload's body");
	while (total < r->content_length && (n = r->body_read(r->body_src,
	    buf, (int)sizeof(buf))) > 0)
		total += n;
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "size", json_object_new_int64(total));
		http_reply(r, 201, o);
	}
}

/* The token endpoint takes a form or JSON, as datashare-auth's does. */
static void
h_token(struct http_req *r)
{
	static const char *const grants[] = { "client_credentials", NULL };
	static const struct field spec[] = {
		{ "client_id", F_STRING, true, 1, 128, NULL },
		{ "client_secret", F_STRING, true, 1, 256, NULL },
		{ "grant_type", F_ENUM, false, 0, 0, grants },
	};
	struct fval v[NPARAMS(spec)];
	struct kv *kv;
	size_t n;
	json_object *o;

	if (r->json != NULL) {
		if (json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ==
		    DS_OK)
			echo(r, 200, spec, NPARAMS(spec), v);
		return;
	}
	if (http_parse_form(r->arena, r->body ? r->body : "", r->body_len,
	    &kv, &n) != DS_OK) {
		http_error(r, 400, "invalid_request",
		    "the form body is malformed");
		return;
	}
	o = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, kv[i].key,
		    json_object_new_string(kv[i].value));
	http_reply(r, 200, o);
}

/* Optional authentication: reached only without a token, as no token
 * can verify here. */
static void
h_feed(struct http_req *r)
{
	FUZZ_CHECK(!r->who.authenticated && r->authorization == NULL,
	    "an optional-auth route ran with a token");
	http_reply(r, 200, json_object_new_object());
}

static void
h_never(struct http_req *r)
{
	FUZZ_CHECK(false, "%s %s ran without a valid token", r->method,
	    r->path);
}

static const struct route routes[] = {
	{ "GET",   "/api/v1/things", h_list, RT_PUBLIC },
	{ "POST",  "/api/v1/things", h_create, RT_PUBLIC | RT_JSON_BODY },
	{ "GET",   "/api/v1/things/{id}", h_show, RT_PUBLIC },
	{ "PATCH", "/api/v1/things/{id}", h_update, RT_PUBLIC | RT_JSON_BODY },
	{ "GET",   "/api/v1/things/{id}/parts/{id}", h_show, RT_PUBLIC },
	{ "POST",  "/api/v1/things/{id}/files", h_upload,
	    RT_PUBLIC | RT_RAW_BODY },
	{ "POST",  "/api/v1/auth/token", h_token, RT_PUBLIC | RT_FORM_OR_JSON },
	{ "GET",   "/api/v1/feed", h_feed, RT_OPTIONAL_AUTH },
	{ "GET",   "/api/v1/me", h_never, 0 },
	{ "POST",  "/api/v1/me/things", h_never, RT_JSON_BODY },
	{ "POST",  "/api/v1/things/{id}/approve", h_never, 0 },
};

static const struct module module = {
	.name = "datashare-fuzz",
	.routes = routes,
	.nroutes = NPARAMS(routes),
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena = arena_new();
	trace = getenv("FUZZ_TRACE") != NULL;
	conf_set("body_limit", "2048");
	/* No key: every token fails before the database would be asked. */
	return 0;
}

static const char *
nginx_method(const char *m)
{
	if (*m == '\0' || strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") !=
	    strlen(m))
		return "GET";
	return m;
}

static const char *
header_value(const struct http_req *r, const char *key)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].key, key) == 0)
			return r->headers[i].value;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	struct membody body;
	const char *cl, *v;
	long long len;

	fuzz_req_init(&r, arena);
	r.method = nginx_method(fuzz_line(arena, &data, &size));
	r.path = fuzz_line(arena, &data, &size);
	r.query = fuzz_line(arena, &data, &size);
	r.content_type = fuzz_line(arena, &data, &size);
	r.authorization = fuzz_line(arena, &data, &size);
	cl = fuzz_line(arena, &data, &size);
	if (*r.content_type == '\0')
		r.content_type = NULL;
	if (*r.authorization == '\0')
		r.authorization = NULL;
	if (*cl == '\0')
		cl = arena_printf(arena, "%zu", size);
	else if (strcmp(cl, "none") == 0)
		cl = NULL;
	/* As request_from_fcgi reads CONTENT_LENGTH. */
	r.content_length = cl != NULL && *cl != '\0' ?
	    (parse_ll(cl, 0, 1LL << 40, &len) == 0 ? len : -1) : 0;
	body = (struct membody){ data, size, 0 };
	r.body_read = mem_read;
	r.body_src = &body;
	reached_upload = false;

	/* As worker_loop: a bad query string is a 400 before routing. */
	if (r.query[0] != '\0' && http_parse_form(r.arena, r.query,
	    strlen(r.query), &r.params, &r.nparams) != 0)
		http_error(&r, 400, "bad_request",
		    "the query string is malformed");
	else
		server_dispatch(&module, &r);

	if (trace)
		fprintf(stderr, "%s %s -> %d %s\n", r.method, r.path, r.status,
		    r.resp ? json_object_to_json_string_ext(r.resp,
		    JSON_C_TO_STRING_PLAIN) : "");
	fuzz_check_response(&r);
	FUZZ_CHECK(!r.who.authenticated, "authenticated without a key");
	FUZZ_CHECK(r.json == NULL && r.details == NULL,
	    "server_dispatch kept the request's JSON");
	if (r.status == 401)
		FUZZ_CHECK((v = header_value(&r, "WWW-Authenticate")) != NULL &&
		    strcmp(v, "Bearer") == 0, "401 without WWW-Authenticate");
	if (r.status == 405)
		FUZZ_CHECK((v = header_value(&r, "Allow")) != NULL &&
		    *v != '\0', "405 without Allow");
	if (r.status == 413)
		FUZZ_CHECK(r.content_length > BODY_LIMIT, "413 for %lld bytes",
		    r.content_length);
	if (r.status < 300 && r.content_length > BODY_LIMIT)
		FUZZ_CHECK(reached_upload, "a %lld byte body got through",
		    r.content_length);
	fuzz_req_done(&r);
	return 0;
}
