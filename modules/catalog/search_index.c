/*
 * The search index (R2.4): one row per word of each search document, in
 * search_terms (sql/0008_search_terms.sql), ordered by word, then weight.
 *
 * Why not InnoDB's FULLTEXT: it ranks every document that holds each word
 * of a query before LIMIT applies, and Vietnamese syllables such as "dữ",
 * "liệu" or "hộ" occur in a large part of any Vietnamese catalog, so a
 * query cost grew with the catalog (about 1.5 s over 100,000 datasets,
 * bench/RESULTS.md). Here the query walks one word's rows best first and
 * stops at the page's end (search.c says how the word is chosen).
 *
 * The word column's collation folds case and Vietnamese diacritics, đ
 * included, so "dat" finds rows written "Đất" and the index needs no
 * folding table of its own; words are only cut and ASCII-lowercased here.
 * The document keeps its words too, as the collation folds them
 * (search_documents.words, sql/0011_search_words.sql), so that a query
 * tests its other words on the document it reads anyway rather than with
 * a lookup into this index per word and row.
 */
#include <stdlib.h>
#include <string.h>

#include "search_index.h"

/* A document's words beyond this are not indexed (descriptions are at
 * most a few thousand characters; content is MEDIUMTEXT). */
#define MAX_DOC_WORDS	20000
/* Rows a single INSERT writes. */
#define BATCH		100

static bool
word_char(unsigned long cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		    (cp >= 'A' && cp <= 'Z') || cp == '_';
	if (cp < 0xc0 || cp == 0xd7 || cp == 0xf7)
		return false;
	if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) ||
	    (cp >= 0xff00 && cp <= 0xff0f))
		return false;
	return true;
}

