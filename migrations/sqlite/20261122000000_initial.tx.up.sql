-- The whole content model of the forum (DESIGN section 3), SQLite dialect.
-- Times are stored in UTC by the application. Migrations only add; they never drop user content.

CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    rank        INTEGER NOT NULL UNIQUE,
    description TEXT NOT NULL
);
--bun:split
INSERT INTO roles (name, rank, description) VALUES
    ('pending',   0, 'Signed in, awaiting approval'),
    ('member',   10, 'Approved family member'),
    ('expert',   20, 'Credentialed expert'),
    ('moderator',30, 'Moderator'),
    ('admin',    40, 'Administrator');
--bun:split
CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    pseudonym       TEXT NOT NULL,
    pseudonym_lower TEXT NOT NULL UNIQUE,
    email           TEXT NOT NULL DEFAULT '',
    real_name       TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL DEFAULT 'pending' REFERENCES roles (name),
    status          TEXT NOT NULL DEFAULT 'active',
    credential      TEXT NOT NULL DEFAULT '',
    bio             TEXT NOT NULL DEFAULT '',
    demo_key        TEXT UNIQUE,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    approved_at     TIMESTAMP,
    suspended_at    TIMESTAMP,
    deleted_at      TIMESTAMP
);
--bun:split
CREATE TABLE identities (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    email        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    UNIQUE (provider, subject)
);
--bun:split
CREATE INDEX identities_user_id ON identities (user_id);
--bun:split
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   BLOB NOT NULL UNIQUE,
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
--bun:split
CREATE INDEX sessions_user_id ON sessions (user_id);
--bun:split
CREATE TABLE invites (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash  BLOB NOT NULL UNIQUE,
    created_by INTEGER NOT NULL REFERENCES users (id),
    max_uses   INTEGER NOT NULL DEFAULT 1,
    used_count INTEGER NOT NULL DEFAULT 0,
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
--bun:split
CREATE TABLE threads (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL DEFAULT 'question',
    title            TEXT NOT NULL,
    slug             TEXT NOT NULL,
    author_id        INTEGER NOT NULL REFERENCES users (id),
    anonymous        BOOLEAN NOT NULL DEFAULT FALSE,
    visibility       TEXT NOT NULL DEFAULT 'members',
    state            TEXT NOT NULL DEFAULT 'open',
    locked           BOOLEAN NOT NULL DEFAULT FALSE,
    pinned           BOOLEAN NOT NULL DEFAULT FALSE,
    hidden           BOOLEAN NOT NULL DEFAULT FALSE,
    publish_consent  BOOLEAN NOT NULL DEFAULT FALSE,
    helpful_post_id  INTEGER,
    reply_count      INTEGER NOT NULL DEFAULT 0,
    view_count       INTEGER NOT NULL DEFAULT 0,
    demo_key         TEXT UNIQUE,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL,
    published_at     TIMESTAMP,
    published_by     INTEGER REFERENCES users (id)
);
--bun:split
CREATE INDEX threads_last_activity ON threads (last_activity_at, id);
--bun:split
CREATE INDEX threads_author ON threads (author_id);
--bun:split
CREATE INDEX threads_visibility_activity ON threads (visibility, last_activity_at, id);
--bun:split
CREATE TABLE posts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id    INTEGER NOT NULL REFERENCES threads (id),
    author_id    INTEGER NOT NULL REFERENCES users (id),
    anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
    opening      BOOLEAN NOT NULL DEFAULT FALSE,
    expert       BOOLEAN NOT NULL DEFAULT FALSE,
    body_source  TEXT NOT NULL,
    body_html    TEXT NOT NULL,
    content_note TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    edited_at    TIMESTAMP,
    hidden_at    TIMESTAMP,
    deleted_at   TIMESTAMP
);
--bun:split
CREATE INDEX posts_thread ON posts (thread_id, created_at, id);
--bun:split
CREATE INDEX posts_author ON posts (author_id);
--bun:split
CREATE TABLE post_revisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     INTEGER NOT NULL REFERENCES posts (id),
    editor_id   INTEGER NOT NULL REFERENCES users (id),
    title       TEXT NOT NULL DEFAULT '',
    body_source TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX post_revisions_post ON post_revisions (post_id, id);
--bun:split
CREATE TABLE tags (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    slug         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    thread_count INTEGER NOT NULL DEFAULT 0,
    merged_into  INTEGER REFERENCES tags (id),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE thread_tags (
    thread_id INTEGER NOT NULL REFERENCES threads (id),
    tag_id    INTEGER NOT NULL REFERENCES tags (id),
    PRIMARY KEY (thread_id, tag_id)
);
--bun:split
CREATE INDEX thread_tags_tag ON thread_tags (tag_id, thread_id);
--bun:split
CREATE TABLE related_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id  INTEGER NOT NULL REFERENCES threads (id),
    other_id   INTEGER NOT NULL REFERENCES threads (id),
    note       TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (thread_id, other_id),
    CHECK (thread_id < other_id)
);
--bun:split
CREATE INDEX related_links_other ON related_links (other_id);
--bun:split
CREATE TABLE drafts (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    draft_key  TEXT NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    tags       TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, draft_key)
);
--bun:split
CREATE TABLE flags (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     INTEGER NOT NULL REFERENCES posts (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    reason      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by INTEGER REFERENCES users (id),
    UNIQUE (post_id, user_id)
);
--bun:split
CREATE TABLE follows (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id  INTEGER REFERENCES threads (id),
    tag_id     INTEGER REFERENCES tags (id),
    created_at TIMESTAMP NOT NULL,
    CHECK ((thread_id IS NULL) <> (tag_id IS NULL))
);
--bun:split
CREATE UNIQUE INDEX follows_thread ON follows (user_id, thread_id) WHERE thread_id IS NOT NULL;
--bun:split
CREATE UNIQUE INDEX follows_tag ON follows (user_id, tag_id) WHERE tag_id IS NOT NULL;
--bun:split
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    INTEGER REFERENCES users (id),
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX audit_log_created ON audit_log (created_at, id);
--bun:split
CREATE TABLE changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    entity      TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    thread_id   INTEGER NOT NULL,
    op          TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
