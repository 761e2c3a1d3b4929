-- Suspension and termination of grants (R7; Art. 16.1.g, 16.2.h of the
-- regulation; Decree 47/2020 Art. 43, 44), and planned suspensions of a
-- whole service (Decree 47/2020 Art. 43.1). modules/suspension writes
-- these tables; grants.status is set here too ('suspended', 'terminated',
-- back to 'active'), always in the same transaction as the row that says
-- why, and the sharing module's gateway refuses any grant that is not
-- 'active' and any service inside a planned window.
--
-- The record of a violation or a termination is never rewritten: the
-- application role may update only the columns a lift, a notice or a
-- cancellation sets, and has no DELETE.

-- One suspension of one grant. A grant may carry several; it is active
-- again only when none is in force (modules/suspension/lifts.c).
CREATE TABLE suspensions (
  id                      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  grant_id                BIGINT UNSIGNED NOT NULL,
  provider_agency_id      BIGINT UNSIGNED NOT NULL,
  consumer_agency_id      BIGINT UNSIGNED NOT NULL,
  state                   ENUM('in_force','lifted') NOT NULL DEFAULT 'in_force',
  -- who imposed it: the provider, or DIC (only DIC lifts what DIC imposed)
  imposed_by              ENUM('provider','dic') NOT NULL,
  -- 'agency' when one request suspended every grant of a consumer agency
  -- with the provider (POST /agencies/{id}/suspensions)
  scope                   ENUM('grant','agency') NOT NULL DEFAULT 'grant',
  violation               TEXT NOT NULL,
  legal_ground            VARCHAR(64) CHARACTER SET ascii NOT NULL,
  determined_at           DATETIME(6) NOT NULL,
  handling_plan           TEXT NOT NULL,
  consumer_action         TEXT NOT NULL,
  -- Art. 16.2.h: the consumer is told within suspension_notice_hours of
  -- the determination; the notice is the notification row below, written
  -- in the transaction that records the suspension.
  notice_due_at           DATETIME(6) NOT NULL,
  notice_notification_id  BIGINT UNSIGNED NULL,
  notice_sent_at          DATETIME(6) NULL,
  notice_late             TINYINT(1) NOT NULL DEFAULT 0,
  created_by_account_id   BIGINT UNSIGNED NULL,
  created_by_agency_id    BIGINT UNSIGNED NULL,
  created_at              DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  lifted_at               DATETIME(6) NULL,
  lifted_by_account_id    BIGINT UNSIGNED NULL,
  lifted_by_agency_id     BIGINT UNSIGNED NULL,
  lift_note               TEXT NULL,
  KEY suspensions_grant (grant_id, state),
  KEY suspensions_provider (provider_agency_id, id),
  KEY suspensions_consumer (consumer_agency_id, id),
  KEY suspensions_late (notice_late, id),
  CONSTRAINT suspensions_grant_fk FOREIGN KEY (grant_id) REFERENCES grants (id),
  CONSTRAINT suspensions_provider_fk FOREIGN KEY (provider_agency_id) REFERENCES agencies (id),
  CONSTRAINT suspensions_consumer_fk FOREIGN KEY (consumer_agency_id) REFERENCES agencies (id),
  CONSTRAINT suspensions_notice_fk FOREIGN KEY (notice_notification_id) REFERENCES notifications (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- The end of a grant for good: at most one per grant.
CREATE TABLE terminations (
  id                      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  grant_id                BIGINT UNSIGNED NOT NULL,
  provider_agency_id      BIGINT UNSIGNED NOT NULL,
  consumer_agency_id      BIGINT UNSIGNED NOT NULL,
  imposed_by              ENUM('provider','dic') NOT NULL,
  reason                  TEXT NOT NULL,
  legal_ground            VARCHAR(64) CHARACTER SET ascii NOT NULL,
  -- the grant's status just before, and how many accounts were revoked
  previous_status         VARCHAR(16) CHARACTER SET ascii NOT NULL,
  accounts_revoked        INT UNSIGNED NOT NULL DEFAULT 0,
  created_by_account_id   BIGINT UNSIGNED NULL,
  created_by_agency_id    BIGINT UNSIGNED NULL,
  created_at              DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY terminations_grant (grant_id),
  KEY terminations_provider (provider_agency_id, id),
  KEY terminations_consumer (consumer_agency_id, id),
  CONSTRAINT terminations_grant_fk FOREIGN KEY (grant_id) REFERENCES grants (id),
  CONSTRAINT terminations_provider_fk FOREIGN KEY (provider_agency_id) REFERENCES agencies (id),
  CONSTRAINT terminations_consumer_fk FOREIGN KEY (consumer_agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- A service taken down for upgrade, expansion or maintenance, announced
-- to every consumer ahead (Decree 47/2020 Art. 43.1). The gateway refuses
-- the service only while starts_at <= now < ends_at and state is
-- 'scheduled'.
CREATE TABLE planned_suspensions (
  id                      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  service_id              BIGINT UNSIGNED NOT NULL,
  provider_agency_id      BIGINT UNSIGNED NOT NULL,
  state                   ENUM('scheduled','cancelled') NOT NULL DEFAULT 'scheduled',
  reason                  ENUM('upgrade','expansion','maintenance','other') NOT NULL,
  description             TEXT NOT NULL,
  starts_at               DATETIME(6) NOT NULL,
  ends_at                 DATETIME(6) NOT NULL,
  -- the first local day a start needs no emergency (planned_notice_workdays)
  earliest_regular_start  DATE NOT NULL,
  emergency               TINYINT(1) NOT NULL DEFAULT 0,
  emergency_reason        TEXT NULL,
  consumers_notified      INT UNSIGNED NOT NULL DEFAULT 0,
  created_by_account_id   BIGINT UNSIGNED NULL,
  created_by_agency_id    BIGINT UNSIGNED NULL,
  created_at              DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  cancelled_at            DATETIME(6) NULL,
  cancelled_by_account_id BIGINT UNSIGNED NULL,
  cancel_note             TEXT NULL,
  KEY planned_window (service_id, state, starts_at, ends_at),
  KEY planned_provider (provider_agency_id, id),
  KEY planned_emergency (emergency, id),
  CONSTRAINT planned_service_fk FOREIGN KEY (service_id) REFERENCES services (id),
  CONSTRAINT planned_provider_fk FOREIGN KEY (provider_agency_id) REFERENCES agencies (id),
  CONSTRAINT planned_window_order CHECK (ends_at > starts_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Who was told of a planned suspension, and when (all in the transaction
-- that recorded it).
CREATE TABLE planned_suspension_recipients (
  planned_suspension_id   BIGINT UNSIGNED NOT NULL,
  agency_id               BIGINT UNSIGNED NOT NULL,
  notified_at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (planned_suspension_id, agency_id),
  KEY planned_recipient_agency (agency_id, planned_suspension_id),
  CONSTRAINT planned_recipient_fk FOREIGN KEY (planned_suspension_id)
    REFERENCES planned_suspensions (id),
  CONSTRAINT planned_recipient_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB;

GRANT SELECT, INSERT ON suspensions TO datashare_app;
GRANT UPDATE (state, lifted_at, lifted_by_account_id, lifted_by_agency_id,
  lift_note, notice_notification_id, notice_sent_at, notice_late)
  ON suspensions TO datashare_app;
GRANT SELECT, INSERT ON terminations TO datashare_app;
GRANT SELECT, INSERT ON planned_suspensions TO datashare_app;
GRANT UPDATE (state, cancelled_at, cancelled_by_account_id, cancel_note,
  consumers_notified) ON planned_suspensions TO datashare_app;
GRANT SELECT, INSERT ON planned_suspension_recipients TO datashare_app;
-- What this module reads or sets in the sharing and catalog tables.
GRANT SELECT, UPDATE (status, updated_at) ON grants TO datashare_app;
GRANT SELECT ON holidays TO datashare_app;
GRANT SELECT ON services TO datashare_app;
