//! A meter's energy history, the one model the Domoticz push, the dashboard and the exports read:
//! hours split by tariff from the load curve, days split where every hour of the day is known and
//! whole ("unsplit") where only Enedis's daily total is, and the daily peaks.
//!
//! Plain data and pure functions: the store reads the points, this module splits them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::aggregate::{aggregate, Period, PeriodKey, TariffSplit};
use crate::holidays::HolidayZone;
use crate::offpeak::{Classifier, OffPeakSchedule};
use crate::{paris, Direction, Energy, LoadCurvePoint, MaxPower, UsagePoint};

/// Energy of one hour or one day, by direction, each split by tariff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeterEnergy {
    /// Consumption.
    pub consumption: TariffSplit,
    /// Production.
    pub production: TariffSplit,
}

impl MeterEnergy {
    /// One direction's energy.
    pub fn of(&self, direction: Direction) -> &TariffSplit {
        match direction {
            Direction::Consumption => &self.consumption,
            Direction::Production => &self.production,
        }
    }

    /// Adds another's energy.
    pub fn add(&mut self, other: &MeterEnergy) {
        self.consumption.add(&other.consumption);
        self.production.add(&other.production);
    }
}

/// Where a day's energy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaySource {
    /// Every hour of the day has load-curve data: split by tariff.
    Curve,
    /// Only Enedis's daily total is known: all of it is unsplit.
    DailyTotal,
}

/// One day of a [`MeterHistory`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayEnergy {
    /// The Paris day.
    pub date: NaiveDate,
    /// Its energy.
    pub energy: MeterEnergy,
    /// Split from the curve, or Enedis's total.
    pub source: DaySource,
}

/// How stored points become energy: the user's off-peak schedule (else each meter's contract)
/// and the holiday calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitRules {
    /// The user's schedule; `None` uses each meter's contract.
    pub user_schedule: Option<OffPeakSchedule>,
    /// Which public holidays count.
    pub holiday_zone: HolidayZone,
}

impl SplitRules {
    /// The schedule for a meter whose contract says `contract` (Enedis's text, if known): the
    /// user's, else the contract's, else none (everything peak).
    pub fn schedule_for(&self, contract: Option<&str>) -> OffPeakSchedule {
        self.user_schedule
            .clone()
            .or_else(|| contract.and_then(|c| OffPeakSchedule::from_enedis_contract(c).ok()))
            .unwrap_or_default()
    }
}

/// What is stored of a meter, as [`MeterHistory::split`] takes it.
#[derive(Debug, Clone)]
pub struct StoredMeter<'a> {
    /// The meter.
    pub pdl: &'a UsagePoint,
    /// The consumption load curve.
    pub consumption_curve: &'a [LoadCurvePoint],
    /// The production load curve.
    pub production_curve: &'a [LoadCurvePoint],
    /// Enedis's daily consumption.
    pub daily_consumption: BTreeMap<NaiveDate, Energy>,
    /// Enedis's daily production.
    pub daily_production: BTreeMap<NaiveDate, Energy>,
    /// The daily peaks (consumption).
    pub peaks: Vec<MaxPower>,
}

/// A meter's (or a merged household device's) energy history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeterHistory {
    /// The PDL, or `<consumption PDL> / <production PDL>` for a merged device.
    pub key: String,
    /// Energy per hour, by the hour's start.
    pub hours: BTreeMap<DateTime<Utc>, MeterEnergy>,
    /// Enedis's daily consumption.
    pub daily_consumption: BTreeMap<NaiveDate, Energy>,
    /// Enedis's daily production.
    pub daily_production: BTreeMap<NaiveDate, Energy>,
    /// Daily peaks (consumption).
    pub peaks: Vec<MaxPower>,
}

