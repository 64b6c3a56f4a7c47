-- Quality reviews: a supervisor (or a staff member an admin names reviewer) scores one
-- agent's part of a conversation on a versioned rubric and anchors coaching comments on
-- messages. Scores are kept per item (and the overall percent per review) so a scorecard
-- can average them per agent, team and period.

ALTER TABLE users ADD COLUMN reviewer INTEGER NOT NULL DEFAULT 0;

-- Each edit of the rubric is a new version; a review keeps the version it was scored on.
CREATE TABLE review_rubrics (
    version    INTEGER PRIMARY KEY,
    items      TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY,
    ticket_id      INTEGER NOT NULL REFERENCES tickets(id),
    agent_id       INTEGER NOT NULL REFERENCES users(id),
    -- The ticket's team when it was reviewed, for per-team figures.
    team_id        INTEGER REFERENCES teams(id),
    reviewer_id    INTEGER NOT NULL REFERENCES users(id),
    rubric_version INTEGER NOT NULL REFERENCES review_rubrics(version),
    -- 0–100; NULL when every item was marked not applicable.
    score          INTEGER,
    summary        TEXT,
    reply          TEXT,
    replied_at     INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (ticket_id, agent_id, reviewer_id)
);
CREATE INDEX reviews_agent ON reviews(agent_id, id);
CREATE INDEX reviews_agent_time ON reviews(agent_id, created_at);
CREATE INDEX reviews_reviewer ON reviews(reviewer_id, id);
CREATE INDEX reviews_ticket ON reviews(ticket_id, id);
CREATE INDEX reviews_team_time ON reviews(team_id, created_at);
CREATE INDEX reviews_time ON reviews(created_at);

-- One row per rubric item; score NULL = not applicable.
CREATE TABLE review_scores (
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    item_key  TEXT NOT NULL,
    score     INTEGER CHECK (score BETWEEN 0 AND 4),
    PRIMARY KEY (review_id, item_key)
);

CREATE TABLE review_comments (
    id         INTEGER PRIMARY KEY,
    review_id  INTEGER NOT NULL REFERENCES reviews(id),
    item_key   TEXT,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    -- Byte offsets into the message's body_text, or NULL for the whole message.
    span_start INTEGER,
    span_end   INTEGER,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX review_comments_review ON review_comments(review_id, id);
CREATE INDEX review_comments_message ON review_comments(message_id);

-- Why a conversation is worth reviewing, noticed from the event log by an incremental
-- scan (review_scan holds how far it read), so the queue page reads an index instead of
-- scanning tickets, messages and events on every view.
CREATE TABLE review_candidates (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    reason     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    noticed_at INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, reason)
);

CREATE TABLE review_scan (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id INTEGER NOT NULL
);
INSERT INTO review_scan (id, last_event_id) VALUES (1, 0);
