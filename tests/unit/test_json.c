/*
 * json.c: strict parsing (DESIGN.md lists what json-c accepts by default)
 * and the declared-field reader with its 422 details.
 */
#include <stdio.h>

#include "unit.h"

/* ------------------------------------------------------------------ */
/* json_parse_strict                                                    */

static json_object *
parse_n(const char *text, size_t len, char *err, size_t errlen)
{
	err[0] = '\0';
	return json_parse_strict(text, len, err, errlen);
}

/* Asserts text is refused, with a reason. */
static void
refused_n(const char *text, size_t len)
{
	char err[160];
	json_object *o = parse_n(text, len, err, sizeof(err));

	if (o != NULL) {
		json_object_put(o);
		fail_msg("accepted: %.*s", (int)len, text);
	}
	assert_true(strlen(err) > 0);
}

static void
refused(const char *text)
{
	refused_n(text, strlen(text));
}

/* Parses text that must be accepted; the caller puts the result. */
static json_object *
accepted(const char *text)
{
	char err[160];
	json_object *o = parse_n(text, strlen(text), err, sizeof(err));

	if (o == NULL)
		fail_msg("refused (%s): %s", err, text);
	return o;
}

static void
test_parse_accepts_a_plain_object(void **state)
{
	json_object *o = accepted("{\"a\": 1, \"b\": \"x\", \"c\": [true, null]}");
	json_object *v;

	(void)state;
	assert_true(json_object_is_type(o, json_type_object));
	assert_int_equal(json_object_object_length(o), 3);
	assert_true(json_object_object_get_ex(o, "a", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	json_object_put(o);
}

static void
test_parse_refuses_trailing_garbage(void **state)
{
	json_object *o;

	(void)state;
	refused("{\"a\":1} x");
	refused("{\"a\":1}}");
	refused("{\"a\":1}{}");
	refused("[1] [2]");
	refused("{\"a\":1},");
	/* White space after the value is not garbage. */
	o = accepted("{\"a\":1} \r\n\t ");
	json_object_put(o);
}

static void
test_parse_refuses_nan_and_infinity(void **state)
{
	(void)state;
	refused("{\"a\":NaN}");
	refused("{\"a\":nan}");
	refused("{\"a\":Infinity}");
	refused("{\"a\":-Infinity}");
	refused("[1, NaN]");
	/* Too large for a double: json-c turns it into infinity. */
	refused("{\"a\":1e400}");
}

static void
test_parse_refuses_single_quotes(void **state)
{
	(void)state;
	refused("{'a':1}");
	refused("{\"a\":'x'}");
	refused("['x']");
}

static void
test_parse_refuses_comments(void **state)
{
	(void)state;
	refused("{\"a\":1 /* note */}");
	refused("{\"a\":1} // note");
	refused("/* note */ {\"a\":1}");
	refused("{\"a\":1,\n# note\n\"b\":2}");
}

static void
test_parse_refuses_invalid_utf8(void **state)
{
	json_object *o;

	(void)state;
	refused("{\"a\":\"\xff\"}");		/* never valid */
	refused("{\"a\":\"\xc0\xaf\"}");	/* overlong '/' */
	refused("{\"a\":\"\xe0\x80\xaf\"}");	/* overlong, 3 bytes */
	refused("{\"a\":\"\xed\xa0\x80\"}");	/* UTF-16 surrogate */
	refused("{\"a\":\"\xf4\x90\x80\x80\"}");	/* above U+10FFFF */
	refused("{\"a\":\"\xe1\xba\"}");	/* truncated sequence */
	refused("{\"\xff\":1}");		/* in a key */
	/* Vietnamese text is fine. */
	o = accepted("{\"t\":\"Đất đai – Dữ liệu dân cư\"}");
	assert_string_equal(json_object_get_string(json_object_object_get(o,
	    "t")), "Đất đai – Dữ liệu dân cư");
	json_object_put(o);
}

/* Escapes json-c takes but that make no Unicode string, or a key that
 * json-c would cut at a NUL. */
static void
test_parse_refuses_lone_surrogate_escapes_and_nul_in_keys(void **state)
{
	json_object *o;

	(void)state;
	refused("{\"a\":\"\\ud800\"}");		/* high, alone */
	refused("{\"a\":\"x\\ud800y\"}");
	refused("{\"a\":\"\\udfff\"}");		/* low, alone */
	refused("{\"a\":\"\\udbff\\ud800\"}");	/* high, high */
	refused("{\"a\":\"\\ud800\\u0041\"}");	/* high, not low */
	refused("{\"a\":[\"\\uDC00\"]}");		/* upper case, nested */
	refused("{\"a\\u0000b\":1}");		/* NUL in a key */
	refused("{\"a\\u0000\" :1}");
	refused("{\"o\":{\"\\u0000\":1}}");
	refused("{\"b\":\"x\\u0000y\"}");		/* NUL in a value */
	/* A pair is a character. */
	o = accepted("{\"a\":\"\\ud83d\\ude00\"}");
	assert_string_equal(json_object_get_string(json_object_object_get(o,
	    "a")), "\xf0\x9f\x98\x80");
	json_object_put(o);
	/* An escaped quote or backslash is no escape of its own. */
	o = accepted("{\"\\u00e9\\\"\":\"\\\\u0000\"}");
	assert_string_equal(json_object_get_string(json_object_object_get(o,
	    "\xc3\xa9\"")), "\\u0000");
	json_object_put(o);
}

static void
test_parse_refuses_a_raw_nul(void **state)
{
	static const char in_string[] = "{\"a\":\"x\0y\"}";
	static const char after[] = "{\"a\":1}\0";
	static const char before[] = "\0{\"a\":1}";

	(void)state;
	refused_n(in_string, sizeof(in_string) - 1);
	refused_n(after, sizeof(after) - 1);
	refused_n(before, sizeof(before) - 1);
}

/* RFC 8259 section 7: U+0000..U+001F must be escaped in a string; json-c
 * took them raw (an agency code "a<newline>b" was stored). */
static void
test_parse_refuses_raw_control_characters_in_strings(void **state)
{
	char err[160];
	json_object *o;

	(void)state;
	refused("{\"code\":\"a\nb\"}");
	refused("{\"code\":\"a\tb\"}");
	refused("{\"code\":\"\x1f\"}");
	refused("{\"a\rb\":1}");
	refused("[\"\x01\"]");
	o = parse_n("{\"code\":\"a\x0b\"}", 13, err, sizeof(err));
	assert_null(o);
	assert_non_null(strstr(err, "control character"));
	/* Escaped, they are fine; white space between tokens too. */
	o = accepted("{\n\t\"code\" :\r\n \"a\\nb\\t\\u001f\"\n}\n");
	assert_string_equal(json_object_get_string(json_object_object_get(o,
	    "code")), "a\nb\t\x1f");
	json_object_put(o);
	/* DEL (U+007F) is not a control character in RFC 8259's sense. */
	o = accepted("{\"code\":\"a\x7f\"}");
	json_object_put(o);
}

/* n nested arrays (or objects) around a 1. */
static char *
nested(int n, bool objects)
{
	char *s = malloc((size_t)n * 6 + 2), *p = s;

	assert_non_null(s);
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s", objects ? "{\"k\":" : "[");
	*p++ = '1';
	for (int i = 0; i < n; i++)
		*p++ = objects ? '}' : ']';
	*p = '\0';
	return s;
}

static void
test_parse_limits_depth(void **state)
{
	char *s;
	json_object *o;

	(void)state;
	for (int objects = 0; objects <= 1; objects++) {
		s = nested(JSON_MAX_DEPTH, objects);
		o = accepted(s);
		json_object_put(o);
		free(s);
		s = nested(JSON_MAX_DEPTH + 1, objects);
		refused(s);
		free(s);
		s = nested(100, objects);
		refused(s);
		free(s);
	}
}

static void
test_parse_refuses_duplicate_keys_at_top_level(void **state)
{
	(void)state;
	refused("{\"a\":1,\"a\":2}");
	refused("{\"a\":1,\"b\":2,\"a\":1}");
	refused("{\"a\":{},\"a\":[]}");
	refused("{\"role\":\"x\",\"b\":{\"c\":1},\"role\":\"y\"}");
}

static void
test_parse_refuses_duplicate_keys_nested(void **state)
{
	(void)state;
	refused("{\"a\":1,\"b\":{\"x\":1,\"x\":2}}");
	refused("[{\"x\":1},{\"y\":1,\"y\":1}]");
	refused("{\"a\":{\"b\":{\"c\":{\"d\":1,\"d\":1}}}}");
	refused("{\"a\":[1,[2,{\"z\":[],\"z\":{}}]]}");
	refused("{\"a\":{\"k\":1},\"b\":{\"k\":1,\"k\":2}}");
}

static void
test_parse_accepts_same_keys_in_sibling_objects(void **state)
{
	json_object *o;

	(void)state;
	o = accepted("{\"x\":{\"a\":1,\"b\":2},\"y\":{\"a\":3,\"b\":4}}");
	assert_int_equal(json_object_object_length(o), 2);
	json_object_put(o);
	o = accepted("[{\"a\":1},{\"a\":2},{\"a\":3}]");
	assert_int_equal(json_object_array_length(o), 3);
	json_object_put(o);
	/* The same name in a child is not a duplicate of its parent's. */
	o = accepted("{\"a\":{\"a\":{\"a\":1}}}");
	json_object_put(o);
}

static void
test_parse_accepts_structural_characters_inside_strings(void **state)
{
	json_object *o, *v;

	(void)state;
	o = accepted("{\"a\":\"}{,[]:\",\"b\":\"\\\\\",\"c\":\"say \\\"hi\\\", "
	    "{x}\",\"d,\\\"}\":1}");
	assert_int_equal(json_object_object_length(o), 4);
	assert_true(json_object_object_get_ex(o, "a", &v));
	assert_string_equal(json_object_get_string(v), "}{,[]:");
	assert_true(json_object_object_get_ex(o, "b", &v));
	assert_string_equal(json_object_get_string(v), "\\");
	assert_true(json_object_object_get_ex(o, "c", &v));
	assert_string_equal(json_object_get_string(v), "say \"hi\", {x}");
	assert_true(json_object_object_get_ex(o, "d,\"}", &v));
	json_object_put(o);
	/* A comma in a string must not hide a real duplicate. */
	refused("{\"a\":\",,,\",\"a\":1}");
}

static void
test_parse_accepts_empty_containers(void **state)
{
	json_object *o;

	(void)state;
	o = accepted("{}");
	assert_int_equal(json_object_object_length(o), 0);
	json_object_put(o);
	o = accepted("[]");
	assert_int_equal(json_object_array_length(o), 0);
	json_object_put(o);
	o = accepted("{ \"a\" : { } , \"b\" : [ ] , \"c\" : [ { } ] ,"
	    " \"d\" : { \"e\" : { } } }");
	assert_int_equal(json_object_object_length(o), 4);
	json_object_put(o);
}

static void
test_parse_refuses_empty_and_truncated_text(void **state)
{
	(void)state;
	refused("");
	refused("   ");
	refused("{\"a\":1");
	refused("{\"a\":");
	refused("[1,]");
	refused("{\"a\":1,}");
	refused("{a:1}");
}

static void
test_utf8_length_counts_code_points(void **state)
{
	(void)state;
	assert_int_equal(utf8_length("abc", 3), 3);
	assert_int_equal(utf8_length("Đất", strlen("Đất")), 3);
	assert_int_equal(utf8_length("Cơ sở y tế", strlen("Cơ sở y tế")), 10);
	assert_int_equal(utf8_length("\xf0\x9f\x98\x80", 4), 1);
	assert_int_equal(utf8_length("", 0), 0);
	assert_int_equal(utf8_length("a\0b", 3), -1);
	assert_int_equal(utf8_length("\xc3", 1), -1);
	assert_int_equal(utf8_length("\xc0\x80", 2), -1);
	assert_int_equal(utf8_length("\xed\xbf\xbf", 3), -1);
}

/* ------------------------------------------------------------------ */
/* json_read_or_reply                                                   */

static const char *const colours[] = { "red", "green", NULL };

enum { NAME, COUNT, ID, BIG, FLAG, COLOUR, DAY, AT, TAGS, TITLE, OBJ, LIST,
	NSPEC };

static const struct field spec[NSPEC] = {
	[NAME] = { "name", F_STRING, true, 0, 0, NULL },
	[COUNT] = { "count", F_INT, false, 1, 100, NULL },
	[ID] = { "id", F_ID, false, 0, 0, NULL },
	[BIG] = { "big", F_INT, false, 0, 0, NULL },
	[FLAG] = { "flag", F_BOOL, false, 0, 0, NULL },
	[COLOUR] = { "colour", F_ENUM, false, 0, 0, colours },
	[DAY] = { "day", F_DATE, false, 0, 0, NULL },
	[AT] = { "at", F_DATETIME, false, 0, 0, NULL },
	[TAGS] = { "tags", F_STRINGS, false, 0, 3, NULL },
	[TITLE] = { "title", F_STRING, false, 2, 7, NULL },
	[OBJ] = { "obj", F_OBJECT, false, 0, 0, NULL },
	[LIST] = { "list", F_ARRAY, false, 0, 0, NULL },
};

/* Parses body into a new request's r->json (freed with the request) and
 * reads it against spec. */
static struct http_req *
read_body(const char *body, struct fval out[NSPEC], int *st)
{
	struct http_req *r = req_new();
	char err[160];

	r->json = json_parse_strict(body, strlen(body), err, sizeof(err));
	if (r->json == NULL)
		fail_msg("test body refused (%s): %s", err, body);
	*st = json_read_or_reply(r, r->json, spec, NSPEC, out);
	return r;
}

/* Asserts the body is refused with 422 naming field with problem (a
 * prefix of the problem text). */
static void
bad_field(const char *body, const char *field, const char *problem)
{
	struct fval out[NSPEC];
	int st;
	struct http_req *r = read_body(body, out, &st);
	const char *p;

	assert_int_equal(st, DS_REPLIED);
	assert_error(r, 422, "validation_failed");
	p = detail_for(r, field);
	if (p == NULL)
		fail_msg("%s: field %s not named in %s", body, field,
		    json_object_to_json_string(r->resp));
	if (strncmp(p, problem, strlen(problem)) != 0)
		fail_msg("%s: %s: '%s' does not begin with '%s'", body, field,
		    p, problem);
	req_free(r);
}

/* Reads a body that must pass; returns the request (caller frees). */
static struct http_req *
good(const char *body, struct fval out[NSPEC])
{
	int st;
	struct http_req *r = read_body(body, out, &st);

	if (st != DS_OK)
		fail_msg("%s refused: %s", body, r->resp ?
		    json_object_to_json_string(r->resp) : "(no response)");
	assert_int_equal(r->status, 0);
	assert_null(r->resp);
	return r;
}

static void
test_read_fills_declared_fields(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r;

	(void)state;
	r = good("{\"name\":\"Sở Y tế\",\"count\":42,\"id\":7,\"big\":-5,"
	    "\"flag\":true,\"colour\":\"green\",\"day\":\"2024-02-29\","
	    "\"at\":\"2026-01-31T08:00:00Z\",\"tags\":[\"a\",\"b\"],"
	    "\"title\":\"ab\",\"obj\":{\"k\":1},\"list\":[1,\"x\"]}", out);
	assert_true(out[NAME].present);
	assert_string_equal(out[NAME].s, "Sở Y tế");
	assert_int_equal(out[COUNT].i, 42);
	assert_int_equal(out[ID].i, 7);
	assert_int_equal(out[BIG].i, -5);
	assert_int_equal(out[FLAG].i, 1);
	assert_string_equal(out[COLOUR].s, "green");
	assert_string_equal(out[DAY].s, "2024-02-29");
	assert_string_equal(out[AT].s, "2026-01-31 08:00:00");
	assert_int_equal(json_object_array_length(out[TAGS].o), 2);
	assert_string_equal(out[TITLE].s, "ab");
	assert_true(json_object_is_type(out[OBJ].o, json_type_object));
	assert_int_equal(json_object_array_length(out[LIST].o), 2);
	for (int i = 0; i < NSPEC; i++)
		assert_false(out[i].is_null);
	req_free(r);
}

static void
test_read_absent_optional_fields_are_not_present(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r = good("{\"name\":\"x\"}", out);

	(void)state;
	for (int i = 0; i < NSPEC; i++) {
		assert_int_equal(out[i].present, i == NAME);
		assert_false(out[i].is_null);
	}
	req_free(r);
}

static void
test_read_null_is_recorded_for_optional_fields(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r = good("{\"name\":\"x\",\"count\":null}", out);

	(void)state;
	assert_false(out[COUNT].present);
	assert_true(out[COUNT].is_null);
	req_free(r);
	bad_field("{\"name\":null}", "name", "must not be null");
}

/* A PATCH's null clears a value: only an F_NULLABLE field takes it; for
 * any other the 422 names the field (it used to be silently kept). */
static void
test_read_patch_null_only_for_nullable_fields(void **state)
{
	static const struct field pspec[] = {
		{ "name", F_STRING, false, 1, 255, NULL },
		{ "name_en", F_STRING, F_NULLABLE, 1, 255, NULL },
		{ "level", F_ENUM, F_OPTIONAL, 0, 0, colours },
		{ "parent_id", F_ID, F_NULLABLE, 0, 0, NULL },
		{ "code", F_STRING, F_REQUIRED, 1, 9, NULL },
	};
	static const struct {
		const char	*body;
		const char	*bad[4];	/* fields named, NULL-ended */
	} cases[] = {
		{ "{\"code\":\"a\",\"name_en\":null,\"parent_id\":null}",
		    { NULL } },
		{ "{\"code\":\"a\",\"name\":null}", { "name", NULL } },
		{ "{\"code\":\"a\",\"level\":null,\"name_en\":null}",
		    { "level", NULL } },
		{ "{\"code\":null,\"name\":null,\"level\":null}",
		    { "code", "name", "level" } },
	};
	struct fval out[5];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_req *r = req_new();
		char err[160];
		size_t nbad = 0;
		int st;

		r->method = "PATCH";
		r->json = json_parse_strict(cases[i].body,
		    strlen(cases[i].body), err, sizeof(err));
		assert_non_null(r->json);
		st = json_read_or_reply(r, r->json, pspec, 5, out);
		for (; cases[i].bad[nbad] != NULL; nbad++)
			assert_string_equal(detail_for(r, cases[i].bad[nbad]),
			    "must not be null");
		if (nbad == 0) {
			assert_int_equal(st, DS_OK);
			assert_true(out[1].is_null && out[3].is_null);
			assert_false(out[1].present || out[3].present);
		} else {
			assert_int_equal(st, DS_REPLIED);
			assert_error(r, 422, "validation_failed");
			assert_int_equal(detail_count(r), nbad);
		}
		req_free(r);
	}
	/* Outside a PATCH, null for an optional field is as if left out. */
	{
		struct http_req *r = req_new();
		char err[160];

		r->method = "POST";
		r->json = json_parse_strict("{\"code\":\"a\",\"name\":null,"
		    "\"level\":null}", 37, err, sizeof(err));
		assert_non_null(r->json);
		assert_int_equal(json_read_or_reply(r, r->json, pspec, 5, out),
		    DS_OK);
		assert_true(out[0].is_null && out[2].is_null);
		req_free(r);
	}
}

static void
test_read_unknown_field_is_named(void **state)
{
	(void)state;
	bad_field("{\"name\":\"x\",\"colour_typo\":\"red\"}", "colour_typo",
	    "unknown field");
	/* Names are case-sensitive. */
	bad_field("{\"name\":\"x\",\"Count\":1}", "Count", "unknown field");
}

static void
test_read_missing_required_field_is_named(void **state)
{
	(void)state;
	bad_field("{}", "name", "is required");
	bad_field("{\"count\":1}", "name", "is required");
}

static void
test_read_int_refuses_other_types(void **state)
{
	(void)state;
	bad_field("{\"name\":\"x\",\"count\":\"12\"}", "count",
	    "must be an integer");
	bad_field("{\"name\":\"x\",\"count\":\"123abc\"}", "count",
	    "must be an integer");
	bad_field("{\"name\":\"x\",\"count\":1.5}", "count",
	    "must be an integer");
	bad_field("{\"name\":\"x\",\"count\":2.0}", "count",
	    "must be an integer");
	bad_field("{\"name\":\"x\",\"count\":true}", "count",
	    "must be an integer");
	bad_field("{\"name\":\"x\",\"count\":[5]}", "count",
	    "must be an integer");
	bad_field("{\"name\":\"x\",\"big\":1e30}", "big",
	    "must be an integer");
}

static void
test_read_int_refuses_out_of_range(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r;

	(void)state;
	bad_field("{\"name\":\"x\",\"count\":0}", "count",
	    "must be between 1 and 100");
	bad_field("{\"name\":\"x\",\"count\":101}", "count",
	    "must be between 1 and 100");
	/* json-c saturates these to INT64_MAX / UINT64_MAX / INT64_MIN. */
	bad_field("{\"name\":\"x\",\"big\":99999999999999999999}", "big",
	    "must be between");
	bad_field("{\"name\":\"x\",\"big\":9223372036854775807}", "big",
	    "must be between");
	bad_field("{\"name\":\"x\",\"big\":-99999999999999999999}", "big",
	    "must be between");
	bad_field("{\"name\":\"x\",\"count\":99999999999999999999}", "count",
	    "must be between 1 and 100");
	/* The default range is what a double holds exactly. */
	bad_field("{\"name\":\"x\",\"big\":9007199254740993}", "big",
	    "must be between");
	r = good("{\"name\":\"x\",\"big\":9007199254740992,\"count\":100}", out);
	assert_int_equal(out[BIG].i, 9007199254740992LL);
	assert_int_equal(out[COUNT].i, 100);
	req_free(r);
}

static void
test_read_id_must_be_positive(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r;

	(void)state;
	bad_field("{\"name\":\"x\",\"id\":0}", "id", "must be between 1");
	bad_field("{\"name\":\"x\",\"id\":-3}", "id", "must be between 1");
	bad_field("{\"name\":\"x\",\"id\":\"3\"}", "id", "must be an integer");
	r = good("{\"name\":\"x\",\"id\":1}", out);
	assert_int_equal(out[ID].i, 1);
	req_free(r);
}

static void
test_read_bool_is_not_coerced(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r;

	(void)state;
	bad_field("{\"name\":\"x\",\"flag\":\"true\"}", "flag",
	    "must be true or false");
	bad_field("{\"name\":\"x\",\"flag\":1}", "flag", "must be true or false");
	r = good("{\"name\":\"x\",\"flag\":false}", out);
	assert_true(out[FLAG].present);
	assert_int_equal(out[FLAG].i, 0);
	req_free(r);
}

static void
test_read_enum_accepts_only_its_choices(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r;

	(void)state;
	r = good("{\"name\":\"x\",\"colour\":\"red\"}", out);
	/* The value is the table's own string. */
	assert_ptr_equal(out[COLOUR].s, colours[0]);
	req_free(r);
	bad_field("{\"name\":\"x\",\"colour\":\"blue\"}", "colour",
	    "must be one of: red, green");
	bad_field("{\"name\":\"x\",\"colour\":\"RED\"}", "colour",
	    "must be one of");
	bad_field("{\"name\":\"x\",\"colour\":\"\"}", "colour", "must be one of");
	bad_field("{\"name\":\"x\",\"colour\":1}", "colour", "must be a string");
}

static void
test_read_date_refuses_impossible_dates(void **state)
{
	static const char *const bad[] = {
		"2026-02-31", "2023-02-29", "2026-04-31", "2026-13-01",
		"2026-00-10", "2026-01-00", "2026-1-01", "26-01-01",
		"2026-01-01T00:00:00Z", "2026/01/01", "2026-01-0a", "",
		" 2026-01-01",
	};
	char body[128];
	struct fval out[NSPEC];
	struct http_req *r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"x\",\"day\":\"%s\"}",
		    bad[i]);
		bad_field(body, "day", "must be a date YYYY-MM-DD");
	}
	bad_field("{\"name\":\"x\",\"day\":20260101}", "day", "must be a date");
	r = good("{\"name\":\"x\",\"day\":\"2026-12-31\"}", out);
	assert_string_equal(out[DAY].s, "2026-12-31");
	req_free(r);
	r = good("{\"name\":\"x\",\"day\":\"2024-02-29\"}", out);
	assert_string_equal(out[DAY].s, "2024-02-29");
	req_free(r);
}

