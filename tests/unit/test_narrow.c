/*
 * narrow.c: a gateway answer cut to the granted fields of each record
 * (issue 18; Art. 17.2.b), with strings and numbers as the provider sent
 * them.
 */
#include <stdio.h>

#include "unit.h"

#define NKEEP(k)	(sizeof(k) / sizeof((k)[0]))

static struct arena *arena;

static int
setup(void **state)
{
	(void)state;
	arena = arena_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(arena);
	return 0;
}

/* Asserts that narrowing text gives want, with removed keys removed. */
static void
narrows_to(const char *text, const char *pointer, const char *const *keep,
    size_t nkeep, const char *want, long long removed)
{
	const char *why = NULL;
	char *out;
	size_t outlen;
	long long n;
	int st;

	st = narrow_json(arena, text, strlen(text), pointer, keep, nkeep,
	    &out, &outlen, &n, &why);
	if (st != DS_OK)
		fail_msg("refused (%s): %s", why, text);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(outlen, strlen(want));
	assert_int_equal(n, removed);
}

/* Asserts that narrowing text[0..len) is refused with a reason, and
 * leaves no output behind. */
static void
refused_n(const char *text, size_t len, const char *pointer,
    const char *const *keep, size_t nkeep)
{
	const char *why = NULL;
	char *out = (char *)"x";
	size_t outlen = 9;
	long long n = 9;
	int st;

	st = narrow_json(arena, text, len, pointer, keep, nkeep, &out,
	    &outlen, &n, &why);
	if (st != DS_EINVAL)
		fail_msg("not refused (%d): %.*s", st, (int)len, text);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
	assert_null(out);
	assert_int_equal(outlen, 0);
	assert_int_equal(n, 0);
}

static void
refused(const char *text, const char *pointer)
{
	static const char *const keep[] = { "id" };

	refused_n(text, strlen(text), pointer, keep, NKEEP(keep));
}

static void
test_an_object_is_one_record(void **state)
{
	static const char *const keep[] = { "id", "name" };

	(void)state;
	narrows_to("{\"id\": 1, \"name\": \"a\", \"pin\": \"0123\"}", NULL,
	    keep, NKEEP(keep), "{\"id\":1,\"name\":\"a\"}", 1);
	narrows_to("{\"id\": 1, \"pin\": \"0123\"}", "", keep, NKEEP(keep),
	    "{\"id\":1}", 1);
}

static void
test_each_object_of_an_array_is_a_record(void **state)
{
	static const char *const keep[] = { "id", "name" };

	(void)state;
	narrows_to("[{\"id\":1,\"pin\":\"1\",\"name\":\"a\"},"
	    "{\"pin\":\"2\",\"id\":2},{\"other\":3,\"pin\":\"3\"}]", NULL,
	    keep, NKEEP(keep),
	    "[{\"id\":1,\"name\":\"a\"},{\"id\":2},{}]", 4);
}

static void
test_kept_keys_stay_in_their_order(void **state)
{
	/* The keep list's order is not the output's. */
	static const char *const keep[] = { "b", "c", "a" };

	(void)state;
	narrows_to("{\"c\":3,\"x\":0,\"a\":1,\"y\":0,\"b\":2}", NULL, keep,
	    NKEEP(keep), "{\"c\":3,\"a\":1,\"b\":2}", 2);
}

static void
test_nested_values_of_kept_keys_stay_whole(void **state)
{
	static const char *const keep[] = { "address" };

	(void)state;
	narrows_to("{\"address\":{\"street\":\"s\",\"pin\":\"1\",\"geo\":"
	    "[1.5,{\"pin\":2}]},\"pin\":\"1\"}", NULL, keep, NKEEP(keep),
	    "{\"address\":{\"street\":\"s\",\"pin\":\"1\",\"geo\":"
	    "[1.5,{\"pin\":2}]}}", 1);
}

