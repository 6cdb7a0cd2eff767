//! Energy per Paris hour, day, ISO week, month and year, split peak / off-peak.
//!
//! Each point's energy is cut at the hour boundaries its interval crosses (which only happens
//! after a step change leaves a point straddling an hour), so every bucket gets exactly the
//! energy of the time it covers. All sums are in whole joules: the hours of a day add up to the
//! day, the days to the month, and everything to the sum of the points, to the joule, including
//! on the 23- and 25-hour days.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::{paris, Energy, LoadCurvePoint};

/// The length of an aggregation bucket, in Paris time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// A wall-clock hour (the repeated autumn hour gives two buckets).
    Hour,
    /// A calendar day (23, 24 or 25 hours).
    Day,
    /// An ISO 8601 week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar year.
    Year,
}

/// One bucket of a [`Period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKey {
    /// The hour starting at this instant (a whole UTC hour, which is a whole Paris hour too).
    Hour(DateTime<Utc>),
    /// A Paris calendar day.
    Day(NaiveDate),
    /// An ISO week: ISO year and week number.
    Week {
        /// ISO week-numbering year (may differ from the calendar year around New Year).
        year: i32,
        /// Week number, 1 to 53.
        week: u32,
    },
    /// A calendar month.
    Month {
        /// Year.
        year: i32,
        /// Month, 1 to 12.
        month: u32,
    },
    /// A calendar year.
    Year(i32),
}

impl PeriodKey {
    /// The bucket of `period` containing the hour that starts at `hour_start`.
    pub fn of_hour(period: Period, hour_start: DateTime<Utc>) -> PeriodKey {
        if period == Period::Hour {
            return PeriodKey::Hour(hour_start);
        }
        PeriodKey::of_date(period, paris::local_date(hour_start))
    }

    /// The bucket of `period` (anything but [`Period::Hour`]) containing a Paris day.
    pub fn of_date(period: Period, date: NaiveDate) -> PeriodKey {
        match period {
            Period::Hour => PeriodKey::Hour(paris::day_start(date)),
            Period::Day => PeriodKey::Day(date),
            Period::Week => {
                let w = date.iso_week();
                PeriodKey::Week {
                    year: w.year(),
                    week: w.week(),
                }
            }
            Period::Month => PeriodKey::Month {
                year: date.year(),
                month: date.month(),
            },
            Period::Year => PeriodKey::Year(date.year()),
        }
    }
}

impl fmt::Display for PeriodKey {
    /// Hours show their Paris time and offset, so the two 02:00 of the autumn day differ.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeriodKey::Hour(t) => write!(
                f,
                "{}",
                t.with_timezone(&paris::TZ).format("%Y-%m-%dT%H:%M%:z")
            ),
            PeriodKey::Day(d) => write!(f, "{d}"),
            PeriodKey::Week { year, week } => write!(f, "{year}-W{week:02}"),
            PeriodKey::Month { year, month } => write!(f, "{year}-{month:02}"),
            PeriodKey::Year(y) => write!(f, "{y}"),
        }
    }
}

/// Energy by tariff: peak ("heures pleines"), off-peak ("heures creuses"), and what cannot be
/// split (days known only by Enedis's daily total). The one "energy by tariff" type of linky.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TariffSplit {
    /// Energy during peak hours.
    pub peak: Energy,
    /// Energy during off-peak hours.
    pub offpeak: Energy,
    /// Energy whose hours are unknown (a day known only by its total).
    pub unsplit: Energy,
}

impl TariffSplit {
    /// Everything: peak, off-peak and unsplit.
    pub fn total(&self) -> Energy {
        self.peak + self.offpeak + self.unsplit
    }

    /// Adds another split.
    pub fn add(&mut self, other: &TariffSplit) {
        self.peak += other.peak;
        self.offpeak += other.offpeak;
        self.unsplit += other.unsplit;
    }

    fn count(&mut self, energy: Energy, offpeak: bool) {
        if offpeak {
            self.offpeak += energy;
        } else {
            self.peak += energy;
        }
    }
}

const HOUR: i64 = 3600;

