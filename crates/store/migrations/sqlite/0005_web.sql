-- The web's durable parts (SQLite): outgoing mail queued beside the change that wrote it,
-- one-time sign-in links, who is viewing a ticket, and the indexes that keep the
-- supervisor's charts to a time window.

-- Mail waits here until an SMTP server took it: a 2xx means it will go out. Any process
-- may send it; a claim (claimed_until) keeps two from sending one at the same time, and a
-- claim left by a crashed process lapses so another retries.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    purpose         TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- A sign-in link works once, until it expires; only its SHA-256 hash is kept.
CREATE TABLE signin_links (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX signin_links_user ON signin_links(user_id, created_at);

-- Link requests per address, for the rate limit. The address is hashed: someone typing a
-- stranger's address leaves no copy of it here.
CREATE TABLE signin_link_requests (
    address_hash TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX signin_link_requests_address ON signin_link_requests(address_hash, created_at);
CREATE INDEX signin_link_requests_time ON signin_link_requests(created_at);

-- Who has a ticket open right now (a heartbeat with a short time to live), so two agents
-- do not answer the same customer at once. In the database, so it holds across processes.
CREATE TABLE ticket_viewers (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    user_id   INTEGER NOT NULL REFERENCES users(id),
    activity  TEXT NOT NULL CHECK (activity IN ('viewing','replying')),
    since     INTEGER NOT NULL,
    seen_at   INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_viewers_seen ON ticket_viewers(seen_at);

-- The supervisor's charts read tickets changed and events written within a window.
CREATE INDEX tickets_updated ON tickets(updated_at);
