//! The data of each series: a window's data and ledger rows written together, and the stored
//! load curve, daily totals and peaks read back.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use linky_core::{
    paris, DailyEnergy, Direction, Energy, LoadCurve, LoadCurvePoint, MaxPower, UsagePoint,
};
use rusqlite::{params, OptionalExtension, ToSql};

use crate::{
    day_text, direction_str, parse_day, points, ts, DayOutcome, DayState, Kind, Store, StoreError,
    WindowData,
};

impl Store {
    /// Writes a window in one transaction: its data (replacing what fetched days held) and the
    /// ledger rows of its days. Failed and refetched days count an attempt.
    pub fn record_window(
        &mut self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
        data: &WindowData,
        days: &[DayOutcome],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        let (p, d) = (pdl.as_str(), direction_str(direction));
        {
            let series = if kind == Kind::Curve {
                // Known after the first window: one query, not an insert and a query.
                let known = tx
                    .prepare_cached("SELECT id FROM series WHERE pdl = ? AND direction = ?")?
                    .query_row(params![p, d], |r| r.get::<_, i64>(0))
                    .optional()?;
                match known {
                    Some(id) => id,
                    None => {
                        tx.prepare_cached("INSERT INTO series (pdl, direction) VALUES (?, ?)")?
                            .execute(params![p, d])?;
                        tx.last_insert_rowid()
                    }
                }
            } else {
                0
            };
            match data {
                WindowData::Curve(points) => {
                    // Each fetched day's row is replaced whole: a refetch at another step leaves
                    // nothing of the old points. Points go to the Paris day they start in: two
                    // zone lookups per day instead of one per point, over points in order.
                    let sorted = by_start(points);
                    let starts: Vec<i64> = sorted.iter().map(start_second).collect();
                    let rows: Vec<(String, Vec<u8>)> = days
                        .iter()
                        .filter(|o| matches!(o.state, DayState::Fetched | DayState::Mismatch))
                        .map(|o| {
                            let start = paris::day_start(o.day);
                            let end = paris::day_start(o.day + chrono::Duration::days(1));
                            let first = starts.partition_point(|&s| s < start.timestamp());
                            let last = starts.partition_point(|&s| s < end.timestamp()).max(first);
                            (day_text(o.day), points::encode(start, &sorted[first..last]))
                        })
                        .collect();
                    let values: Vec<&dyn ToSql> = rows
                        .iter()
                        .flat_map(|(day, packed)| [&series as &dyn ToSql, day, packed])
                        .collect();
                    insert_rows(
                        &tx,
                        "INSERT OR REPLACE INTO curve_days (series, day, points)",
                        3,
                        "",
                        &values,
                    )?;
                }
                WindowData::Daily(values) => {
                    let rows: Vec<(String, i64)> = values
                        .iter()
                        .map(|v| (day_text(v.date), v.energy.wh_rounded()))
                        .collect();
                    let values: Vec<&dyn ToSql> = rows
                        .iter()
                        .flat_map(|(day, wh)| [&p as &dyn ToSql, &d, day, wh])
                        .collect();
                    insert_rows(
                        &tx,
                        "INSERT OR REPLACE INTO daily_energy (pdl, direction, day, wh)",
                        4,
                        "",
                        &values,
                    )?;
                }
                WindowData::Peaks(values) => {
                    let rows: Vec<(String, String, u32)> = values
                        .iter()
                        .map(|v| {
                            (
                                day_text(v.date),
                                v.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                                v.volt_amperes,
                            )
                        })
                        .collect();
                    let values: Vec<&dyn ToSql> = rows
                        .iter()
                        .flat_map(|(day, at, va)| [&p as &dyn ToSql, day, at, va])
                        .collect();
                    insert_rows(
                        &tx,
                        "INSERT OR REPLACE INTO max_power (pdl, day, at, va)",
                        4,
                        "",
                        &values,
                    )?;
                }
                WindowData::Nothing => {}
            }
            let updated = ts(now);
            let kind = kind.as_str();
            let rows: Vec<(String, &str, i64, Option<i64>)> = days
                .iter()
                .map(|o| {
                    let counts = matches!(
                        o.state,
                        DayState::Failed | DayState::Refetch | DayState::Mismatch
                    );
                    (
                        day_text(o.day),
                        o.state.as_str(),
                        i64::from(counts),
                        o.next_try_at.map(ts),
                    )
                })
                .collect();
            let values: Vec<&dyn ToSql> = days
                .iter()
                .zip(&rows)
                .flat_map(|(o, (day, state, attempts, next_try))| {
                    [
                        &p as &dyn ToSql,
                        &d,
                        &kind,
                        day,
                        state,
                        &o.reason,
                        attempts,
                        next_try,
                        &updated,
                    ]
                })
                .collect();
            // A day already stored keeps its state whatever a later window says about it: a
            // failure or an odd answer never downgrades fetched data.
            insert_rows(
                &tx,
                "INSERT INTO ledger (pdl, direction, kind, day, state, reason, attempts, next_try_at, updated_at)",
                9,
                "ON CONFLICT (pdl, direction, kind, day) DO UPDATE SET state = excluded.state, reason = excluded.reason,
                   attempts = CASE WHEN excluded.state IN ('failed', 'refetch', 'mismatch') THEN ledger.attempts + 1 WHEN excluded.state = 'fetched' THEN 0 ELSE ledger.attempts END,
                   next_try_at = excluded.next_try_at, updated_at = excluded.updated_at
                 WHERE NOT (ledger.state IN ('fetched', 'mismatch', 'refetch') AND excluded.state IN ('failed', 'absent', 'not_published'))",
                &values,
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored load curve of a series: the points ending in `(from, to]`.
    pub fn curve(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<LoadCurve, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.day, c.points FROM curve_days c JOIN series s ON s.id = c.series WHERE s.pdl = ? AND s.direction = ? AND c.day >= ? AND c.day <= ? ORDER BY c.day",
        )?;
        let first = day_text(paris::local_date(from - chrono::Duration::days(1)));
        let last = day_text(paris::local_date(to));
        let mut rows = stmt.query(params![pdl.as_str(), direction_str(direction), first, last])?;
        let mut points = Vec::new();
        while let Some(row) = rows.next()? {
            let day = parse_day(
                row.get_ref(0)?
                    .as_str()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )?;
            let blob = row
                .get_ref(1)?
                .as_blob()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            points::decode(paris::day_start(day), blob, &mut points)?;
        }
        points.retain(|p| p.end > from && p.end <= to);
        LoadCurve::new(points).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Stored daily energies over `[from, to]`.
    pub fn daily(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyEnergy>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT day, wh FROM daily_energy WHERE pdl = ? AND direction = ? AND day >= ? AND day <= ? ORDER BY day")?;
        let rows = stmt.query_map(
            params![
                pdl.as_str(),
                direction_str(direction),
                day_text(from),
                day_text(to)
            ],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        rows.map(|row| {
            let (day, wh) = row?;
            Ok(DailyEnergy {
                date: parse_day(&day)?,
                energy: Energy::from_wh(wh),
            })
        })
        .collect()
    }

    /// Stored daily peaks over `[from, to]`.
    pub fn max_power(
        &self,
        pdl: &UsagePoint,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<MaxPower>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT day, at, va FROM max_power WHERE pdl = ? AND day >= ? AND day <= ? ORDER BY day")?;
        let rows = stmt.query_map(params![pdl.as_str(), day_text(from), day_text(to)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (day, at, va) = row?;
            let at = NaiveDateTime::parse_from_str(&at, "%Y-%m-%d %H:%M:%S")
                .map_err(|_| StoreError::Corrupt(format!("time {at:?}")))?;
            Ok(MaxPower {
                date: parse_day(&day)?,
                at,
                volt_amperes: va,
            })
        })
        .collect()
    }
}

/// The points in order of their start: as given when they are (a curve from Enedis always is),
/// else a sorted copy.
fn by_start(points: &[LoadCurvePoint]) -> std::borrow::Cow<'_, [LoadCurvePoint]> {
    if points
        .windows(2)
        .all(|w| start_second(&w[0]) <= start_second(&w[1]))
    {
        std::borrow::Cow::Borrowed(points)
    } else {
        let mut sorted = points.to_vec();
        sorted.sort_by_key(LoadCurvePoint::start);
        std::borrow::Cow::Owned(sorted)
    }
}

/// Rows one statement writes, at most: a week, the usual window. Per row, the statement's own
/// cost (step, reset, bind) weighed more than the B-tree's.
const ROWS_PER_STATEMENT: usize = 7;

/// Runs `head VALUES (…), (…) tail` over `values`, `width` values a row: whole statements of
/// [`ROWS_PER_STATEMENT`] rows, then the rest a row at a time (two cached statements in all).
fn insert_rows(
    tx: &rusqlite::Savepoint<'_>,
    head: &str,
    width: usize,
    tail: &str,
    values: &[&dyn ToSql],
) -> Result<(), StoreError> {
    let statement = |rows: usize| {
        let tuple = format!("({})", vec!["?"; width].join(", "));
        format!("{head} VALUES {} {tail}", vec![tuple; rows].join(", "))
    };
    let mut whole = values.chunks_exact(width * ROWS_PER_STATEMENT);
    if whole.len() > 0 {
        let mut many = tx.prepare_cached(&statement(ROWS_PER_STATEMENT))?;
        for chunk in whole.by_ref() {
            many.execute(chunk)?;
        }
    }
    let rest = whole.remainder();
    if !rest.is_empty() {
        let mut one = tx.prepare_cached(&statement(1))?;
        for row in rest.chunks_exact(width) {
            one.execute(row)?;
        }
    }
    Ok(())
}

/// A point's start in Unix seconds (plain integers: this runs for every point stored).
fn start_second(point: &LoadCurvePoint) -> i64 {
    point.end.timestamp() - point.step.seconds()
}
