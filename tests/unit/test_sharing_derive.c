/*
 * Data files column by column (modules/sharing/derive.c): reading an
 * uploaded CSV (RFC 4180) or JSON array of objects and listing its
 * columns, refusing malformed ones, and writing the narrowed copy a grant
 * receives. Files live in a temporary folder; no database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ds.h"
#include "sharing.h"

static char *
write_tmp(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/ds-derive-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Scans text; on success returns the columns as JSON text, on refusal
 * "!" followed by nothing (the problem is checked to be set). */
static char *
scan(const char *text, enum data_format fmt)
{
	struct arena *a = arena_new();
	char *path = write_tmp(text, strlen(text));
	const char *problem = NULL;
	json_object *cols = NULL;
	char *out;
	int st = data_scan(a, path, fmt, &cols, &problem);

	unlink(path);
	if (st == DS_EINVAL) {
		assert_non_null(problem);
		out = strdup("!");
	} else {
		assert_int_equal(st, DS_OK);
		out = strdup(json_object_to_json_string_ext(cols,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(cols);
	}
	arena_free(a);
	return out;
}

static void
expect_scan(const char *text, enum data_format fmt, const char *want)
{
	char *got = scan(text, fmt);

	assert_string_equal(got, want);
	free(got);
}

/* Narrows text to the columns in keep_json; returns the bytes written. */
static char *
narrow(const char *text, enum data_format fmt, const char *keep_json,
    long long *bytes, char sha[65])
{
	char *in = strdup(write_tmp(text, strlen(text)));
	char out_path[] = "/tmp/ds-derive-out-XXXXXX";
	int fd = mkstemp(out_path);
	json_object *keep = json_tokener_parse(keep_json);
	char *buf;
	FILE *f;

	assert_true(fd >= 0);
	assert_int_equal(data_narrow(in, fmt, keep, fd, sha, bytes), DS_OK);
	json_object_put(keep);
	buf = calloc(1, (size_t)*bytes + 1);
	f = fopen(out_path, "r");
	assert_int_equal(fread(buf, 1, (size_t)*bytes + 1, f), (size_t)*bytes);
	fclose(f);
	unlink(out_path);
	unlink(in);
	free(in);
	return buf;
}

static void
test_csv_header_gives_the_columns(void **state)
{
	(void)state;
	expect_scan("a,b,c\r\n1,2,3\r\n", FMT_CSV, "[\"a\",\"b\",\"c\"]");
	expect_scan("a,b\n1,2\n", FMT_CSV, "[\"a\",\"b\"]");
	/* a header alone is a file without records */
	expect_scan("a,b", FMT_CSV, "[\"a\",\"b\"]");
}

static void
test_csv_bom_and_blank_lines_are_tolerated(void **state)
{
	(void)state;
	expect_scan("\xef\xbb\xbf" "ma_ho,ten\r\n1,x\r\n\r\n2,y\r\n\r\n", FMT_CSV,
	    "[\"ma_ho\",\"ten\"]");
}

static void
test_csv_quotes_hold_commas_quotes_and_line_breaks(void **state)
{
	(void)state;
	expect_scan("a,b\r\n\"1,5\",\"he said \"\"hi\"\"\"\r\n\"two\r\nlines\",x\r\n",
	    FMT_CSV, "[\"a\",\"b\"]");
}

static void
test_malformed_csv_is_refused(void **state)
{
	(void)state;
	expect_scan("", FMT_CSV, "!");				/* empty */
	expect_scan("a,b\r\n1\r\n", FMT_CSV, "!");		/* short record */
	expect_scan("a,b\r\n1,2,3\r\n", FMT_CSV, "!");	/* long record */
	expect_scan("a,b\r\n\"1,2\r\n", FMT_CSV, "!");	/* open quote */
	expect_scan("a,b\r\n\"1\"x,2\r\n", FMT_CSV, "!");	/* after quote */
	expect_scan("a,a\r\n1,2\r\n", FMT_CSV, "!");		/* repeated */
	expect_scan("a,,c\r\n1,2,3\r\n", FMT_CSV, "!");	/* empty name */
	expect_scan("a,b\r\n1,\xff\r\n", FMT_CSV, "!");	/* not UTF-8 */
}

static void
test_json_keys_in_order_of_first_appearance(void **state)
{
	(void)state;
	expect_scan(" [ {\"a\": 1, \"b\": {\"x\": [1, \"}]\"]}},\n{\"c\": null, "
	    "\"a\": 2} ] \n", FMT_JSON, "[\"a\",\"b\",\"c\"]");
	expect_scan("[]", FMT_JSON, "[]");
}

static void
test_malformed_json_is_refused(void **state)
{
	(void)state;
	expect_scan("{\"a\": 1}", FMT_JSON, "!");		/* not an array */
	expect_scan("[1, 2]", FMT_JSON, "!");			/* not objects */
	expect_scan("[{\"a\": 1}] x", FMT_JSON, "!");		/* trailing */
	expect_scan("[{\"a\": 1} {\"a\": 2}]", FMT_JSON, "!");	/* no comma */
	expect_scan("[{\"a\": 1}, ]", FMT_JSON, "!");		/* dangling */
	expect_scan("[{\"a\": 1, \"a\": 2}]", FMT_JSON, "!");	/* duplicate */
	expect_scan("[{\"a\": 1}", FMT_JSON, "!");		/* unclosed */
	expect_scan("[{\"a\": NaN}]", FMT_JSON, "!");
}

static void
test_csv_narrowing_keeps_only_the_granted_columns(void **state)
{
	long long bytes;
	char sha[65], want_sha[65];
	const char *want = "ma_ho,dia_chi\r\nH1,\"12 Trần Hưng Đạo, Tuy Hòa\"\r\n"
	    "H2,\"a \"\"b\"\"\"\r\n";
	char *got;

	(void)state;
	got = narrow("\xef\xbb\xbf" "ma_ho,ho_ten,dia_chi\n"
	    "H1,Nguyễn Văn An,\"12 Trần Hưng Đạo, Tuy Hòa\"\n"
	    "H2,\"Lê, Bé\",\"a \"\"b\"\"\"\n\n", FMT_CSV,
	    "[\"ma_ho\",\"dia_chi\",\"not_in_file\"]", &bytes, sha);
	assert_string_equal(got, want);
	assert_int_equal(bytes, (long long)strlen(want));
	sha256_hex(want, strlen(want), want_sha);
	assert_string_equal(sha, want_sha);
	free(got);
}

static void
test_json_narrowing_keeps_only_the_granted_keys(void **state)
{
	long long bytes;
	char sha[65];
	char *got;

	(void)state;
	got = narrow("[{\"a\": 1, \"b\": \"x/y\", \"c\": [1, 2]}, {\"b\": null}]",
	    FMT_JSON, "[\"c\",\"b\"]", &bytes, sha);
	assert_string_equal(got, "[{\"b\":\"x/y\",\"c\":[1,2]},{\"b\":null}]");
	free(got);
	got = narrow("[]", FMT_JSON, "[\"a\"]", &bytes, sha);
	assert_string_equal(got, "[]");
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_header_gives_the_columns),
		cmocka_unit_test(test_csv_bom_and_blank_lines_are_tolerated),
		cmocka_unit_test(test_csv_quotes_hold_commas_quotes_and_line_breaks),
		cmocka_unit_test(test_malformed_csv_is_refused),
		cmocka_unit_test(test_json_keys_in_order_of_first_appearance),
		cmocka_unit_test(test_malformed_json_is_refused),
		cmocka_unit_test(test_csv_narrowing_keeps_only_the_granted_columns),
		cmocka_unit_test(test_json_narrowing_keeps_only_the_granted_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
