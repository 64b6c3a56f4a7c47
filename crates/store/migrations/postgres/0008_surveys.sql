-- Satisfaction surveys after resolution; a poor rating opens a recovery task that a
-- supervisor completes with a note.

CREATE TABLE surveys (
    ticket_id     BIGINT PRIMARY KEY REFERENCES tickets(id),
    requester_id  BIGINT NOT NULL REFERENCES users(id),
    rating        BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment       TEXT,
    -- Who had the ticket when it was rated, for the scorecard.
    agent_id      BIGINT REFERENCES users(id),
    team_id       BIGINT REFERENCES teams(id),
    recovery      TEXT NOT NULL DEFAULT 'none' CHECK (recovery IN ('none','open','done')),
    recovery_note TEXT,
    recovered_by  BIGINT REFERENCES users(id),
    recovered_at  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX surveys_recovery ON surveys(recovery, updated_at);
CREATE INDEX surveys_time ON surveys(updated_at);
