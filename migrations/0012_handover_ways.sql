-- How a participant's document was handed over (in person, by courier with
-- a tracking number, or to a representative with a power of attorney), and
-- when the one reminder to collect it was sent.
ALTER TABLE participants ADD COLUMN receipt_via TEXT;
ALTER TABLE participants ADD COLUMN receipt_detail TEXT;
ALTER TABLE participants ADD COLUMN handover_reminded_at INTEGER;
