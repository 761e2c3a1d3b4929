/*
 * jsonout.c: rows straight to JSON text must give what the json-c path
 * gives (db_rows_json serialised as server.c does), byte for byte, for
 * every kind of column and every awkward string; and valid JSON where
 * json-c would not (bytes that are not UTF-8).
 */
#include <stdio.h>

#include "unit.h"

#define FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Rows of ncols columns in the arena; cells are set with cell(). */
static struct db_rows *
rows_new(struct arena *a, size_t nrows, size_t ncols, const char **names,
    const enum col_kind *kinds)
{
	struct db_rows *r = arena_calloc(a, 1, sizeof(*r));

	r->nrows = nrows;
	r->ncols = ncols;
	r->names = arena_calloc(a, ncols, sizeof(char *));
	r->kinds = arena_calloc(a, ncols, sizeof(enum col_kind));
	for (size_t c = 0; c < ncols; c++) {
		r->names[c] = names[c];
		r->kinds[c] = kinds[c];
	}
	r->cells = arena_calloc(a, nrows * ncols + 1, sizeof(char *));
	r->lens = arena_calloc(a, nrows * ncols + 1, sizeof(size_t));
	return r;
}

/* Sets a cell to n bytes of v (NULL: SQL NULL), NUL-terminated as
 * db_query leaves it. */
static void
cell(struct arena *a, struct db_rows *r, size_t row, size_t col,
    const char *v, size_t n)
{
	size_t i = row * r->ncols + col;

	r->cells[i] = v == NULL ? NULL : arena_strndup(a, v, n);
	r->lens[i] = v == NULL ? 0 : n;
}

static void
cells(struct arena *a, struct db_rows *r, size_t row, size_t col,
    const char *v)
{
	cell(a, r, row, col, v, v == NULL ? 0 : strlen(v));
}

/* The json-c path's text, malloc'ed. */
static char *
jsonc_text(const struct db_rows *rows)
{
	json_object *o = db_rows_json(rows);
	char *t = strdup(json_object_to_json_string_ext(o, FLAGS));

	json_object_put(o);
	assert_non_null(t);
	return t;
}

/* http_reply_row gives the body http_reply(db_row_json) gives (past the
 * last row: none), with the same status and type. */
static void
same_row(const struct db_rows *rows, size_t row)
{
	struct http_req *want = req_new(), *got = req_new();
	const char *text;

	http_reply(want, 201, db_row_json(rows, row));
	http_reply_row(got, 201, rows, row);
	assert_int_equal(got->status, 201);
	if (want->resp == NULL) {
		assert_null(got->resp);
		assert_null(got->resp_raw);
	} else if (got->resp == NULL) {
		assert_non_null(got->resp_raw);
		assert_string_equal(got->resp_type,
		    "application/json; charset=utf-8");
		text = json_object_to_json_string_ext(want->resp, FLAGS);
		if (got->resp_raw_len != strlen(text) ||
		    memcmp(got->resp_raw, text, got->resp_raw_len) != 0)
			fail_msg("row %zu differs:\n got: %.*s\nwant: %s", row,
			    (int)got->resp_raw_len, got->resp_raw, text);
	} else	/* a repeated key: json-c's own object */
		assert_true(json_object_equal(got->resp, want->resp));
	req_free(want);
	req_free(got);
}

/* Asserts the fast text equals json-c's, byte for byte, and that both
 * parse to equal values; and the same of each row's reply. */
static void
same_as_jsonc(const struct db_rows *rows)
{
	struct arena *a = arena_new();
	char *want = jsonc_text(rows);
	size_t len = 0;
	char *got = json_rows_text(a, rows, &len);
	json_object *pw, *pg;

	assert_int_equal(len, strlen(got));
	if (strcmp(got, want) != 0)
		fail_msg("differs:\n got: %s\nwant: %s", got, want);
	pw = json_tokener_parse(want);
	pg = json_tokener_parse(got);
	assert_non_null(pg);
	assert_true(json_object_equal(pw, pg));
	json_object_put(pw);
	json_object_put(pg);
	free(want);
	arena_free(a);
	for (size_t r = 0; r <= rows->nrows; r++)
		same_row(rows, r);
}

