//! The original plugin's golden trace (seed-spec §4.5): the same week of data gives the same
//! per-hour increments and the same day rows. Intended differences: our counters start at the
//! first stored hour instead of 0 each cycle (same increments, never going down), and we also
//! write the row stamped today 00:00 (the last hour of yesterday), which the original skipped.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use linky_core::aggregate::{aggregate, Period};
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::{Classifier, OffPeakSchedule};
use linky_core::{paris, Direction, LoadCurvePoint, Step};
use linky_domoticz::rows::{day_rows, hour_rows, merge_hours, DaySource, HourRow, P1Counters};

/// Slot h of each day carries 100·(h+1) W on both half-hours, 05-13 to 05-15, plus the slot
/// ending 05-16 00:00 as the original fetched it.
fn curve() -> Vec<LoadCurvePoint> {
    let mut points = Vec::new();
    let first = paris::day_start(NaiveDate::from_ymd_opt(2024, 5, 13).unwrap());
    for half in 1..=(3 * 48) {
        let end = first + Duration::minutes(30 * half);
        let slot_start = end - Duration::minutes(1);
        let hour = slot_start
            .with_timezone(&paris::TZ)
            .format("%H")
            .to_string();
        let h: u32 = hour.parse().unwrap();
        points.push(LoadCurvePoint {
            end,
            step: Step::PT30M,
            watts: 100 * (h + 1),
        });
    }
    points
}

/// The golden curve's hours with the original's `22h-6h` off-peak hours.
fn golden_hours() -> BTreeMap<chrono::DateTime<chrono::Utc>, linky_core::history::MeterEnergy> {
    let schedule = OffPeakSchedule::parse("22h-6h").unwrap();
    let classifier = Classifier::new(
        &schedule,
        None,
        Direction::Consumption,
        HolidayZone::Metropole,
    );
    let usage = aggregate(&curve(), Period::Hour, |p| classifier.is_offpeak(p));
    merge_hours(&usage, &BTreeMap::new())
}

fn counters(u1: i64, u2: i64) -> P1Counters {
    P1Counters {
        usage_peak: u1,
        usage_offpeak: u2,
        return_peak: 0,
        return_offpeak: 0,
    }
}

#[test]
fn increments_and_day_rows_equal_the_originals() {
    let hours = golden_hours();
    // The original's short log: Mode1 = 2 days before "today" 2024-05-16.
    let since = paris::day_start(NaiveDate::from_ymd_opt(2024, 5, 14).unwrap());
    let rows = hour_rows(&hours, since, chrono_tz::Europe::Paris);
    let at = |stamp: &str| -> &HourRow { rows.iter().find(|r| r.stamp == stamp).unwrap() };
    let base = at("2024-05-14 00:00:00").counters;
    assert_eq!(
        base,
        counters(23200, 6800),
        "all of 05-13, its last hour included"
    );
    // The original starts at 0;2400 on that row: shift ours by the same amount and compare.
    let original = |stamp: &str| {
        let c = at(stamp).counters;
        (
            c.usage_peak - base.usage_peak,
            c.usage_offpeak - base.usage_offpeak + 2400,
        )
    };
    assert_eq!(original("2024-05-14 01:00:00"), (0, 2500));
    assert_eq!(original("2024-05-14 06:00:00"), (0, 4500));
    assert_eq!(original("2024-05-14 07:00:00"), (700, 4500));
    assert_eq!(original("2024-05-14 22:00:00"), (23200, 4500));
    assert_eq!(original("2024-05-14 23:00:00"), (23200, 6800));
    assert_eq!(original("2024-05-15 00:00:00"), (23200, 9200));
    assert_eq!(original("2024-05-15 23:00:00"), (46400, 13600));
    // Ours also has the 05-16 00:00 row, then nothing more (the data ends there).
    assert_eq!(rows.last().unwrap().stamp, "2024-05-16 00:00:00");
    assert_eq!(rows.len(), 49);
    assert_eq!(
        rows[1].to_string(),
        "23200;6900;0;0;0;0;2024-05-14 01:00:00"
    );

    let days = day_rows(&hours, &BTreeMap::new(), &BTreeMap::new());
    let lines: Vec<String> = days.iter().map(|(d, _)| d.to_string()).collect();
    assert_eq!(
        lines,
        [
            "23200;6800;0;0;0;0;2024-05-13",
            "23200;6800;0;0;0;0;2024-05-14",
            "23200;6800;0;0;0;0;2024-05-15"
        ]
    );
    assert!(days.iter().all(|(_, s)| *s == DaySource::Curve));
}

