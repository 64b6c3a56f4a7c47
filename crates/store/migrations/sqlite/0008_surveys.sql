-- Satisfaction surveys after resolution; a poor rating opens a recovery task that a
-- supervisor completes with a note.

CREATE TABLE surveys (
    ticket_id     INTEGER PRIMARY KEY REFERENCES tickets(id),
    requester_id  INTEGER NOT NULL REFERENCES users(id),
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment       TEXT,
    -- Who had the ticket when it was rated, for the scorecard.
    agent_id      INTEGER REFERENCES users(id),
    team_id       INTEGER REFERENCES teams(id),
    recovery      TEXT NOT NULL DEFAULT 'none' CHECK (recovery IN ('none','open','done')),
    recovery_note TEXT,
    recovered_by  INTEGER REFERENCES users(id),
    recovered_at  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX surveys_recovery ON surveys(recovery, updated_at);
CREATE INDEX surveys_time ON surveys(updated_at);
