//! The data of each series: a window's data and ledger rows written together, and the stored
//! load curve, daily totals and peaks read back.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use linky_core::{
    paris, DailyEnergy, Direction, Energy, LoadCurve, LoadCurvePoint, MaxPower, UsagePoint,
};
use rusqlite::params;

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
                tx.prepare_cached("INSERT OR IGNORE INTO series (pdl, direction) VALUES (?, ?)")?
                    .execute(params![p, d])?;
                tx.prepare_cached("SELECT id FROM series WHERE pdl = ? AND direction = ?")?
                    .query_row(params![p, d], |r| r.get::<_, i64>(0))?
            } else {
                0
            };
            match data {
                WindowData::Curve(points) => {
                    // Each fetched day's row is replaced whole: a refetch at another step leaves
                    // nothing of the old points.
                    let mut upsert = tx.prepare_cached(
                        "INSERT OR REPLACE INTO curve_days (series, day, points) VALUES (?, ?, ?)",
                    )?;
                    let mut by_day: BTreeMap<NaiveDate, Vec<LoadCurvePoint>> = BTreeMap::new();
                    for pt in points {
                        by_day
                            .entry(paris::local_date(pt.start()))
                            .or_default()
                            .push(*pt);
                    }
                    for o in days
                        .iter()
                        .filter(|o| matches!(o.state, DayState::Fetched | DayState::Mismatch))
                    {
                        let day_points = by_day.remove(&o.day).unwrap_or_default();
                        upsert.execute(params![
                            series,
                            day_text(o.day),
                            points::encode(paris::day_start(o.day), &day_points)
                        ])?;
                    }
                }
                WindowData::Daily(values) => {
                    let mut insert = tx.prepare_cached("INSERT OR REPLACE INTO daily_energy (pdl, direction, day, wh) VALUES (?, ?, ?, ?)")?;
                    for v in values {
                        insert.execute(params![p, d, day_text(v.date), v.energy.wh_rounded()])?;
                    }
                }
                WindowData::Peaks(values) => {
                    let mut insert = tx.prepare_cached(
                        "INSERT OR REPLACE INTO max_power (pdl, day, at, va) VALUES (?, ?, ?, ?)",
                    )?;
                    for v in values {
                        insert.execute(params![
                            p,
                            day_text(v.date),
                            v.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                            v.volt_amperes
                        ])?;
                    }
                }
                WindowData::Nothing => {}
            }
            // A day already stored keeps its state whatever a later window says about it: a
            // failure or an odd answer never downgrades fetched data.
            let mut ledger = tx.prepare_cached(
                "INSERT INTO ledger (pdl, direction, kind, day, state, reason, attempts, next_try_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (pdl, direction, kind, day) DO UPDATE SET state = ?5, reason = ?6,
                   attempts = CASE WHEN ?5 IN ('failed', 'refetch', 'mismatch') THEN ledger.attempts + 1 WHEN ?5 = 'fetched' THEN 0 ELSE ledger.attempts END,
                   next_try_at = ?8, updated_at = ?9
                 WHERE NOT (ledger.state IN ('fetched', 'mismatch', 'refetch') AND ?5 IN ('failed', 'absent', 'not_published'))",
            )?;
            for o in days {
                let first_attempts = u32::from(matches!(
                    o.state,
                    DayState::Failed | DayState::Refetch | DayState::Mismatch
                ));
                ledger.execute(params![
                    p,
                    d,
                    kind.as_str(),
                    day_text(o.day),
                    o.state.as_str(),
                    o.reason,
                    first_attempts,
                    o.next_try_at.map(ts),
                    ts(now)
                ])?;
            }
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