/// Sums load-curve points into buckets of `period`, each point going to peak or off-peak as
/// `is_offpeak` says (usually [`Classifier::is_offpeak`](crate::offpeak::Classifier::is_offpeak)).
/// Buckets with no point are absent: a missing day is not a zero day.
pub fn aggregate(
    points: &[LoadCurvePoint],
    period: Period,
    mut is_offpeak: impl FnMut(&LoadCurvePoint) -> bool,
) -> BTreeMap<PeriodKey, TariffSplit> {
    // One pass in whole seconds. Points come in order, so buckets do too: they go to a vector,
    // the last one open, and the map is built once at the end. The bucket of an hour is looked
    // up once per hour, not once per point.
    let mut buckets: Vec<(PeriodKey, TariffSplit)> =
        Vec::with_capacity(expected_buckets(points, period));
    let mut last: Option<(i64, PeriodKey)> = None;
    for point in points {
        let offpeak = is_offpeak(point);
        let end = point.end.timestamp();
        let start = end - point.step.seconds();
        let mut hour = start.div_euclid(HOUR) * HOUR;
        while hour < end {
            let next = hour + HOUR;
            let seconds = end.min(next) - start.max(hour);
            let key = match last {
                Some((h, k)) if h == hour => k,
                _ => {
                    let instant = DateTime::from_timestamp(hour, 0).unwrap_or(point.end);
                    let k = PeriodKey::of_hour(period, instant);
                    last = Some((hour, k));
                    k
                }
            };
            let energy = Energy::from_power(point.watts.into(), seconds);
            match buckets.last_mut() {
                Some((k, split)) if *k == key => split.count(energy, offpeak),
                _ => {
                    let mut split = TariffSplit::default();
                    split.count(energy, offpeak);
                    buckets.push((key, split));
                }
            }
            hour = next;
        }
    }
    if buckets.windows(2).all(|w| w[0].0 < w[1].0) {
        return buckets.into_iter().collect();
    }
    // Points out of order: the same bucket may come back.
    let mut out: BTreeMap<PeriodKey, TariffSplit> = BTreeMap::new();
    for (key, split) in buckets {
        out.entry(key).or_default().add(&split);
    }
    out
}

/// How many buckets ordered `points` fill, about (a little more, never much more): sized once,
/// the vector of buckets is never copied as it grows.
fn expected_buckets(points: &[LoadCurvePoint], period: Period) -> usize {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return 0;
    };
    let span = (last.end - first.end).num_seconds().max(0) + first.step.seconds();
    let shortest = match period {
        Period::Hour => HOUR,
        Period::Day => 23 * HOUR,
        Period::Week => 7 * 24 * HOUR,
        Period::Month => 28 * 24 * HOUR,
        Period::Year => 365 * 24 * HOUR,
    };
    // Out of order, the span says nothing: let the vector grow.
    usize::try_from(span / shortest + 2)
        .unwrap_or(0)
        .min(points.len() * 2 + 2)
}

