-- A random key made once per database: emails' Message-IDs and calendar
-- UIDs include it, so a fresh database (after a trial run) never repeats
-- the identifiers mail systems and calendars have already seen.
CREATE TABLE installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL
);
INSERT INTO installation (id, key) VALUES (1, lower(hex(randomblob(16))));
