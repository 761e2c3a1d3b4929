-- The gateway's monitoring data (issue 18, Art. 12.4): GET /api/v1/opmon/
-- records reads the gateway's log rows in (request_in_ms, id) order, a
-- page at a time, for DIC and auditors (every row) and for an agency (the
-- rows where it is the provider or the consumer), filtered by service,
-- provider and consumer (modules/gateway/opmon.c, docs/gateway.md).
--
-- A page must read about a page of index entries whatever the filters, at
-- 20 million rows (three months of a province's calls): each combination
-- of the equality filters is the prefix of one index, followed by
-- request_in_ms, whose order is the page's (the primary key, the last
-- part of every secondary key, breaks ties). An agency's own filter is
-- folded into the others before the query: a provider asking for one
-- consumer reads (provider, consumer), a consumer asking for one service
-- reads (service, consumer). The combinations and their indexes:
--   none                   access_log_gw_time (kind, request_in_ms), 0012
--   service (+ provider)   access_log_service (service_id, request_in_ms),
--                          0012 (a service has one provider)
--   provider               access_log_gw_provider, below
--   consumer               access_log_gw_consumer, below
--   provider + consumer    access_log_gw_pair, below
--   service + consumer     access_log_gw_service_consumer, below
-- An agency with no filter reads its two sides, each from its own index
-- (provider, consumer), and merges them. The outcome filter is tested on
-- the rows of the range: it has three values, and a prefix with it would
-- split every range in three.
--
-- InnoDB builds these while the log is written (ALGORITHM=INPLACE,
-- LOCK=NONE); at 20 million rows each takes minutes and about 1 GB.
ALTER TABLE access_log
  ADD KEY access_log_gw_provider (provider_agency_id, kind, request_in_ms),
  ADD KEY access_log_gw_consumer (consumer_agency_id, kind, request_in_ms),
  ADD KEY access_log_gw_pair (provider_agency_id, consumer_agency_id, kind,
    request_in_ms),
  ADD KEY access_log_gw_service_consumer (service_id, consumer_agency_id,
    kind, request_in_ms),
  ALGORITHM=INPLACE, LOCK=NONE;
