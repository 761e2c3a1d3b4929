/*
 * GET /search: search over databases, datasets and services (R2.4, Art.
 * 16.2.c), in the documents search_sync.c keeps.
 *
 * A query needs every one of its words. It walks the rows of its rarest
 * word best first, keeps the documents that the caller may see and that
 * also hold the other words (tested on the document's own list of words),
 * and stops at the end of the page: what it reads is bounded by the page,
 * not by how many documents match. Which word is rarest is the optimiser's
 * estimate, shared by the workers (search_estimates.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "catalog.h"
#include "search_index.h"

#define MAX_QUERY_CHARS	200
#define MAX_QUERY_WORDS	16
/* The index rows one query may read, about 20 ms of work. */
#define SEARCH_ROWS_EXAMINED	"100000"

static const char *const doc_types[] = { "database", "dataset", "service",
    NULL };
static const char *const classes[] = { "open", "shared", "restricted",
    NULL };

/* The words of q, at most MAX_QUERY_WORDS; 422 naming q otherwise. */
static int
words_or_reply(struct http_req *r, struct word *w, size_t *n)
{
	const char *q = http_param(r, "q");
	long chars = q ? utf8_length(q, strlen(q)) : -1;

	if (q == NULL || chars < 1 || chars > MAX_QUERY_CHARS)
		return invalid_field(r, "q", arena_printf(r->arena,
		    "is required, 1 to %d characters", MAX_QUERY_CHARS));
	*n = search_words(q, strlen(q), w, MAX_QUERY_WORDS);
	if (*n > MAX_QUERY_WORDS)
		return invalid_field(r, "q", arena_printf(r->arena,
		    "may hold at most %d words", MAX_QUERY_WORDS));
	if (*n == 0)
		return invalid_field(r, "q", "needs a letter or a digit");
	return 0;
}

static struct db_param
word_param(const struct word *w)
{
	return (struct db_param){ .type = DBT_STR, .s = w->s, .len = w->len };
}

/* One word's rows, as the optimiser estimates them. */
#define ESTIMATE "SELECT 1 FROM search_terms WHERE term = ?"
#define ESTIMATE4 ESTIMATE " UNION ALL " ESTIMATE " UNION ALL " ESTIMATE \
	" UNION ALL " ESTIMATE

/* A query word, its place in the query and its estimated rows. */
struct rated {
	struct word	 w;
	size_t		 at;
	long long	 n;
};

/* Rarest first; words of the same estimate in the query's order. */
static int
rarity_cmp(const void *a, const void *b)
{
	const struct rated *x = a, *y = b;

	if (x->n != y->n)
		return (x->n > y->n) - (x->n < y->n);
	return (x->at > y->at) - (x->at < y->at);
}

/* Reads the optimiser's estimate of every word in one statement (a look
 * into the index, not a count) and remembers them. Words past the query's
 * are NULL: no rows, no look. */
static int
estimate_read(struct arena *a, struct rated *rated, size_t n, time_t now)
{
	static const char *sql = "EXPLAIN " ESTIMATE4 " UNION ALL " ESTIMATE4
	    " UNION ALL " ESTIMATE4 " UNION ALL " ESTIMATE4;
	struct db_param p[MAX_QUERY_WORDS];
	struct db_rows *rows;
	int st;

	for (size_t i = 0; i < MAX_QUERY_WORDS; i++)
		p[i] = i < n ? word_param(&rated[i].w) : P_NULL;
	if ((st = db_query(a, sql, p, MAX_QUERY_WORDS, &rows)) != DS_OK)
		return st;
	for (size_t i = 0; i < n; i++)
		rated[i].n = 0;
	/* A row per part, its id the part's number (1..16); an impossible
	 * part (a NULL word) estimates nothing. */
	for (size_t r = 0; r < rows->nrows; r++) {
		long long k = db_get_int(rows, r, "id");

		if (k >= 1 && (size_t)k <= n)
			rated[k - 1].n = db_get_int(rows, r, "rows");
	}
	for (size_t i = 0; i < n; i++)
		estimate_put(&rated[i].w, rated[i].n, now);
	return DS_OK;
}

