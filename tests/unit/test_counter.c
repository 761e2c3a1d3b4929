/*
 * counter.c: counts added in a table shared with forked processes and
 * drained by the master. Every add must come out of a drain exactly once,
 * whoever added it, and an add that cannot be kept must say so. The
 * flush writes COUNTER_BATCH keys to a transaction with one statement per
 * kind, padded; a batch that fails stays pending whole.
 *
 * The database is faked here: core is a static library, so these
 * db_begin/db_exec/db_commit/db_rollback are linked instead of db.c's.
 * The fake keeps what committed transactions added per (kind, id).
 */
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define MAXKEYS	256
#define B	COUNTER_BATCH

/* ---- the fake database ---- */

static const struct counter_column columns[] = {
	[COUNTER_VIEWS] = { "datasets", "views" },
	[COUNTER_DOWNLOADS] = { "datasets", "downloads" },
};

static struct {
	char		 text[COUNTER_KINDS][4096];	/* expected statements */
	const char	*seen[COUNTER_KINDS];	/* the address each came with */
	long long	 committed[COUNTER_KINDS][MAXKEYS];
	long long	 tx[COUNTER_KINDS][MAXKEYS];
	bool		 in_tx;
	int		 begins, execs, commits, rollbacks;
	int		 rows[16];	/* real rows of each exec, in order */
	int		 fail_exec, fail_commit;	/* 1-based; 0: none */
} fake;

static void
fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	for (unsigned k = 1; k < NPARAMS(columns); k++)
		if (columns[k].table != NULL)
			assert_true(counter_sql(fake.text[k],
			    sizeof(fake.text[k]), columns[k].table,
			    columns[k].column, B) > 0);
}

int
db_begin(void)
{
	assert_false(fake.in_tx);
	fake.begins++;
	fake.in_tx = true;
	memset(fake.tx, 0, sizeof(fake.tx));
	return DS_OK;
}

/* Checks the parameters' shape: B (id, sum) pairs, the real ones first,
 * then (0, 0); then the same B ids for the IN list. */
int
db_exec(const char *sql, const struct db_param *p, size_t n,
    unsigned long long *affected, unsigned long long *insert_id)
{
	unsigned kind = 0;
	int rows = 0;

	(void)affected;
	(void)insert_id;
	assert_true(fake.in_tx);
	for (unsigned k = 1; k < COUNTER_KINDS; k++)
		if (fake.text[k][0] != '\0' && strcmp(sql, fake.text[k]) == 0)
			kind = k;
	assert_true(kind > 0);
	/* One text per kind for the process: db.c caches by address. */
	if (fake.seen[kind] == NULL)
		fake.seen[kind] = sql;
	assert_ptr_equal(sql, fake.seen[kind]);
	assert_int_equal(n, 3 * B);
	for (size_t i = 0; i < B; i++) {
		long long id = p[2 * i].i, sum = p[2 * i + 1].i;

		assert_int_equal(p[2 * i].type, DBT_INT);
		assert_int_equal(p[2 * i + 1].type, DBT_INT);
		assert_int_equal(p[2 * B + i].type, DBT_INT);
		assert_int_equal(p[2 * B + i].i, id);
		if ((int)i == rows && sum > 0) {
			assert_true(id > 0 && id < MAXKEYS);
			fake.tx[kind][id] += sum;
			rows++;
		} else {
			/* Padding: after the real rows, only (0, 0). */
			assert_int_equal(id, 0);
			assert_int_equal(sum, 0);
		}
	}
	if (fake.execs < (int)NPARAMS(fake.rows))
		fake.rows[fake.execs] = rows;
	if (++fake.execs == fake.fail_exec)
		return DS_EUNAVAIL;
	return DS_OK;
}

int
db_commit(void)
{
	assert_true(fake.in_tx);
	fake.in_tx = false;
	if (++fake.commits == fake.fail_commit)
		return DS_EUNAVAIL;
	for (unsigned k = 0; k < COUNTER_KINDS; k++)
		for (int id = 0; id < MAXKEYS; id++)
			fake.committed[k][id] += fake.tx[k][id];
	return DS_OK;
}

