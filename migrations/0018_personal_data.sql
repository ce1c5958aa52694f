-- Issue 15: participants' rights under UU 27/2022 (PDP). An erased
-- participant keeps their row (the audit log and the documents refer to
-- it by id) with a tombstone in place of their personal data.
ALTER TABLE participants ADD COLUMN erased_at INTEGER;
