-- Issue 15: the audit log becomes a hash chain. Each row carries the hash
-- of the row before it and its own (SHA-256 over a canonical encoding of
-- its fields, see src/store/chain.rs), so a row edited, deleted, inserted
-- or moved directly in the file is found by `sertibot audit verify`, even
-- with the triggers dropped.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

-- Rows written before this version are sealed once, in order, when the
-- database is next opened; any other row without a seal is reported.
CREATE TABLE audit_chain_legacy (upto INTEGER NOT NULL);
INSERT INTO audit_chain_legacy SELECT IFNULL(MAX(id), 0) FROM audit_log;

-- Sealing those rows is the one update allowed.
DROP TRIGGER audit_log_append_only_update;
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
WHEN OLD.hash IS NOT NULL
    OR OLD.id > (SELECT IFNULL(MAX(upto), 0) FROM audit_chain_legacy)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
