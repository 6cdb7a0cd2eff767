//! Reading 2026 load-curve answers: 105 seven-day answers at 30-minute steps (730 days, as a
//! first install receives them), parsed into curves. Prints MB/s and ns per point; the goal is
//! at least 200 MB/s (issue 17). Run with `cargo bench -p enedis-protocol --bench parse`.

use std::hint::black_box;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use enedis_protocol::v2026::{load_curve_from_json, MesureResponse};
use linky_core::{paris, Direction, LoadCurvePoint, Step};

fn main() {
    let first = NaiveDate::from_ymd_opt(2024, 11, 28).expect("date");
    let bodies: Vec<String> = (0..105)
        .map(|w| {
            let start = first + Duration::days(7 * w);
            let end = start + Duration::days(7);
            let (from, to) = (paris::day_start(start), paris::day_start(end));
            let points: Vec<LoadCurvePoint> = (1..)
                .map(|i| from + Duration::minutes(30 * i))
                .take_while(|t| *t <= to)
                .enumerate()
                .map(|(i, end)| LoadCurvePoint {
                    end,
                    step: Step::PT30M,
                    watts: 200 + (i as u32 * 7919) % 3000,
                })
                .collect();
            let answer = MesureResponse::from_load_curve(
                Direction::Consumption,
                "22516914714270",
                start,
                end,
                &points,
            );
            serde_json::to_string(&answer).expect("json")
        })
        .collect();
    let bytes: usize = bodies.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut points = 0;
    for _ in 0..20 {
        let started = Instant::now();
        points = 0;
        for body in &bodies {
            let (_, curve) = load_curve_from_json(black_box(body)).expect("parse");
            points += curve.points().len();
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "2026 load curves: {points} points in {:.1} MB parsed in {:.2} ms = {:.0} MB/s, {:.0} ns per point (goal >= 200 MB/s)",
        bytes as f64 / 1e6,
        best * 1e3,
        bytes as f64 / 1e6 / best,
        best * 1e9 / points as f64
    );
}
