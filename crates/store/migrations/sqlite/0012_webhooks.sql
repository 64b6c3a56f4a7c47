-- Webhooks: subscriptions to event types, and the durable outbox of their deliveries.
-- A sweep reads the event log from a cursor and queues one delivery per matching
-- subscription (unique per subscription and event, so several processes may sweep);
-- each delivery is claimed with a lease before it is sent, so no two processes send it
-- at once, and everything survives a restart.
CREATE TABLE webhook_subscriptions (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    -- JSON array of public event types, e.g. ["ticket.created"].
    event_types          TEXT NOT NULL,
    -- whsec_ + base64 of the signing key.
    secret               TEXT NOT NULL,
    paused_at            INTEGER,
    paused_reason        TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    -- Only events after this one are delivered: a new subscription gets no history.
    from_event_id        INTEGER NOT NULL,
    created_by           INTEGER REFERENCES users(id),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL REFERENCES events(id),
    event_type       TEXT NOT NULL,
    -- The webhook-id header: the same on every attempt and replay of the message.
    message_id       TEXT NOT NULL,
    -- The JSON body, fixed when the delivery is queued.
    payload          TEXT NOT NULL,
    -- The delivery this one replays, if it is a replay.
    replay_of        INTEGER REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    claimed_until    INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    last_excerpt     TEXT,
    last_duration_ms INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries(subscription_id, event_id)
    WHERE replay_of IS NULL;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries(subscription_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);

-- Every attempt of a delivery, with what the receiver answered.
CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    status       INTEGER,
    error        TEXT,
    excerpt      TEXT,
    duration_ms  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);

-- How far the event log has been turned into deliveries (one row).
CREATE TABLE webhook_cursor (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, last_event_id) VALUES (1, COALESCE((SELECT MAX(id) FROM events), 0));
