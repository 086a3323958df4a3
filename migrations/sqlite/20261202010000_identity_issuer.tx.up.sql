-- Identities are keyed by the provider's issuer and the subject, never by the provider's short
-- name: a provider configured later under the same name has other people with the same subjects.
-- SQLite cannot drop the old UNIQUE (provider, subject), so the table is rebuilt with its rows.
-- GitHub and Google have fixed issuers; rows of the generic OpenID Connect provider get a
-- placeholder until the server first starts with that provider configured and claims them for
-- its issuer (see store.ClaimLegacyIdentities).
CREATE TABLE identities_by_issuer (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    email        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL
);
--bun:split
INSERT INTO identities_by_issuer (id, user_id, provider, issuer, subject, email, created_at, last_used_at)
SELECT id, user_id, provider,
       CASE provider
           WHEN 'github' THEN 'https://github.com'
           WHEN 'google' THEN 'https://accounts.google.com'
           WHEN 'dev' THEN 'dev'
           ELSE 'legacy:' || provider
       END,
       subject, email, created_at, last_used_at
FROM identities;
--bun:split
DROP TABLE identities;
--bun:split
ALTER TABLE identities_by_issuer RENAME TO identities;
--bun:split
CREATE INDEX identities_user_id ON identities (user_id);
--bun:split
CREATE UNIQUE INDEX identities_issuer_subject ON identities (issuer, subject);
--bun:split
-- Sign-in states already answered, so that each works once, on any node.
CREATE TABLE signin_states_used (
    state_hash BLOB PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX signin_states_used_expires ON signin_states_used (expires_at);
