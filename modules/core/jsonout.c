/*
 * Rows straight to JSON text. A list page built as json-c objects costs a
 * small allocation for every cell and a hash-table insert for every column,
 * then a second walk to serialise and a third to free: about 320 µs for 50
 * access-log rows of 21 columns (bench/RESULTS.md). Writing the text from
 * the rows in one pass gives the same bytes as
 * json_object_to_json_string_ext(db_rows_json(rows), JSON_C_TO_STRING_PLAIN
 * | JSON_C_TO_STRING_NOSLASHESCAPE), which is what server.c sends for a
 * json-c reply, with one difference: bytes that are not UTF-8 become U+FFFD
 * where json-c copies them as they are, so the text is always valid JSON
 * (RFC 8259, 8.1). The rare kinds of cell (doubles, JSON columns) still go
 * through json-c, so their text is json-c's by construction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define KEY_MAX		127	/* db_row_json's key buffer, less its NUL */

/* A text growing in the arena; a larger copy replaces it when full. */
struct jbuf {
	struct arena	*a;
	char		*p;
	size_t		 len, cap;
};

static void
jb_need(struct jbuf *b, size_t n)
{
	char *p;
	size_t cap;

	if (b->cap - b->len >= n)
		return;
	cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n;
	p = arena_alloc(b->a, cap);
	if (b->len > 0)
		memcpy(p, b->p, b->len);
	b->p = p;
	b->cap = cap;
}

