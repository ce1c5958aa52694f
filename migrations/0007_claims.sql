-- A sender claims an outbox row before it sends it, so that no two senders
-- (a second service by mistake, or two workers) ever send the same row.
-- The claim names the sending process and lapses at claimed_until; the
-- running service, alone on the database by its lock, drops every claim
-- left by a process that died.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