static void
test_read_datetime_converts_offsets_to_utc(void **state)
{
	static const struct {
		const char	*in, *utc;
	} cases[] = {
		{ "2026-01-31T08:00:00Z", "2026-01-31 08:00:00" },
		{ "2026-03-01T07:30:00+07:00", "2026-03-01 00:30:00" },
		{ "2026-01-01T01:00:00+07:00", "2025-12-31 18:00:00" },
		{ "2026-06-30T20:15:00-05:30", "2026-07-01 01:45:00" },
		{ "2024-02-29T23:59:59-01:00", "2024-03-01 00:59:59" },
		{ "2026-01-01t10:00:00.123456z", "2026-01-01 10:00:00" },
		{ "2026-05-05T00:00:00.5+00:00", "2026-05-05 00:00:00" },
		{ "2026-05-05T00:00:00-00:00", "2026-05-05 00:00:00" },
	};
	char body[128];
	struct fval out[NSPEC];
	struct http_req *r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"x\",\"at\":\"%s\"}",
		    cases[i].in);
		r = good(body, out);
		assert_true(out[AT].present);
		assert_string_equal(out[AT].s, cases[i].utc);
		req_free(r);
	}
}

static void
test_read_datetime_refuses_what_is_not_rfc3339(void **state)
{
	static const char *const bad[] = {
		"2026-01-01T00:00:00",		/* no offset */
		"2026-01-01 00:00:00Z",		/* space, not T */
		"2026-02-31T00:00:00Z",		/* no such day */
		"2026-01-01T24:00:00Z",
		"2026-01-01T00:60:00Z",
		"2026-01-01T00:00:00+24:00",
		"2026-01-01T00:00:00+07:60",
		"2026-01-01T00:00:00+0700",
		"2026-01-01T00:00:00+07",
		"2026-01-01T00:00:00.Z",
		"2026-01-01T0:00:00Z",
		"2026-01-01T00:00:00Zjunk",
		"2026-01-01",
		"",
	};
	char body[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"x\",\"at\":\"%s\"}",
		    bad[i]);
		bad_field(body, "at", "must be an RFC 3339 time");
	}
	bad_field("{\"name\":\"x\",\"at\":1767225600}", "at",
	    "must be an RFC 3339 time");
}

