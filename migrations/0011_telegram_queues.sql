-- Each chat's waiting Telegram messages as a queue whose head (its oldest
-- pending row) is kept in `telegram_queues`, so the delivery worker finds
-- the next row of each chat, oldest chat first, through indexes instead
-- of sorting every pending row. Triggers keep the heads in step with the
-- outbox, whoever writes it.

-- Who a row goes to, as one value: a chat, else a member, else an address.
ALTER TABLE outbox ADD COLUMN recipient TEXT
    GENERATED ALWAYS AS (COALESCE('c' || chat_id, 'm' || member_id, 'a' || address)) VIRTUAL;

CREATE INDEX outbox_pending_telegram_by_recipient ON outbox(recipient, id)
    WHERE status = 'pending' AND channel = 'telegram';

CREATE TABLE telegram_queues (
    recipient TEXT    PRIMARY KEY,
    head_id   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX telegram_queues_by_age ON telegram_queues(head_id);

INSERT INTO telegram_queues (recipient, head_id)
    SELECT recipient, MIN(id) FROM outbox
    WHERE status = 'pending' AND channel = 'telegram'
    GROUP BY recipient;

-- A row joins its recipient's queue when it is written pending, or becomes
-- pending again.
CREATE TRIGGER telegram_queue_join AFTER INSERT ON outbox
    WHEN NEW.status = 'pending' AND NEW.channel = 'telegram'
BEGIN
    INSERT INTO telegram_queues (recipient, head_id) VALUES (NEW.recipient, NEW.id)
        ON CONFLICT (recipient) DO UPDATE SET head_id = MIN(head_id, excluded.head_id);
END;

CREATE TRIGGER telegram_queue_rejoin AFTER UPDATE OF status ON outbox
    WHEN OLD.status <> 'pending' AND NEW.status = 'pending' AND NEW.channel = 'telegram'
BEGIN
    INSERT INTO telegram_queues (recipient, head_id) VALUES (NEW.recipient, NEW.id)
        ON CONFLICT (recipient) DO UPDATE SET head_id = MIN(head_id, excluded.head_id);
END;

-- A row that leaves (sent, failed, replaced) moves its queue's head on,
-- and an empty queue goes.
CREATE TRIGGER telegram_queue_leave AFTER UPDATE OF status ON outbox
    WHEN OLD.status = 'pending' AND NEW.status <> 'pending' AND OLD.channel = 'telegram'
BEGIN
    DELETE FROM telegram_queues WHERE recipient = OLD.recipient
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND channel = 'telegram'
                                                AND recipient = OLD.recipient);
    UPDATE telegram_queues
        SET head_id = (SELECT MIN(id) FROM outbox WHERE status = 'pending' AND channel = 'telegram'
                                                    AND recipient = OLD.recipient)
        WHERE recipient = OLD.recipient AND head_id = OLD.id;
END;

CREATE TRIGGER telegram_queue_delete AFTER DELETE ON outbox
    WHEN OLD.status = 'pending' AND OLD.channel = 'telegram'
BEGIN
    DELETE FROM telegram_queues WHERE recipient = OLD.recipient
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND channel = 'telegram'
                                                AND recipient = OLD.recipient);
    UPDATE telegram_queues
        SET head_id = (SELECT MIN(id) FROM outbox WHERE status = 'pending' AND channel = 'telegram'
                                                    AND recipient = OLD.recipient)
        WHERE recipient = OLD.recipient AND head_id = OLD.id;
END;

-- A group that became a supergroup: its pending rows move to the new chat
-- id, and so does their queue.
CREATE TRIGGER telegram_queue_move AFTER UPDATE OF chat_id, member_id, address ON outbox
    WHEN NEW.status = 'pending' AND NEW.channel = 'telegram' AND OLD.recipient IS NOT NEW.recipient
BEGIN
    DELETE FROM telegram_queues WHERE recipient = OLD.recipient
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND channel = 'telegram'
                                                AND recipient = OLD.recipient);
    UPDATE telegram_queues
        SET head_id = (SELECT MIN(id) FROM outbox WHERE status = 'pending' AND channel = 'telegram'
                                                    AND recipient = OLD.recipient)
        WHERE recipient = OLD.recipient AND head_id = OLD.id;
    INSERT INTO telegram_queues (recipient, head_id) VALUES (NEW.recipient, NEW.id)
        ON CONFLICT (recipient) DO UPDATE SET head_id = MIN(head_id, excluded.head_id);
END;
