-- How the customer feels (frustration of their latest message, abuse, "had to repeat"),
-- and the service-level state derived from the event log: the promise the customer sees,
-- the earliest due instant, the queue key and when the next warning or breach falls due.

ALTER TABLE tickets ADD COLUMN frustration_score INTEGER;
ALTER TABLE tickets ADD COLUMN frustration_level TEXT;
ALTER TABLE tickets ADD COLUMN abusive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN policy_id TEXT;
ALTER TABLE tickets ADD COLUMN next_update_due INTEGER;
ALTER TABLE tickets ADD COLUMN due_at INTEGER;
ALTER TABLE tickets ADD COLUMN queue_rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN next_alert_at INTEGER;

-- The analysis behind a message: frustration for a customer's, the tone review for a reply.
ALTER TABLE messages ADD COLUMN analysis TEXT;

CREATE INDEX tickets_team_queue ON tickets(team_id, status, queue_rank, id);
CREATE INDEX tickets_assignee_queue ON tickets(assignee_id, status, queue_rank, id);
CREATE INDEX tickets_alert_due ON tickets(next_alert_at) WHERE next_alert_at IS NOT NULL;

-- Each warning and breach fires once per ticket, whatever the number of processes.
CREATE TABLE sla_alerts (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    key       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    fired_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, key)
);

-- What a person should act on: warnings for the owner, breaches for supervisors.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER REFERENCES users(id),
    role       TEXT,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE INDEX notifications_role ON notifications(role, id);