static void
test_every_kind_of_column_as_jsonc_writes_it(void **state)
{
	static const char *names[] = { "id", "name", "created_at", "day",
	    "flag", "score", "fields_json", "note" };
	static const enum col_kind kinds[] = { COL_INT, COL_STR, COL_DATETIME,
	    COL_DATE, COL_BOOL, COL_DOUBLE, COL_JSON, COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 4, 8, names, kinds);

	(void)state;
	cells(a, r, 0, 0, "9223372036854775807");
	cells(a, r, 0, 1, "Sở Thông tin và Truyền thông \"STTTT\" \\ / 😀");
	cells(a, r, 0, 2, "2026-11-28 13:05:07.123456");
	cells(a, r, 0, 3, "2026-11-28");
	cells(a, r, 0, 4, "1");
	cells(a, r, 0, 5, "0.1");
	cells(a, r, 0, 6, "{\"a\": [1, \"x/y\", null], \"b\": {\"c\": 2.5}}");
	cells(a, r, 0, 7, "tab\there\nnew\rcr\bbs\fff\x01\x1f\x7f end");
	/* Edges: the smallest integer, one past the largest (json-c
	 * saturates it), a short datetime, false, a large double, JSON that
	 * does not parse (null), an empty string. */
	cells(a, r, 1, 0, "-9223372036854775808");
	cells(a, r, 1, 1, "");
	cells(a, r, 1, 2, "2026-11-28");
	cells(a, r, 1, 3, NULL);
	cells(a, r, 1, 4, "0");
	cells(a, r, 1, 5, "1e300");
	cells(a, r, 1, 6, "{not json");
	cells(a, r, 1, 7, "99999999999999999999");
	cells(a, r, 2, 0, "99999999999999999999");
	cells(a, r, 2, 5, "12.50");
	cells(a, r, 2, 6, "[]");
	cells(a, r, 3, 0, "0");
	cells(a, r, 3, 5, "-3");
	cells(a, r, 3, 6, "\"só\"");
	same_as_jsonc(r);
	arena_free(a);
}

/* Integer cells are copied when json-c would print them back the same,
 * else read and printed: every odd spelling must still match. */
static void
test_integer_spellings_as_jsonc_prints_them(void **state)
{
	static const char *ints[] = { "0", "-0", "007", "+5", "-", "", "12a",
	    " 5", "123456789012345678", "-123456789012345678",
	    "1234567890123456789", "-9223372036854775809", "00", "-07",
	    "9", "-1" };
	static const char *names[] = { "n" };
	static const enum col_kind kinds[] = { COL_INT };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, NPARAMS(ints), 1, names, kinds);

	(void)state;
	for (size_t i = 0; i < NPARAMS(ints); i++)
		cells(a, r, i, 0, ints[i]);
	same_as_jsonc(r);
	arena_free(a);
}

static void
test_every_byte_below_0x80_is_escaped_as_jsonc_escapes_it(void **state)
{
	static const char *names[] = { "s" };
	static const enum col_kind kinds[] = { COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 128, 1, names, kinds);
	char all[128];

	(void)state;
	for (size_t c = 0; c < 128; c++) {
		char one = (char)c;

		all[c] = (char)c;
		/* NUL too: a cell carries its length. */
		cell(a, r, c, 0, &one, 1);
	}
	same_as_jsonc(r);
	r->nrows = 1;
	cell(a, r, 0, 0, all, sizeof(all));
	same_as_jsonc(r);
	arena_free(a);
}

static void
test_keys_are_escaped_and_json_columns_lose_their_suffix(void **state)
{
	static const char *names[] = { "we\"ird\\key\n", "a/b", "x_json",
	    "_json", "tên" };
	static const enum col_kind kinds[] = { COL_STR, COL_INT, COL_JSON,
	    COL_JSON, COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 1, 5, names, kinds);

	(void)state;
	cells(a, r, 0, 0, "v");
	cells(a, r, 0, 1, "7");
	cells(a, r, 0, 2, "true");
	cells(a, r, 0, 3, "1");
	cells(a, r, 0, 4, "Hà Nội");
	same_as_jsonc(r);
	arena_free(a);
}

