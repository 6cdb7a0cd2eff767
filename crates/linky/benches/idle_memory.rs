//! Resident memory of `linky run` when idle (it runs on small boards; target: 15 MB or less).
//! Starts the daemon against a proxy that does not answer, so it fails its first sync and waits
//! for the retry, then reads its VmRSS. Run with `cargo bench -p linky --bench idle_memory`.

use std::process::{Command, Stdio};
use std::time::Duration;

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

fn main() {
    let dir = std::env::temp_dir().join(format!("linky-idle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let tokens = r#"{"families":[{"proxy_url":"http://127.0.0.1:9","client_id":"linky","access_token":"a","refresh_token":"r","expires_at":"2030-01-01T00:00:00Z","meters":["22516914714270"]}]}"#;
    std::fs::write(dir.join("tokens.json"), tokens).expect("tokens");
    let mut child = Command::new(env!("CARGO_BIN_EXE_linky"))
        .args([
            "--data-dir",
            dir.to_str().expect("path"),
            "run",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("HOME", &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("linky run");
    std::thread::sleep(Duration::from_secs(4));
    let rss = rss_kb(child.id(), "VmRSS:");
    let peak = rss_kb(child.id(), "VmHWM:");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    match (rss, peak) {
        (Some(rss), Some(peak)) => println!(
            "linky run, idle: resident {:.1} MB (peak {:.1} MB); target 15 MB or less",
            rss as f64 / 1024.0,
            peak as f64 / 1024.0
        ),
        _ => println!("linky run, idle: /proc not readable here"),
    }
}