void
db_rollback(void)
{
	assert_true(fake.in_tx);
	fake.in_tx = false;
	fake.rollbacks++;
}

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

/* ---- the statement and the flush ---- */

static void
test_the_statement_adds_every_pair_by_the_primary_key(void **state)
{
	const char *want = "UPDATE datasets SET views = views + CASE id "
	    "WHEN ? THEN ? WHEN ? THEN ? WHEN ? THEN ? ELSE 0 END "
	    "WHERE id IN (?, ?, ?)";
	char buf[256], small[20];
	int len;

	(void)state;
	len = counter_sql(buf, sizeof(buf), "datasets", "views", 3);
	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
	/* snprintf's contract: the length needed, what fits written. */
	assert_int_equal(counter_sql(NULL, 0, "datasets", "views", 3), len);
	assert_int_equal(counter_sql(small, sizeof(small), "datasets",
	    "views", 3), len);
	assert_string_equal(small, "UPDATE datasets SET");
	assert_int_equal(counter_sql(buf, sizeof(buf), "datasets", "views",
	    1), strlen("UPDATE datasets SET views = views + CASE id WHEN ? "
	    "THEN ? ELSE 0 END WHERE id IN (?)"));
}

static void
test_names_that_are_not_plain_identifiers_are_refused(void **state)
{
	const struct counter_column bad[] = {
		{ NULL, NULL }, { "datasets", "views = 0, downloads" },
	};
	const struct counter_column at0[] = { { "datasets", "views" } };
	char buf[64];

	(void)state;
	assert_int_equal(counter_sql(buf, sizeof(buf), "datasets; drop",
	    "views", 1), -1);
	assert_int_equal(counter_sql(buf, sizeof(buf), "Datasets", "views",
	    1), -1);
	assert_int_equal(counter_sql(buf, sizeof(buf), "", "views", 1), -1);
	assert_int_equal(counter_sql(buf, sizeof(buf), "datasets", NULL, 1),
	    -1);
	assert_int_equal(counter_sql(buf, sizeof(buf), "datasets", "views",
	    0), -1);
	assert_int_equal(counter_use(bad, NPARAMS(bad)), DS_ERR);
	assert_false(counter_wanted());
	/* Kind 0 is a free slot, not a kind. */
	assert_int_equal(counter_use(at0, NPARAMS(at0)), DS_ERR);
	assert_false(counter_wanted());
	assert_int_equal(counter_use(columns, COUNTER_KINDS + 1), DS_ERR);
	assert_int_equal(counter_use(columns, 0), DS_OK);
	assert_false(counter_wanted());
	assert_int_equal(counter_use(columns, NPARAMS(columns)), DS_OK);
	assert_true(counter_wanted());
}

static int
setup_flush(void **state)
{
	(void)state;
	fake_reset();
	if (counter_use(columns, NPARAMS(columns)) != DS_OK)
		return -1;
	return counter_init(4096) == DS_OK ? 0 : -1;
}

static int
teardown_flush(void **state)
{
	(void)state;
	counter_fini();
	counter_use(NULL, 0);
	return 0;
}

/* Adds id % 3 + 1 views to each of ids first..last; returns the adds. */
static long long
add_views(long long first, long long last)
{
	long long n = 0;

	for (long long id = first; id <= last; id++)
		for (long long i = 0; i < id % 3 + 1; i++, n++)
			assert_int_equal(counter_add(COUNTER_VIEWS, id), 0);
	return n;
}

static void
test_a_flush_writes_one_padded_statement_per_batch(void **state)
{
	(void)state;
	add_views(1, 150);
	assert_int_equal(counter_flush(), 150);
	/* 64 + 64 + 22 keys: three transactions of one statement each. */
	assert_int_equal(fake.begins, 3);
	assert_int_equal(fake.commits, 3);
	assert_int_equal(fake.execs, 3);
	assert_int_equal(fake.rows[0], B);
	assert_int_equal(fake.rows[1], B);
	assert_int_equal(fake.rows[2], 150 - 2 * B);
	for (long long id = 1; id <= 150; id++)
		assert_int_equal(fake.committed[COUNTER_VIEWS][id], id % 3 + 1);
	assert_int_equal(counter_pending(), 0);
	/* Nothing added since: nothing written. */
	assert_int_equal(counter_flush(), 0);
	assert_int_equal(fake.begins, 3);
}