static void
test_a_pointer_narrows_only_the_records_it_names(void **state)
{
	static const char *const keep[] = { "id" };

	(void)state;
	/* The envelope around the records passes unchanged. */
	narrows_to("{\"meta\":{\"page\":1,\"pin\":\"m\"},\"data\":{\"items\":"
	    "[{\"id\":1,\"pin\":\"a\"},{\"id\":2,\"pin\":\"b\"}],\"total\":2,"
	    "\"pin\":\"d\"}}", "/data/items", keep, NKEEP(keep),
	    "{\"meta\":{\"page\":1,\"pin\":\"m\"},\"data\":{\"items\":"
	    "[{\"id\":1},{\"id\":2}],\"total\":2,\"pin\":\"d\"}}", 2);
	/* An object there is one record. */
	narrows_to("{\"data\":{\"owner\":{\"id\":7,\"pin\":\"x\"}},\"pin\":1}",
	    "/data/owner", keep, NKEEP(keep),
	    "{\"data\":{\"owner\":{\"id\":7}},\"pin\":1}", 1);
	/* Array indexes are steps too. */
	narrows_to("{\"pages\":[{\"id\":0,\"p\":0},[{\"id\":1,\"p\":1}]]}",
	    "/pages/1", keep, NKEEP(keep),
	    "{\"pages\":[{\"id\":0,\"p\":0},[{\"id\":1}]]}", 1);
	narrows_to("[[{\"id\":1,\"p\":1}],{\"id\":0,\"p\":0}]", "/1", keep,
	    NKEEP(keep), "[[{\"id\":1,\"p\":1}],{\"id\":0}]", 1);
}

static void
test_a_pointer_unescapes_tilde_and_slash(void **state)
{
	static const char *const keep[] = { "k" };

	(void)state;
	/* ~1 is '/', ~0 is '~'; "~01" is "~1", not "/". */
	narrows_to("{\"a/b\":{\"m~n\":[{\"k\":1,\"z\":2}]}}", "/a~1b/m~0n",
	    keep, NKEEP(keep), "{\"a/b\":{\"m~n\":[{\"k\":1}]}}", 1);
	narrows_to("{\"~1\":{\"k\":1,\"z\":2},\"/\":{\"k\":1,\"z\":2}}",
	    "/~01", keep, NKEEP(keep),
	    "{\"~1\":{\"k\":1},\"/\":{\"k\":1,\"z\":2}}", 1);
	/* "/" names the key "". */
	narrows_to("{\"\":{\"k\":1,\"z\":2}}", "/", keep, NKEEP(keep),
	    "{\"\":{\"k\":1}}", 1);
}

static void
test_a_pointer_that_names_nothing_is_refused(void **state)
{
	static const char *doc = "{\"data\":{\"items\":[{\"id\":1},"
	    "{\"id\":2}],\"n\":null,\"page\":3}}";

	(void)state;
	refused(doc, "/nope");
	refused(doc, "/data/item");
	refused(doc, "/data/items/2");
	refused(doc, "/data/items/-");		/* past the end */
	refused(doc, "/data/items/01");		/* no leading zero */
	refused(doc, "/data/items/+1");
	refused(doc, "/data/items/99999999999999999999999");
	refused(doc, "/data/page/x");		/* through a number */
	refused(doc, "/data/n/x");		/* through a null */
	refused(doc, "/data/items/");		/* the key "" of an array */
}

static void
test_a_malformed_pointer_is_refused(void **state)
{
	static const char *doc = "{\"data\":[{\"id\":1}],\"a~2\":[]}";

	(void)state;
	refused(doc, "data");
	refused(doc, "/a~2");
	refused(doc, "/data~");
	refused(doc, " /data");
}

static void
test_a_record_set_that_is_not_records_is_refused(void **state)
{
	(void)state;
	refused("{\"n\":null,\"s\":\"x\",\"i\":1,\"b\":true}", "/n");
	refused("{\"n\":null,\"s\":\"x\",\"i\":1,\"b\":true}", "/s");
	refused("{\"n\":null,\"s\":\"x\",\"i\":1,\"b\":true}", "/i");
	refused("{\"n\":null,\"s\":\"x\",\"i\":1,\"b\":true}", "/b");
	refused("\"a string\" ", NULL);
	refused("12 ", NULL);
	refused("true", "");
}

