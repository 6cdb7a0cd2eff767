//! Energy per day from the store, split peak / off-peak: what the demo page and `linky status`
//! show. Computed from stored points each time (nothing derived is stored).

use chrono::{Duration, NaiveDate};
use linky_core::aggregate::{aggregate, regroup, Period, PeriodKey};
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::{Classifier, OffPeakSchedule};
use linky_core::{paris, Direction, UsagePoint};
use linky_store::{Store, StoreError};

/// One day of one meter.
#[derive(Debug, Clone, PartialEq)]
pub struct DayEnergy {
    /// The day.
    pub date: NaiveDate,
    /// Consumption in peak hours, kWh (from the load curve).
    pub peak_kwh: Option<f64>,
    /// Consumption in off-peak hours, kWh.
    pub offpeak_kwh: Option<f64>,
    /// Daily consumption as Enedis totals it, kWh.
    pub consumption_kwh: Option<f64>,
    /// Daily production, kWh.
    pub production_kwh: Option<f64>,
}

/// The last `days` days up to `last` for a meter, with its schedule (the contract's when the
/// user gave none).
pub fn recent_days(
    store: &Store,
    pdl: &UsagePoint,
    schedule: &OffPeakSchedule,
    last: NaiveDate,
    days: i64,
) -> Result<Vec<DayEnergy>, StoreError> {
    let first = last - Duration::days(days - 1);
    let (from, _) = paris::day_bounds(first);
    let (_, to) = paris::day_bounds(last);
    let curve = store.curve(pdl, Direction::Consumption, from, to)?;
    let classifier = Classifier::new(
        schedule,
        Some(pdl),
        Direction::Consumption,
        HolidayZone::Metropole,
    );
    let by_day = regroup(
        &aggregate(curve.points(), Period::Hour, |p| classifier.is_offpeak(p)),
        Period::Day,
    );
    let consumption = store.daily(pdl, Direction::Consumption, first, last)?;
    let production = store.daily(pdl, Direction::Production, first, last)?;
    Ok(first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|date| {
            let split = by_day.get(&PeriodKey::Day(date));
            DayEnergy {
                date,
                peak_kwh: split.map(|s| s.peak.wh() / 1000.0),
                offpeak_kwh: split.map(|s| s.offpeak.wh() / 1000.0),
                consumption_kwh: consumption
                    .iter()
                    .find(|d| d.date == date)
                    .map(|d| d.energy.wh() / 1000.0),
                production_kwh: production
                    .iter()
                    .find(|d| d.date == date)
                    .map(|d| d.energy.wh() / 1000.0),
            }
        })
        .collect())
}

/// The schedule for a meter: the user's, else the contract's, else none.
pub fn schedule_for(user: Option<&OffPeakSchedule>, contract: Option<&str>) -> OffPeakSchedule {
    user.cloned()
        .or_else(|| contract.and_then(|c| OffPeakSchedule::from_enedis_contract(c).ok()))
        .unwrap_or_default()
}

/// A number of kWh, or a dash.
pub fn kwh(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"))
}
