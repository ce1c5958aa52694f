-- Corrections.
-- A batch cancelled with a reason: it reads as 'cancelled' whatever its
-- status was, and nothing more happens in it.
ALTER TABLE batches ADD COLUMN cancelled_at INTEGER;
ALTER TABLE batches ADD COLUMN cancel_reason TEXT;
-- A step opened again after a corrected result runs a new round: its task
-- cards are new messages, not edits of the earlier round's.
ALTER TABLE step_runs ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
