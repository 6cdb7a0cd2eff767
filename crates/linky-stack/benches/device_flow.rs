//! The device flow's throughput on each backend: device codes issued and tokens refreshed per
//! second through linky-proxy (in this process, with the simulator). The data calls' cost is
//! measured on the real `linky-proxy` process by `cargo bench -p linky-proxy --bench
//! proxy_process`. With `LINKY_BENCH_POSTGRES=postgres://…/postgres` (a server to make a
//! database on, such as the one `.ci/postgres start` prints) the PostgreSQL backend runs too.
//! Run with `cargo bench -p linky-stack --bench device_flow`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use linky_core::ManualClock;
use linky_stack::{Stack, StackOptions};

const PDL: &str = "22516914714270";
/// Clients asking for device codes at once.
const CLIENTS: usize = 64;
const SECONDS: u64 = 3;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// Options with every quota out of the way: this measures the flow, not the limits.
fn unlimited() -> StackOptions {
    let mut options = StackOptions::new(Arc::new(ManualClock::new(at("2026-11-28T10:00:00Z"))));
    options.sim.quota.per_second = 1_000_000;
    options.sim.quota.per_hour = 100_000_000;
    options.proxy.device_codes_per_address_per_hour = 100_000_000;
    options.proxy.device_codes_per_second = 1_000_000;
    options
}

#[tokio::main]
async fn main() {
    linky_enedis::install_tls_provider();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let stack = Stack::start(unlimited()).await.expect("stack");
    let mut rows = vec![("SQLite", device_flow(&stack, &http).await)];
    if let Ok(server) = std::env::var("LINKY_BENCH_POSTGRES") {
        let url = linky_proxy_postgres::create_test_database(&server)
            .await
            .expect("the PostgreSQL server of LINKY_BENCH_POSTGRES makes a database");
        let mut options = unlimited();
        options.database = Some(url);
        let on_postgres = Stack::start(options).await.expect("stack on PostgreSQL");
        rows.push(("PostgreSQL", device_flow(&on_postgres, &http).await));
    } else {
        println!("(set LINKY_BENCH_POSTGRES to measure PostgreSQL too)");
    }
    println!("device flow, {CLIENTS} clients for codes, {REFRESHERS} token chains for refreshes, {SECONDS} s each:");
    for (backend, (codes, refreshes)) in rows {
        println!(
            "{backend:<12} device codes issued {codes:>8.0}/s   tokens refreshed {refreshes:>8.0}/s"
        );
    }
}

/// Token chains refreshed at once.
const REFRESHERS: usize = 8;

/// Device codes issued per second (each from its own address: the per-address limit does not
/// apply behind no trusted proxy, so the codes come from one loopback address and the limit is
/// raised by the options), then refresh rotations per second over `REFRESHERS` token chains.
async fn device_flow(stack: &Stack, http: &reqwest::Client) -> (f64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (http, url, stop) = (
            http.clone(),
            format!("{}/device/code", stack.proxy_url()),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let r = http.post(&url).form(&[("client_id", "bench")]).send().await;
                if r.is_ok_and(|r| r.status().is_success()) {
                    n += 1;
                }
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    let mut codes = 0;
    for t in tasks {
        codes += t.await.expect("client");
    }
    let codes = codes as f64 / started.elapsed().as_secs_f64();

    let mut chains = Vec::new();
    for _ in 0..REFRESHERS {
        chains.push(stack.login(0, &[PDL]).await.expect("consent"));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for family in chains {
        let (http, url, stop) = (
            http.clone(),
            format!("{}/device/token", stack.proxy_url()),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut refresh = family.refresh_token.clone();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let answer: serde_json::Value = http
                    .post(&url)
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", refresh.as_str()),
                        ("client_id", family.client_id.as_str()),
                    ])
                    .send()
                    .await
                    .expect("refresh")
                    .json()
                    .await
                    .expect("refresh body");
                let Some(next) = answer["refresh_token"].as_str() else {
                    panic!("refresh refused: {answer}");
                };
                refresh = next.to_owned();
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    let mut refreshes = 0;
    for t in tasks {
        refreshes += t.await.expect("refresher");
    }
    (codes, refreshes as f64 / started.elapsed().as_secs_f64())
}
