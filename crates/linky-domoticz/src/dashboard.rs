//! The P1 device's dashboard value (6 parts, no date), with the original plugin's two options
//! (seed-spec §7): the primary display is a peak power over a period (`peak_day`,
//! `peak_cweek`, ...), the secondary the energy `value_`, hourly `max_` or `mean_` over a
//! period (`day`, `cweek`, `lweek`, `cmonth`, `lmonth`, `year`), split by tariff.
//!
//! Periods are the original's: each hour counts by its end stamp in Paris time, "current"
//! periods are the ones containing yesterday (so on a Monday `cweek` is the week just ended).

use chrono::{NaiveDate, NaiveDateTime};
pub use linky_core::periods::DashboardPeriod;
use linky_core::MaxPower;

use crate::rows::P1Counters;

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

/// Parses `peak_<period>`.
pub fn parse_primary(text: &str) -> Result<DashboardPeriod, DashboardError> {
    text.strip_prefix("peak_")
        .and_then(DashboardPeriod::named)
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
    let p =
        DashboardPeriod::named(rest).ok_or_else(|| DashboardError::UnknownOption(text.into()))?;
    Ok((stat, p))
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
    let peak_window = primary.bounds(today);
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

    /// The original's observed boundaries (seed-spec §7.1).
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
