/*
 * gw_parse.c: the gateway's parsing of a call's path, of the headers each
 * way, of the path sent upstream and of a service's OpenAPI operations.
 */
#include "unit.h"

static struct arena *a;

static int
setup(void **state)
{
	(void)state;
	a = arena_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(a);
	return 0;
}

static void
split_ok(const char *path, const char *agency, const char *service,
    const char *rest)
{
	const char *ag = NULL, *sv = NULL, *re = NULL;

	if (!gw_path_split(a, path, &ag, &sv, &re))
		fail_msg("%s: refused", path);
	assert_string_equal(ag, agency);
	assert_string_equal(sv, service);
	assert_string_equal(re, rest);
}

static void
split_refused(const char *path)
{
	const char *ag = NULL, *sv = NULL, *re = NULL;

	if (gw_path_split(a, path, &ag, &sv, &re))
		fail_msg("%s: split into %s, %s, %s", path, ag, sv, re);
	assert_null(ag);
}

static void
test_path_split_gives_the_codes_and_the_rest(void **state)
{
	(void)state;
	split_ok("/gw/SO-TNMT/tra-cuu/records/42", "SO-TNMT", "tra-cuu",
	    "/records/42");
	split_ok("/gw/SO.TNMT_1/svc", "SO.TNMT_1", "svc", "/");
	split_ok("/gw/A/b/", "A", "b", "/");
	split_ok("/gw/A/b//x?", "A", "b", "//x?");
	split_ok("/gw/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/b", /* 32 */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "b", "/");
}

static void
test_path_naming_no_service_is_refused(void **state)
{
	(void)state;
	split_refused("/gw/");
	split_refused("/gw/A");
	split_refused("/gw/A/");
	split_refused("/gw//b/x");
	split_refused("/gw/A/b_c/x");		/* '_' only in agency codes */
	split_refused("/gw/A B/c");
	split_refused("/gw/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/b");	/* 33 */
	split_refused("/gw/A/"
	    "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss");
	split_refused("/gw");
	split_refused("/api/v1/x");
	split_refused("");
}

static void
test_path_encode_escapes_all_but_path_bytes(void **state)
{
	(void)state;
	assert_string_equal(gw_path_encode(a, "/records/42"), "/records/42");
	assert_string_equal(gw_path_encode(a, "/a b/c?d#e%f"),
	    "/a%20b/c%3Fd%23e%25f");
	assert_string_equal(gw_path_encode(a, "/-._~!$&'()*+,;=:@"),
	    "/-._~!$&'()*+,;=:@");
	assert_string_equal(gw_path_encode(a, "/Phú"), "/Ph%C3%BA");
	assert_string_equal(gw_path_encode(a, ""), "");
}

static void
test_consumer_headers_become_lines_for_the_provider(void **state)
{
	(void)state;
	assert_string_equal(gw_header_from_env(a, "HTTP_X_FOO_BAR=v"),
	    "X-Foo-Bar: v");
	assert_string_equal(gw_header_from_env(a, "HTTP_ACCEPT=*/*"),
	    "Accept: */*");
	assert_string_equal(gw_header_from_env(a, "HTTP_X_A="), "X-A: ");
	assert_string_equal(gw_header_from_env(a, "HTTP_X_A=b=c"),
	    "X-A: b=c");
}

static void
test_consumer_headers_that_never_go_on(void **state)
{
	static const char *const never[] = { "HTTP_AUTHORIZATION=Bearer x",
	    "HTTP_COOKIE=a=b", "HTTP_HOST=h", "HTTP_EXPECT=100-continue",
	    "HTTP_CONTENT_LENGTH=3", "HTTP_CONTENT_TYPE=text/plain",
	    "HTTP_PROXY=http://p", "HTTP_PROXY_AUTHORIZATION=Basic x",
	    "HTTP_PROXY_FOO=1", "HTTP_CONNECTION=close", "HTTP_TE=trailers",
	    "HTTP_KEEP_ALIVE=1", "HTTP_TRANSFER_ENCODING=chunked",
	    "HTTP_UPGRADE=h2c", "HTTP_TRAILER=x",
	    "HTTP_X_DATASHARE_CONSUMER=FAKE", "HTTP_=v", "HTTP_X",
	    "CONTENT_TYPE=text/plain", "HTTP_X:_Y=v", "HTTP_X_Y=a\r\nZ: 1",
	    "HTTP_X Y=v", "HTTP_X_Y=a\x7f", NULL };

	(void)state;
	for (size_t i = 0; never[i] != NULL; i++)
		if (gw_header_from_env(a, never[i]) != NULL)
			fail_msg("%s went on", never[i]);
}

