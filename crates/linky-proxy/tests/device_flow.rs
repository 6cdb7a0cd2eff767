//! The full device flow against enedis-sim over HTTP: codes, the consent pages of the 2026
//! generation, several meters in one visit, data in both generations, refresh with rotation and
//! grace, expiry, refusal, consent revoked at Enedis, revocation here.

mod common;

use std::sync::Arc;

use chrono::Duration;
use common::*;
use enedis_sim::clock::OffsetClock;
use linky_proxy::ProxyConfig;
use serde_json::Value;

const CONS: &str = "12345678901234";
const PROD: &str = "10284856584123";

#[tokio::test]
async fn device_code_has_the_documented_shape() {
    let s = Setup::start().await;
    let code = s.device_code().await;
    assert_eq!(code["device_code"].as_str().unwrap().len(), 64, "256 bits");
    let user = code["user_code"].as_str().unwrap();
    assert_eq!((user.len(), &user[4..5]), (9, "-"));
    assert_eq!(code["verification_uri"], s.url("/device"));
    assert_eq!(
        code["verification_uri_complete"],
        s.url(&format!("/device?code={user}"))
    );
    assert_eq!(
        (code["expires_in"].as_i64(), code["interval"].as_i64()),
        (Some(900), Some(5))
    );
    let page = s
        .http
        .get(s.url(&format!("/device?code={user}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("value=\"{user}\""))
            && page.contains("lang=\"en\"")
            && page.contains("lang=\"fr\"")
    );
    let r = s
        .http
        .post(s.url("/device/code"))
        .form(&[("scope", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    let health: Value = s
        .http
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    // Ready: the database answers and the simulated Enedis gives the application its token.
    let ready = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
}

#[tokio::test]
async fn two_meters_in_one_visit_then_data_in_both_generations() {
    let s = Setup::start().await;
    let code = s.device_code().await;
    let (user, device) = (
        code["user_code"].as_str().unwrap(),
        code["device_code"].as_str().unwrap(),
    );
    let (status, body) = s.poll(device).await;
    assert_eq!(
        (status, body["error"].as_str(), body["interval"].as_i64()),
        (400, Some("authorization_pending"), Some(5))
    );
    let (status, body) = s.poll(device).await;
    assert_eq!(
        (status, body["error"].as_str(), body["interval"].as_i64()),
        (400, Some("slow_down"), Some(10)),
        "polling faster than the interval"
    );

    let (status, html, _) = s.person(user, 3, CONS, true).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(CONS) && html.contains("id=\"another\""),
        "the page offers another meter"
    );
    let (status, html, _) = s.person(user, 3, PROD, true).await;
    assert_eq!(status, 200);
    assert!(html.contains(CONS) && html.contains(PROD));

    let (status, tokens) = s.poll_later(device).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["usage_points_id"], format!("{CONS},{PROD}"));
    assert_eq!(
        (
            tokens["token_type"].as_str(),
            tokens["expires_in"].as_i64(),
            tokens["scope"].as_str()
        ),
        (Some("Bearer"), Some(12600), Some(""))
    );
    assert_eq!(
        tokens["consent_expires_at"], "2029-11-27T23:00:00Z",
        "P3Y from 2026-11-28, midnight Paris"
    );
    let (status, again) = s.poll_later(device).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant")),
        "a device code works once"
    );

    let access = tokens["access_token"].as_str().unwrap();
    let (status, headers, body) = s.data(access, &format!("/metering_data_clc/v5/consumption_load_curve?start=2026-11-20&end=2026-11-27&usage_point_id={CONS}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["via"], "1.1 linky-proxy");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["meter_reading"]["interval_reading"]
            .as_array()
            .unwrap()
            .len(),
        7 * 48
    );
    let (status, _, body) = s.data(access, &format!("/mesure_synchrone_auto/v2/production_quotidienne?pointId={PROD}&dateDebut=2026-11-20&dateFin=2026-11-27")).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = s.data(access, &format!("/comptage_auto/v1/{CONS}")).await;
    assert_eq!(status, 200);
    assert!(body.contains("plageHeuresCreuses"));
    // Enedis errors pass through untouched.
    let (status, _, body) = s.data(access, &format!("/metering_data_clc/v5/consumption_load_curve?start=2026-11-01&end=2026-11-20&usage_point_id={CONS}")).await;
    assert_eq!(status, 400);
    assert!(body.contains("ADAM-ERR0126"));
    // Enedis saw the application's credentials, never the household's token.
    let log = s.sim.requests();
    assert!(log
        .iter()
        .filter(|r| r.path.starts_with("/metering") || r.path.starts_with("/mesure"))
        .all(|r| r.client_id.as_deref() == Some(APP_ID)));
    assert_eq!(
        log.iter().filter(|r| r.path == "/oauth2/v3/token").count(),
        1,
        "the application token is cached"
    );
}

#[tokio::test]
async fn refresh_rotates_with_one_grace_reuse_and_reuse_detection() {
    let s = Setup::start().await;
    let t = s.login(0, &["22516914714270"]).await;
    let r1 = t["refresh_token"].as_str().unwrap().to_owned();
    let a1 = t["access_token"].as_str().unwrap().to_owned();
    // Access tokens expire after 12 600 s; the 401 tells the client to refresh.
    s.proxy_clock.advance(Duration::seconds(12_601));
    let (status, headers, _) = s.data(&a1, "/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id=22516914714270").await;
    assert_eq!(status, 401);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));

    let (status, t2) = s.refresh(&r1, Some("22516914714270")).await;
    assert_eq!(status, 200, "{t2}");
    let r2 = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r2, r1, "refresh tokens rotate");
    assert_eq!(t2["usage_points_id"], "22516914714270");
    assert_eq!(s.data(t2["access_token"].as_str().unwrap(), "/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id=22516914714270").await.0, 200);

    // The reply was lost: the previous token works while its successor was never presented.
    s.proxy_clock.advance(Duration::minutes(5));
    let (status, t3) = s.refresh(&r1, None).await;
    assert_eq!(status, 200, "{t3}");
    // r2, retired by that grace reuse, is now a stolen token: the whole family goes.
    let (status, body) = s.refresh(&r2, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(s.data(t3["access_token"].as_str().unwrap(), "/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id=22516914714270").await.0, 401);
    let (status, _) = s.refresh(t3["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(status, 400);
}

/// Issue 14, item 3: a daemon whose renewal reply was lost retries with the same refresh token,
/// hours later and more than once, and is answered each time; once the token that replaced it
/// was presented, a replay is theft and the family goes.
#[tokio::test]
async fn a_lost_renewal_is_answered_again_and_a_replay_after_use_is_theft() {
    let s = Setup::start().await;
    let t = s.login(0, &["22516914714270"]).await;
    let r1 = t["refresh_token"].as_str().unwrap().to_owned();
    let _lost = s.refresh(&r1, None).await;
    s.proxy_clock.advance(Duration::hours(2));
    let (status, _lost_again) = s.refresh(&r1, None).await;
    assert_eq!(status, 200, "a retry two hours later");
    s.proxy_clock.advance(Duration::hours(3));
    let (status, kept) = s.refresh(&r1, None).await;
    assert_eq!(status, 200, "and again");
    let r2 = kept["refresh_token"].as_str().unwrap().to_owned();
    let (status, t3) = s.refresh(&r2, None).await;
    assert_eq!(status, 200, "the daemon goes on with the pair it kept");
    let (status, body) = s.refresh(&r1, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "r2 was presented: r1 again is a thief's"
    );
    assert_eq!(
        s.refresh(t3["refresh_token"].as_str().unwrap(), None)
            .await
            .0,
        400,
        "the whole family is revoked"
    );
}

#[tokio::test]
async fn grace_lasts_a_day() {
    let s = Setup::start().await;
    let t = s.login(0, &["22516914714270"]).await;
    let r1 = t["refresh_token"].as_str().unwrap().to_owned();
    let (_, t2) = s.refresh(&r1, None).await;
    s.proxy_clock.advance(Duration::hours(25));
    let (status, _) = s.refresh(&r1, None).await;
    assert_eq!(
        status, 400,
        "past the grace the old token is dead, and its use revokes the family"
    );
    assert_eq!(
        s.refresh(t2["refresh_token"].as_str().unwrap(), None)
            .await
            .0,
        400
    );
    // A foreign meter in usage_points_id is refused.
    let t = s.login(1, &["11453290002823"]).await;
    let (status, body) = s
        .refresh(
            t["refresh_token"].as_str().unwrap(),
            Some("11453290002823,22516914714270"),
        )
        .await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (
            400,
            Some("refresh_token not corresponding to usage_points_id")
        )
    );
}

#[tokio::test]
async fn refusal_expiry_and_revocations() {
    let s = Setup::start().await;
    // Refused at Enedis.
    let code = s.device_code().await;
    let (status, html, _) = s
        .person(
            code["user_code"].as_str().unwrap(),
            0,
            "22516914714270",
            false,
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("access_denied"));
    let (status, body) = s.poll_later(code["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("access_denied"))
    );

    // Expired device code.
    let code = s.device_code().await;
    s.proxy_clock.advance(Duration::seconds(901));
    let (status, body) = s.poll(code["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("expired_token"))
    );
    let r = s
        .http
        .get(s.url("/auth/verify_code"))
        .query(&[("code", code["user_code"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an expired user code leads nowhere");

    // Consent revoked at Enedis: Enedis' 403 reaches the client as it is.
    let t = s.login(4, &["42900589957123"]).await;
    let access = t["access_token"].as_str().unwrap();
    let path = "/metering_data_dc/v5/daily_consumption?start=2026-11-19&end=2026-11-27&usage_point_id=42900589957123";
    assert_eq!(s.data(access, path).await.0, 200);
    let consent = s
        .sim
        .consents()
        .into_iter()
        .find(|c| c.pdls == ["42900589957123"])
        .unwrap();
    s.http
        .post(format!(
            "{}/_sim/consents/{}/revoke",
            s.sim_running.url(),
            consent.id
        ))
        .send()
        .await
        .unwrap();
    let (status, _, body) = s.data(access, path).await;
    assert_eq!(status, 403);
    assert!(body.contains("ADAM-DC-0008"));

    // Revoked here (RFC 7009): access and refresh both stop.
    let t = s.login(7, &["64975835695673"]).await;
    let r = s
        .http
        .post(s.url("/device/revoke"))
        .form(&[
            ("token", t["refresh_token"].as_str().unwrap()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _, _) = s.data(t["access_token"].as_str().unwrap(), "/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id=64975835695673").await;
    assert_eq!(status, 401);
    assert_eq!(
        s.refresh(t["refresh_token"].as_str().unwrap(), None)
            .await
            .0,
        400
    );
    assert_eq!(
        s.http
            .post(s.url("/device/revoke"))
            .form(&[("token", "unknown")])
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "RFC 7009: unknown tokens too"
    );
}

#[tokio::test]
async fn subscribed_services_answers_late() {
    // The simulator keeps real time here, and answers empty for one second after a consent.
    let options = Options {
        sim_clock: Arc::new(OffsetClock::starting_at(at("2026-11-28T10:00:00Z"))),
        subscribed_delay: 1,
        proxy: ProxyConfig {
            subscribed_services_attempts: 20,
            subscribed_services_retry_ms: 200,
            ..Options::default().proxy
        },
        ..Options::default()
    };
    let s = Setup::with(options).await;
    let t = s.login(2, &["32320647321714"]).await;
    assert_eq!(t["usage_points_id"], "32320647321714");
    let subscribed_calls = s
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/subscribed_services/v1")
        .count();
    assert!(
        subscribed_calls >= 2,
        "asked again while empty ({subscribed_calls} calls)"
    );
}

/// Issue 14, item 5: Enedis busy or failing while the proxy checks a fresh consent
/// (`subscribed_services` answers 500 for a while): the proxy asks again with growing waits and
/// the person's consent goes through, instead of an error page asking to start again.
#[tokio::test]
async fn a_consent_check_survives_a_busy_enedis() {
    let s = Setup::with(Options {
        proxy: ProxyConfig {
            subscribed_services_attempts: 6,
            subscribed_services_retry_ms: 100,
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    s.sim.set_faults(enedis_sim::FaultSet {
        faults: vec![enedis_sim::Fault::Error {
            rate: 1.0,
            scope: enedis_sim::Scope {
                pdl: None,
                path: Some("/subscribed_services/v1".into()),
            },
        }],
    });
    let sim = s.sim.clone();
    let clear = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        sim.set_faults(enedis_sim::FaultSet::default());
    });
    let tokens = s.login(0, &["22516914714270"]).await;
    clear.await.unwrap();
    assert_eq!(tokens["usage_points_id"], "22516914714270");
    let failed = s
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/subscribed_services/v1" && r.fault.is_some())
        .count();
    assert!(failed >= 1, "the check met the failure first");
}

/// Issue 15, item 7: a refresh refused for its client_id or its meters leaves the token as it
/// was (it still works for its own client), and answers carrying tokens are never cached.
#[tokio::test]
async fn a_refused_refresh_rotates_nothing_and_tokens_are_not_cached() {
    let s = Setup::start().await;
    let t = s.login(0, &["22516914714270"]).await;
    let r1 = t["refresh_token"].as_str().unwrap().to_owned();
    let other_client = s
        .http
        .post(s.url("/device/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "someone-else"),
            ("refresh_token", r1.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(other_client.status(), 400);
    let (status, _) = s.refresh(&r1, Some("22516914714270,11453290002823")).await;
    assert_eq!(status, 400, "a meter it does not cover");
    let r = s
        .http
        .post(s.url("/device/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", DEVICE),
            ("refresh_token", r1.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "still the current token: nothing rotated");
    assert_eq!(r.headers()["cache-control"], "no-store");
}

/// Issue 15: a second meter consented during the same visit, while the device polls: the poll
/// waits for the consent being checked at Enedis, so both meters arrive in one token instead of
/// the second one at a refresh hours later.
#[tokio::test]
async fn a_households_meters_arrive_together() {
    let s = Arc::new(
        Setup::with(Options {
            sim_clock: Arc::new(OffsetClock::starting_at(at("2026-11-28T10:00:00Z"))),
            subscribed_delay: 1,
            proxy: ProxyConfig {
                subscribed_services_attempts: 20,
                subscribed_services_retry_ms: 200,
                ..Options::default().proxy
            },
            ..Options::default()
        })
        .await,
    );
    let code = s.device_code().await;
    let user = code["user_code"].as_str().unwrap().to_owned();
    let (status, html, _) = s.person(&user, 3, "12345678901234", true).await;
    assert_eq!(status, 200, "{html}");
    let second = {
        let (s, user) = (s.clone(), user.clone());
        tokio::spawn(async move { s.person(&user, 3, "10284856584123", true).await })
    };
    // While Enedis has not confirmed the second consent yet, the device is told to wait.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let device = code["device_code"].as_str().unwrap();
    let (status, body) = s.poll_later(device).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    assert_eq!(second.await.unwrap().0, 200);
    let (status, tokens) = s.poll_later(device).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["usage_points_id"], "12345678901234,10284856584123");
}

/// `/metrics`: off without `metrics_token`; with it, for the token's holder only, counters of a
/// login and a data call as Prometheus reads them; no token or code in the text.
#[tokio::test]
async fn metrics_count_a_login_and_a_data_call() {
    let off = Setup::start().await;
    let r = off.http.get(off.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 404, "off by default");

    let s = Setup::with(Options {
        proxy: ProxyConfig {
            metrics_token: "metrics-token-0123456789".into(),
            ..Options::default().proxy
        },
        ..Options::default()
    })
    .await;
    let t = s.login(0, &["22516914714270"]).await;
    let token = t["access_token"].as_str().unwrap();
    let (status, _, _) = s
        .data(
            token,
            "/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id=22516914714270",
        )
        .await;
    assert_eq!(status, 200);
    let r = s.http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let text = s
        .http
        .get(s.url("/metrics"))
        .bearer_auth("metrics-token-0123456789")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains(token), "no token in the metrics");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|m| m.metric == name)
            .filter(|m| labels.iter().all(|(k, v)| m.labels.get(k) == Some(*v)))
            .map(|m| match m.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    assert_eq!(
        value(
            "linky_proxy_requests_total",
            &[("route", "/device/code"), ("status", "200")]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(
            "linky_proxy_requests_total",
            &[("route", "/data/proxy/*path"), ("status", "200")]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(value("linky_proxy_consents_bound_total", &[]), 1.0);
    assert!(value("linky_proxy_upstream_calls_total", &[("outcome", "ok")]) >= 2.0);
    assert_eq!(value("linky_proxy_token_families_live", &[]), 1.0);
    assert_eq!(value("linky_proxy_grants_waiting", &[]), 0.0);
    assert!(
        text.contains("linky_proxy_flow_duration_seconds_count 1"),
        "{text}"
    );
}

/// Every answer carries its request id; a load balancer's plain id is kept, a forged one
/// replaced; the data call sends the id along to Enedis.
#[tokio::test]
async fn a_request_id_follows_a_call_to_enedis() {
    let s = Setup::start().await;
    let t = s.login(0, &["22516914714270"]).await;
    let token = t["access_token"].as_str().unwrap();
    let r = s
        .http
        .get(s.url("/data/proxy/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id=22516914714270"))
        .bearer_auth(token)
        .header("x-request-id", "lb-0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "lb-0123456789abcdef");
    let at_enedis: Vec<_> = s
        .sim
        .requests()
        .into_iter()
        .filter(|q| q.request_id.as_deref() == Some("lb-0123456789abcdef"))
        .collect();
    assert_eq!(at_enedis.len(), 1, "the data call went with its id");
    let forged = s
        .http
        .get(s.url("/healthz"))
        .header("x-request-id", "x\"y")
        .send()
        .await
        .unwrap();
    let id = forged.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 16);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
}
