/*
 * search index: writes the catalog's search index (search_terms) for the
 * search documents that have none, or for all of them with --all. The
 * catalog module keeps the index in step with each change; this is for
 * after a bulk load that wrote search_documents with SQL (the demo data,
 * the benchmark), and once after migration 0008, which created the index
 * empty. The words and weights are the catalog's own (search_index.c).
 */
#include <err.h>
#include <stdio.h>

#include "admin.h"
#include "../catalog/search_index.h"

/* Documents indexed per transaction. */
#define BATCH_TEXT	"500"

int
cmd_search_index(int argc, char **argv)
{
	static const char *missing =
	    "SELECT d.id, d.title, d.content, d.visibility, d.agency_id "
	    "FROM search_documents d "
	    "WHERE d.id > ? AND NOT EXISTS (SELECT 1 FROM search_terms t "
	    "  WHERE t.doc_id = d.id) ORDER BY d.id LIMIT " BATCH_TEXT;
	static const char *every =
	    "SELECT d.id, d.title, d.content, d.visibility, d.agency_id "
	    "FROM search_documents d "
	    "WHERE d.id > ? ORDER BY d.id LIMIT " BATCH_TEXT;
	static const char *last =
	    "SELECT COALESCE(MAX(id), 0) AS id FROM (SELECT id FROM "
	    "search_documents WHERE id > ? ORDER BY id LIMIT " BATCH_TEXT ") b";
	const struct cmd *c = cmd_find(cmd_search_index);
	const char *all = NULL;
	const struct opt o[] = { { "all", true, &all, false } };
	struct arena *a;
	long long after = 0, total = 0;
	int st = DS_OK;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0 ||
	    admin_connect() != 0)
		return -1;
	a = arena_new();
	for (;;) {
		struct db_param p[] = { P_INT(after) };
		struct db_rows *rows;
		long n = 0;

		/* Each batch ends where the next starts, whether or not its
		 * documents needed indexing. */
		if ((st = db_query(a, last, p, 1, &rows)) != DS_OK ||
		    db_get_int(rows, 0, "id") == 0)
			break;
		if ((st = db_begin()) != DS_OK ||
		    (st = search_index(all ? every : missing, p, 1, &n)) !=
		    DS_OK || (st = db_commit()) != DS_OK)
			break;
		total += n;
		after = db_get_int(rows, 0, "id");
		arena_reset(a);
	}
	arena_free(a);
	if (admin_db_check(st, "indexing the search documents") != 0) {
		db_rollback();
		return -1;
	}
	printf("search: indexed %lld document%s\n", total,
	    total == 1 ? "" : "s");
	return 0;
}
