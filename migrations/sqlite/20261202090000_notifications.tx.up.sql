-- Following, notifications and read positions (DESIGN section 12), SQLite dialect.
-- A follow is of one thread or one topic, at a level: watching (every reply), normal
-- (answers to my question, replies that quote or mention me) or muted.
CREATE TABLE follows (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id  INTEGER REFERENCES threads (id) ON DELETE CASCADE,
    tag_id     INTEGER REFERENCES tags (id) ON DELETE CASCADE,
    level      TEXT NOT NULL,
    auto       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((thread_id IS NULL) <> (tag_id IS NULL))
);
--bun:split
CREATE UNIQUE INDEX follows_user_thread ON follows (user_id, thread_id) WHERE thread_id IS NOT NULL;
--bun:split
CREATE UNIQUE INDEX follows_user_tag ON follows (user_id, tag_id) WHERE tag_id IS NOT NULL;
--bun:split
CREATE INDEX follows_thread ON follows (thread_id, level) WHERE thread_id IS NOT NULL;
--bun:split
CREATE INDEX follows_tag ON follows (tag_id, level) WHERE tag_id IS NOT NULL;
--bun:split
-- An event is written in the same transaction as the change that causes it; a background
-- fan-out turns it into notifications (and e-mail) after the commit, once.
CREATE TABLE notify_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    thread_id     INTEGER REFERENCES threads (id) ON DELETE CASCADE,
    post_id       INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    actor_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    user_id       INTEGER REFERENCES users (id) ON DELETE CASCADE,
    reason        TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    fanned_out_at TIMESTAMP
);
--bun:split
CREATE INDEX notify_events_pending ON notify_events (id) WHERE fanned_out_at IS NULL;
--bun:split
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id   INTEGER NOT NULL REFERENCES notify_events (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    thread_id  INTEGER REFERENCES threads (id) ON DELETE CASCADE,
    post_id    INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    actor_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP
);
--bun:split
CREATE UNIQUE INDEX notifications_event_user ON notifications (event_id, user_id);
--bun:split
CREATE INDEX notifications_user ON notifications (user_id, id);
--bun:split
CREATE INDEX notifications_user_unread ON notifications (user_id, id) WHERE read_at IS NULL;
--bun:split
-- How a member wants to hear of each kind of notification by e-mail: now, digest or never.
-- No row: the default of the kind.
CREATE TABLE notification_prefs (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    delivery TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
--bun:split
-- E-mail is discreet unless the member opts in to thread titles.
ALTER TABLE users ADD COLUMN email_titles BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- A member's read position in a thread: the newest post they have seen.
CREATE TABLE thread_reads (
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id         INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    last_read_post_id INTEGER NOT NULL,
    read_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, thread_id)
);
