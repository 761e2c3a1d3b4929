/*
 * server.c: server_dispatch, the path every request takes before and
 * after its handler (404, 405 + Allow, 413, 415, 400, 401, 500), driven
 * with in-memory requests: no socket and no database.
 */
#include <stdio.h>

#include "unit.h"

/* A body read from memory, counting the reads. */
struct membody {
	const char	*p;
	size_t		 len, off;
	int		 calls;
};

static int
mem_read(void *src, char *buf, int n)
{
	struct membody *m = src;
	size_t k = m->len - m->off;

	m->calls++;
	if (k > (size_t)n)
		k = (size_t)n;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (int)k;
}

static int reached;		/* handler calls */

static void
h_thing(struct http_req *r)
{
	json_object *o = json_object_new_object();

	reached++;
	json_object_object_add(o, "id", json_object_new_int64(r->captures[0]));
	json_object_object_add(o, "ncaptures",
	    json_object_new_int64((int64_t)r->ncaptures));
	http_reply(r, 200, o);
}

static void
h_create(struct http_req *r)
{
	static const struct field spec[] = {
		{ "name", F_STRING, true, 1, 50, NULL },
	};
	struct fval v[1];
	json_object *o;

	reached++;
	if (json_read_or_reply(r, r->json, spec, 1, v) != DS_OK)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(v[0].s));
	http_reply(r, 201, o);
}

static void
h_token(struct http_req *r)
{
	struct kv *kv;
	size_t n;
	json_object *o = json_object_new_object();

	reached++;
	if (r->json != NULL)
		json_object_object_add(o, "kind", json_object_new_string("json"));
	else if (http_parse_form(r->arena, r->body, r->body_len, &kv, &n) ==
	    DS_OK && kv_get(kv, n, "grant_type") != NULL)
		json_object_object_add(o, "grant_type", json_object_new_string(
		    kv_get(kv, n, "grant_type")));
	http_reply(r, 200, o);
}

static void
h_silent(struct http_req *r)
{
	(void)r;
	reached++;
}

static void
h_upload(struct http_req *r)
{
	json_object *o = json_object_new_object();

	reached++;
	/* The handler reads the body itself: nothing was read for it. */
	json_object_object_add(o, "preread", json_object_new_boolean(r->body !=
	    NULL));
	http_reply(r, 202, o);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/things/{id}", h_thing, RT_PUBLIC },
	{ "POST", "/api/v1/things", h_create, RT_PUBLIC | RT_JSON_BODY },
	{ "POST", "/api/v1/token", h_token, RT_PUBLIC | RT_FORM_OR_JSON },
	{ "GET", "/api/v1/silent", h_silent, RT_PUBLIC },
	{ "GET", "/api/v1/private", h_thing, 0 },
	{ "GET", "/api/v1/maybe/{id}", h_thing, RT_OPTIONAL_AUTH },
	{ "POST", "/api/v1/upload", h_upload, RT_PUBLIC | RT_RAW_BODY },
};

static const struct module mod = {
	.name = "unit",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
};

static struct membody mb;

/* A request whose body is len bytes of body (len < 0: strlen(body)); a
 * NULL body announces len bytes but has none to read. */
static struct http_req *
req_body(const char *method, const char *path, const char *ctype,
    const char *body, long long len)
{
	struct http_req *r = req_new();

	r->method = method;
	r->path = path;
	r->request_id = "5e1f-req";
	r->content_type = ctype;
	memset(&mb, 0, sizeof(mb));
	mb.p = body != NULL ? body : "";
	mb.len = body == NULL ? 0 : len >= 0 ? (size_t)len : strlen(body);
	r->content_length = len >= 0 ? len : (long long)mb.len;
	r->body_read = mem_read;
	r->body_src = &mb;
	return r;
}

static struct http_req *
req_plain(const char *method, const char *path)
{
	return req_body(method, path, NULL, NULL, 0);
}

static struct http_req *
dispatch(struct http_req *r)
{
	reached = 0;
	server_dispatch(&mod, r);
	/* Whatever happened, nothing but the response is left to free. */
	assert_null(r->json);
	assert_null(r->details);
	return r;
}

static int
teardown(void **state)
{
	(void)state;
	conf_clear();
	return 0;
}

