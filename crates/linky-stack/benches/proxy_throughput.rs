//! What the proxy costs per data call, measured in one run against two anchors on the same path
//! (a 7-day load curve, the bulk of a sync):
//!
//! 1. the simulator called directly (with the application's token);
//! 2. a bare hop: an axum handler that forwards to the simulator with reqwest, checking nothing;
//! 3. linky-proxy: token check, device budget, meter check, quota, pass-through.
//!
//! 64 concurrent clients for a few seconds each. Printed: requests per second, p50 and p99
//! latency, and the process CPU per request (everything runs in this process, so the proxy's
//! own CPU is its figure minus the direct one; the bare hop shows what any hop costs).
//! Then the device flow's own throughput: device codes issued and tokens refreshed per second.
//! With `LINKY_BENCH_POSTGRES=postgres://…/postgres` (a server to make a database on, such as
//! the one `.ci/postgres start` prints) the proxy's rows run again on PostgreSQL.
//! Run with `cargo bench -p linky-stack --bench proxy_throughput`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use linky_core::{Clock, ManualClock};
use linky_stack::{Stack, StackOptions, APP_ID, APP_SECRET};

const PDL: &str = "22516914714270";
const CLIENTS: usize = 64;
const SECONDS: u64 = 3;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// User and system CPU of this process, in seconds.
fn process_cpu() -> f64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|u| {
            let t = |v: nix::sys::time::TimeVal| v.tv_sec() as f64 + v.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or(0.0)
}

struct Figures {
    requests: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us: f64,
}