/* A computed truth value named "..._bool" is a boolean under its name
 * less the suffix, as json-c's path gives it; a tinyint(1) column keeps
 * its name. */
static void
test_named_booleans_lose_their_suffix(void **state)
{
	static const char *names[] = { "id", "overdue_bool", "excluded",
	    "_bool", "late_bool" };
	static const enum col_kind kinds[] = { COL_INT, COL_BOOL, COL_BOOL,
	    COL_BOOL, COL_BOOL };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 1, 5, names, kinds);
	char *t;

	(void)state;
	cells(a, r, 0, 0, "4");
	cells(a, r, 0, 1, "1");
	cells(a, r, 0, 2, "0");
	cells(a, r, 0, 3, "1");
	cells(a, r, 0, 4, NULL);
	same_as_jsonc(r);
	t = jsonc_text(r);
	assert_string_equal(t, "[{\"id\":4,\"overdue\":true,\"excluded\":false,"
	    "\"_bool\":true,\"late\":null}]");
	free(t);
	arena_free(a);
}

static void
test_empty_and_null_rows(void **state)
{
	static const char *names[] = { "id", "t" };
	static const enum col_kind kinds[] = { COL_INT, COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 2, 2, names, kinds);
	size_t len;

	(void)state;
	same_as_jsonc(r);	/* every cell NULL */
	r->nrows = 0;
	same_as_jsonc(r);
	assert_string_equal(json_rows_text(a, r, &len), "[]");
	assert_int_equal(len, 2);
	r->nrows = 2;
	r->ncols = 0;
	same_as_jsonc(r);
	assert_string_equal(json_rows_text(a, r, NULL), "[{},{}]");
	arena_free(a);
}

/* json-c keeps one member for a repeated key: the fast path hands that
 * case to json-c rather than write a duplicate. */
static void
test_a_repeated_key_gives_what_jsonc_gives(void **state)
{
	static const char *names[] = { "id", "v", "v_json", "v" };
	static const enum col_kind kinds[] = { COL_INT, COL_STR, COL_JSON,
	    COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 1, 4, names, kinds);

	(void)state;
	cells(a, r, 0, 0, "1");
	cells(a, r, 0, 1, "first");
	cells(a, r, 0, 2, "[2]");
	cells(a, r, 0, 3, "last");
	same_as_jsonc(r);
	arena_free(a);
}

/* Bytes that are not UTF-8 (json-c copies them, which is not JSON): each
 * byte that starts no valid sequence becomes U+FFFD. */
static void
test_bytes_that_are_not_utf8_become_replacement_characters(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
		{ "\xc3(", "\xef\xbf\xbd(" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },		/* overlong */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbdx" },				/* > U+10FFFF */
		{ "\xe1\x88", "\xef\xbf\xbd\xef\xbf\xbd" },	/* cut short */
		{ "\x80" "\xc3\xa9", "\xef\xbf\xbd\xc3\xa9" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },	/* valid */
	};
	static const char *names[] = { "s" };
	static const enum col_kind kinds[] = { COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 1, 1, names, kinds);
	char want[128], err[128];
	json_object *o;
	size_t len;

	(void)state;
	for (size_t i = 0; i < NPARAMS(cases); i++) {
		const char *got;

		cells(a, r, 0, 0, cases[i].in);
		got = json_rows_text(a, r, &len);
		snprintf(want, sizeof(want), "[{\"s\":\"%s\"}]", cases[i].out);
		assert_string_equal(got, want);
		o = json_parse_strict(got, len, err, sizeof(err));
		if (o == NULL)
			fail_msg("case %zu: not valid JSON: %s", i, err);
		json_object_put(o);
	}
	arena_free(a);
}

/* Random valid UTF-8 (any code point, controls and escapes included) in
 * many rows: the same as json-c, and long enough to make the text grow
 * past its first guess. */
