-- What every write decides from (settings such as the policy book, routing settings,
-- teams, who takes work) is kept in memory by each process as a snapshot. This counter
-- moves in the same transaction as any change to those rows, so a process (or another
-- process on the same database) sees with one small read whether its snapshot is stale.

CREATE TABLE config_version (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);

CREATE FUNCTION config_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE config_version SET version = version + 1; RETURN NULL; END $$;

CREATE TRIGGER config_settings AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump();
CREATE TRIGGER config_teams AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON teams
FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump();
CREATE TRIGGER config_routing AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON routing_policies
FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump();

-- Whether anyone takes new work: an agent's presence (not every assignment, which also
-- updates the row) and a staff member's role or activity.
-- An assignment inserts an agent's row as `offline` when it has none: that changes nobody's
-- availability, and leaving it out keeps assignments off the counter's row lock.
CREATE TRIGGER config_presence_insert AFTER INSERT ON agent_presence
FOR EACH ROW WHEN (NEW.presence <> 'offline') EXECUTE FUNCTION config_version_bump();
CREATE TRIGGER config_presence_delete AFTER DELETE ON agent_presence
FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump();
CREATE TRIGGER config_presence_update AFTER UPDATE OF presence ON agent_presence
FOR EACH ROW WHEN (OLD.presence IS DISTINCT FROM NEW.presence)
EXECUTE FUNCTION config_version_bump();
CREATE TRIGGER config_users_update AFTER UPDATE OF role, active ON users
FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.active IS DISTINCT FROM NEW.active)
EXECUTE FUNCTION config_version_bump();
