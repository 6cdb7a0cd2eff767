//! The P1 device's dashboard value (6 parts, no date), with the original plugin's two options
//! (seed-spec §7): the primary display is a peak power over a period (`peak_day`,
//! `peak_cweek`, ...), the secondary the energy `value_`, hourly `max_` or `mean_` over a
//! period (`day`, `cweek`, `lweek`, `cmonth`, `lmonth`, `year`), split by tariff.
//!
//! Periods are the original's: each hour counts by its end stamp in Paris time, "current"
//! periods are the ones containing yesterday (so on a Monday `cweek` is the week just ended).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use linky_core::MaxPower;

use crate::rows::P1Counters;

/// A period of the original's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardPeriod {
    /// Yesterday.
    Day,
    /// The week (Monday to Sunday) containing yesterday.
    CurrentWeek,
    /// The week before.
    LastWeek,
    /// The month containing yesterday.
    CurrentMonth,
    /// The month before.
    LastMonth,
    /// The year containing yesterday.
    Year,
}

/// What the secondary display shows over its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Energy (Wh).
    Value,
    /// The largest hour (Wh).
    Max,
    /// The mean hour (Wh), over every hour with data.
    Mean,
}

/// Why no dashboard value can be made: the old one stays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DashboardError {
    /// An option the original did not have.
    #[error("unknown dashboard option {0:?}")]
    UnknownOption(String),
    /// The period has no hour yet (Enedis has not published yesterday).
    #[error("no data for the period yet ({0}): the dashboard keeps its value")]
    NoData(&'static str),
}

/// The original's period names, both ways.
const PERIODS: [(&str, DashboardPeriod); 6] = [
    ("day", DashboardPeriod::Day),
    ("cweek", DashboardPeriod::CurrentWeek),
    ("lweek", DashboardPeriod::LastWeek),
    ("cmonth", DashboardPeriod::CurrentMonth),
    ("lmonth", DashboardPeriod::LastMonth),
    ("year", DashboardPeriod::Year),
];

fn period(name: &str) -> Option<DashboardPeriod> {
    PERIODS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

impl DashboardPeriod {
    /// Its name in the options (`day`, `cweek`...).
    pub fn name(self) -> &'static str {
        PERIODS
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("day", |(n, _)| n)
    }
}

/// Parses `peak_<period>`.
pub fn parse_primary(text: &str) -> Result<DashboardPeriod, DashboardError> {
    text.strip_prefix("peak_")
        .and_then(period)
        .ok_or_else(|| DashboardError::UnknownOption(text.into()))
}

/// Parses `value_<period>`, `max_<period>` or `mean_<period>`.
pub fn parse_secondary(text: &str) -> Result<(Statistic, DashboardPeriod), DashboardError> {
    let (stat, rest) = text
        .split_once('_')
        .ok_or_else(|| DashboardError::UnknownOption(text.into()))?;
    let stat = match stat {
        "value" => Statistic::Value,
        "max" => Statistic::Max,
        "mean" => Statistic::Mean,
        _ => return Err(DashboardError::UnknownOption(text.into())),
    };
    let p = period(rest).ok_or_else(|| DashboardError::UnknownOption(text.into()))?;
    Ok((stat, p))
}

/// The half-open `(start, end]` bounds of a period on Paris wall-clock stamps; `None` end
/// means no upper bound.
pub fn bounds(p: DashboardPeriod, today: NaiveDate) -> (NaiveDateTime, Option<NaiveDateTime>) {
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let yesterday = today - Duration::days(1);
    let week = yesterday - Duration::days(yesterday.weekday().num_days_from_monday().into());
    let month = yesterday.with_day(1).unwrap_or(yesterday);
    let previous_month = (month - Duration::days(1)).with_day(1).unwrap_or(month);
    let year = NaiveDate::from_ymd_opt(yesterday.year(), 1, 1).unwrap_or(yesterday);
    match p {
        DashboardPeriod::Day => (midnight(yesterday), Some(midnight(today))),
        DashboardPeriod::CurrentWeek => (midnight(week), None),
        DashboardPeriod::LastWeek => (midnight(week - Duration::days(7)), Some(midnight(week))),
        DashboardPeriod::CurrentMonth => (midnight(month), None),
        DashboardPeriod::LastMonth => (midnight(previous_month), Some(midnight(month))),
        DashboardPeriod::Year => (midnight(year), None),
    }
}

