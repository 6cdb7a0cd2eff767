//! The README, followed literally: its quick-start lines (French and English, which must say the
//! same) run as written in a shell, against the Conso API of enedis-sim and the Domoticz test
//! double; then the Debian package is built, unpacked in a scratch root and its unit checked by
//! `systemd-analyze verify`; then the service starts on the packaged template without looping,
//! and stops on a settings error; and the container's entrypoint starts from an empty volume.
//!
//! Two substitutions, and only these: the placeholder token becomes the stand-in's token, and
//! Domoticz's usual address (`http://127.0.0.1:8080`) becomes the test double's. The
//! `cargo install` line is checked word for word and run by `.ci/run` (a second build of the
//! binary here would double the suite's time); this test puts the binary it was built with on
//! `PATH` instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{conso_sim, text};

type Dir = linky_stack::TempDir;

const INSTALL: &str = "cargo install --locked --path crates/linky";
const DOMOTICZ: &str = "http://127.0.0.1:8080";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The lines of every block the README marks for this test.
fn quick_start_blocks() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    readme
        .split("<!-- acceptance: quick-start")
        .skip(1)
        .map(|after| {
            let block = after.split("```sh\n").nth(1).unwrap();
            let block = block.split("```").next().unwrap();
            block.lines().map(str::to_owned).collect()
        })
        .collect()
}

/// A line with its `"<…>"` placeholder replaced.
fn with_token(line: &str, token: &str) -> String {
    match (line.find("\"<"), line.find(">\"")) {
        (Some(a), Some(b)) if a < b => format!("{}'{token}'{}", &line[..a], &line[b + 2..]),
        _ => line.to_owned(),
    }
}

/// A command with none of the caller's linky settings, `linky` on `PATH`, and this home.
fn clean(program: &str, home: &Path, bin: &Path) -> Command {
    let mut c = common::clean(program, home);
    let path = std::env::var("PATH").unwrap_or_default();
    c.env("PATH", format!("{}:{path}", bin.display()));
    c
}