static void
test_an_array_with_a_non_object_is_refused(void **state)
{
	(void)state;
	refused("[{\"id\":1},2]", NULL);
	refused("[{\"id\":1},null]", NULL);
	refused("[{\"id\":1},\"s\"]", NULL);
	refused("[{\"id\":1},[{\"id\":2}]]", NULL);
	refused("[null]", "");
	refused("{\"items\":[{\"id\":1,\"pin\":2},false]}", "/items");
}

static void
test_an_empty_array_passes(void **state)
{
	static const char *const keep[] = { "id" };

	(void)state;
	narrows_to("[]", NULL, keep, NKEEP(keep), "[]", 0);
	narrows_to(" [ ] ", NULL, keep, NKEEP(keep), "[]", 0);
	narrows_to("{\"items\":[],\"total\":0}", "/items", keep, NKEEP(keep),
	    "{\"items\":[],\"total\":0}", 0);
	narrows_to("{}", NULL, keep, NKEEP(keep), "{}", 0);
}

static void
test_an_empty_keep_list_removes_every_field(void **state)
{
	(void)state;
	narrows_to("[{\"id\":1,\"a\":{\"b\":2}},{\"c\":[1,2,3]},{}]", NULL,
	    NULL, 0, "[{},{},{}]", 3);
	narrows_to("{\"meta\":1,\"data\":{\"x\":1,\"y\":2}}", "/data", NULL,
	    0, "{\"meta\":1,\"data\":{}}", 2);
}

static void
test_nothing_removed_is_ok(void **state)
{
	static const char *const keep[] = { "id", "name", "unused" };

	(void)state;
	narrows_to("[{\"id\":1,\"name\":null},{\"id\":2}]", NULL, keep,
	    NKEEP(keep), "[{\"id\":1,\"name\":null},{\"id\":2}]", 0);
}

static void
test_keep_names_are_compared_byte_for_byte(void **state)
{
	/* "Tến" composed (U+1EBF) and decomposed (e, U+0302, U+0301) are
	 * different keys: the grant names the bytes the provider uses. */
	static const char *const keep[] = { "ID", "name ",
	    "T\xc3\xaan", "T\xe1\xba\xbfn" };

	(void)state;
	narrows_to("{\"id\":1,\"name\":2,\"T\xe1\xba\xbfn\":3,"
	    "\"Te\xcc\x82\xcc\x81n\":4}", NULL, keep, NKEEP(keep),
	    "{\"T\xe1\xba\xbfn\":3}", 3);
	/* A key the text escapes is the key it decodes to. */
	narrows_to("{\"\\u0049D\":1,\"id\":2}", NULL, keep, NKEEP(keep),
	    "{\"ID\":1}", 1);
}

