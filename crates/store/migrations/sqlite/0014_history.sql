-- An agent's history (the tickets they acted on, most recent first) and the check that
-- lets them read a ticket they handed on: both look events up by who acted.
CREATE INDEX events_actor ON events(actor_id, ticket_id, id);
