//! Prints the HTTP calls and the time to push two years of day rows and seven days of hour
//! rows into the Domoticz test double over loopback, then for an unchanged second push.
//! Figures only, no assertion: run with `cargo bench -p linky-domoticz --bench push`.

use std::net::SocketAddr;
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use domoticz_double::{DomoticzDouble, DoubleOptions};
use linky_core::offpeak::OffPeakSchedule;
use linky_core::{paris, Direction, LoadCurvePoint, Step, UsagePoint};
use linky_domoticz::client::{Auth, Connection, Domoticz};
use linky_domoticz::push::{push_meter, PushSettings};
use linky_store::{DayOutcome, Kind, Store, WindowData};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let pdl: UsagePoint = "22516914714270".parse().expect("pdl");
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let now = paris::TZ
        .with_ymd_and_hms(2026, 11, 27, 9, 0, 0)
        .single()
        .expect("now")
        .with_timezone(&Utc);
    let first = today - Duration::days(730);
    let mut store = Store::in_memory().expect("store");
    store.add_meter(&pdl, now).expect("meter");
    // Two years of half-hourly curve, written a month at a time as a sync would.
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d < today).collect();
    for month in days.chunks(30) {
        let mut points = Vec::new();
        for d in month {
            let (from, to) = paris::day_bounds(*d);
            let mut end = from + Duration::minutes(30);
            while end <= to {
                let watts = 300 + (end.timestamp() / 1800 % 17) as u32 * 40;
                points.push(LoadCurvePoint {
                    end,
                    step: Step::PT30M,
                    watts,
                });
                end += Duration::minutes(30);
            }
        }
        let outcomes: Vec<DayOutcome> = month.iter().map(|d| DayOutcome::fetched(*d)).collect();
        store
            .record_window(
                &pdl,
                Direction::Consumption,
                Kind::Curve,
                &WindowData::Curve(points),
                &outcomes,
                now,
            )
            .expect("record");
    }
    let double = DomoticzDouble::new(DoubleOptions {
        trust_loopback: true,
        short_log_days: 7,
        ..DoubleOptions::default()
    })
    .expect("double");
    let running = double
        .bind("127.0.0.1:0".parse::<SocketAddr>().expect("addr"))
        .await
        .expect("bind");
    let d = Domoticz::connect(&Connection {
        url: running.url(),
        auth: Auth::None,
        accept_invalid_certs: false,
        ca_file: None,
        force_2023_2: false,
    })
    .await
    .expect("connect");
    let schedule = OffPeakSchedule::parse("22h30-6h30").expect("schedule");
    let settings = PushSettings::default();
    for label in ["first push", "unchanged second push"] {
        let started = Instant::now();
        let r = push_meter(&d, &mut store, &pdl, &schedule, &settings, now)
            .await
            .expect("push");
        let elapsed = started.elapsed();
        println!(
            "{label}: {} day rows + {} hour rows sent, {} unchanged, {} HTTP calls, {:.2} s ({:.0} calls/s)",
            r.days_sent,
            r.hours_sent,
            r.unchanged,
            r.calls,
            elapsed.as_secs_f64(),
            r.calls as f64 / elapsed.as_secs_f64().max(1e-9)
        );
    }
}
