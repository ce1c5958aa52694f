-- A step's clock paused with a reason, and how much standard time was left.
ALTER TABLE step_runs ADD COLUMN paused_at INTEGER;
ALTER TABLE step_runs ADD COLUMN pause_reason TEXT;
ALTER TABLE step_runs ADD COLUMN pause_remaining INTEGER;