static void
test_provider_headers_kept_and_dropped(void **state)
{
	(void)state;
	assert_true(gw_header_valid("Content-Type", "application/json"));
	assert_true(gw_header_valid("X-T", "a\tb"));
	assert_true(gw_header_valid("X-U", "Phú Yên"));
	assert_false(gw_header_valid("", "v"));
	assert_false(gw_header_valid("Bad Name", "v"));
	assert_false(gw_header_valid("X:Y", "v"));
	assert_false(gw_header_valid("X", "a\rb"));
	assert_false(gw_header_valid("X", "a\x7f"));
	assert_true(gw_header_passed("Content-Type"));
	assert_true(gw_header_passed("Set-Cookie"));
	assert_false(gw_header_passed("X-Accel-Redirect"));
	assert_false(gw_header_passed("status"));
	assert_false(gw_header_passed("X-Request-Id"));
	assert_false(gw_header_passed("x-request-hash"));
	assert_false(gw_header_passed("X-Gateway-Error"));
	assert_false(gw_header_passed("X-Datashare-Narrowed"));
	assert_false(gw_header_passed("Content-Length"));
	assert_false(gw_header_passed("Transfer-Encoding"));
	assert_false(gw_header_passed("Proxy-Status"));
}

static void
test_template_segments(void **state)
{
	(void)state;
	assert_true(gw_template_matches("/records/{id}", "/records/42"));
	assert_false(gw_template_matches("/records/{id}", "/records/"));
	assert_false(gw_template_matches("/records/{id}", "/records/4/2"));
	assert_false(gw_template_matches("/records/{id}", "/records"));
	assert_true(gw_template_matches("/a/{x}/b/{y}", "/a/1/b/2"));
	assert_true(gw_template_matches("/report.{f}", "/report.json"));
	assert_false(gw_template_matches("/a/{x", "/a/{x"));
	assert_true(gw_template_matches("/plain", "/plain"));
	assert_false(gw_template_matches("/plain", "/plain/"));
}

static void
test_openapi_declares_method_and_path(void **state)
{
	const char *doc = "{\"openapi\": \"3.0.3\", \"paths\": {"
	    "\"/records/{id}\": {\"get\": {}}, \"/records\": {\"post\": {}},"
	    "\"/x\": \"get\"}}";

	(void)state;
	assert_true(gw_openapi_declares(doc, "GET", "/records/7"));
	assert_true(gw_openapi_declares(doc, "HEAD", "/records/7"));
	assert_false(gw_openapi_declares(doc, "DELETE", "/records/7"));
	assert_true(gw_openapi_declares(doc, "POST", "/records"));
	assert_false(gw_openapi_declares(doc, "GET", "/records"));
	assert_false(gw_openapi_declares(doc, "GET", "/x"));
	assert_false(gw_openapi_declares("not json", "GET", "/records/7"));
	assert_false(gw_openapi_declares("{\"paths\": []}", "GET", "/"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_split_gives_the_codes_and_the_rest),
		cmocka_unit_test(test_path_naming_no_service_is_refused),
		cmocka_unit_test(test_path_encode_escapes_all_but_path_bytes),
		cmocka_unit_test(
		    test_consumer_headers_become_lines_for_the_provider),
		cmocka_unit_test(test_consumer_headers_that_never_go_on),
		cmocka_unit_test(test_provider_headers_kept_and_dropped),
		cmocka_unit_test(test_template_segments),
		cmocka_unit_test(test_openapi_declares_method_and_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
