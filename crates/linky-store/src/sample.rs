//! A store filled with days of synthetic half-hourly data, for benchmarks (feature `sample`,
//! never in a release build).

use chrono::{Duration, NaiveDate};
use linky_core::{
    paris, DailyEnergy, Direction, Energy, LoadCurvePoint, MaxPower, Step, UsagePoint,
};

use crate::{ContractFacts, ContractRead, DayOutcome, Kind, Store, StoreError, WindowData};

/// A day of 30-minute points in a daily pattern (300 W to 2 180 W).
pub fn day_curve(day: NaiveDate) -> Vec<LoadCurvePoint> {
    let (start, end) = paris::day_bounds(day);
    let mut points = Vec::new();
    let mut t = start;
    while t < end {
        t += Duration::minutes(30);
        let watts = 300 + ((t.timestamp() / 1800) % 48) as u32 * 40;
        points.push(LoadCurvePoint {
            end: t,
            step: Step::PT30M,
            watts,
        });
    }
    points
}

/// Records `days` days before `today` for `pdl`: a 30-minute load curve, the daily totals
/// that match it, a daily peak, and a contract with off-peak hours.
pub fn fill(
    store: &mut Store,
    pdl: &UsagePoint,
    today: NaiveDate,
    days: i64,
) -> Result<(), StoreError> {
    let now = paris::day_start(today);
    store.add_meter(pdl, now)?;
    let facts = ContractFacts {
        activation_date: None,
        subscribed_kva: Some(9),
        offpeak: Some("HC (22H30-6H30)".into()),
        directions: None,
    };
    store.set_contract(pdl, &ContractRead::whole(facts), now)?;
    store.begin_batch()?;
    for n in (1..=days).rev() {
        let day = today - Duration::days(n);
        let points = day_curve(day);
        let energy: Energy = points.iter().map(LoadCurvePoint::energy).sum();
        let fetched = [DayOutcome::fetched(day)];
        let at = day.and_hms_opt(19, 0, 0).unwrap_or_default();
        let windows = [
            (Kind::Curve, WindowData::Curve(points)),
            (
                Kind::Daily,
                WindowData::Daily(vec![DailyEnergy { date: day, energy }]),
            ),
            (
                Kind::MaxPower,
                WindowData::Peaks(vec![MaxPower {
                    date: day,
                    at,
                    volt_amperes: 4000,
                }]),
            ),
        ];
        for (kind, data) in windows {
            store.record_window(pdl, Direction::Consumption, kind, &data, &fetched, now)?;
        }
    }
    store.commit_batch()
}