fn inside(stamp: NaiveDateTime, (start, end): (NaiveDateTime, Option<NaiveDateTime>)) -> bool {
    stamp > start && end.is_none_or(|e| stamp <= e)
}

/// The six parts `U1;U2;R1;R2;CONS;PROD` of the device's own value: the four counters are the
/// meter index ([`MeterIndex::total`](crate::rows::MeterIndex::total)), on the same scale as the
/// short-log rows, and CONS is the primary peak in VA (0 when unknown, as the original).
///
/// The original put a period statistic (`value_day`, `max_cweek`...) in the counters. Domoticz
/// computes the card's "Today" as these counters minus the lowest short-log counter since
/// midnight, unsigned (domoticz.md §8), so anything but the running total shows nonsense such as
/// "18446744073693252.000 kWh". The card therefore shows the meter's index and "Today"; the
/// period statistics are on linky's own dashboard.
pub fn dashboard_value(
    index: Option<P1Counters>,
    peaks: &[MaxPower],
    primary: DashboardPeriod,
    today: NaiveDate,
) -> Result<[i64; 6], DashboardError> {
    let index = index.ok_or(DashboardError::NoData(primary.name()))?;
    let has_usage = index.usage_peak + index.usage_offpeak > 0;
    let peak_window = bounds(primary, today);
    let cons = peaks
        .iter()
        .filter(|p| inside(p.at, peak_window))
        .map(|p| i64::from(p.volt_amperes))
        .max()
        .unwrap_or(0);
    Ok([
        index.usage_peak,
        index.usage_offpeak,
        index.return_peak,
        index.return_offpeak,
        if has_usage { cons } else { 0 },
        0,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// The original's observed boundaries (seed-spec §7.1).
    #[test]
    fn period_bounds_match_the_original() {
        let day = |t: &str| d(t).and_hms_opt(0, 0, 0).unwrap();
        for (today, expect) in [
            (
                "2024-05-16",
                [
                    "2024-05-15",
                    "2024-05-13",
                    "2024-05-06",
                    "2024-05-13",
                    "2024-05-01",
                    "2024-04-01",
                    "2024-05-01",
                    "2024-01-01",
                ],
            ),
            (
                "2024-05-13",
                [
                    "2024-05-12",
                    "2024-05-06",
                    "2024-04-29",
                    "2024-05-06",
                    "2024-05-01",
                    "2024-04-01",
                    "2024-05-01",
                    "2024-01-01",
                ],
            ),
            (
                "2025-01-01",
                [
                    "2024-12-31",
                    "2024-12-30",
                    "2024-12-23",
                    "2024-12-30",
                    "2024-12-01",
                    "2024-11-01",
                    "2024-12-01",
                    "2024-01-01",
                ],
            ),
            (
                "2024-03-01",
                [
                    "2024-02-29",
                    "2024-02-26",
                    "2024-02-19",
                    "2024-02-26",
                    "2024-02-01",
                    "2024-01-01",
                    "2024-02-01",
                    "2024-01-01",
                ],
            ),
        ] {
            let t = d(today);
            assert_eq!(
                bounds(DashboardPeriod::Day, t),
                (day(expect[0]), Some(day(today)))
            );
            assert_eq!(
                bounds(DashboardPeriod::CurrentWeek, t),
                (day(expect[1]), None)
            );
            assert_eq!(
                bounds(DashboardPeriod::LastWeek, t),
                (day(expect[2]), Some(day(expect[3])))
            );
            assert_eq!(
                bounds(DashboardPeriod::CurrentMonth, t),
                (day(expect[4]), None)
            );
            assert_eq!(
                bounds(DashboardPeriod::LastMonth, t),
                (day(expect[5]), Some(day(expect[6])))
            );
            assert_eq!(bounds(DashboardPeriod::Year, t), (day(expect[7]), None));
        }
    }

    #[test]
    fn options_parse_like_the_originals() {
        assert_eq!(
            parse_primary("peak_cweek"),
            Ok(DashboardPeriod::CurrentWeek)
        );
        assert_eq!(
            parse_secondary("mean_lmonth"),
            Ok((Statistic::Mean, DashboardPeriod::LastMonth))
        );
        assert!(parse_secondary("value_decade").is_err());
        assert!(parse_primary("value_day").is_err());
    }
}
