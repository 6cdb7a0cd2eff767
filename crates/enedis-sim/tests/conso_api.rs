//! The Conso API gateway in front of the simulator: its parameters (new and old names), its
//! refusals word for word, Enedis's errors wrapped with their status, its shared quota, and
//! bodies that agree with Enedis's own (`shared/reference/enedis.md` §6.1).

mod common;

use common::*;
use enedis_protocol::conso_api::{self, messages};
use enedis_sim::{Quota, SimConfig};
use serde_json::Value;

const NOW: &str = "2026-11-28T10:00:00Z";
const PDL: &str = "22516914714270";
const CURVE: &str = "/api/courbe_de_charge_consommation";

async fn call(h: &Harness, path_and_query: &str, token: Option<&str>) -> (u16, Value) {
    let mut r = h.http.get(h.url(path_and_query));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn token(h: &Harness, meters: &[&str]) -> String {
    let meters: Vec<String> = meters.iter().map(|m| (*m).to_owned()).collect();
    enedis_sim::conso_api::mint_token(&meters, h.sim.now())
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn data_with_new_and_old_parameter_names() {
    let h = Harness::start(roomy(), NOW).await;
    let t = token(&h, &[PDL]);
    let (status, body) = call(
        &h,
        &format!("{CURVE}?pointId={PDL}&dateDebut=2026-11-20&dateFin=2026-11-27"),
        Some(&t),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The gateway passes Enedis's 2026 body as it is: the same as Enedis's own path.
    let (_, _, direct) = h
        .get(
            "/mesure_synchrone_auto/v2/courbe_de_charge_consommation",
            &[
                ("pointId", PDL),
                ("dateDebut", "2026-11-20"),
                ("dateFin", "2026-11-27"),
            ],
        )
        .await;
    assert!(body == direct, "the same body as Enedis's own path");
    let (status, old) = call(
        &h,
        &format!("{CURVE}?prm={PDL}&start=2026-11-20&end=2026-11-27"),
        Some(&t),
    )
    .await;
    assert!(
        status == 200 && old == body,
        "the old parameter names give the same"
    );
    // The v5-era names answer `meter_reading`'s content, unwrapped.
    let (status, legacy) = call(
        &h,
        &format!("/api/daily_consumption?prm={PDL}&start=2026-11-20&end=2026-11-27"),
        Some(&t),
    )
    .await;
    assert_eq!(status, 200, "{legacy}");
    assert!(legacy.get("meter_reading").is_none() && legacy["usage_point_id"] == PDL);
}

#[tokio::test]
async fn the_gateways_own_refusals() {
    let h = Harness::start(roomy(), NOW).await;
    let t = token(&h, &[PDL]);
    let q = format!("?pointId={PDL}&dateDebut=2026-11-20&dateFin=2026-11-27");
    let (status, body) = call(&h, &format!("{CURVE}{q}"), None).await;
    assert_eq!(
        (status, message(&body)),
        (400, messages::MISSING_AUTHORIZATION)
    );
    let (status, body) = call(&h, &format!("{CURVE}{q}"), Some("not.a.token")).await;
    assert_eq!((status, message(&body)), (401, messages::INVALID_TOKEN));
    let other = token(&h, &["12345678901234"]);
    let (status, body) = call(&h, &format!("{CURVE}{q}"), Some(&other)).await;
    assert_eq!(
        (status, message(&body)),
        (401, messages::INVALID_TOKEN),
        "another meter's token"
    );
    let (status, body) = call(
        &h,
        &format!("{CURVE}?pointId={PDL}&dateDebut=20-11-2026&dateFin=2026-11-27"),
        Some(&t),
    )
    .await;
    assert_eq!(
        (status, message(&body)),
        (400, messages::INVALID_PARAMETERS)
    );
    let (status, body) = call(&h, &format!("/api/nothing{q}"), Some(&t)).await;
    assert_eq!(
        (status, message(&body)),
        (400, messages::INVALID_PARAMETERS)
    );
    let r = h
        .http
        .post(h.url(&format!("{CURVE}{q}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let body: Value = r.json().await.unwrap();
    assert_eq!(message(&body), messages::GET_ONLY);
}

#[tokio::test]
async fn enedis_errors_come_wrapped_with_their_status() {
    let h = Harness::start(roomy(), NOW).await;
    let t = token(&h, &[PDL]);
    // A load-curve window over 7 days: Enedis refuses, the gateway passes it on.
    let (status, body) = call(
        &h,
        &format!("{CURVE}?pointId={PDL}&dateDebut=2026-11-01&dateFin=2026-11-27"),
        Some(&t),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(message(&body), messages::ENEDIS);
    let read = conso_api::read_error(status, &body.to_string());
    assert_eq!(
        read.kind(),
        enedis_protocol::ErrorKind::WindowTooLong,
        "{read:?}"
    );
}

#[tokio::test]
async fn after_the_v5_cut_off_the_old_names_stop() {
    let h = Harness::start(
        SimConfig {
            v5_enabled: false,
            ..roomy()
        },
        NOW,
    )
    .await;
    let t = token(&h, &[PDL]);
    let (status, body) = call(
        &h,
        &format!("/api/daily_consumption?prm={PDL}&start=2026-11-20&end=2026-11-27"),
        Some(&t),
    )
    .await;
    assert_eq!((status, message(&body)), (404, messages::ENEDIS));
}

#[tokio::test]
async fn every_user_of_the_gateway_shares_one_quota() {
    let h = Harness::start(
        SimConfig {
            quota: Quota {
                per_second: 2,
                per_hour: 1000,
            },
            ..roomy()
        },
        NOW,
    )
    .await;
    let t = token(&h, &[PDL]);
    let q = format!("{CURVE}?pointId={PDL}&dateDebut=2026-11-20&dateFin=2026-11-27");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(call(&h, &q, Some(&t)).await);
    }
    let (status, body) = statuses.pop().unwrap();
    assert_eq!(status, 429, "{body}");
    let read = conso_api::read_error(status, &body.to_string());
    assert_eq!(read.kind(), enedis_protocol::ErrorKind::Quota);
    assert!(read.next_access_time.is_some());
}
