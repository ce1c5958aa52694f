-- Issue 23: what a participant was called or reached at before a
-- correction (an earlier name, email or registration number). Copies of
-- those values stay in cards and messages sent before the correction; an
-- erasure scrubs them too, then deletes these rows with the person.
CREATE TABLE participant_former (
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    column_name    TEXT    NOT NULL,
    value          TEXT    NOT NULL,
    PRIMARY KEY (participant_id, column_name, value)
) WITHOUT ROWID;
