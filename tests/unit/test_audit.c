/*
 * chain_seal.c: chain_row_hash, the link of the audit and access-log hash
 * chains: SHA-256 of the previous hash, a newline and the row's content.
 */
#include <openssl/evp.h>

#include "unit.h"

#define GENESIS	"0000000000000000000000000000000000000000000000000000000000000000"

/* The expected hash, computed here without core's helpers. */
static void
expected(const char *prev, const void *content, size_t len, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned mdlen = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, prev, strlen(prev)), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, "\n", 1), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, content, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
test_hash_is_sha256_of_prev_newline_content(void **state)
{
	static const char row[] = "1\x1f" "2026-01-01 00:00:00\x1f" "7\x1f"
	    "3\x1f" "agency.create\x1f" "agency\x1f" "12\x1f\\N\x1f{}\x1f";
	char got[65], want[65];

	(void)state;
	chain_row_hash(GENESIS, row, sizeof(row) - 1, got);
	expected(GENESIS, row, sizeof(row) - 1, want);
	assert_int_equal(strlen(got), 64);
	assert_string_equal(got, want);
	/* A fixed vector: SHA-256("\n") with an empty prev and content. */
	chain_row_hash("", "", 0, got);
	assert_string_equal(got,
	    "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b");
}

static void
test_hash_is_deterministic(void **state)
{
	char a[65], b[65];

	(void)state;
	chain_row_hash(GENESIS, "row one", 7, a);
	chain_row_hash(GENESIS, "row one", 7, b);
	assert_string_equal(a, b);
}

static void
test_hash_depends_on_prev(void **state)
{
	char a[65], b[65], c[65];

	(void)state;
	chain_row_hash(GENESIS, "row", 3, a);
	chain_row_hash("1" GENESIS, "row", 3, b);
	assert_string_not_equal(a, b);
	/* Chained: the second row's hash changes with the first row. */
	chain_row_hash(a, "next", 4, b);
	chain_row_hash(GENESIS, "rox", 3, c);
	chain_row_hash(c, "next", 4, c);
	assert_string_not_equal(b, c);
}

static void
test_hash_depends_on_all_the_content(void **state)
{
	static const char with_nul[] = "a\0b";
	char a[65], b[65];

	(void)state;
	chain_row_hash(GENESIS, "Đất đai", strlen("Đất đai"), a);
	chain_row_hash(GENESIS, "Dat dai", 7, b);
	assert_string_not_equal(a, b);
	/* The length counts, not a NUL inside the content. */
	chain_row_hash(GENESIS, with_nul, 3, a);
	chain_row_hash(GENESIS, with_nul, 1, b);
	assert_string_not_equal(a, b);
	expected(GENESIS, with_nul, 3, b);
	assert_string_equal(a, b);
	/* Moving the separator between prev and content changes it. */
	chain_row_hash("ab", "c", 1, a);
	chain_row_hash("a", "bc", 2, b);
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_is_sha256_of_prev_newline_content),
		cmocka_unit_test(test_hash_is_deterministic),
		cmocka_unit_test(test_hash_depends_on_prev),
		cmocka_unit_test(test_hash_depends_on_all_the_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
