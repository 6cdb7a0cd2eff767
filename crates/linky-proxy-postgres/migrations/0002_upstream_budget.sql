-- Enedis's quota as a budget every instance draws from: calls counted per second and per hour
-- (`kind` 's' or 'h', `start` in Unix seconds), and a pause Enedis asked for (a 429 with
-- nextAccessTime), which holds every instance.
CREATE TABLE upstream_budget (
    kind TEXT NOT NULL CHECK (kind IN ('s', 'h')),
    start BIGINT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (kind, start)
);
CREATE TABLE upstream_pause (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    until BIGINT NOT NULL
);
