-- Sharing: requests and their decisions, grants, grant accounts, the
-- warehouse's files, the access log, usage reports and error reports
-- (R4, R5, R6; Art. 13, 14.5, 16, 17). Needs 0002_catalog (datasets,
-- services and `databases`, per the table contract).

-- Public holidays, kept by DIC: working days are weekdays that are not
-- listed here (decision deadlines, Decree 47/2020 Art. 35.3).
CREATE TABLE holidays (
  day         DATE NOT NULL PRIMARY KEY,
  name        VARCHAR(255) NOT NULL,
  name_en     VARCHAR(255) NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- A consumer agency's request for a dataset (or one of its services).
-- Term: fixed (starts_at, ends_at) or indefinite (ends_at NULL), Art. 14.5.
CREATE TABLE sharing_requests (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  consumer_agency_id  BIGINT UNSIGNED NOT NULL,
  provider_agency_id  BIGINT UNSIGNED NOT NULL,
  dataset_id          BIGINT UNSIGNED NOT NULL,
  service_id          BIGINT UNSIGNED NULL,
  purpose             TEXT NOT NULL,
  legal_basis         TEXT NOT NULL,
  fields_json         LONGTEXT NOT NULL,
  term                ENUM('fixed','indefinite') NOT NULL,
  starts_at           DATETIME(6) NOT NULL,
  ends_at             DATETIME(6) NULL,
  -- Art. 16.2.g: the consent of the person or organisation concerned
  consent_reference   VARCHAR(255) NULL,
  status              ENUM('submitted','approved','refused','withdrawn')
                      NOT NULL DEFAULT 'submitted',
  due_at              DATETIME(6) NOT NULL,
  due_notified_at     DATETIME(6) NULL,
  decided_at          DATETIME(6) NULL,
  decided_by          BIGINT UNSIGNED NULL,
  decision_note       TEXT NULL,
  refusal_reason      TEXT NULL,
  created_by          BIGINT UNSIGNED NOT NULL,
  created_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY sharing_requests_consumer (consumer_agency_id, id),
  KEY sharing_requests_provider (provider_agency_id, id),
  KEY sharing_requests_due (status, due_at),
  CONSTRAINT sharing_requests_consumer_fk FOREIGN KEY (consumer_agency_id) REFERENCES agencies (id),
  CONSTRAINT sharing_requests_provider_fk FOREIGN KEY (provider_agency_id) REFERENCES agencies (id),
  CONSTRAINT sharing_requests_dataset_fk FOREIGN KEY (dataset_id) REFERENCES datasets (id),
  CONSTRAINT sharing_requests_service_fk FOREIGN KEY (service_id) REFERENCES services (id),
  CONSTRAINT sharing_requests_creator_fk FOREIGN KEY (created_by) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- A grant (the connection), made by an approval. 'expired' is also
-- computed on read (active and ends_at passed, database clock); the sweep
-- writes it down. 'suspended' and 'terminated' belong to the suspension
-- module.
CREATE TABLE grants (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id          BIGINT UNSIGNED NOT NULL,
  provider_agency_id  BIGINT UNSIGNED NOT NULL,
  consumer_agency_id  BIGINT UNSIGNED NOT NULL,
  dataset_id          BIGINT UNSIGNED NOT NULL,
  service_id          BIGINT UNSIGNED NULL,
  status              ENUM('active','expired','suspended','terminated')
                      NOT NULL DEFAULT 'active',
  starts_at           DATETIME(6) NOT NULL,
  ends_at             DATETIME(6) NULL,
  fields_json         LONGTEXT NOT NULL,
  created_by          BIGINT UNSIGNED NOT NULL,
  created_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY grants_request (request_id),
  KEY grants_consumer (consumer_agency_id, id),
  KEY grants_provider (provider_agency_id, id),
  KEY grants_dataset (dataset_id),
  KEY grants_expiry (status, ends_at),
  CONSTRAINT grants_request_fk FOREIGN KEY (request_id) REFERENCES sharing_requests (id),
  CONSTRAINT grants_provider_fk FOREIGN KEY (provider_agency_id) REFERENCES agencies (id),
  CONSTRAINT grants_consumer_fk FOREIGN KEY (consumer_agency_id) REFERENCES agencies (id),
  CONSTRAINT grants_dataset_fk FOREIGN KEY (dataset_id) REFERENCES datasets (id),
  CONSTRAINT grants_service_fk FOREIGN KEY (service_id) REFERENCES services (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Consumer-system accounts belong to a grant (Art. 16.2.e).
ALTER TABLE accounts
  ADD CONSTRAINT accounts_grant_fk FOREIGN KEY (grant_id) REFERENCES grants (id);

-- The warehouse: each version of a dataset's data file. The bytes live
-- once, content addressed, at <warehouse_dir>/<sha256[0:2]>/<sha256>.
-- columns_json lists the file's columns (CSV header, JSON keys).
CREATE TABLE warehouse_files (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dataset_id    BIGINT UNSIGNED NOT NULL,
  version       INT UNSIGNED NOT NULL,
  name          VARCHAR(255) NOT NULL,
  format        ENUM('csv','json') NOT NULL,
  sha256        CHAR(64) CHARACTER SET ascii NOT NULL,
  bytes         BIGINT UNSIGNED NOT NULL,
  columns_json  LONGTEXT NOT NULL,
  uploaded_by   BIGINT UNSIGNED NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY warehouse_files_version (dataset_id, version),
  KEY warehouse_files_sha (sha256),
  CONSTRAINT warehouse_files_dataset_fk FOREIGN KEY (dataset_id) REFERENCES datasets (id),
  CONSTRAINT warehouse_files_uploader_fk FOREIGN KEY (uploaded_by) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Narrowed copies of a file holding only some columns (a grant's fields),
-- made on first delivery and kept: fields_key is the SHA-256 of the kept
-- column names joined by newlines.
CREATE TABLE warehouse_derived (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  file_id       BIGINT UNSIGNED NOT NULL,
  fields_key    CHAR(64) CHARACTER SET ascii NOT NULL,
  columns_json  LONGTEXT NOT NULL,
  sha256        CHAR(64) CHARACTER SET ascii NOT NULL,
  bytes         BIGINT UNSIGNED NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY warehouse_derived_key (file_id, fields_key),
  CONSTRAINT warehouse_derived_file_fk FOREIGN KEY (file_id) REFERENCES warehouse_files (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- The access log (R5): one row per delivery or refusal through a grant,
-- append-only and hash-chained like audit_events (chain 'access',
-- modules/core/audit.c). No foreign keys: rows must outlive nothing and
-- the owner's purge (chain_purge) removes whole prefixes.
CREATE TABLE access_log (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  created_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  account_id          BIGINT UNSIGNED NULL,
  agency_id           BIGINT UNSIGNED NULL,
  grant_id            BIGINT UNSIGNED NOT NULL,
  provider_agency_id  BIGINT UNSIGNED NOT NULL,
  consumer_agency_id  BIGINT UNSIGNED NOT NULL,
  dataset_id          BIGINT UNSIGNED NOT NULL,
  service_id          BIGINT UNSIGNED NULL,
  file_id             BIGINT UNSIGNED NULL,
  request_path        VARCHAR(512) NOT NULL,
  outcome             ENUM('delivered','refused') NOT NULL,
  reason              VARCHAR(64) NULL,
  http_status         SMALLINT UNSIGNED NOT NULL,
  bytes               BIGINT UNSIGNED NULL,
  sha256              CHAR(64) CHARACTER SET ascii NULL,
  narrowed            TINYINT(1) NOT NULL DEFAULT 0,
  remote_addr         VARCHAR(64) NULL,
  request_id          VARCHAR(64) NULL,
  seq                 BIGINT UNSIGNED NULL,
  prev_hash           CHAR(64) CHARACTER SET ascii NULL,
  hash                CHAR(64) CHARACTER SET ascii NULL,
  UNIQUE KEY access_log_seq (seq),
  KEY access_log_grant (grant_id, id),
  KEY access_log_provider (provider_agency_id, id),
  KEY access_log_consumer (consumer_agency_id, id),
  KEY access_log_time (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

CREATE TRIGGER access_log_sealed BEFORE UPDATE ON access_log FOR EACH ROW
BEGIN
  IF OLD.seq IS NOT NULL THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'access log rows are append-only';
  END IF;
END;

INSERT INTO chain_heads (chain, seq, hash, anchor_seq, anchor_hash)
VALUES ('access', 0, REPEAT('0', 64), 0, REPEAT('0', 64));

-- Each purge of a chain (R5.2): chain_verify accepts an anchor only where
-- a recorded purge left it.
CREATE TABLE chain_purges (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  chain         VARCHAR(16) CHARACTER SET ascii NOT NULL,
  from_seq      BIGINT UNSIGNED NOT NULL,
  up_to_seq     BIGINT UNSIGNED NOT NULL,
  rows_removed  BIGINT UNSIGNED NOT NULL,
  anchor_hash   CHAR(64) CHARACTER SET ascii NOT NULL,
  keep_days     INT UNSIGNED NOT NULL,
  cutoff        DATETIME(6) NOT NULL,
  purged_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY chain_purges_chain (chain, up_to_seq)
) ENGINE=InnoDB;

-- Usage reports (Art. 16.1.e): the provider asks, the consumer answers.
CREATE TABLE usage_report_requests (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  grant_id            BIGINT UNSIGNED NOT NULL,
  provider_agency_id  BIGINT UNSIGNED NOT NULL,
  consumer_agency_id  BIGINT UNSIGNED NOT NULL,
  question            TEXT NOT NULL,
  due_at              DATETIME(6) NOT NULL,
  status              ENUM('requested','answered') NOT NULL DEFAULT 'requested',
  answer              TEXT NULL,
  answered_at         DATETIME(6) NULL,
  answered_by         BIGINT UNSIGNED NULL,
  requested_by        BIGINT UNSIGNED NOT NULL,
  created_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY usage_reports_grant (grant_id),
  KEY usage_reports_due (status, due_at),
  CONSTRAINT usage_reports_grant_fk FOREIGN KEY (grant_id) REFERENCES grants (id),
  CONSTRAINT usage_reports_provider_fk FOREIGN KEY (provider_agency_id) REFERENCES agencies (id),
  CONSTRAINT usage_reports_consumer_fk FOREIGN KEY (consumer_agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Errors found in shared data (Art. 17.2.c, 16.2.d): the consumer reports,
-- the provider acknowledges, then corrects (naming the new file version)
-- or rejects with a reason.
CREATE TABLE error_reports (
  id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dataset_id           BIGINT UNSIGNED NOT NULL,
  file_id              BIGINT UNSIGNED NULL,
  grant_id             BIGINT UNSIGNED NULL,
  reporter_agency_id   BIGINT UNSIGNED NOT NULL,
  provider_agency_id   BIGINT UNSIGNED NOT NULL,
  what                 TEXT NOT NULL,
  location             TEXT NOT NULL,
  evidence             TEXT NULL,
  status               ENUM('open','acknowledged','corrected','rejected')
                       NOT NULL DEFAULT 'open',
  acknowledged_at      DATETIME(6) NULL,
  corrected_file_id    BIGINT UNSIGNED NULL,
  resolution_note      TEXT NULL,
  rejection_reason     TEXT NULL,
  resolved_at          DATETIME(6) NULL,
  resolved_by          BIGINT UNSIGNED NULL,
  created_by           BIGINT UNSIGNED NOT NULL,
  created_at           DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at           DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY error_reports_reporter (reporter_agency_id, id),
  KEY error_reports_provider (provider_agency_id, id),
  CONSTRAINT error_reports_dataset_fk FOREIGN KEY (dataset_id) REFERENCES datasets (id),
  CONSTRAINT error_reports_file_fk FOREIGN KEY (file_id) REFERENCES warehouse_files (id),
  CONSTRAINT error_reports_grant_fk FOREIGN KEY (grant_id) REFERENCES grants (id),
  CONSTRAINT error_reports_reporter_fk FOREIGN KEY (reporter_agency_id) REFERENCES agencies (id),
  CONSTRAINT error_reports_provider_fk FOREIGN KEY (provider_agency_id) REFERENCES agencies (id),
  CONSTRAINT error_reports_corrected_fk FOREIGN KEY (corrected_file_id) REFERENCES warehouse_files (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

GRANT SELECT, INSERT, DELETE ON holidays TO datashare_app;
GRANT SELECT, INSERT ON sharing_requests TO datashare_app;
GRANT UPDATE (status, due_notified_at, decided_at, decided_by, decision_note,
              refusal_reason, updated_at) ON sharing_requests TO datashare_app;
GRANT SELECT, INSERT ON grants TO datashare_app;
GRANT UPDATE (status, updated_at) ON grants TO datashare_app;
GRANT SELECT, INSERT ON warehouse_files TO datashare_app;
GRANT SELECT, INSERT ON warehouse_derived TO datashare_app;
GRANT SELECT, INSERT ON access_log TO datashare_app;
GRANT UPDATE (seq, prev_hash, hash) ON access_log TO datashare_app;
GRANT SELECT ON chain_purges TO datashare_app;
GRANT SELECT, INSERT ON usage_report_requests TO datashare_app;
GRANT UPDATE (status, answer, answered_at, answered_by)
  ON usage_report_requests TO datashare_app;
GRANT SELECT, INSERT ON error_reports TO datashare_app;
GRANT UPDATE (status, acknowledged_at, corrected_file_id, resolution_note,
              rejection_reason, resolved_at, resolved_by, updated_at)
  ON error_reports TO datashare_app;
