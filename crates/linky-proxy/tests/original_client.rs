//! The original plugin's request sequence (seed-spec §2.1), byte for byte: its form encoding
//! (keys raw, values quoted with `/` safe), its headers on every request (even
//! `Content-Type: application/x-www-form-urlencoded` on GETs), its refresh with
//! `usage_points_id`. It must pass unchanged.

mod common;

use common::*;
use serde_json::Value;

const UA: &str = "DomoticzLinkyPlugin/2.6.0";

/// Python's `urllib.parse.quote(value, safe="/")`.
fn quote(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The plugin's `dictToQuotedString`: insertion order, keys not encoded.
fn plugin_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn plugin_request(s: &Setup, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    s.http
        .request(method, s.url(path))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("User-Agent", UA)
}

#[tokio::test]
async fn the_original_plugin_sequence_works_unchanged() {
    let s = Setup::start().await;
    // 1. Device code.
    let r = plugin_request(&s, reqwest::Method::POST, "/device/code")
        .body(plugin_form(&[("client_id", DEVICE)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let code: Value = r.json().await.unwrap();
    for key in [
        "device_code",
        "user_code",
        "verification_uri",
        "expires_in",
        "interval",
    ] {
        assert!(code.get(key).is_some(), "{key}");
    }
    let device_code = code["device_code"].as_str().unwrap();
    let poll = plugin_form(&[
        ("client_id", DEVICE),
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
    ]);
    assert!(poll.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"));

    // 2. Polls while the person has not consented: authorization_pending (HTTP 400).
    let r = plugin_request(&s, reqwest::Method::POST, "/device/token")
        .body(poll.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "authorization_pending"
    );

    // The person consents for two meters (the original's users with solar panels).
    let user = code["user_code"].as_str().unwrap();
    assert_eq!(s.person(user, 3, "12345678901234", true).await.0, 200);
    assert_eq!(s.person(user, 3, "10284856584123", true).await.0, 200);

    // 3. The next poll (the plugin polls about every 10 s) gets the tokens.
    s.proxy_clock.advance(chrono::Duration::seconds(10));
    let r = plugin_request(&s, reqwest::Method::POST, "/device/token")
        .body(poll)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    let meters: Vec<&str> = tokens["usage_points_id"]
        .as_str()
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(meters, ["12345678901234", "10284856584123"]);
    let authorization = format!(
        "{} {}",
        tokens["token_type"].as_str().unwrap(),
        tokens["access_token"].as_str().unwrap()
    );

    // 4. The three data calls the plugin makes, query in its order.
    for (path, pdl) in [
        (
            "/metering_data_clc/v5/consumption_load_curve",
            "12345678901234",
        ),
        (
            "/metering_data_dcmp/v5/daily_consumption_max_power",
            "12345678901234",
        ),
        (
            "/metering_data_plc/v5/production_load_curve",
            "10284856584123",
        ),
    ] {
        let (start, end) = if path.contains("max_power") {
            ("2025-11-28", "2026-11-28")
        } else {
            ("2026-11-21", "2026-11-28")
        };
        let query = plugin_form(&[("start", start), ("end", end), ("usage_point_id", pdl)]);
        let r = plugin_request(
            &s,
            reqwest::Method::GET,
            &format!("/data/proxy{path}?{query}"),
        )
        .header("Authorization", &authorization)
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["meter_reading"]["interval_reading"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{path}"
        );
    }

    // 5. Refresh as the plugin does it: PDLs joined by "," and quoted.
    let refresh = plugin_form(&[
        ("grant_type", "refresh_token"),
        ("client_id", DEVICE),
        ("usage_points_id", "12345678901234,10284856584123"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ]);
    assert!(refresh.contains("usage_points_id=12345678901234%2C10284856584123"));
    let r = plugin_request(&s, reqwest::Method::POST, "/device/token")
        .body(refresh)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let refreshed: Value = r.json().await.unwrap();
    assert!(refreshed["access_token"]
        .as_str()
        .is_some_and(|t| t != tokens["access_token"].as_str().unwrap()));
    let r = plugin_request(&s, reqwest::Method::GET, "/data/proxy/metering_data_clc/v5/consumption_load_curve?start=2026-11-21&end=2026-11-28&usage_point_id=12345678901234")
        .header("Authorization", format!("Bearer {}", refreshed["access_token"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Issue 15: once Enedis answers 404 on v5, the original plugin's v5 calls are answered from the
/// 2026 generation with the same bodies it got before, value for value: load curves (a window
/// with the autumn daylight-saving day), daily energies, peaks, and the error for a direction
/// the meter does not measure.
#[tokio::test]
async fn after_the_v5_cut_off_the_plugin_reads_the_same_values() {
    let pdl = "22516914714270";
    let calls = [
        format!("/metering_data_clc/v5/consumption_load_curve?start=2026-10-23&end=2026-10-30&usage_point_id={pdl}"),
        format!("/metering_data_dc/v5/daily_consumption?start=2026-10-01&end=2026-11-20&usage_point_id={pdl}"),
        format!("/metering_data_dcmp/v5/daily_consumption_max_power?start=2026-10-01&end=2026-11-20&usage_point_id={pdl}"),
        format!("/metering_data_dp/v5/daily_production?start=2026-10-01&end=2026-11-20&usage_point_id={pdl}"),
    ];
    let mut answers = Vec::new();
    for v5 in [true, false] {
        let s = Setup::with(Options {
            sim_v5: v5,
            ..Options::default()
        })
        .await;
        let t = s.login(0, &[pdl]).await;
        let token = t["access_token"].as_str().unwrap();
        let mut these = Vec::new();
        for call in &calls {
            let r = plugin_request(&s, reqwest::Method::GET, &format!("/data/proxy{call}"))
                .header("Authorization", format!("Bearer {token}"))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            these.push((status, body));
        }
        if !v5 {
            assert!(
                s.sim
                    .requests()
                    .iter()
                    .any(|r| r.path.starts_with("/mesure_synchrone_auto/v2/")),
                "answered from the 2026 generation"
            );
        }
        answers.push(these);
    }
    let (served, translated) = (&answers[0], &answers[1]);
    for ((call, a), b) in calls.iter().zip(served).zip(translated) {
        assert_eq!(a, b, "{call}");
    }
    // The curve over the 25-hour day: 50 half-hours stamped that day, as v5 gave them (00:00 of
    // the 25th ends the 24th's last half-hour, 00:00 of the 26th ends the 25th's).
    let readings = served[0].1["meter_reading"]["interval_reading"]
        .as_array()
        .unwrap();
    assert_eq!(
        readings
            .iter()
            .filter(|r| r["date"].as_str().unwrap().starts_with("2026-10-25"))
            .count(),
        50,
        "the 25-hour day"
    );
    assert_eq!(served[3].0, 400, "production on a consumption meter");
    assert!(served[3].1.to_string().contains("ADAM-ERR0069"));
}
