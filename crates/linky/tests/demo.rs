//! `linky demo` as a process: it downloads, serves its page, and stops cleanly on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn demo_serves_then_stops_cleanly_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linky"))
        .args([
            "--lang",
            "en",
            "demo",
            "--port",
            "0",
            "--history-days",
            "30",
        ])
        .env_remove("LINKY_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut folder = None;
    let mut page = None;
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(f) = line.trim().strip_prefix("temporary folder: ") {
            folder = Some(std::path::PathBuf::from(f));
        }
        if let Some(url) = line.strip_prefix("Demo page: ") {
            page = Some(url.trim().to_owned());
            break;
        }
    }
    let page = page.unwrap_or_else(|| panic!("no page line in:\n{seen}"));
    let folder = folder.unwrap();
    assert!(folder.exists());
    assert!(
        seen.contains("12345678901234") && seen.contains("Enedis calls:"),
        "{seen}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        linky_enedis::install_tls_provider();
        let r = reqwest::get(&page).await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let status: serde_json::Value = reqwest::get(format!("{page}api/status"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let meters: Vec<&str> = status["meters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["pdl"].as_str().unwrap())
            .collect();
        assert_eq!(meters, ["10284856584123", "12345678901234"], "{status}");
        // The dashboard in headless Chromium, as a user opens it after the demo's download.
        let browser = headless_chromium::Browser::start(1280, 900).await.unwrap();
        browser.open(&page).await.unwrap();
        let ready = browser
            .wait_for("document.body.dataset.ready", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(ready, "true");
        // 30 days of history: 30 days of the first meter, each stacked by tariff.
        let days = browser
            .script("return Number(document.querySelector('#chart-day svg').dataset.points);")
            .await
            .unwrap();
        assert!(days.as_u64().unwrap() >= 28, "{days}");
        browser
            .screenshot(
                &std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo/dashboard.png"),
            )
            .await
            .unwrap();
        let console = browser.console().await.unwrap();
        assert!(
            console.iter().all(|m| m.level != "SEVERE"),
            "console errors: {console:?}"
        );
    });
    // Ctrl-C.
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(rest.iter().any(|l| l.contains("Demo stopped")), "{rest:?}");
    std::thread::sleep(Duration::from_millis(50));
    assert!(!folder.exists(), "the temporary folder is removed");
}

#[test]
fn ctrl_c_during_the_backfill_also_stops_and_cleans_up() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linky"))
        .args(["--lang", "en", "demo", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut folder = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(f) = line.trim().strip_prefix("temporary folder: ") {
            folder = Some(std::path::PathBuf::from(f));
        }
        if line.starts_with("Downloading") {
            break;
        }
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success());
    assert!(rest.iter().any(|l| l.contains("Demo stopped")), "{rest:?}");
    assert!(!folder.unwrap().exists());
}

#[test]
fn a_taken_port_is_named_before_anything_is_downloaded() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_linky"))
        .args([
            "--lang",
            "en",
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env_remove("LINKY_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("port {port} is already in use")) && stderr.contains("--port"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("Downloading"),
        "nothing was downloaded: {stdout}"
    );
}
