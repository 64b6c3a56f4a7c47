-- Imports from other help desks (`heard import …`). Every record brought in is remembered
-- by where it came from (source, kind, its id there), so running an import again updates
-- what changed at the source and never writes a second copy. A ticket's old number is
-- kept as its reference, which search finds. Each batch of an import commits together
-- with its rows here and its progress in import_runs, so a crash loses at most the batch
-- in flight and the next run carries on from what is recorded.

CREATE TABLE import_refs (
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('person','organization','team','ticket','message','attachment')),
    external_id TEXT NOT NULL,
    heard_id    INTEGER NOT NULL,
    -- For tickets: the number people knew it by at the source, e.g. DH-42.
    reference   TEXT,
    -- A hash of what was imported: the same source record again changes nothing.
    fingerprint TEXT NOT NULL DEFAULT '',
    imported_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (source, kind, external_id)
);
CREATE INDEX import_refs_heard ON import_refs(kind, heard_id);

CREATE TABLE import_runs (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    -- Where it read from (a path, or a database URL without its password).
    origin       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    tickets_done INTEGER NOT NULL DEFAULT 0,
    -- The last source ticket whose batch committed.
    last_external_id TEXT,
    -- The final report (JSON) once finished.
    report       TEXT
);
CREATE INDEX import_runs_source ON import_runs(source, id);
