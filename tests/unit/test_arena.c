/*
 * arena.c: per-request memory. Blocks must be aligned, never overlap,
 * survive later allocations of any size, and go away on reset.
 */
#include <stdio.h>

#include "unit.h"

#define NSMALL	20000

struct block {
	unsigned char	*p;
	size_t		 n;
	unsigned char	 fill;
};

static void
fill(struct block *b, struct arena *a, size_t n, unsigned char v)
{
	b->p = arena_alloc(a, n);
	b->n = n;
	b->fill = v;
	assert_non_null(b->p);
	assert_int_equal((uintptr_t)b->p % 16, 0);
	memset(b->p, v, n);
}

static void
check(const struct block *b, size_t nb)
{
	for (size_t i = 0; i < nb; i++)
		for (size_t j = 0; j < b[i].n; j++)
			if (b[i].p[j] != b[i].fill)
				fail_msg("block %zu (%zu bytes) overwritten at %zu",
				    i, b[i].n, j);
}

static void
test_many_small_allocations_do_not_overlap(void **state)
{
	struct arena *a = arena_new();
	struct block *b = calloc(NSMALL, sizeof(*b));
	unsigned seed = 1;

	(void)state;
	assert_non_null(b);
	for (size_t i = 0; i < NSMALL; i++) {
		seed = seed * 1103515245 + 12345;
		fill(&b[i], a, 1 + (seed >> 16) % 100, (unsigned char)i);
	}
	check(b, NSMALL);
	free(b);
	arena_free(a);
}

static void
test_large_allocations_mixed_with_small(void **state)
{
	static const size_t sizes[] = {
		10, 16 * 1024, 16 * 1024 + 1, 7, 1 << 20, 33, 100 * 1024, 1,
		16 * 1024 - 8, 5 << 20, 64, 3,
	};
	struct block b[3 * sizeof(sizes) / sizeof(sizes[0])];
	struct arena *a = arena_new();
	size_t nb = 0;

	(void)state;
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			fill(&b[nb], a, sizes[i], (unsigned char)(nb + 1));
			nb++;
		}
	check(b, nb);
	arena_free(a);
}

static void
test_zero_size_and_strings(void **state)
{
	struct arena *a = arena_new();
	char *s;

	(void)state;
	assert_non_null(arena_alloc(a, 0));
	s = arena_strndup(a, "abcdef", 3);
	assert_string_equal(s, "abc");
	s = arena_strndup(a, "a\0c", 3);
	assert_int_equal(s[1], '\0');
	assert_int_equal(s[2], 'c');
	assert_int_equal(s[3], '\0');
	assert_string_equal(arena_strdup(a, "Đất đai"), "Đất đai");
	assert_null(arena_strdup(a, NULL));
	arena_free(a);
}

static void
test_calloc_zeroes_reused_memory(void **state)
{
	struct arena *a = arena_new();
	unsigned char *p;

	(void)state;
	p = arena_alloc(a, 4096);
	memset(p, 0xff, 4096);
	arena_reset(a);
	p = arena_calloc(a, 512, 8);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(p[i], 0);
	arena_free(a);
}

static void
test_reset_keeps_one_chunk(void **state)
{
	struct arena *a = arena_new();
	void *p1, *p2;

	(void)state;
	arena_reset(a);			/* nothing allocated yet */
	p1 = arena_alloc(a, 100);
	arena_reset(a);
	p2 = arena_alloc(a, 100);
	/* A worker does not go back to malloc for each request. */
	assert_ptr_equal(p1, p2);
	for (int i = 0; i < 50; i++)	/* spills into more chunks */
		memset(arena_alloc(a, 8000), i, 8000);
	arena_reset(a);
	p1 = arena_alloc(a, 100);
	arena_reset(a);
	p2 = arena_alloc(a, 100);
	assert_ptr_equal(p1, p2);
	arena_free(a);
}

static void
test_reset_after_a_huge_first_block(void **state)
{
	struct arena *a = arena_new();
	unsigned char *p;

	(void)state;
	/* The first chunk is itself huge: reset frees it rather than keep
	 * 2 MB per worker. Under ASan a later write to it would fail. */
	p = arena_alloc(a, 2 << 20);
	memset(p, 1, 2 << 20);
	arena_reset(a);
	p = arena_alloc(a, 64);
	memset(p, 2, 64);
	assert_int_equal(p[63], 2);
	arena_free(a);
	arena_free(NULL);
}

static void
test_printf_formats_into_the_arena(void **state)
{
	struct arena *a = arena_new();
	char *big = malloc(100001), *s, *first;

	(void)state;
	assert_non_null(big);
	first = arena_printf(a, "%s-%d-%lld", "x", 42, -7LL);
	assert_string_equal(first, "x-42--7");
	assert_string_equal(arena_printf(a, "%s", ""), "");
	memset(big, 'y', 100000);
	big[100000] = '\0';
	s = arena_printf(a, "<%s>", big);
	assert_int_equal(strlen(s), 100002);
	assert_int_equal(s[0], '<');
	assert_int_equal(s[100001], '>');
	assert_string_equal(arena_printf(a, "%05.1f", 2.5), "002.5");
	/* Earlier strings are intact after a large one. */
	assert_string_equal(first, "x-42--7");
	free(big);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_small_allocations_do_not_overlap),
		cmocka_unit_test(test_large_allocations_mixed_with_small),
		cmocka_unit_test(test_zero_size_and_strings),
		cmocka_unit_test(test_calloc_zeroes_reused_memory),
		cmocka_unit_test(test_reset_keeps_one_chunk),
		cmocka_unit_test(test_reset_after_a_huge_first_block),
		cmocka_unit_test(test_printf_formats_into_the_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
