/*
 * config.c: the key=value file, DS_<KEY> environment overrides, bounded
 * integers (conf_int, parse_ll).
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "unit.h"

/* Writes text to a new temporary file whose path goes into path. */
static void
write_conf(char path[64], const char *text)
{
	int fd;
	size_t len = strlen(text);

	strcpy(path, "/tmp/ds-unit-conf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Loads text as a config file; returns the status, message in err. */
static int
load(const char *text, char *err, size_t errlen)
{
	char path[64];
	int st;

	write_conf(path, text);
	err[0] = '\0';
	st = conf_load(path, err, errlen);
	unlink(path);
	return st;
}

static int
teardown(void **state)
{
	(void)state;
	conf_clear();
	unsetenv("DS_UNIT_ENV");
	unsetenv("DS_UNIT_ONLY_ENV");
	return 0;
}

static void
test_file_is_parsed(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(load(
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\n"
	    "   \t\n"
	    "unit_alpha = one\n"
	    "unit_beta=two words   \n"
	    "  unit_gamma\t=\ta=b=c\n"
	    "unit_empty =\n"
	    "unit_url = https://127.0.0.1:8443/x?y=1#frag\n"
	    "unit_alpha = again\n"
	    "unit_last = no newline at the end", err, sizeof(err)), DS_OK);
	assert_string_equal(err, "");
	/* A later line wins over an earlier one. */
	assert_string_equal(conf_get("unit_alpha"), "again");
	assert_string_equal(conf_get("unit_beta"), "two words");
	assert_string_equal(conf_get("unit_gamma"), "a=b=c");
	assert_string_equal(conf_get("unit_empty"), "");
	assert_string_equal(conf_get("unit_url"),
	    "https://127.0.0.1:8443/x?y=1#frag");
	assert_string_equal(conf_get("unit_last"), "no newline at the end");
	assert_null(conf_get("unit_missing"));
	/* conf_str gives the default for unset and empty values. */
	assert_string_equal(conf_str("unit_missing", "def"), "def");
	assert_string_equal(conf_str("unit_empty", "def"), "def");
	assert_string_equal(conf_str("unit_beta", "def"), "two words");
}

static void
bad_file(const char *text, const char *want)
{
	char err[256];

	if (load(text, err, sizeof(err)) != DS_ERR)
		fail_msg("accepted: %s", text);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' does not say '%s'", err, want);
}

static void
test_bad_lines_are_refused_with_their_number(void **state)
{
	(void)state;
	bad_file("unit_a = 1\nno equals sign here\n", ":2: expected key=value");
	bad_file("Unit_A = 1\n", ":1: bad key 'Unit_A'");
	bad_file("# c\n\nunit-a = 1\n", ":3: bad key 'unit-a'");
	bad_file("unit a = 1\n", ":1: bad key 'unit a'");
	bad_file("= value\n", ":1: bad key ''");
	bad_file("[section]\n", ":1: expected key=value");
	bad_file("k234567890123456789012345678901234567890123456789012345678901234"
	    " = 1\n", ":1: bad key");
}

static void
test_missing_file_is_named(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(conf_load("/nonexistent/ds-unit.conf", err,
	    sizeof(err)), DS_ERR);
	assert_non_null(strstr(err, "/nonexistent/ds-unit.conf"));
	assert_non_null(strstr(err, "No such file"));
}

static void
test_too_long_line_is_refused(void **state)
{
	char *text = malloc(6000);

	(void)state;
	assert_non_null(text);
	strcpy(text, "unit_a = ");
	memset(text + 9, 'x', 5000);
	strcpy(text + 5009, "\n");
	bad_file(text, ":1: line too long");
	free(text);
}

static void
test_environment_overrides_the_file(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(load("unit_env = from-file\n", err, sizeof(err)),
	    DS_OK);
	assert_string_equal(conf_get("unit_env"), "from-file");
	setenv("DS_UNIT_ENV", "from-env", 1);
	assert_string_equal(conf_get("unit_env"), "from-env");
	assert_string_equal(conf_str("unit_env", "def"), "from-env");
	/* conf_set does not beat the environment either. */
	conf_set("unit_env", "from-set");
	assert_string_equal(conf_get("unit_env"), "from-env");
	unsetenv("DS_UNIT_ENV");
	assert_string_equal(conf_get("unit_env"), "from-set");
	/* A key that is only in the environment. */
	setenv("DS_UNIT_ONLY_ENV", "17", 1);
	assert_string_equal(conf_get("unit_only_env"), "17");
	assert_int_equal(conf_int("unit_only_env", 1, 0, 100, NULL), 17);
	/* An empty variable still wins (and reads as unset). */
	setenv("DS_UNIT_ENV", "", 1);
	assert_string_equal(conf_get("unit_env"), "");
	assert_string_equal(conf_str("unit_env", "def"), "def");
}

static void
test_conf_set_replaces_and_clear_forgets(void **state)
{
	(void)state;
	conf_set("unit_k", "1");
	conf_set("unit_k", "2");
	assert_string_equal(conf_get("unit_k"), "2");
	conf_clear();
	assert_null(conf_get("unit_k"));
}

static void
int_refused(const char *value)
{
	const char *errstr = NULL;

	conf_set("unit_n", value);
	assert_int_equal(conf_int("unit_n", 5, 1, 10, &errstr), 5);
	if (errstr == NULL)
		fail_msg("'%s' accepted", value);
	assert_string_equal(errstr, "unit_n");
}

static void
test_conf_int_bounds(void **state)
{
	const char *errstr = "stale";

	(void)state;
	assert_int_equal(conf_int("unit_n", 5, 1, 10, &errstr), 5);
	assert_null(errstr);
	conf_set("unit_n", "");
	errstr = "stale";
	assert_int_equal(conf_int("unit_n", 5, 1, 10, &errstr), 5);
	assert_null(errstr);
	conf_set("unit_n", "1");
	assert_int_equal(conf_int("unit_n", 5, 1, 10, &errstr), 1);
	assert_null(errstr);
	conf_set("unit_n", "10");
	assert_int_equal(conf_int("unit_n", 5, 1, 10, &errstr), 10);
	assert_null(errstr);
	int_refused("0");
	int_refused("11");
	int_refused("-1");
	int_refused("abc");
	int_refused("7x");
	int_refused(" 7");
	int_refused("7.0");
	int_refused("99999999999999999999");
	/* errstr may be NULL. */
	conf_set("unit_n", "bad");
	assert_int_equal(conf_int("unit_n", 3, 1, 10, NULL), 3);
}

static void
test_parse_ll_is_strict(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(parse_ll("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_ll("-5", -10, 0, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse_ll("9223372036854775807", 0, LLONG_MAX, &v), 0);
	assert_int_equal(v, LLONG_MAX);
	v = 77;
	assert_int_equal(parse_ll("9223372036854775808", 0, LLONG_MAX, &v), -1);
	assert_int_equal(parse_ll("101", 0, 100, &v), -1);
	assert_int_equal(parse_ll("", 0, 100, &v), -1);
	assert_int_equal(parse_ll(NULL, 0, 100, &v), -1);
	assert_int_equal(parse_ll(" 1", 0, 100, &v), -1);
	assert_int_equal(parse_ll("1 ", 0, 100, &v), -1);
	assert_int_equal(parse_ll("1a", 0, 100, &v), -1);
	assert_int_equal(parse_ll("0x1", 0, 100, &v), -1);
	/* One spelling per value: no sign but '-', no white space. */
	assert_int_equal(parse_ll("+5", 0, 100, &v), -1);
	assert_int_equal(parse_ll("+0", 0, 100, &v), -1);
	assert_int_equal(parse_ll("-+5", -10, 100, &v), -1);
	assert_int_equal(parse_ll("- 5", -10, 100, &v), -1);
	assert_int_equal(parse_ll("-", -10, 100, &v), -1);
	assert_int_equal(parse_ll("\t1", 0, 100, &v), -1);
	assert_int_equal(parse_ll("\n1", 0, 100, &v), -1);
	/* Failures leave the output alone. */
	assert_int_equal(v, 77);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_file_is_parsed, teardown),
		cmocka_unit_test_teardown(
		    test_bad_lines_are_refused_with_their_number, teardown),
		cmocka_unit_test_teardown(test_missing_file_is_named, teardown),
		cmocka_unit_test_teardown(test_too_long_line_is_refused,
		    teardown),
		cmocka_unit_test_teardown(test_environment_overrides_the_file,
		    teardown),
		cmocka_unit_test_teardown(
		    test_conf_set_replaces_and_clear_forgets, teardown),
		cmocka_unit_test_teardown(test_conf_int_bounds, teardown),
		cmocka_unit_test_teardown(test_parse_ll_is_strict, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
