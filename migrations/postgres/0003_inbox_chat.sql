-- The chat each waiting update belongs to, as on SQLite (0023): an
-- instance takes the oldest update of a chat none of whose earlier
-- updates waits or is in another instance's hands.
ALTER TABLE inbox ADD COLUMN chat_id BIGINT;
CREATE INDEX inbox_by_chat ON inbox(chat_id, update_id);
