-- Flags, warnings and undoable moderation (DESIGN section 13), SQLite dialect.
-- A flag is one member's report of one post; a member flags a post once.
CREATE TABLE flags (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    thread_id   INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    flagger_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    handled_at  TIMESTAMP,
    handled_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    outcome     TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE UNIQUE INDEX flags_post_flagger ON flags (post_id, flagger_id);
--bun:split
CREATE INDEX flags_open ON flags (post_id) WHERE handled_at IS NULL;
--bun:split
CREATE INDEX flags_flagger ON flags (flagger_id, created_at);
--bun:split
-- A warning a moderator gave a member: shown on their pages until they acknowledge it.
CREATE TABLE warnings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    moderator_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    post_id         INTEGER REFERENCES posts (id) ON DELETE SET NULL,
    message         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP
);
--bun:split
CREATE INDEX warnings_open ON warnings (user_id, id) WHERE acknowledged_at IS NULL;
--bun:split
-- A post hidden because several established members flagged it, until a moderator decides.
ALTER TABLE posts ADD COLUMN flag_hidden BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- An earlier version a moderator's edit replaced: only moderators may read it.
ALTER TABLE post_revisions ADD COLUMN moderator_only BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- The helpful mark of a thread whose helpful reply is hidden, kept for its restore.
ALTER TABLE threads ADD COLUMN held_helpful_post_id INTEGER REFERENCES posts (id) ON DELETE SET NULL;
--bun:split
-- A published thread out of the public archive while one of its answers is hidden.
ALTER TABLE threads ADD COLUMN archive_withheld BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- A suspension that ends by itself; NULL: until a moderator lifts it.
ALTER TABLE users ADD COLUMN suspended_until TIMESTAMP;
--bun:split
-- The audit log names the member an action concerned and the thread it happened in, so
-- that it can be read and filtered.
ALTER TABLE audit_log ADD COLUMN subject_id INTEGER REFERENCES users (id);
--bun:split
ALTER TABLE audit_log ADD COLUMN thread_id INTEGER REFERENCES threads (id);
--bun:split
UPDATE audit_log SET subject_id = (SELECT author_id FROM posts WHERE posts.id = audit_log.target_id),
    thread_id = (SELECT thread_id FROM posts WHERE posts.id = audit_log.target_id)
WHERE target_type = 'post';
--bun:split
UPDATE audit_log SET subject_id = (SELECT author_id FROM threads WHERE threads.id = audit_log.target_id),
    thread_id = target_id
WHERE target_type = 'thread';
--bun:split
UPDATE audit_log SET subject_id = target_id WHERE target_type = 'user';
--bun:split
CREATE INDEX audit_log_actor ON audit_log (actor_id, created_at, id);
--bun:split
CREATE INDEX audit_log_subject ON audit_log (subject_id, created_at, id);
--bun:split
CREATE INDEX audit_log_action ON audit_log (action, created_at, id);
