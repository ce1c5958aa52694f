-- Polling mode with several instances: one instance at a time asks
-- Telegram for updates (getUpdates allows one caller per bot). It holds
-- this row's lease and renews it while it fetches; when it dies, the lease
-- runs out and another instance takes it over. Times are milliseconds
-- since the epoch (UTC), as everywhere else.
CREATE TABLE polling_lease (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    holder     TEXT   NOT NULL,
    until      BIGINT NOT NULL,
    taken_at   BIGINT NOT NULL,
    generation BIGINT NOT NULL
);
