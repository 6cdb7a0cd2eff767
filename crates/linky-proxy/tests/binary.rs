//! The `linky-proxy` binary: settings from flags, environment and file; clear errors; serving.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_linky-proxy"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LINKY_PROXY_") {
            c.env_remove(k);
        }
    }
    c
}

/// The address a started `linky-proxy` prints on its first line (`listening on <url>`).
fn listening_at(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned()
}

#[test]
fn bad_settings_name_the_key_and_never_print_the_secret() {
    let out = bin()
        .args(["--public-url", "proxy.example", "--enedis-client-id", "id"])
        .env("LINKY_PROXY_ENEDIS_CLIENT_SECRET", "hunter2-secret")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("public_url") && err.contains("fix:"), "{err}");
    assert!(!err.contains("hunter2-secret"));
    let out = bin().output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("enedis_client_id"));
    let dir = std::env::temp_dir().join(format!("linky-proxy-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("proxy.toml");
    std::fs::write(&file, "publik_url = \"x\"\n").unwrap();
    let out = bin()
        .args(["--config", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("publik_url"),
        "unknown keys are named"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn serves_with_settings_from_file_environment_and_flags() {
    let dir = std::env::temp_dir().join(format!("linky-proxy-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("proxy.toml");
    std::fs::write(&file, format!("database = \"sqlite://{}\"\nenedis_client_id = \"from-file\"\npublic_url = \"http://wrong.example\"\n", dir.join("p.db").display())).unwrap();
    let mut child = bin()
        .args([
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "http://127.0.0.1:1",
        ])
        .env("LINKY_PROXY_ENEDIS_CLIENT_SECRET", "s")
        .env("LINKY_PROXY_ENEDIS_API_URL", "http://127.0.0.1:9")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
        .spawn()
        .unwrap();
    let url = listening_at(&mut child);
    linky_proxy::upstream::install_tls_provider();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (health, code) = rt.block_on(async {
        let health = reqwest::get(format!("{url}/healthz"))
            .await
            .unwrap()
            .status()
            .as_u16();
        let code: serde_json::Value = reqwest::Client::new()
            .post(format!("{url}/device/code"))
            .form(&[("client_id", "x")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (health, code)
    });
    // SIGTERM, as systemd stops it: a clean end.
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopped = child.wait().unwrap();
    assert!(stopped.success(), "{stopped:?}");
    assert_eq!(health, 200);
    assert_eq!(
        code["verification_uri"], "http://127.0.0.1:1/device",
        "the flag beats the file"
    );
    assert!(dir.join("p.db").exists(), "the database from the file");
    let log = std::fs::read_to_string(dir.join("stderr.log")).unwrap();
    assert!(log.contains("linky-proxy listening"), "{log}");
    assert!(log.contains("linky-proxy stopped"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "a log written to a file carries no colour codes: {log:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Two `linky-proxy` processes on one PostgreSQL database (the test server at
/// `LINKY_TEST_POSTGRES`): a device code asked from one is known to the other; a database URL's
/// password never reaches an error message.
#[test]
fn two_processes_share_one_postgres_database() {
    let admin = std::env::var("LINKY_TEST_POSTGRES").expect(
        "this test needs the PostgreSQL test server: run `.ci/run`, or `.ci/postgres start <dir>` and export LINKY_TEST_POSTGRES",
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt
        .block_on(linky_proxy_postgres::create_test_database(&admin))
        .expect("the test server makes a database");
    let start = || {
        let mut child = bin()
            .args([
                "--database",
                &url,
                "--listen",
                "127.0.0.1:0",
                "--public-url",
                "http://127.0.0.1:1",
                "--enedis-client-id",
                "id",
            ])
            .env("LINKY_PROXY_ENEDIS_CLIENT_SECRET", "s")
            .env("LINKY_PROXY_ENEDIS_API_URL", "http://127.0.0.1:9")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let address = listening_at(&mut child);
        (child, address)
    };
    let (mut one, first) = start();
    let (mut two, second) = start();
    linky_proxy::upstream::install_tls_provider();
    let polled = rt.block_on(async {
        let http = reqwest::Client::new();
        let code: serde_json::Value = http
            .post(format!("{first}/device/code"))
            .form(&[("client_id", "device")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // The other instance knows the code: still waiting for the person.
        let poll: serde_json::Value = http
            .post(format!("{second}/device/token"))
            .form(&[
                ("client_id", "device"),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", code["device_code"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        poll
    });
    one.kill().unwrap();
    two.kill().unwrap();
    let _ = (one.wait(), two.wait());
    assert_eq!(polled["error"], "authorization_pending", "{polled}");

    // A wrong password: the error names the database, not the password.
    let out = bin()
        .args([
            "--database",
            "postgres://linky:hunter2-db@127.0.0.1:1/nothing",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "http://127.0.0.1:1",
            "--enedis-client-id",
            "id",
        ])
        .env("LINKY_PROXY_ENEDIS_CLIENT_SECRET", "s")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("cannot open the database postgres://linky:***@127.0.0.1:1/nothing"),
        "{err}"
    );
    assert!(!err.contains("hunter2-db"), "{err}");
}

/// `linky-proxy admin`: families listed with their meters masked, revoked by meter, the quota
/// shown, expired rows purged; a database of a newer schema refused.
#[test]
fn admin_lists_revokes_purges_and_refuses_a_newer_schema() {
    use linky_proxy_store::{NewGrant, NewToken, ProxyStore};
    let dir = std::env::temp_dir().join(format!("linky-proxy-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("proxy.db");
    let url = format!("sqlite://{}", file.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = linky_proxy_sqlite::SqliteStore::open(&file).unwrap();
        let now = chrono::Utc::now();
        let grant = NewGrant {
            device_code_hash: "dc".into(),
            user_code: "ABCD-EFGH".into(),
            client_id: "a-device".into(),
            created_at: now,
            expires_at: now + chrono::Duration::minutes(10),
            interval_seconds: 5,
            client_address: None,
        };
        assert!(store.create_grant(grant).await.unwrap());
        let id = store
            .grant_by_user_code("ABCD-EFGH", now)
            .await
            .unwrap()
            .unwrap()
            .id;
        let end = now + chrono::Duration::days(30);
        store
            .bind_consent(id, None, &["22516914714270".to_owned()], end, now)
            .await
            .unwrap();
        let token = |hash: &str| NewToken {
            hash: hash.into(),
            expires_at: end,
        };
        store
            .issue_tokens(id, token("a"), token("r"), now)
            .await
            .unwrap();
    });
    let admin = |args: &[&str]| {
        let out = bin()
            .args(["admin", "--db", &url])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, listed, err) = admin(&["grants"]);
    assert!(ok, "{err}");
    assert!(
        listed.contains("22********4270") && listed.contains("live"),
        "{listed}"
    );
    assert!(
        !listed.contains("22516914714270"),
        "meters are masked: {listed}"
    );
    let (_, mine, _) = admin(&["grants", "--meter", "22516914714270"]);
    assert!(mine.contains("1 families"), "{mine}");
    let (ok, revoked, _) = admin(&["revoke", "--meter", "22516914714270"]);
    assert!(ok && revoked.contains("1 families"), "{revoked}");
    let (_, after, _) = admin(&["grants"]);
    assert!(after.contains("revoked"), "{after}");
    let (ok, quota, _) = admin(&["quota"]);
    assert!(ok && quota.contains("not paused"), "{quota}");
    let (ok, purged, _) = admin(&["purge"]);
    assert!(ok && purged.contains("expired rows deleted"), "{purged}");
    let (ok, _, err) = admin(&["revoke", "--family", "999"]);
    assert!(!ok && err.contains("no live family 999"), "{err}");

    // A database from a newer linky-proxy is not touched.
    rusqlite::Connection::open(&file)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let (ok, _, err) = admin(&["grants"]);
    assert!(!ok && err.contains("newer than this linky-proxy"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The sample unit `packaging/linky-proxy.service` is a unit systemd takes (its binary, user
/// and secrets file put where this machine has them).
#[test]
fn the_sample_systemd_unit_verifies() {
    if !std::path::Path::new("/usr/bin/systemd-analyze").exists() {
        panic!("systemd-analyze is needed (Debian package systemd; `.ci/run` installs it)");
    }
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packaging/linky-proxy.service"
    ))
    .unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/linky-proxy") && unit.contains("KillSignal=SIGTERM"));
    let here = unit
        .replace("/usr/bin/linky-proxy", env!("CARGO_BIN_EXE_linky-proxy"))
        .replace("User=linky-proxy", "User=root")
        .replace("Group=linky-proxy", "Group=root")
        .replace(
            "EnvironmentFile=/etc/linky-proxy/secrets.env",
            "EnvironmentFile=-/nonexistent",
        );
    let dir = std::env::temp_dir().join(format!("linky-proxy-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("linky-proxy.service");
    std::fs::write(&path, here).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
