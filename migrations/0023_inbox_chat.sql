-- The chat each waiting update belongs to (its sender's when it names no
-- chat; 0 when it has neither), so that one chat's updates are taken in
-- order even when several handlers take updates at once (several
-- instances on PostgreSQL): an update is taken only when no earlier
-- update of its chat waits.
ALTER TABLE inbox ADD COLUMN chat_id INTEGER;
CREATE INDEX inbox_by_chat ON inbox(chat_id, update_id);