/// Sums hourly buckets (from [`aggregate`] with [`Period::Hour`]) into a coarser period: the
/// same result as aggregating the points again, at a fraction of the cost.
pub fn regroup(
    hours: &BTreeMap<PeriodKey, TariffSplit>,
    period: Period,
) -> BTreeMap<PeriodKey, TariffSplit> {
    let mut out: BTreeMap<PeriodKey, TariffSplit> = BTreeMap::new();
    for (key, split) in hours {
        let PeriodKey::Hour(start) = key else {
            continue;
        };
        out.entry(PeriodKey::of_hour(period, *start))
            .or_default()
            .add(split);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Step;
    use chrono::TimeZone;

    fn day_points(
        date: NaiveDate,
        step: Step,
        watts: impl Fn(usize) -> u32,
    ) -> Vec<LoadCurvePoint> {
        let (start, end) = paris::day_bounds(date);
        let mut out = Vec::new();
        let mut t = start + step.duration();
        while t <= end {
            out.push(LoadCurvePoint {
                end: t,
                step,
                watts: watts(out.len()),
            });
            t += step.duration();
        }
        out
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dst_days_have_23_and_25_hourly_buckets_and_conserve_energy() {
        for (day, hours) in [
            (date(2024, 3, 31), 23),
            (date(2024, 10, 27), 25),
            (date(2025, 3, 30), 23),
            (date(2025, 10, 26), 25),
            (date(2026, 3, 29), 23),
            (date(2026, 10, 25), 25),
            (date(2026, 6, 21), 24),
        ] {
            for step in Step::ALL {
                let points = day_points(day, step, |i| 100 + (i as u32 * 37) % 3000);
                let sum: Energy = points.iter().map(LoadCurvePoint::energy).sum();
                let by_hour = aggregate(&points, Period::Hour, |_| false);
                assert_eq!(by_hour.len(), hours, "{day} {step}");
                assert_eq!(
                    by_hour.values().map(TariffSplit::total).sum::<Energy>(),
                    sum
                );
                let by_day = aggregate(&points, Period::Day, |_| false);
                assert_eq!(by_day.len(), 1, "{day} {step}");
                assert_eq!(by_day[&PeriodKey::Day(day)].total(), sum);
            }
        }
    }

    #[test]
    fn regrouping_hours_equals_aggregating_again() {
        let mut points = day_points(date(2024, 10, 27), Step::PT30M, |i| i as u32 * 10);
        points.extend(day_points(date(2024, 10, 28), Step::ALL[1], |i| {
            500 + i as u32
        }));
        let offpeak = |p: &LoadCurvePoint| p.watts % 3 == 0;
        let hours = aggregate(&points, Period::Hour, offpeak);
        for period in [Period::Day, Period::Week, Period::Month, Period::Year] {
            assert_eq!(
                regroup(&hours, period),
                aggregate(&points, period, offpeak),
                "{period:?}"
            );
        }
    }

    #[test]
    fn autumn_repeated_hour_keeps_both_hours() {
        let points = day_points(date(2024, 10, 27), Step::PT30M, |_| 1000);
        assert_eq!(points.len(), 50);
        let by_hour = aggregate(&points, Period::Hour, |_| false);
        let labels: Vec<String> = by_hour.keys().map(ToString::to_string).collect();
        assert!(labels.contains(&"2024-10-27T02:00+02:00".to_owned()));
        assert!(labels.contains(&"2024-10-27T02:00+01:00".to_owned()));
        // 1000 W for 25 hours.
        let day = aggregate(&points, Period::Day, |_| false);
        assert_eq!(
            day[&PeriodKey::Day(date(2024, 10, 27))].total(),
            Energy::from_wh(25_000)
        );
    }

    #[test]
    fn midnight_point_belongs_to_the_previous_day() {
        let end = Utc.with_ymd_and_hms(2024, 5, 15, 22, 0, 0).unwrap(); // 2024-05-16 00:00 Paris
        let p = LoadCurvePoint {
            end,
            step: Step::PT30M,
            watts: 2000,
        };
        let by_day = aggregate(&[p], Period::Day, |_| false);
        assert_eq!(
            by_day.keys().next(),
            Some(&PeriodKey::Day(date(2024, 5, 15)))
        );
    }

    #[test]
    fn a_point_straddling_an_hour_is_split_pro_rata() {
        // After a step change: a PT30M point from 00:40 to 01:10 Paris (winter, UTC+1).
        let end = Utc.with_ymd_and_hms(2024, 2, 26, 0, 10, 0).unwrap();
        let p = LoadCurvePoint {
            end,
            step: Step::PT30M,
            watts: 600,
        };
        let by_hour = aggregate(&[p], Period::Hour, |_| true);
        let values: Vec<Energy> = by_hour.values().map(|s| s.offpeak).collect();
        assert_eq!(values, [Energy::from_wh(200), Energy::from_wh(100)]);
    }

    #[test]
    fn weeks_months_years_and_the_split() {
        // 2024-12-30 is in ISO week 2025-W01.
        let points = day_points(date(2024, 12, 30), Step::PT30M, |_| 200);
        let week = aggregate(&points, Period::Week, |p| {
            paris::local(p.midpoint()).time() < chrono::NaiveTime::from_hms_opt(6, 0, 0).unwrap()
        });
        let split = week[&PeriodKey::Week {
            year: 2025,
            week: 1,
        }];
        assert_eq!(split.offpeak, Energy::from_wh(1200));
        assert_eq!(split.peak, Energy::from_wh(3600));
        let month = aggregate(&points, Period::Month, |_| false);
        assert!(month.contains_key(&PeriodKey::Month {
            year: 2024,
            month: 12
        }));
        let year = aggregate(&points, Period::Year, |_| false);
        assert_eq!(year.keys().next().unwrap().to_string(), "2024");
        assert_eq!(
            PeriodKey::Week {
                year: 2025,
                week: 1
            }
            .to_string(),
            "2025-W01"
        );
    }
}