static void
test_read_string_length_counts_characters(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r;
	char *body, *p;

	(void)state;
	/* "Đất đai" is 7 characters in 11 bytes: within 2..7. */
	r = good("{\"name\":\"x\",\"title\":\"Đất đai\"}", out);
	assert_string_equal(out[TITLE].s, "Đất đai");
	req_free(r);
	r = good("{\"name\":\"x\",\"title\":\"Dữ liệu\"}", out);
	assert_string_equal(out[TITLE].s, "Dữ liệu");
	req_free(r);
	bad_field("{\"name\":\"x\",\"title\":\"Cơ sở y tế\"}", "title",
	    "must have at most 7 characters");
	/* One character in two bytes is still too short. */
	bad_field("{\"name\":\"x\",\"title\":\"ư\"}", "title",
	    "must have at least 2 characters");
	bad_field("{\"name\":\"\"}", "name", "must not be empty");
	/* An escaped NUL never reaches a field: the parser refuses it. */
	refused("{\"name\":\"a\\u0000b\"}");
	refused("{\"name\\u0000x\":\"a\"}");
	bad_field("{\"name\":5}", "name", "must be a string");

	/* The default maximum is 500 characters, not bytes: 500 "ệ" (1500
	 * bytes) pass, 501 do not. */
	body = malloc(16 + 501 * 3 + 4);
	assert_non_null(body);
	p = body + sprintf(body, "{\"name\":\"");
	for (int i = 0; i < 500; i++)
		p += sprintf(p, "ệ");
	strcpy(p, "\"}");
	r = good(body, out);
	assert_int_equal(strlen(out[NAME].s), 1500);
	req_free(r);
	strcpy(p, "ệ\"}");
	bad_field(body, "name", "must have at most 500 characters");
	free(body);
}