static void
test_vietnamese_text_is_byte_identical(void **state)
{
	static const char *const keep[] = { "H\xe1\xbb\x8d t\xc3\xaan",
	    "\xc4\x91\xe1\xbb\x8b""a ch\xe1\xbb\x89" };
	/* {"Họ tên":"Nguyễn Thị Ánh Tuyết","địa chỉ":"Số 1 Đường Trần
	 * Hưng Đạo, Hoàn Kiếm, Hà Nội","CCCD":"0010..."} */
	static const char *rec = "{\"H\xe1\xbb\x8d t\xc3\xaan\":"
	    "\"Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b \xc3\x81nh Tuy\xe1\xba\xbft\","
	    "\"\xc4\x91\xe1\xbb\x8b""a ch\xe1\xbb\x89\":\"S\xe1\xbb\x91 1 "
	    "\xc4\x90\xc6\xb0\xe1\xbb\x9dng Tr\xe1\xba\xa7n H\xc6\xb0ng "
	    "\xc4\x90\xe1\xba\xa1o, Ho\xc3\xa0n Ki\xe1\xba\xbfm, H\xc3\xa0 "
	    "N\xe1\xbb\x99i\",\"CCCD\":\"001099012345\"}";
	static const char *want = "{\"H\xe1\xbb\x8d t\xc3\xaan\":"
	    "\"Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b \xc3\x81nh Tuy\xe1\xba\xbft\","
	    "\"\xc4\x91\xe1\xbb\x8b""a ch\xe1\xbb\x89\":\"S\xe1\xbb\x91 1 "
	    "\xc4\x90\xc6\xb0\xe1\xbb\x9dng Tr\xe1\xba\xa7n H\xc6\xb0ng "
	    "\xc4\x90\xe1\xba\xa1o, Ho\xc3\xa0n Ki\xe1\xba\xbfm, H\xc3\xa0 "
	    "N\xe1\xbb\x99i\"}";
	char doc[1024], exp[1024];

	(void)state;
	narrows_to(rec, NULL, keep, NKEEP(keep), want, 1);
	snprintf(doc, sizeof(doc), "[%s,%s]", rec, rec);
	snprintf(exp, sizeof(exp), "[%s,%s]", want, want);
	narrows_to(doc, NULL, keep, NKEEP(keep), exp, 2);
	/* No \u escape appears where the text had none. */
	assert_null(strstr(exp, "\\u"));
}

static void
test_string_escapes_come_out_decoded(void **state)
{
	static const char *const keep[] = { "s" };

	(void)state;
	/* The same strings, spelt as json-c writes them: narrow.c's note. */
	narrows_to("[{\"s\":\"\\u00e9\\/\\ud83d\\ude00\"}]", NULL, keep,
	    NKEEP(keep), "[{\"s\":\"\xc3\xa9/\xf0\x9f\x98\x80\"}]", 0);
	narrows_to("[{\"s\":\"a/b \\\"q\\\" \\\\ \\n\\t\\u0001\"}]", NULL,
	    keep, NKEEP(keep),
	    "[{\"s\":\"a/b \\\"q\\\" \\\\ \\n\\t\\u0001\"}]", 0);
}

static void
test_numbers_keep_their_text(void **state)
{
	static const char *const keep[] = { "n" };

	(void)state;
	/* Doubles as written, whatever double they round to. */
	narrows_to("[{\"n\":1.10},{\"n\":1E5},{\"n\":2.5e-3},{\"n\":-0.0},"
	    "{\"n\":1e-400},{\"n\":0.1000000000000000055511151231257827},"
	    "{\"n\":1.7976931348623157e308}]", NULL, keep, NKEEP(keep),
	    "[{\"n\":1.10},{\"n\":1E5},{\"n\":2.5e-3},{\"n\":-0.0},"
	    "{\"n\":1e-400},{\"n\":0.1000000000000000055511151231257827},"
	    "{\"n\":1.7976931348623157e308}]", 0);
	/* Integers json-c would print as 0 or clamp to 64 bits. */
	narrows_to("[{\"n\":-0,\"x\":-0},{\"n\":12345678901234567890},"
	    "{\"n\":18446744073709551615},{\"n\":18446744073709551616},"
	    "{\"n\":-9223372036854775808},{\"n\":-9223372036854775809},"
	    "{\"n\":123456789012345678901234567890,\"x\":1}]", NULL, keep,
	    NKEEP(keep),
	    "[{\"n\":-0},{\"n\":12345678901234567890},"
	    "{\"n\":18446744073709551615},{\"n\":18446744073709551616},"
	    "{\"n\":-9223372036854775808},{\"n\":-9223372036854775809},"
	    "{\"n\":123456789012345678901234567890}]", 2);
	/* And outside the records, in nested values, in arrays. */
	narrows_to("{\"total\":99999999999999999999,\"items\":[{\"n\":"
	    "[0,-0,1,-1,-0.0,1e2,99999999999999999999]}]}", "/items", keep,
	    NKEEP(keep), "{\"total\":99999999999999999999,\"items\":[{\"n\":"
	    "[0,-0,1,-1,-0.0,1e2,99999999999999999999]}]}", 0);
}

