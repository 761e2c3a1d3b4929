/*
 * dates.c: the one parser and writer of "YYYY-MM-DD" and of the
 * database's "YYYY-MM-DD HH:MM:SS[.ffffff]", against the C library's
 * timegm and gmtime over every day of four centuries.
 */
#include <time.h>

#include "unit.h"

static void
test_every_day_of_four_centuries_round_trips_as_libc_says(void **state)
{
	char mine[11], libc[11];
	struct tm tm;
	long long t;

	(void)state;
	for (time_t d = -25567; d < 146097 - 25567; d++) {
		time_t s = d * 86400;

		gmtime_r(&s, &tm);
		strftime(libc, sizeof(libc), "%Y-%m-%d", &tm);
		date_format((long long)s, mine);
		assert_string_equal(mine, libc);
		assert_int_equal(date_parse(libc, &t), 0);
		assert_true(t == (long long)s);
	}
}

static void
test_dates_that_are_not_on_the_calendar_are_refused(void **state)
{
	static const char *bad[] = {
		"2026-02-29", "2026-02-31", "2100-02-29", "2026-13-01",
		"2026-00-10", "2026-04-31", "2026-4-01", "2026-04-1",
		"2026/04/01", "2026-04-01 ", " 2026-04-01", "+026-04-01",
		"2026-04-0a", "", "2026-04-011",
	};
	long long t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (date_parse(bad[i], &t) == 0)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(date_parse("2000-02-29", &t), 0);
	assert_int_equal(date_parse("2024-02-29", &t), 0);
	assert_int_equal(date_parse(NULL, &t), -1);
}

static void
test_database_times_parse_with_or_without_a_fraction(void **state)
{
	char out[20];
	long long t;

	(void)state;
	assert_int_equal(datetime_parse("2026-12-07 16:45:09", &t), 0);
	datetime_format(t, out);
	assert_string_equal(out, "2026-12-07 16:45:09");
	assert_int_equal(datetime_parse("2026-12-07 16:45:09.123456", &t), 0);
	datetime_format(t, out);
	assert_string_equal(out, "2026-12-07 16:45:09");
	assert_int_equal(datetime_parse("1969-12-31 23:59:59", &t), 0);
	assert_true(t == -1);
	datetime_format(t, out);
	assert_string_equal(out, "1969-12-31 23:59:59");
	assert_int_equal(datetime_parse("2026-12-07T16:45:09", &t), -1);
	assert_int_equal(datetime_parse("2026-12-07 24:00:00", &t), -1);
	assert_int_equal(datetime_parse("2026-12-07 16:45:09.", &t), -1);
	assert_int_equal(datetime_parse("2026-12-07 16:45", &t), -1);
	assert_int_equal(datetime_parse("2026-12-07 16:45:09Z", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_every_day_of_four_centuries_round_trips_as_libc_says),
		cmocka_unit_test(
		    test_dates_that_are_not_on_the_calendar_are_refused),
		cmocka_unit_test(
		    test_database_times_parse_with_or_without_a_fraction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