static void
test_read_strings_are_non_empty_strings(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r;

	(void)state;
	r = good("{\"name\":\"x\",\"tags\":[\"y tế\",\"giáo dục\",\"c\"]}", out);
	assert_int_equal(json_object_array_length(out[TAGS].o), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
	    out[TAGS].o, 1)), "giáo dục");
	req_free(r);
	r = good("{\"name\":\"x\",\"tags\":[]}", out);
	assert_true(out[TAGS].present);
	req_free(r);
	bad_field("{\"name\":\"x\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "tags",
	    "must have between 0 and 3 items");
	bad_field("{\"name\":\"x\",\"tags\":[\"a\",1]}", "tags",
	    "items must be non-empty strings");
	bad_field("{\"name\":\"x\",\"tags\":[\"a\",\"\"]}", "tags",
	    "items must be non-empty strings");
	bad_field("{\"name\":\"x\",\"tags\":[null]}", "tags",
	    "items must be non-empty strings");
	bad_field("{\"name\":\"x\",\"tags\":\"a\"}", "tags", "must be an array");
}

static void
test_read_object_and_array_check_their_type(void **state)
{
	(void)state;
	bad_field("{\"name\":\"x\",\"obj\":[1]}", "obj", "must be an object");
	bad_field("{\"name\":\"x\",\"obj\":\"{}\"}", "obj", "must be an object");
	bad_field("{\"name\":\"x\",\"list\":{}}", "list", "must be an array");
}

