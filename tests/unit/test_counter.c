/*
 * counter.c: counts added in a table shared with forked processes and
 * drained by the master. Every add must come out of a drain exactly once,
 * whoever added it, and an add that cannot be kept must say so.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define MAXKEYS	256

/* What drains gave: the sum per (kind, id) and the entries seen. */
struct sums {
	long long	 n[COUNTER_KINDS][MAXKEYS];
	long long	 total;
	long		 entries;
};

static void
sum(void *arg, unsigned kind, long long id, long long n)
{
	struct sums *s = arg;

	assert_true(kind > 0 && kind < COUNTER_KINDS);
	assert_true(n > 0);
	if (id < MAXKEYS)
		s->n[kind][id] += n;
	s->total += n;
	s->entries++;
}

static struct sums *
drain(void)
{
	struct sums *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	counter_drain(sum, s);
	return s;
}

static int
setup(void **state)
{
	(void)state;
	return counter_init(64) == DS_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	counter_fini();
	return 0;
}

static void
test_adds_come_out_of_one_drain_summed_by_kind_and_id(void **state)
{
	struct sums *s;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(counter_add(COUNTER_VIEWS, 7), 0);
	assert_int_equal(counter_add(COUNTER_DOWNLOADS, 7), 0);
	assert_int_equal(counter_add(COUNTER_VIEWS, 8), 0);
	s = drain();
	assert_int_equal(s->n[COUNTER_VIEWS][7], 3);
	assert_int_equal(s->n[COUNTER_DOWNLOADS][7], 1);
	assert_int_equal(s->n[COUNTER_VIEWS][8], 1);
	assert_int_equal(s->total, 5);
	assert_int_equal(s->entries, 3);	/* one slot per key */
	free(s);
	/* Drained means gone: a second drain finds nothing. */
	s = drain();
	assert_int_equal(s->total, 0);
	assert_int_equal(s->entries, 0);
	free(s);
}

/* Probing covers the whole of a small table: deterministic fills. */
static void
test_slots_are_taken_again_after_a_drain(void **state)
{
	struct sums *s;

	(void)state;
	counter_fini();
	assert_int_equal(counter_init(1), DS_OK);
	for (long long id = 1; id <= 3; id++) {
		assert_int_equal(counter_add(COUNTER_VIEWS, id), 0);
		assert_int_equal(counter_add(COUNTER_VIEWS, id), 0);
		/* The one slot is taken by id: another key is refused. */
		assert_int_equal(counter_add(COUNTER_VIEWS, id + 1), -1);
		assert_int_equal(counter_add(COUNTER_DOWNLOADS, id), -1);
		s = drain();
		assert_int_equal(s->n[COUNTER_VIEWS][id], 2);
		assert_int_equal(s->total, 2);
		free(s);
	}
}

static void
test_a_full_table_refuses_and_keeps_what_it_had(void **state)
{
	struct sums *s;

	(void)state;
	counter_fini();
	assert_int_equal(counter_init(4), DS_OK);
	for (long long id = 10; id < 14; id++)
		assert_int_equal(counter_add(COUNTER_VIEWS, id), 0);
	assert_int_equal(counter_add(COUNTER_VIEWS, 14), -1);
	/* A key already in the table still counts. */
	assert_int_equal(counter_add(COUNTER_VIEWS, 12), 0);
	s = drain();
	assert_int_equal(s->total, 5);
	assert_int_equal(s->entries, 4);
	assert_int_equal(s->n[COUNTER_VIEWS][12], 2);
	assert_int_equal(s->n[COUNTER_VIEWS][14], 0);
	free(s);
}

static void
test_unkeepable_kinds_and_ids_are_refused(void **state)
{
	struct sums *s;

	(void)state;
	assert_int_equal(counter_add(0, 1), -1);
	assert_int_equal(counter_add(COUNTER_KINDS, 1), -1);
	assert_int_equal(counter_add(COUNTER_VIEWS, -1), -1);
	assert_int_equal(counter_add(COUNTER_VIEWS, 1LL << 40), -1);
	assert_int_equal(counter_add(COUNTER_VIEWS, (1LL << 40) - 1), 0);
	assert_int_equal(counter_add(15, 0), 0);
	s = drain();
	assert_int_equal(s->total, 2);
	assert_int_equal(s->n[15][0], 1);
	free(s);
}

static void
test_a_count_past_twenty_bits_goes_on_in_another_slot(void **state)
{
	const long long max = (1LL << 20) - 1, more = 5;
	struct sums *s;

	(void)state;
	for (long long i = 0; i < max + more; i++)
		assert_int_equal(counter_add(COUNTER_DOWNLOADS, 3), 0);
	s = drain();
	assert_int_equal(s->n[COUNTER_DOWNLOADS][3], max + more);
	assert_int_equal(s->entries, 2);
	free(s);
}

static void
test_without_a_table_every_add_is_refused(void **state)
{
	(void)state;
	counter_fini();
	assert_int_equal(counter_add(COUNTER_VIEWS, 1), -1);
	assert_int_equal(counter_init(0), DS_OK);	/* 0 slots: none */
	assert_int_equal(counter_add(COUNTER_VIEWS, 1), -1);
}

/* 4 processes x 50,000 adds over 100 ids while the parent drains: every
 * add arrives exactly once. */
static void
test_concurrent_adds_from_forked_children_sum_exactly(void **state)
{
	enum { CHILDREN = 4, ADDS = 50000, IDS = 100 };
	pid_t pid[CHILDREN];
	struct sums *s = calloc(1, sizeof(*s));
	int status, left = CHILDREN;

	(void)state;
	assert_non_null(s);
	counter_fini();
	assert_int_equal(counter_init(4096), DS_OK);
	for (int c = 0; c < CHILDREN; c++) {
		if ((pid[c] = fork()) == 0) {
			for (int i = 0; i < ADDS; i++)
				if (counter_add(COUNTER_VIEWS,
				    (i * 7 + c) % IDS) != 0)
					_exit(1);
			_exit(0);
		}
		assert_true(pid[c] > 0);
	}
	/* Drain while they add, as the master does. */
	while (left > 0) {
		counter_drain(sum, s);
		for (int c = 0; c < CHILDREN; c++)
			if (pid[c] > 0 && waitpid(pid[c], &status, WNOHANG) ==
			    pid[c]) {
				assert_true(WIFEXITED(status));
				assert_int_equal(WEXITSTATUS(status), 0);
				pid[c] = 0;
				left--;
			}
	}
	counter_drain(sum, s);
	assert_int_equal(s->total, (long long)CHILDREN * ADDS);
	for (int id = 0; id < IDS; id++)
		assert_int_equal(s->n[COUNTER_VIEWS][id],
		    (long long)CHILDREN * ADDS / IDS);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_adds_come_out_of_one_drain_summed_by_kind_and_id,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_slots_are_taken_again_after_a_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_full_table_refuses_and_keeps_what_it_had, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_unkeepable_kinds_and_ids_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_count_past_twenty_bits_goes_on_in_another_slot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_without_a_table_every_add_is_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_concurrent_adds_from_forked_children_sum_exactly,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
