-- The mails a customer expects about their ticket's events (resolved, merged, the promise
-- changed): each event is mailed about once, whichever process queues it.
ALTER TABLE mail_messages ADD COLUMN event_id BIGINT REFERENCES events(id);
CREATE UNIQUE INDEX mail_messages_event ON mail_messages(event_id) WHERE direction = 'out';

-- Events up to this id happened before these mails existed: never mailed about, so an
-- upgrade does not send a burst of stale news.
CREATE TABLE customer_mail_from (event_id BIGINT NOT NULL);
INSERT INTO customer_mail_from (event_id) SELECT COALESCE(MAX(id), 0) FROM events;
