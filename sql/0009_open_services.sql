-- The active services of each dataset, kept as the JSON array that
-- GET /open-data/{id} answers (R2.3, Art. 9), so that reading an open
-- dataset is the one row of the dataset with its database and agency.
-- Joining the services at read time cost MariaDB 15-30 us a read, ~40% of
-- the read's own cost, for a list that changes when a provider registers,
-- edits or deprecates a service (bench/RESULTS.md, "GET /open-data/{id}").
--
-- Triggers keep it, so every writer of services (the catalog's handlers,
-- the admin's SQL, bulk loads) leaves it right. Two transactions changing
-- services of one dataset at once would each compute the array from their
-- own snapshot; the catalog's handlers lock the dataset's row first
-- (modules/catalog/services.c), so the second computes after the first
-- committed.
--
-- The array is in id order, each service's keys in the order the API
-- documents. JSON_ARRAYAGG is built on GROUP_CONCAT, whose default limit
-- (1 MiB) would cut a long list of long guides: the procedure lifts it,
-- for its connection, to 16 MiB, the default max_allowed_packet, beyond
-- which no client could read the row anyway. (A value above the
-- variable's maximum is an error in the app's strict SQL mode.)
CREATE PROCEDURE dataset_services_refresh(IN ds BIGINT UNSIGNED)
BEGIN
  SET SESSION group_concat_max_len = 16777216;
  UPDATE datasets SET services_json = (
    SELECT COALESCE(JSON_ARRAYAGG(JSON_OBJECT('id', s.id, 'name', s.name,
      'protocol', s.protocol, 'endpoint', s.endpoint, 'version', s.version,
      'guide', s.guide) ORDER BY s.id), '[]')
    FROM services s WHERE s.dataset_id = ds AND s.status = 'active')
  WHERE id = ds;
END;

ALTER TABLE datasets ADD COLUMN services_json LONGTEXT NOT NULL DEFAULT '[]';

CREATE TRIGGER services_open_insert AFTER INSERT ON services FOR EACH ROW
  CALL dataset_services_refresh(NEW.dataset_id);

CREATE TRIGGER services_open_update AFTER UPDATE ON services FOR EACH ROW
BEGIN
  CALL dataset_services_refresh(NEW.dataset_id);
  IF OLD.dataset_id <> NEW.dataset_id THEN
    CALL dataset_services_refresh(OLD.dataset_id);
  END IF;
END;

CREATE TRIGGER services_open_delete AFTER DELETE ON services FOR EACH ROW
  CALL dataset_services_refresh(OLD.dataset_id);

-- The services registered before this migration.
BEGIN NOT ATOMIC
  FOR r IN (SELECT DISTINCT dataset_id FROM services) DO
    CALL dataset_services_refresh(r.dataset_id);
  END FOR;
END;