static void
test_handler_reply_comes_out(void **state)
{
	struct http_req *r = dispatch(req_plain("GET", "/api/v1/things/42"));

	(void)state;
	assert_int_equal(reached, 1);
	assert_int_equal(r->status, 200);
	assert_int_equal(json_object_get_int64(resp_at(r, "id")), 42);
	assert_int_equal(json_object_get_int64(resp_at(r, "ncaptures")), 1);
	req_free(r);
}

static void
test_unknown_path_is_404(void **state)
{
	static const char *const paths[] = {
		"/api/v1/nothing", "/api/v1/things/0", "/api/v1/things/abc",
		"/api/v1/things/42/", "/",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct http_req *r = dispatch(req_plain("GET", paths[i]));

		assert_int_equal(reached, 0);
		assert_error(r, 404, "not_found");
		assert_string_equal(resp_str(r, "error.request_id"),
		    "5e1f-req");
		req_free(r);
	}
}

static void
test_wrong_method_is_405_with_allow(void **state)
{
	struct http_req *r;

	(void)state;
	r = dispatch(req_plain("DELETE", "/api/v1/things/42"));
	assert_int_equal(reached, 0);
	assert_error(r, 405, "method_not_allowed");
	assert_string_equal(header_value(r, "Allow"), "GET, HEAD");
	req_free(r);
	r = dispatch(req_plain("GET", "/api/v1/things"));
	assert_error(r, 405, "method_not_allowed");
	assert_string_equal(header_value(r, "Allow"), "POST");
	req_free(r);
	/* The built-in health route too. */
	r = dispatch(req_plain("POST", "/api/v1/health"));
	assert_error(r, 405, "method_not_allowed");
	assert_string_equal(header_value(r, "Allow"), "GET, HEAD");
	req_free(r);
}

/* RFC 9110 9.3.2: HEAD wherever GET is served, by the GET route, with
 * its status and headers (write_response then leaves the body out). */
static void
test_head_runs_the_get_route(void **state)
{
	struct http_req *r;

	(void)state;
	r = dispatch(req_plain("HEAD", "/api/v1/things/42"));
	assert_int_equal(reached, 1);
	assert_int_equal(r->status, 200);
	assert_true(r->head);
	assert_string_equal(r->method, "GET");
	assert_int_equal(json_object_get_int64(resp_at(r, "id")), 42);
	req_free(r);
	/* The built-in route and the token check as for GET. */
	r = dispatch(req_plain("HEAD", "/api/v1/health"));
	assert_int_equal(r->status, 200);
	assert_true(r->head);
	req_free(r);
	r = dispatch(req_plain("HEAD", "/api/v1/private"));
	assert_int_equal(reached, 0);
	assert_error(r, 401, "unauthorized");
	req_free(r);
	/* Where GET is not served, neither is HEAD; Allow names HEAD only
	 * beside GET. */
	r = dispatch(req_plain("HEAD", "/api/v1/things"));
	assert_int_equal(reached, 0);
	assert_error(r, 405, "method_not_allowed");
	assert_string_equal(header_value(r, "Allow"), "POST");
	assert_true(r->head);
	req_free(r);
	r = dispatch(req_plain("DELETE", "/api/v1/things/42"));
	assert_string_equal(header_value(r, "Allow"), "GET, HEAD");
	assert_false(r->head);
	req_free(r);
	r = dispatch(req_plain("HEAD", "/api/v1/nothing"));
	assert_error(r, 404, "not_found");
	req_free(r);
}

static void
test_health_is_built_in(void **state)
{
	struct http_req *r = dispatch(req_plain("GET", "/api/v1/health"));

	(void)state;
	assert_int_equal(r->status, 200);
	assert_string_equal(resp_str(r, "status"), "ok");
	req_free(r);
}

static void
test_json_body_reaches_the_handler(void **state)
{
	struct http_req *r = dispatch(req_body("POST", "/api/v1/things",
	    "application/json", "{\"name\":\"Sở Tài chính\"}", -1));

	(void)state;
	assert_int_equal(reached, 1);
	assert_int_equal(r->status, 201);
	assert_string_equal(resp_str(r, "name"), "Sở Tài chính");
	/* The whole body was read, and kept as text too. */
	assert_int_equal(r->body_len, strlen("{\"name\":\"Sở Tài chính\"}"));
	req_free(r);
}

