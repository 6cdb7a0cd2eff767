-- Enedis's quota as a budget every instance on this database draws from: calls counted per
-- second and per hour (`kind` 's' or 'h', `start` in Unix seconds), and a pause Enedis asked for.
CREATE TABLE upstream_budget (
    kind TEXT NOT NULL CHECK (kind IN ('s', 'h')),
    start INTEGER NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (kind, start)
) WITHOUT ROWID;
CREATE TABLE upstream_pause (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    until INTEGER NOT NULL
);