/*
 * Orders the words rarest first: the query walks the first one's rows
 * and checks the others in that order, so that a document fails as early
 * as it can. How many rows a word has is the optimiser's estimate, cheap
 * whatever the words and close enough to tell a rare word from a common
 * one; remembered for the rest of the minute by all the workers (above),
 * so that they and every spelling of a query walk the same word. Equal
 * estimates keep the query's order.
 */
static int
rarest_first(struct arena *a, struct word *w, size_t n)
{
	struct rated rated[MAX_QUERY_WORDS];
	time_t now = time(NULL);
	bool known = true;
	int st;

	if (n < 2)
		return DS_OK;
	for (size_t i = 0; i < n; i++) {
		rated[i].w = w[i];
		rated[i].at = i;
		rated[i].n = estimate_get(&w[i], now);
		known = known && rated[i].n >= 0;
	}
	if (!known && (st = estimate_read(a, rated, n, now)) != DS_OK)
		return st;
	qsort(rated, n, sizeof(rated[0]), rarity_cmp);
	for (size_t i = 0; i < n; i++)
		w[i] = rated[i].w;
	return DS_OK;
}

/*
 * The search statement for a query of k words: the first word's rows
 * drive (STRAIGHT_JOIN: in the primary key's order, so the query stops at
 * the page's end); the caller's visibility is tested on the word's row,
 * then the document is read and each other word (ALSO) is looked for in
 * its words (search_documents.words: each term's collation key in hex
 * between spaces, sql/0011_search_words.sql), so "dan" finds "dân" there
 * as the index's collation would, then the filters. So a walked row
 * costs one lookup, its document; looking each other word up in
 * search_terms by (document, word), as a scalar subquery, cost ~2.5 µs a
 * word and row, most of MariaDB's time (bench/RESULTS.md; an EXISTS was
 * worse: a semi-join that materialised every row of the word, and joins
 * on (document, word) saved only a third). ROWS EXAMINED bounds a query
 * whose words are each common but seldom together: it answers with what
 * it found (docs/catalog.md).
 */
#define SEARCH_SELECT \
	"SELECT STRAIGHT_JOIN s.doc_type AS type, s.ref_id AS id, " \
	"  s.title, s.agency_id, a.name AS agency_name, s.database_id, " \
	"  s.db_kind AS kind, s.classification, s.visibility, " \
	"  t.weight AS score "
#define SEARCH_HEAD \
	SEARCH_SELECT \
	"FROM search_terms t JOIN search_documents s ON s.id = t.doc_id " \
	"JOIN agencies a ON a.id = s.agency_id " \
	"WHERE t.term = ? AND " SEES("t.visibility", "t.agency_id")
/* The public sees public documents only: their rows have an index of
 * their own, so a subject whose datasets are all shared costs nothing. */
#define PUBLIC_HEAD \
	SEARCH_SELECT \
	"FROM search_terms t FORCE INDEX (search_terms_public) " \
	"JOIN search_documents s ON s.id = t.doc_id " \
	"JOIN agencies a ON a.id = s.agency_id " \
	"WHERE t.term = ? AND t.visibility = 'public'"
#define ALSO \
	" AND LOCATE(CONCAT(' ', HEX(WEIGHT_STRING(CONVERT(? USING utf8mb4) " \
	"  COLLATE utf8mb4_uca1400_ai_ci)), ' '), s.words) > 0"
#define SEARCH_TAIL \
	" AND (? IS NULL OR s.doc_type = ?) " \
	"  AND (? IS NULL OR s.db_kind = ?) " \
	"  AND (? IS NULL OR s.classification = ?) " \
	"  AND (? = 0 OR s.agency_id = ?) " \
	"  AND (? = 0 OR s.database_id = ?) " \
	"ORDER BY t.weight DESC, t.doc_id DESC " \
	"LIMIT ? OFFSET ? ROWS EXAMINED " SEARCH_ROWS_EXAMINED
