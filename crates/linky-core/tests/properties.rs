//! Property tests: the schedule parser never panics and its canonical text reads back the same;
//! aggregation conserves energy to the joule whatever the steps, holes and DST days.

use chrono::NaiveDate;
use linky_core::aggregate::{aggregate, Period, TariffSplit};
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::{Classifier, OffPeakSchedule};
use linky_core::{paris, Direction, Energy, LoadCurve, LoadCurvePoint, Step};
use proptest::prelude::*;

fn schedule_token() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..26, 0u8..61, 0u8..26, 0u8..61).prop_map(|(a, b, c, d)| format!("{a}h{b:02}-{c}h{d}")),
        (0u8..25, 0u8..25).prop_map(|(a, b)| format!("{a}:00 à {b}:30")),
        prop::sample::select(vec![
            "lundi",
            "ma",
            "me",
            "Jeudi",
            "ve",
            "sa",
            "di",
            "sunday",
            "sat",
            "week-end",
            "semaine",
            "fe",
            "férié",
            "jour",
            "jours fériés",
            "bank holiday",
            "public",
            "P",
            "prod",
            "aucune",
            "et",
            "and",
            "hc",
            "hp",
            "du",
            "au",
            "to",
            "a",
            "-",
            "_",
            ",",
            ";",
            "(",
            ")",
            ":",
            "we",
            "12345678901234",
            "88888888888888",
            "123",
            "0",
            "24h00",
            "22 h",
            "h",
            "é",
            "🙂",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_any_text(text in "\\PC{0,60}") {
        let _ = OffPeakSchedule::parse(&text);
    }

    #[test]
    fn parsed_schedules_round_trip_through_their_canonical_text(tokens in prop::collection::vec(schedule_token(), 0..12)) {
        let text = tokens.join(" ");
        if let Ok(schedule) = OffPeakSchedule::parse(&text) {
            let canonical = schedule.to_string();
            let again = OffPeakSchedule::parse(&canonical);
            prop_assert_eq!(again.as_ref(), Ok(&schedule), "{} -> {}", text, canonical);
        }
    }
}

/// Random load curves around the DST days of 2024–2026: random steps (changing inside days),
/// random holes, random powers.
fn curve() -> impl Strategy<Value = Vec<LoadCurvePoint>> {
    let starts = prop::sample::select(vec![
        NaiveDate::from_ymd_opt(2024, 3, 30),
        NaiveDate::from_ymd_opt(2024, 10, 26),
        NaiveDate::from_ymd_opt(2025, 3, 29),
        NaiveDate::from_ymd_opt(2025, 10, 25),
        NaiveDate::from_ymd_opt(2026, 3, 28),
        NaiveDate::from_ymd_opt(2026, 10, 24),
        NaiveDate::from_ymd_opt(2025, 12, 31),
    ]);
    let segment = (
        0usize..5,
        1usize..40,
        0u32..12_000,
        prop::bool::weighted(0.1),
    );
    (starts, prop::collection::vec(segment, 1..20)).prop_map(|(start, segments)| {
        let mut t = paris::day_start(start.unwrap_or_default());
        let mut points = Vec::new();
        for (step_index, count, watts, hole) in segments {
            let step = Step::ALL[step_index];
            for i in 0..count {
                t += step.duration();
                if !hole {
                    points.push(LoadCurvePoint {
                        end: t,
                        step,
                        watts: watts.wrapping_add(i as u32 * 97) % 12_000,
                    });
                }
            }
        }
        points
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn aggregation_conserves_energy_for_every_period(points in curve()) {
        let curve = LoadCurve::new(points.clone()).expect("generated points never overlap");
        let total = curve.energy();
        let schedule = OffPeakSchedule::parse("22h30-6h30 samedi 0h-24h fe 0h-24h").unwrap();
        let classifier = Classifier::new(&schedule, None, Direction::Consumption, HolidayZone::Metropole);
        let mut offpeak_total = None;
        for period in [Period::Hour, Period::Day, Period::Week, Period::Month, Period::Year] {
            let buckets = aggregate(&points, period, |p| classifier.is_offpeak(p));
            let sum: Energy = buckets.values().map(TariffSplit::total).sum();
            prop_assert_eq!(sum, total, "{:?}", period);
            let offpeak: Energy = buckets.values().map(|s| s.offpeak).sum();
            // The split does not depend on the bucket size.
            prop_assert_eq!(*offpeak_total.get_or_insert(offpeak), offpeak);
            prop_assert!(buckets.values().all(|s| s.peak >= Energy::ZERO && s.offpeak >= Energy::ZERO));
        }
        // No day ever holds more than its own hours.
        let hours = aggregate(&points, Period::Hour, |_| false);
        let days = aggregate(&points, Period::Day, |_| false);
        for (key, split) in &days {
            if let linky_core::aggregate::PeriodKey::Day(d) = key {
                let max = Energy::from_power(12_000, paris::day_hours(*d) * 3600);
                prop_assert!(split.total() <= max);
                let in_day = hours.keys().filter(|k| matches!(k, linky_core::aggregate::PeriodKey::Hour(h) if paris::local_date(*h) == *d)).count();
                prop_assert!(in_day as i64 <= paris::day_hours(*d));
            }
        }
    }
}
