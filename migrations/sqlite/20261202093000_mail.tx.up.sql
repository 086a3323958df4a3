-- E-mail of notifications (DESIGN section 12), SQLite dialect. The queue itself is River's
-- (its own tables, migrated after these); these tables are the forum's side of it.
--
-- mail_sent records each message the SMTP server accepted, written right after it did and
-- in the same transaction that completes the job: a job run again after a crash finds its
-- row and sends nothing. mail_key is "n:<notification id>" for a message at once, or
-- "d:<user id>:<day>" for a daily digest, whose covered_through is the newest notification
-- it told of.
CREATE TABLE mail_sent (
    mail_key        TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    covered_through INTEGER NOT NULL DEFAULT 0,
    answer          TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX mail_sent_user ON mail_sent (user_id, covered_through);
--bun:split
CREATE INDEX mail_sent_at ON mail_sent (sent_at);
--bun:split
-- The development mailbox (/dev/mail): what would have been sent, when no SMTP server is
-- configured in development. Never written in production.
CREATE TABLE dev_mail (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER REFERENCES users (id) ON DELETE CASCADE,
    message_id       TEXT NOT NULL UNIQUE,
    to_addr          TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    list_unsubscribe TEXT NOT NULL,
    raw              TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL
);
