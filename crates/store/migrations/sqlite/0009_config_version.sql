-- What every write decides from (settings such as the policy book, routing settings,
-- teams, who takes work) is kept in memory by each process as a snapshot. This counter
-- moves in the same transaction as any change to those rows, so a process (or another
-- process on the same database) sees with one small read whether its snapshot is stale.

CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);

CREATE TRIGGER config_settings_insert AFTER INSERT ON settings
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_settings_update AFTER UPDATE ON settings
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_settings_delete AFTER DELETE ON settings
BEGIN UPDATE config_version SET version = version + 1; END;

CREATE TRIGGER config_teams_insert AFTER INSERT ON teams
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_teams_update AFTER UPDATE ON teams
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_teams_delete AFTER DELETE ON teams
BEGIN UPDATE config_version SET version = version + 1; END;

CREATE TRIGGER config_routing_insert AFTER INSERT ON routing_policies
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_routing_update AFTER UPDATE ON routing_policies
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_routing_delete AFTER DELETE ON routing_policies
BEGIN UPDATE config_version SET version = version + 1; END;

-- Whether anyone takes new work: an agent's presence (not every assignment, which also
-- updates the row) and a staff member's role or activity.
-- An assignment inserts an agent's row as `offline` when it has none: nobody's
-- availability changes.
CREATE TRIGGER config_presence_insert AFTER INSERT ON agent_presence
WHEN NEW.presence <> 'offline'
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_presence_update AFTER UPDATE OF presence ON agent_presence
WHEN OLD.presence IS NOT NEW.presence
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_presence_delete AFTER DELETE ON agent_presence
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_users_update AFTER UPDATE OF role, active ON users
WHEN OLD.role IS NOT NEW.role OR OLD.active IS NOT NEW.active
BEGIN UPDATE config_version SET version = version + 1; END;