impl MeterHistory {
    /// Splits a meter's stored data by tariff: each direction's points by the schedule (the
    /// meter's own section, the direction's rules) and the holidays.
    pub fn split(stored: StoredMeter<'_>, schedule: &OffPeakSchedule, zone: HolidayZone) -> Self {
        let split = |points, direction| {
            let classifier = Classifier::new(schedule, Some(stored.pdl), direction, zone);
            aggregate(points, Period::Hour, |p| classifier.is_offpeak(p))
                .into_iter()
                .filter_map(|(key, energy)| match key {
                    PeriodKey::Hour(start) => Some((start, energy)),
                    _ => None,
                })
                .peekable()
        };
        // Both directions come sorted by hour: merged in one pass, the map built once.
        let mut consumption = split(stored.consumption_curve, Direction::Consumption);
        let mut production = split(stored.production_curve, Direction::Production);
        let mut merged = Vec::new();
        loop {
            let next = match (consumption.peek(), production.peek()) {
                (Some((c, _)), Some((p, _))) if c == p => {
                    let (at, consumption) = consumption.next().unwrap_or_default();
                    let production = production.next().map(|(_, e)| e).unwrap_or_default();
                    (
                        at,
                        MeterEnergy {
                            consumption,
                            production,
                        },
                    )
                }
                (Some((c, _)), Some((p, _))) if p < c => {
                    let (at, production) = production.next().unwrap_or_default();
                    (
                        at,
                        MeterEnergy {
                            production,
                            ..MeterEnergy::default()
                        },
                    )
                }
                (Some(_), _) => {
                    let (at, consumption) = consumption.next().unwrap_or_default();
                    (
                        at,
                        MeterEnergy {
                            consumption,
                            ..MeterEnergy::default()
                        },
                    )
                }
                (None, Some(_)) => {
                    let (at, production) = production.next().unwrap_or_default();
                    (
                        at,
                        MeterEnergy {
                            production,
                            ..MeterEnergy::default()
                        },
                    )
                }
                (None, None) => break,
            };
            merged.push(next);
        }
        let hours: BTreeMap<DateTime<Utc>, MeterEnergy> = merged.into_iter().collect();
        MeterHistory {
            key: stored.pdl.as_str().to_owned(),
            hours,
            daily_consumption: stored.daily_consumption,
            daily_production: stored.daily_production,
            peaks: stored.peaks,
        }
    }