#[test]
fn both_languages_give_the_same_commands() {
    let blocks = quick_start_blocks();
    assert_eq!(
        blocks.len(),
        2,
        "one marked block in French, one in English"
    );
    let same: Vec<Vec<String>> = blocks
        .iter()
        .map(|b| b.iter().map(|l| with_token(l, "T")).collect())
        .collect();
    assert_eq!(same[0], same[1]);
    assert_eq!(blocks[0][0], INSTALL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_start_as_written() {
    let (_sim, enedis, token) = conso_sim().await;
    let double = common::domoticz();
    let domoticz = double.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();

    let home = Dir::new("linky-readme").unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_linky"), bin.join("linky")).unwrap();

    let blocks = quick_start_blocks();
    let english = blocks.last().unwrap().clone();
    for line in english {
        if line == INSTALL {
            continue;
        }
        let line = with_token(&line, &token).replace(DOMOTICZ, &domoticz.url());
        let mut c = clean("sh", home.path(), &bin);
        c.args(["-c", &line]);
        // The Conso API's address (a setting), and a short history so the test stays quick:
        // the gateway is asked at most once a second.
        c.env("LINKY_CONSO_API_URL", enedis.url());
        c.env("LINKY_HISTORY_DAYS", "8");
        c.env("LINKY_DAILY_DAYS", "10");
        c.env("LINKY_MAX_POWER_DAYS", "10");
        c.current_dir(repository());
        let out = tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap();
        assert!(out.status.success(), "`{line}`:\n{}", text(&out));
    }
    // What the person then sees in Domoticz: linky's device for the meter, with its history.
    let listed: serde_json::Value = reqwest::get(format!(
        "{}/json.htm?type=command&param=getdevices",
        domoticz.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let names: Vec<&str> = listed["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["Name"].as_str())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("12345678901234")),
        "{names:?}"
    );
    enedis.shutdown().await;
}

fn run(mut c: Command) -> Output {
    c.output().unwrap()
}

#[test]
fn the_debian_package_installs_a_unit_that_verifies_and_starts_cleanly() {
    let home = Dir::new("linky-deb").unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_linky"), bin.join("linky")).unwrap();
    let out_dir = home.path().join("deb");
    let mut build = clean(
        repository()
            .join("packaging/deb/build-deb")
            .to_str()
            .unwrap(),
        home.path(),
        &bin,
    );
    build.args([
        "--fast",
        "--arch",
        "amd64",
        "--binary",
        env!("CARGO_BIN_EXE_linky"),
    ]);
    build.arg("--out").arg(&out_dir);
    let built = run(build);
    assert!(built.status.success(), "{}", text(&built));
    let deb = String::from_utf8_lossy(&built.stdout).trim().to_owned();

    let fields = run({
        let mut c = Command::new("dpkg-deb");
        c.args(["-f", &deb, "Package", "Architecture", "Depends"]);
        c
    });
    let fields = text(&fields);
    assert!(
        fields.contains("Package: linky") && fields.contains("Architecture: amd64"),
        "{fields}"
    );

    // Installed in a scratch root beside the host's own systemd units, which the verification
    // needs (sysinit.target and the like).
    let root = home.path().join("root");
    let unpacked = run({
        let mut c = Command::new("dpkg-deb");
        c.arg("-x").arg(&deb).arg(&root);
        c
    });
    assert!(unpacked.status.success(), "{}", text(&unpacked));
    let units = root.join("lib/systemd/system");
    for entry in std::fs::read_dir("/lib/systemd/system").unwrap().flatten() {
        let to = units.join(entry.file_name());
        if !to.exists() {
            let _ = std::fs::copy(entry.path(), to);
        }
    }
    let unit = units.join("linky.service");
    let unit_text = std::fs::read_to_string(&unit).unwrap();
    assert!(unit_text.contains("Documentation=file:/usr/share/doc/linky/README.md"));
    assert!(root.join("usr/share/doc/linky/README.md").exists());
    assert!(unit_text.contains("RestartPreventExitStatus=2"));
    let verified = run({
        let mut c = Command::new("systemd-analyze");
        c.arg("verify")
            .arg(format!("--root={}", root.display()))
            .arg(&unit);
        c
    });
    assert!(
        verified.status.success() && verified.stderr.is_empty(),
        "systemd-analyze verify: {}",
        text(&verified)
    );

    // The service as the unit starts it, on the packaged template: it runs, says what to do,
    // and stops cleanly on SIGTERM.
    let template = root.join("etc/linky/config.toml");
    let data = home.path().join("var-lib-linky");
    let mut service = clean(env!("CARGO_BIN_EXE_linky"), home.path(), &bin);
    service
        .env("LINKY_CONFIG", &template)
        .env("LINKY_DATA_DIR", &data)
        .env("LINKY_WEB_LISTEN", "127.0.0.1:0")
        .arg("run")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = service.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the service keeps running on the template"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("linky init"), "{}", text(&out));

    // A settings error: exit code 2 (no restart by the unit), naming the key.
    std::fs::write(&template, "lang = \"xx\"\n").unwrap();
    let mut broken = clean(env!("CARGO_BIN_EXE_linky"), home.path(), &bin);
    broken
        .env("LINKY_CONFIG", &template)
        .env("LINKY_DATA_DIR", &data)
        .arg("run");
    let out = run(broken);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("lang"), "{}", text(&out));
}

#[test]
fn the_container_starts_from_an_empty_volume() {
    let home = Dir::new("linky-container").unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_linky"), bin.join("linky")).unwrap();
    let volume = home.path().join("data");
    std::fs::create_dir_all(&volume).unwrap();
    let mut c = clean(
        repository()
            .join("packaging/container-entrypoint")
            .to_str()
            .unwrap(),
        home.path(),
        &bin,
    );
    c.env("LINKY_CONFIG", volume.join("config.toml"))
        .env("LINKY_DATA_DIR", &volume)
        .env("LINKY_WEB_LISTEN", "0.0.0.0:8765")
        .env("LINKY_WEB_PASSWORD", "a long password")
        .args(["linky", "config", "show"]);
    let out = run(c);
    assert!(out.status.success(), "{}", text(&out));
    assert!(volume.join("config.toml").exists());
    let containerfile = std::fs::read_to_string(repository().join("Containerfile")).unwrap();
    assert!(containerfile.contains("COPY packaging/container-entrypoint /usr/bin/linky-entrypoint"));
}
