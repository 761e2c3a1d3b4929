/*
 * Search over databases, datasets and services (R2.4, Art. 16.2.c).
 *
 * One table, search_documents, holds a document per record: its filters
 * (agency, database, kind, classification), who may see it and one text
 * column (names, descriptions, keywords, field names) under a FULLTEXT
 * index. The collation folds case and Vietnamese diacritics, đ included,
 * and the server indexes one-letter syllables, so "dat dai" finds "Đất
 * đai" and "y te" finds "Cơ sở y tế". Handlers keep the documents in step
 * inside their own transactions with search_sync_*(), which copy the
 * record's document from the view search_source (sql/0002_catalog.sql).
 */
#include <ctype.h>
#include <string.h>

#include "ds.h"
#include "catalog.h"

#define MAX_QUERY_CHARS	200
#define MAX_QUERY_WORDS	16

#define SYNC_INSERT \
	"INSERT INTO search_documents (doc_type, ref_id, agency_id, " \
	"  database_id, db_kind, classification, visibility, title, content) " \
	"SELECT doc_type, ref_id, agency_id, database_id, db_kind, " \
	"  classification, visibility, title, content FROM search_source "
#define SYNC_UPDATE \
	" ON DUPLICATE KEY UPDATE agency_id = VALUES(agency_id), " \
	"  database_id = VALUES(database_id), db_kind = VALUES(db_kind), " \
	"  classification = VALUES(classification), " \
	"  visibility = VALUES(visibility), title = VALUES(title), " \
	"  content = VALUES(content)"

static int
sync(const char *sql, long long id)
{
	struct db_param p[] = { P_INT(id) };

	return db_exec(sql, p, 1, NULL, NULL);
}

/* A database, its datasets and their services: the database's kind,
 * status and agency show in all of them. */
int
search_sync_database(long long id)
{
	static const char *sql = SYNC_INSERT "WHERE database_id = ?"
	    SYNC_UPDATE;

	return sync(sql, id);
}

/* A dataset and its services, whose visibility follows the dataset's. */
int
search_sync_dataset(long long id)
{
	static const char *sql = SYNC_INSERT "WHERE dataset_id = ?"
	    SYNC_UPDATE;

	return sync(sql, id);
}

int
search_sync_service(long long id)
{
	static const char *sql = SYNC_INSERT
	    "WHERE doc_type = 'service' AND ref_id = ?" SYNC_UPDATE;

	return sync(sql, id);
}

/* Decodes one UTF-8 code point at s (valid UTF-8, checked by the query
 * parser); returns its length. */
static size_t
utf8_next(const unsigned char *s, unsigned long *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*cp = ((s[0] & 0x1fUL) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0) {
		*cp = ((s[0] & 0x0fUL) << 12) | ((s[1] & 0x3fUL) << 6) |
		    (s[2] & 0x3f);
		return 3;
	}
	*cp = ((s[0] & 0x07UL) << 18) | ((s[1] & 0x3fUL) << 12) |
	    ((s[2] & 0x3fUL) << 6) | (s[3] & 0x3f);
	return 4;
}

/* Letters, digits, '_' and combining marks make words; ASCII punctuation
 * (the boolean operators + - < > ( ) ~ * " @ among it), Latin-1 symbols
 * and the general and CJK punctuation blocks separate them. */
static bool
word_char(unsigned long cp)
{
	if (cp < 0x80)
		return isalnum((int)cp) || cp == '_';
	if (cp < 0xc0 || cp == 0xd7 || cp == 0xf7)
		return false;
	if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) ||
	    (cp >= 0xff00 && cp <= 0xff0f))
		return false;
	return true;
}

/*
 * Builds the boolean-mode query: every word of q required ("+word"),
 * operators dropped, so input cannot change the query's meaning. Returns
 * the number of words (0: none), or -1 when there are too many; *out is
 * an arena string.
 */
