/*
 * http.c: form and query decoding, typed query parameters, cursor paging
 * and the error envelope of DESIGN.md.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

/* ------------------------------------------------------------------ */
/* http_parse_form                                                      */

static int
form(struct arena *a, const char *text, struct kv **kv, size_t *n)
{
	return http_parse_form(a, text, strlen(text), kv, n);
}

static void
form_refused(const char *text)
{
	struct arena *a = arena_new();
	struct kv *kv;
	size_t n;

	if (form(a, text, &kv, &n) != DS_EINVAL)
		fail_msg("accepted: %s", text);
	arena_free(a);
}

static void
test_form_decodes_percent_and_plus(void **state)
{
	struct arena *a = arena_new();
	struct kv *kv;
	size_t n;

	(void)state;
	assert_int_equal(form(a, "a=1&b=hello+world&c=%C4%90%E1%BA%A5t+%c4%91ai"
	    "&d=%41%4a%4B&e=&f&g=a%2Bb%26c%3Dd&h+i=%20", &kv, &n), DS_OK);
	assert_int_equal(n, 8);
	assert_string_equal(kv_get(kv, n, "a"), "1");
	assert_string_equal(kv_get(kv, n, "b"), "hello world");
	assert_string_equal(kv_get(kv, n, "c"), "Đất đai");
	assert_string_equal(kv_get(kv, n, "d"), "AJK");
	assert_string_equal(kv_get(kv, n, "e"), "");
	assert_string_equal(kv_get(kv, n, "f"), "");
	assert_string_equal(kv_get(kv, n, "g"), "a+b&c=d");
	assert_string_equal(kv_get(kv, n, "h i"), " ");
	assert_null(kv_get(kv, n, "z"));
	/* Order is kept. */
	assert_string_equal(kv[0].key, "a");
	assert_string_equal(kv[7].key, "h i");
	arena_free(a);
}

