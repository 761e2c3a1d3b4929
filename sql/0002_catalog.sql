-- Catalog: focal points, databases and their yearly reviews, datasets,
-- sharing services, catalog proposals and issued versions, assessments,
-- open-data updates and the search documents (R1, R2, R3, R9.1).
--
-- Column names other modules rely on are fixed by notes/contract.md:
-- `databases` (id, agency_id, kind, name, status), datasets (id,
-- database_id, title, description, keywords, classification, excluded,
-- status, published_at, fields_json, update_due_at, views, downloads),
-- services (id, dataset_id, agency_id, name, protocol, endpoint, version,
-- guide, status). DATABASES is a reserved word: always write `databases`.

-- Full-text indexes below are built without a stopword list: InnoDB's
-- default one holds "an", "la", "de", "in", "i" ..., which are Vietnamese
-- syllables once diacritics fold ("Tuy An", "là", "để"); a stopword is never
-- indexed, so "tuy an" would find nothing. The setting is read when an
-- index is built, so it holds for this file's session only; an index
-- rebuilt later (ALTER TABLE, OPTIMIZE with innodb_optimize_fulltext_only
-- off) must be rebuilt with the same session setting (docs/catalog.md).
SET SESSION innodb_ft_enable_stopword = OFF;

-- Focal points (Art. 15.1.b): one current officer per agency, the history
-- kept. current_agency is the agency for the current holder and NULL for
-- past ones, so the unique key allows exactly one current holder.
CREATE TABLE focal_points (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  agency_id       BIGINT UNSIGNED NOT NULL,
  name            VARCHAR(255) NOT NULL,
  title           VARCHAR(255) NULL,
  email           VARCHAR(255) NOT NULL,
  phone           VARCHAR(32) NULL,
  account_id      BIGINT UNSIGNED NULL,
  appointed_by    BIGINT UNSIGNED NULL,
  started_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  ended_at        DATETIME(6) NULL,
  current_agency  BIGINT UNSIGNED AS (IF(ended_at IS NULL, agency_id, NULL)) PERSISTENT,
  UNIQUE KEY focal_points_current (current_agency),
  KEY focal_points_agency (agency_id, id),
  CONSTRAINT focal_points_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id),
  CONSTRAINT focal_points_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Databases (R1.1): the Art. 7.2 fields, the hosting location (Art. 8.3:
-- a shared database sits at the provincial data centre, enforced here too).
CREATE TABLE `databases` (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  agency_id        BIGINT UNSIGNED NOT NULL,
  kind             ENUM('shared','specialized') NOT NULL,
  name             VARCHAR(255) NOT NULL,
  managing_unit    VARCHAR(255) NULL,
  objective        TEXT NULL,
  scope            TEXT NULL,
  master_data      TEXT NULL,
  users_purposes   TEXT NULL,
  sources          TEXT NULL,
  sharing_methods  TEXT NULL,
  location         ENUM('provincial_data_centre','agency','national','other') NOT NULL,
  location_detail  VARCHAR(255) NULL,
  status           ENUM('draft','listed','withdrawn') NOT NULL DEFAULT 'draft',
  listed_at        DATETIME(6) NULL,
  withdrawn_at     DATETIME(6) NULL,
  created_by       BIGINT UNSIGNED NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY databases_agency_name (agency_id, name),
  KEY databases_kind_status (kind, status),
  CONSTRAINT databases_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id),
  CONSTRAINT databases_shared_at_dc
    CHECK (kind <> 'shared' OR location = 'provincial_data_centre')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- The yearly review of each database by its owner (Art. 7.2).
