//! How fast the dashboard answers over two years of half-hourly data, as on a Raspberry Pi
//! beside Domoticz: each API route through real HTTP on loopback (median of 20 requests), the
//! pure steps alone, and the page's weight. Prints figures; asserts nothing.
//!
//! `cargo bench -p linky-web --bench api`

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use linky_core::history::SplitRules;
use linky_core::{Lang, ManualClock};
use linky_store::Store;
use linky_web::data::calendar_series;
use linky_web::view::{calendar, energy_rows, period_totals};
use linky_web::{Access, WebConfig};

const PDL: &str = "22516914714270";
const DAYS: i64 = 730;

fn prepare(path: &std::path::Path, today: NaiveDate) {
    let mut store = Store::open(path).expect("store");
    linky_store::sample::fill(&mut store, &PDL.parse().expect("pdl"), today, DAYS).expect("sample");
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
    let dir = std::env::temp_dir().join(format!("linky-web-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("linky.db");
    let start = Instant::now();
    prepare(&path, today);
    println!(
        "store of {DAYS} days of 30-minute points written in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let store = Store::open(&path).expect("store");
    let meter = store.meters().expect("meters").remove(0);
    let rules = SplitRules::default();
    let data = store.history_of(&meter, &rules, today).expect("data");
    let first = today - chrono::Duration::days(DAYS);
    println!("pure steps (median of 20):");
    println!(
        "  read and split two years     {:>8.2} ms",
        time(20, || store.history_of(&meter, &rules, today)).as_secs_f64() * 1e3
    );
    let week = today - chrono::Duration::days(7);
    println!(
        "  read and split 7 days        {:>8.2} ms  (linky export --step hour of a week; goal: proportional to the range)",
        time(20, || store.history_between(&meter, &rules, week, today)).as_secs_f64() * 1e3
    );
    println!(
        "  7 days of hours              {:>8.2} ms",
        time(20, || energy_rows(
            &data,
            linky_web::view::Step::Hour,
            today - chrono::Duration::days(7),
            today
        ))
        .as_secs_f64()
            * 1e3
    );
    println!(
        "  {DAYS} days                     {:>8.2} ms",
        time(20, || energy_rows(
            &data,
            linky_web::view::Step::Day,
            first,
            today
        ))
        .as_secs_f64()
            * 1e3
    );
    println!(
        "  period totals                {:>8.2} ms",
        time(20, || period_totals(&data, today)).as_secs_f64() * 1e3
    );
    println!(
        "  calendar of 365 days         {:>8.2} ms",
        time(20, || {
            let from = today - chrono::Duration::days(365);
            let series = calendar_series(&store, &meter.pdl, from, today).expect("ledger");
            calendar(&series, from, today, None, today)
        })
        .as_secs_f64()
            * 1e3
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        linky_enedis::install_tls_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let config = WebConfig {
            store: path.clone(),
            rules: SplitRules::default(),
            tariff: Default::default(),
            access: Access::default(),
            domoticz_configured: false,
            lang: Lang::En,
            clock: Arc::new(ManualClock::new(
                Utc.from_utc_datetime(&today.and_hms_opt(9, 0, 0).expect("time")),
            )),
        };
        tokio::spawn(linky_web::serve(listener, config, std::future::pending()));
        let client = reqwest::Client::new();
        println!("HTTP on loopback (median of 20, bytes of the answer):");
        let meter = format!("/api/meters/{PDL}");
        for route in [
            "/".to_owned(),
            "/assets/app.js".into(),
            "/api/status".into(),
            format!("{meter}/energy?step=hour"),
            format!("{meter}/energy?step=day"),
            format!("{meter}/energy?step=month"),
            format!("{meter}/energy?step=year"),
            format!("{meter}/totals"),
            format!("{meter}/power"),
            format!("{meter}/calendar"),
            "/metrics".into(),
        ] {
            let mut samples = Vec::new();
            let mut size = 0;
            for _ in 0..20 {
                let start = Instant::now();
                let body = client
                    .get(format!("{base}{route}"))
                    .send()
                    .await
                    .expect("request")
                    .bytes()
                    .await
                    .expect("body");
                samples.push(start.elapsed());
                size = body.len();
            }
            println!(
                "  {route:<45} {:>8.2} ms {size:>9} B",
                median(samples).as_secs_f64() * 1e3
            );
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}
