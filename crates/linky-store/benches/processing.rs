//! Processing 730 days of half-hourly data for one meter (35 040 points): parse the Enedis JSON
//! (105 seven-day answers, as the sync receives them), store, read back, aggregate per hour and
//! per day with the peak / off-peak split. Prints time and memory. The original plugin needs
//! about 0.56 s of CPU and 26 MB for this work; the target is 30 ms or less and under 10 MB.
//! Run with `cargo bench -p linky-store --bench processing`.

use std::hint::black_box;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use enedis_protocol::v5::{MeterReading, MeterReadingResponse, Resource};
use enedis_sim::catalog::meter_by_pdl;
use enedis_sim::synth::Synth;
use linky_core::aggregate::{aggregate, regroup, Period};
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::{Classifier, OffPeakSchedule};
use linky_core::{paris, Direction};
use linky_store::{DayOutcome, DayState, Kind, Store, WindowData};

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let meter = meter_by_pdl("22516914714270").expect("sandbox meter");
    let pdl: linky_core::UsagePoint = meter.pdl.parse().expect("pdl");
    let synth = Synth::new(1);
    let first = NaiveDate::from_ymd_opt(2024, 11, 28).expect("date");
    // The 105 answers Enedis would give, as JSON text.
    let bodies: Vec<(NaiveDate, NaiveDate, String)> = (0..105)
        .map(|w| {
            let start = first + Duration::days(7 * w);
            let end = (start + Duration::days(7)).min(first + Duration::days(730));
            let points: Vec<_> = start
                .iter_days()
                .take_while(|d| *d < end)
                .flat_map(|d| synth.day_curve(meter, Direction::Consumption, d))
                .collect();
            let reading = MeterReading::from_load_curve(
                Resource::ConsumptionLoadCurve,
                meter.pdl,
                start,
                end,
                &points,
            );
            (
                start,
                end,
                serde_json::to_string(&MeterReadingResponse {
                    meter_reading: reading,
                })
                .expect("json"),
            )
        })
        .collect();
    let json_bytes: usize = bodies.iter().map(|b| b.2.len()).sum();
    let schedule =
        OffPeakSchedule::parse("22h00-6h00 samedi 0h00-24h00 fe 0h00-24h00").expect("schedule");

    let mut best = f64::MAX;
    let mut points_seen = 0;
    let mut phases = String::new();
    let rss_before = rss_kb("VmRSS:");
    for _ in 0..5 {
        let mut store = Store::in_memory().expect("store");
        let started = Instant::now();
        let mut parse_time = 0.0;
        let mut store_time = 0.0;
        for (start, end, body) in &bodies {
            let t = Instant::now();
            let (_, curve) = enedis_protocol::v5::load_curve_from_json(body).expect("parse");
            parse_time += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let days: Vec<DayOutcome> = start
                .iter_days()
                .take_while(|d| d < end)
                .map(|day| DayOutcome {
                    day,
                    state: DayState::Fetched,
                    reason: None,
                    next_try_at: None,
                })
                .collect();
            store
                .record_window(
                    &pdl,
                    Direction::Consumption,
                    Kind::Curve,
                    &WindowData::Curve(curve.points().to_vec()),
                    &days,
                    chrono::Utc::now(),
                )
                .expect("store");
            store_time += t.elapsed().as_secs_f64();
        }
        let t = Instant::now();
        let (from, _) = paris::day_bounds(first);
        let (_, to) = paris::day_bounds(first + Duration::days(729));
        let curve = store
            .curve(&pdl, Direction::Consumption, from, to)
            .expect("read");
        let read_time = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let classifier = Classifier::new(
            &schedule,
            Some(&pdl),
            Direction::Consumption,
            HolidayZone::Metropole,
        );
        let hours = aggregate(curve.points(), Period::Hour, |p| classifier.is_offpeak(p));
        let days = regroup(&hours, Period::Day);
        black_box((&hours, &days));
        phases = format!(
            "parse {:.1} ms, store {:.1} ms, read {:.1} ms, aggregate {:.1} ms",
            parse_time * 1e3,
            store_time * 1e3,
            read_time * 1e3,
            t.elapsed().as_secs_f64() * 1e3
        );
        points_seen = curve.points().len();
        best = best.min(started.elapsed().as_secs_f64());
    }
    let rss_after = rss_kb("VmRSS:");
    println!(
        "730 days, one meter: {points_seen} points from {:.1} MB of Enedis JSON, parsed + stored (SQLite in memory) + read + aggregated by hour and day with the off-peak split: {:.1} ms",
        json_bytes as f64 / 1e6,
        best * 1000.0
    );
    println!("last pass: {phases}");
    println!(
        "memory: resident {:.1} MB at the end (the JSON input alone is {:.1} MB), +{:.1} MB over the input, peak {:.1} MB",
        rss_after as f64 / 1024.0,
        json_bytes as f64 / 1e6,
        rss_after.saturating_sub(rss_before) as f64 / 1024.0,
        rss_kb("VmHWM:") as f64 / 1024.0
    );
    println!("the original DomoticzLinky needs about 560 ms of CPU and 26 MB for this work (shared/reference/seed-spec.md)");
}