static void
test_body_over_the_limit_is_413_unread(void **state)
{
	struct http_req *r;
	char *body = malloc(1025);

	(void)state;
	assert_non_null(body);
	conf_set("body_limit", "1024");
	r = dispatch(req_body("POST", "/api/v1/things", "application/json",
	    NULL, 1025));
	assert_int_equal(reached, 0);
	assert_error(r, 413, "payload_too_large");
	/* Refused on Content-Length: not one byte was read. */
	assert_int_equal(mb.calls, 0);
	req_free(r);
	/* 10 MB, as the API tests send. */
	conf_clear();
	r = dispatch(req_body("POST", "/api/v1/things", "application/json",
	    NULL, 10LL << 20));
	assert_error(r, 413, "payload_too_large");
	assert_int_equal(mb.calls, 0);
	req_free(r);
	/* Exactly at the limit is fine. */
	conf_set("body_limit", "1024");
	memset(body, ' ', 1024);
	memcpy(body, "{\"name\":\"x\"}", 12);
	body[1024] = '\0';
	r = dispatch(req_body("POST", "/api/v1/things", "application/json",
	    body, 1024));
	assert_int_equal(r->status, 201);
	req_free(r);
	free(body);
}

static void
test_wrong_content_type_is_415(void **state)
{
	static const char *const types[] = {
		"text/plain", "application/jsonx", "application/xml", "",
		"application/x-www-form-urlencoded", "json",
	};
	struct http_req *r;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		r = dispatch(req_body("POST", "/api/v1/things", types[i],
		    "{\"name\":\"x\"}", -1));
		assert_int_equal(reached, 0);
		assert_error(r, 415, "unsupported_media_type");
		req_free(r);
	}
	r = dispatch(req_body("POST", "/api/v1/things", NULL,
	    "{\"name\":\"x\"}", -1));
	assert_error(r, 415, "unsupported_media_type");
	req_free(r);
	/* Parameters and case do not matter. */
	r = dispatch(req_body("POST", "/api/v1/things",
	    "Application/JSON; charset=utf-8", "{\"name\":\"x\"}", -1));
	assert_int_equal(r->status, 201);
	req_free(r);
}

static void
test_form_only_where_the_route_allows_it(void **state)
{
	struct http_req *r;

	(void)state;
	r = dispatch(req_body("POST", "/api/v1/token",
	    "application/x-www-form-urlencoded; charset=UTF-8",
	    "grant_type=client_credentials", -1));
	assert_int_equal(r->status, 200);
	assert_string_equal(resp_str(r, "grant_type"), "client_credentials");
	req_free(r);
	r = dispatch(req_body("POST", "/api/v1/token", "application/json",
	    "{\"client_id\":\"a\"}", -1));
	assert_int_equal(r->status, 200);
	assert_string_equal(resp_str(r, "kind"), "json");
	req_free(r);
	r = dispatch(req_body("POST", "/api/v1/token", "text/plain",
	    "grant_type=client_credentials", -1));
	assert_error(r, 415, "unsupported_media_type");
	req_free(r);
}

static void
malformed(const char *body, size_t len)
{
	struct http_req *r = dispatch(req_body("POST", "/api/v1/things",
	    "application/json", body, (long long)len));

	if (r->status != 400)
		fail_msg("%.*s: status %d", (int)len, body, r->status);
	assert_int_equal(reached, 0);
	assert_error(r, 400, "malformed_json");
	req_free(r);
}

static void
test_malformed_json_is_400(void **state)
{
	static const char nul[] = "{\"name\":\"a\0b\"}";

	(void)state;
	malformed("{bad", 4);
	malformed("{\"name\":\"x\"} trailing", 21);
	malformed("{\"name\":\"x\",\"name\":\"y\"}", 23);
	malformed("{\"name\":NaN}", 12);
	malformed("{'name':\"x\"}", 12);
	malformed("{\"name\":\"\xc0\xaf\"}", 13);
	malformed(nul, sizeof(nul) - 1);
	/* A raw control character in a string (RFC 8259 section 7). */
	malformed("{\"name\":\"a\nb\"}", 14);
	malformed("{\"name\":\"\x1f\"}", 12);
	malformed("{\"name\":1,\"a\tb\":2}", 18);
}