CREATE TABLE database_reviews (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  database_id  BIGINT UNSIGNED NOT NULL,
  agency_id    BIGINT UNSIGNED NOT NULL,
  year         SMALLINT UNSIGNED NOT NULL,
  outcome      ENUM('current','changes_needed') NOT NULL,
  notes        TEXT NULL,
  reviewed_by  BIGINT UNSIGNED NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY database_reviews_year (database_id, year),
  KEY database_reviews_agency (agency_id, year),
  CONSTRAINT database_reviews_database_fk FOREIGN KEY (database_id) REFERENCES `databases` (id),
  CONSTRAINT database_reviews_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Datasets (R2.1). keywords is a JSON array of strings; fields_json the
-- structure description, a JSON array of {name, type, meaning, personal}
-- (Art. 12.2). Excluded data (Art. 1.2: state secret, internal, temporary)
-- can only be restricted, whatever the code does.
CREATE TABLE datasets (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  database_id       BIGINT UNSIGNED NOT NULL,
  title             VARCHAR(500) NOT NULL,
  description       TEXT NULL,
  keywords          TEXT NOT NULL DEFAULT '[]',
  update_frequency  ENUM('realtime','daily','weekly','monthly','quarterly','yearly','irregular')
                    NOT NULL DEFAULT 'irregular',
  classification    ENUM('open','shared','restricted') NOT NULL DEFAULT 'restricted',
  excluded          TINYINT(1) NOT NULL DEFAULT 0,
  exclusion_reason  ENUM('state_secret','internal','temporary') NULL,
  status            ENUM('draft','published','withdrawn') NOT NULL DEFAULT 'draft',
  published_at      DATETIME(6) NULL,
  fields_json       LONGTEXT NOT NULL DEFAULT '[]',
  technical_guide   TEXT NULL,
  sharing_methods   TEXT NULL,
  update_due_at     DATETIME(6) NULL,
  data_updated_at   DATETIME(6) NULL,
  views             BIGINT UNSIGNED NOT NULL DEFAULT 0,
  downloads         BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_by        BIGINT UNSIGNED NULL,
  created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY datasets_database_title (database_id, title),
  KEY datasets_status_class (status, classification),
  KEY datasets_due (update_due_at),
  CONSTRAINT datasets_database_fk FOREIGN KEY (database_id) REFERENCES `databases` (id),
  CONSTRAINT datasets_fields_json CHECK (JSON_VALID(fields_json)),
  CONSTRAINT datasets_keywords_json CHECK (JSON_VALID(keywords)),
  CONSTRAINT datasets_excluded_restricted
    CHECK (excluded = 0 OR (classification = 'restricted' AND status <> 'published'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Who may see a dataset (and its services), in one place for every query
-- and for the search documents: 'public' (published open data, anyone),
-- 'agencies' (published shared data, every authenticated caller), 'owner'
-- (the owner agency and the oversight roles only). A published dataset of
-- a database that is no longer listed is seen by its owner only.
CREATE FUNCTION dataset_visibility(d_status VARCHAR(16), d_excluded TINYINT,
    d_class VARCHAR(16), db_status VARCHAR(16))
RETURNS VARCHAR(8) CHARACTER SET ascii
DETERMINISTIC NO SQL SQL SECURITY INVOKER
RETURN CASE
  WHEN d_status <> 'published' OR d_excluded <> 0 OR db_status <> 'listed' THEN 'owner'
  WHEN d_class = 'open' THEN 'public'
  WHEN d_class = 'shared' THEN 'agencies'
  ELSE 'owner'
END;

-- Recorded updates of published data (Art. 10.4: open data is updated
-- within 3 months of publication or of its last update).
CREATE TABLE dataset_updates (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dataset_id   BIGINT UNSIGNED NOT NULL,
  note         TEXT NOT NULL,
  recorded_by  BIGINT UNSIGNED NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY dataset_updates_dataset (dataset_id, id),
  CONSTRAINT dataset_updates_dataset_fk FOREIGN KEY (dataset_id) REFERENCES datasets (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- The sharing-service registry (Art. 9). agency_id is the provider: the
-- agency of the dataset's database when the service is registered.
CREATE TABLE services (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dataset_id     BIGINT UNSIGNED NOT NULL,
  agency_id      BIGINT UNSIGNED NOT NULL,
  name           VARCHAR(255) NOT NULL,
  protocol       ENUM('rest','soap','sftp','file','other') NOT NULL,
  endpoint       VARCHAR(1000) NOT NULL,
  version        VARCHAR(32) NOT NULL,
  guide          TEXT NULL,
  status         ENUM('active','deprecated') NOT NULL DEFAULT 'active',
  deprecated_at  DATETIME(6) NULL,
  created_by     BIGINT UNSIGNED NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY services_dataset (dataset_id),
  KEY services_agency (agency_id, id),
  CONSTRAINT services_dataset_fk FOREIGN KEY (dataset_id) REFERENCES datasets (id),
  CONSTRAINT services_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Issued versions of the shared-database catalog (Art. 7.1). The snapshot
-- is the whole shared catalog as issued; the application may only insert
-- and read rows, so a version stays as it was issued.
CREATE TABLE catalog_versions (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  number         VARCHAR(64) NOT NULL,
  decision_ref   VARCHAR(255) NOT NULL,
  issued_on      DATE NOT NULL,
  issued_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  issued_by      BIGINT UNSIGNED NULL,
  changes        INT UNSIGNED NOT NULL,
  snapshot_json  LONGTEXT NOT NULL,
  UNIQUE KEY catalog_versions_number (number),
  CONSTRAINT catalog_versions_snapshot_json CHECK (JSON_VALID(snapshot_json))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Proposals to add, modify or withdraw a shared database (Art. 7.2-7.4).
-- add: the Art. 7.2 fields a)-g) (name .. sharing_methods) and location,
--   justified against Art. 7.3 a) legal_value, b) master_data_reference,
--   c) serves_procedures;
-- modify: the changed fields and a reason;
-- withdraw: Art. 7.4 a) replacement, b) master_data_reference,
--   c) serves_procedures (of the replacement).
-- open_database allows one open proposal per database at a time.
CREATE TABLE catalog_proposals (
  id                     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind                   ENUM('add','modify','withdraw') NOT NULL,
  agency_id              BIGINT UNSIGNED NOT NULL,
  database_id            BIGINT UNSIGNED NULL,
  status                 ENUM('submitted','returned','recommended','rejected','approved','issued')
                         NOT NULL DEFAULT 'submitted',
  name                   VARCHAR(255) NULL,
  managing_unit          VARCHAR(255) NULL,
  objective              TEXT NULL,
  scope                  TEXT NULL,
  master_data            TEXT NULL,
  users_purposes         TEXT NULL,
  sources                TEXT NULL,
  sharing_methods        TEXT NULL,
  location               ENUM('provincial_data_centre','agency','national','other') NULL,
  location_detail        VARCHAR(255) NULL,
  legal_value            TEXT NULL,
  master_data_reference  TEXT NULL,
  serves_procedures      TEXT NULL,
  replacement            TEXT NULL,
  reason                 TEXT NULL,
  filed_by               BIGINT UNSIGNED NULL,
  review_action          ENUM('recommend','return','reject') NULL,
  review_notes           TEXT NULL,
  reviewed_by            BIGINT UNSIGNED NULL,
  reviewed_at            DATETIME(6) NULL,
  decision               ENUM('approve','reject') NULL,
  decision_notes         TEXT NULL,
  decided_by             BIGINT UNSIGNED NULL,
  decided_at             DATETIME(6) NULL,
  version_id             BIGINT UNSIGNED NULL,
  created_at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  open_database          BIGINT UNSIGNED AS (IF(status IN
                           ('submitted','returned','recommended','approved'),
                           database_id, NULL)) PERSISTENT,
  UNIQUE KEY catalog_proposals_open_database (open_database),
  KEY catalog_proposals_status (status, id),
  KEY catalog_proposals_agency (agency_id, id),
  CONSTRAINT catalog_proposals_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id),
  CONSTRAINT catalog_proposals_database_fk FOREIGN KEY (database_id) REFERENCES `databases` (id),
  CONSTRAINT catalog_proposals_version_fk FOREIGN KEY (version_id) REFERENCES catalog_versions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Data quality assessments (Art. 6.2, ND47 Art. 16). criteria_json maps
