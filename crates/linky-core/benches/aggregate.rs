//! Aggregating 3 years of half-hourly points for 10 meters, classified against a schedule with
//! weekday and holiday sections. Prints points per second; run with
//! `cargo bench -p linky-core --bench aggregate`.

use std::hint::black_box;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use linky_core::aggregate::{aggregate, Period};
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::{Classifier, OffPeakSchedule};
use linky_core::{paris, Direction, LoadCurvePoint, Step, UsagePoint};

const METERS: usize = 10;
const DAYS: i64 = 3 * 365;

fn curve(seed: u32) -> Vec<LoadCurvePoint> {
    let start = paris::day_start(NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date"));
    let step = Step::PT30M;
    let count = DAYS * 48;
    (1..=count)
        .map(|i| LoadCurvePoint {
            end: start + Duration::minutes(30 * i),
            step,
            watts: 150 + ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 20) % 4000,
        })
        .collect()
}

fn main() {
    let schedule = OffPeakSchedule::parse(
        "22h00-6h00 samedi 0h00-24h00 dimanche 0h00-24h00 fe 0h00-24h00 P 12h00-16h00 12345678901234 1h30-8h00 12h30-14h00",
    )
    .expect("benchmark schedule parses");
    let meters: Vec<(UsagePoint, Vec<LoadCurvePoint>)> = (0..METERS)
        .map(|m| {
            (
                format!("{:014}", 12_345_678_901_230 + m as u64)
                    .parse()
                    .expect("14 digits"),
                curve(m as u32),
            )
        })
        .collect();
    let total_points: usize = meters.iter().map(|(_, c)| c.len()).sum();

    for (label, period) in [
        ("hour", Period::Hour),
        ("day", Period::Day),
        ("month", Period::Month),
    ] {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let started = Instant::now();
            let mut buckets = 0;
            for (meter, points) in &meters {
                let classifier = Classifier::new(
                    &schedule,
                    Some(meter),
                    Direction::Consumption,
                    HolidayZone::Metropole,
                );
                let out = aggregate(black_box(points), period, |p| classifier.is_offpeak(p));
                buckets += out.len();
            }
            black_box(buckets);
            best = best.min(started.elapsed().as_secs_f64());
        }
        println!(
            "aggregate by {label:>5} + classify: {total_points} points ({METERS} meters x 3 years, PT30M) in {:.3} s = {:.2} M points/s",
            best,
            total_points as f64 / best / 1e6
        );
    }

    let started = Instant::now();
    let mut parsed = 0;
    while started.elapsed().as_secs_f64() < 0.5 {
        black_box(OffPeakSchedule::parse(black_box(
            "02h00-04h00 16h00-19h00 P 17h00-22h00 mercredi 11h00-16h00 12345678901234 88888888888888 13h00-16h00",
        )))
        .ok();
        parsed += 1;
    }
    println!(
        "parse schedule: {:.0} schedules/s",
        parsed as f64 / started.elapsed().as_secs_f64()
    );
}