static void
test_form_skips_empty_pairs(void **state)
{
	struct arena *a = arena_new();
	struct kv *kv;
	size_t n;

	(void)state;
	assert_int_equal(form(a, "", &kv, &n), DS_OK);
	assert_int_equal(n, 0);
	assert_null(kv);
	assert_int_equal(form(a, "&&a=1&&", &kv, &n), DS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(kv_get(kv, n, "a"), "1");
	/* Only the first '=' separates. */
	assert_int_equal(form(a, "x=a=b", &kv, &n), DS_OK);
	assert_string_equal(kv_get(kv, n, "x"), "a=b");
	arena_free(a);
}

static void
test_form_refuses_bad_escapes(void **state)
{
	(void)state;
	form_refused("a=%");
	form_refused("a=%4");
	form_refused("a=100%");
	form_refused("a=%zz");
	form_refused("a=%4g");
	form_refused("a=%g4");
	form_refused("%zz=1");
	form_refused("a=1&b=%%41");
}

static void
test_form_refuses_nul_and_bad_utf8(void **state)
{
	(void)state;
	form_refused("a=%00");
	form_refused("a=x%00y");
	form_refused("%00=1");
	form_refused("a=%ff");
	form_refused("a=%C0%AF");
	form_refused("a=%C4");
	form_refused("a=%ED%A0%80");
}

static void
test_form_refuses_repeated_keys(void **state)
{
	(void)state;
	form_refused("a=1&a=2");
	form_refused("a=1&a=1");
	form_refused("a&a");
	form_refused("a=1&b=2&a=3");
	/* The same key once decoded. */
	form_refused("a+b=1&a%20b=2");
	form_refused("x=1&%78=2");
}

static void
test_form_allows_64_pairs_not_65(void **state)
{
	struct arena *a = arena_new();
	char text[1024], *p;
	struct kv *kv;
	size_t n;

	(void)state;
	p = text;
	for (int i = 0; i < 64; i++)
		p += sprintf(p, "%sk%d=%d", i ? "&" : "", i, i);
	assert_int_equal(form(a, text, &kv, &n), DS_OK);
	assert_int_equal(n, 64);
	assert_string_equal(kv_get(kv, n, "k63"), "63");
	sprintf(p, "&k64=64");
	assert_int_equal(form(a, text, &kv, &n), DS_EINVAL);
	arena_free(a);
	/* Counted by separators, so empty pairs do not smuggle more in. */
	form_refused("a=1&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&"
	    "&&&&&&&&&&&&&&&&");
}

/* ------------------------------------------------------------------ */
/* query parameters                                                     */

static void
param_refused(const char *query, const char *key, long long min,
    long long max)
{
	struct http_req *r = req_new();
	long long v = 12345;
	char want[128];

	req_query(r, query);
	if (http_param_int_or_reply(r, key, 7, min, max, &v) != DS_REPLIED)
		fail_msg("%s accepted as %lld", query, v);
	assert_error(r, 422, "validation_failed");
	snprintf(want, sizeof(want), "must be an integer between %lld and %lld",
	    min, max);
	assert_string_equal(detail_for(r, key), want);
	req_free(r);
}

static void
test_param_int_default_and_bounds(void **state)
{
	struct http_req *r;
	long long v;

	(void)state;
	r = req_new();
	req_query(r, "other=5");
	assert_int_equal(http_param_int_or_reply(r, "n", 7, 1, 200, &v), DS_OK);
	assert_int_equal(v, 7);
	assert_null(r->resp);
	req_free(r);

	r = req_new();
	req_query(r, "n=1&m=200&k=-3");
	assert_int_equal(http_param_int_or_reply(r, "n", 7, 1, 200, &v), DS_OK);
	assert_int_equal(v, 1);
	assert_int_equal(http_param_int_or_reply(r, "m", 7, 1, 200, &v), DS_OK);
	assert_int_equal(v, 200);
	assert_int_equal(http_param_int_or_reply(r, "k", 0, -5, 5, &v), DS_OK);
	assert_int_equal(v, -3);
	assert_int_equal(r->status, 0);
	req_free(r);

	param_refused("n=0", "n", 1, 200);
	param_refused("n=201", "n", 1, 200);
	param_refused("n=-1", "n", 1, 200);
	param_refused("n=abc", "n", 1, 200);
	param_refused("n=10abc", "n", 1, 200);
	param_refused("n=", "n", 1, 200);
	param_refused("n=%205", "n", 1, 200);
	param_refused("n=5+", "n", 1, 200);
	param_refused("n=1e2", "n", 1, 200);
	param_refused("n=99999999999999999999", "n", 1, 200);
	param_refused("n=0x10", "n", 1, 200);
}

static void
test_param_bool(void **state)
{
	struct http_req *r = req_new();
	bool b = true;

	(void)state;
	req_query(r, "t=true&f=false&bad=TRUE&one=1");
	assert_int_equal(http_param_bool_or_reply(r, "t", &b), DS_OK);
	assert_true(b);
	assert_int_equal(http_param_bool_or_reply(r, "f", &b), DS_OK);
	assert_false(b);
	b = true;
	assert_int_equal(http_param_bool_or_reply(r, "absent", &b), DS_OK);
	assert_false(b);
	assert_int_equal(http_param_bool_or_reply(r, "bad", &b), DS_REPLIED);
	assert_error(r, 422, "validation_failed");
	assert_string_equal(detail_for(r, "bad"), "must be true or false");
	req_free(r);
	r = req_new();
	req_query(r, "one=1");
	assert_int_equal(http_param_bool_or_reply(r, "one", &b), DS_REPLIED);
	req_free(r);
}

/* ------------------------------------------------------------------ */
/* http_query_or_reply: declared query parameters                       */

static const char *const colours[] = { "red", "green", NULL };

enum { Q_AGENCY, Q_YEAR, Q_COLOUR, Q_LATE, Q_DAY, Q_SINCE, Q_NAME, Q__N };

static const struct field qspec[Q__N] = {
	[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
	[Q_YEAR] = { "year", F_INT, false, 2000, 9999, NULL },
	[Q_COLOUR] = { "colour", F_ENUM, false, 0, 0, colours },
	[Q_LATE] = { "late", F_BOOL, false, 0, 0, NULL },
	[Q_DAY] = { "day", F_DATE, false, 0, 0, NULL },
	[Q_SINCE] = { "since", F_DATETIME, false, 0, 0, NULL },
	[Q_NAME] = { "name", F_STRING, false, 1, 5, NULL },
};

static void
test_query_absent_parameters_are_not_present(void **state)
{
	struct http_req *r = req_new();
	struct fval v[Q__N];

	(void)state;
	req_query(r, "limit=5&cursor=abc");
	assert_int_equal(http_query_or_reply(r, qspec, Q__N, v), DS_OK);
	assert_int_equal(r->status, 0);
	for (size_t i = 0; i < Q__N; i++)
		assert_false(v[i].present);
	assert_int_equal(v[Q_AGENCY].i, 0);
	req_free(r);
}

static void
test_query_reads_each_type(void **state)
{
	struct http_req *r = req_new();
	struct fval v[Q__N];

	(void)state;
	req_query(r, "agency_id=7&year=2026&colour=green&late=false"
	    "&day=2026-02-28&since=2026-01-31T08:00:00%2B07:00&name=ab");
	assert_int_equal(http_query_or_reply(r, qspec, Q__N, v), DS_OK);
	assert_int_equal(v[Q_AGENCY].i, 7);
	assert_int_equal(v[Q_YEAR].i, 2026);
	assert_string_equal(v[Q_COLOUR].s, "green");
	assert_ptr_equal(v[Q_COLOUR].s, colours[1]);
	assert_true(v[Q_LATE].present);
	assert_int_equal(v[Q_LATE].i, 0);
	assert_string_equal(v[Q_DAY].s, "2026-02-28");
	assert_string_equal(v[Q_SINCE].s, "2026-01-31 01:00:00");
	assert_string_equal(v[Q_NAME].s, "ab");
	req_free(r);
}

static void
test_query_unknown_parameter_is_422_naming_it(void **state)
{
	struct http_req *r = req_new();
	struct fval v[Q__N];

	(void)state;
	req_query(r, "agency_id=7&form=csv");
	assert_int_equal(http_query_or_reply(r, qspec, Q__N, v), DS_REPLIED);
	assert_error(r, 422, "validation_failed");
	assert_string_equal(resp_str(r, "error.message"),
	    "invalid query parameter");
	assert_string_equal(detail_for(r, "form"), "unknown parameter");
	assert_int_equal(detail_count(r), 1);
	req_free(r);

	/* A list without filters still refuses what it does not know. */
	r = req_new();
	req_query(r, "limit=3&status=open");
	assert_int_equal(http_query_or_reply(r, NULL, 0, NULL), DS_REPLIED);
	assert_string_equal(detail_for(r, "status"), "unknown parameter");
	req_free(r);

	r = req_new();
	req_query(r, "limit=3&cursor=x");
	assert_int_equal(http_query_or_reply(r, NULL, 0, NULL), DS_OK);
	req_free(r);
}

static void
test_query_names_every_bad_value(void **state)
{
	struct http_req *r = req_new();
	struct fval v[Q__N];

	(void)state;
	req_query(r, "agency_id=0&year=1999&colour=blue&late=1&day=2026-02-31"
	    "&since=yesterday&name=toolong&x=1");
	assert_int_equal(http_query_or_reply(r, qspec, Q__N, v), DS_REPLIED);
	assert_error(r, 422, "validation_failed");
	assert_string_equal(detail_for(r, "agency_id"),
	    "must be an integer between 1 and 9007199254740992");
	assert_string_equal(detail_for(r, "year"),
	    "must be an integer between 2000 and 9999");
	assert_string_equal(detail_for(r, "colour"),
	    "must be one of: red, green");
	assert_string_equal(detail_for(r, "late"), "must be true or false");
	assert_string_equal(detail_for(r, "day"), "must be a date YYYY-MM-DD");
	assert_non_null(detail_for(r, "since"));
	assert_string_equal(detail_for(r, "name"),
	    "must have at most 5 characters");
	assert_string_equal(detail_for(r, "x"), "unknown parameter");
	assert_int_equal(detail_count(r), 8);
	req_free(r);

	r = req_new();
	req_query(r, "agency_id=&colour=");
	assert_int_equal(http_query_or_reply(r, qspec, Q__N, v), DS_REPLIED);
	assert_int_equal(detail_count(r), 2);
	req_free(r);
}

static void
test_query_required_parameter(void **state)
{
	static const struct field spec[] = {
		{ "from", F_DATE, F_REQUIRED, 0, 0, NULL },
	};
	struct http_req *r = req_new();
	struct fval v[1];

	(void)state;
	req_query(r, "limit=2");
	assert_int_equal(http_query_or_reply(r, spec, 1, v), DS_REPLIED);
	assert_string_equal(detail_for(r, "from"), "is required");
	req_free(r);
}

/* ------------------------------------------------------------------ */
/* paging                                                               */

static void
test_page_defaults(void **state)
{
	struct http_req *r = req_new();
	struct page pg = { -1, -1 };

	(void)state;
	assert_int_equal(http_page_or_reply(r, &pg), DS_OK);
	assert_int_equal(pg.limit, 50);
	assert_int_equal(pg.after, 0);
	req_free(r);
	r = req_new();
	req_query(r, "limit=200");
	assert_int_equal(http_page_or_reply(r, &pg), DS_OK);
	assert_int_equal(pg.limit, 200);
	req_free(r);
}

static void
test_page_limit_out_of_range_is_422(void **state)
{
	static const char *const bad[] = {
		"limit=0", "limit=201", "limit=-1", "limit=x", "limit=",
		/* "+5" and " 5": one spelling per value (parse_ll). */
		"limit=%2B5", "limit=+5", "limit=%205", "limit=%095",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct http_req *r = req_new();
		struct page pg;

		req_query(r, bad[i]);
		assert_int_equal(http_page_or_reply(r, &pg), DS_REPLIED);
		assert_error(r, 422, "validation_failed");
		assert_non_null(detail_for(r, "limit"));
		req_free(r);
	}
}

static json_object *
items_with_ids(const long long *ids, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(ids[i]));
		json_object_array_add(a, o);
	}
	return a;
}

