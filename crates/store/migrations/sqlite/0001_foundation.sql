-- heard foundation schema (SQLite). Instants are UTC milliseconds since the epoch.

CREATE TABLE organizations (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    domain         TEXT UNIQUE,
    shares_tickets INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('customer','agent','supervisor','admin')),
    password_hash   TEXT,
    organization_id INTEGER REFERENCES organizations(id),
    tier            INTEGER CHECK (tier BETWEEN 1 AND 3),
    time_zone       TEXT,
    capacity        INTEGER NOT NULL DEFAULT 10,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX users_role ON users(role, id);
CREATE INDEX users_organization ON users(organization_id, id);

CREATE TABLE identities (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('email','phone','chat')),
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX identities_user ON identities(user_id);

CREATE TABLE facts (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES users(id),
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    verified_by INTEGER NOT NULL REFERENCES users(id),
    verified_at INTEGER NOT NULL,
    UNIQUE (customer_id, key)
);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE agent_skills (
    user_id INTEGER NOT NULL REFERENCES users(id),
    skill   TEXT NOT NULL,
    PRIMARY KEY (user_id, skill)
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    subject         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('new','open','pending_customer','pending_third_party','resolved','closed')),
    priority        TEXT NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
    channel         TEXT NOT NULL CHECK (channel IN ('email','portal','chat','phone','api')),
    requester_id    INTEGER NOT NULL REFERENCES users(id),
    organization_id INTEGER REFERENCES organizations(id),
    assignee_id     INTEGER REFERENCES users(id),
    team_id         INTEGER REFERENCES teams(id),
    tier            INTEGER NOT NULL DEFAULT 1,
    transfers       INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- The queues: an agent's own, a team's, a customer's and an organization's, newest first.
CREATE INDEX tickets_assignee ON tickets(assignee_id, status, id);
CREATE INDEX tickets_team ON tickets(team_id, status, id);
CREATE INDEX tickets_requester ON tickets(requester_id, id);
CREATE INDEX tickets_organization ON tickets(organization_id, id);
CREATE INDEX tickets_status ON tickets(status, id);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags(tag, ticket_id);

CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    author_id  INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('public','internal')),
    channel    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size   INTEGER NOT NULL,
    bytes  BLOB NOT NULL
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    message_id   INTEGER REFERENCES messages(id),
    uploaded_by  INTEGER NOT NULL REFERENCES users(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL REFERENCES blobs(sha256),
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id, id);

-- Append-only: every change to a ticket, written in the same transaction as the change.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    actor_id   INTEGER REFERENCES users(id),
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX events_ticket ON events(ticket_id, id);
CREATE INDEX events_kind ON events(kind, created_at);

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE idempotency_keys (
    user_id      INTEGER NOT NULL REFERENCES users(id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
