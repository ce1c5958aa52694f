-- Telegram: handled updates, conversations, sent messages, chats.

-- Update ids already handled, so an update delivered again (after a
-- restart, or twice by the network) has no second effect.
CREATE TABLE processed_updates (
    update_id  INTEGER PRIMARY KEY,
    handled_at INTEGER NOT NULL
);

-- What the bot is waiting for from a user (a short guided conversation),
-- kept here so a restart in the middle loses nothing.
CREATE TABLE conversations (
    telegram_user_id INTEGER NOT NULL,
    chat_id          INTEGER NOT NULL,
    state            TEXT    NOT NULL,       -- JSON
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (telegram_user_id, chat_id)
);

-- Messages Telegram accepted, by the outbox key that sent them, so later
-- rows can edit them (a task showing who acknowledged, a live RSVP tally).
CREATE TABLE telegram_messages (
    outbox_key TEXT    PRIMARY KEY,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    sent_at    INTEGER NOT NULL
);

-- Group chats the bot was added to; announcements may go there.
CREATE TABLE telegram_groups (
    chat_id  INTEGER PRIMARY KEY,
    title    TEXT,
    added_at INTEGER NOT NULL
);

-- An outbox row may edit a message sent by an earlier row instead of
-- sending a new one; it may also go to a chat rather than a member.
ALTER TABLE outbox ADD COLUMN edit_of TEXT;
ALTER TABLE outbox ADD COLUMN chat_id INTEGER;
CREATE INDEX outbox_pending_channel ON outbox(channel, next_attempt_at) WHERE status = 'pending';
