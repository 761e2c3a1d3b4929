-- Each dataset's agency (id and name) and its database's status, kept in
-- the dataset's row, so that GET /open-data/{id}, a read by anyone and the
-- catalog's busiest, is the one row of the dataset (R2.3, Art. 10): with
-- migration 0009's services it joins no other table. Joining the database
-- and the agency cost MariaDB 15-18 us a read, against 55-65 us for the
-- row itself (bench/RESULTS.md, "GET /open-data/{id}").
--
-- The copies change in the transaction that changes what they copy, so a
-- reader never sees one that disagrees with its source: listing or
-- withdrawing a database changes whether its datasets are public (that
-- read's visibility rule reads owner_db_status) in the same commit. Every
-- writer keeps them: the catalog's handlers, the admin's SQL, bulk loads.
-- The other reads keep their joins.
--
-- The database's id, agency and status are one foreign key into
-- `databases`, which InnoDB cascades when a database is listed, withdrawn
-- or given to another agency, and which refuses a dataset whose copies
-- disagree: an admin's SQL moving a dataset to another database must
-- move the copies with it. Triggers copy the agency's name: into a new
-- dataset, and from a renamed agency or a database given to another
-- agency, which are rare; each rewrites one database's or one agency's
-- datasets. A trigger on every UPDATE of datasets would instead run for
-- each view count (counter.c); InnoDB checks the key only when its
-- columns change.
ALTER TABLE datasets
  ADD COLUMN owner_agency_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN owner_agency_name VARCHAR(255) NOT NULL DEFAULT '',
  ADD COLUMN owner_db_status ENUM('draft','listed','withdrawn') NOT NULL
    DEFAULT 'draft';

-- The datasets from before this migration, then the key.
UPDATE datasets d JOIN `databases` b ON b.id = d.database_id
JOIN agencies a ON a.id = b.agency_id
SET d.owner_agency_id = b.agency_id, d.owner_agency_name = a.name,
  d.owner_db_status = b.status;

ALTER TABLE `databases` ADD UNIQUE KEY databases_owner (id, agency_id, status);
ALTER TABLE datasets ADD CONSTRAINT datasets_owner_fk
  FOREIGN KEY (database_id, owner_agency_id, owner_db_status)
  REFERENCES `databases` (id, agency_id, status) ON UPDATE CASCADE;

-- A database that does not exist leaves the defaults, and the foreign
-- keys refuse the row as before.
CREATE TRIGGER datasets_owner_insert BEFORE INSERT ON datasets
FOR EACH ROW
BEGIN
  DECLARE agency BIGINT UNSIGNED DEFAULT 0;
  DECLARE agency_name VARCHAR(255) DEFAULT '';
  DECLARE db_status VARCHAR(16) DEFAULT 'draft';

  SELECT b.agency_id, a.name, b.status INTO agency, agency_name, db_status
  FROM `databases` b JOIN agencies a ON a.id = b.agency_id
  WHERE b.id = NEW.database_id;
  SET NEW.owner_agency_id = agency, NEW.owner_agency_name = agency_name,
    NEW.owner_db_status = db_status;
END;

-- The key has already moved the datasets' agency id.
CREATE TRIGGER databases_owner_agency AFTER UPDATE ON `databases`
FOR EACH ROW
  IF NEW.agency_id <> OLD.agency_id THEN
    UPDATE datasets SET owner_agency_name =
      (SELECT name FROM agencies WHERE id = NEW.agency_id)
    WHERE database_id = NEW.id;
  END IF;

-- Byte for byte: the column's collation holds "Sở Y tế" and "SỞ Y TẾ"
-- equal, and a rename may change only that.
CREATE TRIGGER agencies_owner_name AFTER UPDATE ON agencies
FOR EACH ROW
  IF NEW.name COLLATE utf8mb4_bin <> OLD.name COLLATE utf8mb4_bin THEN
    UPDATE datasets d JOIN `databases` b ON b.id = d.database_id
    SET d.owner_agency_name = NEW.name WHERE b.agency_id = NEW.id;
  END IF;
