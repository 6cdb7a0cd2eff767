-- Small facts the client keeps between runs (the daemon's next planned sync, warnings given).
CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
