//! `linky login`, `linky sync` and `linky logout` as real processes against the stack (simulator
//! and proxy on loopback, real time), including `kill -9` in the middle of a backfill.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use linky_core::Clock;
use linky_stack::{Stack, StackOptions};

type Dir = linky_stack::TempDir;

fn dir(name: &str) -> Dir {
    Dir::new(&format!("linky-cli-{name}")).expect("temporary folder")
}

fn linky(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_linky"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LINKY_") {
            c.env_remove(k);
        }
    }
    c.env("LINKY_TEST_NOW", linky_stack::test_now());
    // Tests never reach the internet: the Tempo calendar is off unless a test points it at the
    // simulator.
    c.env("LINKY_COLOURS", "off");
    c.arg("--data-dir").arg(dir);
    c
}

const SYNC: &[&str] = &[
    "sync",
    "--history-days",
    "60",
    "--daily-days",
    "120",
    "--max-power-days",
    "120",
    "--max-rate",
    "5",
    "--retry-base-ms",
    "10",
];

async fn stack() -> Stack {
    let mut options = StackOptions::new(Arc::new(linky_stack::test_clock()));
    options.sim.quota = enedis_sim::Quota {
        per_second: 1000,
        per_hour: 100_000,
    };
    Stack::start(options).await.unwrap()
}

/// `linky login` as a process; the scripted person consents for `pdls` while it waits.
async fn login(stack: &Stack, dir: &Path, customer: u8, pdls: &[&str]) -> Output {
    let mut command = linky(dir);
    command.args(["--lang", "en", "login", "--proxy", stack.proxy_url()]);
    let login = common::LoginProcess::start(command);
    let code = login.code().await;
    for pdl in pdls {
        stack.consent(&code, customer, pdl).await.unwrap();
    }
    login.finish().await
}

