//! The rows of a Domoticz P1 Smart Meter device with `AddDBLogEntry` (domoticz.md §1.5).
//!
//! * Short log: one row per local hour, stamped with the **end** of the hour (as the original
//!   plugin does: the row at 01:00 holds 00:00–01:00), holding **cumulative** Wh for usage
//!   peak, usage off-peak, return peak, return off-peak. The counters start at a fixed origin,
//!   the first hour of the history given, so re-pushing writes identical values and counters
//!   never go down (the original restarted them at 0 every cycle).
//! * Long log: one row per day with the day's totals in Wh.
//!
//! Domoticz keys rows by its local wall-clock time. On the autumn DST day the two hours ending
//! at 02:00 and at the repeated 02:00 give one stamp: one row. Domoticz's day graph reads that
//! stamp as summer time (`mktime`), so the step to the 03:00 row looks like two hours and its
//! point is always 0 (`int(3600 / 7200)`, domoticz.md §8). The merged row therefore holds the
//! counters after 03:00: the 02:00 bar shows the three hours from 01:00 and the 03:00 bar the 0
//! Domoticz draws anyway, so the graph's bars still add up to the day. In spring no hour ends
//! at 02:00, so there is no such row; the hour ending at 03:00 covers 01:00–03:00 wall time.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use linky_core::aggregate::{PeriodKey, TariffSplit};
pub use linky_core::history::DaySource;
use linky_core::history::{DayEnergy, MeterEnergy, MeterHistory};
use linky_core::{paris, Energy};

/// The four P1 counters in Wh: usage T1 (peak), usage T2 (off-peak), return T1, return T2.
/// Energy that cannot be split (a day known only by Enedis's total) goes to tariff 1: Domoticz
/// has no place for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct P1Counters {
    /// Usage, tariff 1 (peak).
    pub usage_peak: i64,
    /// Usage, tariff 2 (off-peak).
    pub usage_offpeak: i64,
    /// Return, tariff 1 (peak).
    pub return_peak: i64,
    /// Return, tariff 2 (off-peak).
    pub return_offpeak: i64,
}

/// A short-log row: counters after the hour that ends at `stamp` (Domoticz local time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourRow {
    /// `YYYY-MM-DD HH:MM:SS` in the Domoticz server's time zone.
    pub stamp: String,
    /// Cumulative Wh since the origin.
    pub counters: P1Counters,
}

/// A long-log row: one day's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRow {
    /// The Paris day.
    pub date: NaiveDate,
    /// That day's Wh.
    pub totals: P1Counters,
}

impl fmt::Display for HourRow {
    /// The 7-part `svalue`: `U1;U2;R1;R2;0;0;YYYY-MM-DD HH:MM:SS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};0;0;{}", parts(&self.counters), self.stamp)
    }
}

impl fmt::Display for DayRow {
    /// The 7-part `svalue`: `U1;U2;R1;R2;0;0;YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{};0;0;{}",
            parts(&self.totals),
            self.date.format("%Y-%m-%d")
        )
    }
}

impl DayRow {
    /// The 11-part `svalue` with end-of-day indexes: `U1;U2;R1;R2;0;0;C_u1;C_d1;C_u2;C_d2;DATE`.
    /// The index order (usage T1, return T1, usage T2, return T2) is not the value order:
    /// Domoticz stores them in Counter1..4 as given (domoticz.md §1.5).
    pub fn with_indexes(&self, end_of_day: &P1Counters) -> String {
        format!(
            "{};0;0;{};{};{};{};{}",
            parts(&self.totals),
            end_of_day.usage_peak,
            end_of_day.return_peak,
            end_of_day.usage_offpeak,
            end_of_day.return_offpeak,
            self.date.format("%Y-%m-%d")
        )
    }
}

/// The meter's running index: energy counted from the first known day, hour by hour where the
/// curve is known, and as a whole at the end of a day known only by Enedis's daily total (no
/// hour of it stored). The short-log counters, the end-of-day indexes of 11-part day rows and
/// the card's counters are all read from it, rounded from cumulative joules, so they agree to
/// the Wh (Domoticz's "Comparing" chart and its "Today" need that).
#[derive(Debug, Clone, Default)]
pub struct MeterIndex {
    /// Increments by the instant they end at, in order.
    steps: Vec<(DateTime<Utc>, MeterEnergy, bool)>,
}

impl MeterIndex {
    /// The index over `hours` and `days` ([`MeterHistory::days`]; only the days known by their
    /// total count beyond the hours).
    pub fn new(hours: &BTreeMap<DateTime<Utc>, MeterEnergy>, days: &[DayEnergy]) -> MeterIndex {
        let mut with_hours: std::collections::BTreeSet<NaiveDate> =
            std::collections::BTreeSet::new();
        let mut steps: Vec<(DateTime<Utc>, MeterEnergy, bool)> = hours
            .iter()
            .map(|(start, split)| {
                with_hours.insert(paris::local_date(*start));
                (*start + Duration::hours(1), *split, true)
            })
            .collect();
        steps.extend(
            days.iter()
                .filter(|d| d.source == DaySource::DailyTotal && !with_hours.contains(&d.date))
                .map(|d| (paris::day_bounds(d.date).1, d.energy, false)),
        );
        // Stable: a whole day ending at an instant counts before the hour ending with it.
        steps.sort_by_key(|(end, _, hourly)| (*end, *hourly));
        MeterIndex { steps }
    }

    /// The index of a meter's whole history.
    pub fn of(history: &MeterHistory) -> MeterIndex {
        MeterIndex::new(&history.hours, &history.days())
    }

