/*
 * router.c: method + path patterns with {id} captures; 404 (no path) and
 * 405 (known path, other method) with the Allow list.
 */
#include "unit.h"

static void h_list(struct http_req *r) { (void)r; }
static void h_create(struct http_req *r) { (void)r; }
static void h_get(struct http_req *r) { (void)r; }
static void h_patch(struct http_req *r) { (void)r; }
static void h_account(struct http_req *r) { (void)r; }
static void h_approve(struct http_req *r) { (void)r; }

static const struct route routes[] = {
	{ "GET", "/api/v1/agencies", h_list, 0 },
	{ "POST", "/api/v1/agencies", h_create, 0 },
	{ "GET", "/api/v1/agencies/{id}", h_get, 0 },
	{ "PATCH", "/api/v1/agencies/{id}", h_patch, 0 },
	{ "POST", "/api/v1/grants/{id}/accounts/{account}", h_account, 0 },
	{ "POST", "/api/v1/sharing-requests/{id}/approve", h_approve, 0 },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

struct match {
	enum route_match	 rm;
	const struct route	*hit;
	long long		 cap[HTTP_MAX_CAPTURES];
	size_t			 ncap;
	char			 allow[64];
};

static struct match
match(const char *method, const char *path)
{
	struct match m;

	memset(&m, 0, sizeof(m));
	m.ncap = 99;
	strcpy(m.allow, "stale");
	m.rm = router_match(routes, NROUTES, method, path, &m.hit, m.cap,
	    &m.ncap, m.allow, sizeof(m.allow));
	return m;
}

static void
no_path(const char *method, const char *path)
{
	struct match m = match(method, path);

	if (m.rm != ROUTE_NO_PATH)
		fail_msg("%s %s: expected no match, got %d", method, path, m.rm);
	assert_null(m.hit);
	assert_string_equal(m.allow, "");
}

static void
test_exact_path_matches_by_method(void **state)
{
	struct match m;

	(void)state;
	m = match("GET", "/api/v1/agencies");
	assert_int_equal(m.rm, ROUTE_FOUND);
	assert_ptr_equal(m.hit, &routes[0]);
	assert_int_equal(m.ncap, 0);
	m = match("POST", "/api/v1/agencies");
	assert_int_equal(m.rm, ROUTE_FOUND);
	assert_ptr_equal(m.hit->fn, h_create);
}

static void
test_id_is_captured(void **state)
{
	struct match m;

	(void)state;
	m = match("GET", "/api/v1/agencies/42");
	assert_int_equal(m.rm, ROUTE_FOUND);
	assert_ptr_equal(m.hit->fn, h_get);
	assert_int_equal(m.ncap, 1);
	assert_int_equal(m.cap[0], 42);
	m = match("PATCH", "/api/v1/agencies/999999999999999");
	assert_int_equal(m.rm, ROUTE_FOUND);
	assert_ptr_equal(m.hit->fn, h_patch);
	assert_int_equal(m.cap[0], 999999999999999LL);
}

static void
test_two_captures_in_order(void **state)
{
	struct match m;

	(void)state;
	m = match("POST", "/api/v1/grants/7/accounts/12");
	assert_int_equal(m.rm, ROUTE_FOUND);
	assert_ptr_equal(m.hit->fn, h_account);
	assert_int_equal(m.ncap, 2);
	assert_int_equal(m.cap[0], 7);
	assert_int_equal(m.cap[1], 12);
	m = match("POST", "/api/v1/sharing-requests/5/approve");
	assert_int_equal(m.rm, ROUTE_FOUND);
	assert_ptr_equal(m.hit->fn, h_approve);
	assert_int_equal(m.cap[0], 5);
}

static void
test_non_numeric_or_zero_id_matches_nothing(void **state)
{
	(void)state;
	no_path("GET", "/api/v1/agencies/abc");
	no_path("GET", "/api/v1/agencies/0");
	no_path("GET", "/api/v1/agencies/-1");
	no_path("GET", "/api/v1/agencies/12a");
	no_path("GET", "/api/v1/agencies/1.5");
	no_path("GET", "/api/v1/agencies/%31");
	no_path("GET", "/api/v1/agencies/ 1");
	no_path("POST", "/api/v1/grants/x/accounts/1");
	no_path("POST", "/api/v1/grants/1/accounts/0");
	/* Sixteen digits could overflow a later multiplication: refused. */
	no_path("GET", "/api/v1/agencies/1000000000000000");
	/* Other methods do not turn a bad id into a 405 either. */
	no_path("DELETE", "/api/v1/agencies/abc");
	/* One spelling per id: no sign, no white space. */
	no_path("GET", "/api/v1/agencies/+5");
	no_path("GET", "/api/v1/agencies/-5");
	no_path("GET", "/api/v1/agencies/%2B5");
	no_path("GET", "/api/v1/agencies/ 5");
	no_path("HEAD", "/api/v1/agencies/+5");
}

/* RFC 9110 9.3.2: HEAD is served wherever GET is, by the GET route; it
 * is never a route of its own and never listed without GET. */
static void
test_head_matches_the_get_route(void **state)
{
	struct match m;

	(void)state;
	m = match("HEAD", "/api/v1/agencies");
	assert_int_equal(m.rm, ROUTE_FOUND);
	assert_ptr_equal(m.hit, &routes[0]);
	m = match("HEAD", "/api/v1/agencies/42");
	assert_int_equal(m.rm, ROUTE_FOUND);
	assert_ptr_equal(m.hit->fn, h_get);
	assert_int_equal(m.ncap, 1);
	assert_int_equal(m.cap[0], 42);
	/* A path with no GET has no HEAD either. */
	m = match("HEAD", "/api/v1/sharing-requests/5/approve");
	assert_int_equal(m.rm, ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "POST");
	no_path("HEAD", "/api/v1/nothing");
	/* Methods stay case-sensitive. */
	m = match("head", "/api/v1/agencies");
	assert_int_equal(m.rm, ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "GET, HEAD, POST");
}

static void
test_wrong_method_lists_allowed_methods(void **state)
{
	struct match m;

	(void)state;
	m = match("DELETE", "/api/v1/agencies/3");
	assert_int_equal(m.rm, ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "GET, HEAD, PATCH");
	m = match("PUT", "/api/v1/agencies");
	assert_int_equal(m.rm, ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "GET, HEAD, POST");
	m = match("GET", "/api/v1/sharing-requests/5/approve");
	assert_int_equal(m.rm, ROUTE_NO_METHOD);
	assert_string_equal(m.allow, "POST");
	/* Methods are case-sensitive (RFC 9110, 9.1). */
	m = match("get", "/api/v1/agencies");
	assert_int_equal(m.rm, ROUTE_NO_METHOD);
}

static void
test_allow_list_fits_a_small_buffer(void **state)
{
	const struct route *hit = NULL;
	long long cap[HTTP_MAX_CAPTURES];
	size_t ncap = 0;
	char allow[6];

	(void)state;
	memset(allow, 'x', sizeof(allow));
	assert_int_equal(router_match(routes, NROUTES, "DELETE",
	    "/api/v1/agencies/3", &hit, cap, &ncap, allow, sizeof(allow)),
	    ROUTE_NO_METHOD);
	/* Truncated, but terminated within the buffer. */
	assert_non_null(memchr(allow, '\0', sizeof(allow)));
	assert_string_equal(allow, "GET, ");
}

static void
test_trailing_slash_is_another_path(void **state)
{
	(void)state;
	no_path("GET", "/api/v1/agencies/");
	no_path("GET", "/api/v1/agencies/3/");
	no_path("POST", "/api/v1/sharing-requests/5/approve/");
	no_path("GET", "/api/v1/agencies//3");
}

static void
test_longer_or_shorter_paths_match_nothing(void **state)
{
	(void)state;
	no_path("GET", "/api/v1/agencies/3/extra");
	no_path("GET", "/api/v1/agenciesx");
	no_path("GET", "/api/v1/agencie");
	no_path("GET", "/api/v1");
	no_path("GET", "/");
	no_path("GET", "");
	no_path("POST", "/api/v1/grants/7/accounts");
	no_path("POST", "/api/v1/grants/7/accounts/");
	no_path("POST", "/api/v1/sharing-requests/5");
	no_path("POST", "/api/v1/sharing-requests/5/approv");
	no_path("POST", "/api/v1/sharing-requests/5/approved");
	no_path("GET", "/API/V1/AGENCIES");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_path_matches_by_method),
		cmocka_unit_test(test_id_is_captured),
		cmocka_unit_test(test_two_captures_in_order),
		cmocka_unit_test(test_non_numeric_or_zero_id_matches_nothing),
		cmocka_unit_test(test_wrong_method_lists_allowed_methods),
		cmocka_unit_test(test_head_matches_the_get_route),
		cmocka_unit_test(test_allow_list_fits_a_small_buffer),
		cmocka_unit_test(test_trailing_slash_is_another_path),
		cmocka_unit_test(test_longer_or_shorter_paths_match_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
