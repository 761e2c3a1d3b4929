-- Search index (R2.4): one row per word of each search document, written
-- by the catalog module with the document (modules/catalog/search_index.c)
-- and by `datashare-admin search index` after a bulk load or this
-- migration (existing documents have no words until it runs).
--
-- A query walks one word's rows best first (the primary key) and checks
-- its other words by (doc_id, term), stopping at the end of its page:
-- its cost no longer grows with the documents that match, as InnoDB's
-- FULLTEXT ranking did (bench/RESULTS.md). term's collation folds case and
-- Vietnamese diacritics, đ included: "dat" finds "Đất". The FULLTEXT index
-- it replaces goes; documents get an index by database, which the catalog
-- indexes again when a database changes.
CREATE TABLE search_terms (
  term      VARCHAR(64) NOT NULL COLLATE utf8mb4_uca1400_ai_ci,
  weight    SMALLINT UNSIGNED NOT NULL,
  doc_id    BIGINT UNSIGNED NOT NULL,
  -- The document's, repeated so that who may see it is known from the
  -- word's row: a query reads a document only if the caller sees it.
  visibility ENUM('public','agencies','owner') NOT NULL,
  agency_id  BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (term, weight, doc_id),
  -- No foreign key to search_documents: its check would double the cost
  -- of writing the index, and documents are never removed.
  UNIQUE KEY search_terms_doc (doc_id, term),
  -- The public's walk: only public documents' rows, best first.
  KEY search_terms_public (term, visibility, weight, doc_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

ALTER TABLE search_documents DROP INDEX search_documents_content,
  ADD KEY search_documents_database (database_id);

-- DELETE: a changed document's old words are replaced by its new ones.
GRANT SELECT, INSERT, UPDATE, DELETE ON search_terms TO datashare_app;