static void
test_page_cursor_round_trip(void **state)
{
	static const long long ids[] = { 5, 9 };
	struct http_req *r = req_new();
	struct page pg;
	char query[128];
	const char *cursor;
	json_object *items;

	(void)state;
	req_query(r, "limit=2");
	assert_int_equal(http_page_or_reply(r, &pg), DS_OK);
	http_reply_page(r, &pg, items_with_ids(ids, 2));
	assert_int_equal(r->status, 200);
	assert_true(json_object_object_get_ex(r->resp, "items", &items));
	assert_int_equal(json_object_array_length(items), 2);
	cursor = resp_str(r, "next_cursor");
	assert_non_null(cursor);
	/* Opaque: not the bare id. */
	assert_string_not_equal(cursor, "9");
	snprintf(query, sizeof(query), "limit=2&cursor=%s", cursor);
	req_free(r);

	r = req_new();
	req_query(r, query);
	assert_int_equal(http_page_or_reply(r, &pg), DS_OK);
	assert_int_equal(pg.after, 9);
	assert_int_equal(pg.limit, 2);
	req_free(r);
}

/* A page that is not full is the last: next_cursor is null. */
static void
test_page_not_full_has_no_next_cursor(void **state)
{
	static const long long ids[] = { 5 };
	struct page pg = { 2, 0 };
	json_object *next = (json_object *)1;
	struct http_req *r = req_new();

	(void)state;
	http_reply_page(r, &pg, items_with_ids(ids, 1));
	assert_int_equal(r->status, 200);
	assert_true(json_object_object_get_ex(r->resp, "next_cursor", &next));
	assert_null(next);
	req_free(r);

	r = req_new();
	next = (json_object *)1;
	http_reply_page(r, &pg, json_object_new_array());
	assert_true(json_object_object_get_ex(r->resp, "next_cursor", &next));
	assert_null(next);
	req_free(r);
}