#[test]
fn dst_days_one_row_per_local_stamp_and_no_energy_lost() {
    // Two DST days of 1 kW, every half-hour.
    for (date, hours_in_day, stamps) in [
        (NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(), 25, 24),
        (NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(), 23, 23),
    ] {
        let (from, to) = paris::day_bounds(date);
        assert_eq!((to - from).num_hours(), hours_in_day);
        let points: Vec<LoadCurvePoint> = (1..=hours_in_day * 2)
            .map(|i| LoadCurvePoint {
                end: from + Duration::minutes(30 * i),
                step: Step::PT30M,
                watts: 1000,
            })
            .collect();
        let usage = aggregate(&points, Period::Hour, |_| false);
        let hours = merge_hours(&usage, &BTreeMap::new());
        let rows = hour_rows(&hours, from, chrono_tz::Europe::Paris);
        assert_eq!(rows.len() as i64, stamps, "{date}");
        assert_eq!(
            rows.last().unwrap().counters.usage_peak,
            hours_in_day * 1000
        );
        let mut seen: Vec<&str> = rows.iter().map(|r| r.stamp.as_str()).collect();
        seen.dedup();
        assert_eq!(seen.len(), rows.len(), "stamps are unique");
        if hours_in_day == 23 {
            assert!(!rows.iter().any(|r| r.stamp.ends_with(" 02:00:00")));
        } else {
            let two = rows
                .iter()
                .find(|r| r.stamp == "2026-10-25 02:00:00")
                .unwrap();
            let three = rows
                .iter()
                .find(|r| r.stamp == "2026-10-25 03:00:00")
                .unwrap();
            assert_eq!(
                (two.counters.usage_peak, three.counters.usage_peak),
                (4000, 4000),
                "the repeated hour merges into one row, which takes the 03:00 counters: Domoticz's day graph shows 0 at 03:00 whatever we send"
            );
        }
        let days = day_rows(&hours, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(days[0].0.totals.usage_peak, hours_in_day * 1000);
    }
}

#[test]
fn days_without_a_full_curve_use_the_daily_total_or_are_left_out() {
    let date = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let (from, _) = paris::day_bounds(date);
    let points: Vec<LoadCurvePoint> = (1..=10)
        .map(|i| LoadCurvePoint {
            end: from + Duration::minutes(30 * i),
            step: Step::PT30M,
            watts: 500,
        })
        .collect();
    let hours = merge_hours(
        &aggregate(&points, Period::Hour, |_| false),
        &BTreeMap::new(),
    );
    assert!(day_rows(&hours, &BTreeMap::new(), &BTreeMap::new()).is_empty());
    let mut daily = BTreeMap::new();
    daily.insert(date, linky_core::Energy::from_wh(12_345));
    let days = day_rows(&hours, &daily, &BTreeMap::new());
    assert_eq!(days[0].0.to_string(), "12345;0;0;0;0;0;2026-11-02");
    assert_eq!(days[0].1, DaySource::DailyTotal);
}

/// The card's value: the primary peak as the original computed it, but the counters are the
/// running totals, equal to the last short-log row's, because Domoticz computes "Today" from
/// them (domoticz.md §8); the original's period statistic there made it wrap.
#[test]
fn dashboard_values_keep_the_originals_peak_and_the_short_logs_scale() {
    use linky_domoticz::dashboard::{dashboard_value, parse_primary};
    use linky_domoticz::rows::MeterIndex;
    let hours = golden_hours();
    // Max power for day d is 5000 + d VA at 19:07.
    let peaks: Vec<linky_core::MaxPower> = (13..=15)
        .map(|d| {
            let date = NaiveDate::from_ymd_opt(2024, 5, d).unwrap();
            linky_core::MaxPower {
                date,
                at: date.and_hms_opt(19, 7, 0).unwrap(),
                volt_amperes: 5000 + d,
            }
        })
        .collect();
    let today = NaiveDate::from_ymd_opt(2024, 5, 16).unwrap();
    let last = hour_rows(&hours, paris::day_start(today), chrono_tz::Europe::Paris)
        .last()
        .unwrap()
        .counters;
    for (primary, peak) in [("peak_day", 5015), ("peak_cweek", 5015), ("peak_lweek", 0)] {
        let index = MeterIndex::new(&hours, &[]).total();
        let value = dashboard_value(index, &peaks, parse_primary(primary).unwrap(), today).unwrap();
        assert_eq!(
            value,
            [last.usage_peak, last.usage_offpeak, 0, 0, peak, 0],
            "{primary}"
        );
    }
    // Nothing stored yet: the old value stays.
    assert!(dashboard_value(
        MeterIndex::default().total(),
        &peaks,
        parse_primary("peak_day").unwrap(),
        today
    )
    .is_err());
}

/// A week of simulator data (sandbox customer 0, 22h-6h): our per-hour increments and day
/// rows against the original's algorithm written out plainly (seed-spec §4.1, §4.4, §5.2):
/// an hour's value is the mean of its half-hour powers, stamped at its end T, off-peak when
/// T − 30 min falls in a range. Ours are whole Wh (Domoticz truncates decimals anyway): each
/// increment is within 1 Wh of the original's value, each day within ½ Wh, and no Wh is lost
/// over the week.
#[test]
fn a_simulator_week_matches_the_originals_algorithm() {
    let meter = enedis_sim::catalog::meter_by_pdl("22516914714270").unwrap();
    let synth = enedis_sim::synth::Synth::new(1);
    let days: Vec<NaiveDate> = NaiveDate::from_ymd_opt(2026, 11, 16)
        .unwrap()
        .iter_days()
        .take(7)
        .collect();
    let points: Vec<LoadCurvePoint> = days
        .iter()
        .flat_map(|d| synth.day_curve(meter, Direction::Consumption, *d))
        .collect();
    assert!(points.iter().all(|p| p.step == Step::PT30M));

    // The original, plainly: hour values keyed by their end stamp (Paris wall clock).
    let mut original: BTreeMap<chrono::NaiveDateTime, (f64, bool)> = BTreeMap::new();
    for pair in points.chunks(2) {
        let end = pair[1].end.with_timezone(&paris::TZ).naive_local();
        let value = (f64::from(pair[0].watts) + f64::from(pair[1].watts)) / 2.0;
        let mid = end - Duration::minutes(30);
        let h = mid.format("%H").to_string().parse::<u32>().unwrap();
        let offpeak = !(6..22).contains(&h);
        original.insert(end, (value, offpeak));
    }

    let schedule = OffPeakSchedule::parse("22h-6h").unwrap();
    let classifier = Classifier::new(
        &schedule,
        None,
        Direction::Consumption,
        HolidayZone::Metropole,
    );
    let usage = aggregate(&points, Period::Hour, |p| classifier.is_offpeak(p));
    let hours = merge_hours(&usage, &BTreeMap::new());
    let first = paris::day_start(days[0]);
    let rows = hour_rows(&hours, first, chrono_tz::Europe::Paris);
    assert_eq!(rows.len(), 7 * 24);
    let mut previous = P1Counters::default();
    for row in &rows {
        let stamp = chrono::NaiveDateTime::parse_from_str(&row.stamp, "%Y-%m-%d %H:%M:%S").unwrap();
        let (value, offpeak) = original[&stamp];
        let (peak, off) = (
            row.counters.usage_peak - previous.usage_peak,
            row.counters.usage_offpeak - previous.usage_offpeak,
        );
        let (ours, other) = if offpeak { (off, peak) } else { (peak, off) };
        assert_eq!(other, 0, "{} is in one tariff only", row.stamp);
        assert!(
            (ours as f64 - value).abs() <= 1.0,
            "{}: {ours} vs {value}",
            row.stamp
        );
        previous = row.counters;
    }
    let total: f64 = original.values().map(|(v, _)| v).sum();
    assert!(((previous.usage_peak + previous.usage_offpeak) as f64 - total).abs() <= 1.0);

    // Day rows: day D holds the hours stamped (D 00:00, D+1 00:00].
    let days_written = day_rows(&hours, &BTreeMap::new(), &BTreeMap::new());
    assert_eq!(days_written.len(), 7);
    for (row, _) in days_written {
        let start = row.date.and_hms_opt(0, 0, 0).unwrap();
        let end = start + Duration::days(1);
        let (mut peak, mut off) = (0.0, 0.0);
        for (_, (value, offpeak)) in original.range(start + Duration::seconds(1)..=end) {
            if *offpeak {
                off += value;
            } else {
                peak += value;
            }
        }
        assert!(
            (row.totals.usage_peak as f64 - peak).abs() <= 0.5,
            "{}",
            row.date
        );
        assert!(
            (row.totals.usage_offpeak as f64 - off).abs() <= 0.5,
            "{}",
            row.date
        );
    }
}
