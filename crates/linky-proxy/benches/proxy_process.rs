//! What the `linky-proxy` process costs per data call, measured as it is deployed: the real
//! binary in a process of its own, loaded by `wrk` (Debian's `wrk`, as in issue 17's
//! measurements: `-t2`, 64 connections for throughput, 8 below saturation for latency), on two
//! paths (a 7-day load curve, the bulk of a sync, and a 1-day daily total, the smallest call),
//! against two anchors in the same run:
//!
//! 1. the simulator called directly (with the application's token);
//! 2. a bare hop: an axum handler forwarding to the simulator with reqwest, checking nothing.
//!
//! linky-proxy runs on SQLite, and on PostgreSQL too with
//! `LINKY_BENCH_POSTGRES=postgres://…/postgres` (a server to make a database on, such as the one
//! `.ci/postgres start` prints). Each household's tokens are written into its database as the
//! device flow would leave them. Printed per row: requests per second and their share of the
//! direct figure, p50 and p99 (and what the hop adds to the direct p99), the hop's CPU per
//! request (the proxy process's own, from `/proc/<pid>/stat`; the bare hop's from its threads),
//! the PostgreSQL server's CPU per request (its processes'), and the proxy's resident memory.
//! Run with `cargo bench -p linky-proxy --bench proxy_process` (needs `wrk`: `apt install wrk`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use enedis_sim::{Credentials, SimConfig, Simulator};
use linky_core::{Clock, ManualClock};
use linky_proxy_store::{NewGrant, NewToken, ProxyStore};

const PDL: &str = "22516914714270";
const APP_ID: &str = "bench-app";
const APP_SECRET: &str = "bench-app-secret";
const ACCESS_TOKEN: &str = "bench-household-access-token-0123456789abcdef";
const SECONDS: u32 = 3;
/// Connections of a throughput row, then of a latency row.
const CONNECTIONS: [usize; 2] = [64, 8];
/// The bare hop's threads (the kernel keeps 15 bytes of a name).
const HOP_THREADS: &str = "bench-hop";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// CPU time, in seconds: in the program itself, and in the kernel on its behalf (sockets,
/// wake-ups), which an HTTP hop spends about half of its time in.
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    user: f64,
    system: f64,
}

impl Cpu {
    fn total(self) -> f64 {
        self.user + self.system
    }
}

impl std::ops::Add for Cpu {
    type Output = Cpu;
    fn add(self, other: Cpu) -> Cpu {
        Cpu {
            user: self.user + other.user,
            system: self.system + other.system,
        }
    }
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, other: Cpu) -> Cpu {
        Cpu {
            user: self.user - other.user,
            system: self.system - other.system,
        }
    }
}

/// User and system CPU from a `stat` file (fields 14 and 15, in 1/100 s).
fn cpu_of_stat(stat: &str) -> Cpu {
    // The command name may hold spaces: the fields start after its closing parenthesis.
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
    Cpu {
        user: ticks(11) / 100.0,
        system: ticks(12) / 100.0,
    }
}

/// CPU of the `stat` files under `dir` (processes or threads) whose command is `name`.
fn cpu_named(dir: &str, name: &str) -> Cpu {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Cpu::default();
    };
    entries
        .flatten()
        .filter(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .map(|stat| cpu_of_stat(&stat))
        .fold(Cpu::default(), |a, b| a + b)
}

fn process_cpu(pid: u32) -> Cpu {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(Cpu::default(), |s| cpu_of_stat(&s))
}

/// A process's resident memory now and at its peak, in MB.
fn resident_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// What `wrk --latency` printed, read.
struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// wrk's lines about failed requests (`Non-2xx or 3xx responses: 12`, socket errors).
    errors: Option<String>,
}

/// A latency as wrk prints it (`812.00us`, `1.23ms`, `2.01s`), in ms.
fn millis(text: &str) -> f64 {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e3)
    } else {
        (text, 1.0)
    };
    number.parse::<f64>().map_or(f64::NAN, |n| n * factor)
}

fn wrk(url: &str, token: &str, connections: usize) -> Figures {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{SECONDS}s"),
            "--latency",
            "-H",
            &format!("Authorization: Bearer {token}"),
            url,
        ])
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
            .unwrap_or("")
            .to_owned()
    };
    Figures {
        per_second: value("Requests/sec:").parse().unwrap_or(0.0),
        p50_ms: millis(&value("50%")),
        p99_ms: millis(&value("99%")),
        errors: {
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("Non-2xx") || l.starts_with("Socket errors"))
                .collect();
            (!lines.is_empty()).then(|| lines.join("; "))
        },
    }
}