/* Asserts a cursor (raw text, b64url-encoded here unless encode is
 * false) is refused with 422 naming "cursor". */
static void
cursor_refused(const char *raw, bool encode)
{
	struct http_req *r = req_new();
	struct page pg;
	const char *c = encode ? b64url_encode(r->arena,
	    (const unsigned char *)raw, strlen(raw)) : raw;
	struct kv *kv = arena_calloc(r->arena, 1, sizeof(*kv));

	kv->key = "cursor";
	kv->value = c;
	r->params = kv;
	r->nparams = 1;
	if (http_page_or_reply(r, &pg) != DS_REPLIED)
		fail_msg("cursor %s (%s) accepted as %lld", c, raw, pg.after);
	assert_error(r, 422, "validation_failed");
	assert_string_equal(detail_for(r, "cursor"),
	    "is not a cursor this API issued");
	req_free(r);
}

static void
test_page_forged_cursors_are_422(void **state)
{
	(void)state;
	cursor_refused("!!!", false);
	cursor_refused("garbage", false);
	cursor_refused("djE6OQ==", false);	/* padded */
	cursor_refused("djE6O", false);		/* length % 4 == 1 */
	cursor_refused("djE6OR", false);	/* non-canonical bits */
	cursor_refused("djE6NQA", false);	/* "v1:5\0": a NUL in it */
	cursor_refused("djE6NQA5", false);	/* "v1:5\09" */
	cursor_refused("", false);
	cursor_refused("9", true);
	cursor_refused("v2:9", true);
	cursor_refused("V1:9", true);
	cursor_refused("v1:", true);
	cursor_refused("v1:-5", true);
	cursor_refused("v1:0", true);
	cursor_refused("v1:5x", true);
	cursor_refused("v1: 5", true);
	cursor_refused("v1:0x10", true);
	cursor_refused("v1:4611686018427387905", true);	/* > 2^62 */
	cursor_refused("v1:99999999999999999999", true);
	cursor_refused("v1:1234567890123456789012345", true);
}