static void
test_random_text_in_many_rows(void **state)
{
	static const char *names[] = { "id", "a", "b" };
	static const enum col_kind kinds[] = { COL_INT, COL_STR, COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 300, 3, names, kinds);
	unsigned seed = 8;
	char buf[512], num[24];

	(void)state;
	for (size_t row = 0; row < r->nrows; row++) {
		snprintf(num, sizeof(num), "%zu", row + 1);
		cells(a, r, row, 0, num);
		for (size_t col = 1; col < 3; col++) {
			size_t n = 0;

			while (n < sizeof(buf) - 4 &&
			    rand_r(&seed) % 100 != 0) {
				unsigned cp = (unsigned)rand_r(&seed) %
				    (rand_r(&seed) % 2 ? 0x80 : 0x110000);

				if (cp >= 0xd800 && cp <= 0xdfff)
					cp = '\\';
				if (cp < 0x80)
					buf[n++] = (char)cp;
				else if (cp < 0x800) {
					buf[n++] = (char)(0xc0 | cp >> 6);
					buf[n++] = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					buf[n++] = (char)(0xe0 | cp >> 12);
					buf[n++] = (char)(0x80 |
					    (cp >> 6 & 0x3f));
					buf[n++] = (char)(0x80 | (cp & 0x3f));
				} else {
					buf[n++] = (char)(0xf0 | cp >> 18);
					buf[n++] = (char)(0x80 |
					    (cp >> 12 & 0x3f));
					buf[n++] = (char)(0x80 |
					    (cp >> 6 & 0x3f));
					buf[n++] = (char)(0x80 | (cp & 0x3f));
				}
			}
			cell(a, r, row, col, buf, n);
		}
	}
	same_as_jsonc(r);
	arena_free(a);
}

/* More columns than keys_unique keeps on its stack, with and without a
 * repeated key. */
static void
test_many_columns_as_jsonc_writes_them(void **state)
{
	const char *names[40];
	enum col_kind kinds[40];
	struct arena *a = arena_new();
	struct db_rows *r;

	(void)state;
	for (size_t c = 0; c < 40; c++) {
		names[c] = arena_printf(a, "c%zu", c);
		kinds[c] = c % 2 ? COL_INT : COL_STR;
	}
	r = rows_new(a, 2, 40, names, kinds);
	for (size_t c = 0; c < 40; c++) {
		cells(a, r, 0, c, c % 2 ? "7" : "seven");
		cells(a, r, 1, c, c % 3 ? NULL : "8");
	}
	same_as_jsonc(r);
	r->names[39] = "c1";
	same_as_jsonc(r);
	arena_free(a);
}

/* db_rows_drop (rows.c): rows less some columns read as rows that never
 * had them, in every row, with any number of columns. */
static void
test_dropped_columns_leave_the_rows_as_if_never_selected(void **state)
{
	static const char *const drop[] = { "c1", "c4", "nope", "c69", NULL };
	static const size_t ncols[] = { 6, 70 };

	(void)state;
	for (size_t t = 0; t < NPARAMS(ncols); t++) {
		size_t nc = ncols[t], nk = 0;
		const char *names[70], *knames[70];
		enum col_kind kinds[70], kkinds[70];
		struct arena *a = arena_new();
		struct db_rows *all, *kept;
		char *want, *got;

		for (size_t c = 0; c < nc; c++) {
			names[c] = arena_printf(a, "c%zu", c);
			kinds[c] = c % 2 ? COL_INT : COL_STR;
			if (c != 1 && c != 4 && c != 69) {
				knames[nk] = names[c];
				kkinds[nk++] = kinds[c];
			}
		}
		all = rows_new(a, 3, nc, names, kinds);
		kept = rows_new(a, 3, nk, knames, kkinds);
		for (size_t row = 0; row < 3; row++)
			for (size_t c = 0, k = 0; c < nc; c++) {
				const char *v = (row + c) % 5 == 0 ? NULL :
				    c % 2 ? arena_printf(a, "%zu", row * 100 + c) :
				    arena_printf(a, "r%zu c%zu", row, c);

				cells(a, all, row, c, v);
				if (c != 1 && c != 4 && c != 69)
					cells(a, kept, row, k++, v);
			}
		want = jsonc_text(kept);
		db_rows_drop(all, drop);
		assert_int_equal(all->ncols, nk);
		got = jsonc_text(all);
		assert_string_equal(got, want);
		free(want);
		free(got);
		arena_free(a);
	}
}

/* JSON columns are written without json-c when json-c would print the
 * text back unchanged but for its whitespace; every other text must still
 * come out as json-c prints it. */
