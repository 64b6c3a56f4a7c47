-- Sign-ins started with the OpenID Connect provider and not yet answered. The row is
-- named by a hash of the `state` sent to the provider and taken (deleted) when the answer
-- comes back, so each works once; it holds the nonce and PKCE verifier that answer must
-- match, and the hash of the starting browser's cookie, so only that browser finishes it.
CREATE TABLE sso_attempts (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_attempts_expiry ON sso_attempts(expires_at);