/// A household's tokens, written as the device flow would leave them.
async fn household<S: ProxyStore>(store: &S, now: DateTime<Utc>) {
    let grant = NewGrant {
        device_code_hash: "bench-device-code".to_owned(),
        user_code: "BNCH-0001".to_owned(),
        client_id: "linky".to_owned(),
        created_at: now,
        expires_at: now + Duration::minutes(10),
        interval_seconds: 5,
        client_address: None,
    };
    assert!(store.create_grant(grant).await.expect("grant"));
    let id = store
        .grant_by_user_code("BNCH-0001", now)
        .await
        .expect("grant read")
        .expect("grant")
        .id;
    store
        .bind_consent(id, None, &[PDL.to_owned()], now + Duration::days(365), now)
        .await
        .expect("consent");
    let token = |hash: String| NewToken {
        hash,
        // The proxy runs on the machine's clock: tokens that outlive the run.
        expires_at: Utc::now() + Duration::days(1),
    };
    store
        .issue_tokens(
            id,
            token(linky_proxy::secrets::hash(ACCESS_TOKEN)),
            token("bench-refresh".to_owned()),
            now,
        )
        .await
        .expect("tokens");
}

/// The `linky-proxy` binary on `database`, in front of the simulator at `sim`, quotas out of
/// the way (this measures the hop, not the limits).
fn start_proxy(database: &str, sim: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linky-proxy"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LINKY_PROXY_LISTEN", "127.0.0.1:0")
        .env("LINKY_PROXY_DATABASE", database)
        .env("LINKY_PROXY_PUBLIC_URL", "http://127.0.0.1:1")
        .env("LINKY_PROXY_ENEDIS_API_URL", sim)
        .env("LINKY_PROXY_ENEDIS_CONSENT_URL", sim)
        .env("LINKY_PROXY_ENEDIS_CLIENT_ID", APP_ID)
        .env("LINKY_PROXY_ENEDIS_CLIENT_SECRET", APP_SECRET)
        .env("LINKY_PROXY_UPSTREAM_PER_SECOND", "1000000")
        .env("LINKY_PROXY_UPSTREAM_PER_HOUR", "100000000")
        .env("LINKY_PROXY_CALLS_PER_DEVICE_PER_HOUR", "100000000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("linky-proxy starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("its address");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("linky-proxy said: {line}"))
        .to_owned();
    (child, url)
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
    let app = axum::Router::new()
        .route("/hop/{*path}", axum::routing::get(forward))
        .with_state((reqwest::Client::new(), upstream));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// One hop under test: how to reach it, and how to read its CPU and memory.
