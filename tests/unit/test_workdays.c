/*
 * Working days (modules/core/workdays.c): counted on the province's
 * calendar (UTC+7), skipping Saturdays, Sundays and holidays; a limit ends
 * at local midnight at the end of its last day (17:00 UTC). Deadlines of
 * sharing decisions, disputes and planned suspensions all rest on these.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ds.h"

#define VN	(420 * 60)	/* UTC+7, in seconds */

static void
check(const char *from, int days, const char *const *hol, size_t nhol,
    const char *want)
{
	char out[20];

	assert_int_equal(workdays_due_from(from, days, VN, hol, nhol, out), 0);
	assert_string_equal(out, want);
}

/* 2026-01-02 is a Friday. 03:00 UTC is 10:00 in Vietnam. */
static void
test_friday_plus_two_ends_with_tuesday(void **state)
{
	(void)state;
	check("2026-01-02 03:00:00", 2, NULL, 0, "2026-01-06 17:00:00");
}

static void
test_saturday_counts_from_monday(void **state)
{
	(void)state;
	check("2026-01-03 03:00:00", 1, NULL, 0, "2026-01-05 17:00:00");
	check("2026-01-03 03:00:00", 2, NULL, 0, "2026-01-06 17:00:00");
}

/* Monday 20:00 UTC is already Tuesday 03:00 in Vietnam: one working day
 * later is the end of Wednesday, not of Tuesday. */
static void
test_days_follow_the_local_calendar_not_utc(void **state)
{
	(void)state;
	check("2026-01-05 20:00:00", 1, NULL, 0, "2026-01-07 17:00:00");
	check("2026-01-05 16:59:59", 1, NULL, 0, "2026-01-06 17:00:00");
}

static void
test_ten_working_days_are_two_weeks(void **state)
{
	(void)state;
	/* Monday 2026-01-05 -> the end of Monday 2026-01-19 */
	check("2026-01-05 02:00:00", 10, NULL, 0, "2026-01-19 17:00:00");
}

static void
test_holidays_are_skipped(void **state)
{
	static const char *const hol[] = { "2026-01-05", "2026-01-06" };

	(void)state;
	/* Friday + 2 skips the weekend and the two holidays: Thursday. */
	check("2026-01-02 03:00:00", 2, hol, 2, "2026-01-08 17:00:00");
}

static void
test_holiday_on_a_weekend_changes_nothing(void **state)
{
	static const char *const hol[] = { "2026-01-03" };

	(void)state;
	check("2026-01-02 03:00:00", 2, hol, 1, "2026-01-06 17:00:00");
}

/* Tết 2027 (5-9 February, Friday to Tuesday) with the weekend between:
 * a request filed on Thursday 4 February is due at the end of Thursday
 * 11 February after two working days. */
static void
test_tet_holidays_push_a_deadline_a_week(void **state)
{
	static const char *const tet[] = { "2027-02-05", "2027-02-06",
	    "2027-02-07", "2027-02-08", "2027-02-09" };

	(void)state;
	check("2027-02-04 03:00:00", 2, tet, 5, "2027-02-11 17:00:00");
}

static void
test_fraction_of_second_is_accepted(void **state)
{
	(void)state;
	check("2026-01-05 02:00:00.123456", 1, NULL, 0, "2026-01-06 17:00:00");
}

static void
test_the_date_form_counts_whole_days(void **state)
{
	char out[11];

	(void)state;
	assert_int_equal(workdays_after("2026-01-02", 1, NULL, 0, out), 0);
	assert_string_equal(out, "2026-01-05");
	assert_int_equal(workdays_after("2026-01-02", 0, NULL, 0, out), 0);
	assert_string_equal(out, "2026-01-02");
	assert_int_equal(workdays_after("2026-12-31", 2, (const char *[]){
	    "2027-01-01" }, 1, out), 0);
	assert_string_equal(out, "2027-01-05");
}

static void
test_malformed_input_fails(void **state)
{
	char out[20];

	(void)state;
	assert_int_equal(workdays_due_from("2026-01-05", 1, VN, NULL, 0, out),
	    -1);
	assert_int_equal(workdays_due_from("2026-01-05 02:00:00Z", 1, VN, NULL,
	    0, out), -1);
	assert_int_equal(workdays_due_from("2026-01-05 02:00:00", -1, VN, NULL,
	    0, out), -1);
	assert_int_equal(workdays_after("05/01/2026", 1, NULL, 0, out), -1);
	assert_int_equal(workdays_after("2026-01-05x", 1, NULL, 0, out), -1);
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
		cmocka_unit_test(test_tet_holidays_push_a_deadline_a_week),
		cmocka_unit_test(test_fraction_of_second_is_accepted),
		cmocka_unit_test(test_the_date_form_counts_whole_days),
		cmocka_unit_test(test_malformed_input_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