/* ------------------------------------------------------------------ */
/* responses                                                            */

static void
test_error_envelope_shape(void **state)
{
	struct http_req *r = req_new();
	json_object *err, *details;

	(void)state;
	r->request_id = "4f1c2a";
	assert_int_equal(http_error(r, 404, "not_found", "no %s %d", "agency",
	    7), DS_REPLIED);
	assert_error(r, 404, "not_found");
	/* Exactly {"error":{code,message,details,request_id}}. */
	assert_int_equal(json_object_object_length(r->resp), 1);
	assert_true(json_object_object_get_ex(r->resp, "error", &err));
	assert_int_equal(json_object_object_length(err), 4);
	assert_string_equal(resp_str(r, "error.message"), "no agency 7");
	assert_string_equal(resp_str(r, "error.request_id"), "4f1c2a");
	details = resp_at(r, "error.details");
	assert_int_equal(json_object_array_length(details), 0);
	req_free(r);
}

static void
test_error_envelope_without_request_id(void **state)
{
	struct http_req *r = req_new();

	(void)state;
	r->request_id = NULL;
	http_error(r, 400, "bad_request", "x");
	assert_string_equal(resp_str(r, "error.request_id"), "");
	req_free(r);
}

static void
test_error_takes_collected_details(void **state)
{
	struct http_req *r = req_new();

	(void)state;
	json_detail(r, "name", "is required");
	http_error(r, 422, "validation_failed", "bad");
	assert_error(r, 422, "validation_failed");
	assert_int_equal(detail_count(r), 1);
	assert_string_equal(detail_for(r, "name"), "is required");
	assert_null(r->details);
	req_free(r);
}

static void
test_error_message_is_bounded(void **state)
{
	struct http_req *r = req_new();
	char *big = malloc(5000);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	http_error(r, 400, "bad_request", "%s", big);
	assert_int_equal(strlen(resp_str(r, "error.message")), 1023);
	free(big);
	req_free(r);
}

/* Runs http_error(r, status, ...) with stderr (the module's log) in a
 * temporary file; returns what was logged (the caller frees). */
static char *
logged_by_error(struct http_req *r, int status)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *text = calloc(1, 4096);

	assert_non_null(f);
	assert_non_null(text);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	req_unanswer(r);
	http_error(r, status, status >= 500 ? "internal_error" : "not_found",
	    "message %d", status);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	assert_true(fread(text, 1, 4095, f) < 4095);
	fclose(f);
	return text;
}

/* A 5xx body names only the request id: the module's log line names it
 * too, with the method and path, so the two can be matched. */
static void
test_error_5xx_is_logged_with_the_request_id(void **state)
{
	struct http_req *r = req_new();
	char *text;

	(void)state;
	r->request_id = "9c0ffee1-5xx";
	r->method = "POST";
	r->path = "/api/v1/auth/token";
	text = logged_by_error(r, 500);
	assert_non_null(strstr(text, "request 9c0ffee1-5xx"));
	assert_non_null(strstr(text, "POST /api/v1/auth/token"));
	assert_non_null(strstr(text, "500 internal_error"));
	assert_non_null(strstr(text, "message 500"));
	free(text);
	text = logged_by_error(r, 503);
	assert_non_null(strstr(text, "request 9c0ffee1-5xx"));
	free(text);
	/* A decoded %0a in the path cannot start a line of its own. */
	r->path = "/api/v1/x\nFORGED\r";
	text = logged_by_error(r, 500);
	assert_non_null(strstr(text, "/api/v1/x?FORGED?"));
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	free(text);
	/* 4xx are the client's: not logged. */
	text = logged_by_error(r, 404);
	assert_string_equal(text, "");
	free(text);
	req_free(r);
}

