-- Knowledge base (SQLite): articles with an append-only version history, categories,
-- feedback, the search log, deflection events, and the search outbox that carries every
-- article and ticket change to each process's search index.

CREATE TABLE kb_categories (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES kb_categories(id),
    name       TEXT NOT NULL,
    -- "Network/Wi-Fi": the names from the root, unique, so imports find-or-create by path.
    path       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE kb_articles (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '',
    body_markdown TEXT NOT NULL,
    locale        TEXT NOT NULL DEFAULT 'en',
    visibility    TEXT NOT NULL CHECK (visibility IN ('public','internal','draft')),
    category_id   INTEGER REFERENCES kb_categories(id),
    version       INTEGER NOT NULL DEFAULT 1,
    author_id     INTEGER REFERENCES users(id),
    updated_by    INTEGER REFERENCES users(id),
    source        TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX kb_articles_visibility ON kb_articles(visibility, id);
CREATE INDEX kb_articles_category ON kb_articles(category_id, id);

CREATE TABLE kb_article_tags (
    article_id INTEGER NOT NULL REFERENCES kb_articles(id),
    tag        TEXT NOT NULL,
    PRIMARY KEY (article_id, tag)
);

-- Append-only: every version of every article, with who made it and when.
CREATE TABLE kb_article_versions (
    id            INTEGER PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES kb_articles(id),
    version       INTEGER NOT NULL,
    slug          TEXT NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    locale        TEXT NOT NULL,
    visibility    TEXT NOT NULL,
    category_path TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '[]',
    changed_by    INTEGER REFERENCES users(id),
    note          TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    UNIQUE (article_id, version)
);
CREATE TRIGGER kb_article_versions_no_update BEFORE UPDATE ON kb_article_versions
BEGIN SELECT RAISE(ABORT, 'article versions are append-only'); END;
CREATE TRIGGER kb_article_versions_no_delete BEFORE DELETE ON kb_article_versions
BEGIN SELECT RAISE(ABORT, 'article versions are append-only'); END;

CREATE TABLE kb_feedback (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES kb_articles(id),
    helpful     INTEGER NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    user_id     INTEGER REFERENCES users(id),
    session_key TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_feedback_article ON kb_feedback(article_id, id);

CREATE TABLE kb_search_log (
    id          INTEGER PRIMARY KEY,
    query       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('search','suggest')),
    results     INTEGER NOT NULL,
    role        TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    session_key TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_search_log_time ON kb_search_log(created_at);
CREATE INDEX kb_search_log_session ON kb_search_log(session_key);

CREATE TABLE kb_deflection_events (
    id          INTEGER PRIMARY KEY,
    session_key TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('shown','opened','abandoned','submitted')),
    article_id  INTEGER REFERENCES kb_articles(id),
    ticket_id   INTEGER REFERENCES tickets(id),
    user_id     INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_deflection_session ON kb_deflection_events(session_key, id);
CREATE INDEX kb_deflection_time ON kb_deflection_events(created_at);

-- Written in the same transaction as every article and ticket change. Each process's
-- indexer reads it by id from its own cursor, so a crash after the database commit loses
-- nothing and other processes' writes reach every index.
CREATE TABLE search_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT NOT NULL CHECK (entity IN ('article','ticket')),
    entity_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
