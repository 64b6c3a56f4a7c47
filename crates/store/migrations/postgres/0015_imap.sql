-- Fetching a mailbox's mail over IMAP: where and how to connect, what to do with a message
-- once it is taken in, how far the poller got in the folder (per UIDVALIDITY), what went
-- wrong last (for admins), and which process polls it now (a lease, so several heard
-- processes on one database take turns instead of fetching side by side).
CREATE TABLE mailbox_imap (
    mailbox_id       BIGINT PRIMARY KEY REFERENCES mailboxes(id),
    host             TEXT NOT NULL,
    port             BIGINT NOT NULL,
    security         TEXT NOT NULL CHECK (security IN ('tls','starttls','none')),
    username         TEXT NOT NULL,
    -- Never shown back.
    password         TEXT NOT NULL,
    folder           TEXT NOT NULL,
    after_import     TEXT NOT NULL CHECK (after_import IN ('seen','move')),
    move_to          TEXT,
    -- Bumped whenever the settings change: a running poller reconnects with the new ones.
    settings_version BIGINT NOT NULL DEFAULT 1,
    uid_validity     BIGINT,
    -- Every message up to this UID was taken in and handled.
    last_uid         BIGINT NOT NULL DEFAULT 0,
    -- The first scan of a folder (or of one whose UIDVALIDITY changed) looks at messages
    -- up to here; later polls look only above it.
    scan_until       BIGINT NOT NULL DEFAULT 0,
    last_success_at  BIGINT,
    last_error       TEXT,
    last_error_at    BIGINT,
    lease_owner      TEXT,
    lease_until      BIGINT NOT NULL DEFAULT 0
);
