-- The meters this installation reads, and what is known of their contracts.
CREATE TABLE meters (
    pdl TEXT PRIMARY KEY,
    added_at INTEGER NOT NULL,
    activation_date TEXT,
    subscribed_kva INTEGER,
    contract_offpeak TEXT,
    contract_read_at INTEGER,
    consent_ends_at INTEGER,
    consent_lost_at INTEGER,
    consent_lost_reason TEXT
);

-- A meter and a direction, by number.
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    pdl TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('consumption', 'production')),
    UNIQUE (pdl, direction)
);

-- Load-curve points at their native step (average power over (end - step, end]), one row per
-- series and Paris day holding that day's points packed (see src/points.rs): a day is fetched,
-- replaced and read as a whole, and two years are 730 rows instead of 35 040.
CREATE TABLE curve_days (
    series INTEGER NOT NULL REFERENCES series(id),
    day TEXT NOT NULL,
    points BLOB NOT NULL,
    PRIMARY KEY (series, day)
) WITHOUT ROWID;

CREATE TABLE daily_energy (
    pdl TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('consumption', 'production')),
    day TEXT NOT NULL,
    wh INTEGER NOT NULL,
    PRIMARY KEY (pdl, direction, day)
) WITHOUT ROWID;

CREATE TABLE max_power (
    pdl TEXT NOT NULL,
    day TEXT NOT NULL,
    at TEXT NOT NULL,
    va INTEGER NOT NULL,
    PRIMARY KEY (pdl, day)
) WITHOUT ROWID;

-- The completeness ledger: one row per meter, direction, kind of data and day once anything
-- is known of it. No row means "missing".
CREATE TABLE ledger (
    pdl TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('curve', 'daily', 'max_power')),
    day TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('fetched', 'not_published', 'absent', 'failed', 'refetch', 'mismatch')),
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (pdl, direction, kind, day)
) WITHOUT ROWID;

-- Whole-series absences (a meter without production, a load curve not enabled), re-checked now
-- and then so a new solar installation or a late activation is noticed.
CREATE TABLE absences (
    pdl TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    recheck_at INTEGER NOT NULL,
    PRIMARY KEY (pdl, direction, kind)
) WITHOUT ROWID;

CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    outcome TEXT,
    calls INTEGER NOT NULL DEFAULT 0,
    details TEXT
);
