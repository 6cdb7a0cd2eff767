//! Requests per second for 7-day load-curve calls (336 points each) against an in-process
//! simulator on loopback, in both API generations, and the process's CPU per call (client
//! included: steadier than the rate on a shared machine). Client and server share the machine's
//! cores, as in the test suite. Run with `cargo bench -p enedis-sim --bench load_curve_requests`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use enedis_sim::{Quota, SimConfig, Simulator};
use linky_core::ManualClock;

const CONCURRENCY: usize = 8;
const MAX_REQUESTS: usize = 20_000;
const MAX_TIME: Duration = Duration::from_secs(8);

/// This process's CPU time (user and system), from `/proc/self/stat`, in seconds.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").expect("valid").to_utc();
        let config = SimConfig { quota: Quota { per_second: u32::MAX, per_hour: u32::MAX }, ..SimConfig::default() };
        let sim = Simulator::new(config, Arc::new(ManualClock::new(now)));
        let running = sim.bind("127.0.0.1:0".parse().expect("address")).await.expect("bind");
        let base = running.url();
        let http = reqwest::Client::new();
        let token: serde_json::Value = http
            .post(format!("{base}/oauth2/v3/token"))
            .form(&[("grant_type", "client_credentials"), ("client_id", "bench"), ("client_secret", "bench")])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token body");
        let token = token["access_token"].as_str().expect("access_token").to_owned();
        let meters = ["22516914714270", "12345678901234", "64975835695673", "63695879465986", "22315546958763"];
        let first = NaiveDate::from_ymd_opt(2025, 1, 6).expect("date");
        for (generation, path, names) in [
            ("v5", "/metering_data_clc/v5/consumption_load_curve", ["usage_point_id", "start", "end"]),
            ("2026", "/mesure_synchrone_auto/v2/courbe_de_charge_consommation", ["pointId", "dateDebut", "dateFin"]),
        ] {
            let cpu_before = process_cpu_seconds();
            let started = Instant::now();
            let mut tasks = Vec::new();
            for worker in 0..CONCURRENCY {
                let (http, token, base) = (http.clone(), token.clone(), base.clone());
                tasks.push(tokio::spawn(async move {
                    let mut done = 0usize;
                    let mut bytes = 0usize;
                    let mut i = worker;
                    while done < MAX_REQUESTS / CONCURRENCY && started.elapsed() < MAX_TIME {
                        let start = first + Days::days(7 * (i % 90) as i64);
                        let end = start + Days::days(7);
                        let response = http
                            .get(format!("{base}{path}"))
                            .bearer_auth(&token)
                            .query(&[(names[0], meters[i % meters.len()]), (names[1], &start.to_string()), (names[2], &end.to_string())])
                            .send()
                            .await
                            .expect("request");
                        assert_eq!(response.status(), 200);
                        bytes += response.bytes().await.expect("body").len();
                        done += 1;
                        i += CONCURRENCY;
                    }
                    (done, bytes)
                }));
            }
            let mut total = 0;
            let mut bytes = 0;
            for t in tasks {
                let (d, b) = t.await.expect("task");
                total += d;
                bytes += b;
            }
            let elapsed = started.elapsed().as_secs_f64();
            let cpu = process_cpu_seconds() - cpu_before;
            println!(
                "7-day load-curve calls ({generation}): {total} in {elapsed:.2} s = {:.0} requests/s, {:.0} µs of CPU a call, client included ({CONCURRENCY} concurrent clients, 2 runtime workers, {:.1} KB per answer)",
                total as f64 / elapsed,
                cpu / total as f64 * 1e6,
                bytes as f64 / total as f64 / 1024.0
            );
        }
        running.shutdown().await;
    });
}
