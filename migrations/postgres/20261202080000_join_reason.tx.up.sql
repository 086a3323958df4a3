-- Joining: a person awaiting approval may say what brings them here, for the moderators
-- who decide (NULL: they did not say). Deleting the account empties it.
ALTER TABLE users ADD COLUMN join_reason TEXT;
--bun:split
-- When the member saw the notice that they were let in. A notice is owed while the account
-- was approved after it (or never seen): the member's next page says they are in, once.
ALTER TABLE users ADD COLUMN approval_seen_at TIMESTAMPTZ;
--bun:split
-- Members approved before this migration were let in long ago: they are owed no notice.
UPDATE users SET approval_seen_at = approved_at WHERE approved_at IS NOT NULL;
--bun:split
-- A profile lists a person's latest answers: their posts, newest first, read in this order.
CREATE INDEX posts_author_created ON posts (author_id, created_at, id);
--bun:split
-- The index above begins with the author: it does all the one on the author alone did.
DROP INDEX posts_author;
