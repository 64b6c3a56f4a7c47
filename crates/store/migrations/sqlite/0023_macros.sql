-- Canned replies: a title, a body with placeholders filled per ticket, and optionally a
-- status to move to and tags to add once the reply is sent. owner_id set: one agent's own
-- macro; NULL: shared by the desk (kept by supervisors and admins).
CREATE TABLE macros (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    status     TEXT,
    tags       TEXT NOT NULL DEFAULT '[]',
    owner_id   INTEGER REFERENCES users(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX macros_owner ON macros (owner_id, title);
