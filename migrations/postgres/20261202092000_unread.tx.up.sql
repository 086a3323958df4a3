-- Unread markers and a member's threads (DESIGN section 12), PostgreSQL dialect.
--
-- "N new" counts, per listed thread, the visible posts by others after the member's read
-- position: one range of this index per thread (thread_id = ?, id > position), read
-- without the table. Deleted and hidden posts are not in it, as they are never counted.
CREATE INDEX posts_thread_visible ON posts (thread_id, id, author_id) WHERE deleted_at IS NULL AND hidden_at IS NULL;
--bun:split
-- /mine lists the threads a member started or replied to (anonymously too: it is their own
-- list) by activity. thread_participants keeps one row per member and thread they wrote in,
-- with a copy of the thread's activity and hidden flag, so that one index both selects and
-- orders the list; the triggers below keep it, whichever statement writes the post or the
-- thread (as thread_tags does for topic pages).
CREATE TABLE thread_participants (
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id        BIGINT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    last_activity_at TIMESTAMPTZ NOT NULL,
    hidden           BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, thread_id)
);
--bun:split
CREATE INDEX thread_participants_activity ON thread_participants (user_id, hidden, last_activity_at, thread_id);
--bun:split
CREATE INDEX thread_participants_thread ON thread_participants (thread_id);
--bun:split
INSERT INTO thread_participants (user_id, thread_id, last_activity_at, hidden)
SELECT DISTINCT p.author_id, p.thread_id, t.last_activity_at, t.hidden
FROM posts p JOIN threads t ON t.id = p.thread_id JOIN users u ON u.id = p.author_id
WHERE u.deleted_at IS NULL;
--bun:split
CREATE FUNCTION posts_add_participant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO thread_participants (user_id, thread_id, last_activity_at, hidden)
    SELECT NEW.author_id, t.id, t.last_activity_at, t.hidden FROM threads t WHERE t.id = NEW.thread_id
    ON CONFLICT (user_id, thread_id) DO NOTHING;
    RETURN NULL;
END
$$;
--bun:split
CREATE TRIGGER posts_add_participant AFTER INSERT ON posts
FOR EACH ROW EXECUTE FUNCTION posts_add_participant();
--bun:split
CREATE FUNCTION threads_copy_to_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE thread_participants SET last_activity_at = NEW.last_activity_at, hidden = NEW.hidden
    WHERE thread_id = NEW.id;
    RETURN NULL;
END
$$;
--bun:split
CREATE TRIGGER threads_copy_to_participants AFTER UPDATE OF last_activity_at, hidden ON threads
FOR EACH ROW WHEN (OLD.last_activity_at IS DISTINCT FROM NEW.last_activity_at OR OLD.hidden IS DISTINCT FROM NEW.hidden)
EXECUTE FUNCTION threads_copy_to_participants();
--bun:split
-- Members who wrote in a thread before read positions existed start with everything in it
-- read: only what is posted from now on shows as new, not years of conversation.
INSERT INTO thread_reads (user_id, thread_id, last_read_post_id, read_at)
SELECT tp.user_id, tp.thread_id, (SELECT MAX(p.id) FROM posts p WHERE p.thread_id = tp.thread_id), tp.last_activity_at
FROM thread_participants tp
ON CONFLICT (user_id, thread_id) DO NOTHING;