size_t
search_words(const char *text, size_t len, struct word *out, size_t max)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n = 0, chars = 0;
	bool in_word = false;

	while (i < len) {
		unsigned long cp;
		size_t k = utf8_decode(s + i, len - i, &cp);

		/* Not UTF-8 (the database's text and the HTTP layer's
		 * queries are): a byte that separates words. */
		if (k == 0) {
			k = 1;
			cp = 0;
		}
		if (!word_char(cp))
			in_word = false;
		else if (!in_word) {
			if (n < max)
				out[n] = (struct word){ text + i, k };
			n++;
			chars = 1;
			in_word = true;
		} else if (++chars <= TERM_MAX_CHARS && n <= max)
			out[n - 1].len += k;
		i += k;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* one document                                                         */

struct occurrence {
	struct word	 w;
	bool		 title;
};

static int
occurrence_cmp(const void *a, const void *b)
{
	const struct word *x = &((const struct occurrence *)a)->w;
	const struct word *y = &((const struct occurrence *)b)->w;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* The text with ASCII letters lowercased, so that the usual spellings of
 * one word meet here rather than in the database. */
static char *
lowered(struct arena *a, const char *s, size_t len)
{
	char *t = arena_strndup(a, s, len);

	for (size_t i = 0; i < len; i++)
		if (t[i] >= 'A' && t[i] <= 'Z')
			t[i] = (char)(t[i] - 'A' + 'a');
	return t;
}

/*
 * A word's weight in a document: a word of the title counts most, the
 * more the shorter the title ("Cơ sở y tế" before "Danh sách cơ sở khám
 * chữa bệnh thuộc ngành y tế"), then each use in the whole text, up to
 * ten. A query walks one word's rows by weight: this is its relevance.
 */
static int
weight(bool in_title, size_t title_words, int uses)
{
	int w = uses < 10 ? uses * 10 : 100;

	if (in_title)
		w += 600 + (int)(400 / (title_words > 0 ? title_words : 1));
	return w;
}

/* What each of a document's word rows repeats: the caller's visibility
 * test runs on the word's row, before the document is read. */
struct doc {
	long long	 id;
	const char	*visibility;
	long long	 agency_id;
};

/* One row of search_terms to write. */
struct row {
	struct word	 w;
	int		 weight;
	const struct doc *d;
};

/* The rows of every document of one search_index() call, written
 * together: most documents have fewer words than a statement takes. */
struct rows {
	struct row	*v;
	size_t		 n, cap;
};

static void
rows_add(struct arena *a, struct rows *r, struct word w, int weight,
    const struct doc *d)
{
	if (r->n == r->cap) {
		struct row *v = arena_calloc(a, r->cap ? 2 * r->cap : 256,
		    sizeof(*v));

		if (r->n > 0)
			memcpy(v, r->v, r->n * sizeof(*v));
		r->v = v;
		r->cap = r->cap ? 2 * r->cap : 256;
	}
	r->v[r->n++] = (struct row){ w, weight, d };
}

/* Writes the rows, BATCH to a statement, the rest in statements of 25, 5
 * and 1. */
static int
rows_write(const struct rows *r)
{
#define TUPLE "(?, ?, ?, ?, ?)"
#define TUPLES5 TUPLE ", " TUPLE ", " TUPLE ", " TUPLE ", " TUPLE
#define TUPLES25 TUPLES5 ", " TUPLES5 ", " TUPLES5 ", " TUPLES5 ", " TUPLES5
#define INSERT "INSERT INTO search_terms (term, weight, doc_id, " \
	"visibility, agency_id) VALUES "
#define UPSERT " ON DUPLICATE KEY UPDATE weight = GREATEST(weight, " \
	"VALUES(weight))"
	static const struct { size_t rows; const char *sql; } stmts[] = {
		{ BATCH, INSERT TUPLES25 ", " TUPLES25 ", " TUPLES25 ", "
		    TUPLES25 UPSERT },
		{ 25, INSERT TUPLES25 UPSERT },
		{ 5, INSERT TUPLES5 UPSERT },
		{ 1, INSERT TUPLE UPSERT },
	};
	struct db_param p[5 * BATCH];
	size_t i = 0;
	int st = DS_OK;

	while (st == DS_OK && i < r->n) {
		size_t s = 0;

		while (stmts[s].rows > r->n - i)
			s++;
		for (size_t j = 0; j < stmts[s].rows; j++) {
			const struct row *w = &r->v[i + j];
			struct db_param *q = p + 5 * j;

			q[0] = (struct db_param){ .type = DBT_STR,
			    .s = w->w.s, .len = w->w.len };
			q[1] = P_INT(w->weight);
			q[2] = P_INT(w->d->id);
			q[3] = P_STR(w->d->visibility);
			q[4] = P_INT(w->d->agency_id);
		}
		st = db_exec(stmts[s].sql, p, 5 * stmts[s].rows, NULL, NULL);
		i += stmts[s].rows;
	}
	return st;
}

/* Appends the words of text to occ (room for max), marked title or not;
 * returns how many it added. */
static size_t
add_words(struct arena *a, const char *text, bool title,
    struct occurrence *occ, size_t max)
{
	size_t len = strlen(text), room = len / 2 + 1, n;
	struct word *w;

	room = room < max ? room : max;
	w = arena_calloc(a, room, sizeof(*w));
	n = search_words(lowered(a, text, len), len, w, room);
	n = n < room ? n : room;
	for (size_t i = 0; i < n; i++)
		occ[i] = (struct occurrence){ w[i], title };
	return n;
}

/* Removes the document's old words and adds its new ones to out. */
static int
index_document(struct arena *a, const struct doc *d, const char *title,
    const char *content, struct rows *out)
{
	static const char *forget = "DELETE FROM search_terms WHERE doc_id = ?";
	size_t room = (strlen(title) + strlen(content)) / 2 + 2;
	struct occurrence *occ;
	size_t nt, n;
	struct db_param p[] = { P_INT(d->id) };
	int st;

	if ((st = db_exec(forget, p, 1, NULL, NULL)) != DS_OK)
		return st;
	room = room < MAX_DOC_WORDS ? room : MAX_DOC_WORDS;
	occ = arena_calloc(a, room, sizeof(*occ));
	nt = add_words(a, title, true, occ, room);
	n = nt + add_words(a, content, false, occ + nt, room - nt);
	qsort(occ, n, sizeof(*occ), occurrence_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		bool in_title = false;
		int uses = 0;

		for (; j < n && occurrence_cmp(&occ[i], &occ[j]) == 0; j++) {
			in_title |= occ[j].title;
			uses += !occ[j].title;
		}
		rows_add(a, out, occ[i].w, weight(in_title, nt, uses), d);
		i = j;
	}
	return DS_OK;
}

/* The document's words as its search_terms rows hold them, in the form a
 * query's LOCATE looks for (sql/0011_search_words.sql): each term's
 * collation key in hex, between single spaces. Up to 20,000 words of up
 * to 64 characters: more than group_concat_max_len's default. */
static int
words_write(long long doc)
{
	static const char *sql =
	    "SET STATEMENT group_concat_max_len = 16777216 FOR "
	    "UPDATE search_documents SET words = COALESCE((SELECT CONCAT(' ', "
	    "  GROUP_CONCAT(HEX(WEIGHT_STRING(term)) SEPARATOR ' '), ' ') "
	    "  FROM search_terms WHERE doc_id = ?), '') WHERE id = ?";
	struct db_param p[] = { P_INT(doc), P_INT(doc) };

	return db_exec(sql, p, NPARAMS(p), NULL, NULL);
}

int
search_index(const char *sql, const struct db_param *p, size_t np,
    long *ndocs)
{
	static struct arena *a;
	struct db_rows *docs;
	struct rows out = { NULL, 0, 0 };
	int st;

	if (a == NULL)
		a = arena_new();
	if ((st = db_query(a, sql, p, np, &docs)) == DS_OK) {
		for (size_t i = 0; st == DS_OK && i < docs->nrows; i++) {
			struct doc *d = arena_alloc(a, sizeof(*d));

			*d = (struct doc){ db_get_int(docs, i, "id"),
			    db_get(docs, i, "visibility"),
			    db_get_int(docs, i, "agency_id") };
			st = index_document(a, d, db_get(docs, i, "title"),
			    db_get(docs, i, "content"), &out);
		}
		if (st == DS_OK)
			st = rows_write(&out);
		for (size_t i = 0; st == DS_OK && i < docs->nrows; i++)
			st = words_write(db_get_int(docs, i, "id"));
		if (ndocs != NULL)
			*ndocs = (long)docs->nrows;
	}
	arena_reset(a);
	return st;
}
