-- Tidy the schema: drop what was made before anything used it. Nothing ever wrote a
-- thread's view_count, a flag or a follow, so no member's words go with them; the
-- features that need such rows will make their own tables.
ALTER TABLE threads DROP COLUMN view_count;
--bun:split
DROP TABLE flags;
--bun:split
DROP TABLE follows;
--bun:split
-- The moderators' lists of accounts are read a page at a time, newest first.
CREATE INDEX users_created ON users (created_at, id);
