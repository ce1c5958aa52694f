-- A meeting moved or cancelled after its invitation went out.
ALTER TABLE batches ADD COLUMN meeting_sequence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN meeting_cancelled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN meeting_cancel_reason TEXT;
