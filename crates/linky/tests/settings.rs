//! Settings precedence (file, then environment, then flags) and validation, through the binary.

use std::process::{Command, Output};

type Dir = linky_stack::TempDir;

fn dir(name: &str) -> Dir {
    Dir::new(&format!("linky-settings-{name}")).expect("temporary folder")
}

fn linky(home: &Dir, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_linky"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LINKY_") || k.starts_with("XDG_") {
            c.env_remove(k);
        }
    }
    c.env("HOME", home.path());
    c.envs(env.iter().copied());
    c.args(args).output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn file_then_environment_then_flags() {
    let home = dir("precedence");
    let config_dir = home.path().join(".config/linky");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("config.toml"), "proxy = \"https://from-file.example\"\ndata_dir = \"/from/file\"\n[sync]\nhistory_days = 100\ndaily_days = 400\n[offpeak]\nschedule = \"22h-6h\"\n").unwrap();
    // The default file is read.
    let (out, err) = text(&linky(&home, &[], &["config", "show"]));
    assert!(
        out.contains("history_days = 100")
            && out.contains("daily_days = 400")
            && out.contains("schedule = \"22h-6h\""),
        "{out}{err}"
    );
    assert!(
        out.contains("max_power_days = 1095"),
        "defaults fill the rest"
    );
    // The environment beats the file.
    let (out, _) = text(&linky(
        &home,
        &[
            ("LINKY_HISTORY_DAYS", "200"),
            ("LINKY_DATA_DIR", "/from/env"),
        ],
        &["config", "show"],
    ));
    assert!(
        out.contains("history_days = 200")
            && out.contains("daily_days = 400")
            && out.contains("/from/env"),
        "{out}"
    );
    // A flag beats the environment.
    let (out, _) = text(&linky(
        &home,
        &[("LINKY_DATA_DIR", "/from/env")],
        &["--data-dir", "/from/flag", "config", "show"],
    ));
    assert!(out.contains("/from/flag"), "{out}");
    let (_, err) = text(&linky(
        &home,
        &[("LINKY_HISTORY_DAYS", "200")],
        &["sync", "--history-days", "9999"],
    ));
    assert!(
        err.contains("sync.history_days") && err.contains("9999"),
        "the flag's value is the one checked: {err}"
    );
    // --config names another file, which must exist.
    let other = home.path().join("other.toml");
    std::fs::write(&other, "[sync]\nhistory_days = 30\n").unwrap();
    let (out, _) = text(&linky(
        &home,
        &[],
        &["--config", other.to_str().unwrap(), "config", "show"],
    ));
    assert!(out.contains("history_days = 30"), "{out}");
    let (out, _) = text(&linky(
        &home,
        &[("LINKY_CONFIG", other.to_str().unwrap())],
        &["config", "show"],
    ));
    assert!(out.contains("history_days = 30"), "{out}");
    let o = linky(
        &home,
        &[],
        &["--config", "/nonexistent.toml", "config", "show"],
    );
    assert_eq!(o.status.code(), Some(2));
    // Secrets are masked; the language setting applies.
    let (out, _) = text(&linky(
        &home,
        &[
            ("LINKY_ENEDIS_CLIENT_SECRET", "hunter2-secret"),
            ("LINKY_DOMOTICZ_USER", "admin"),
            ("LINKY_DOMOTICZ_PASSWORD", "hunter2-password"),
            ("LINKY_DOMOTICZ_TOKEN", "hunter2-token"),
            ("LINKY_LANG", "en"),
        ],
        &["config", "show"],
    ));
    assert!(
        out.contains("client_secret = \"***\"")
            && out.contains("password = \"***\"")
            && !out.contains("hunter2"),
        "{out}"
    );
}

#[test]
fn invalid_settings_name_the_key_the_problem_and_the_fix_in_both_languages() {
    let home = dir("invalid");
    let file = home.path().join("bad.toml");
    for (content, key) in [
        ("[sync]\nhistory_days = 1\n", "sync.history_days"),
        (
            "[offpeak]\nschedule = \"weekend 8h-9h 123\"\n",
            "offpeak.schedule",
        ),
        (
            "[dashboard]\nprimary = \"peak_week\"\n",
            "dashboard.primary",
        ),
        (
            "[daemon]\nwindow_start = \"12:00\"\nwindow_end = \"09:00\"\n",
            "daemon.window_end",
        ),
        ("[sync]\nhistroy_days = 3\n", "histroy_days"),
        ("lang = \"de\"\n", "lang"),
    ] {
        std::fs::write(&file, content).unwrap();
        let o = linky(
            &home,
            &[],
            &["--config", file.to_str().unwrap(), "config", "show"],
        );
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{content}");
        assert!(err.contains(key), "{content}: {err}");
        assert!(
            err.contains("linky : erreur :") && err.contains("linky: error:"),
            "{err}"
        );
    }
    let (_, err) = text(&linky(
        &home,
        &[("LINKY_MAX_RATE", "fast")],
        &["config", "show"],
    ));
    assert!(err.contains("LINKY_MAX_RATE"), "{err}");
}

/// The README's `[[tariff.prices]]` examples (French and English) are settings linky takes, and
/// a wrong price names its key in both languages.
#[test]
fn the_readme_price_examples_are_valid_settings() {
    let home = dir("prices");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter(|b| b.starts_with("[[tariff.prices]]"))
        .collect();
    assert_eq!(blocks.len(), 2, "one example in each language");
    for block in blocks {
        let file = home.path().join("prices.toml");
        std::fs::write(&file, block).unwrap();
        let out = linky(
            &home,
            &[],
            &["--config", file.to_str().unwrap(), "config", "show"],
        );
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(stdout.contains("red_peak = \"0.7060\""), "{stdout}");
        let wrong = block.replace("0.7060", "0.70.60");
        std::fs::write(&file, wrong).unwrap();
        let out = linky(
            &home,
            &[],
            &["--config", file.to_str().unwrap(), "config", "show"],
        );
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr.contains("tariff.prices[1].red_peak"), "{stderr}");
    }
}
