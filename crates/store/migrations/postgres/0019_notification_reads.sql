-- Who has read which notification. A notification addressed to a role is shared by
-- everyone with that role, so its read state is kept per person, not on the row.
CREATE TABLE notification_reads (
    user_id         BIGINT NOT NULL REFERENCES users(id),
    notification_id BIGINT NOT NULL REFERENCES notifications(id),
    read_at         BIGINT NOT NULL,
    PRIMARY KEY (user_id, notification_id)
);
