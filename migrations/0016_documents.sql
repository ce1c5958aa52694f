-- Issue 14: what BNSP's blank request asks for about each participant
-- (all optional), and the documents sertibot writes.

ALTER TABLE participants ADD COLUMN nik TEXT;          -- 16 digits
ALTER TABLE participants ADD COLUMN birth_place TEXT;
ALTER TABLE participants ADD COLUMN birth_date TEXT;   -- YYYY-MM-DD
ALTER TABLE participants ADD COLUMN phone TEXT;

-- Letter numbers: one yearly counter per kind of document. A number once
-- given stays with its document and is never given again, even when the
-- document is issued anew after a correction.
CREATE TABLE letter_counters (
    kind TEXT    NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (kind, year)
);

-- Every document issued: its number (if it has one) and the SHA-256 of
-- each version issued. A document is one kind for one batch, and for one
-- participant where the kind is per participant.
CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    batch_id       INTEGER NOT NULL REFERENCES batches(id),
    kind           TEXT    NOT NULL,
    participant_id INTEGER REFERENCES participants(id),
    number         TEXT,
    numbered_at    INTEGER NOT NULL,
    sha256         TEXT,                    -- of the version last issued
    issued_at      INTEGER
);
CREATE UNIQUE INDEX documents_one ON documents(batch_id, kind, IFNULL(participant_id, 0));
CREATE UNIQUE INDEX documents_number ON documents(kind, number) WHERE number IS NOT NULL;