static void
test_kinds_in_one_batch_get_a_statement_each(void **state)
{
	(void)state;
	add_views(5, 7);
	assert_int_equal(counter_add(COUNTER_DOWNLOADS, 5), 0);
	assert_int_equal(counter_add(COUNTER_DOWNLOADS, 5), 0);
	assert_int_equal(counter_flush(), 4);
	assert_int_equal(fake.begins, 1);
	assert_int_equal(fake.execs, 2);
	assert_ptr_not_equal(fake.seen[COUNTER_VIEWS],
	    fake.seen[COUNTER_DOWNLOADS]);
	assert_int_equal(fake.committed[COUNTER_VIEWS][5], 3);
	assert_int_equal(fake.committed[COUNTER_VIEWS][6], 1);
	assert_int_equal(fake.committed[COUNTER_VIEWS][7], 2);
	assert_int_equal(fake.committed[COUNTER_DOWNLOADS][5], 2);
	assert_int_equal(fake.committed[COUNTER_DOWNLOADS][6], 0);
}

/* A batch whose statement or commit fails stays pending whole with the
 * batches after it; what a later round adds to those keys is summed with
 * it, and each count arrives once. */
static void
check_a_failed_batch_is_written_once_later(bool at_commit)
{
	long long want[MAXKEYS] = { 0 };

	for (long long id = 1; id <= 150; id++)
		want[id] = id % 3 + 1;
	add_views(1, 150);
	if (at_commit)
		fake.fail_commit = 2;
	else
		fake.fail_exec = 2;
	assert_true(counter_flush() < 0);
	assert_int_equal(fake.commits, at_commit ? 2 : 1);
	assert_int_equal(fake.rollbacks, at_commit ? 0 : 1);
	/* The first batch arrived; the second and third wait whole. */
	assert_int_equal(counter_pending(), 150 - B);
	for (long long id = 1; id <= 150; id++)
		assert_int_equal(fake.committed[COUNTER_VIEWS][id],
		    id <= B ? want[id] : 0);
	/* More reads, of keys written and of keys pending. */
	for (long long id = 60; id <= 70; id++) {
		assert_int_equal(counter_add(COUNTER_VIEWS, id), 0);
		want[id]++;
	}
	fake.fail_exec = fake.fail_commit = 0;
	/* The pending keys, and 60..B again. */
	assert_int_equal(counter_flush(), 150 - B + B - 60 + 1);
	assert_int_equal(counter_pending(), 0);
	for (long long id = 1; id < MAXKEYS; id++)
		assert_int_equal(fake.committed[COUNTER_VIEWS][id], want[id]);
}

static void
test_a_batch_whose_statement_fails_stays_pending_whole(void **state)
{
	(void)state;
	check_a_failed_batch_is_written_once_later(false);
}

static void
test_a_batch_whose_commit_fails_stays_pending_whole(void **state)
{
	(void)state;
	check_a_failed_batch_is_written_once_later(true);
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
		cmocka_unit_test_setup_teardown(
		    test_the_statement_adds_every_pair_by_the_primary_key,
		    setup_flush, teardown_flush),
		cmocka_unit_test_setup_teardown(
		    test_names_that_are_not_plain_identifiers_are_refused,
		    setup_flush, teardown_flush),
		cmocka_unit_test_setup_teardown(
		    test_a_flush_writes_one_padded_statement_per_batch,
		    setup_flush, teardown_flush),
		cmocka_unit_test_setup_teardown(
		    test_kinds_in_one_batch_get_a_statement_each, setup_flush,
		    teardown_flush),
		cmocka_unit_test_setup_teardown(
		    test_a_batch_whose_statement_fails_stays_pending_whole,
		    setup_flush, teardown_flush),
		cmocka_unit_test_setup_teardown(
		    test_a_batch_whose_commit_fails_stays_pending_whole,
		    setup_flush, teardown_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
