-- Accounts: a member picks a pseudonym on first sign-in; until then pseudonym_chosen_at is NULL.
ALTER TABLE users ADD COLUMN pseudonym_chosen_at TIMESTAMP;
--bun:split
CREATE INDEX users_role_status ON users (role, status);
--bun:split
CREATE INDEX sessions_expires ON sessions (expires_at);