-- each configured criterion to "pass" or "fail". A record of an
-- inspection is never edited: a re-inspection is a new row.
CREATE TABLE assessments (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dataset_id        BIGINT UNSIGNED NOT NULL,
  agency_id         BIGINT UNSIGNED NOT NULL,
  year              SMALLINT UNSIGNED NOT NULL,
  assessor          VARCHAR(255) NOT NULL,
  criteria_json     LONGTEXT NOT NULL,
  verdict           ENUM('pass','fail') NOT NULL,
  findings          TEXT NULL,
  remediation_plan  TEXT NULL,
  remediation_due   DATE NULL,
  recorded_by       BIGINT UNSIGNED NULL,
  created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY assessments_dataset (dataset_id, year, id),
  KEY assessments_year (year, verdict),
  CONSTRAINT assessments_dataset_fk FOREIGN KEY (dataset_id) REFERENCES datasets (id),
  CONSTRAINT assessments_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id),
  CONSTRAINT assessments_criteria_json CHECK (JSON_VALID(criteria_json)),
  CONSTRAINT assessments_fail_has_plan
    CHECK (verdict = 'pass' OR (remediation_plan IS NOT NULL AND remediation_due IS NOT NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Search (R2.4): one document per database, dataset and service, kept in
-- step by the handlers inside their transactions (modules/catalog/search.c)
-- from the view below, so one MATCH query with filters and paging serves
-- all three. content folds case and diacritics (the collation) and is
-- indexed with single-letter tokens (innodb_ft_min_token_size=1).
CREATE TABLE search_documents (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  doc_type        ENUM('database','dataset','service') NOT NULL,
  ref_id          BIGINT UNSIGNED NOT NULL,
  agency_id       BIGINT UNSIGNED NOT NULL,
  database_id     BIGINT UNSIGNED NOT NULL,
  db_kind         ENUM('shared','specialized') NOT NULL,
  classification  ENUM('open','shared','restricted') NULL,
  visibility      ENUM('public','agencies','owner') NOT NULL,
  title           VARCHAR(500) NOT NULL,
  content         MEDIUMTEXT NOT NULL,
  UNIQUE KEY search_documents_ref (doc_type, ref_id),
  KEY search_documents_agency (agency_id),
  FULLTEXT KEY search_documents_content (content)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- What each search document says, derived from the catalog: names,
-- descriptions, keywords and (for datasets) the structure's field names.
-- A database is seen by every agency once listed, as published shared
-- data is, and by its owner only before (dataset_visibility says both).
CREATE SQL SECURITY INVOKER VIEW search_source AS
SELECT 'database' AS doc_type, b.id AS ref_id, b.agency_id,
       b.id AS database_id, CAST(NULL AS UNSIGNED) AS dataset_id,
       b.kind AS db_kind, NULL AS classification,
       dataset_visibility('published', 0, 'shared', b.status) AS visibility,
       b.name AS title,
       CONCAT_WS(' ', b.name, b.managing_unit, b.objective, b.scope,
                 b.master_data) AS content
  FROM `databases` b
UNION ALL
SELECT 'dataset', d.id, b.agency_id, b.id, d.id, b.kind, d.classification,
       dataset_visibility(d.status, d.excluded, d.classification, b.status),
       d.title,
       CONCAT_WS(' ', d.title, d.description, d.keywords,
                 JSON_EXTRACT(d.fields_json, '$[*].name'))
  FROM datasets d JOIN `databases` b ON b.id = d.database_id
UNION ALL
SELECT 'service', s.id, s.agency_id, b.id, d.id, b.kind, d.classification,
       dataset_visibility(d.status, d.excluded, d.classification, b.status),
       s.name, CONCAT_WS(' ', s.name, d.title, s.protocol, s.version)
  FROM services s JOIN datasets d ON d.id = s.dataset_id
  JOIN `databases` b ON b.id = d.database_id;

GRANT SELECT, INSERT, UPDATE ON focal_points TO datashare_app;
GRANT SELECT, INSERT, UPDATE ON `databases` TO datashare_app;
GRANT SELECT, INSERT ON database_reviews TO datashare_app;
-- UPDATE on datasets covers the sharing module's downloads counter.
GRANT SELECT, INSERT, UPDATE ON datasets TO datashare_app;
GRANT SELECT, INSERT ON dataset_updates TO datashare_app;
GRANT SELECT, INSERT, UPDATE ON services TO datashare_app;
GRANT SELECT, INSERT ON catalog_versions TO datashare_app;
GRANT SELECT, INSERT, UPDATE ON catalog_proposals TO datashare_app;
GRANT SELECT, INSERT ON assessments TO datashare_app;
GRANT SELECT, INSERT, UPDATE ON search_documents TO datashare_app;
GRANT SELECT ON search_source TO datashare_app;
GRANT EXECUTE ON FUNCTION dataset_visibility TO datashare_app;