    /// The index after everything: the card's counters.
    pub fn total(&self) -> Option<P1Counters> {
        if self.steps.is_empty() {
            return None;
        }
        let (mut usage, mut ret) = (TariffSplit::default(), TariffSplit::default());
        for (_, split, _) in &self.steps {
            add(&mut usage, &mut ret, split);
        }
        Some(counters(usage, ret))
    }

    /// The index at the end of each of `dates` (in date order), Paris days.
    pub fn day_ends(&self, dates: &[NaiveDate]) -> Vec<P1Counters> {
        let (mut usage, mut ret) = (TariffSplit::default(), TariffSplit::default());
        let mut steps = self.steps.iter().peekable();
        dates
            .iter()
            .map(|date| {
                let end = paris::day_bounds(*date).1;
                while let Some((_, split, _)) = steps.next_if(|(at, _, _)| *at <= end) {
                    add(&mut usage, &mut ret, split);
                }
                counters(usage, ret)
            })
            .collect()
    }

    /// Short-log rows for the hours ending at or after `since`, in `zone`'s wall-clock time.
    /// Rows with the same local stamp (the autumn repeated hour) merge into one, which then
    /// takes the next row's counters (see the module's notes on the day graph).
    pub fn hour_rows(&self, since: DateTime<Utc>, zone: Tz) -> Vec<HourRow> {
        let (mut usage, mut ret) = (TariffSplit::default(), TariffSplit::default());
        let mut rows: Vec<HourRow> = Vec::new();
        let mut merged = false;
        for (end, split, hourly) in &self.steps {
            add(&mut usage, &mut ret, split);
            if !hourly || *end < since {
                continue;
            }
            let row = HourRow {
                stamp: end
                    .with_timezone(&zone)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                counters: counters(usage, ret),
            };
            match rows.last_mut() {
                Some(last) if last.stamp == row.stamp => {
                    *last = row;
                    merged = true;
                }
                Some(last) if merged && is_next_hour(&last.stamp, &row.stamp) => {
                    last.counters = row.counters;
                    merged = false;
                    rows.push(row);
                }
                _ => {
                    merged = false;
                    rows.push(row);
                }
            }
        }
        rows
    }
}

fn add(usage: &mut TariffSplit, ret: &mut TariffSplit, energy: &MeterEnergy) {
    usage.add(&energy.consumption);
    ret.add(&energy.production);
}

fn parts(c: &P1Counters) -> String {
    format!(
        "{};{};{};{}",
        c.usage_peak, c.usage_offpeak, c.return_peak, c.return_offpeak
    )
}

/// Joules to whole Wh, what cannot be split in tariff 1. Cumulative counters are rounded from
/// cumulative joules, so rounding never drifts over two years of hours.
fn counters(usage: TariffSplit, ret: TariffSplit) -> P1Counters {
    P1Counters {
        usage_peak: (usage.peak + usage.unsplit).wh_rounded(),
        usage_offpeak: usage.offpeak.wh_rounded(),
        return_peak: (ret.peak + ret.unsplit).wh_rounded(),
        return_offpeak: ret.offpeak.wh_rounded(),
    }
}

/// Merges consumption and production hours (from
/// [`aggregate`](linky_core::aggregate::aggregate) with `Period::Hour`) into one map.
pub fn merge_hours(
    usage: &BTreeMap<PeriodKey, TariffSplit>,
    ret: &BTreeMap<PeriodKey, TariffSplit>,
) -> BTreeMap<DateTime<Utc>, MeterEnergy> {
    let mut out: BTreeMap<DateTime<Utc>, MeterEnergy> = BTreeMap::new();
    for (key, split) in usage {
        if let PeriodKey::Hour(start) = key {
            out.entry(*start).or_default().consumption = *split;
        }
    }
    for (key, split) in ret {
        if let PeriodKey::Hour(start) = key {
            out.entry(*start).or_default().production = *split;
        }
    }
    out
}

/// Short-log rows for the hours ending at or after `since`, counters from the first hour of
/// `hours` ([`MeterIndex::hour_rows`] without days known only by their total).
pub fn hour_rows(
    hours: &BTreeMap<DateTime<Utc>, MeterEnergy>,
    since: DateTime<Utc>,
    zone: Tz,
) -> Vec<HourRow> {
    MeterIndex::new(hours, &[]).hour_rows(since, zone)
}

/// Whether `later` is one wall-clock hour after `earlier` (both `YYYY-MM-DD HH:MM:SS`).
fn is_next_hour(earlier: &str, later: &str) -> bool {
    let parse = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok();
    matches!((parse(earlier), parse(later)), (Some(a), Some(b)) if b - a == Duration::hours(1))
}

/// Long-log rows of the days of these hours and daily totals, in whole Wh.
pub fn day_rows(
    hours: &BTreeMap<DateTime<Utc>, MeterEnergy>,
    daily_usage: &BTreeMap<NaiveDate, Energy>,
    daily_return: &BTreeMap<NaiveDate, Energy>,
) -> Vec<(DayRow, DaySource)> {
    let history = MeterHistory {
        hours: hours.clone(),
        daily_consumption: daily_usage.clone(),
        daily_production: daily_return.clone(),
        ..MeterHistory::default()
    };
    rows_of(&history.days())
}

/// Long-log rows of days already split.
pub fn rows_of(days: &[DayEnergy]) -> Vec<(DayRow, DaySource)> {
    days.iter()
        .map(|d| {
            (
                DayRow {
                    date: d.date,
                    totals: counters(d.energy.consumption, d.energy.production),
                },
                d.source,
            )
        })
        .collect()
}
