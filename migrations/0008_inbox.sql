-- The durable inbox: every update Telegram handed over, until it is
-- handled (it leaves in the transaction that marks it handled), and the
-- offset to ask Telegram for next, stored with the updates it follows.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL
);

CREATE TABLE inbox_offset (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    next_offset INTEGER NOT NULL
);
