-- Every list of threads reads its page through an index that both selects and orders it,
-- so that a page costs the same on a board of a hundred threads and of a million
-- (TestListQueriesUseIndexes checks each list's plan).
--
-- The unanswered queue and the home page's "waiting" list: open questions by activity.
CREATE INDEX threads_kind_state_activity ON threads (kind, state, hidden, last_activity_at, id);
--bun:split
-- /mine: a member's threads by activity (it replaces the index on the author alone).
CREATE INDEX threads_author_activity ON threads (author_id, hidden, last_activity_at, id);
--bun:split
DROP INDEX threads_author;
--bun:split
-- Every list filters on something before it orders by activity (see the indexes above,
-- threads_pinned_activity and threads_visibility_activity). An index on activity alone
-- let the planner walk every thread in that order, filtering, until a page was full.
DROP INDEX threads_last_activity;
--bun:split
-- A topic page lists a tag's threads by activity. thread_tags keeps a copy of each
-- thread's activity, hidden flag and visibility, so that one index both selects and orders
-- the page; the triggers below keep the copy, whichever statement writes the thread.
ALTER TABLE thread_tags ADD COLUMN last_activity_at TIMESTAMPTZ;
--bun:split
ALTER TABLE thread_tags ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE thread_tags ADD COLUMN visibility TEXT NOT NULL DEFAULT 'members';
--bun:split
UPDATE thread_tags tt SET last_activity_at = t.last_activity_at, hidden = t.hidden, visibility = t.visibility
FROM threads t WHERE t.id = tt.thread_id;
--bun:split
CREATE FUNCTION thread_tags_copy_thread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT t.last_activity_at, t.hidden, t.visibility INTO NEW.last_activity_at, NEW.hidden, NEW.visibility
    FROM threads t WHERE t.id = NEW.thread_id;
    RETURN NEW;
END
$$;
--bun:split
CREATE TRIGGER thread_tags_copy_thread BEFORE INSERT ON thread_tags
FOR EACH ROW EXECUTE FUNCTION thread_tags_copy_thread();
--bun:split
CREATE FUNCTION threads_copy_to_tags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE thread_tags SET last_activity_at = NEW.last_activity_at, hidden = NEW.hidden, visibility = NEW.visibility
    WHERE thread_id = NEW.id;
    RETURN NULL;
END
$$;
--bun:split
CREATE TRIGGER threads_copy_to_tags AFTER UPDATE OF last_activity_at, hidden, visibility ON threads
FOR EACH ROW WHEN (OLD.last_activity_at IS DISTINCT FROM NEW.last_activity_at OR OLD.hidden IS DISTINCT FROM NEW.hidden
    OR OLD.visibility IS DISTINCT FROM NEW.visibility)
EXECUTE FUNCTION threads_copy_to_tags();
--bun:split
CREATE INDEX thread_tags_activity ON thread_tags (tag_id, hidden, last_activity_at, thread_id);
--bun:split
-- Visitors see a topic's published threads only.
CREATE INDEX thread_tags_visibility_activity ON thread_tags (tag_id, visibility, hidden, last_activity_at, thread_id);
