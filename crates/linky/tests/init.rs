//! `linky init` as a process: non-interactively with flags, and answering its questions on
//! standard input; against the Conso API of enedis-sim and the Domoticz test double.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{clean, conso_sim, text};

type Dir = linky_stack::TempDir;

fn linky(dir: &Path) -> Command {
    let mut c = clean(env!("CARGO_BIN_EXE_linky"), dir);
    c.arg("--data-dir").arg(dir.join("data"));
    c.arg("--config").arg(dir.join("config.toml"));
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_interactive_init_writes_a_file_that_works() {
    let (_sim, running, token) = conso_sim().await;
    let double = common::domoticz();
    let domoticz = double.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = Dir::new("linky-init").unwrap();
    let out = linky(dir.path())
        .args([
            "--lang",
            "en",
            "init",
            "--non-interactive",
            "--source",
            "conso-api",
        ])
        .args([
            "--conso-api-token",
            &token,
            "--conso-api-url",
            &running.url(),
        ])
        .args(["--domoticz-url", &domoticz.url(), "--offpeak", "22h00-6h00"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("Conso API token kept for: 12345678901234"),
        "{said}"
    );
    assert!(said.contains("Reached Domoticz"), "live check: {said}");
    assert!(
        said.contains("Off-peak hours understood as: 22h00-24h00 0h00-6h00"),
        "grid: {said}"
    );
    assert!(said.contains("Next: `linky sync`"), "{said}");
    let file = dir.path().join("config.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        !written.contains(&token),
        "the token stays in the token file"
    );

    // The file is in force: `config show` reads it back.
    let shown = linky(dir.path()).args(["config", "show"]).output().unwrap();
    let shown = text(&shown);
    assert!(
        shown.contains("schedule = \"22h00-6h00\"") && shown.contains(&domoticz.url()),
        "{shown}"
    );

    // A second run does not overwrite it without --force, and says so before asking anything.
    let again = linky(dir.path())
        .args(["--lang", "en", "init", "--non-interactive"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).contains("--force"), "{}", text(&again));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_answered_on_standard_input() {
    let (_sim, running, token) = conso_sim().await;
    let dir = Dir::new("linky-init-asked").unwrap();
    let mut child = linky(dir.path())
        .args(["--lang", "fr", "init", "--conso-api-url", &running.url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Way in, token, no Domoticz, a wrong schedule then a right one.
    let answers = format!("1\n{token}\n\n25h-3h\n2h00-7h00 samedi 0h00-24h00\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answers.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("Accès : 1 API Conso"), "{said}");
    assert!(
        said.contains("25h"),
        "the wrong schedule is explained: {said}"
    );
    assert!(said.contains("Heures creuses comprises"), "{said}");
    let written = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(
        written.contains("schedule = \"2h00-7h00 samedi 0h00-24h00\""),
        "{written}"
    );
    assert!(
        written.contains("# url = \"http://127.0.0.1:8080\""),
        "no Domoticz: {written}"
    );
}

#[test]
fn without_a_token_a_script_is_told_which_flag() {
    let dir = Dir::new("linky-init-missing").unwrap();
    let out = linky(dir.path())
        .args(["--lang", "en", "init", "--non-interactive"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--conso-api-token"), "{}", text(&out));
    assert!(!dir.path().join("config.toml").exists());
}
