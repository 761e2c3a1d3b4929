-- Idempotency keys (Idempotency-Key header on POST): a retry of a create
-- with the same key and body gets the first answer and writes nothing new.
-- An nginx 504 does not mean the module did not act (DESIGN.md), so
-- clients retry with the same key. Rows are scoped by account.
CREATE TABLE idempotency_keys (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id    BIGINT UNSIGNED NOT NULL,
  idem_key      VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_hash  CHAR(64) CHARACTER SET ascii NOT NULL,
  state         ENUM('pending','done') NOT NULL DEFAULT 'pending',
  status        SMALLINT UNSIGNED NULL,
  response      LONGTEXT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY idempotency_account_key (account_id, idem_key),
  KEY idempotency_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO datashare_app;
