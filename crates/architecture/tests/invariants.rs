//! The invariants ARCHITECTURE.md states, checked on the repository itself. Each test says which
//! sentence of ARCHITECTURE.md it guards; when one fails, either the change broke the design or
//! the design changed, and then ARCHITECTURE.md and this table change in the same commit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace crates each crate may depend on (normal dependencies, not dev ones): a layered
/// graph, the domain at the bottom, the binaries at the top.
const ALLOWED: &[(&str, &[&str])] = &[
    ("linky-core", &[]),
    ("settings-layers", &[]),
    ("heap-release", &[]),
    ("stderr-log", &[]),
    ("enedis-protocol", &["linky-core"]),
    ("day-colours", &["linky-core"]),
    (
        "enedis-sim",
        &["linky-core", "enedis-protocol", "day-colours", "stderr-log"],
    ),
    ("enedis-client", &["linky-core", "enedis-protocol"]),
    ("linky-store", &["linky-core"]),
    (
        "linky-sync",
        &["linky-core", "linky-store", "enedis-protocol"],
    ),
    (
        "linky-enedis",
        &[
            "linky-core",
            "linky-sync",
            "enedis-protocol",
            "enedis-client",
            "day-colours",
        ],
    ),
    ("linky-domoticz", &["linky-core", "linky-store"]),
    ("linky-web", &["linky-core", "linky-store", "heap-release"]),
    ("linky-proxy-store", &[]),
    ("linky-proxy-sqlite", &["linky-proxy-store"]),
    ("linky-proxy-postgres", &["linky-proxy-store"]),
    (
        "linky-proxy",
        &[
            "linky-core",
            "enedis-protocol",
            "enedis-client",
            "linky-proxy-store",
            "linky-proxy-sqlite",
            "linky-proxy-postgres",
            "settings-layers",
            "stderr-log",
        ],
    ),
    (
        "linky-stack",
        &[
            "linky-core",
            "linky-enedis",
            "linky-proxy",
            "linky-proxy-sqlite",
            "linky-proxy-postgres",
            "enedis-sim",
        ],
    ),
    (
        "linky",
        &[
            "linky-core",
            "enedis-protocol",
            "day-colours",
            "enedis-sim",
            "linky-store",
            "linky-sync",
            "linky-enedis",
            "linky-domoticz",
            "linky-web",
            "linky-stack",
            "settings-layers",
            "heap-release",
            "stderr-log",
        ],
    ),
    ("domoticz-double", &[]),
    ("headless-chromium", &[]),
    ("architecture", &[]),
];

fn crates() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    out
}

/// The workspace crates named in a manifest's `[dependencies]`.
fn workspace_dependencies(manifest: &str, workspace: &BTreeSet<String>) -> BTreeSet<String> {
    let mut inside = false;
    let mut found = BTreeSet::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if !inside {
            continue;
        }
        let name = line
            .split(|c: char| c == '=' || c == '.' || c.is_whitespace())
            .next()
            .unwrap_or_default();
        if workspace.contains(name) {
            found.insert(name.to_owned());
        }
    }
    found
}

/// "The crate graph: no cycles, nothing imports upward" (ARCHITECTURE.md, code map).
#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    let all = crates();
    let workspace: BTreeSet<String> = all.iter().map(|(n, _)| n.clone()).collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (name, dir) in &all {
        let Some(may) = allowed.get(name.as_str()) else {
            wrong.push(format!(
                "{name}: a new crate; give it its place in ALLOWED and in ARCHITECTURE.md"
            ));
            continue;
        };
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        for dependency in workspace_dependencies(&manifest, &workspace) {
            if !may.contains(&dependency.as_str()) {
                wrong.push(format!("{name} depends on {dependency}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against the layering:\n{}",
        wrong.join("\n")
    );
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out
}

/// The lines of `text` that are code (comments left out), with their numbers.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
}

/// Finds `needles` in the code of the `src` folders of the crates `searched` picks.
fn find_in_sources(needles: &[&str], searched: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (name, dir) in crates() {
        if !searched(&name) {
            continue;
        }
        for (path, text) in sources(&dir.join("src")) {
            for (n, line) in code_lines(&text) {
                for needle in needles {
                    if line.contains(needle) {
                        found.push(format!(
                            "{}:{n}: {needle}",
                            path.strip_prefix(root()).unwrap_or(&path).display()
                        ));
                    }
                }
            }
        }
    }
    found
}

/// "Only this crate knows Enedis JSON" (ARCHITECTURE.md, `enedis-protocol`). The simulator
/// builds its bodies with enedis-protocol's types and may name their fields.
#[test]
fn enedis_json_is_read_and_written_only_in_enedis_protocol() {
    let keys = [
        "\"meter_reading\"",
        "\"interval_reading\"",
        "\"reading_type\"",
        "\"nextAccessTime\"",
        "\"grandeur\"",
        "\"idPrm\"",
        "\"customer\"",
        "\"usage_points\"",
        "\"offpeak_hours\"",
    ];
    let found = find_in_sources(&keys, |c| {
        !["enedis-protocol", "enedis-sim", "architecture"].contains(&c)
    });
    assert!(
        found.is_empty(),
        "Enedis JSON outside enedis-protocol:\n{}",
        found.join("\n")
    );
}

/// "No network, disk, environment or global state" in linky-core (ARCHITECTURE.md).
#[test]
fn the_core_does_no_io() {
    let io = [
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        "tokio",
        "reqwest",
        "rusqlite",
        "File::",
        "static mut",
    ];
    let found = find_in_sources(&io, |c| c == "linky-core");
    assert!(found.is_empty(), "I/O in linky-core:\n{}", found.join("\n"));
}

/// "Handlers never write SQL" and "only `main.rs` names the SQLite backend" (ARCHITECTURE.md,
/// the proxy).
#[test]
fn the_proxy_writes_no_sql_and_names_its_backend_once() {
    let dir = root().join("crates/linky-proxy/src");
    let mut wrong = Vec::new();
    for (path, text) in sources(&dir) {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for (n, line) in code_lines(&text) {
            for sql in ["SELECT ", "INSERT ", "UPDATE ", "DELETE FROM"] {
                if line.contains(sql) {
                    wrong.push(format!("{file}:{n}: SQL"));
                }
            }
            for backend in ["linky_proxy_sqlite", "linky_proxy_postgres"] {
                if line.contains(backend) && file != "main.rs" {
                    wrong.push(format!("{file}:{n}: names a storage backend"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The dashboard reads the same energy model as the Domoticz push and never imports it
/// (ARCHITECTURE.md, linky-web).
#[test]
fn the_dashboard_does_not_use_the_domoticz_writer() {
    let found = find_in_sources(&["linky_domoticz::"], |c| c == "linky-web");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The checks above can fail: each finds what it looks for in a planted example.
#[test]
fn the_checks_catch_what_they_look_for() {
    let workspace: BTreeSet<String> = ["linky-core", "linky-domoticz"].map(String::from).into();
    let manifest = "[dependencies]\nlinky-core.workspace = true\nlinky-domoticz = { path = \"x\" }\n[dev-dependencies]\n";
    assert_eq!(
        workspace_dependencies(manifest, &workspace),
        ["linky-core", "linky-domoticz"].map(String::from).into()
    );
    let code = "// std::fs in a comment\nlet f = std::fs::read(p);";
    let lines: Vec<(usize, &str)> = code_lines(code)
        .filter(|(_, l)| l.contains("std::fs"))
        .collect();
    assert_eq!(lines, [(2, "let f = std::fs::read(p);")]);
}
