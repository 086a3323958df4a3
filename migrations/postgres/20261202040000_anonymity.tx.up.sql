-- Anonymity: a draft keeps every field of its form, so that a restored question posts as
-- the member meant (anonymously, with its content note, with or without consent).
ALTER TABLE drafts ADD COLUMN kind TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE drafts ADD COLUMN content_note TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE drafts ADD COLUMN anonymous BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE drafts ADD COLUMN publish_consent BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- An anonymous reply is never an expert answer: it would name its author's role (a badge,
-- the "answered" state, by:expert in search). Earlier rows said otherwise.
UPDATE posts SET expert = FALSE WHERE anonymous = TRUE AND expert = TRUE;
--bun:split
UPDATE threads SET state = 'open'
WHERE state = 'answered' AND NOT EXISTS (
    SELECT 1 FROM posts
    WHERE posts.thread_id = threads.id AND posts.expert = TRUE AND posts.opening = FALSE
      AND posts.deleted_at IS NULL AND posts.hidden_at IS NULL);
