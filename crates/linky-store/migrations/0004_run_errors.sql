-- Enedis errors of each sync run by kind (`quota=2,unavailable=1`), so the dashboard and
-- `/metrics` can count them over time without a table that grows per call.
ALTER TABLE sync_runs ADD COLUMN errors TEXT NOT NULL DEFAULT '';