static void
test_short_body_is_400(void **state)
{
	struct http_req *r = req_body("POST", "/api/v1/things",
	    "application/json", "{\"name\":\"x\"}", -1);

	(void)state;
	/* The client announced more than it sent. */
	r->content_length = 100;
	dispatch(r);
	assert_int_equal(reached, 0);
	assert_error(r, 400, "bad_request");
	req_free(r);
}

static void
test_missing_json_body_is_400(void **state)
{
	struct http_req *r = dispatch(req_body("POST", "/api/v1/things",
	    "application/json", "", 0));

	(void)state;
	assert_int_equal(reached, 0);
	assert_error(r, 400, "bad_request");
	req_free(r);
}

static void
test_handler_422_names_fields(void **state)
{
	struct http_req *r = dispatch(req_body("POST", "/api/v1/things",
	    "application/json", "{\"nme\":\"x\"}", -1));

	(void)state;
	assert_int_equal(reached, 1);
	assert_error(r, 422, "validation_failed");
	assert_string_equal(detail_for(r, "nme"), "unknown field");
	assert_string_equal(detail_for(r, "name"), "is required");
	assert_string_equal(resp_str(r, "error.request_id"), "5e1f-req");
	req_free(r);
}

static void
test_handler_without_reply_is_500(void **state)
{
	struct http_req *r = dispatch(req_plain("GET", "/api/v1/silent"));

	(void)state;
	assert_int_equal(reached, 1);
	assert_error(r, 500, "internal_error");
	req_free(r);
}

static void
test_private_route_needs_a_token(void **state)
{
	static const char *const auth[] = {
		NULL, "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer x.y.z",
		"bearer", "Token abc",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++) {
		struct http_req *r = req_plain("GET", "/api/v1/private");

		r->authorization = auth[i];
		dispatch(r);
		assert_int_equal(reached, 0);
		assert_error(r, 401, "unauthorized");
		assert_string_equal(header_value(r, "WWW-Authenticate"),
		    "Bearer");
		assert_false(r->who.authenticated);
		req_free(r);
	}
}

static void
test_optional_auth_reads_a_token_only_when_given(void **state)
{
	struct http_req *r = dispatch(req_plain("GET", "/api/v1/maybe/5"));

	(void)state;
	assert_int_equal(reached, 1);
	assert_int_equal(r->status, 200);
	assert_false(r->who.authenticated);
	req_free(r);
	r = req_plain("GET", "/api/v1/maybe/5");
	r->authorization = "Bearer forged.token.here";
	dispatch(r);
	assert_int_equal(reached, 0);
	assert_error(r, 401, "unauthorized");
	req_free(r);
}

static void
test_raw_body_route_reads_its_own_body(void **state)
{
	struct http_req *r = dispatch(req_body("POST", "/api/v1/upload",
	    "text/csv", NULL, 50LL << 20));

	(void)state;
	/* Neither the size limit nor the type applies, and nothing was
	 * read before the handler. */
	assert_int_equal(reached, 1);
	assert_int_equal(r->status, 202);
	assert_false(json_object_get_boolean(resp_at(r, "preread")));
	assert_int_equal(mb.calls, 0);
	req_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, teardown)
		T(test_handler_reply_comes_out),
		T(test_unknown_path_is_404),
		T(test_wrong_method_is_405_with_allow),
		T(test_head_runs_the_get_route),
		T(test_health_is_built_in),
		T(test_json_body_reaches_the_handler),
		T(test_body_over_the_limit_is_413_unread),
		T(test_wrong_content_type_is_415),
		T(test_form_only_where_the_route_allows_it),
		T(test_malformed_json_is_400),
		T(test_short_body_is_400),
		T(test_missing_json_body_is_400),
		T(test_handler_422_names_fields),
		T(test_handler_without_reply_is_500),
		T(test_private_route_needs_a_token),
		T(test_optional_auth_reads_a_token_only_when_given),
		T(test_raw_body_route_reads_its_own_body),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