static int
boolean_query(struct arena *a, const char *q, char **out)
{
	size_t len = strlen(q), i = 0, o = 0;
	char *buf = arena_alloc(a, 2 * len + 2);
	int words = 0;
	bool in_word = false;

	while (i < len) {
		unsigned long cp;
		size_t n = utf8_next((const unsigned char *)q + i, &cp);

		if (i + n > len)
			break;
		if (word_char(cp)) {
			if (!in_word) {
				if (++words > MAX_QUERY_WORDS)
					return -1;
				if (o > 0)
					buf[o++] = ' ';
				buf[o++] = '+';
				in_word = true;
			}
			memcpy(buf + o, q + i, n);
			o += n;
		} else
			in_word = false;
		i += n;
	}
	buf[o] = '\0';
	*out = buf;
	return words;
}

static const char *const doc_types[] = { "database", "dataset", "service",
    NULL };
static const char *const classes[] = { "open", "shared", "restricted",
    NULL };

/* Reads q and builds its boolean query; 422 naming q otherwise. */
static int
query_or_reply(struct http_req *r, char **boolq)
{
	const char *q = http_param(r, "q");
	long chars = q ? utf8_length(q, strlen(q)) : -1;
	int words;

	if (q == NULL || chars < 1 || chars > MAX_QUERY_CHARS)
		return invalid_field(r, "q", arena_printf(r->arena,
		    "is required, 1 to %d characters", MAX_QUERY_CHARS));
	if ((words = boolean_query(r->arena, q, boolq)) < 0)
		return invalid_field(r, "q", arena_printf(r->arena,
		    "may hold at most %d words", MAX_QUERY_WORDS));
	if (words == 0)
		return invalid_field(r, "q", "needs a letter or a digit");
	return 0;
}

/*
 * GET /search?q=&type=&kind=&classification=&agency_id=&database_id=
 * Public without a token (published open data only). Best matches
 * first: relevance, then the document's age; an offset cursor pages
 * through that order.
 */
void
search(struct http_req *r)
{
	static const char *sql =
	    "SELECT s.doc_type AS type, s.ref_id AS id, s.title, "
	    "  s.agency_id, a.name AS agency_name, s.database_id, "
	    "  s.db_kind AS kind, s.classification, s.visibility, "
	    "  MATCH(s.content) AGAINST(? IN BOOLEAN MODE) AS score "
	    "FROM search_documents s JOIN agencies a ON a.id = s.agency_id "
	    "WHERE MATCH(s.content) AGAINST(? IN BOOLEAN MODE) "
	    "  AND " SEES("s.visibility", "s.agency_id")
	    "  AND (? IS NULL OR s.doc_type = ?) "
	    "  AND (? IS NULL OR s.db_kind = ?) "
	    "  AND (? IS NULL OR s.classification = ?) "
	    "  AND (? = 0 OR s.agency_id = ?) "
	    "  AND (? = 0 OR s.database_id = ?) "
	    "ORDER BY score DESC, s.id LIMIT ? OFFSET ?";
	const char *type, *kind, *cls;
	long long agency, database;
	struct opage pg;
	struct db_rows *rows;
	char *q = NULL;
	int st;

	if (query_or_reply(r, &q) ||
	    enum_param_or_reply(r, "type", doc_types, &type) ||
	    enum_param_or_reply(r, "kind", db_kinds, &kind) ||
	    enum_param_or_reply(r, "classification", classes, &cls) ||
	    http_param_int_or_reply(r, "agency_id", 0, 1, 1LL << 53, &agency) ||
	    http_param_int_or_reply(r, "database_id", 0, 1, 1LL << 53,
	    &database) || opage_or_reply(r, &pg))
		return;
	{
		struct db_param p[] = { P_STR(q), P_STR(q),
		    SEES_PARAMS(&r->who), P_STR(type), P_STR(type),
		    P_STR(kind), P_STR(kind), P_STR(cls), P_STR(cls),
		    P_INT(agency), P_INT(agency), P_INT(database),
		    P_INT(database), P_INT(pg.limit), P_INT(pg.offset) };

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	opage_reply(r, &pg, db_rows_json(rows));
}
