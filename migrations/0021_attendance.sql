-- Issue 24: who attended the plenary, marked at the meeting by Ketua LSP or
-- Kabag Sertifikasi (an invitee not marked is taken as expected: the chair,
-- and those who said they would come). Cleared when the meeting moves or is
-- cancelled, as the answers are.
CREATE TABLE attendance (
    batch_id  INTEGER NOT NULL REFERENCES batches(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    present   INTEGER NOT NULL,
    marked_by INTEGER NOT NULL REFERENCES members(id),
    at        INTEGER NOT NULL,
    PRIMARY KEY (batch_id, member_id)
);