static void
test_numbers_json_does_not_have_are_refused(void **state)
{
	(void)state;
	/* json-c takes these; they are not RFC 8259's. */
	refused("[{\"id\":1.}]", NULL);
	refused("[{\"id\":-.5}]", NULL);
	refused("[{\"id\":-01}]", NULL);
	refused("[{\"id\":00}]", NULL);
	refused("[{\"id\":-00.5}]", NULL);
	refused("[{\"id\":1.e5}]", NULL);
	/* Not finite as a double: json_parse_strict refuses it. */
	refused("[{\"id\":1e400}]", NULL);
	refused("[{\"id\":-1e400}]", NULL);
}

static void
test_nremoved_counts_every_removed_key(void **state)
{
	static const char *const keep[] = { "a", "c" };

	(void)state;
	narrows_to("[{\"a\":1,\"b\":2,\"c\":3,\"d\":4},{\"b\":{\"a\":1}},"
	    "{\"e\":5,\"f\":6,\"g\":7},{\"a\":1,\"c\":2}]", NULL, keep,
	    NKEEP(keep), "[{\"a\":1,\"c\":3},{},{},{\"a\":1,\"c\":2}]", 6);
	/* outlen and nremoved may be NULL. */
	{
		const char *why = NULL;
		char *out;

		assert_int_equal(narrow_json(arena, "{\"a\":1,\"b\":2}", 13,
		    NULL, keep, NKEEP(keep), &out, NULL, NULL, &why), DS_OK);
		assert_string_equal(out, "{\"a\":1}");
	}
}

static void
test_not_json_is_refused(void **state)
{
	(void)state;
	refused("", NULL);
	refused("   ", NULL);
	refused("not json", NULL);
	refused("{\"id\":1", NULL);
	refused("{\"id\":1} x", NULL);
	refused("{\"id\":1}{}", NULL);
	refused("[{'id':1}]", NULL);
	refused("[{\"id\":NaN}]", NULL);
	refused("{\"id\":\"\xff\"}", NULL);		/* bad UTF-8 */
	refused("{\"id\":\"\xc3\"}", NULL);
	refused("{\"id\":\"\\u0000\"}", NULL);
	refused_n("{\"id\":1}\0", 9, NULL, NULL, 0);	/* a NUL byte */
	refused("<html>502 Bad Gateway</html>", "/data");
}

static void
test_duplicate_keys_are_refused(void **state)
{
	(void)state;
	refused("{\"id\":1,\"id\":2}", NULL);
	refused("[{\"id\":1},{\"pin\":1,\"id\":2,\"pin\":3}]", NULL);
	/* Even in what narrowing would remove, or outside the records. */
	refused("{\"x\":{\"y\":1,\"y\":1},\"items\":[]}", "/items");
	refused("{\"id\":1,\"\\u0069d\":2}", NULL);
}

static void
test_records_deep_in_the_document(void **state)
{
	static const char *const keep[] = { "id" };
	char doc[512], want[512], ptr[64];
	size_t i, d = JSON_MAX_DEPTH - 1;

	(void)state;
	/* JSON_MAX_DEPTH levels in all: d objects, the record the last. */
	doc[0] = want[0] = ptr[0] = '\0';
	for (i = 0; i < d; i++) {
		strcat(doc, "{\"k\":");
		strcat(ptr, "/k");
	}
	strcpy(want, doc);
	strcat(doc, "{\"id\":1,\"x\":2}");
	strcat(want, "{\"id\":1}");
	for (i = 0; i < d; i++) {
		strcat(doc, "}");
		strcat(want, "}");
	}
	narrows_to(doc, ptr, keep, NKEEP(keep), want, 1);
}

