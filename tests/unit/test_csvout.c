/*
 * csvout.c: rows as CSV (RFC 4180), as the access-log export and the
 * gateway's monitoring records give them: a header line, CRLF line ends,
 * a cell quoted exactly when it holds a comma, a quote or a line break,
 * NULL as an empty cell.
 */
#include "unit.h"

/* Rows of ncols columns in the arena, every cell NULL until set. */
static struct db_rows *
rows_new(struct arena *a, size_t nrows, size_t ncols, const char **names,
    const enum col_kind *kinds)
{
	struct db_rows *r = arena_calloc(a, 1, sizeof(*r));

	r->nrows = nrows;
	r->ncols = ncols;
	r->names = names;
	r->kinds = arena_calloc(a, ncols, sizeof(enum col_kind));
	memcpy(r->kinds, kinds, ncols * sizeof(enum col_kind));
	r->cells = arena_calloc(a, nrows * ncols + 1, sizeof(char *));
	r->lens = arena_calloc(a, nrows * ncols + 1, sizeof(size_t));
	return r;
}

static void
cell(struct arena *a, struct db_rows *r, size_t row, size_t col,
    const char *v)
{
	r->cells[row * r->ncols + col] = v ? arena_strdup(a, v) : NULL;
	r->lens[row * r->ncols + col] = v ? strlen(v) : 0;
}

static void
test_cells_are_quoted_only_when_they_must_be(void **state)
{
	static const char *names[] = { "id", "fault_text", "narrowed" };
	static const enum col_kind kinds[] = { COL_INT, COL_STR, COL_BOOL };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 4, 3, names, kinds);
	size_t len;
	char *text;

	(void)state;
	cell(a, r, 0, 0, "1");
	cell(a, r, 0, 1, "plain text; with: colons");
	cell(a, r, 0, 2, "1");
	cell(a, r, 1, 0, "2");
	cell(a, r, 1, 1, "said \"no\", then");
	cell(a, r, 1, 2, "0");
	cell(a, r, 2, 0, "3");
	cell(a, r, 2, 1, "two\r\nlines\nand a bare LF");
	cell(a, r, 3, 0, "4");		/* the rest NULL: empty cells */
	text = csv_rows_text(a, r, &len);
	assert_string_equal(text,
	    "id,fault_text,narrowed\r\n"
	    "1,plain text; with: colons,1\r\n"
	    "2,\"said \"\"no\"\", then\",0\r\n"
	    "3,\"two\r\nlines\nand a bare LF\",\r\n"
	    "4,,\r\n");
	assert_int_equal(len, strlen(text));
	arena_free(a);
}

static void
test_no_rows_still_have_their_header(void **state)
{
	static const char *names[] = { "a,b", "c" };
	static const enum col_kind kinds[] = { COL_STR, COL_STR };
	struct arena *a = arena_new();
	struct db_rows *r = rows_new(a, 0, 2, names, kinds);

	(void)state;
	assert_string_equal(csv_rows_text(a, r, NULL), "\"a,b\",c\r\n");
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_are_quoted_only_when_they_must_be),
		cmocka_unit_test(test_no_rows_still_have_their_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
