-- Who changed who belongs to an organization and whether it shares tickets: acts that
-- widen or narrow what customers see, kept apart from the per-ticket events.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    actor_id     INTEGER REFERENCES users(id),
    action       TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   INTEGER NOT NULL,
    data         TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log(subject_kind, subject_id, id);

CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Sign-in, sign-up and link attempts, for throttling. In the database so that every
-- process behind a load balancer counts the same attempts. Keys are hashes of the account,
-- the client address or both: no address typed by a stranger is kept in the clear.
CREATE TABLE auth_attempts (
    key_hash   TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('failure', 'success', 'request')),
    created_at INTEGER NOT NULL
);
CREATE INDEX auth_attempts_key ON auth_attempts(key_hash, outcome, created_at);
CREATE INDEX auth_attempts_time ON auth_attempts(created_at);

-- A sign-up waits for its address to be proven: the password chosen is kept (as its
-- argon2 hash) with the link mailed to the address, and becomes the account's only when
-- the link is used.
ALTER TABLE signin_links ADD COLUMN password_hash TEXT;