    /// Each day's energy: a day whose every hour has load-curve data gets its split
    /// ([`DaySource::Curve`]); a day without a complete curve but with Enedis's daily totals
    /// gets them unsplit ([`DaySource::DailyTotal`]); other days are left out (a partial day
    /// would show as a false low). In joules, so sums stay exact.
    pub fn days(&self) -> Vec<DayEnergy> {
        // Hours come in order, so their days do: summed in a run, the map built once.
        let mut runs: Vec<(NaiveDate, (MeterEnergy, i64))> = Vec::new();
        // The day of an hour is looked up in the zone once per day, not once per hour.
        let mut day: Option<(NaiveDate, DateTime<Utc>)> = None;
        for (start, energy) in &self.hours {
            let date = match day {
                Some((date, next)) if *start < next => date,
                _ => {
                    let date = paris::local_date(*start);
                    day = Some((date, paris::day_start(date + chrono::Duration::days(1))));
                    date
                }
            };
            match runs.last_mut() {
                Some((d, (sum, n))) if *d == date => {
                    sum.add(energy);
                    *n += 1;
                }
                _ => runs.push((date, (*energy, 1))),
            }
        }
        let by_day: BTreeMap<NaiveDate, (MeterEnergy, i64)> = runs.into_iter().collect();
        let mut dates: Vec<NaiveDate> = by_day
            .keys()
            .chain(self.daily_consumption.keys())
            .chain(self.daily_production.keys())
            .copied()
            .collect();
        dates.sort_unstable();
        dates.dedup();
        let whole = |e: Option<&Energy>| TariffSplit {
            unsplit: e.copied().unwrap_or_default(),
            ..TariffSplit::default()
        };
        dates
            .into_iter()
            .filter_map(|date| match by_day.get(&date) {
                Some((energy, n)) if *n == paris::day_hours(date) => Some(DayEnergy {
                    date,
                    energy: *energy,
                    source: DaySource::Curve,
                }),
                _ if self.daily_consumption.contains_key(&date)
                    || self.daily_production.contains_key(&date) =>
                {
                    Some(DayEnergy {
                        date,
                        energy: MeterEnergy {
                            consumption: whole(self.daily_consumption.get(&date)),
                            production: whole(self.daily_production.get(&date)),
                        },
                        source: DaySource::DailyTotal,
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// Whether any consumption is known.
    pub fn has_consumption(&self) -> bool {
        !self.daily_consumption.is_empty()
            || self
                .hours
                .values()
                .any(|h| h.consumption.total() > Energy::default())
    }

    /// Whether any production is known.
    pub fn has_production(&self) -> bool {
        !self.daily_production.is_empty()
            || self
                .hours
                .values()
                .any(|h| h.production.total() > Energy::default())
    }

    /// One history for a consumption-only meter and a production-only meter of one household,
    /// as the original's merged device `<C> / <P>`: every hour and day of either goes in, days
    /// with only production included (the original lost them: its bug P4).
    pub fn merged(consumption: &MeterHistory, production: &MeterHistory) -> MeterHistory {
        let mut hours = BTreeMap::<DateTime<Utc>, MeterEnergy>::new();
        for (at, h) in &consumption.hours {
            hours.entry(*at).or_default().consumption = h.consumption;
        }
        for (at, h) in &production.hours {
            hours.entry(*at).or_default().production = h.production;
        }
        MeterHistory {
            key: format!("{} / {}", consumption.key, production.key),
            hours,
            daily_consumption: consumption.daily_consumption.clone(),
            daily_production: production.daily_production.clone(),
            peaks: consumption.peaks.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Step;

    fn pdl() -> UsagePoint {
        "12345678901234".parse().unwrap()
    }

    fn day_of_points(date: NaiveDate, watts: u32) -> Vec<LoadCurvePoint> {
        let (start, end) = paris::day_bounds(date);
        let mut points = Vec::new();
        let mut at = start + chrono::Duration::minutes(30);
        while at <= end {
            points.push(LoadCurvePoint {
                end: at,
                step: Step::from_minutes(30).unwrap(),
                watts,
            });
            at += chrono::Duration::minutes(30);
        }
        points
    }

    #[test]
    fn complete_days_are_split_and_total_only_days_unsplit() {
        let d1 = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(); // 25 hours
        let d2 = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
        let curve = day_of_points(d1, 1000);
        let mut partial = day_of_points(d2, 1000);
        partial.truncate(10);
        let points: Vec<LoadCurvePoint> = curve.iter().chain(partial.iter()).copied().collect();
        let daily: BTreeMap<NaiveDate, Energy> = [(d2, Energy::from_wh(7000))].into();
        let p = pdl();
        let schedule = OffPeakSchedule::parse("22h00-6h00").unwrap();
        let history = MeterHistory::split(
            StoredMeter {
                pdl: &p,
                consumption_curve: &points,
                production_curve: &[],
                daily_consumption: daily,
                daily_production: BTreeMap::new(),
                peaks: Vec::new(),
            },
            &schedule,
            HolidayZone::Metropole,
        );
        let days = history.days();
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].source, DaySource::Curve);
        assert_eq!(days[0].energy.consumption.total(), Energy::from_wh(25_000));
        assert_eq!(days[0].energy.consumption.unsplit, Energy::default());
        assert_eq!(
            days[0].energy.consumption.offpeak,
            Energy::from_wh(9000),
            "22h-6h with the repeated hour"
        );
        assert_eq!(days[1].source, DaySource::DailyTotal);
        assert_eq!(days[1].energy.consumption.unsplit, Energy::from_wh(7000));
        assert_eq!(days[1].energy.consumption.total(), Energy::from_wh(7000));
        assert!(history.has_consumption() && !history.has_production());
    }

    #[test]
    fn the_users_schedule_beats_the_contracts() {
        let contract = Some("HC (22H00-6H00)");
        let none = SplitRules::default();
        assert_eq!(
            none.schedule_for(contract),
            OffPeakSchedule::from_enedis_contract("HC (22H00-6H00)").unwrap()
        );
        let user = SplitRules {
            user_schedule: Some(OffPeakSchedule::parse("1h00-7h00").unwrap()),
            ..SplitRules::default()
        };
        assert_eq!(
            user.schedule_for(contract),
            OffPeakSchedule::parse("1h00-7h00").unwrap()
        );
        assert_eq!(none.schedule_for(None), OffPeakSchedule::default());
    }
}