static void
test_json_column_texts_as_jsonc_prints_them(void **state)
{
	static const char *texts[] = {
		"[]", "{}", "[ ]", " { } ", "null", "true", "false", "0", "-1",
		"\"text\"", "[\"dân cư\", \"Tuy Hòa\", \"nông nghiệp\"]",
		"[{\"name\": \"ma_dinh_danh\", \"type\": \"string\", "
		"\"meaning\": \"Mã định danh\", \"personal\": false}, "
		"{\"name\": \"ngay_sinh\", \"type\": \"date\", \"meaning\": "
		"\"Ngày sinh\", \"personal\": true}]",
		"\t[\r\n1 ,\n2,3 ]\n", "{\"a\":{\"b\":[[],{}],\"c\":null}}",
		/* as MariaDB's JSON_ARRAYAGG(JSON_OBJECT(...)) writes them
		 * (datasets.services_json, migration 0009) */
		"[{\"id\": 3, \"name\": \"Tải \\\"về\\\" / 1\", \"protocol\": "
		"\"file\", \"endpoint\": \"https://x.vn/a?b=1\", \"version\": "
		"\"1.0\", \"guide\": null}, {\"id\": 5, \"name\": \"API\", "
		"\"protocol\": \"rest\", \"endpoint\": \"https://x.vn\", "
		"\"version\": \"v2\", \"guide\": \"Hướng dẫn\\nTab\\t😀\"}]",
		/* escapes json-c prints back the same, and others */
		"[\"q\\\" b\\\\ \\b\\f\\n\\r\\t\"]", "[\"a\\/b\"]", "[\"\\u00e2\"]",
		"[\"\\u0001\"]", "[\"\\ud83d\\ude00\"]", "{\"k\\n\": 1}",
		/* numbers: only short integers are kept as they are */
		"[-0]", "[0.5]", "[1e3]", "[1E3]", "[-2.50]", "[01]", "[+1]",
		"[123456789012345678]", "[1234567890123456789]",
		"[9223372036854775807]", "[99999999999999999999]", "[-]",
		/* a key twice: json-c keeps one */
		"{\"a\": 1, \"b\": 2, \"a\": 3}", "{\"a\": {\"x\": 1, \"x\": 2}}",
		"{\"a\":1,\"a\\n\":2}",
		/* not JSON, or not only JSON */
		"", " ", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{1: 2}",
		"[1] x", "[1]]", "nul", "truex", "[\"open", "'single'",
		"[\"tab\there\"]", "[Infinity]", "[\"a\"]\f", "\v[]", "{,}", "[,1]",
		"{\"a\":1,}", "[/* c */ 1]",
	};
	static const char *names[] = { "id", "v_json" };
	static const enum col_kind kinds[] = { COL_INT, COL_JSON };
	struct arena *a = arena_new();
	size_t n = sizeof(texts) / sizeof(texts[0]);
	struct db_rows *r = rows_new(a, n + 6, 2, names, kinds);
	char deep[200], buf[2200];
	size_t k = 0, i;

	(void)state;
	for (i = 0; i < n; i++)
		cells(a, r, i, 1, texts[i]);
	/* Nesting around json-c's depth limit (32) and this path's (16). */
	for (size_t d = 15; d <= 17; d++, i++) {
		memset(deep, '[', d);
		memset(deep + d, ']', d);
		cell(a, r, i, 1, deep, 2 * d);
	}
	for (size_t d = 33; d <= 34; d++, i++) {
		memset(deep, '[', d);
		memset(deep + d, ']', d);
		cell(a, r, i, 1, deep, 2 * d);
	}
	/* More keys in one object than this path compares. */
	k += (size_t)snprintf(buf + k, sizeof(buf) - k, "{");
	for (int j = 0; j < 40; j++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s\"k%d\": %d",
		    j ? ", " : "", j, j);
	k += (size_t)snprintf(buf + k, sizeof(buf) - k, "}");
	cell(a, r, i, 1, buf, k);
	/* A NUL inside: json-c reads up to it. */
	cell(a, r, 0, 1, "[1]\0[2]", 7);
	same_as_jsonc(r);
	arena_free(a);
}

