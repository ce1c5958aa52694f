-- sertibot's records. Times are UTC epoch milliseconds (INTEGER); calendar
-- dates (an assessment day, a decree's date) are ISO text YYYY-MM-DD.

-- Every procedure version a batch has used, kept whole so a running batch
-- is never changed by editing the procedure file.
CREATE TABLE procedures (
    id            INTEGER PRIMARY KEY,
    fingerprint   TEXT    NOT NULL UNIQUE,   -- SHA-256 of the file's text
    name          TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    source        TEXT    NOT NULL,          -- the TOML text itself
    first_used_at INTEGER NOT NULL
);

-- Staff. A member acts in Telegram only once registered (numeric user id).
CREATE TABLE members (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    email            TEXT,
    telegram_user_id INTEGER UNIQUE,
    registered_at    INTEGER,
    unreachable_at   INTEGER,                -- Telegram refused delivery (403, chat not found)
    active           INTEGER NOT NULL DEFAULT 1,
    created_at       INTEGER NOT NULL
);

CREATE TABLE member_roles (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    role      TEXT    NOT NULL CHECK (role IN ('ketua-lsp', 'kabag-sertifikasi', 'kabag-administrasi', 'komite-teknis')),
    PRIMARY KEY (member_id, role)
);
CREATE INDEX member_roles_by_role ON member_roles(role);

-- One-time registration links. Only a SHA-256 of the token is kept.
CREATE TABLE registration_tokens (
    id                       INTEGER PRIMARY KEY,
    member_id                INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    token_hash               TEXT    NOT NULL UNIQUE,
    created_at               INTEGER NOT NULL,
    expires_at               INTEGER NOT NULL,
    used_at                  INTEGER,
    used_by_telegram_user_id INTEGER
);

CREATE TABLE batches (
    id                INTEGER PRIMARY KEY,
    scheme            TEXT    NOT NULL,      -- skema sertifikasi
    assessed_on       TEXT    NOT NULL,      -- YYYY-MM-DD
    place             TEXT,                  -- TUK, where the assessment was held
    procedure_id      INTEGER NOT NULL REFERENCES procedures(id),
    status            TEXT    NOT NULL CHECK (status IN ('draft', 'running', 'finished')),
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    finished_at       INTEGER,
    meeting_starts_at INTEGER,
    meeting_place     TEXT,
    decree_number     TEXT,
    decree_date       TEXT
);

-- Participants (asesi), with what the SOP records about each.
CREATE TABLE participants (
    id                 INTEGER PRIMARY KEY,
    batch_id           INTEGER NOT NULL REFERENCES batches(id),
    row_no             INTEGER NOT NULL,     -- order as imported
    name               TEXT    NOT NULL,
    email              TEXT    NOT NULL,
    email_key          TEXT    NOT NULL,     -- lower-case, to refuse duplicates
    registration_no    TEXT,
    result             TEXT CHECK (result IN ('K', 'BK')),
    result_by          INTEGER REFERENCES members(id),
    result_at          INTEGER,
    blank_number       TEXT,
    handover_ready_at  INTEGER,
    handover_opened_at INTEGER,
    handover_opened_by INTEGER REFERENCES members(id),
    handover_due_at    INTEGER,
    received_at        INTEGER,
    received_by        INTEGER REFERENCES members(id),
    UNIQUE (batch_id, email_key),
    UNIQUE (batch_id, registration_no)
);
CREATE UNIQUE INDEX participants_blank_number ON participants(batch_id, blank_number)
    WHERE blank_number IS NOT NULL;

-- Each step of each batch.
CREATE TABLE step_runs (
    batch_id    INTEGER NOT NULL REFERENCES batches(id),
    step_no     INTEGER NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('waiting', 'active', 'done', 'skipped')),
    started_at  INTEGER,
    due_at      INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (batch_id, step_no)
);

-- Acknowledgements ("I'm on it") and "done" presses, once per member.
CREATE TABLE step_marks (
    batch_id  INTEGER NOT NULL REFERENCES batches(id),
    step_no   INTEGER NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id),
    kind      TEXT    NOT NULL CHECK (kind IN ('ack', 'done')),
    roles     TEXT    NOT NULL DEFAULT '',   -- for 'done': the roles it counted for
    at        INTEGER NOT NULL,
    PRIMARY KEY (batch_id, step_no, member_id, kind)
);

CREATE TABLE problems (
    id        INTEGER PRIMARY KEY,
    batch_id  INTEGER NOT NULL REFERENCES batches(id),
    step_no   INTEGER NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id),
    text      TEXT    NOT NULL,
    at        INTEGER NOT NULL
);

-- Answers to the meeting invitation.
CREATE TABLE rsvps (
    batch_id  INTEGER NOT NULL REFERENCES batches(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    attend    INTEGER NOT NULL,
    reason    TEXT,
    at        INTEGER NOT NULL,
    PRIMARY KEY (batch_id, member_id)
);

-- Running clocks: a step's, or one participant's handover. The scheduler
-- finds the next one through the partial index, never by scanning batches.
CREATE TABLE deadlines (
    id             INTEGER PRIMARY KEY,
    key            TEXT    NOT NULL UNIQUE,  -- b<batch>:s<step>[:p<participant>]
    batch_id       INTEGER NOT NULL REFERENCES batches(id),
    step_no        INTEGER NOT NULL,
    participant_id INTEGER REFERENCES participants(id),
    started_at     INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    stopped_at     INTEGER                   -- the step (or handover) finished
);
CREATE INDEX deadlines_running ON deadlines(due_at) WHERE stopped_at IS NULL;

-- Append-only: who did what, when, through which channel.
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    channel          TEXT    NOT NULL,       -- cli | telegram | scheduler | simulation
    actor            TEXT    NOT NULL,       -- operator | member | stranger | system
    member_id        INTEGER REFERENCES members(id),
    telegram_user_id INTEGER,
    batch_id         INTEGER REFERENCES batches(id),
    action           TEXT    NOT NULL,
    detail           TEXT    NOT NULL        -- JSON
);
CREATE INDEX audit_log_by_batch ON audit_log(batch_id, id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Every message the system will send, written in the same transaction as
-- the change that caused it. `key` names the occasion, so a message is
-- queued once however often its cause is replayed.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    key             TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL CHECK (channel IN ('telegram', 'email')),
    batch_id        INTEGER REFERENCES batches(id),
    member_id       INTEGER REFERENCES members(id),
    participant_id  INTEGER REFERENCES participants(id),
    address         TEXT,                    -- an email recipient, as it was when queued
    template        TEXT    NOT NULL,
    context         TEXT    NOT NULL,        -- JSON for the template
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE status = 'pending';