struct Hop {
    name: String,
    base: String,
    token: String,
    pid: Option<u32>,
    database_server: bool,
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("this benchmark drives its load with wrk: install it (apt install wrk) and run it again");
        return;
    }
    linky_proxy::upstream::install_tls_provider();
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-sim")
        .enable_all()
        .build()
        .expect("runtime");
    let hop_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(HOP_THREADS)
        .enable_all()
        .build()
        .expect("runtime");
    let now = at("2026-11-28T10:00:00Z");
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now));
    let sim = Simulator::new(
        SimConfig {
            credentials: Some(Credentials {
                client_id: APP_ID.into(),
                client_secret: APP_SECRET.into(),
            }),
            // The clock stands still, so every call falls in the same second: the simulator
            // answers well over a million in one run.
            quota: enedis_sim::Quota {
                per_second: u32::MAX,
                per_hour: u32::MAX,
            },
            ..SimConfig::default()
        },
        clock.clone(),
    );
    let running_sim = sim_runtime
        .block_on(sim.bind("127.0.0.1:0".parse().expect("address")))
        .expect("simulator");
    let sim_url = running_sim.url();
    let app_token = sim_runtime.block_on(async {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("{sim_url}/oauth2/v3/token"))
            .basic_auth(APP_ID, Some(APP_SECRET))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token body");
        answer["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
    let bare = hop_runtime.block_on(bare_hop(sim_url.clone()));

    let dir = tempfile::tempdir().expect("temporary folder");
    let sqlite_url = format!("sqlite://{}", dir.path().join("proxy.db").display());
    sim_runtime.block_on(async {
        let store = linky_proxy_sqlite::SqliteStore::from_url(&sqlite_url).expect("SQLite");
        household(&store, now).await;
    });
    let mut proxies = vec![("SQLite", start_proxy(&sqlite_url, &sim_url))];
    if let Ok(server) = std::env::var("LINKY_BENCH_POSTGRES") {
        let url = sim_runtime.block_on(async {
            let url = linky_proxy_postgres::create_test_database(&server)
                .await
                .expect("the PostgreSQL server of LINKY_BENCH_POSTGRES makes a database");
            let store = linky_proxy_postgres::PostgresStore::connect(&url)
                .await
                .expect("PostgreSQL");
            household(&store, now).await;
            url
        });
        proxies.push(("PostgreSQL", start_proxy(&url, &sim_url)));
    }

    let mut hops = vec![
        Hop {
            name: "simulator directly".to_owned(),
            base: sim_url.clone(),
            token: app_token.clone(),
            pid: None,
            database_server: false,
        },
        Hop {
            name: "bare axum + reqwest hop".to_owned(),
            base: format!("{bare}/hop"),
            token: app_token.clone(),
            pid: None,
            database_server: false,
        },
    ];
    for (backend, (child, url)) in &proxies {
        hops.push(Hop {
            name: format!("linky-proxy on {backend}"),
            base: format!("{url}/data/proxy"),
            token: ACCESS_TOKEN.to_owned(),
            pid: Some(child.id()),
            database_server: *backend == "PostgreSQL",
        });
    }
    let paths = [
        (
            "7-day load curve",
            format!("/mesure_synchrone_auto/v2/courbe_de_charge_consommation?pointId={PDL}&dateDebut=2026-11-20&dateFin=2026-11-27"),
        ),
        (
            "1-day daily total",
            format!("/mesure_synchrone_auto/v2/consommation_quotidienne?pointId={PDL}&dateDebut=2026-11-26&dateFin=2026-11-27"),
        ),
    ];
    println!("wrk -t2, {SECONDS} s a row, against the simulator, a bare hop and the linky-proxy process, all on this machine:");
    println!(
        "{:<30} {:>5} {:>8} {:>6} {:>7} {:>7} {:>8} {:>16} {:>10} {:>8}",
        "",
        "conns",
        "req/s",
        "share",
        "p50 ms",
        "p99 ms",
        "+p99",
        "hop µs/rq (user)",
        "db µs/rq",
        "RSS MB"
    );
    // CPU per request of each hop, to set each proxy beside the bare hop of the same run.
    let mut per_request: Vec<(&str, usize, String, f64)> = Vec::new();
    for (what, path) in &paths {
        println!("{what}:");
        for connections in CONNECTIONS {
            let mut direct: Option<Figures> = None;
            for hop in &hops {
                if connections != CONNECTIONS[0] && hop.name.starts_with("bare") {
                    continue;
                }
                let url = format!("{}{path}", hop.base);
                let cpu = || match hop.pid {
                    Some(pid) => process_cpu(pid),
                    None => cpu_named("/proc/self/task", HOP_THREADS),
                };
                let (hop_before, db_before) = (cpu(), cpu_named("/proc", "postgres"));
                let f = wrk(&url, &hop.token, connections);
                let requests = (f.per_second * f64::from(SECONDS)).max(1.0);
                let spent = cpu() - hop_before;
                let hop_us = spent.total() / requests * 1e6;
                let hop_user_us = spent.user / requests * 1e6;
                if direct.is_some() {
                    per_request.push((what, connections, hop.name.clone(), hop_us));
                }
                let db_us = (cpu_named("/proc", "postgres") - db_before).total() / requests * 1e6;
                let (share, added) = match &direct {
                    Some(d) => (
                        format!("{:.0} %", f.per_second / d.per_second * 100.0),
                        format!("{:+.2}", f.p99_ms - d.p99_ms),
                    ),
                    None => (String::new(), String::new()),
                };
                println!(
                    "  {:<28} {:>5} {:>8.0} {:>6} {:>7.2} {:>7.2} {:>8} {:>16} {:>10} {:>8}{}",
                    hop.name,
                    connections,
                    f.per_second,
                    share,
                    f.p50_ms,
                    f.p99_ms,
                    added,
                    if direct.is_some() {
                        format!("{hop_us:.0} ({hop_user_us:.0})")
                    } else {
                        String::new()
                    },
                    if hop.database_server {
                        format!("{db_us:.0}")
                    } else {
                        String::new()
                    },
                    hop.pid
                        .map_or(String::new(), |pid| format!("{:.1}", resident_mb(pid).0)),
                    f.errors
                        .as_ref()
                        .map_or(String::new(), |e| format!("  (wrk: {e})")),
                );
                if direct.is_none() {
                    direct = Some(f);
                }
            }
        }
    }
    println!(
        "CPU per request beside the bare hop's, same path and run, {} connections:",
        CONNECTIONS[0]
    );
    for (what, connections, name, us) in &per_request {
        let bare = per_request
            .iter()
            .find(|(w, c, n, _)| w == what && c == connections && n.starts_with("bare"));
        if let (Some((.., bare_us)), false) = (bare, name.starts_with("bare")) {
            println!(
                "  {what}: {name} {us:.0} µs = {:.2} x the bare hop ({bare_us:.0} µs)",
                us / bare_us
            );
        }
    }
    for (backend, (child, _)) in &proxies {
        let (now, peak) = resident_mb(child.id());
        println!(
            "linky-proxy on {backend}: resident memory {now:.1} MB at the end, peak {peak:.1} MB"
        );
    }
    println!("goals: issue 17: >= 80 % of direct req/s for the curve and >= 60 % for the daily total at 64 connections, p99 added <= 2 ms, <= 60 µs of proxy CPU per request;");
    println!("       issue 19: >= 50 % on each backend, p99 under 10 ms.");
    for (_, (mut child, _)) in proxies {
        let _ = child.kill();
        let _ = child.wait();
    }
}
