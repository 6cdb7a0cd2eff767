//! Attacks, each asserting its status and that no data leaks (Enedis never sees the call).

mod common;

use common::*;
use linky_proxy::ProxyConfig;
use serde_json::Value;

const MINE: &str = "22516914714270";
const THEIRS: &str = "11453290002823";

/// An attacker's own state: start a device flow and stop at the jump to Enedis; the state and
/// the attacker's own flow cookie.
async fn own_state(s: &Setup) -> (Value, String, String) {
    let code = s.device_code().await;
    let (location, flow) = s.confirm(code["user_code"].as_str().unwrap()).await;
    let query: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(location.split_once('?').unwrap().1).unwrap();
    (code, query["state"].clone(), flow)
}

/// The attacker presents the `autorisation_id` of someone's return URL with a flow of their
/// own: their device code and the proxy's answer.
async fn with_own_state(s: &Setup, return_url: &str) -> (Value, reqwest::Response) {
    let autorisation_id = return_url
        .split("autorisation_id=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap()
        .to_owned();
    let (attacker, state, flow) = own_state(s).await;
    let r = s
        .http
        .get(s.url("/auth/redirect"))
        .header("cookie", flow.as_str())
        .query(&[
            ("state", state.as_str()),
            ("autorisation_id", autorisation_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (attacker, r)
}

#[tokio::test]
async fn forged_v5_return_naming_another_households_meter_is_refused() {
    let s = Setup::start().await;
    let (code, state, flow) = own_state(&s).await;
    let r = s
        .http
        .get(s.url("/auth/redirect"))
        .header("cookie", flow.as_str())
        .query(&[
            ("state", state.as_str()),
            ("code", "x"),
            ("usage_point_id", THEIRS),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("v5"));
    let (status, body) = s.poll_later(code["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending")),
        "no meter was bound"
    );
    assert!(!s.enedis_saw(THEIRS));
}

#[tokio::test]
async fn unverified_v5_return_only_when_explicitly_allowed() {
    let s = Setup::with(Options {
        proxy: ProxyConfig {
            allow_unverified_v5_consent: true,
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    let (code, state, flow) = own_state(&s).await;
    let r = s
        .http
        .get(s.url("/auth/redirect"))
        .header("cookie", flow.as_str())
        .query(&[
            ("state", state.as_str()),
            ("code", "x"),
            ("usage_point_id", "64975835695673;63695879465986"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, tokens) = s.poll_later(code["device_code"].as_str().unwrap()).await;
    assert_eq!(tokens["usage_points_id"], "64975835695673,63695879465986");
}

#[tokio::test]
async fn replayed_autorisation_id_and_state_are_refused() {
    let s = Setup::start().await;
    let victim = s.device_code().await;
    let (status, _, to_proxy) = s
        .person(victim["user_code"].as_str().unwrap(), 1, THEIRS, true)
        .await;
    assert_eq!(status, 200);
    // The same return replayed: its state is spent.
    let r = s.http.get(&to_proxy).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // The victim's autorisation_id with the attacker's fresh state.
    let (attacker, r) = with_own_state(&s, &to_proxy).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("déjà servi"));
    let (status, body) = s
        .poll_later(attacker["device_code"].as_str().unwrap())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    // A state never issued.
    let r = s
        .http
        .get(s.url("/auth/redirect"))
        .query(&[
            ("state", "0".repeat(64).as_str()),
            ("autorisation_id", "123456789"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_token_reads_only_its_meters() {
    let s = Setup::start().await;
    let t = s.login(0, &[MINE]).await;
    let a = t["access_token"].as_str().unwrap();
    for path in [
        format!("/metering_data_clc/v5/consumption_load_curve?start=2026-11-20&end=2026-11-27&usage_point_id={THEIRS}"),
        format!("/mesure_synchrone_auto/v2/consommation_quotidienne?pointId={THEIRS}&dateDebut=2026-11-20&dateFin=2026-11-27"),
        format!("/situation_contrat_auto/v1/{THEIRS}"),
        format!("/customers_upc/v5/usage_points/contracts?usage_point_id={THEIRS}"),
    ] {
        let (status, headers, body) = s.data(a, &path).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"], "insufficient_scope");
        assert!(headers["www-authenticate"].to_str().unwrap().contains("insufficient_scope"));
    }
    // Two meter parameters, one mine: refused, not guessed.
    let (status, _, _) = s.data(a, &format!("/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id={MINE}&usage_point_id={THEIRS}")).await;
    assert_eq!(status, 400);
    // The meter parameter of the other generation does not count.
    let (status, _, _) = s.data(a, &format!("/mesure_synchrone_auto/v2/consommation_quotidienne?usage_point_id={MINE}&pointId={THEIRS}&dateDebut=2026-11-20&dateFin=2026-11-27")).await;
    assert_eq!(status, 403);
    let (status, _, _) = s
        .data(
            a,
            "/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27",
        )
        .await;
    assert_eq!(status, 400, "no meter named");
    assert!(
        !s.enedis_saw(THEIRS),
        "no call for another household's meter reached Enedis"
    );
}

#[tokio::test]
async fn only_allow_listed_paths() {
    let s = Setup::start().await;
    let t = s.login(0, &[MINE]).await;
    let a = t["access_token"].as_str().unwrap();
    for path in [
        format!("/customers_i/v5/identity?usage_point_id={MINE}"),
        format!("/customers_cd/v5/contact_data?usage_point_id={MINE}"),
        format!("/customers_upa/v5/usage_points/addresses?usage_point_id={MINE}"),
        "/oauth2/v3/token".to_owned(),
        "/subscribed_services/v1".to_owned(),
        "/_sim/requests".to_owned(),
        format!("/metering_data_dc/v5/../../_sim/requests?usage_point_id={MINE}"),
    ] {
        let (status, _, body) = s.data(a, &path).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let before = s.sim.requests().len();
    let _ = s
        .data(
            a,
            &format!("/customers_i/v5/identity?usage_point_id={MINE}"),
        )
        .await;
    assert_eq!(s.sim.requests().len(), before, "nothing forwarded");
}

#[tokio::test]
async fn missing_unknown_expired_and_revoked_tokens() {
    let s = Setup::start().await;
    let path = format!("/data/proxy/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id={MINE}");
    let r = s.http.get(s.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let r = s
        .http
        .get(s.url(&path))
        .bearer_auth("0".repeat(64))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A refresh token is not an access token.
    let t = s.login(0, &[MINE]).await;
    let r = s
        .http
        .get(s.url(&path))
        .bearer_auth(t["refresh_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        !s.enedis_saw(MINE),
        "no call reached Enedis without a valid token"
    );
}

#[tokio::test]
async fn user_code_guessing_is_limited_per_address() {
    let options = Options {
        proxy: ProxyConfig {
            guess_limit: 5,
            client_ip_header: Some("X-Forwarded-For".into()),
            // The household's own reverse proxy at 10.0.0.1, behind ours on loopback.
            trusted_proxies: vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()],
            ..Options::default().proxy
        },
        ..Options::default()
    };
    let s = Setup::with(options).await;
    let real = s.device_code().await;
    for guess in [
        "BCDF-GHJK",
        "BBBB-BBBB",
        "not a code",
        "CCCC-CCCC",
        "DDDD-DDDD",
    ] {
        let r = s
            .http
            .get(s.url("/auth/verify_code"))
            .query(&[("code", guess)])
            .header("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{guess}");
    }
    // Even the right code is refused from that address now.
    let r = s
        .http
        .get(s.url("/auth/verify_code"))
        .query(&[("code", real["user_code"].as_str().unwrap())])
        .header("X-Forwarded-For", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Another household behind the same reverse proxy is not affected.
    let r = s
        .http
        .get(s.url("/auth/verify_code"))
        .query(&[("code", real["user_code"].as_str().unwrap())])
        .header("X-Forwarded-For", "198.51.100.2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the confirmation page");
}

#[tokio::test]
async fn device_codes_are_bound_to_their_client_and_used_once() {
    let s = Setup::with(Options {
        proxy: ProxyConfig {
            device_client_ids: vec![DEVICE.into(), "other-device".into()],
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    let r = s
        .http
        .post(s.url("/device/code"))
        .form(&[("client_id", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let code = s.device_code().await;
    let (status, _, _) = s
        .person(code["user_code"].as_str().unwrap(), 0, MINE, true)
        .await;
    assert_eq!(status, 200);
    s.proxy_clock.advance(chrono::Duration::seconds(30));
    let r = s
        .http
        .post(s.url("/device/token"))
        .form(&[
            ("client_id", "other-device"),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", code["device_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "another client cannot redeem it");
    let (status, _) = s.poll(code["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let (status, body) = s.poll_later(code["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "replayed device code"
    );
}

#[tokio::test]
async fn secrets_are_stored_hashed() {
    let s = Setup::start().await;
    let t = s.login(0, &[MINE]).await;
    // The store finds tokens by hash only: the raw token is not a key.
    let now = s.proxy_clock.clone();
    let raw = t["access_token"].as_str().unwrap();
    assert!(s
        .store
        .access(raw, linky_core::Clock::now(&now))
        .await
        .unwrap()
        .is_none());
    assert!(s
        .store
        .access(
            &linky_proxy::secrets::hash(raw),
            linky_core::Clock::now(&now)
        )
        .await
        .unwrap()
        .is_some());
}

/// Issue 15, item 2: a link to `/auth/verify_code?code=X` sent by an attacker does not jump to
/// Enedis: the person sees who asks and must confirm with a POST from our page (same origin,
/// anti-CSRF token), which a link or another site cannot do.
#[tokio::test]
async fn no_one_click_consent() {
    let s = Setup::start().await;
    let attacker = s.device_code().await;
    let code = attacker["user_code"].as_str().unwrap();
    let r = s
        .http
        .get(s.url("/auth/verify_code"))
        .query(&[("code", code)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("location").is_none());
    let csrf_cookie = set_cookie(&r);
    let html = r.text().await.unwrap();
    for shown in [
        DEVICE,
        "127.0.0.1",
        code,
        "Continue only if this code is the one linky shows on your own screen",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let confirm = |origin: Option<&str>, cookie: Option<&str>, token: &str| {
        let mut request = s
            .http
            .post(s.url("/auth/confirm"))
            .form(&[("code", code), ("csrf", token)]);
        if let Some(o) = origin {
            request = request.header("origin", o);
        }
        if let Some(c) = cookie {
            request = request.header("cookie", c);
        }
        request.send()
    };
    // Another site's form, a missing Origin, a missing or wrong token: refused.
    assert_eq!(
        confirm(Some("https://evil.example"), Some(&csrf_cookie), csrf)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        confirm(None, Some(&csrf_cookie), csrf)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        confirm(Some(&s.proxy_url), None, csrf)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        confirm(Some(&s.proxy_url), Some(&csrf_cookie), "0123")
            .await
            .unwrap()
            .status(),
        403
    );
    assert!(
        !s.sim
            .requests()
            .iter()
            .any(|r| r.path.contains("authorize")),
        "nothing reached Enedis"
    );
    // The person's own confirmation goes through.
    let r = confirm(Some(&s.proxy_url), Some(&csrf_cookie), csrf)
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let flow = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        flow.contains("HttpOnly") && flow.contains("SameSite=Lax"),
        "{flow}"
    );
}

/// Issue 15, item 1: a consent is bound to the browser that started the flow. A return read from
/// a log (state and autorisation_id) replayed from another browser is refused, and the
/// autorisation_id is burnt: not even with the attacker's own state can it be bound afterwards.
#[tokio::test]
async fn a_consent_return_works_only_in_the_browser_that_started_it() {
    let s = Setup::start().await;
    let victim = s.device_code().await;
    let (to_enedis, _victims_cookie) = s.confirm(victim["user_code"].as_str().unwrap()).await;
    let back = s.sim.answer_consent(&to_enedis, 1, THEIRS, true).unwrap();
    // The attacker read the return URL in a reverse proxy's log and is first to use it.
    let r = s.http.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 400, "no flow cookie: not this browser's flow");
    let (attacker, r) = with_own_state(&s, &back).await;
    assert_eq!(r.status(), 400, "burnt");
    let (status, body) = s
        .poll_later(attacker["device_code"].as_str().unwrap())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    assert!(!s.enedis_saw(THEIRS), "no data call for the victim's meter");
}

/// Issue 15, item 5: behind a reverse proxy that appends the client's address to
/// X-Forwarded-For, the values a client writes itself on the left do not count: changing them
/// gives no more guesses.
#[tokio::test]
async fn forged_forwarded_for_values_give_no_more_guesses() {
    let s = Setup::with(Options {
        proxy: ProxyConfig {
            guess_limit: 3,
            client_ip_header: Some("X-Forwarded-For".into()),
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = s
            .http
            .get(s.url("/auth/verify_code"))
            .query(&[("code", "BBBB-BBBB")])
            .header("X-Forwarded-For", format!("198.51.100.{i}, 203.0.113.66"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [400, 400, 400, 429, 429]);
    // A value that is not an address is not taken (nor stored), the proxy's peer counts.
    let r = s
        .http
        .get(s.url("/auth/verify_code"))
        .query(&[("code", "BBBB-BBBB")])
        .header("X-Forwarded-For", "x".repeat(5000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

/// Issue 15, item 3: `/device/code` takes a bounded, printable client_id.
#[tokio::test]
async fn a_huge_client_id_is_refused_and_not_stored() {
    let s = Setup::start().await;
    for id in ["x".repeat(200_000), "a\u{0}b".to_owned(), "é".to_owned()] {
        let r = s
            .http
            .post(s.url("/device/code"))
            .form(&[("client_id", id.as_str())])
            .send()
            .await
            .unwrap();
        // 413 when the body itself is over the bound.
        assert!(matches!(r.status().as_u16(), 400 | 413), "{}", r.status());
    }
    assert!(
        s.device_code().await["user_code"].is_string(),
        "a sane id still works"
    );
}

/// Issue 15, item 1: a consent that Enedis says began before the device's code existed cannot
/// come from this flow (a consent given long ago, its autorisation_id found later).
#[tokio::test]
async fn a_consent_older_than_the_code_is_refused() {
    let s = Setup::start().await;
    // The proxy is three days later than when this consent is given at Enedis.
    s.proxy_clock.advance(chrono::Duration::days(3));
    let code = s.device_code().await;
    let (status, html, _) = s
        .person(code["user_code"].as_str().unwrap(), 0, MINE, true)
        .await;
    assert_eq!(status, 400);
    assert!(html.contains("older than your device's code"), "{html}");
    let (status, body) = s.poll_later(code["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
}

/// Issue 15, item 4: clients that open connections and never finish their headers are cut after
/// the header timeout, and more of them than the connection cap only wait: `/healthz` still
/// answers. Every answer carries the security headers.
#[tokio::test]
async fn slow_clients_cannot_hold_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Setup::with(Options {
        limits: linky_proxy::server::Limits {
            max_connections: 20,
            header_timeout: std::time::Duration::from_millis(500),
            ..linky_proxy::server::Limits::default()
        },
        ..Options::default()
    })
    .await;
    let address = s.proxy_url.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..40 {
        let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(socket);
    }
    let started = std::time::Instant::now();
    let r = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(r.headers()[name], value);
    }
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    // The first slow connections were cut by the server: reading ends (a 408 or the close)
    // instead of waiting forever.
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        slow[0].read_to_end(&mut buffer),
    )
    .await;
    assert!(read.is_ok(), "the server never closed the slow connection");
}

/// Issue 15, item 7: thirty wrong codes at once from one address get exactly `guess_limit`
/// answers; the rest are refused (counting and recording are one step).
#[tokio::test]
async fn concurrent_guesses_do_not_overshoot_the_limit() {
    let s = Setup::with(Options {
        proxy: ProxyConfig {
            guess_limit: 5,
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    let guesses = (0..30).map(|_| {
        s.http
            .get(s.url("/auth/verify_code"))
            .query(&[("code", "BBBB-BBBB")])
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 25);
}

/// Issue 15, items 3 and 6: anonymous device codes are rate-limited per address; each device
/// has its own call budget; the whole proxy never sends Enedis more than its share. Beyond each,
/// 429 with Retry-After, and Enedis never sees the refused calls.
#[tokio::test]
async fn rates_and_budgets_bound_what_anyone_can_ask() {
    let s = Setup::with(Options {
        proxy: ProxyConfig {
            device_codes_per_address_per_hour: 3,
            calls_per_device_per_hour: 4,
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = s
            .http
            .post(s.url("/device/code"))
            .form(&[("client_id", DEVICE)])
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert!(
                r.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 1
            );
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);

    // A device's budget.
    let s = Setup::with(Options {
        proxy: ProxyConfig {
            calls_per_device_per_hour: 4,
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    let t = s.login(0, &[MINE]).await;
    let token = t["access_token"].as_str().unwrap();
    let path = format!("/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id={MINE}");
    let before = s.sim.requests().len();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(s.data(token, &path).await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    assert_eq!(
        s.sim.requests().len() - before,
        4,
        "refused calls never reach Enedis"
    );
}

/// Issue 15, item 6: the proxy's share of Enedis's hourly quota is never exceeded: past it,
/// callers get 429 with Retry-After instead of Enedis getting the call.
#[tokio::test]
async fn the_upstream_quota_is_never_exceeded() {
    let s = Setup::with(Options {
        proxy: ProxyConfig {
            upstream_per_hour: 6,
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    // The consent check and the token take some of it.
    let t = s.login(0, &[MINE]).await;
    let token = t["access_token"].as_str().unwrap();
    let path = format!("/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id={MINE}");
    let mut refused = 0;
    for _ in 0..8 {
        let (status, headers, _) = s.data(token, &path).await;
        if status == 429 {
            refused += 1;
            assert!(headers.contains_key("retry-after"));
        }
    }
    assert!(refused >= 4, "{refused}");
    assert!(
        s.sim.requests().len() <= 6,
        "Enedis saw {} calls",
        s.sim.requests().len()
    );
}

/// `/readyz` says what is missing: an Enedis that refuses the application's credentials makes
/// the instance not ready (503), while `/healthz` (the process) stays 200; nothing secret shown.
#[tokio::test]
async fn not_ready_when_enedis_refuses_the_application() {
    let s = Setup::with(Options {
        proxy_secret: "not-the-secret",
        ..Options::default()
    })
    .await;
    let ready = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body = ready.text().await.unwrap();
    assert!(
        body.contains("Enedis token unavailable") && !body.contains("not-the-secret"),
        "{body}"
    );
    let health = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
