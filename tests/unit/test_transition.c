/*
 * transition.c: the one rule deciding 403 against 409 for every
 * resource's table of steps.
 */
#include "unit.h"

#define A	(1u << 0)	/* a party that acts */
#define B	(1u << 1)	/* a party that may only close */
#define C	(1u << 2)	/* a party that takes no step */

static const struct transition steps[] = {
	{ "open", "done", A, "" },
	{ "done", "closed", A | B, "" },
	{ "open", "rejected", A, "" },
	{ "done", "rejected", B, "" },
};
static const struct machine m = MACHINE("thing", "wrong_state", steps);

static enum transition_verdict
find(const char *state, const char *to, unsigned who,
    const struct transition **t)
{
	return transition_find(&m, state, to, who, t);
}

static void
test_allowed_step_from_its_state_is_found(void **state)
{
	const struct transition *t;

	(void)state;
	assert_int_equal(find("open", "done", A, &t), TRANSITION_OK);
	assert_ptr_equal(t, &steps[0]);
	assert_int_equal(find("done", "closed", B, &t), TRANSITION_OK);
	assert_ptr_equal(t, &steps[1]);
}

static void
test_a_caller_who_never_takes_it_there_is_403_in_any_state(void **state)
{
	const struct transition *t;

	(void)state;
	assert_int_equal(find("open", "done", C, &t), TRANSITION_FORBIDDEN);
	assert_int_equal(find("closed", "done", C, &t), TRANSITION_FORBIDDEN);
	assert_int_equal(find("open", "done", B, &t), TRANSITION_FORBIDDEN);
	assert_int_equal(find("open", "nowhere", A, &t), TRANSITION_FORBIDDEN);
}

static void
test_the_wrong_state_for_an_allowed_caller_is_409(void **state)
{
	const struct transition *t;

	(void)state;
	assert_int_equal(find("closed", "done", A, &t), TRANSITION_CONFLICT);
	assert_null(t);
	assert_int_equal(find("open", "closed", B, &t), TRANSITION_CONFLICT);
	assert_int_equal(find(NULL, "done", A, &t), TRANSITION_CONFLICT);
}

static void
test_the_step_from_this_state_decides_who_may_take_it(void **state)
{
	const struct transition *t;

	(void)state;
	/* A rejects an open thing, B a done one: each is 403 in the
	 * other's state, since a step leads there but not for them. */
	assert_int_equal(find("open", "rejected", A, &t), TRANSITION_OK);
	assert_int_equal(find("done", "rejected", A, &t),
	    TRANSITION_FORBIDDEN);
	assert_int_equal(find("open", "rejected", B, &t),
	    TRANSITION_FORBIDDEN);
	assert_int_equal(find("done", "rejected", B, &t), TRANSITION_OK);
	assert_ptr_equal(t, &steps[3]);
	/* From a state with no step there, either may be refused 409. */
	assert_int_equal(find("closed", "rejected", B, &t),
	    TRANSITION_CONFLICT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_step_from_its_state_is_found),
		cmocka_unit_test(
		    test_a_caller_who_never_takes_it_there_is_403_in_any_state),
		cmocka_unit_test(
		    test_the_wrong_state_for_an_allowed_caller_is_409),
		cmocka_unit_test(
		    test_the_step_from_this_state_decides_who_may_take_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
