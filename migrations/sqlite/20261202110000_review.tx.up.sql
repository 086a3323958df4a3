-- First-post review: a new member's first posts wait here, unseen by anyone but their
-- author and the moderators, until a moderator publishes them (as a thread or a reply,
-- with their original time) or declines them with a reason the author reads. Nothing of a
-- held post is in threads or posts, so no list, count, feed, search or notification can
-- show it before it is published. thread_id is the thread a held reply answers (NULL for
-- a new thread); post_id the post it became once published.
CREATE TABLE held_posts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id       INTEGER REFERENCES threads (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    body_source     TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    content_note    TEXT NOT NULL DEFAULT '',
    anonymous       BOOLEAN NOT NULL DEFAULT FALSE,
    publish_consent BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMP NOT NULL,
    decided_at      TIMESTAMP,
    decided_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    declined        BOOLEAN NOT NULL DEFAULT FALSE,
    reason          TEXT NOT NULL DEFAULT '',
    post_id         INTEGER REFERENCES posts (id) ON DELETE SET NULL
);
--bun:split
-- The moderators' queue, oldest first, and its count in their header.
CREATE INDEX held_posts_waiting ON held_posts (created_at, id) WHERE decided_at IS NULL;
--bun:split
-- An author's own held posts, newest first.
CREATE INDEX held_posts_author ON held_posts (author_id, created_at, id);
--bun:split
-- The held replies of a thread, shown to their authors on its page.
CREATE INDEX held_posts_thread ON held_posts (thread_id) WHERE decided_at IS NULL;
--bun:split
CREATE TABLE held_post_tags (
    held_post_id INTEGER NOT NULL REFERENCES held_posts (id) ON DELETE CASCADE,
    tag_id       INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (held_post_id, tag_id)
);
--bun:split
-- Discreet page titles: the browser tab shows only the forum's name, on every page.
ALTER TABLE users ADD COLUMN discreet_titles BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- A duplicate merged into another thread: its address leads to that thread.
ALTER TABLE threads ADD COLUMN merged_into INTEGER REFERENCES threads (id);
