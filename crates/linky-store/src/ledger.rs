//! The ledger: what is known of each day of each series (fetched, not published, absent and
//! why, failed with its retry time, refetch, mismatch), and whole-series absences.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use linky_core::{Direction, UsagePoint};
use rusqlite::params;

use crate::{
    day_text, direction_str, from_ts, parse_day, parse_direction, ts, Kind, Store, StoreError,
};

/// What is known of one day of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DayState {
    /// Stored.
    Fetched,
    /// Asked before Enedis published it (D-1 before 08:00, or a late meter): ask again later.
    NotPublished,
    /// Enedis has nothing for it, for a reason: not asked again.
    Absent,
    /// Asking failed (Enedis error, network): ask again after `next_try_at`.
    Failed,
    /// Its daily total disagreed with its load curve by more than 1 %: fetched again once.
    Refetch,
    /// Still disagreeing after the second fetch: kept, flagged.
    Mismatch,
}

impl DayState {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DayState::Fetched => "fetched",
            DayState::NotPublished => "not_published",
            DayState::Absent => "absent",
            DayState::Failed => "failed",
            DayState::Refetch => "refetch",
            DayState::Mismatch => "mismatch",
        }
    }

    fn parse(s: &str) -> Result<DayState, StoreError> {
        [
            DayState::Fetched,
            DayState::NotPublished,
            DayState::Absent,
            DayState::Failed,
            DayState::Refetch,
            DayState::Mismatch,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("day state {s:?}")))
    }
}

/// A ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Where the day stands.
    pub state: DayState,
    /// Why, for absences and failures (e.g. `no_data_found`, `before_activation`).
    pub reason: Option<String>,
    /// How many times asking failed (or was repeated for a mismatch).
    pub attempts: u32,
    /// When to ask again, for retryable states.
    pub next_try_at: Option<DateTime<Utc>>,
}

/// The outcome of one day of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOutcome {
    /// The day.
    pub day: NaiveDate,
    /// Its new state.
    pub state: DayState,
    /// Why (absences, failures).
    pub reason: Option<String>,
    /// When to ask again (failures, not yet published).
    pub next_try_at: Option<DateTime<Utc>>,
}

impl DayOutcome {
    /// A day fetched with its data.
    pub fn fetched(day: NaiveDate) -> DayOutcome {
        DayOutcome {
            day,
            state: DayState::Fetched,
            reason: None,
            next_try_at: None,
        }
    }
}

/// A whole-series absence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absence {
    /// Direction.
    pub direction: Direction,
    /// Kind.
    pub kind: Kind,
    /// Why (`wrong_direction`, `curve_not_enabled`).
    pub reason: String,
    /// When to check again.
    pub recheck_at: DateTime<Utc>,
}

/// Counts of a series' days by state, for summaries.
pub type StateCounts = BTreeMap<(DayState, Option<String>), u32>;

impl Store {
    /// The ledger of a series between two days (inclusive).
    pub fn ledger(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<NaiveDate, LedgerEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, state, reason, attempts, next_try_at FROM ledger WHERE pdl = ? AND direction = ? AND kind = ? AND day >= ? AND day <= ?",
        )?;
        let rows = stmt.query_map(
            params![
                pdl.as_str(),
                direction_str(direction),
                kind.as_str(),
                day_text(from),
                day_text(to)
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            },
        )?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (day, state, reason, attempts, next) = row?;
            out.insert(
                parse_day(&day)?,
                LedgerEntry {
                    state: DayState::parse(&state)?,
                    reason,
                    attempts,
                    next_try_at: next.map(from_ts),
                },
            );
        }
        Ok(out)
    }

    /// Whole-series absences of a meter.
    pub fn absences(&self, pdl: &UsagePoint) -> Result<Vec<Absence>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT direction, kind, reason, recheck_at FROM absences WHERE pdl = ?",
        )?;
        let rows = stmt.query_map([pdl.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (d, k, reason, at) = row?;
            out.push(Absence {
                direction: parse_direction(&d)?,
                kind: Kind::named(&k).ok_or_else(|| StoreError::Corrupt(format!("kind {k:?}")))?,
                reason,
                recheck_at: from_ts(at),
            });
        }
        Ok(out)
    }

    /// Records (or clears, with `None`) a whole-series absence.
    pub fn set_absence(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
        absence: Option<(&str, DateTime<Utc>)>,
    ) -> Result<(), StoreError> {
        match absence {
            Some((reason, recheck_at)) => self.conn.execute(
                "INSERT OR REPLACE INTO absences (pdl, direction, kind, reason, recheck_at) VALUES (?, ?, ?, ?, ?)",
                params![pdl.as_str(), direction_str(direction), kind.as_str(), reason, ts(recheck_at)],
            )?,
            None => self.conn.execute("DELETE FROM absences WHERE pdl = ? AND direction = ? AND kind = ?", params![pdl.as_str(), direction_str(direction), kind.as_str()])?,
        };
        Ok(())
    }

    /// Counts of a series' ledger rows by state and reason.
    pub fn state_counts(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
    ) -> Result<StateCounts, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT state, reason, COUNT(*) FROM ledger WHERE pdl = ? AND direction = ? AND kind = ? GROUP BY state, reason")?;
        let rows = stmt.query_map(
            params![pdl.as_str(), direction_str(direction), kind.as_str()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            },
        )?;
        let mut out = StateCounts::new();
        for row in rows {
            let (state, reason, n) = row?;
            out.insert((DayState::parse(&state)?, reason), n);
        }
        Ok(out)
    }

    /// The first and last fetched day of a series, and how many days are fetched.
    pub fn fetched_range(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
    ) -> Result<Option<(NaiveDate, NaiveDate, u32)>, StoreError> {
        let row: (Option<String>, Option<String>, u32) = self.conn.query_row(
            "SELECT MIN(day), MAX(day), COUNT(*) FROM ledger WHERE pdl = ? AND direction = ? AND kind = ? AND state IN ('fetched', 'mismatch')",
            params![pdl.as_str(), direction_str(direction), kind.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        match row {
            (Some(a), Some(b), n) => Ok(Some((parse_day(&a)?, parse_day(&b)?, n))),
            _ => Ok(None),
        }
    }
}
