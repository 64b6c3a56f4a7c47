-- The phone: each logged call, on the ticket it belongs to, with the conversation entry
-- it wrote. Numbers are stored in E.164 so a caller is found by an index lookup.

CREATE TABLE calls (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL REFERENCES tickets(id),
    message_id       INTEGER NOT NULL REFERENCES messages(id),
    customer_id      INTEGER NOT NULL REFERENCES users(id),
    agent_id         INTEGER NOT NULL REFERENCES users(id),
    direction        TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    number           TEXT NOT NULL,
    duration_seconds INTEGER NOT NULL CHECK (duration_seconds BETWEEN 0 AND 86400),
    outcome          TEXT NOT NULL CHECK (outcome IN ('resolved','call_back_needed','left_voicemail','no_answer')),
    notes            TEXT NOT NULL DEFAULT '',
    call_back_due    INTEGER,
    created_at       INTEGER NOT NULL
);
CREATE INDEX calls_number ON calls(number, id);
CREATE INDEX calls_ticket ON calls(ticket_id, id);
CREATE INDEX calls_customer ON calls(customer_id, id);
