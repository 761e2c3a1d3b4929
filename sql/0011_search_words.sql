-- Search: each document's words, kept on the document (R2.4).
--
-- A query walks its rarest word's rows in search_terms best first and
-- needs the document to hold its other words too. It looked each of them
-- up in search_terms by (doc_id, term): one index lookup per other word
-- and walked row, about 2.5 µs each, 600 of them for a query such as
-- "dữ liệu dân cư", most of MariaDB's time per search (bench/RESULTS.md).
-- Now the document, which the query reads anyway, carries its words and
-- the other words are tested on it with LOCATE: one lookup per walked row.
--
-- The words are kept as the collation folds them, so that a byte search
-- answers exactly as `term = ?` in the collation utf8mb4_uca1400_ai_ci did,
-- for every script: each distinct term of the document as
-- HEX(WEIGHT_STRING(term)), separated and surrounded by single spaces
-- (' 20BF2075 ... '); a query word is found with
-- LOCATE(CONCAT(' ', HEX(WEIGHT_STRING(?)), ' '), words). Hex keeps a
-- word's key from matching inside another's. Written by the catalog
-- (search_index.c) from the document's search_terms rows in the same
-- transaction, and here once for the documents indexed so far.
ALTER TABLE search_documents ADD COLUMN words MEDIUMBLOB NOT NULL DEFAULT '';

-- A document has at most 20,000 words (search_index.c), up to 64
-- characters each: more than group_concat_max_len's default of 1 MiB.
SET SESSION group_concat_max_len = 16777216;
UPDATE search_documents s
  JOIN (SELECT doc_id, CONCAT(' ', GROUP_CONCAT(HEX(WEIGHT_STRING(term))
          SEPARATOR ' '), ' ') AS words
        FROM search_terms GROUP BY doc_id) w ON w.doc_id = s.id
  SET s.words = w.words;

-- No new privilege: the catalog already writes search_documents
-- (SELECT, INSERT, UPDATE in 0002) and reads search_terms (0008).