fn fingerprint(dir: &Path) -> String {
    linky_store::Store::open(&dir.join("linky.db"))
        .unwrap()
        .fingerprint()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sync_logout() {
    let s = stack().await;
    let dir = dir("flow");
    let out = login(&s, dir.path(), 3, &["12345678901234", "10284856584123"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("/device?code=") && stdout.contains("█"),
        "address and QR code: {stdout}"
    );
    assert!(
        stdout.contains("Consent obtained for: 12345678901234, 10284856584123"),
        "{stdout}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(dir.path().join("tokens.json"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    let tokens = std::fs::read_to_string(dir.path().join("tokens.json")).unwrap();
    // The consent's end reads the same in `login` and `status` (the Paris day).
    let until = stdout
        .split("(until ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .to_owned();
    let status = linky(dir.path())
        .args(["--lang", "en", "status"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(
        status.contains(&format!("consent until {until}")),
        "{until} / {status}"
    );

    // The Tempo calendar from the simulator's EDF: one call a day, however many syncs.
    let sync = || {
        let mut c = linky(dir.path());
        c.env("LINKY_COLOURS", "edf")
            .env("LINKY_COLOURS_URL", s.sim_url())
            .args(["--lang", "fr"])
            .args(SYNC);
        c
    };
    let out = sync().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let again = sync().output().unwrap();
    assert!(again.status.success());
    let calendar_calls = reqwest::get(format!("{}/_sim/requests", s.sim_url()))
        .await
        .unwrap()
        .json::<Vec<enedis_sim::LoggedRequest>>()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.path == day_colours::edf::PATH)
        .count();
    assert_eq!(calendar_calls, 1, "one calendar call a day");
    let colours = linky_store::Store::open(&dir.path().join("linky.db"))
        .unwrap()
        .day_colours()
        .unwrap();
    // From 60 days back (the curve's history) to tomorrow once published (10:40).
    assert!(
        (60..=62).contains(&colours.tempo.len()),
        "{}",
        colours.tempo.len()
    );
    assert!(
        stdout.contains("présents") && stdout.contains("Appels Enedis"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ce compteur ne mesure pas ce sens"),
        "{stdout}"
    );
    for line in stdout
        .lines()
        .filter(|l| l.starts_with("12345678901234") && l.contains("consommation"))
    {
        assert!(line.contains(" 0 "), "nothing missing: {line}");
    }
    assert!(
        !stdout.contains(&tokens[tokens.find("access_token").unwrap() + 16..][..20])
            && !stderr.contains("refresh_token"),
        "no token printed"
    );

    let out = linky(dir.path())
        .args(["--lang", "en", "logout"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("your data stays stored"));
    assert!(!dir.path().join("tokens.json").exists());
    assert!(&dir.path().join("linky.db").exists());
    let out = linky(dir.path()).args(SYNC).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("linky login"),
        "tells what to do"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_backfill_then_resume_ends_with_the_same_data() {
    let s = stack().await;
    let reference = dir("reference");
    assert!(login(&s, reference.path(), 6, &["12655648759651"])
        .await
        .status
        .success());
    let out = linky(reference.path()).args(SYNC).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = fingerprint(reference.path());
    assert!(expected.lines().count() > 2000, "a real backfill");

    let mut interrupted_mid_way = 0;
    for (i, kill_after_ms) in [300u64, 1200, 2500].into_iter().enumerate() {
        let dir = dir(&format!("killed{i}"));
        std::fs::copy(
            reference.path().join("tokens.json"),
            dir.path().join("tokens.json"),
        )
        .unwrap();
        let mut child = linky(dir.path())
            .args(SYNC)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        if dir.path().join("linky.db").exists() {
            let partial = fingerprint(dir.path());
            if !partial.is_empty() && partial != expected {
                interrupted_mid_way += 1;
            }
        }
        let out = linky(dir.path()).args(SYNC).output().unwrap();
        assert!(
            out.status.success(),
            "resume after a kill at {kill_after_ms} ms: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            fingerprint(dir.path()),
            expected,
            "kill at {kill_after_ms} ms"
        );
    }
    assert!(
        interrupted_mid_way >= 1,
        "at least one kill landed in the middle of the backfill"
    );
}

/// Energy of the stored load curve over a Paris day, kWh.
fn stored_curve_kwh(dir: &Path, pdl: &str, day: chrono::NaiveDate) -> f64 {
    let store = linky_store::Store::open(&dir.join("linky.db")).unwrap();
    let (from, to) = linky_core::paris::day_bounds(day);
    let curve = store
        .curve(
            &pdl.parse().unwrap(),
            linky_core::Direction::Consumption,
            from,
            to,
        )
        .unwrap();
    curve
        .points()
        .iter()
        .map(|p| f64::from(p.watts) * p.step.duration().num_seconds() as f64 / 3.6e6)
        .sum()
}

fn column(csv: &str, separator: char, name: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(separator).collect();
    let at = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(separator).nth(at).unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_totals_match_the_store_on_a_dst_day() {
    use chrono::Duration as Days;
    let s = stack().await;
    let dir = dir("export");
    let pdl = "12345678901234";
    assert!(login(&s, dir.path(), 3, &[pdl]).await.status.success());
    // The last daylight-saving change before the published days, whatever today is.
    let today = linky_core::paris::local_date(linky_stack::test_clock().now());
    let dst = (2..400)
        .map(|n| today - Days::days(n))
        .find(|d| linky_core::paris::day_hours(*d) != 24)
        .unwrap();
    let history = ((today - dst).num_days() + 3).to_string();
    let out = linky(dir.path())
        .args(["sync", "--history-days", &history, "--daily-days", &history])
        .args(["--max-power-days", &history, "--max-rate", "5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // Hours of the DST day: 23 or 25 rows, each with its offset, summing to the stored curve.
    let day = dst.to_string();
    let export = |args: &[&str]| {
        linky(dir.path())
            .args(["--lang", "en", "export", "--pdl", pdl])
            .args(args)
            .output()
            .unwrap()
    };
    let out = export(&["--from", &day, "--to", &day, "--step", "hour"]);
    assert!(out.status.success(), "{out:?}");
    let csv = String::from_utf8(out.stdout).unwrap();
    let hours = linky_core::paris::day_hours(dst);
    assert_eq!(csv.lines().count() as i64, hours + 1, "{csv}");
    let starts = column(&csv, ',', "start");
    assert!(
        starts.iter().any(|s| s.ends_with("+01:00"))
            && starts.iter().any(|s| s.ends_with("+02:00"))
    );
    let unique: std::collections::BTreeSet<&String> = starts.iter().collect();
    assert_eq!(unique.len(), starts.len(), "every hour is unambiguous");
    let total: f64 = column(&csv, ',', "consumption_kwh")
        .iter()
        .map(|v| v.parse::<f64>().unwrap())
        .sum();
    let stored = stored_curve_kwh(dir.path(), pdl, dst);
    assert!(stored > 1.0);
    assert!(
        (total - stored).abs() <= hours as f64 * 0.0005 + 1e-9,
        "{total} vs {stored}"
    );
    let peak_plus_offpeak: f64 = ["consumption_peak_kwh", "consumption_offpeak_kwh"]
        .iter()
        .flat_map(|c| column(&csv, ',', c))
        .map(|v| v.parse::<f64>().unwrap())
        .sum();
    assert!((peak_plus_offpeak - total).abs() <= hours as f64 * 0.001);

    // Days with the French conventions, `--to` included, against Enedis's daily totals.
    let from = (dst - Days::days(2)).to_string();
    let to = (dst + Days::days(2)).to_string();
    let out = export(&["--from", &from, "--to", &to, "--locale", "fr"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("date;consumption_kwh;"), "{csv}");
    assert_eq!(csv.lines().count(), 6, "{csv}");
    let store = linky_store::Store::open(&dir.path().join("linky.db")).unwrap();
    let daily = store
        .daily(
            &pdl.parse().unwrap(),
            linky_core::Direction::Consumption,
            dst - Days::days(2),
            dst + Days::days(2),
        )
        .unwrap();
    for (value, stored) in column(&csv, ';', "consumption_kwh").iter().zip(&daily) {
        assert!(value.contains(','), "decimal comma: {value}");
        let kwh: f64 = value.replace(',', ".").parse().unwrap();
        assert!(
            (kwh - stored.energy.wh() / 1000.0).abs() < 0.002,
            "{kwh} vs {stored:?}"
        );
    }

    // JSON into a file.
    let file = dir.path().join("month.json");
    let out = export(&[
        "--from",
        &from,
        "--to",
        &to,
        "--step",
        "month",
        "--format",
        "json",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success() && out.stdout.is_empty(), "{out:?}");
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(!rows.as_array().unwrap().is_empty());
    assert!(rows[0]["max_power_va"].as_u64().unwrap() > 0, "{rows}");

    // linky's own files are never an export's target.
    let before = fingerprint(dir.path());
    let db = dir.path().join("linky.db");
    let out = export(&[
        "--from",
        &from,
        "--to",
        &to,
        "--output",
        db.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("linky's own files"));
    assert_eq!(fingerprint(dir.path()), before, "the store is untouched");

    // Bad input: exit 2, the flag named, in both languages.
    for (args, en, fr) in [
        (
            vec!["--from", &to, "--to", &from],
            "is after --to",
            "est après --to",
        ),
        (
            vec!["--from", "2026-02-30", "--to", &to],
            "is not a date",
            "n'est pas une date",
        ),
    ] {
        for (lang, text) in [("en", en), ("fr", fr)] {
            let out = linky(dir.path())
                .args(["--lang", lang, "export"])
                .args(&args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2));
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(text),
                "{out:?}"
            );
        }
    }
    let out = linky(dir.path())
        .args(["--lang", "en", "export", "--pdl", "99999999999999"])
        .args(["--from", &from, "--to", &to])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(pdl),
        "lists the stored meters"
    );
}
