-- What each running clock has alerted so far, and when it next may.
ALTER TABLE deadlines ADD COLUMN heads_up_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deadlines ADD COLUMN overdue_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deadlines ADD COLUMN next_alert_at INTEGER;
UPDATE deadlines SET next_alert_at = started_at WHERE next_alert_at IS NULL;
CREATE INDEX deadlines_next_alert ON deadlines(next_alert_at) WHERE stopped_at IS NULL;
