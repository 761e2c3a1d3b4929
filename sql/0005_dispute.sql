-- Disputes (R8; Art. 16.1.đ, 17.1.b, 17.2.d, 18): tickets an agency files
-- about data, refusals, suspensions, access or technical matters, routed to
-- the provider of the data concerned (Art. 18.1) or to DIC (Art. 18.2),
-- with their step-by-step history and an immutable comment thread.
--
-- The object a ticket concerns (a sharing request, grant, suspension or
-- dataset) lives in other modules' tables, which may not exist when this
-- migration runs: it is stored as (object_type, object_id) without a
-- foreign key and checked by the dispute module (modules/dispute/routing.c).

CREATE TABLE disputes (
  id                    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  subject               VARCHAR(255) NOT NULL,
  description           TEXT NOT NULL,
  category              ENUM('data','technical','standards','refusal',
                             'suspension','access','other') NOT NULL,
  filer_agency_id       BIGINT UNSIGNED NOT NULL,
  filer_account_id      BIGINT UNSIGNED NOT NULL,
  -- the agency concerned: named by the filer, or the other party of the object
  agency_id             BIGINT UNSIGNED NOT NULL,
  object_type           ENUM('sharing_request','grant','suspension','dataset') NULL,
  object_id             BIGINT UNSIGNED NULL,
  -- the agency first routed to; it stays a party after an escalation
  respondent_agency_id  BIGINT UNSIGNED NOT NULL,
  -- who handles it now, and why (Art. 18.1 provider, 18.2 DIC, escalation)
  assignee_agency_id    BIGINT UNSIGNED NOT NULL,
  assignee_account_id   BIGINT UNSIGNED NULL,	-- the focal point, when named
  assignment_rule       ENUM('art_18_1_provider','art_18_2_dic','escalated') NOT NULL,
  assignment_reason     TEXT NOT NULL,
  state                 ENUM('open','acknowledged','in_progress','resolved',
                             'closed','rejected') NOT NULL DEFAULT 'open',
  ack_due_at            DATETIME(6) NOT NULL,
  resolve_due_at        DATETIME(6) NOT NULL,
  acknowledged_at       DATETIME(6) NULL,
  resolved_at           DATETIME(6) NULL,
  closed_at             DATETIME(6) NULL,
  rejected_at           DATETIME(6) NULL,
  resolution            TEXT NULL,
  rejection_reason      TEXT NULL,
  reopen_count          TINYINT UNSIGNED NOT NULL DEFAULT 0,
  escalated_at          DATETIME(6) NULL,
  escalated_by_agency_id BIGINT UNSIGNED NULL,
  created_at            DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at            DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY disputes_filer (filer_agency_id, id),
  KEY disputes_assignee (assignee_agency_id, id),
  KEY disputes_respondent (respondent_agency_id, id),
  KEY disputes_state (state, id),
  KEY disputes_object (object_type, object_id),
  CONSTRAINT disputes_object_pair CHECK ((object_type IS NULL) = (object_id IS NULL)),
  CONSTRAINT disputes_reopen_once CHECK (reopen_count <= 1),
  CONSTRAINT disputes_filer_fk FOREIGN KEY (filer_agency_id) REFERENCES agencies (id),
  CONSTRAINT disputes_filer_account_fk FOREIGN KEY (filer_account_id) REFERENCES accounts (id),
  CONSTRAINT disputes_agency_fk FOREIGN KEY (agency_id) REFERENCES agencies (id),
  CONSTRAINT disputes_respondent_fk FOREIGN KEY (respondent_agency_id) REFERENCES agencies (id),
  CONSTRAINT disputes_assignee_fk FOREIGN KEY (assignee_agency_id) REFERENCES agencies (id),
  CONSTRAINT disputes_assignee_account_fk FOREIGN KEY (assignee_account_id) REFERENCES accounts (id),
  CONSTRAINT disputes_escalated_by_fk FOREIGN KEY (escalated_by_agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Every step of a ticket, filing and escalation included: who moved it from
-- which state (and assignee) to which, and why. Append-only.
CREATE TABLE dispute_events (
  id                     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dispute_id             BIGINT UNSIGNED NOT NULL,
  action                 ENUM('file','acknowledge','start','resolve','close',
                              'reopen','reject','escalate') NOT NULL,
  from_state             ENUM('open','acknowledged','in_progress','resolved',
                              'closed','rejected') NULL,
  to_state               ENUM('open','acknowledged','in_progress','resolved',
                              'closed','rejected') NOT NULL,
  from_assignee_agency_id BIGINT UNSIGNED NULL,
  to_assignee_agency_id  BIGINT UNSIGNED NOT NULL,
  actor_account_id       BIGINT UNSIGNED NOT NULL,
  actor_agency_id        BIGINT UNSIGNED NOT NULL,
  reason                 TEXT NULL,
  created_at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY dispute_events_dispute (dispute_id, id),
  CONSTRAINT dispute_events_dispute_fk FOREIGN KEY (dispute_id) REFERENCES disputes (id),
  CONSTRAINT dispute_events_from_fk FOREIGN KEY (from_assignee_agency_id) REFERENCES agencies (id),
  CONSTRAINT dispute_events_to_fk FOREIGN KEY (to_assignee_agency_id) REFERENCES agencies (id),
  CONSTRAINT dispute_events_actor_fk FOREIGN KEY (actor_account_id) REFERENCES accounts (id),
  CONSTRAINT dispute_events_actor_agency_fk FOREIGN KEY (actor_agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- Comments between the filer, the assignee (and first respondent) and DIC.
-- Immutable: the application role may only insert and read them.
CREATE TABLE dispute_comments (
  id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dispute_id         BIGINT UNSIGNED NOT NULL,
  author_account_id  BIGINT UNSIGNED NOT NULL,
  author_agency_id   BIGINT UNSIGNED NOT NULL,
  body               TEXT NOT NULL,
  created_at         DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY dispute_comments_dispute (dispute_id, id),
  CONSTRAINT dispute_comments_dispute_fk FOREIGN KEY (dispute_id) REFERENCES disputes (id),
  CONSTRAINT dispute_comments_author_fk FOREIGN KEY (author_account_id) REFERENCES accounts (id),
  CONSTRAINT dispute_comments_agency_fk FOREIGN KEY (author_agency_id) REFERENCES agencies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;

-- The ticket changes state and assignee; its identity, filer, text and
-- object never change after filing.
GRANT SELECT, INSERT ON disputes TO datashare_app;
GRANT UPDATE (state, assignee_agency_id, assignee_account_id, assignment_rule,
              assignment_reason, ack_due_at, resolve_due_at, acknowledged_at,
              resolved_at, closed_at, rejected_at, resolution, rejection_reason,
              reopen_count, escalated_at, escalated_by_agency_id, updated_at)
  ON disputes TO datashare_app;
GRANT SELECT, INSERT ON dispute_events TO datashare_app;
GRANT SELECT, INSERT ON dispute_comments TO datashare_app;
