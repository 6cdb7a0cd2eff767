//! A store and a settings file written by the previous version (testdata/previous-version,
//! made by linky at commit 13b9509) open and work unchanged with this one.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{clean, text};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/previous-version")
}

fn linky(dir: &Path) -> Command {
    let mut c = clean(env!("CARGO_BIN_EXE_linky"), dir);
    c.arg("--config").arg(dir.join("config.toml"));
    c.arg("--data-dir").arg(dir.join("data"));
    c
}

#[test]
fn the_previous_versions_files_work_unchanged() {
    let dir = linky_stack::TempDir::new("linky-previous").unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::copy(
        fixtures().join("config.toml"),
        dir.path().join("config.toml"),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("linky.db"),
        dir.path().join("data/linky.db"),
    )
    .unwrap();

    let shown = linky(dir.path()).args(["config", "show"]).output().unwrap();
    assert!(shown.status.success(), "{}", text(&shown));
    assert!(
        text(&shown).contains("schedule = \"22h00-6h00\""),
        "{}",
        text(&shown)
    );

    let status = linky(dir.path()).arg("status").output().unwrap();
    assert!(status.status.success(), "{}", text(&status));
    let said = text(&status);
    assert!(said.contains("12345678901234"), "{said}");
    assert!(
        said.contains("2026-11-29"),
        "the daemon's next sync is read: {said}"
    );

    let export = linky(dir.path())
        .args([
            "export",
            "--from",
            "2026-11-14",
            "--to",
            "2026-11-27",
            "--step",
            "day",
        ])
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", text(&export));
    let csv = String::from_utf8_lossy(&export.stdout).into_owned();
    assert_eq!(csv.lines().count(), 15, "a header and 14 days: {csv}");

    // The run errors kept as text by that version are rows now.
    let store = linky_store::Store::open(&dir.path().join("data/linky.db")).unwrap();
    let totals = store.run_totals(None).unwrap();
    assert_eq!(totals.errors.get("wrong_direction"), Some(&1));
    assert_eq!(totals.calls, 9);
}
