//! Resident memory of `linky run` (it runs on small boards): idle after a sync, then after one
//! dashboard visit, then after 100 and 200 visits (each loads the page and the API calls it
//! makes).
//! The store holds two years of half-hourly data for one meter; the proxy does not answer, so
//! the daemon fails its sync (retries a millisecond apart) and waits: "idle" is measured a
//! second after the daemon logs the end of that sync, not during it. Goals (issue 17): idle <= 12 MB, after a visit <= 15 MB,
//! steady over 100 visits. Run with `cargo bench -p linky --bench idle_memory`.

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::NaiveDate;

const PDL: &str = "22516914714270";

fn rss_kb(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Resident memory by kind: anonymous (heap, stacks) and file-backed (the program's code and
/// libraries), from `/proc/<pid>/smaps_rollup`, in kB.
fn resident_by_kind(pid: u32) -> (Option<u64>, Option<u64>) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let anonymous = field("Anonymous:");
    let file = field("Rss:")
        .zip(anonymous)
        .map(|(rss, anon)| rss.saturating_sub(anon));
    (anonymous, file)
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or_else(|| "?".into(), |k| format!("{:.1} MB", k as f64 / 1024.0))
}

/// The daemon gives freed memory back once the last answer is out, on a thread of its own:
/// the figures are read a moment later, as they would be at any time in the hours between
/// visits.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// One visit: the page, then what its script asks.
async fn visit(http: &reqwest::Client, base: &str, today: NaiveDate) {
    let week = today - chrono::Duration::days(7);
    let year = today - chrono::Duration::days(365);
    for path in [
        "/".to_owned(),
        "/api/status".to_owned(),
        format!("/api/meters/{PDL}/totals"),
        format!("/api/meters/{PDL}/energy?step=hour&from={week}&to={today}"),
        format!("/api/meters/{PDL}/energy?step=day&from={year}&to={today}"),
        format!("/api/meters/{PDL}/energy?step=month&from={year}&to={today}"),
        format!("/api/meters/{PDL}/power?from={year}&to={today}"),
        format!("/api/meters/{PDL}/calendar?from={year}&to={today}"),
    ] {
        let r = http
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let _ = r.bytes().await;
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let today = chrono::Utc::now().date_naive();
    {
        let mut store = linky_store::Store::open(&dir.path().join("linky.db")).expect("store");
        linky_store::sample::fill(&mut store, &PDL.parse().expect("pdl"), today, 730)
            .expect("sample");
    }
    let tokens = r#"{"families":[{"proxy_url":"http://127.0.0.1:9","client_id":"linky","access_token":"a","refresh_token":"r","expires_at":"2030-01-01T00:00:00Z","meters":["22516914714270"]}]}"#;
    std::fs::write(dir.path().join("tokens.json"), tokens).expect("tokens");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[sync]\nretry_base_ms = 1\n").expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_linky"))
        .args([
            "--config",
            config.to_str().expect("path"),
            "--data-dir",
            dir.path().to_str().expect("path"),
            "run",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("HOME", dir.path())
        .env("LINKY_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("linky run");
    // The daemon's log, read to the line that ends the first sync (and then drained, so the
    // daemon never blocks on a full pipe).
    let (synced, sync_done) = std::sync::mpsc::channel();
    let log = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(log).lines().map_while(Result::ok) {
            if line.contains("sync done") {
                let _ = synced.send(());
            }
        }
    });
    sync_done
        .recv_timeout(Duration::from_secs(120))
        .expect("the daemon's first sync never ended");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = child.id();
    let idle = rss_kb(pid, "VmRSS:");
    let idle_kinds = resident_by_kind(pid);
    let base = format!("http://127.0.0.1:{port}");
    linky_enedis::install_tls_provider();
    let http = reqwest::Client::new();
    visit(&http, &base, today).await;
    settle().await;
    let one = rss_kb(pid, "VmRSS:");
    let one_kinds = resident_by_kind(pid);
    for _ in 0..99 {
        visit(&http, &base, today).await;
    }
    settle().await;
    let hundred = rss_kb(pid, "VmRSS:");
    let hundred_kinds = resident_by_kind(pid);
    // A hundred more: steady memory stops growing.
    for _ in 0..100 {
        visit(&http, &base, today).await;
    }
    settle().await;
    let two_hundred = rss_kb(pid, "VmRSS:");
    let two_hundred_kinds = resident_by_kind(pid);
    let peak = rss_kb(pid, "VmHWM:");
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    let kinds = |(anonymous, file): (Option<u64>, Option<u64>)| {
        format!(
            "heap and stacks {}, program and libraries {}",
            mb(anonymous),
            mb(file)
        )
    };
    println!("linky run over two years of half-hourly data for one meter:");
    println!(
        "  idle after a sync     {:>9}   (goal <= 12 MB; {})",
        mb(idle),
        kinds(idle_kinds)
    );
    println!(
        "  after one visit       {:>9}   (goal <= 15 MB; {})",
        mb(one),
        kinds(one_kinds)
    );
    println!(
        "  after 100 visits      {:>9}   (goal: steady; {})",
        mb(hundred),
        kinds(hundred_kinds)
    );
    println!(
        "  after 200 visits      {:>9}   ({})",
        mb(two_hundred),
        kinds(two_hundred_kinds)
    );
    println!("  peak                  {:>9}", mb(peak));
}
