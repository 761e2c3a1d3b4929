/*
 * Due dates of dispute tickets (modules/dispute/deadlines.c): working days
 * are counted on the province's calendar (UTC+7) and skip Saturdays,
 * Sundays and holidays; a limit ends at local midnight at the end of its
 * last day (17:00 UTC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ds.h"
#include "dispute.h"

#define VN	420	/* UTC+7, in minutes */

static void
check(const char *from, int days, bool calendar, const char *const *hol,
    size_t nhol, const char *want)
{
	char out[20];

	assert_int_equal(workdays_add(from, days, VN, calendar, hol, nhol,
	    NULL, out), 0);
	assert_string_equal(out, want);
}

/* 2026-01-02 is a Friday. 03:00 UTC is 10:00 in Vietnam. */
static void
test_friday_plus_two_ends_with_tuesday(void **state)
{
	(void)state;
	check("2026-01-02 03:00:00", 2, false, NULL, 0, "2026-01-06 17:00:00");
}

static void
test_saturday_counts_from_monday(void **state)
{
	(void)state;
	check("2026-01-03 03:00:00", 1, false, NULL, 0, "2026-01-05 17:00:00");
	check("2026-01-03 03:00:00", 2, false, NULL, 0, "2026-01-06 17:00:00");
}

/* Monday 20:00 UTC is already Tuesday 03:00 in Vietnam: one working day
 * later is the end of Wednesday, not of Tuesday. */
static void
test_days_follow_the_local_calendar_not_utc(void **state)
{
	(void)state;
	check("2026-01-05 20:00:00", 1, false, NULL, 0, "2026-01-07 17:00:00");
	check("2026-01-05 16:59:59", 1, false, NULL, 0, "2026-01-06 17:00:00");
}

static void
test_ten_working_days_are_two_weeks(void **state)
{
	(void)state;
	/* Monday 2026-01-05 -> the end of Monday 2026-01-19 */
	check("2026-01-05 02:00:00", 10, false, NULL, 0,
	    "2026-01-19 17:00:00");
}

static void
test_holidays_are_skipped(void **state)
{
	static const char *const hol[] = { "2026-01-05", "2026-01-06" };

	(void)state;
	/* Friday + 2 skips the weekend and the two holidays: Thursday. */
	check("2026-01-02 03:00:00", 2, false, hol, 2, "2026-01-08 17:00:00");
}

static void
test_holiday_on_a_weekend_changes_nothing(void **state)
{
	static const char *const hol[] = { "2026-01-03" };

	(void)state;
	check("2026-01-02 03:00:00", 2, false, hol, 1, "2026-01-06 17:00:00");
}

static void
test_calendar_days_count_every_day(void **state)
{
	(void)state;
	check("2026-01-02 03:00:00", 2, true, NULL, 0, "2026-01-04 17:00:00");
}

static void
test_fraction_of_second_is_accepted(void **state)
{
	(void)state;
	check("2026-01-05 02:00:00.123456", 1, false, NULL, 0,
	    "2026-01-06 17:00:00");
}

static void
test_malformed_times_fail(void **state)
{
	char out[20];

	(void)state;
	assert_int_equal(workdays_add("2026-01-05", 1, VN, false, NULL, 0,
	    NULL, out), -1);
	assert_int_equal(workdays_add("2026-01-05 02:00:00Z", 1, VN, false,
	    NULL, 0, NULL, out), -1);
	assert_int_equal(workdays_add("2026-01-05 02:00:00.12345678", 1, VN,
	    false, NULL, 0, NULL, out), -1);
	assert_int_equal(workdays_add("2026-01-05 02:00:00", -1, VN, false,
	    NULL, 0, NULL, out), -1);
}

/* Counting past the end of the holidays loaded would miss some. */
static void
test_counting_past_the_holiday_window_fails(void **state)
{
	char out[20];

	(void)state;
	assert_int_equal(workdays_add("2026-01-02 03:00:00", 2, VN, false,
	    NULL, 0, "2026-01-05", out), -1);
	assert_int_equal(workdays_add("2026-01-02 03:00:00", 2, VN, false,
	    NULL, 0, "2026-01-06", out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_friday_plus_two_ends_with_tuesday),
		cmocka_unit_test(test_saturday_counts_from_monday),
		cmocka_unit_test(test_days_follow_the_local_calendar_not_utc),
		cmocka_unit_test(test_ten_working_days_are_two_weeks),
		cmocka_unit_test(test_holidays_are_skipped),
		cmocka_unit_test(test_holiday_on_a_weekend_changes_nothing),
		cmocka_unit_test(test_calendar_days_count_every_day),
		cmocka_unit_test(test_fraction_of_second_is_accepted),
		cmocka_unit_test(test_malformed_times_fail),
		cmocka_unit_test(test_counting_past_the_holiday_window_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