static void
test_error_status_maps_core_statuses(void **state)
{
	static const struct {
		int		 st, status;
		const char	*code;
	} cases[] = {
		{ DS_EUNAVAIL, 503, "database_unavailable" },
		{ DS_ECONFLICT, 409, "conflict" },
		{ DS_ENOTFOUND, 404, "not_found" },
		{ DS_EFKEY, 422, "validation_failed" },
		{ DS_EINVAL, 422, "validation_failed" },
		{ DS_ERR, 500, "internal_error" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_req *r = req_new();

		assert_int_equal(http_error_status(r, cases[i].st), DS_REPLIED);
		assert_error(r, cases[i].status, cases[i].code);
		if (cases[i].st == DS_EUNAVAIL)
			assert_string_equal(header_value(r, "Retry-After"), "1");
		else
			assert_null(header_value(r, "Retry-After"));
		req_free(r);
	}
}

/* Issue 17: a request is answered once. A second error over a written
 * answer writes nothing (the first failure is the one the client must
 * see) and, in builds with DS_STRICT_REPLY (the sanitizer build), aborts
 * so that the tests find the path: run in a child, which either aborts or
 * exits 0 having kept the first answer. */
static void
test_an_answer_is_never_overwritten(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if ((pid = fork()) == 0) {
		struct http_req *r = req_new();

		http_error_status(r, DS_EUNAVAIL);
		if (http_error(r, 500, "internal_error", "second") !=
		    DS_REPLIED || r->status != 503)
			_exit(1);
		req_free(r);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
#ifdef DS_STRICT_REPLY
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#else
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}

/* DS_REPLIED says the answer is written: mapping it leaves it alone. */
static void
test_error_status_leaves_a_written_answer(void **state)
{
	struct http_req *r = req_new();

	(void)state;
	assert_int_equal(http_error(r, 404, "not_found", "gone"), DS_REPLIED);
	assert_int_equal(http_error_status(r, DS_REPLIED), DS_REPLIED);
	assert_error(r, 404, "not_found");
	req_free(r);
}

static void
test_headers_are_bounded(void **state)
{
	struct http_req *r = req_new();

	(void)state;
	for (int i = 0; i < HTTP_MAX_HEADERS + 3; i++)
		http_header(r, i == HTTP_MAX_HEADERS ? "Dropped" : "X-N", "v");
	assert_int_equal(r->nheaders, HTTP_MAX_HEADERS);
	assert_null(header_value(r, "Dropped"));
	req_free(r);
}

static void
test_raw_reply_replaces_json(void **state)
{
	struct http_req *r = req_new();

	(void)state;
	http_reply(r, 201, json_object_new_object());
	http_reply_raw(r, 200, "text/csv", "a,b\n", 4);
	assert_int_equal(r->status, 200);
	assert_null(r->resp);
	assert_string_equal(r->resp_type, "text/csv");
	assert_int_equal(r->resp_raw_len, 4);
	/* And back: a JSON reply clears the raw body. */
	http_reply(r, 200, json_object_new_object());
	assert_null(r->resp_raw);
	req_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_decodes_percent_and_plus),
		cmocka_unit_test(test_form_skips_empty_pairs),
		cmocka_unit_test(test_form_refuses_bad_escapes),
		cmocka_unit_test(test_form_refuses_nul_and_bad_utf8),
		cmocka_unit_test(test_form_refuses_repeated_keys),
		cmocka_unit_test(test_form_allows_64_pairs_not_65),
		cmocka_unit_test(test_param_int_default_and_bounds),
		cmocka_unit_test(test_param_bool),
		cmocka_unit_test(test_query_absent_parameters_are_not_present),
		cmocka_unit_test(test_query_reads_each_type),
		cmocka_unit_test(test_query_unknown_parameter_is_422_naming_it),
		cmocka_unit_test(test_query_names_every_bad_value),
		cmocka_unit_test(test_query_required_parameter),
		cmocka_unit_test(test_page_defaults),
		cmocka_unit_test(test_page_limit_out_of_range_is_422),
		cmocka_unit_test(test_page_cursor_round_trip),
		cmocka_unit_test(test_page_not_full_has_no_next_cursor),
		cmocka_unit_test(test_page_forged_cursors_are_422),
		cmocka_unit_test(test_error_envelope_shape),
		cmocka_unit_test(test_error_envelope_without_request_id),
		cmocka_unit_test(
		    test_error_takes_collected_details),
		cmocka_unit_test(test_error_message_is_bounded),
		cmocka_unit_test(test_error_5xx_is_logged_with_the_request_id),
		cmocka_unit_test(test_error_status_maps_core_statuses),
		cmocka_unit_test(test_an_answer_is_never_overwritten),
		cmocka_unit_test(test_error_status_leaves_a_written_answer),
		cmocka_unit_test(test_headers_are_bounded),
		cmocka_unit_test(test_raw_reply_replaces_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
