/*
 * The report module's pure parts (modules/report/filter.c, output.c):
 * local dates to UTC bounds, percentiles as PERCENTILE_CONT computes
 * them, numbers that print as written, and the CSV layout every report
 * shares. No database.
 */
#include "unit.h"
#include "report.h"

static void
test_dates_parse_strictly(void **state)
{
	long long d;

	(void)state;
	assert_int_equal(report_parse_date("2025-01-01", &d), 0);
	assert_int_equal(d, 20089);
	assert_int_equal(report_parse_date("2024-02-29", &d), 0);
	assert_int_equal(report_parse_date("2000-02-29", &d), 0);
	assert_int_equal(report_parse_date("2025-02-29", &d), -1);
	assert_int_equal(report_parse_date("2100-02-29", &d), -1);
	assert_int_equal(report_parse_date("2025-04-31", &d), -1);
	assert_int_equal(report_parse_date("2025-13-01", &d), -1);
	assert_int_equal(report_parse_date("2025-00-10", &d), -1);
	assert_int_equal(report_parse_date("1999-12-31", &d), -1);
	assert_int_equal(report_parse_date("2025-1-01", &d), -1);
	assert_int_equal(report_parse_date("2025-01-01x", &d), -1);
	assert_int_equal(report_parse_date("2025/01/01", &d), -1);
	assert_int_equal(report_parse_date("+025-01-01", &d), -1);
	assert_int_equal(report_parse_date("", &d), -1);
	assert_int_equal(report_parse_date(NULL, &d), -1);
}

static void
test_local_midnight_is_moved_by_the_offset(void **state)
{
	char out[20];
	long long d;

	(void)state;
	assert_int_equal(report_parse_date("2025-01-01", &d), 0);
	report_local_midnight_utc(d, 420, out);		/* Vietnam, UTC+7 */
	assert_string_equal(out, "2024-12-31 17:00:00");
	report_local_midnight_utc(d, 0, out);
	assert_string_equal(out, "2025-01-01 00:00:00");
	report_local_midnight_utc(d, -300, out);
	assert_string_equal(out, "2025-01-01 05:00:00");
	/* the day after the last one: the exclusive end of a range */
	assert_int_equal(report_parse_date("2024-12-31", &d), 0);
	report_local_midnight_utc(d + 1, 420, out);
	assert_string_equal(out, "2024-12-31 17:00:00");
}

static void
test_percentiles_interpolate_like_percentile_cont(void **state)
{
	const double three[] = { 1, 2, 10 };
	const double four[] = { 1, 2, 3, 4 };
	const double one[] = { 7.5 };

	(void)state;
	assert_float_equal(report_percentile(three, 3, 0.5), 2, 1e-9);
	/* rank 0.9 * 2 = 1.8: 2 + 0.8 * (10 - 2) */
	assert_float_equal(report_percentile(three, 3, 0.9), 8.4, 1e-9);
	assert_float_equal(report_percentile(four, 4, 0.5), 2.5, 1e-9);
	assert_float_equal(report_percentile(four, 4, 0.9), 3.7, 1e-9);
	assert_float_equal(report_percentile(one, 1, 0.5), 7.5, 1e-9);
	assert_float_equal(report_percentile(one, 1, 0.9), 7.5, 1e-9);
	assert_float_equal(report_percentile(four, 4, 1.0), 4, 1e-9);
}

static void
test_numbers_print_rounded_as_written(void **state)
{
	static const struct {
		double		 in;
		const char	*out;
	} cases[] = {
		{ 8.4000000000000004, "8.4" }, { 2, "2" }, { 0.1, "0.1" },
		{ 1.005, "1" }, { 1.235, "1.24" }, { -0.001, "0" },
		{ 1234567.891, "1234567.89" },
	};

	(void)state;
	for (size_t i = 0; i < NPARAMS(cases); i++) {
		json_object *o = report_number(cases[i].in);

		assert_true(json_object_is_type(o, json_type_double));
		assert_string_equal(json_object_to_json_string(o),
		    cases[i].out);
		json_object_put(o);
	}
}

