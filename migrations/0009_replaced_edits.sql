-- Only the latest version of a message goes out: an edit still waiting
-- when a newer edit of the same message is queued is marked 'replaced'
-- and not sent. SQLite cannot widen a CHECK in place, so the outbox is
-- copied into a table whose status may also be 'replaced'.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    key             TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL CHECK (channel IN ('telegram', 'email')),
    batch_id        INTEGER REFERENCES batches(id),
    member_id       INTEGER REFERENCES members(id),
    participant_id  INTEGER REFERENCES participants(id),
    address         TEXT,
    template        TEXT    NOT NULL,
    context         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sent', 'failed', 'replaced')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    edit_of         TEXT,
    chat_id         INTEGER,
    claimed_by      TEXT,
    claimed_until   INTEGER
);

INSERT INTO outbox_new (id, key, channel, batch_id, member_id, participant_id, address, template,
                        context, status, attempts, next_attempt_at, last_error, created_at, sent_at,
                        edit_of, chat_id, claimed_by, claimed_until)
SELECT id, key, channel, batch_id, member_id, participant_id, address, template,
       context, status, attempts, next_attempt_at, last_error, created_at, sent_at,
       edit_of, chat_id, claimed_by, claimed_until
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_pending_channel ON outbox(channel, next_attempt_at) WHERE status = 'pending';
-- The waiting edits of one message, found when a newer one is queued.
CREATE INDEX outbox_pending_edits ON outbox(edit_of) WHERE status = 'pending' AND edit_of IS NOT NULL;
