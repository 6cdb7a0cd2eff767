//! How a sync run ended, as the store keeps it and the CLI, `/metrics` and the page show it.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::{from_ts, ts, Store, StoreError};

/// The outcome of a sync run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunOutcome {
    /// Everything asked was answered.
    Ok,
    /// A meter's consent is gone.
    ConsentLost,
    /// Enedis's quota stopped the run.
    Quota,
    /// The tokens were refused.
    Unauthorized,
    /// Enedis kept failing, or the run ran out of time.
    Unavailable,
}

impl RunOutcome {
    /// Every outcome, for metrics that give each a sample.
    pub const ALL: [RunOutcome; 5] = [
        RunOutcome::Ok,
        RunOutcome::ConsentLost,
        RunOutcome::Quota,
        RunOutcome::Unauthorized,
        RunOutcome::Unavailable,
    ];

    /// Its stable name (stored, and a label of `/metrics` and the JSON API).
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Ok => "ok",
            RunOutcome::ConsentLost => "consent_lost",
            RunOutcome::Quota => "quota",
            RunOutcome::Unauthorized => "unauthorized",
            RunOutcome::Unavailable => "unavailable",
        }
    }

    /// The outcome of this name.
    pub fn named(name: &str) -> Option<RunOutcome> {
        RunOutcome::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RunOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl ToSql for RunOutcome {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for RunOutcome {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        RunOutcome::named(text)
            .ok_or_else(|| FromSqlError::Other(format!("unknown run outcome {text:?}").into()))
    }
}

/// What a set of sync runs adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTotals {
    /// Runs by outcome.
    pub outcomes: BTreeMap<RunOutcome, u64>,
    /// Enedis calls.
    pub calls: u64,
    /// Enedis errors by kind (`quota`, `unavailable`, `no_data`...).
    pub errors: BTreeMap<String, u64>,
}

impl Store {
    /// Starts a sync run; returns its id.
    pub fn begin_run(&self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        self.conn
            .execute("INSERT INTO sync_runs (started_at) VALUES (?)", [ts(now)])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends a sync run, with its Enedis errors counted by kind.
    pub fn finish_run(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        outcome: RunOutcome,
        calls: u32,
        errors: &BTreeMap<String, u32>,
        details: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        tx.execute(
            "UPDATE sync_runs SET finished_at = ?, outcome = ?, calls = ?, details = ? WHERE id = ?",
            params![ts(now), outcome, calls, details, id],
        )?;
        for (kind, n) in errors {
            tx.execute(
                "INSERT OR REPLACE INTO sync_run_errors (run, kind, count) VALUES (?, ?, ?)",
                params![id, kind, n],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The last finished run: when, outcome, calls.
    pub fn last_run(&self) -> Result<Option<(DateTime<Utc>, RunOutcome, u32)>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT finished_at, outcome, calls FROM sync_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1", [], |r| {
                Ok((from_ts(r.get(0)?), r.get::<_, RunOutcome>(1)?, r.get::<_, u32>(2)?))
            })
            .optional()?)
    }

    /// Totals of the runs finished at or after `since` (every run with `None`): monotonic
    /// counters as long as runs are never deleted, which they are not.
    pub fn run_totals(&self, since: Option<DateTime<Utc>>) -> Result<RunTotals, StoreError> {
        let since = since.map_or(i64::MIN, ts);
        let mut totals = RunTotals::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT outcome, COUNT(*), SUM(calls) FROM sync_runs WHERE finished_at IS NOT NULL AND finished_at >= ? GROUP BY outcome",
        )?;
        let rows = stmt.query_map([since], |r| {
            Ok((
                r.get::<_, Option<RunOutcome>>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, Option<u64>>(2)?,
            ))
        })?;
        for row in rows {
            let (outcome, runs, calls) = row?;
            if let Some(outcome) = outcome {
                *totals.outcomes.entry(outcome).or_default() += runs;
            }
            totals.calls += calls.unwrap_or(0);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.kind, SUM(e.count) FROM sync_run_errors e JOIN sync_runs r ON r.id = e.run WHERE r.finished_at IS NOT NULL AND r.finished_at >= ? GROUP BY e.kind",
        )?;
        let rows = stmt.query_map([since], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
        })?;
        for row in rows {
            let (kind, n) = row?;
            totals.errors.insert(kind, n);
        }
        Ok(totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_older_stores() {
        for o in RunOutcome::ALL {
            assert_eq!(RunOutcome::named(o.as_str()), Some(o));
        }
        assert_eq!(RunOutcome::ConsentLost.to_string(), "consent_lost");
        assert_eq!(RunOutcome::named("unknown"), None);
    }
}
