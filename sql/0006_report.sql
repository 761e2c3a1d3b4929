-- Reports (R9.3; Art. 19.4): read-only views that give each report's
-- figures one definition, next to each other, so that a reader checks
-- "time to decide" or "overdue" here rather than in C strings. They read
-- the sharing (0003) and dispute (0005) tables; modules/report selects
-- from them with the request's range and agency (modules/report/*.c).
--
-- SQL SECURITY INVOKER: a view grants nothing by itself; whoever selects
-- needs SELECT on the tables too, which datashare_app holds already.
-- Times are UTC DATETIME(6); durations are hours as DECIMAL; "now" is the
-- database's clock, as the modules that own these tables read it.

-- Sharing requests and how long each waited for its decision: filing
-- (created_at) to approval or refusal (decided_at). A withdrawal is not a
-- decision. overdue: still undecided past its decision deadline
-- (Decree 47/2020 Art. 35.3, modules/sharing/requests.c).
CREATE SQL SECURITY INVOKER VIEW report_requests AS
SELECT r.id, r.provider_agency_id, r.consumer_agency_id, r.dataset_id,
       r.status, r.created_at, r.decided_at, r.due_at,
       IF(r.status IN ('approved', 'refused'),
          TIMESTAMPDIFF(MICROSECOND, r.created_at, r.decided_at) / 3600000000,
          NULL) AS hours_to_decide,
       (r.status = 'submitted' AND r.due_at < UTC_TIMESTAMP(6)) AS overdue
  FROM sharing_requests r;

-- Grants with the status callers see: an active grant past its end is
-- expired whether or not the sharing sweep wrote it down (the same rule
-- as GRANT_STATUS_SQL in modules/sharing/sharing.h).
CREATE SQL SECURITY INVOKER VIEW report_grants AS
SELECT g.id, g.request_id, g.provider_agency_id, g.consumer_agency_id,
       g.dataset_id, g.service_id, g.starts_at, g.ends_at, g.created_at,
       CASE WHEN g.status = 'active' AND g.ends_at IS NOT NULL
                 AND g.ends_at <= UTC_TIMESTAMP(6) THEN 'expired'
            ELSE g.status END AS status
  FROM grants g;

-- Dispute tickets (R8.3) and their times:
-- hours_to_acknowledge: from the start of the current round (filing, or
--   the escalation to DIC, which asks DIC to acknowledge anew and clears
--   the earlier acknowledgement) to its acknowledgement;
-- hours_to_resolve: from filing to the resolution that stands (a reopened
--   ticket's earlier resolution is cleared), as the filer waited for it;
-- overdue_acknowledge / overdue_resolve: as GET /disputes?overdue=true
--   counts them (modules/dispute/disputes.c), now;
-- resolved_late: resolved after its resolve limit.
CREATE SQL SECURITY INVOKER VIEW report_disputes AS
SELECT d.id, d.category, d.state, d.filer_agency_id, d.agency_id,
       d.respondent_agency_id, d.assignee_agency_id, d.assignment_rule,
       d.created_at, d.escalated_at, d.acknowledged_at, d.resolved_at,
       TIMESTAMPDIFF(MICROSECOND, COALESCE(d.escalated_at, d.created_at),
                     d.acknowledged_at) / 3600000000 AS hours_to_acknowledge,
       TIMESTAMPDIFF(MICROSECOND, d.created_at, d.resolved_at) / 3600000000
         AS hours_to_resolve,
       (d.state = 'open' AND d.ack_due_at < UTC_TIMESTAMP(6))
         AS overdue_acknowledge,
       (d.state IN ('open', 'acknowledged', 'in_progress')
        AND d.resolve_due_at < UTC_TIMESTAMP(6)) AS overdue_resolve,
       (d.resolved_at IS NOT NULL AND d.resolved_at > d.resolve_due_at)
         AS resolved_late
  FROM disputes d;

GRANT SELECT ON report_requests TO datashare_app;
GRANT SELECT ON report_grants TO datashare_app;
GRANT SELECT ON report_disputes TO datashare_app;
