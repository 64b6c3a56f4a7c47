-- Saved views: a named ticket list (its filters and columns, as JSON), one agent's own
-- (owner_id set) or shared with the desk (NULL).
CREATE TABLE saved_views (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    filters    TEXT NOT NULL,
    columns    TEXT NOT NULL,
    owner_id   INTEGER REFERENCES users(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views (owner_id, name);
