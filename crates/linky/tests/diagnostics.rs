//! `linky doctor`, `linky status`, `linky run` and `linky domoticz` as processes against broken
//! and working set-ups.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use linky_enedis::tokens::TokenFile;
use linky_stack::{Stack, StackOptions};

type Dir = linky_stack::TempDir;

fn dir(name: &str) -> Dir {
    Dir::new(&format!("linky-diag-{name}")).expect("temporary folder")
}

fn linky(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_linky"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LINKY_") {
            c.env_remove(k);
        }
    }
    c.env("LINKY_TEST_NOW", linky_stack::test_now());
    // Tests never reach the internet: no Tempo calendar.
    c.env("LINKY_COLOURS", "off");
    c.env("HOME", dir)
        .arg("--lang")
        .arg("en")
        .arg("--data-dir")
        .arg(dir)
        .args(args);
    c
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o: Output = linky(dir, args).output().unwrap();
    (
        o.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// What a service manager sends to stop a service.
fn terminate(child: &std::process::Child) {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
}

async fn stack() -> Stack {
    let mut options = StackOptions::new(Arc::new(linky_stack::test_clock()));
    options.sim.quota = enedis_sim::Quota {
        per_second: 1000,
        per_hour: 100_000,
    };
    Stack::start(options).await.unwrap()
}

async fn logged_in(s: &Stack, d: &Dir, customer: u8, pdls: &[&str]) {
    let mut t = TokenFile::default();
    t.add(s.login(customer, pdls).await.unwrap());
    t.save(&d.path().join("tokens.json")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_finds_each_broken_set_up_and_says_what_to_do() {
    let s = stack().await;

    // A working meter without production: no problem, production is only information.
    let ok = dir("ok");
    logged_in(&s, &ok, 0, &["22516914714270"]).await;
    let (code, out) = tokio::task::spawn_blocking({
        let p = ok.path().to_path_buf();
        move || run(&p, &["doctor"])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("contract read")
            && out.contains("no production (normal without solar panels)")
            && out.contains("clock on time"),
        "{out}"
    );

    // Load curve not enabled.
    let curve = dir("curve");
    logged_in(&s, &curve, 2, &["32320647321714"]).await;
    let p = curve.path().to_path_buf();
    let (code, out) = tokio::task::spawn_blocking(move || run(&p, &["doctor"]))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("load curve (hourly data) is not collected")
            && out.contains("enable hourly collection")
            && out.contains("48 h"),
        "{out}"
    );

    // Consent revoked at Enedis.
    let revoked = dir("revoked");
    logged_in(&s, &revoked, 1, &["11453290002823"]).await;
    let id = s
        .sim
        .consents()
        .into_iter()
        .find(|c| c.pdls == ["11453290002823"])
        .unwrap()
        .id;
    reqwest::Client::new()
        .post(format!("{}/_sim/consents/{id}/revoke", s.sim_url()))
        .send()
        .await
        .unwrap();
    let p = revoked.path().to_path_buf();
    let (code, out) = tokio::task::spawn_blocking(move || run(&p, &["doctor"]))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("give your consent again with `linky login`"),
        "{out}"
    );

    // A wrong proxy address.
    let wrong = dir("wrong");
    let mut t = TokenFile::load(&ok.path().join("tokens.json")).unwrap();
    t.families[0].proxy_url = "http://127.0.0.1:9".into();
    t.save(&wrong.path().join("tokens.json")).unwrap();
    let p = wrong.path().to_path_buf();
    let (code, out) = tokio::task::spawn_blocking(move || run(&p, &["doctor"]))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("unreachable") && out.contains("check the address"),
        "{out}"
    );

    // Nothing set up at all.
    let empty = dir("empty");
    let p = empty.path().to_path_buf();
    let (code, out) = tokio::task::spawn_blocking(move || run(&p, &["doctor"]))
        .await
        .unwrap();
    assert_eq!(code, Some(1));
    assert!(
        out.contains("run `linky init`") && out.contains("`linky login --proxy <address>`"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_after_a_sync_and_the_daemon_stops_on_sigterm() {
    let s = stack().await;
    let d = dir("status");
    logged_in(&s, &d, 0, &["22516914714270"]).await;
    // The settings file in the (test) home directory serves every command.
    std::fs::create_dir_all(d.path().join(".config/linky")).unwrap();
    std::fs::write(
        d.path().join(".config/linky/config.toml"),
        "[sync]\nhistory_days = 14\ndaily_days = 30\nmax_power_days = 30\nmax_rate = 5.0\n",
    )
    .unwrap();
    let p = d.path().to_path_buf();
    let (code, out) = tokio::task::spawn_blocking(move || {
        let _ = run(&p, &["sync"]);
        run(&p, &["status"])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("Meter 22516914714270 — consent until"),
        "{out}"
    );
    assert!(
        out.contains("consumption / load curve") && out.contains("14 days, 0 missing"),
        "{out}"
    );
    assert!(
        out.contains("production / daily")
            && out.contains("this meter does not measure this direction"),
        "{out}"
    );
    assert!(
        out.contains("Last sync:") && out.contains("(ok,") && out.contains("none planned"),
        "{out}"
    );

    // The daemon: starts, plans a sync (right away by day, in the morning at night), and stops
    // cleanly on SIGTERM, even in the middle of a sync.
    let mut child = linky(d.path(), &["run", "--listen", "127.0.0.1:0"])
        .env("LINKY_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (url_tx, url_rx) = std::sync::mpsc::channel::<String>();
    let out_reader = std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("Dashboard: ") {
                let _ = url_tx.send(url.trim().to_owned());
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        seen
    });
    // The daemon serves its dashboard over the same store while it runs.
    let url = tokio::task::spawn_blocking(move || {
        url_rx.recv_timeout(std::time::Duration::from_secs(60))
    })
    .await
    .unwrap()
    .expect("the daemon tells its dashboard address");
    let status: serde_json::Value = reqwest::get(format!("{url}api/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["meters"][0]["pdl"], "22516914714270", "{status}");
    assert_eq!(status["last_sync"]["outcome"], "ok", "{status}");
    // The reader keeps reading to the end: a closed pipe is not what a service manager does.
    let (planned_tx, planned_rx) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        let mut planned = Some(planned_tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            // At night the first sync waits for the morning: the plan is enough.
            if line.contains("next sync planned") {
                if let Some(tx) = planned.take() {
                    let _ = tx.send(());
                }
            }
        }
        seen
    });
    let planned = tokio::task::spawn_blocking(move || {
        planned_rx.recv_timeout(std::time::Duration::from_secs(120))
    })
    .await
    .unwrap();
    terminate(&child);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let seen = tokio::task::spawn_blocking(move || reader.join().unwrap())
        .await
        .unwrap();
    assert!(planned.is_ok(), "no sync planned: {seen}");
    assert!(
        seen.contains("daemon started") && seen.contains("next sync planned"),
        "{seen}"
    );
    assert!(output.status.success(), "{output:?} {seen}");
    let stdout = tokio::task::spawn_blocking(move || out_reader.join().unwrap())
        .await
        .unwrap();
    assert!(stdout.contains("daemon stopped"), "{stdout}");
    // Logs to a closed stderr (a reader that went away) never stop a sync.
    let closed = dir("closed-stderr");
    std::fs::copy(
        d.path().join("tokens.json"),
        closed.path().join("tokens.json"),
    )
    .unwrap();
    let mut child = linky(closed.path(), &["sync", "--history-days", "2"])
        .env("LINKY_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let p = d.path().to_path_buf();
    let (_, out) = tokio::task::spawn_blocking(move || run(&p, &["status"]))
        .await
        .unwrap();
    assert!(
        out.contains("Next sync:") && !out.contains("none planned"),
        "the daemon's plan is shown: {out}"
    );
}

/// `linky sync` pushes into Domoticz (the test double of domoticz-double) when it is
/// configured; `linky domoticz push` then has nothing new; `check` reports; a 401 says how to
/// fix it without showing the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_pushes_into_domoticz_and_check_explains_a_refusal() {
    let s = stack().await;
    let d = dir("domoticz");
    logged_in(&s, &d, 0, &["22516914714270"]).await;
    let double = domoticz_double::DomoticzDouble::new(domoticz_double::DoubleOptions {
        trust_loopback: true,
        short_log_days: 7,
        // The server's local time, on the test clock's day.
        fixed_now: Some("2026-11-28 12:00:00".into()),
        ..Default::default()
    })
    .unwrap();
    let running = double.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = running.url();
    let p = d.path().to_path_buf();
    let u = url.clone();
    let (sync, push, check) = tokio::task::spawn_blocking(move || {
        let with = |args: &[&str]| {
            let o = linky(&p, args)
                .env("LINKY_DOMOTICZ_URL", &u)
                .env("LINKY_HISTORY_DAYS", "10")
                .output()
                .unwrap();
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned()
                    + &String::from_utf8_lossy(&o.stderr),
            )
        };
        (
            with(&["sync"]),
            with(&["domoticz", "push"]),
            with(&["domoticz", "check"]),
        )
    })
    .await
    .unwrap();
    assert_eq!(sync.0, Some(0), "{}", sync.1);
    assert!(
        sync.1
            .contains("Domoticz: 22516914714270 → device 1 (created)"),
        "{}",
        sync.1
    );
    assert!(push.1.contains("0 days and 0 hours sent"), "{}", push.1);
    assert!(
        check.1.contains("Domoticz 2025.1 reached")
            && check.1.contains("device 1 \"Linky 22516914714270\""),
        "{}",
        check.1
    );
    let (days, hours): (i64, i64) = double.with_db(|db| {
        db.query_row(
            "SELECT (SELECT COUNT(*) FROM MultiMeter_Calendar), (SELECT COUNT(*) FROM MultiMeter)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    });
    // The hours Domoticz keeps with "Short Log Sensors" = 7: from 7 × 24 h before now (12:00
    // in Paris) plus a margin, to today's 00:00 row: 13:00 to 23:00, then six days and one row.
    assert!(
        days >= 10 && hours == 11 + 6 * 24 + 1,
        "{days} day rows, {hours} hour rows"
    );

    // Credentials refused: the fixes (French in linky-domoticz tests), never the password.
    double.set_options(|o| o.trust_loopback = false);
    let p = d.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        linky(&p, &["domoticz", "check"])
            .env("LINKY_DOMOTICZ_URL", &url)
            .env("LINKY_DOMOTICZ_USER", "admin")
            .env("LINKY_DOMOTICZ_PASSWORD", "pa55-word-xyz")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Trusted Networks") && !text.contains("pa55-word-xyz"),
        "{text}"
    );

    // Each push leaves its outcome for the dashboard's status card, never the password.
    let last_push = |dir: &Path| -> serde_json::Value {
        let store = linky_store::Store::open(&dir.join("linky.db")).unwrap();
        serde_json::to_value(store.last_push().unwrap().unwrap()).unwrap()
    };
    let pushed = last_push(d.path());
    assert_eq!(pushed["ok"], true, "{pushed}");
    assert_eq!(pushed["devices"][0]["idx"], 1, "{pushed}");
    let p = d.path().to_path_buf();
    let url = running.url();
    let out = tokio::task::spawn_blocking(move || {
        linky(&p, &["domoticz", "push"])
            .env("LINKY_DOMOTICZ_URL", &url)
            .env("LINKY_DOMOTICZ_USER", "admin")
            .env("LINKY_DOMOTICZ_PASSWORD", "pa55-word-xyz")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let refused = last_push(d.path());
    assert_eq!(refused["ok"], false, "{refused}");
    assert!(
        refused["error"]["en"]
            .as_str()
            .unwrap()
            .contains("Trusted Networks"),
        "{refused}"
    );
    assert!(!refused.to_string().contains("pa55-word-xyz"));

    // A User account on a Domoticz where the device does not exist yet: Domoticz 2025.1 lets
    // it read the settings (domoticz.md §8), so `check` asks for its rights and says that the
    // push needs Admin rights to create the device; the push says the same on the 403.
    let other = domoticz_double::DomoticzDouble::new(domoticz_double::DoubleOptions {
        allow_plain_basic_auth: true,
        fixed_now: Some("2026-11-28 12:00:00".into()),
        ..Default::default()
    })
    .unwrap();
    other.add_user("feeder", "feeder-pw-123", domoticz_double::Rights::User);
    let serving = other.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = serving.url();
    let p = d.path().to_path_buf();
    let (check, push) = tokio::task::spawn_blocking(move || {
        let with = |args: &[&str]| {
            let o = linky(&p, args)
                .env("LINKY_DOMOTICZ_URL", &url)
                .env("LINKY_DOMOTICZ_USER", "feeder")
                .env("LINKY_DOMOTICZ_PASSWORD", "feeder-pw-123")
                .output()
                .unwrap();
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned()
                    + &String::from_utf8_lossy(&o.stderr),
            )
        };
        (with(&["domoticz", "check"]), with(&["domoticz", "push"]))
    })
    .await
    .unwrap();
    assert_eq!(check.0, Some(1), "{}", check.1);
    assert!(
        check.1.contains("will be created") && check.1.contains("needs Admin rights"),
        "{}",
        check.1
    );
    assert_eq!(push.0, Some(1), "{}", push.1);
    assert!(
        push.1.contains("needs Admin rights to create") && !push.1.contains("feeder-pw-123"),
        "{}",
        push.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_refuses_the_network_without_a_password_then_serves_with_one() {
    linky_enedis::install_tls_provider();
    let d = dir("dashboard");
    let (code, out) = run(d.path(), &["dashboard", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("web.listen") && out.contains("web.password"),
        "{out}"
    );
    let o = linky(d.path(), &["dashboard"])
        .env("LINKY_WEB_PASSWORD", "short")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("web.password"));

    // A port already taken is told with what to do.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let (code, out) = run(d.path(), &["dashboard", "--listen", &address]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains(&format!("cannot listen on {address}")) && out.contains("--listen"),
        "{out}"
    );

    // `linky run` with `web.enabled = false` does not even try that port.
    let config = d.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[web]\nenabled = false\nlisten = \"{address}\"\n"),
    )
    .unwrap();
    let mut daemon = linky(d.path(), &["--config", config.to_str().unwrap(), "run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = daemon.stderr.take().unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("daemon started") {
                let _ = started_tx.send(());
            }
        }
    });
    let started = tokio::task::spawn_blocking(move || {
        started_rx.recv_timeout(std::time::Duration::from_secs(60))
    })
    .await
    .unwrap();
    terminate(&daemon);
    assert!(started.is_ok(), "the daemon starts without its dashboard");
    let output = tokio::task::spawn_blocking(move || daemon.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("Dashboard:"));
    reader.join().unwrap();
    drop(taken);

    let password = "a long enough password";
    let mut child = linky(d.path(), &["dashboard", "--listen", "0.0.0.0:0"])
        .env("LINKY_WEB_PASSWORD", password)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::task::spawn_blocking(move || {
        let line = lines.next().unwrap().unwrap();
        (line, lines)
    })
    .await
    .unwrap();
    let (line, lines) = first;
    let port = line
        .strip_prefix("Dashboard: http://0.0.0.0:")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let url = format!("http://127.0.0.1:{port}/api/status");
    let client = reqwest::Client::new();
    let refused = client.get(&url).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let allowed = client
        .get(&url)
        .basic_auth("anyone", Some(password))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status().as_u16(), 200);
    terminate(&child);
    let rest: Vec<String> =
        tokio::task::spawn_blocking(move || lines.map_while(Result::ok).collect())
            .await
            .unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        rest.iter().any(|l| l.contains("Dashboard stopped")),
        "{rest:?}"
    );
    let everything = format!("{line}{rest:?}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        !everything.contains(password),
        "the password is never shown"
    );
}

/// Issue 14, bad input: a damaged `linky.db` (truncated, then overwritten with random bytes)
/// is named with what to do; `sync` writes nothing into it and `export` refuses;
/// `linky doctor --repair` keeps what is sound and the next sync fetches the rest again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_store_is_told_left_untouched_and_repaired() {
    let s = stack().await;
    let d = dir("damaged");
    logged_in(&s, &d, 0, &["22516914714270"]).await;
    let p = d.path().to_path_buf();
    let sync = [
        "sync",
        "--history-days",
        "7",
        "--daily-days",
        "7",
        "--max-power-days",
        "7",
    ];
    let (code, out) = tokio::task::spawn_blocking({
        let p = p.clone();
        move || run(&p, &sync)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{out}");
    let db = p.join("linky.db");
    for damage in ["truncated", "random"] {
        let bytes = std::fs::read(&db).unwrap();
        match damage {
            "truncated" => std::fs::write(&db, &bytes[..bytes.len() * 2 / 3]).unwrap(),
            _ => std::fs::write(
                &db,
                (0..bytes.len())
                    .map(|i| (i * 7919 % 251) as u8)
                    .collect::<Vec<u8>>(),
            )
            .unwrap(),
        }
        let before = std::fs::read(&db).unwrap();
        let (sync_out, export_out) = tokio::task::spawn_blocking({
            let p = p.clone();
            move || {
                (
                    run(&p, &sync),
                    run(
                        &p,
                        &[
                            "export",
                            "--pdl",
                            "22516914714270",
                            "--from",
                            "2026-11-20",
                            "--to",
                            "2026-11-27",
                        ],
                    ),
                )
            }
        })
        .await
        .unwrap();
        for (code, out) in [&sync_out, &export_out] {
            assert_ne!(*code, Some(0), "{damage}: {out}");
            assert!(
                out.contains("is damaged")
                    && out.contains("linky doctor --repair")
                    && out.contains("linky.db"),
                "{damage}: {out}"
            );
        }
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{damage}: nothing written into it"
        );

        let (code, out) = tokio::task::spawn_blocking({
            let p = p.clone();
            move || run(&p, &["doctor", "--repair"])
        })
        .await
        .unwrap();
        assert!(
            out.contains("repaired: old file set aside"),
            "{damage}: {code:?} {out}"
        );
        let (code, out) = tokio::task::spawn_blocking({
            let p = p.clone();
            move || {
                let _ = run(&p, &sync);
                run(&p, &["status"])
            }
        })
        .await
        .unwrap();
        assert_eq!(code, Some(0), "{damage}: {out}");
        assert!(out.contains("7 days, 0 missing"), "{damage}: {out}");
    }
    let aside = std::fs::read_dir(&p)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".damaged-")
        })
        .count();
    assert!(aside >= 2, "the damaged files are kept aside");
}

/// A log filter linky cannot read is told, with what it takes, and the command goes on.
#[test]
fn an_unreadable_log_filter_is_told() {
    let d = tempfile::tempdir().unwrap();
    let out = linky(d.path(), &["sync"])
        .env("LINKY_LOG", "linky=loud")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("LINKY_LOG cannot be read") && stderr.contains("target=level"),
        "{stderr}"
    );
    // The command itself still runs, and says what it says without a meter.
    assert!(stderr.contains("no meter yet"), "{stderr}");
}
