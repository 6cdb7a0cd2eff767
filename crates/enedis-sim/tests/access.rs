//! Tokens, quotas, injected faults, the request log and the binary itself.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use chrono::Duration;
use common::*;
use enedis_protocol::error::{EnedisError, ErrorKind};
use enedis_sim::{Credentials, Fault, FaultSet, Quota, Scope, SimConfig};
use serde_json::{json, Value};

const NOW: &str = "2026-11-28T10:00:00Z";
const PDL: &str = "22516914714270";

fn with_credentials() -> SimConfig {
    SimConfig {
        credentials: Some(Credentials {
            client_id: "test-app".into(),
            client_secret: "s3cret".into(),
        }),
        ..roomy()
    }
}

#[tokio::test]
async fn token_endpoint_accepts_form_basic_and_query_credentials() {
    let h = Harness::start(roomy(), NOW).await;
    let token = h.url("/oauth2/v3/token");
    // Any non-empty pair without configured credentials (the harness got one through the form).
    let r = h
        .http
        .post(&token)
        .basic_auth("app", Some("secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 12600);
    assert_eq!(body["scope"], "");
    assert_eq!(body["access_token"].as_str().unwrap().len(), 64);
    let r = h
        .http
        .post(format!(
            "{token}?grant_type=client_credentials&client_id=a&client_secret=b"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "credentials in the query string");

    let strict = Harness::start(with_credentials(), NOW).await;
    let token = strict.url("/oauth2/v3/token");
    for form in [
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "test-app"),
            ("client_secret", "wrong"),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "other"),
            ("client_secret", "s3cret"),
        ],
        vec![("grant_type", "client_credentials")],
    ] {
        let r = strict.http.post(&token).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 401, "{form:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
    }
    let ok = strict
        .http
        .post(&token)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "test-app"),
            ("client_secret", "s3cret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let r = strict
        .http
        .post(&token)
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "test-app"),
            ("client_secret", "s3cret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let r = strict
        .http
        .post(&token)
        .form(&[("client_id", "test-app"), ("client_secret", "s3cret")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    let r = strict
        .http
        .post(&token)
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn data_calls_need_a_live_token() {
    let h = Harness::start(roomy(), NOW).await;
    let url = h.url(DAILY);
    let query = [
        ("usage_point_id", PDL),
        ("start", "2026-11-20"),
        ("end", "2026-11-21"),
    ];
    let r = h.http.get(&url).query(&query).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let www = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    let e = EnedisError::from_response(401, &r.text().await.unwrap(), Some(&www));
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert_eq!(e.code, "900901");
    let r = h
        .http
        .get(&url)
        .query(&query)
        .bearer_auth("made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
    // Tokens last 12 600 s.
    h.clock.advance(Duration::seconds(12_599));
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
    h.clock.advance(Duration::seconds(1));
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        401
    );
}

#[tokio::test]
async fn quotas_answer_429_with_the_2026_body() {
    let config = SimConfig {
        quota: Quota {
            per_second: 2,
            per_hour: 3,
        },
        ..SimConfig::default()
    };
    let h = Harness::start(config, NOW).await;
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
    let (s, b) = h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await;
    assert_eq!(s, 429);
    assert_eq!(b["code"], "900804");
    assert_eq!(b["message"], "Message throttled out");
    assert_eq!(b["nextAccessTime"], "2026-Nov-28 10:00:01+0000 UTC");
    assert_eq!(
        EnedisError::from_response(429, &b.to_string(), None).kind(),
        ErrorKind::Quota
    );
    h.clock.advance(Duration::seconds(1));
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
    let (s, b) = h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await;
    assert_eq!(
        (s, b["nextAccessTime"].as_str()),
        (429, Some("2026-Nov-28 11:00:00+0000 UTC")),
        "hourly quota until the top of the hour"
    );
    h.clock.set(at("2026-11-28T11:00:00Z"));
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
}

async fn post_faults(h: &Harness, faults: Value) -> u16 {
    h.http
        .post(h.url("/_sim/faults"))
        .json(&faults)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn faults_are_injected_by_scope_and_changed_at_run_time() {
    let h = Harness::start(roomy(), NOW).await;
    // Errors for one meter only.
    assert_eq!(
        post_faults(
            &h,
            json!({"faults": [{"kind": "error", "rate": 1.0, "pdl": PDL}]})
        )
        .await,
        200
    );
    let (s, b) = h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await;
    assert_eq!((s, error_code(&b)), (500, "technical_error"));
    assert_eq!(b["error_description"], "Technical error. Please try later.");
    assert_eq!(
        h.metering(DAILY, "11453290002823", "2026-11-20", "2026-11-21")
            .await
            .0,
        200
    );
    // A maintenance window around now (11:00 Paris) for one path.
    let maintenance =
        json!({"faults": [{"kind": "maintenance", "from": "10:30", "to": "11:30", "path": CURVE}]});
    assert_eq!(post_faults(&h, maintenance).await, 200);
    assert_eq!(
        h.metering(CURVE, PDL, "2026-11-20", "2026-11-21").await.0,
        503
    );
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
    h.clock.advance(Duration::hours(1));
    assert_eq!(
        h.metering(CURVE, PDL, "2026-11-20", "2026-11-21").await.0,
        200,
        "window over"
    );
    // Reset: the client sees a transport error, not an HTTP answer.
    h.sim.set_faults(FaultSet {
        faults: vec![Fault::Reset {
            rate: 1.0,
            scope: Scope::default(),
        }],
    });
    let err = h
        .http
        .get(h.url(DAILY))
        .bearer_auth(&h.token)
        .query(&[
            ("usage_point_id", PDL),
            ("start", "2026-11-20"),
            ("end", "2026-11-21"),
        ])
        .send()
        .await
        .unwrap_err();
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    // At the socket: a reset (RST), not a polite close.
    let raw = {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(h.running.addr()).unwrap();
        let request = format!("GET {DAILY}?usage_point_id={PDL}&start=2026-11-20&end=2026-11-21 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", h.token);
        stream.write_all(request.as_bytes()).unwrap();
        let mut buf = Vec::new();
        tokio::task::spawn_blocking(move || stream.read_to_end(&mut buf).map(|_| buf))
            .await
            .unwrap()
    };
    assert_eq!(
        raw.map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::ConnectionReset)
    );
    // Truncate: headers arrive, the body breaks off.
    h.sim.set_faults(FaultSet {
        faults: vec![Fault::Truncate {
            rate: 1.0,
            scope: Scope::default(),
        }],
    });
    let r = h
        .http
        .get(h.url(DAILY))
        .bearer_auth(&h.token)
        .query(&[
            ("usage_point_id", PDL),
            ("start", "2026-11-01"),
            ("end", "2026-11-21"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.is_err(), "truncated body");
    // Latency: answers still come (no timing assertion: those belong to benchmarks).
    h.sim.set_faults(FaultSet {
        faults: vec![Fault::Latency {
            ms: 20,
            scope: Scope::default(),
        }],
    });
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
    // Bad fault sets are refused and change nothing.
    assert_eq!(
        post_faults(&h, json!({"faults": [{"kind": "error", "rate": 3}]})).await,
        400
    );
    assert_eq!(
        post_faults(&h, json!({"faults": [{"kind": "volcano"}]})).await,
        400
    );
    let current: Value = h
        .http
        .get(h.url("/_sim/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["faults"][0]["kind"], "latency");
    // Partial error rates hit some calls only.
    h.sim.set_faults(FaultSet {
        faults: vec![Fault::Error {
            rate: 0.5,
            scope: Scope::default(),
        }],
    });
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0);
    }
    assert!(
        statuses.contains(&200) && statuses.contains(&500),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn every_call_is_logged() {
    let h = Harness::start(roomy(), NOW).await;
    h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await;
    h.metering(CURVE, "32320647321714", "2026-11-20", "2026-11-21")
        .await;
    h.sim.set_faults(FaultSet {
        faults: vec![Fault::Reset {
            rate: 1.0,
            scope: Scope {
                pdl: Some("11453290002823".into()),
                path: None,
            },
        }],
    });
    let _ = h
        .http
        .get(h.url(DAILY))
        .bearer_auth(&h.token)
        .query(&[
            ("usage_point_id", "11453290002823"),
            ("start", "2026-11-20"),
            ("end", "2026-11-21"),
        ])
        .send()
        .await;
    let _ = h
        .http
        .get(h.url(DAILY))
        .query(&[("usage_point_id", PDL)])
        .send()
        .await;
    let log: Value = h
        .http
        .get(h.url("/_sim/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 5, "token + 4 data calls: {log:?}");
    assert_eq!(log[0]["path"], "/oauth2/v3/token");
    assert_eq!(log[0]["client_id"], "test-app");
    assert_eq!(log[1]["time"], "2026-11-28T10:00:00Z");
    assert_eq!(log[1]["method"], "GET");
    assert_eq!(log[1]["pdl"], PDL);
    assert_eq!(
        log[1]["query"],
        "usage_point_id=22516914714270&start=2026-11-20&end=2026-11-21"
    );
    assert_eq!(log[1]["status"], 200);
    assert_eq!(log[1]["client_id"], "test-app");
    assert_eq!(log[2]["status"], 404);
    assert_eq!(
        (log[3]["status"].as_u64(), log[3]["fault"].as_str()),
        (Some(0), Some("reset"))
    );
    assert_eq!(
        (log[4]["status"].as_u64(), log[4]["client_id"].as_str()),
        (Some(401), None)
    );
    let health: Value = h
        .http
        .get(h.url("/_sim/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ready");
}

#[tokio::test]
async fn consent_can_be_revoked_at_run_time() {
    let h = Harness::start(roomy(), NOW).await;
    assert_eq!(
        h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await.0,
        200
    );
    h.sim.revoke_consent(PDL);
    let (s, b) = h.metering(DAILY, PDL, "2026-11-20", "2026-11-21").await;
    assert_eq!((s, error_code(&b)), (403, "ADAM-DC-0008"));
}

#[test]
fn the_binary_prints_its_address_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_enedis-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--now",
            "2026-11-28T10:00:00Z",
            "--freeze",
            "--seed",
            "5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));
    install_tls_provider();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!("{url}/_sim/health"))
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(status, 200);
    let bad = Command::new(env!("CARGO_BIN_EXE_enedis-sim"))
        .args(["--fault-maintenance", "2h-4h"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("HH:MM-HH:MM"));
}
