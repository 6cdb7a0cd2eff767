//! What the process tests of `linky` share: a command without the caller's settings, the Conso
//! API stand-in with a token, the person's code read from `linky login`'s output.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output};
use std::sync::Arc;
use std::time::Duration;

use enedis_sim::{RunningSimulator, SimConfig, Simulator};

/// The consumption meter the Conso API tokens cover.
pub const CONSO_METER: &str = "12345678901234";

/// `program` with none of the caller's `LINKY_*` or `XDG_*` settings, `home` as its home, and
/// the tests' clock.
pub fn clean(program: impl AsRef<std::ffi::OsStr>, home: &Path) -> Command {
    let mut c = Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("LINKY_") || k.starts_with("XDG_") {
            c.env_remove(k);
        }
    }
    c.env("HOME", home);
    c.env("LINKY_TEST_NOW", linky_stack::test_now());
    // Tests never reach the internet: the Tempo calendar is off unless a test points it at the
    // simulator.
    c.env("LINKY_COLOURS", "off");
    c
}

/// Standard output then standard error, for assertions and their messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A simulator after the v5 cut-off, roomy quotas, on the tests' clock.
pub fn after_v5() -> SimConfig {
    SimConfig {
        v5_enabled: false,
        subscribed_services_delay_seconds: 0,
        quota: enedis_sim::Quota {
            per_second: 1000,
            per_hour: 100_000,
        },
        ..SimConfig::default()
    }
}

/// The Conso API token the stand-in gives for `meters`.
pub async fn conso_token(sim: &RunningSimulator, meters: &[&str]) -> String {
    linky_enedis::install_tls_provider();
    let query: Vec<String> = meters.iter().map(|m| format!("prm={m}")).collect();
    reqwest::get(format!(
        "{}/_sim/conso-api/token?{}",
        sim.url(),
        query.join("&")
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap()
}

/// A simulator serving the Conso API, and a token for [`CONSO_METER`].
pub async fn conso_sim() -> (Simulator, RunningSimulator, String) {
    let sim = Simulator::new(after_v5(), Arc::new(linky_stack::test_clock()));
    let running = sim.bind(([127, 0, 0, 1], 0).into()).await.unwrap();
    let token = conso_token(&running, &[CONSO_METER]).await;
    (sim, running, token)
}

/// A running `linky login`: the code it shows the person, and its whole output once it ends.
pub struct LoginProcess {
    child: Child,
    reader: std::thread::JoinHandle<String>,
    code: std::sync::mpsc::Receiver<String>,
}

impl LoginProcess {
    /// Starts `command` (a `linky login` with piped output).
    pub fn start(mut command: Command) -> LoginProcess {
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, code) = std::sync::mpsc::channel();
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
        LoginProcess {
            child,
            reader,
            code,
        }
    }

    /// The `XXXX-XXXX` code, once shown.
    pub async fn code(&self) -> String {
        let code = &self.code;
        tokio::task::block_in_place(|| code.recv_timeout(Duration::from_secs(20)).unwrap())
    }

    /// Waits for the end; standard output holds everything it printed.
    pub async fn finish(self) -> Output {
        let LoginProcess { child, reader, .. } = self;
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        Output {
            stdout: reader.join().unwrap().into_bytes(),
            ..output
        }
    }
}

/// A `linky sync` over a short history: enough for every kind of data, quick through the Conso
/// API's one call a second.
pub const SHORT_SYNC: &[&str] = &[
    "sync",
    "--history-days",
    "8",
    "--daily-days",
    "10",
    "--max-power-days",
    "10",
    "--retry-base-ms",
    "10",
];

/// The Domoticz test double, trusting loopback, its clock on the tests' day.
pub fn domoticz() -> domoticz_double::DomoticzDouble {
    domoticz_double::DomoticzDouble::new(domoticz_double::DoubleOptions {
        trust_loopback: true,
        // The server's local time, on the test clock's day.
        fixed_now: Some("2026-11-28 12:00:00".into()),
        ..Default::default()
    })
    .unwrap()
}
