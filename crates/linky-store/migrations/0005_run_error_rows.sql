-- Enedis errors of each sync run by kind, one row each, instead of the `quota=2,unavailable=1`
-- text of 0004 (kept, no longer written): the totals are summed by SQLite, not parsed back.
CREATE TABLE sync_run_errors (
    run INTEGER NOT NULL REFERENCES sync_runs (id),
    kind TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run, kind)
);
-- The runs recorded before this version: their text, split.
WITH RECURSIVE split (run, rest, item) AS (
    SELECT id, errors || ',', '' FROM sync_runs WHERE errors != ''
    UNION ALL
    SELECT run, substr(rest, instr(rest, ',') + 1), substr(rest, 1, instr(rest, ',') - 1)
    FROM split WHERE rest != ''
)
INSERT INTO sync_run_errors (run, kind, count)
SELECT run, substr(item, 1, instr(item, '=') - 1), CAST(substr(item, instr(item, '=') + 1) AS INTEGER)
FROM split WHERE instr(item, '=') > 1;
UPDATE sync_runs SET errors = '';
