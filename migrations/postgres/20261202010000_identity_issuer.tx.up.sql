-- Identities are keyed by the provider's issuer and the subject, never by the provider's short
-- name: a provider configured later under the same name has other people with the same subjects.
-- GitHub and Google have fixed issuers; rows of the generic OpenID Connect provider get a
-- placeholder until the server first starts with that provider configured and claims them for
-- its issuer (see store.ClaimLegacyIdentities).
ALTER TABLE identities ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
--bun:split
UPDATE identities SET issuer = CASE provider
    WHEN 'github' THEN 'https://github.com'
    WHEN 'google' THEN 'https://accounts.google.com'
    WHEN 'dev' THEN 'dev'
    ELSE 'legacy:' || provider
END;
--bun:split
ALTER TABLE identities ALTER COLUMN issuer DROP DEFAULT;
--bun:split
ALTER TABLE identities DROP CONSTRAINT identities_provider_subject_key;
--bun:split
CREATE UNIQUE INDEX identities_issuer_subject ON identities (issuer, subject);
--bun:split
-- Sign-in states already answered, so that each works once, on any node.
CREATE TABLE signin_states_used (
    state_hash BYTEA PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX signin_states_used_expires ON signin_states_used (expires_at);
