-- Live chat: a chat is a ticket (channel `chat`) whose messages are the transcript; this
-- row holds who is talking right now. A guest's chat token is kept only as its hash.

CREATE TABLE chats (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
    state            TEXT NOT NULL CHECK (state IN ('waiting','active','ended')),
    agent_id         INTEGER REFERENCES users(id),
    guest_token_hash TEXT,
    -- The last message the agent holding the chat has read (for unread counts).
    agent_read_id    INTEGER NOT NULL DEFAULT 0,
    started_at       INTEGER NOT NULL,
    accepted_at      INTEGER,
    ended_at         INTEGER,
    version          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chats_state ON chats(state, id);
CREATE INDEX chats_agent ON chats(agent_id, state);

-- A line sent with an Idempotency-Key: a retry answers with the same message.
CREATE TABLE chat_sends (
    chat_id      INTEGER NOT NULL REFERENCES chats(id),
    author_id    INTEGER NOT NULL REFERENCES users(id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    message_id   INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY (chat_id, author_id, key)
);