/* Random JSON texts built from the pieces above, spaces between tokens. */
static size_t
random_json(char *out, size_t cap, unsigned *seed, int depth)
{
	static const char *const atoms[] = { "1", "-12", "0", "-0", "2.5",
	    "1e2", "true", "false", "null", "\"x\"", "\"a b\"", "\"é\\n\"",
	    "\"\\/\"", "\"\\u0041\"", "\"\\\"\"", "\"\"", "123456789012345678",
	    "12345678901234567890" };
	static const char *const spaces[] = { "", " ", "\n", "\t", "\r\n  " };
	size_t n = 0, items;
	unsigned kind = (unsigned)rand_r(seed) % (depth > 4 ? 1 : 3);

	if (cap < 64)
		return 0;
	if (kind == 0) {
		const char *t = atoms[(unsigned)rand_r(seed) %
		    (sizeof(atoms) / sizeof(atoms[0]))];

		n = strlen(t);
		memcpy(out, t, n);
		return n;
	}
	out[n++] = kind == 1 ? '[' : '{';
	items = (unsigned)rand_r(seed) % 4;
	for (size_t j = 0; j < items && cap - n > 64; j++) {
		const char *sp = spaces[(unsigned)rand_r(seed) % 5];

		if (j > 0)
			out[n++] = ',';
		memcpy(out + n, sp, strlen(sp));
		n += strlen(sp);
		if (kind == 2)
			n += (size_t)snprintf(out + n, cap - n, "\"k%u\": ",
			    (unsigned)rand_r(seed) % 5);
		n += random_json(out + n, cap - n, seed, depth + 1);
	}
	out[n++] = kind == 1 ? ']' : '}';
	return n;
}

static void
test_random_json_columns_as_jsonc_prints_them(void **state)
{
	static const char *names[] = { "v_json", "w_json" };
	static const enum col_kind kinds[] = { COL_JSON, COL_JSON };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 400, 2, names, kinds);
	unsigned seed = 11;
	char buf[4096];

	(void)state;
	for (size_t row = 0; row < r->nrows; row++)
		for (size_t col = 0; col < 2; col++)
			cell(a, r, row, col, buf, random_json(buf,
			    sizeof(buf), &seed, 0));
	same_as_jsonc(r);
	arena_free(a);
}

/* ------------------------------------------------------------------ */
/* http_reply_page_rows against http_reply_page(db_rows_json)          */

static void
same_page(const struct db_rows *rows, long long limit)
{
	struct http_req *want = req_new(), *got = req_new();
	struct page pg = { .limit = limit, .after = 0 };
	const char *text;

	http_reply_page(want, &pg, db_rows_json(rows));
	http_reply_page_rows(got, &pg, rows);
	assert_int_equal(got->status, 200);
	assert_null(got->resp);
	assert_non_null(got->resp_raw);
	assert_string_equal(got->resp_type, "application/json; charset=utf-8");
	text = json_object_to_json_string_ext(want->resp, FLAGS);
	assert_int_equal(got->resp_raw_len, strlen(text));
	assert_memory_equal(got->resp_raw, text, got->resp_raw_len);
	req_free(want);
	req_free(got);
}

static void
test_page_body_and_cursor_as_http_reply_page(void **state)
{
	static const char *names[] = { "id", "outcome" };
	static const enum col_kind kinds[] = { COL_INT, COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 3, 2, names, kinds);

	(void)state;
	cells(a, r, 0, 0, "1000003");
	cells(a, r, 1, 0, "1000002");
	cells(a, r, 2, 0, "1000001");
	cells(a, r, 0, 1, "delivered");
	cells(a, r, 2, 1, "refused");
	same_page(r, 3);	/* full: a cursor */
	same_page(r, 2);	/* more than asked: a cursor too */
	same_page(r, 4);	/* not full: null */
	r->nrows = 0;
	same_page(r, 50);
	arena_free(a);
}