/* A flat list of n records {"id":i,"name":"Nguyễn","pin":"i"}, and the
 * text it narrows to with keep {"id","name"}; the caller frees both. */
static void
big_list(size_t n, char **doc, char **want)
{
	size_t cap = n * 64 + 16, d = 0, w = 0;
	char *p = malloc(cap), *q = malloc(cap);

	assert_non_null(p);
	assert_non_null(q);
	p[d++] = q[w++] = '[';
	for (size_t i = 0; i < n; i++) {
		const char *sep = i + 1 < n ? "," : "";

		d += (size_t)snprintf(p + d, cap - d, "{\"id\":%zu,\"name\":"
		    "\"Nguy\xe1\xbb\x85n\",\"pin\":\"%zu\"}%s", i, i, sep);
		w += (size_t)snprintf(q + w, cap - w, "{\"id\":%zu,\"name\":"
		    "\"Nguy\xe1\xbb\x85n\"}%s", i, sep);
	}
	p[d++] = q[w++] = ']';
	p[d] = q[w] = '\0';
	*doc = p;
	*want = q;
}

static void
test_a_big_flat_array_narrows(void **state)
{
	static const char *const keep[] = { "id", "name" };
	char *doc, *want;

	(void)state;
	/* 100000 records at depth 2: the depth limit counts nesting, not
	 * elements. */
	big_list(100000, &doc, &want);
	narrows_to(doc, NULL, keep, NKEEP(keep), want, 100000);
	free(doc);
	free(want);
	arena_reset(arena);
}

static void
test_the_output_is_strict_json(void **state)
{
	static const char *const keep[] = { "a" };
	static const char *doc = "{\"x\":[1,{\"y\":null}],\"r\":[{\"a\":"
	    "{\"b\":[true,false,null,\"\\n\\u001f\"]},\"z\":-0}]}";
	const char *why = NULL;
	char *out, err[160];
	size_t len;
	long long n;
	json_object *o;

	(void)state;
	assert_int_equal(narrow_json(arena, doc, strlen(doc), "/r", keep,
	    NKEEP(keep), &out, &len, &n, &why), DS_OK);
	assert_non_null(o = json_parse_strict(out, len, err, sizeof(err)));
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_object_is_one_record),
		cmocka_unit_test(test_each_object_of_an_array_is_a_record),
		cmocka_unit_test(test_kept_keys_stay_in_their_order),
		cmocka_unit_test(test_nested_values_of_kept_keys_stay_whole),
		cmocka_unit_test(test_a_pointer_narrows_only_the_records_it_names),
		cmocka_unit_test(test_a_pointer_unescapes_tilde_and_slash),
		cmocka_unit_test(test_a_pointer_that_names_nothing_is_refused),
		cmocka_unit_test(test_a_malformed_pointer_is_refused),
		cmocka_unit_test(test_a_record_set_that_is_not_records_is_refused),
		cmocka_unit_test(test_an_array_with_a_non_object_is_refused),
		cmocka_unit_test(test_an_empty_array_passes),
		cmocka_unit_test(test_an_empty_keep_list_removes_every_field),
		cmocka_unit_test(test_nothing_removed_is_ok),
		cmocka_unit_test(test_keep_names_are_compared_byte_for_byte),
		cmocka_unit_test(test_vietnamese_text_is_byte_identical),
		cmocka_unit_test(test_string_escapes_come_out_decoded),
		cmocka_unit_test(test_numbers_keep_their_text),
		cmocka_unit_test(test_numbers_json_does_not_have_are_refused),
		cmocka_unit_test(test_nremoved_counts_every_removed_key),
		cmocka_unit_test(test_not_json_is_refused),
		cmocka_unit_test(test_duplicate_keys_are_refused),
		cmocka_unit_test(test_records_deep_in_the_document),
		cmocka_unit_test(test_a_big_flat_array_narrows),
		cmocka_unit_test(test_the_output_is_strict_json),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