/* The CSV of a JSON text. */
static char *
csv_of(struct arena *a, const char *json)
{
	json_object *doc = json_tokener_parse(json);
	size_t len;
	char *text;

	assert_non_null(doc);
	text = report_csv(a, doc, &len);
	assert_int_equal(strlen(text), len);
	json_object_put(doc);
	return text;
}

static void
test_csv_has_one_line_per_figure(void **state)
{
	struct arena *a = arena_new();
	const char *got = csv_of(a,
	    "{\"report\": \"grants\", \"agency_id\": null,"
	    " \"summary\": {\"filed\": 3, \"median\": 1.5},"
	    " \"by_provider\": [{\"agency_id\": 7, \"name\": \"Sở Y tế\","
	    "   \"filed\": 2, \"refused\": 0}],"
	    " \"by_grant\": [{\"grant_id\": 9, \"bytes\": 120}],"
	    " \"bare\": [{\"agency_id\": 4, \"name\": \"X\"}]}");

	(void)state;
	assert_string_equal(got,
	    "section,dimension,key,name,metric,value\r\n"
	    "report,,,,report,grants\r\n"
	    "report,,,,agency_id,\r\n"
	    "summary,,,,filed,3\r\n"
	    "summary,,,,median,1.5\r\n"
	    "by_provider,agency_id,7,Sở Y tế,filed,2\r\n"
	    "by_provider,agency_id,7,Sở Y tế,refused,0\r\n"
	    "by_grant,grant_id,9,,bytes,120\r\n"
	    "bare,agency_id,4,X,,\r\n");
	arena_free(a);
}

static void
test_csv_quotes_and_defuses_formulas(void **state)
{
	struct arena *a = arena_new();
	const char *got = csv_of(a,
	    "{\"rows\": [{\"agency_id\": 1, \"name\": \"=HYPERLINK(\\\"x\\\")\","
	    "  \"title\": \"a, \\\"b\\\"\\nc\", \"delta\": -2,"
	    "  \"note\": \"-3\", \"at\": \"@me\", \"plus\": \"+1\"}]}");

	(void)state;
	assert_string_equal(got,
	    "section,dimension,key,name,metric,value\r\n"
	    "rows,agency_id,1,\"'=HYPERLINK(\"\"x\"\")\",title,"
	    "\"a, \"\"b\"\"\nc\"\r\n"
	    "rows,agency_id,1,\"'=HYPERLINK(\"\"x\"\")\",delta,-2\r\n"
	    "rows,agency_id,1,\"'=HYPERLINK(\"\"x\"\")\",note,'-3\r\n"
	    "rows,agency_id,1,\"'=HYPERLINK(\"\"x\"\")\",at,'@me\r\n"
	    "rows,agency_id,1,\"'=HYPERLINK(\"\"x\"\")\",plus,'+1\r\n");
	arena_free(a);
}

static void
test_reports_are_forbidden_to_agency_roles(void **state)
{
	struct http_req *r = req_new();
	struct report_filter f;

	(void)state;
	r->who.authenticated = true;
	r->who.roles = ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT | ROLE_CHAIRMAN;
	assert_int_equal(report_filter_or_reply(r, &f), DS_REPLIED);
	assert_error(r, 403, "forbidden");
	req_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates_parse_strictly),
		cmocka_unit_test(test_local_midnight_is_moved_by_the_offset),
		cmocka_unit_test(
		    test_percentiles_interpolate_like_percentile_cont),
		cmocka_unit_test(test_numbers_print_rounded_as_written),
		cmocka_unit_test(test_csv_has_one_line_per_figure),
		cmocka_unit_test(test_csv_quotes_and_defuses_formulas),
		cmocka_unit_test(test_reports_are_forbidden_to_agency_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
