-- E-mail both ways: every mail taken in or sent for a ticket (threading and dedupe), the
-- desk's mailboxes, what was kept aside (quarantine), who is copied on a ticket, the
-- reply address that brings answers back, and delivery failures per address.

-- One row per mail: claimed before its ticket or message is written ('pending'), then
-- 'done' with what it became. The unique indexes make a second delivery of the same
-- bytes or Message-ID a duplicate, in any process.
CREATE TABLE mail_messages (
    id                BIGSERIAL PRIMARY KEY,
    direction         TEXT NOT NULL CHECK (direction IN ('in','out')),
    message_id        TEXT,
    content_hash      TEXT,
    state             TEXT NOT NULL CHECK (state IN ('pending','done')),
    outcome           TEXT,
    sender            TEXT,
    ticket_id         BIGINT REFERENCES tickets(id),
    ticket_message_id BIGINT REFERENCES messages(id),
    -- The original .eml (content-addressed in blobs) and its headers as JSON pairs.
    raw_sha256        TEXT REFERENCES blobs(sha256),
    headers           TEXT NOT NULL DEFAULT '[]',
    -- The quoted history and signature folded away from the message's text.
    folded            TEXT NOT NULL DEFAULT '',
    claimed_at        BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX mail_messages_hash ON mail_messages(content_hash);
CREATE UNIQUE INDEX mail_messages_inbound_id ON mail_messages(message_id) WHERE direction = 'in';
CREATE INDEX mail_messages_id ON mail_messages(message_id);
CREATE INDEX mail_messages_ticket_message ON mail_messages(ticket_message_id);
-- A ticket message goes out by mail once, whichever process queues it.
CREATE UNIQUE INDEX mail_messages_outbound ON mail_messages(ticket_message_id) WHERE direction = 'out';
CREATE INDEX mail_messages_ticket ON mail_messages(ticket_id, id);
CREATE INDEX mail_messages_sender ON mail_messages(sender, created_at);

CREATE TABLE mailboxes (
    id         BIGSERIAL PRIMARY KEY,
    address    TEXT NOT NULL UNIQUE,
    team_id    BIGINT NOT NULL REFERENCES teams(id),
    -- May carry a password: never shown back.
    imap_url   TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE mail_quarantine (
    id          BIGSERIAL PRIMARY KEY,
    reason      TEXT NOT NULL,
    sender      TEXT,
    recipient   TEXT,
    subject     TEXT NOT NULL,
    size        BIGINT NOT NULL,
    raw_sha256  TEXT NOT NULL REFERENCES blobs(sha256),
    created_at  BIGINT NOT NULL
);
CREATE INDEX mail_quarantine_time ON mail_quarantine(id);

CREATE TABLE ticket_mail (
    ticket_id   BIGINT PRIMARY KEY REFERENCES tickets(id),
    -- The secret part of the ticket's reply address (help+TOKEN@…).
    reply_token TEXT NOT NULL UNIQUE,
    -- The desk address the customer wrote to, answered from.
    desk_address TEXT
);

CREATE TABLE ticket_copied (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    address   TEXT NOT NULL,
    PRIMARY KEY (ticket_id, address)
);

CREATE TABLE mail_bounces (
    id         BIGSERIAL PRIMARY KEY,
    address    TEXT NOT NULL,
    status     TEXT NOT NULL,
    diagnostic TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_bounces_address ON mail_bounces(address, id);

-- The threading and loop-safety headers of a queued mail (Message-ID, In-Reply-To,
-- References, Reply-To, Auto-Submitted) as JSON pairs.
CREATE TABLE mail_outbox_headers (
    mail_id BIGINT PRIMARY KEY REFERENCES mail_outbox(id),
    headers TEXT NOT NULL
);
CREATE INDEX mail_outbox_purpose_to ON mail_outbox(purpose, to_address, created_at);