static void
test_read_422_names_each_bad_field(void **state)
{
	struct fval out[NSPEC];
	int st;
	struct http_req *r;

	(void)state;
	r = read_body("{\"count\":\"5\",\"colour\":\"blue\",\"day\":\"2026-02-31\","
	    "\"extra\":1,\"title\":\"Cơ sở y tế\"}", out, &st);
	assert_int_equal(st, DS_REPLIED);
	assert_error(r, 422, "validation_failed");
	assert_string_equal(resp_str(r, "error.request_id"), "req-0001");
	assert_int_equal(detail_count(r), 6);
	assert_string_equal(detail_for(r, "count"), "must be an integer");
	assert_string_equal(detail_for(r, "colour"),
	    "must be one of: red, green");
	assert_string_equal(detail_for(r, "day"), "must be a date YYYY-MM-DD");
	assert_string_equal(detail_for(r, "extra"), "unknown field");
	assert_string_equal(detail_for(r, "title"),
	    "must have at most 7 characters");
	assert_string_equal(detail_for(r, "name"), "is required");
	/* The details moved into the response. */
	assert_null(r->details);
	assert_false(out[COUNT].present);
	assert_false(out[COLOUR].present);
	req_free(r);
}

static void
test_read_refuses_a_body_that_is_not_an_object(void **state)
{
	struct fval out[NSPEC];
	struct http_req *r = req_new();
	json_object *a = json_object_new_array();

	(void)state;
	assert_int_equal(json_read_or_reply(r, a, spec, NSPEC, out), DS_REPLIED);
	assert_error(r, 422, "validation_failed");
	json_object_put(a);
	req_free(r);
	r = req_new();
	assert_int_equal(json_read_or_reply(r, NULL, spec, NSPEC, out),
	    DS_REPLIED);
	assert_error(r, 422, "validation_failed");
	req_free(r);
}