static void
jb_put(struct jbuf *b, const char *s, size_t n)
{
	jb_need(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* s must be a string literal. */
#define jb_lit(b, s)	jb_put((b), "" s, sizeof(s) - 1)

/* Bytes that go out as they are: ASCII from the space up, DEL too, but
 * the quote and the backslash. Everything else takes a look. */
static inline bool
plain(unsigned c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* s[0..n) as a JSON string, quotes included, escaped as json-c escapes:
 * \" \\ \b \f \n \r \t, other control characters (NUL too) as \u00xx,
 * '/' and DEL as they are. */
static void
jb_string(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run;
	unsigned long cp;
	size_t k;
	char esc[6];

	jb_need(b, n + 2);
	b->p[b->len++] = '"';
	while (p < end) {
		for (run = p; p < end && plain(*p); p++)
			;
		if (p > run)
			jb_put(b, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p >= 0x80) {
			if ((k = utf8_decode(p, (size_t)(end - p), &cp)) > 0) {
				jb_put(b, (const char *)p, k);
				p += k;
			} else {
				/* Not UTF-8: one replacement character for
				 * each byte that starts no valid sequence. */
				jb_lit(b, "\xef\xbf\xbd");
				p++;
			}
			continue;
		}
		esc[0] = '\\';
		switch (*p) {
		case '"':	esc[1] = '"'; k = 2; break;
		case '\\':	esc[1] = '\\'; k = 2; break;
		case '\b':	esc[1] = 'b'; k = 2; break;
		case '\f':	esc[1] = 'f'; k = 2; break;
		case '\n':	esc[1] = 'n'; k = 2; break;
		case '\r':	esc[1] = 'r'; k = 2; break;
		case '\t':	esc[1] = 't'; k = 2; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			k = 6;
		}
		jb_put(b, esc, k);
		p++;
	}
	jb_need(b, 1);
	b->p[b->len++] = '"';
}

static void
jb_int(struct jbuf *b, long long v)
{
	char digits[24], *d = digits + sizeof(digits);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do {
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--d = '-';
	jb_put(b, d, (size_t)(digits + sizeof(digits) - d));
}

/* Whether v[0..n) is an integer as json-c would print it back: an
 * optional minus, no leading zero, digits, few enough to fit in 64 bits
 * (what the server sends for an integer column). */
static bool
canonical_int(const char *v, size_t n)
{
	size_t i = v[0] == '-';

	if (n <= i || n - i > 18 || (v[i] == '0' && (n - i > 1 || i)))
		return false;
	for (; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

/* A json-c value's text (NULL: null); puts it. */
static void
jb_jsonc(struct jbuf *b, json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_FLAGS);

	jb_put(b, t, strlen(t));
	json_object_put(o);
}

/*
 * JSON columns. json-c parses the text and prints it back plain; for text
 * that is strict JSON whose every token json-c prints back as it is (the
 * catalog's keywords and structure, stored with spaces after ',' and ':'),
 * that is the text less its whitespace, which is written here in one pass
 * (json-c took 5.7 us for a dataset's keywords and five structure fields,
 * this 0.85 us). Anything else goes to json-c: numbers
 * other than short integers and "-0", \u and \/ escapes, a key given
 * twice in an object (json-c keeps one), nesting deeper than JC_DEPTH
 * (json-c's limit is 32), invalid or trailing text, a NUL.
 */
#define JC_DEPTH	16
#define JC_KEYS		32	/* keys of one object compared for repeats */

struct jscan {
	const char	*p, *end;
};

static bool jc_value(struct jscan *, struct jbuf *, int depth);

static void
jc_space(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' ||
	    *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

/* A string whose escapes json-c prints back the same: \" \\ \b \f \n
 * \r \t (so two keys are the same exactly when their texts are). */
static bool
jc_string(struct jscan *s, struct jbuf *b)
{
	const char *start = s->p++;
	unsigned char c;

	while (s->p < s->end) {
		c = (unsigned char)*s->p;
		if (c == '"') {
			s->p++;
			jb_put(b, start, (size_t)(s->p - start));
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (s->end - s->p < 2 || s->p[1] == '\0' ||
			    memchr("\"\\bfnrt", s->p[1], 7) == NULL)
				return false;
			s->p++;
		}
		s->p++;
	}
	return false;
}

/* An integer json-c keeps as int64 and prints back the same. */
static bool
jc_number(struct jscan *s, struct jbuf *b)
{
	const char *start = s->p;

	if (*s->p == '-')
		s->p++;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
		return false;
	if (!canonical_int(start, (size_t)(s->p - start)))
		return false;
	jb_put(b, start, (size_t)(s->p - start));
	return true;
}

static bool
jc_word(struct jscan *s, struct jbuf *b, const char *w, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return false;
	jb_put(b, w, n);
	s->p += n;
	return true;
}

static bool
jc_array(struct jscan *s, struct jbuf *b, int depth)
{
	jb_lit(b, "[");
	s->p++;
	jc_space(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		jb_lit(b, "]");
		return true;
	}
	for (;;) {
		if (!jc_value(s, b, depth))
			return false;
		jc_space(s);
		if (s->p == s->end)
			return false;
		if (*s->p++ == ']')
			break;
		if (s->p[-1] != ',')
			return false;
		jb_lit(b, ",");
		jc_space(s);
	}
	jb_lit(b, "]");
	return true;
}

static bool
jc_object(struct jscan *s, struct jbuf *b, int depth)
{
	size_t key[JC_KEYS], klen[JC_KEYS], n = 0;	/* offsets in b */

	jb_lit(b, "{");
	s->p++;
	jc_space(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		jb_lit(b, "}");
		return true;
	}
	for (;;) {
		if (s->p == s->end || *s->p != '"' || n == JC_KEYS)
			return false;
		key[n] = b->len;
		if (!jc_string(s, b))
			return false;
		klen[n] = b->len - key[n];
		for (size_t i = 0; i < n; i++)
			if (klen[i] == klen[n] && memcmp(b->p + key[i],
			    b->p + key[n], klen[n]) == 0)
				return false;
		n++;
		jc_space(s);
		if (s->p == s->end || *s->p++ != ':')
			return false;
		jb_lit(b, ":");
		jc_space(s);
		if (!jc_value(s, b, depth))
			return false;
		jc_space(s);
		if (s->p == s->end)
			return false;
		if (*s->p++ == '}')
			break;
		if (s->p[-1] != ',')
			return false;
		jb_lit(b, ",");
		jc_space(s);
	}
	jb_lit(b, "}");
	return true;
}

static bool
jc_value(struct jscan *s, struct jbuf *b, int depth)
{
	if (s->p == s->end)
		return false;
	switch (*s->p) {
	case '"':
		return jc_string(s, b);
	case '[':
		return depth < JC_DEPTH && jc_array(s, b, depth + 1);
	case '{':
		return depth < JC_DEPTH && jc_object(s, b, depth + 1);
	case 't':
		return jc_word(s, b, "true", 4);
	case 'f':
		return jc_word(s, b, "false", 5);
	case 'n':
		return jc_word(s, b, "null", 4);
	default:
		return (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) &&
		    jc_number(s, b);
	}
}

/* A JSON column's text as json-c prints it back. */
static void
jb_json(struct jbuf *b, const char *v, size_t len)
{
	struct jscan s = { v, v + len };
	size_t at = b->len;

	jc_space(&s);
	if (jc_value(&s, b, 0)) {
		jc_space(&s);
		if (s.p == s.end)
			return;
	}
	b->len = at;
	jb_jsonc(b, json_tokener_parse(v));
}

/* One cell, as db_row_json makes it. */
static void
jb_cell(struct jbuf *b, enum col_kind kind, const char *v, size_t len)
{
	char dt[20];

	if (v == NULL) {
		jb_lit(b, "null");
		return;
	}
	switch (kind) {
	case COL_INT:
		if (canonical_int(v, len))
			jb_put(b, v, len);
		else
			jb_int(b, strtoll(v, NULL, 10));
		break;
	case COL_BOOL:
		if (v[0] == '1')
			jb_lit(b, "true");
		else
			jb_lit(b, "false");
		break;
	case COL_DOUBLE:
		jb_jsonc(b, json_object_new_double(strtod(v, NULL)));
		break;
	case COL_JSON:
		jb_json(b, v, len);
		break;
	case COL_DATETIME:
		/* "YYYY-MM-DD HH:MM:SS[.ffffff]" -> "YYYY-MM-DDTHH:MM:SSZ" */
		if (strlen(v) >= 19) {
			memcpy(dt, v, 10);
			dt[10] = 'T';
			memcpy(dt + 11, v + 11, 8);
			dt[19] = 'Z';
			jb_string(b, dt, 20);
		} else
			jb_string(b, v, strlen(v));
		break;
	default:
		jb_string(b, v, len);
	}
}

/* The key db_row_json gives column c: its name, less "_json" for JSON
 * columns and "_bool" for named booleans (cut to KEY_MAX bytes, as
 * there). */
static size_t
col_key(const struct db_rows *rows, size_t c)
{
	size_t nl = strlen(rows->names[c]);

	if (rows->kinds[c] != COL_JSON && !(rows->kinds[c] == COL_BOOL &&
	    nl > 5 && strcmp(rows->names[c] + nl - 5, "_bool") == 0))
		return nl;
	if (nl >= 5)
		nl -= 5;
	return nl > KEY_MAX ? KEY_MAX : nl;
}

/* Whether every column has its own key. json-c keeps one member for a key
 * given twice (the last value, at the first place): that case, which no
 * query of ours makes, is left to json-c. */
static bool
keys_unique(const struct db_rows *rows)
{
	size_t on_stack[32], *len = on_stack;
	bool unique = true;

	if (rows->ncols > 32)
		len = calloc(rows->ncols, sizeof(*len));
	if (len == NULL)
		abort();
	for (size_t c = 0; c < rows->ncols; c++)
		len[c] = col_key(rows, c);
	for (size_t c = 0; c < rows->ncols && unique; c++)
		for (size_t d = 0; d < c && unique; d++)
			if (len[c] == len[d] && memcmp(rows->names[c],
			    rows->names[d], len[c]) == 0)
				unique = false;
	if (len != on_stack)
		free(len);
	return unique;
}

/* A first guess at the text's size: every cell with its key and a little
 * for quotes and escapes. */
static size_t
size_guess(const struct db_rows *rows)
{
	size_t keys = 0, n = 64;	/* and the page's envelope */

	for (size_t c = 0; c < rows->ncols; c++)
		keys += strlen(rows->names[c]) + 8;
	for (size_t i = 0; i < rows->nrows * rows->ncols; i++)
		n += rows->lens[i] + 4;
	return n + rows->nrows * (keys + 2);
}

/* Each column's key as it goes before its value, escaped once for the
 * whole page: "name": and ,"name": after the first. keys[c] is the text
 * of column c in the arena, lens[c] its length. */
static void
key_texts(struct arena *a, const struct db_rows *rows, const char ***keys,
    size_t **lens)
{
	struct jbuf k = { .a = a };
	size_t *at = arena_calloc(a, rows->ncols + 1, sizeof(size_t));
	size_t c;

	for (c = 0; c < rows->ncols; c++) {
		at[c] = k.len;
		if (c > 0)
			jb_lit(&k, ",");
		jb_string(&k, rows->names[c], col_key(rows, c));
		jb_lit(&k, ":");
	}
	at[c] = k.len;
	*keys = arena_calloc(a, rows->ncols + 1, sizeof(char *));
	*lens = arena_calloc(a, rows->ncols + 1, sizeof(size_t));
	for (c = 0; c < rows->ncols; c++) {
		(*keys)[c] = k.p + at[c];
		(*lens)[c] = at[c + 1] - at[c];
	}
}

/* Row r's members, without the braces: with the keys of key_texts, or
 * (keys NULL, for a single row) each key written in place. */
static void
jb_members(struct jbuf *b, const struct db_rows *rows, size_t r,
    const char **keys, const size_t *klens)
{
	size_t i;

	for (size_t c = 0; c < rows->ncols; c++) {
		i = r * rows->ncols + c;
		if (keys != NULL)
			jb_put(b, keys[c], klens[c]);
		else {
			if (c > 0)
				jb_lit(b, ",");
			jb_string(b, rows->names[c], col_key(rows, c));
			jb_lit(b, ":");
		}
		jb_cell(b, rows->kinds[c], rows->cells[i], rows->lens[i]);
	}
}

/* Row r as an object (keys as for jb_members). */
static void
jb_row(struct jbuf *b, const struct db_rows *rows, const char **keys,
    const size_t *klens, size_t r)
{
	jb_lit(b, "{");
	jb_members(b, rows, r, keys, klens);
	jb_lit(b, "}");
}

static void
jb_rows(struct jbuf *b, const struct db_rows *rows)
{
	const char **keys;
	size_t *klens;

	key_texts(b->a, rows, &keys, &klens);
	jb_lit(b, "[");
	for (size_t r = 0; r < rows->nrows; r++) {
		if (r > 0)
			jb_lit(b, ",");
		jb_row(b, rows, keys, klens, r);
	}
	jb_lit(b, "]");
}

/* The rows as a JSON array at the end of b. */
static void
jb_items(struct jbuf *b, const struct db_rows *rows)
{
	json_object *o;

	if (keys_unique(rows)) {
		jb_need(b, size_guess(rows));
		jb_rows(b, rows);
		return;
	}
	/* The json-c way, for what the fast path leaves to it. */
	o = db_rows_json(rows);
	jb_jsonc(b, o);
}

char *
json_rows_text(struct arena *a, const struct db_rows *rows, size_t *len)
{
	struct jbuf b = { .a = a };

	jb_items(&b, rows);
	jb_need(&b, 1);
	b.p[b.len] = '\0';
	if (len != NULL)
		*len = b.len;
	return b.p;
}

/* The cursor after a full page: the last row's "id" as http_reply_page
 * reads it from the json-c object, or NULL. */
static const char *
page_cursor(struct arena *a, const struct page *pg,
    const struct db_rows *rows)
{
	const char *v;
	json_object *row, *id;
	long long last = 0;
	size_t c;

	if (rows->nrows == 0 || (long long)rows->nrows < pg->limit)
		return NULL;
	/* The last "id" column: json-c keeps the last value of a key. */
	for (c = rows->ncols; c > 0; c--)
		if (col_key(rows, c - 1) == 2 &&
		    memcmp(rows->names[c - 1], "id", 2) == 0)
			break;
	if (c-- == 0)
		return NULL;
	v = db_cell(rows, rows->nrows - 1, c);
	if (rows->kinds[c] == COL_INT)
		last = v != NULL ? strtoll(v, NULL, 10) : 0;
	else {
		/* Some other kind of "id": read it as json-c would. */
		row = db_row_json(rows, rows->nrows - 1);
		if (json_object_object_get_ex(row, "id", &id))
			last = (long long)json_object_get_int64(id);
		json_object_put(row);
	}
	return http_cursor(a, "v1", last);
}

void
http_reply_page_rows(struct http_req *r, const struct page *pg,
    const struct db_rows *rows)
{
	http_reply_items(r, rows, page_cursor(r->arena, pg, rows));
}

void
http_reply_items(struct http_req *r, const struct db_rows *rows,
    const char *cursor)
{
	http_reply_list(r, "items", rows, "next_cursor", cursor);
}

void
http_reply_list(struct http_req *r, const char *items_key,
    const struct db_rows *rows, const char *next_key, const char *next)
{
	struct jbuf b = { .a = r->arena };

	jb_lit(&b, "{");
	jb_string(&b, items_key, strlen(items_key));
	jb_lit(&b, ":");
	jb_items(&b, rows);
	jb_lit(&b, ",");
	jb_string(&b, next_key, strlen(next_key));
	jb_lit(&b, ":");
	if (next != NULL)
		jb_string(&b, next, strlen(next));
	else
		jb_lit(&b, "null");
	jb_lit(&b, "}");
	http_reply_raw(r, 200, "application/json; charset=utf-8", b.p, b.len);
}

void
http_reply_row(struct http_req *r, int status, const struct db_rows *rows,
    size_t row)
{
	struct jbuf b = { .a = r->arena };

	if (row >= rows->nrows || !keys_unique(rows)) {
		http_reply(r, status, db_row_json(rows, row));
		return;
	}
	jb_need(&b, size_guess(rows));
	jb_row(&b, rows, NULL, NULL, row);
	http_reply_raw(r, status, "application/json; charset=utf-8", b.p,
	    b.len);
}

void
db_reply_page(struct http_req *r, const struct page *pg, const char *sql,
    const struct db_param *p, size_t n)
{
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, n, &rows)) != DS_OK)
		http_error_status(r, st);
	else
		http_reply_page_rows(r, pg, rows);
}
