-- Practice mode: past conversations, scrubbed of personal data, replayed to new agents
-- in a sandbox. These tables are apart from tickets and messages on purpose: nothing
-- here is sent, notified, queued or indexed for search, and no customer can reach it.

-- A past ticket's customer side, scrubbed when it was copied; the source ticket is kept
-- only so the same ticket is not copied twice.
CREATE TABLE practice_cases (
    id               INTEGER PRIMARY KEY,
    source_ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
    subject          TEXT NOT NULL,
    -- calm, upset or abusive: the practice set, from the ticket's frustration.
    level            TEXT NOT NULL CHECK (level IN ('calm','upset','abusive')),
    frustration      INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX practice_cases_level ON practice_cases(level, id);

-- The customer's messages in order, with how long the customer originally waited
-- before each (replayed shortened).
CREATE TABLE practice_case_messages (
    case_id INTEGER NOT NULL REFERENCES practice_cases(id),
    seq     INTEGER NOT NULL,
    body    TEXT NOT NULL,
    wait_ms INTEGER NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE practice_runs (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES practice_cases(id),
    agent_id    INTEGER NOT NULL REFERENCES users(id),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX practice_runs_agent ON practice_runs(agent_id, id);

-- The agent's replies, each with the tone coach's review of it.
CREATE TABLE practice_replies (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES practice_runs(id),
    body       TEXT NOT NULL,
    tone       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX practice_replies_run ON practice_replies(run_id, id);
