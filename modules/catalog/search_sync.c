/*
 * Keeping the search documents in step with the catalog (R2.4, Art.
 * 16.2.c).
 *
 * One table, search_documents, holds a document per record: its filters
 * (agency, database, kind, classification), who may see it, its title
 * and one text (names, descriptions, keywords, field names). Its words
 * are in search_terms (search_index.c), whose collation folds case and
 * Vietnamese diacritics, đ included, so "dat dai" finds "Đất đai" and
 * "y te" finds "Cơ sở y tế". Handlers keep both in step inside their own
 * transactions with search_sync_*(), which copy the record's document
 * from the view search_source (sql/0002_catalog.sql) and index it again.
 * The query is search.c.
 */
#include "ds.h"
#include "catalog.h"
#include "search_index.h"

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

#define SYNC_SELECT \
	"SELECT id, title, content, visibility, agency_id " \
	"FROM search_documents "

/* Copies the documents of record id from search_source (copy), then
 * indexes them again (docs, which names id nid times). */
static int
sync(const char *copy, const char *docs, size_t nid, long long id)
{
	struct db_param p[] = { P_INT(id), P_INT(id) };
	int st;

	if ((st = db_exec(copy, p, 1, NULL, NULL)) != DS_OK)
		return st;
	return search_index(docs, p, nid, NULL);
}

/* A database, its datasets and their services: the database's kind,
 * status and agency show in all of them. */
int
search_sync_database(long long id)
{
	static const char *copy = SYNC_INSERT "WHERE database_id = ?"
	    SYNC_UPDATE;
	static const char *docs = SYNC_SELECT "WHERE database_id = ?";

	return sync(copy, docs, 1, id);
}

/* A dataset and its services, whose visibility follows the dataset's. */
int
search_sync_dataset(long long id)
{
	static const char *copy = SYNC_INSERT "WHERE dataset_id = ?"
	    SYNC_UPDATE;
	static const char *docs = SYNC_SELECT
	    "WHERE doc_type = 'dataset' AND ref_id = ? UNION ALL "
	    "SELECT s.id, s.title, s.content, s.visibility, s.agency_id "
	    "FROM services v "
	    "JOIN search_documents s ON s.doc_type = 'service' "
	    "  AND s.ref_id = v.id WHERE v.dataset_id = ?";

	return sync(copy, docs, 2, id);
}

int
search_sync_service(long long id)
{
	static const char *copy = SYNC_INSERT
	    "WHERE doc_type = 'service' AND ref_id = ?" SYNC_UPDATE;
	static const char *docs = SYNC_SELECT
	    "WHERE doc_type = 'service' AND ref_id = ?";

	return sync(copy, docs, 1, id);
}