static void
test_page_cursor_from_an_id_of_another_kind(void **state)
{
	static const char *names[] = { "x", "id" };
	static const enum col_kind kinds[] = { COL_STR, COL_STR };
	static const char *names2[] = { "x", "id_json" };
	static const enum col_kind kinds2[] = { COL_STR, COL_JSON };
	static const char *names3[] = { "x" };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 1, 2, names, kinds);
	struct db_rows *r2 = rows_new(a, 1, 2, names2, kinds2);
	struct db_rows *r3 = rows_new(a, 1, 1, names3, kinds);

	(void)state;
	cells(a, r, 0, 1, "42");
	same_page(r, 1);
	cells(a, r, 0, 1, NULL);
	same_page(r, 1);
	cells(a, r2, 0, 1, "17");
	same_page(r2, 1);
	cells(a, r3, 0, 0, "no id");
	same_page(r3, 1);
	arena_free(a);
}

/* json-c keeps the last value of a key given twice: so does the cursor. */
static void
test_page_cursor_from_the_last_of_two_ids(void **state)
{
	static const char *names[] = { "id", "id" };
	static const enum col_kind kinds[] = { COL_INT, COL_INT };
	static const char *names2[] = { "id", "id_json" };
	static const enum col_kind kinds2[] = { COL_INT, COL_JSON };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 1, 2, names, kinds);
	struct db_rows *r2 = rows_new(a, 1, 2, names2, kinds2);

	(void)state;
	cells(a, r, 0, 0, "5");
	cells(a, r, 0, 1, "6");
	same_page(r, 1);
	cells(a, r2, 0, 0, "5");
	cells(a, r2, 0, 1, "7");
	same_page(r2, 1);
	arena_free(a);
}

/* The raw body of r's answer (not NUL-terminated) is text. */
static void
same_text(const struct http_req *r, const char *text)
{
	assert_non_null(r->resp_raw);
	assert_int_equal(r->resp_raw_len, strlen(text));
	assert_memory_equal(r->resp_raw, text, r->resp_raw_len);
}

/* A list under other names (the gateway's records) is the page's body with
 * its two names changed, and its next as given, or null. */
static void
test_list_under_other_names_as_items(void **state)
{
	static const char *names[] = { "id", "narrowed" };
	static const enum col_kind kinds[] = { COL_INT, COL_BOOL };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 2, 2, names, kinds);
	struct http_req *got = req_new();

	(void)state;
	cells(a, r, 0, 0, "7");
	cells(a, r, 0, 1, "1");
	cells(a, r, 1, 0, "9");
	http_reply_list(got, "records", r, "next_records_from", "1767:9");
	assert_int_equal(got->status, 200);
	same_text(got, "{\"records\":[{\"id\":7,\"narrowed\":true},"
	    "{\"id\":9,\"narrowed\":null}],\"next_records_from\":\"1767:9\"}");
	req_free(got);
	got = req_new();
	r->nrows = 0;
	http_reply_list(got, "records", r, "next_records_from", NULL);
	same_text(got, "{\"records\":[],\"next_records_from\":null}");
	req_free(got);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_of_column_as_jsonc_writes_it),
		cmocka_unit_test(test_integer_spellings_as_jsonc_prints_them),
		cmocka_unit_test(
		    test_every_byte_below_0x80_is_escaped_as_jsonc_escapes_it),
		cmocka_unit_test(
		    test_keys_are_escaped_and_json_columns_lose_their_suffix),
		cmocka_unit_test(test_named_booleans_lose_their_suffix),
		cmocka_unit_test(test_empty_and_null_rows),
		cmocka_unit_test(test_a_repeated_key_gives_what_jsonc_gives),
		cmocka_unit_test(
		    test_bytes_that_are_not_utf8_become_replacement_characters),
		cmocka_unit_test(test_random_text_in_many_rows),
		cmocka_unit_test(test_many_columns_as_jsonc_writes_them),
		cmocka_unit_test(
		    test_dropped_columns_leave_the_rows_as_if_never_selected),
		cmocka_unit_test(test_json_column_texts_as_jsonc_prints_them),
		cmocka_unit_test(test_random_json_columns_as_jsonc_prints_them),
		cmocka_unit_test(test_page_body_and_cursor_as_http_reply_page),
		cmocka_unit_test(test_page_cursor_from_an_id_of_another_kind),
		cmocka_unit_test(test_page_cursor_from_the_last_of_two_ids),
		cmocka_unit_test(test_list_under_other_names_as_items),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
