-- Routing, presence and hand-offs (SQLite): where each agent is (with an append-only
-- history), routing settings for the desk and per team, the hard conversations of each
-- shift, break reminders fired once per stretch, colleagues invited to a ticket, and the
-- instant a ticket stuck at its tier escalates on its own.

CREATE TABLE agent_presence (
    user_id            INTEGER PRIMARY KEY REFERENCES users(id),
    presence           TEXT NOT NULL CHECK (presence IN ('available','on_break','at_lunch','away','offline')),
    since              INTEGER NOT NULL,
    shift_started_at   INTEGER,
    stretch_started_at INTEGER,
    -- When this stretch's break reminder falls due; cleared once it fired (the sweep's schedule).
    break_due_at       INTEGER,
    hard_in_a_row      INTEGER NOT NULL DEFAULT 0,
    last_assigned_at   INTEGER,
    -- Bumped by every assignment to the agent: the router's optimistic check that nobody
    -- else filled their capacity between its reading and its writing.
    version            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agent_presence_break_due ON agent_presence(break_due_at) WHERE break_due_at IS NOT NULL;
CREATE INDEX agent_presence_presence ON agent_presence(presence, user_id);

-- Append-only: every change of presence, who made it and when.
CREATE TABLE presence_history (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    presence   TEXT NOT NULL,
    previous   TEXT NOT NULL,
    changed_by INTEGER REFERENCES users(id),
    at         INTEGER NOT NULL
);
CREATE INDEX presence_history_user ON presence_history(user_id, id);
CREATE TRIGGER presence_history_no_update BEFORE UPDATE ON presence_history
BEGIN SELECT RAISE(ABORT, 'presence history is append-only'); END;
CREATE TRIGGER presence_history_no_delete BEFORE DELETE ON presence_history
BEGIN SELECT RAISE(ABORT, 'presence history is append-only'); END;

-- 'desk' for everyone, 'team:<id>' for a team's own settings.
CREATE TABLE routing_policies (
    scope               TEXT PRIMARY KEY,
    team_id             INTEGER UNIQUE REFERENCES teams(id),
    mode                TEXT NOT NULL CHECK (mode IN ('round_robin','least_loaded','skills_first')),
    upset_at            INTEGER NOT NULL,
    hard_streak_limit   INTEGER NOT NULL,
    break_every_minutes INTEGER NOT NULL,
    break_minutes       INTEGER NOT NULL,
    stuck_after_minutes INTEGER,
    updated_by          INTEGER REFERENCES users(id),
    updated_at          INTEGER NOT NULL
);

-- Upset or abusive conversations an agent handled, counted per shift.
CREATE TABLE hard_interactions (
    id               INTEGER PRIMARY KEY,
    agent_id         INTEGER NOT NULL REFERENCES users(id),
    ticket_id        INTEGER NOT NULL REFERENCES tickets(id),
    shift_started_at INTEGER NOT NULL,
    frustration      INTEGER NOT NULL,
    abusive          INTEGER NOT NULL,
    at               INTEGER NOT NULL,
    UNIQUE (agent_id, shift_started_at, ticket_id)
);

-- Each stretch's reminder fires once, whatever the number of processes sweeping.
CREATE TABLE break_reminders (
    user_id            INTEGER NOT NULL REFERENCES users(id),
    stretch_started_at INTEGER NOT NULL,
    fired_at           INTEGER NOT NULL,
    PRIMARY KEY (user_id, stretch_started_at)
);

CREATE TABLE ticket_collaborators (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    invited_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_collaborators_user ON ticket_collaborators(user_id, ticket_id);

-- When a ticket stuck at its tier escalates on its own (derived from the event log on
-- every write, like the service-level columns).
ALTER TABLE tickets ADD COLUMN escalate_at INTEGER;
CREATE INDEX tickets_escalate_due ON tickets(escalate_at) WHERE escalate_at IS NOT NULL;
-- The queue the router drains: unassigned open tickets, most pressing first.
CREATE INDEX tickets_waiting ON tickets(queue_rank, id)
    WHERE assignee_id IS NULL AND status IN ('new','open','pending_customer','pending_third_party');

-- A break reminder is a notification about no ticket: SQLite cannot drop NOT NULL in
-- place, so the table is rebuilt with the same rows.
CREATE TABLE notifications_rebuilt (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER REFERENCES users(id),
    role       TEXT,
    ticket_id  INTEGER REFERENCES tickets(id),
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
INSERT INTO notifications_rebuilt (id, user_id, role, ticket_id, kind, message, created_at, read_at)
    SELECT id, user_id, role, ticket_id, kind, message, created_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_rebuilt RENAME TO notifications;
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE INDEX notifications_role ON notifications(role, id);
