-- Look-alike pseudonyms: the skeleton of a name is what it looks like (Unicode confusables
-- folded, case folded, _ . - alike), computed in Go. Unique, so that "mаple_mom" with a
-- Cyrillic a cannot pass for maple_mom. NULL for deleted accounts; the server fills the
-- existing rows when it applies the migrations (store.fillPseudonymSkeletons).
ALTER TABLE users ADD COLUMN pseudonym_skeleton TEXT;
--bun:split
CREATE UNIQUE INDEX users_pseudonym_skeleton ON users (pseudonym_skeleton);