/// `CLIENTS` loops asking `url` with `token` for `SECONDS`.
async fn load(http: &reqwest::Client, url: &str, token: &str) -> Figures {
    let stop = Arc::new(AtomicBool::new(false));
    let cpu = process_cpu();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (http, url, token, stop) =
            (http.clone(), url.to_owned(), token.to_owned(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = http
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .map(|r| r.status().is_success());
                if let Ok(response) = ok {
                    assert!(response, "{url} refused a call");
                }
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = process_cpu() - cpu;
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Figures {
        requests: latencies.len(),
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        cpu_us: cpu / latencies.len().max(1) as f64 * 1e6,
    }
}

/// A hop that forwards `/hop/<path>` to `upstream` and checks nothing: the anchor of what any
/// proxy costs.
async fn bare_hop(upstream: String) -> String {
    use axum::extract::{Path, RawQuery, State};
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    async fn forward(
        State((http, upstream)): State<(reqwest::Client, String)>,
        Path(path): Path<String>,
        RawQuery(query): RawQuery,
        headers: HeaderMap,
    ) -> axum::response::Response {
        let url = format!("{upstream}/{path}?{}", query.unwrap_or_default());
        let mut request = http.get(url);
        if let Some(auth) = headers.get(axum::http::header::AUTHORIZATION) {
            request = request.header(axum::http::header::AUTHORIZATION, auth.clone());
        }
        match request.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let body = r.bytes().await.unwrap_or_default();
                (
                    axum::http::StatusCode::from_u16(status).unwrap_or_default(),
                    body,
                )
                    .into_response()
            }
            Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
        }
    }
    let http = reqwest::Client::new();
    let app = axum::Router::new()
        .route("/hop/{*path}", axum::routing::get(forward))
        .with_state((http, upstream));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

#[tokio::main]
async fn main() {
    linky_enedis::install_tls_provider();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at("2026-11-28T10:00:00Z")));
    let mut options = StackOptions::new(clock);
    // Quotas out of the way: this measures the hop, not the limits.
    options.sim.quota.per_second = 1_000_000;
    options.sim.quota.per_hour = 100_000_000;
    options.proxy.upstream_per_second = 1_000_000;
    options.proxy.upstream_per_hour = 100_000_000;
    options.proxy.calls_per_device_per_hour = 100_000_000;
    options.proxy.device_codes_per_address_per_hour = 100_000_000;
    options.proxy.device_codes_per_second = 1_000_000;
    let stack = Stack::start(options).await.expect("stack");
    let family = stack.login(0, &[PDL]).await.expect("consent");

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let app_token: serde_json::Value = http
        .post(format!("{}/oauth2/v3/token", stack.sim_url()))
        .basic_auth(APP_ID, Some(APP_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token body");
    let app_token = app_token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!(
        "/mesure_synchrone_auto/v2/courbe_de_charge_consommation?pointId={PDL}&dateDebut=2026-11-20&dateFin=2026-11-27"
    );
    let hop = bare_hop(stack.sim_url()).await;

    // Warm every path once.
    for (url, token) in [
        (format!("{}{path}", stack.sim_url()), &app_token),
        (format!("{hop}/hop{path}"), &app_token),
        (
            format!("{}/data/proxy{path}", stack.proxy_url()),
            &family.access_token,
        ),
    ] {
        let status = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .expect("warm")
            .status();
        assert!(status.is_success(), "{url}: {status}");
    }

    let direct = load(&http, &format!("{}{path}", stack.sim_url()), &app_token).await;
    let bare = load(&http, &format!("{hop}/hop{path}"), &app_token).await;
    let proxy = load(
        &http,
        &format!("{}/data/proxy{path}", stack.proxy_url()),
        &family.access_token,
    )
    .await;

    println!(
        "7-day load curve, {CLIENTS} clients, {SECONDS} s each (everything in one process on this machine):"
    );
    println!(
        "{:<30} {:>9} {:>9} {:>9} {:>9} {:>14}",
        "", "requests", "req/s", "p50 ms", "p99 ms", "CPU/request µs"
    );
    let row = |name: &str, f: &Figures| {
        println!(
            "{:<30} {:>9} {:>9.0} {:>9.2} {:>9.2} {:>14.0}",
            name, f.requests, f.per_second, f.p50_ms, f.p99_ms, f.cpu_us
        );
    };
    row("simulator directly", &direct);
    row("bare axum + reqwest hop", &bare);
    row("linky-proxy on SQLite", &proxy);
    println!(
        "proxy: {:.0} % of the direct requests/s (goal >= 80 %), p99 added {:.2} ms (goal <= 2 ms);",
        proxy.per_second / direct.per_second * 100.0,
        proxy.p99_ms - direct.p99_ms
    );
    println!(
        "its own CPU per request {:.0} µs (goal <= 60 µs), a bare hop's {:.0} µs",
        proxy.cpu_us - direct.cpu_us,
        bare.cpu_us - direct.cpu_us
    );
    let flows = device_flow(&stack, &http).await;
    let mut flow_rows = vec![("SQLite", flows)];

    if let Ok(server) = std::env::var("LINKY_BENCH_POSTGRES") {
        let url = linky_proxy_postgres::create_test_database(&server)
            .await
            .expect("the PostgreSQL server of LINKY_BENCH_POSTGRES makes a database");
        let mut options = StackOptions::new(Arc::new(ManualClock::new(at("2026-11-28T10:00:00Z"))));
        options.sim.quota.per_second = 1_000_000;
        options.sim.quota.per_hour = 100_000_000;
        options.proxy.upstream_per_second = 1_000_000;
        options.proxy.upstream_per_hour = 100_000_000;
        options.proxy.calls_per_device_per_hour = 100_000_000;
        options.proxy.device_codes_per_address_per_hour = 100_000_000;
        options.proxy.device_codes_per_second = 1_000_000;
        options.database = Some(url);
        let on_postgres = Stack::start(options).await.expect("stack on PostgreSQL");
        let family = on_postgres.login(0, &[PDL]).await.expect("consent");
        let url = format!("{}/data/proxy{path}", on_postgres.proxy_url());
        let status = http
            .get(&url)
            .bearer_auth(&family.access_token)
            .send()
            .await
            .expect("warm")
            .status();
        assert!(status.is_success());
        let pg = load(&http, &url, &family.access_token).await;
        row("linky-proxy on PostgreSQL", &pg);
        println!(
            "proxy on PostgreSQL: {:.0} % of the direct requests/s, p99 {:.2} ms, its own CPU per request {:.0} µs (the database server's CPU is outside this process)",
            pg.per_second / direct.per_second * 100.0,
            pg.p99_ms,
            pg.cpu_us - direct.cpu_us
        );
        flow_rows.push(("PostgreSQL", device_flow(&on_postgres, &http).await));
    } else {
        println!("(set LINKY_BENCH_POSTGRES to measure the proxy on PostgreSQL too)");
    }
    println!("device flow, {CLIENTS} clients for codes, {REFRESHERS} token chains for refreshes, {SECONDS} s each:");
    for (backend, (codes, refreshes)) in flow_rows {
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
