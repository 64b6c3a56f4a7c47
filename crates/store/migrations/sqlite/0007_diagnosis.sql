-- Diagnose (H.E.A.R.D.): a ticket's root cause, and the problems that group tickets
-- caused by one underlying fault.

CREATE TABLE problems (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','known_error','resolved')),
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX problems_status ON problems(status, id);

-- One diagnosis per ticket, replaced when an agent corrects it (the events keep each).
CREATE TABLE ticket_diagnoses (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
    root_cause  TEXT NOT NULL,
    resolution  TEXT,
    problem_id  INTEGER REFERENCES problems(id),
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX ticket_diagnoses_problem ON ticket_diagnoses(problem_id, ticket_id);
