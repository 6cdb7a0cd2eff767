//! `linky login`, `linky sync` and `linky logout` as real processes against the stack (simulator
//! and proxy on loopback, real time), including `kill -9` in the middle of a backfill.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use linky_core::SystemClock;
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
    let mut options = StackOptions::new(Arc::new(SystemClock));
    options.sim.quota = enedis_sim::Quota {
        per_second: 1000,
        per_hour: 100_000,
    };
    Stack::start(options).await.unwrap()
}

/// `linky login` as a process; the scripted person consents for `pdls` while it waits.
async fn login(stack: &Stack, dir: &Path, customer: u8, pdls: &[&str]) -> Output {
    let mut child = linky(dir)
        .args(["--lang", "en", "login", "--proxy", stack.proxy_url()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            text.push_str(&line);
            text.push('\n');
            if line.trim().len() == 9 && line.trim().as_bytes()[4] == b'-' {
                let _ = tx.send(line.trim().to_owned());
            }
        }
        text
    });
    let code =
        tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(20)).unwrap())
            .await
            .unwrap();
    for pdl in pdls {
        stack.consent(&code, customer, pdl).await.unwrap();
    }
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let text = reader.join().unwrap();
    Output {
        stdout: text.into_bytes(),
        ..output
    }
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

    let out = linky(dir.path())
        .args(["--lang", "fr"])
        .args(SYNC)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
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
