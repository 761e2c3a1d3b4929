-- Foundation: agencies, accounts, the audit trail, notifications and the
-- hash chains' heads. Runs as the owner account; the modules connect as an
-- account holding the role datashare_app, created by setup before migrating
-- (see docs/running.md), which gets only what the code needs below.
-- Searchable text uses utf8mb4_uca1400_ai_ci: it folds case and every
-- Vietnamese diacritic, đ to d included (DESIGN.md).

CREATE TABLE agencies (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code        VARCHAR(32)  NOT NULL,
  name        VARCHAR(255) NOT NULL,
  name_en     VARCHAR(255) NULL,
  level       ENUM('province','department','district','commune','enterprise','other')
              NOT NULL DEFAULT 'department',
  parent_id   BIGINT UNSIGNED NULL,
  is_dic      TINYINT(1) NOT NULL DEFAULT 0,
  -- at most one agency is the DIC: NULL for all others
  dic_marker  TINYINT AS (IF(is_dic, 1, NULL)) PERSISTENT,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY agencies_code (code),
  UNIQUE KEY agencies_one_dic (dic_marker),
  KEY agencies_parent (parent_id),
  CONSTRAINT agencies_parent_fk FOREIGN KEY (parent_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Accounts: people (officers, DIC, Chairman, auditors) and consumer
-- systems. roles is a bit set (modules/core/ds.h enum role).
CREATE TABLE accounts (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  agency_id    BIGINT UNSIGNED NOT NULL,
  name         VARCHAR(255) NOT NULL,
  client_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  secret_hash  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  roles        INT UNSIGNED NOT NULL,
  status       ENUM('active','disabled','revoked') NOT NULL DEFAULT 'active',
  grant_id     BIGINT UNSIGNED NULL,
  created_by   BIGINT UNSIGNED NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY accounts_client_id (client_id),
  KEY accounts_agency (agency_id),
  KEY accounts_grant (grant_id),
  CONSTRAINT accounts_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- The audit trail (R10.2). Rows are inserted unsealed; the sealer sets
-- seq, prev_hash and hash once (modules/core/audit.c), after which the
-- trigger refuses any change.
CREATE TABLE audit_events (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  actor_account_id  BIGINT UNSIGNED NULL,
  actor_agency_id   BIGINT UNSIGNED NULL,
  action            VARCHAR(64) NOT NULL,
  entity            VARCHAR(64) NOT NULL,
  entity_id         BIGINT UNSIGNED NOT NULL,
  before_json       LONGTEXT NULL,
  after_json        LONGTEXT NULL,
  seq               BIGINT UNSIGNED NULL,
  prev_hash         CHAR(64) CHARACTER SET ascii NULL,
  hash              CHAR(64) CHARACTER SET ascii NULL,
  UNIQUE KEY audit_seq (seq),
  KEY audit_entity (entity, entity_id),
  KEY audit_unsealed (seq, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

CREATE TRIGGER audit_events_sealed BEFORE UPDATE ON audit_events FOR EACH ROW
BEGIN
  IF OLD.seq IS NOT NULL THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit rows are append-only';
  END IF;
END;

CREATE TABLE notifications (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  agency_id    BIGINT UNSIGNED NOT NULL,
  kind         VARCHAR(64) NOT NULL,
  entity       VARCHAR(64) NOT NULL,
  entity_id    BIGINT UNSIGNED NOT NULL,
  payload_json LONGTEXT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  read_at      DATETIME(6) NULL,
  KEY notifications_feed (agency_id, id),
  CONSTRAINT notifications_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- One row per hash chain: its head (last sealed seq and hash) and its
-- anchor (where verification starts: the genesis, or the last purge).
CREATE TABLE chain_heads (
  chain        VARCHAR(16) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  seq          BIGINT UNSIGNED NOT NULL,
  hash         CHAR(64) CHARACTER SET ascii NOT NULL,
  anchor_seq   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  anchor_hash  CHAR(64) CHARACTER SET ascii NOT NULL
) ENGINE=InnoDB;

INSERT INTO chain_heads (chain, seq, hash, anchor_seq, anchor_hash)
VALUES ('audit', 0, REPEAT('0', 64), 0, REPEAT('0', 64));

GRANT SELECT, INSERT, UPDATE ON agencies TO datashare_app;
GRANT SELECT, INSERT, UPDATE ON accounts TO datashare_app;
GRANT SELECT, INSERT ON audit_events TO datashare_app;
GRANT UPDATE (seq, prev_hash, hash) ON audit_events TO datashare_app;
GRANT SELECT, INSERT ON notifications TO datashare_app;
GRANT UPDATE (read_at) ON notifications TO datashare_app;
GRANT SELECT ON chain_heads TO datashare_app;
GRANT UPDATE (seq, hash) ON chain_heads TO datashare_app;
