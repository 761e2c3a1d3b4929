/*
 * secret.c: generated client secrets and their argon2id hashes.
 */
#include <sodium.h>

#include "unit.h"

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_hash_then_verify_round_trip(void **state)
{
	char h[SECRET_HASH_MAX];

	(void)state;
	assert_int_equal(secret_hash("s3cret-Đất", h), DS_OK);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	assert_true(strlen(h) < SECRET_HASH_MAX);
	assert_true(secret_verify(h, "s3cret-Đất"));
}

static void
test_wrong_secret_fails(void **state)
{
	char h[SECRET_HASH_MAX];

	(void)state;
	assert_int_equal(secret_hash("correct horse", h), DS_OK);
	assert_false(secret_verify(h, "correct hors"));
	assert_false(secret_verify(h, "correct horse "));
	assert_false(secret_verify(h, "Correct horse"));
	assert_false(secret_verify(h, ""));
}

static void
test_same_secret_hashes_differently(void **state)
{
	char h1[SECRET_HASH_MAX], h2[SECRET_HASH_MAX];

	(void)state;
	assert_int_equal(secret_hash("same", h1), DS_OK);
	assert_int_equal(secret_hash("same", h2), DS_OK);
	/* Salted: equal secrets do not show in the table. */
	assert_string_not_equal(h1, h2);
	assert_true(secret_verify(h1, "same"));
	assert_true(secret_verify(h2, "same"));
}

static void
test_unknown_account_is_refused(void **state)
{
	(void)state;
	assert_false(secret_verify(NULL, "anything"));
	assert_false(secret_verify(NULL, ""));
	/* Not even the dummy hash's own secret opens it. */
	assert_false(secret_verify(NULL, "unknown-client"));
}

static void
test_malformed_hash_is_refused(void **state)
{
	(void)state;
	assert_false(secret_verify("", "x"));
	assert_false(secret_verify("garbage", "garbage"));
	assert_false(secret_verify("$argon2id$v=19$m=1024,t=2,p=1$", "x"));
}

static void
test_generated_secrets_are_random_url_safe_text(void **state)
{
	struct arena *a = arena_new();
	char *s1, *s2;

	(void)state;
	s1 = secret_generate(a, 32);
	s2 = secret_generate(a, 32);
	assert_int_equal(strlen(s1), 43);	/* 256 bits in base64url */
	assert_int_equal(strspn(s1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_string_not_equal(s1, s2);
	/* Capped at 64 bytes. */
	assert_int_equal(strlen(secret_generate(a, 1000)), 86);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_then_verify_round_trip),
		cmocka_unit_test(test_wrong_secret_fails),
		cmocka_unit_test(test_same_secret_hashes_differently),
		cmocka_unit_test(test_unknown_account_is_refused),
		cmocka_unit_test(test_malformed_hash_is_refused),
		cmocka_unit_test(test_generated_secrets_are_random_url_safe_text),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
