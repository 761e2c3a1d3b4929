-- The LGSP gateway (issue 18; Art. 9.2.b-c, 11.2, 11.4, 13.1, 16.1.a,
-- 17.2.b): consumer systems call providers' registered services through
-- the platform, at /gw/{provider_agency_code}/{service_code}/{path}
-- (modules/gateway, docs/gateway.md).

-- What the gateway needs of a registered service. A service registered
-- before this migration has no code and no upstream: it stays in the
-- registry as it was and is simply not callable through the gateway
-- until its provider gives both. The defaults are the safe ones: short
-- timeouts, 1 MiB requests, 100 MiB answers, narrowing on, digests only.
ALTER TABLE services
  ADD COLUMN code                  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN upstream_url          VARCHAR(1000) NULL,
  ADD COLUMN health_url            VARCHAR(1000) NULL,
  ADD COLUMN connect_timeout_ms    INT UNSIGNED NOT NULL DEFAULT 5000,
  ADD COLUMN response_timeout_ms   INT UNSIGNED NOT NULL DEFAULT 30000,
  ADD COLUMN max_request_bytes     BIGINT UNSIGNED NOT NULL DEFAULT 1048576,
  ADD COLUMN max_response_bytes    BIGINT UNSIGNED NOT NULL DEFAULT 104857600,
  ADD COLUMN rate_limit_per_minute INT UNSIGNED NULL,
  ADD COLUMN daily_quota           INT UNSIGNED NULL,
  ADD COLUMN narrow                TINYINT(1) NOT NULL DEFAULT 1,
  ADD COLUMN records_pointer       VARCHAR(255) NULL,
  ADD COLUMN log_mode              ENUM('metadata','full') NOT NULL DEFAULT 'metadata',
  ADD COLUMN openapi               MEDIUMTEXT NULL,
  ADD UNIQUE KEY services_code (agency_id, code);

-- A gateway call is one row of the access log, beside the downloads, with
-- X-Road's operational-monitoring fields. A call refused before its
-- account or grant is known (a bad token) still has its row: those
-- columns may now be NULL.
ALTER TABLE access_log
  MODIFY COLUMN grant_id           BIGINT UNSIGNED NULL,
  MODIFY COLUMN consumer_agency_id BIGINT UNSIGNED NULL,
  MODIFY COLUMN outcome            ENUM('delivered','refused','failed') NOT NULL,
  ADD COLUMN kind             ENUM('download','gateway') NOT NULL DEFAULT 'download',
  ADD COLUMN method           VARCHAR(16) CHARACTER SET ascii NULL,
  ADD COLUMN request_in_ms    BIGINT UNSIGNED NULL,
  ADD COLUMN request_out_ms   BIGINT UNSIGNED NULL,
  ADD COLUMN response_in_ms   BIGINT UNSIGNED NULL,
  ADD COLUMN response_out_ms  BIGINT UNSIGNED NULL,
  ADD COLUMN succeeded        TINYINT(1) NULL,
  ADD COLUMN fault_code       VARCHAR(64) CHARACTER SET ascii NULL,
  ADD COLUMN fault_text       VARCHAR(255) NULL,
  ADD COLUMN request_bytes    BIGINT UNSIGNED NULL,
  ADD COLUMN request_sha256   CHAR(64) CHARACTER SET ascii NULL,
  ADD COLUMN bodies_kept      TINYINT(1) NOT NULL DEFAULT 0,
  ADD KEY access_log_service (service_id, request_in_ms),
  ADD KEY access_log_gw_time (kind, request_in_ms);

-- The application may insert the new columns (its INSERT privilege is on
-- the table); UPDATE stays limited to the sealing columns (0003).