#define ALSO2	ALSO ALSO
#define ALSO4	ALSO2 ALSO2
#define ALSO8	ALSO4 ALSO4
#define STATEMENTS(head) { \
	head SEARCH_TAIL, head ALSO SEARCH_TAIL, head ALSO2 SEARCH_TAIL, \
	head ALSO2 ALSO SEARCH_TAIL, head ALSO4 SEARCH_TAIL, \
	head ALSO4 ALSO SEARCH_TAIL, head ALSO4 ALSO2 SEARCH_TAIL, \
	head ALSO4 ALSO2 ALSO SEARCH_TAIL, head ALSO8 SEARCH_TAIL, \
	head ALSO8 ALSO SEARCH_TAIL, head ALSO8 ALSO2 SEARCH_TAIL, \
	head ALSO8 ALSO2 ALSO SEARCH_TAIL, head ALSO8 ALSO4 SEARCH_TAIL, \
	head ALSO8 ALSO4 ALSO SEARCH_TAIL, head ALSO8 ALSO4 ALSO2 SEARCH_TAIL, \
	head ALSO8 ALSO4 ALSO2 ALSO SEARCH_TAIL }

/* By caller (0: with a token, 1: the public), then by the query's number
 * of words less one. One array, indexed: UBSan (gcc 12) took a load from
 * a conditional between two arrays for an overflow of the other. */
static const char *const search_sql[2][MAX_QUERY_WORDS] = {
	STATEMENTS(SEARCH_HEAD),
	STATEMENTS(PUBLIC_HEAD),
};

/*
 * GET /search?q=&type=&kind=&classification=&agency_id=&database_id=
 * Public without a token (published open data only). Best matches
 * first: the weight of the query's rarest word in the document (a title
 * word first, the shorter the title the better), then the newest
 * document; an offset cursor pages through that order.
 */
void
search(struct http_req *r)
{
	enum { Q_Q, Q_TYPE, Q_KIND, Q_CLASS, Q_AGENCY, Q_DATABASE, Q__N };
	/* q itself is read by words_or_reply; declared so that it is known. */
	static const struct field query[Q__N] = {
		[Q_Q] = { "q", F_TEXT, false, 0, 0, NULL },
		[Q_TYPE] = { "type", F_ENUM, false, 0, 0, doc_types },
		[Q_KIND] = { "kind", F_ENUM, false, 0, 0, db_kinds },
		[Q_CLASS] = { "classification", F_ENUM, false, 0, 0, classes },
		[Q_AGENCY] = { "agency_id", F_ID, false, 0, 0, NULL },
		[Q_DATABASE] = { "database_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *type, *kind, *cls;
	long long agency, database;
	struct word w[MAX_QUERY_WORDS + 1];
	struct opage pg;
	size_t n = 0;
	int st = DS_OK;

	if (http_query_or_reply(r, query, Q__N, q) ||
	    words_or_reply(r, w, &n) || http_opage_or_reply(r, &pg))
		return;
	type = q[Q_TYPE].s;
	kind = q[Q_KIND].s;
	cls = q[Q_CLASS].s;
	agency = q[Q_AGENCY].i;
	database = q[Q_DATABASE].i;
	if ((st = rarest_first(r->arena, w, n)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	{
		bool anyone = !r->who.authenticated;
		struct db_param head[] = { word_param(&w[0]),
		    SEES_PARAMS(&r->who) };
		struct db_param tail[] = { P_STR(type), P_STR(type),
		    P_STR(kind), P_STR(kind), P_STR(cls), P_STR(cls),
		    P_INT(agency), P_INT(agency), P_INT(database),
		    P_INT(database), P_INT(pg.limit), P_INT(pg.offset) };
		struct db_param p[NPARAMS(head) + MAX_QUERY_WORDS +
		    NPARAMS(tail)];
		/* The public statement has no SEES parameters. */
		size_t np = anyone ? 1 : NPARAMS(head);

		memcpy(p, head, np * sizeof(head[0]));
		for (size_t i = 1; i < n; i++)
			p[np++] = word_param(&w[i]);
		memcpy(p + np, tail, sizeof(tail));
		np += NPARAMS(tail);
		opage_query_reply(r, &pg, search_sql[anyone][n - 1], p, np);
	}
}
