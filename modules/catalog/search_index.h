/*
 * The search index's words (modules/catalog/search_index.c): shared by
 * the catalog module, which keeps the index in step with each change, and
 * by datashare-admin, which rebuilds it after a bulk load or a migration.
 */
#ifndef SEARCH_INDEX_H
#define SEARCH_INDEX_H

#include <stddef.h>

#include "ds.h"

/* Longer words are cut to this many characters, in documents and queries
 * alike (the column search_terms.term). */
#define TERM_MAX_CHARS	64

struct word {
	const char	*s;
	size_t		 len;
};

/*
 * Splits text into its words: runs of letters, digits, '_' and combining
 * marks; ASCII punctuation (the boolean operators among it), Latin-1
 * symbols and the punctuation blocks separate them. Each word is cut to
 * TERM_MAX_CHARS characters. Fills at most max words and returns how many
 * text holds (which may be more than max).
 */
size_t	 search_words(const char *text, size_t len, struct word *out,
	    size_t max);

/*
 * Indexes again the search documents sql selects (columns id, title,
 * content, visibility, agency_id; p binds its parameters): each document's old words are
 * removed, its new ones written with their weights. Runs in the caller's
 * transaction. Returns DS_OK or a DS_ status; *ndocs (may be NULL) gets
 * the documents indexed.
 */
int	 search_index(const char *sql, const struct db_param *p, size_t np,
	    long *ndocs);

#endif
