-- Fencing for the outbox's claims. Each claim of a row counts up its
-- claim_number, and every settle (sent, retried, given up) names the number
-- it holds: a sender that stalled past its claim's expiry, and whose row
-- another sender has claimed since, finds its settle refused instead of
-- overwriting the newer sender's outcome.
ALTER TABLE outbox ADD COLUMN claim_number INTEGER NOT NULL DEFAULT 0;