static void
test_detail_helpers_collect_then_reply(void **state)
{
	struct http_req *r = req_new();

	(void)state;
	assert_false(json_has_details(r));
	json_detail(r, "a", "is wrong");
	json_detail(r, "b", "is also wrong");
	assert_true(json_has_details(r));
	assert_int_equal(json_details_reply(r, "nope"), DS_REPLIED);
	assert_error(r, 422, "validation_failed");
	assert_string_equal(resp_str(r, "error.message"), "nope");
	assert_int_equal(detail_count(r), 2);
	assert_string_equal(detail_for(r, "b"), "is also wrong");
	req_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts_a_plain_object),
		cmocka_unit_test(test_parse_refuses_trailing_garbage),
		cmocka_unit_test(test_parse_refuses_nan_and_infinity),
		cmocka_unit_test(test_parse_refuses_single_quotes),
		cmocka_unit_test(test_parse_refuses_comments),
		cmocka_unit_test(test_parse_refuses_invalid_utf8),
		cmocka_unit_test(test_parse_refuses_a_raw_nul),
		cmocka_unit_test(
		    test_parse_refuses_raw_control_characters_in_strings),
		cmocka_unit_test(
		    test_parse_refuses_lone_surrogate_escapes_and_nul_in_keys),
		cmocka_unit_test(test_parse_limits_depth),
		cmocka_unit_test(test_parse_refuses_duplicate_keys_at_top_level),
		cmocka_unit_test(test_parse_refuses_duplicate_keys_nested),
		cmocka_unit_test(test_parse_accepts_same_keys_in_sibling_objects),
		cmocka_unit_test(
		    test_parse_accepts_structural_characters_inside_strings),
		cmocka_unit_test(test_parse_accepts_empty_containers),
		cmocka_unit_test(test_parse_refuses_empty_and_truncated_text),
		cmocka_unit_test(test_utf8_length_counts_code_points),
		cmocka_unit_test(test_read_fills_declared_fields),
		cmocka_unit_test(test_read_absent_optional_fields_are_not_present),
		cmocka_unit_test(test_read_null_is_recorded_for_optional_fields),
		cmocka_unit_test(test_read_patch_null_only_for_nullable_fields),
		cmocka_unit_test(test_read_unknown_field_is_named),
		cmocka_unit_test(test_read_missing_required_field_is_named),
		cmocka_unit_test(test_read_int_refuses_other_types),
		cmocka_unit_test(test_read_int_refuses_out_of_range),
		cmocka_unit_test(test_read_id_must_be_positive),
		cmocka_unit_test(test_read_bool_is_not_coerced),
		cmocka_unit_test(test_read_enum_accepts_only_its_choices),
		cmocka_unit_test(test_read_date_refuses_impossible_dates),
		cmocka_unit_test(test_read_datetime_converts_offsets_to_utc),
		cmocka_unit_test(test_read_datetime_refuses_what_is_not_rfc3339),
		cmocka_unit_test(test_read_string_length_counts_characters),
		cmocka_unit_test(test_read_strings_are_non_empty_strings),
		cmocka_unit_test(test_read_object_and_array_check_their_type),
		cmocka_unit_test(test_read_422_names_each_bad_field),
		cmocka_unit_test(test_read_refuses_a_body_that_is_not_an_object),
		cmocka_unit_test(test_detail_helpers_collect_then_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
