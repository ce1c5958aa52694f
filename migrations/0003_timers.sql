-- Timers: moments at which the service must act (a reminder to invitees
-- who have not answered). Durable, found through an index, fired once.
CREATE TABLE timers (
    id       INTEGER PRIMARY KEY,
    key      TEXT    NOT NULL UNIQUE,
    batch_id INTEGER REFERENCES batches(id),
    kind     TEXT    NOT NULL,
    due_at   INTEGER NOT NULL,
    fired_at INTEGER
);
CREATE INDEX timers_waiting ON timers(due_at) WHERE fired_at IS NULL;
