//! The 2026 generation: consent pages of both generations driven over HTTP, subscribed
//! services, consent end and revocation, the v2 metering and contract APIs against the 2026
//! fixtures, agreement with v5 value for value, and the v5 cut-off switch.

mod common;

use chrono::Duration;
use common::*;
use enedis_protocol::v2026::{MesureResponse, SubscribedServicesResponse};
use enedis_protocol::v5::MeterReading;
use enedis_sim::SimConfig;
use linky_core::offpeak::OffPeakSchedule;
use serde_json::{json, Value};

const NOW: &str = "2026-11-28T10:00:00Z";
const REDIRECT: &str = "https://proxy.example/auth/redirect";
const M_DAILY: &str = "/mesure_synchrone_auto/v2/consommation_quotidienne";
const M_CURVE: &str = "/mesure_synchrone_auto/v2/courbe_de_charge_consommation";
const M_PMAX: &str = "/mesure_synchrone_auto/v2/puissance_conso_max_quotidienne";
const M_DAILY_PROD: &str = "/mesure_synchrone_auto/v2/production_quotidienne";
const M_CURVE_PROD: &str = "/mesure_synchrone_auto/v2/courbe_de_charge_production";

fn config() -> SimConfig {
    SimConfig {
        redirect_uri: Some(REDIRECT.to_owned()),
        ..roomy()
    }
}

fn authorize_query(state: &str, duration: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", "test-app".to_owned()),
        ("response_type", "code".to_owned()),
        ("state", state.to_owned()),
        ("duration", duration.to_owned()),
    ]
}

async fn services(h: &Harness, id: u64) -> SubscribedServicesResponse {
    let (s, body) = h.post_json("/subscribed_services/v1", &json!({"autorisationId": id, "autorisation": true, "comptage": false, "serviceType": "ACCES"})).await;
    assert_eq!(s, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// A person opens the v2 page, picks a meter and accepts; returns the autorisation_id.
async fn consent_v2(h: &Harness, state: &str, pdl: &str, duration: &str) -> u64 {
    let page = h
        .http
        .get(h.url("/dataconnect/v2/oauth2/authorize"))
        .query(&authorize_query(state, duration))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("value=\"{pdl}\"")),
        "the page lists the meter"
    );
    assert!(
        html.contains("type=\"radio\""),
        "one meter per 2026 consent"
    );
    let form = [
        ("client_id", "test-app"),
        ("state", state),
        ("duration", duration),
        ("redirect_uri", REDIRECT),
        ("customer", &state[state.len() - 1..]),
        ("pdl", pdl),
        ("decision", "accept"),
    ];
    let r = h
        .no_redirect()
        .post(h.url("/dataconnect/v2/oauth2/authorize/decision"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let (base, params) = location_params(&r);
    assert_eq!(base, REDIRECT);
    assert_eq!(params["state"], state);
    assert!(!params.contains_key("code") && !params.contains_key("usage_point_id"));
    params["autorisation_id"].parse().unwrap()
}

#[tokio::test]
async fn v2_consent_flow_with_delayed_subscribed_services() {
    let h = Harness::start(config(), NOW).await;
    let id = consent_v2(&h, "st-abc3", "10284856584123", "P3Y").await;
    assert!((100_000_000..1_000_000_000).contains(&id));
    // Empty for a short while after the consent, as reported.
    let early = services(&h, id).await;
    assert_eq!(
        (early.nb_total_services, early.active_points().len()),
        (0, 0)
    );
    h.clock.advance(Duration::seconds(5));
    let later = services(&h, id).await;
    assert_eq!(later.active_points(), ["10284856584123"]);
    assert!(
        later
            .service_souscrit
            .iter()
            .all(|s| s.injection && !s.soutirage),
        "a production meter"
    );
    assert_eq!(later.service_souscrit[0].date_fin, "2029-11-28");
    let recorded = sample("v2026-thirdparty-fixtures/eddie_subscribed-services-response.json");
    for key in [
        "pointId",
        "etatCode",
        "serviceCode",
        "soutirage",
        "injection",
        "mesuresTypeCode",
        "mesuresPas",
        "dateDebut",
        "dateFin",
    ] {
        assert!(
            recorded["serviceSouscrit"][0].get(key).is_some()
                && serde_json::to_value(&later.service_souscrit[0])
                    .unwrap()
                    .get(key)
                    .is_some(),
            "{key}"
        );
    }
    // An unknown id, or a request with nothing to look for.
    assert_eq!(services(&h, 1).await.nb_total_services, 0);
    assert_eq!(
        h.post_json("/subscribed_services/v1", &json!({"serviceType": "ACCES"}))
            .await
            .0,
        400
    );
    // subscribed_services needs the application's token like any data call.
    let r = h
        .http
        .post(h.url("/subscribed_services/v1"))
        .json(&json!({"autorisationId": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn v1_consent_returns_code_and_every_meter() {
    let h = Harness::start(config(), NOW).await;
    let mut q = authorize_query("state-7", "P1Y");
    q.push(("auto", "accept".to_owned()));
    let r = h
        .no_redirect()
        .get(h.url("/dataconnect/v1/oauth2/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let (_, params) = location_params(&r);
    assert_eq!(
        params["usage_point_id"],
        "64975835695673;63695879465986;22315546958763"
    );
    assert_eq!(params["state"], "state-7");
    assert_eq!(params["code"].len(), 32);
    let page = h
        .http
        .get(h.url("/dataconnect/v1/oauth2/authorize"))
        .query(&authorize_query("s3", "P1Y"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("type=\"checkbox\""),
        "v1 consents may cover several meters"
    );
}

#[tokio::test]
async fn refusal_and_bad_requests() {
    let h = Harness::start(config(), NOW).await;
    let mut q = authorize_query("s0", "P1Y");
    q.push(("auto", "refuse".to_owned()));
    let r = h
        .no_redirect()
        .get(h.url("/dataconnect/v2/oauth2/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    let (base, params) = location_params(&r);
    assert_eq!((r.status().as_u16(), base.as_str()), (302, REDIRECT));
    assert_eq!(
        (params["error"].as_str(), params["state"].as_str()),
        ("access_denied", "s0")
    );
    assert!(!params["error_description"].is_empty());
    // The person clicks "refuse" on the page.
    let form = [
        ("client_id", "test-app"),
        ("state", "s1"),
        ("duration", "P1Y"),
        ("redirect_uri", REDIRECT),
        ("customer", "1"),
        ("pdl", "11453290002823"),
        ("decision", "refuse"),
    ];
    let r = h
        .no_redirect()
        .post(h.url("/dataconnect/v2/oauth2/authorize/decision"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(location_params(&r).1["error"], "access_denied");

    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (authorize_query("s", "P3Y1D"), "maximum_duration_exceeded"),
        (
            authorize_query("s", "three years"),
            "invalid_duration_format",
        ),
        (authorize_query("s", ""), "invalid_duration_format"),
        (authorize_query(&"x".repeat(101), "P1Y"), "invalid_request"),
        (
            vec![
                ("response_type", "code".into()),
                ("state", "s".into()),
                ("duration", "P1Y".into()),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("client_id", "test-app".into()),
                ("response_type", "token".into()),
                ("state", "s".into()),
                ("duration", "P1Y".into()),
            ],
            "unsupported_response_type",
        ),
        (
            {
                let mut q = authorize_query("s", "P1Y");
                q.push(("redirect_uri", "https://evil.example/cb".into()));
                q
            },
            "invalid_request",
        ),
    ];
    for (query, error) in cases {
        let r = h
            .http
            .get(h.url("/dataconnect/v2/oauth2/authorize"))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query:?}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"],
            error,
            "{query:?}"
        );
    }
    // A 2026 consent covers one meter: choosing none is refused.
    let form = [
        ("client_id", "test-app"),
        ("state", "s3"),
        ("duration", "P1Y"),
        ("redirect_uri", REDIRECT),
        ("customer", "3"),
        ("decision", "accept"),
    ];
    let r = h
        .no_redirect()
        .post(h.url("/dataconnect/v2/oauth2/authorize/decision"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Nor may a person consent for someone else's meter.
    let form = [
        ("client_id", "test-app"),
        ("state", "s3"),
        ("duration", "P1Y"),
        ("redirect_uri", REDIRECT),
        ("customer", "3"),
        ("pdl", "22516914714270"),
        ("decision", "accept"),
    ];
    assert_eq!(
        h.no_redirect()
            .post(h.url("/dataconnect/v2/oauth2/authorize/decision"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test]
async fn consents_end_and_can_be_revoked() {
    let mut h = Harness::start(
        SimConfig {
            subscribed_services_delay_seconds: 0,
            ..config()
        },
        NOW,
    )
    .await;
    // A one-day consent ends tomorrow at midnight, Paris time.
    let short = consent_v2(&h, "s0", "22516914714270", "P1D").await;
    assert_eq!(
        h.mesure(M_DAILY, "22516914714270", "2026-11-20", "2026-11-27")
            .await
            .0,
        200
    );
    h.advance(Duration::days(1)).await;
    let (s, b) = h
        .mesure(M_DAILY, "22516914714270", "2026-11-20", "2026-11-27")
        .await;
    assert_eq!((s, b["error"].as_str()), (403, Some("ADAM-DC-0008")));
    assert_eq!(
        h.metering(DAILY, "22516914714270", "2026-11-20", "2026-11-27")
            .await
            .0,
        403,
        "both generations"
    );
    assert_eq!(
        services(&h, short).await.service_souscrit[0].etat_code,
        "TERMINE"
    );
    assert!(services(&h, short).await.active_points().is_empty());

    // Revoked by the person on the "my consents" page.
    let id = consent_v2(&h, "s1", "11453290002823", "P3Y").await;
    assert_eq!(
        h.mesure(M_DAILY, "11453290002823", "2026-11-20", "2026-11-27")
            .await
            .0,
        200
    );
    let page = h
        .http
        .get(h.url("/dataconnect/consents?customer=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/dataconnect/consents/{id}/revoke")));
    let r = h
        .no_redirect()
        .post(h.url(&format!("/dataconnect/consents/{id}/revoke")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        h.mesure(M_DAILY, "11453290002823", "2026-11-20", "2026-11-27")
            .await
            .0,
        403
    );
    assert_eq!(
        services(&h, id).await.service_souscrit[0].etat_code,
        "RESILIE"
    );
    // A new consent gives access again.
    consent_v2(&h, "s1", "11453290002823", "P3Y").await;
    assert_eq!(
        h.mesure(M_DAILY, "11453290002823", "2026-11-20", "2026-11-27")
            .await
            .0,
        200
    );

    // Revoked through the simulator's control path.
    let id = consent_v2(&h, "s4", "42900589957123", "P3Y").await;
    let r = h
        .http
        .post(h.url(&format!("/_sim/consents/{id}/revoke")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        h.mesure(M_DAILY, "42900589957123", "2026-11-20", "2026-11-27")
            .await
            .0,
        403
    );
    assert_eq!(
        h.http
            .post(h.url("/_sim/consents/42/revoke"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let listed: Value = h
        .http
        .get(h.url("/_sim/consents"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4);

    // Sandbox customer 8 revokes at once.
    let id = consent_v2(&h, "s8", "26584978546985", "P3Y").await;
    assert!(services(&h, id).await.active_points().is_empty());
}

#[tokio::test]
async fn v2_bodies_have_the_fixture_shapes_and_v2_errors() {
    let h = Harness::start(config(), NOW).await;
    let pdl = "22516914714270";
    for (path, fixture) in [
        (
            M_CURVE,
            "v2026-thirdparty-fixtures/esthesis_mesure-v2-cdc-consommation.json",
        ),
        (
            M_DAILY,
            "v2026-thirdparty-fixtures/esthesis_mesure-v2-consommation-quotidienne.json",
        ),
        (
            M_PMAX,
            "v2026-thirdparty-fixtures/esthesis_mesure-v2-pmax-pma.json",
        ),
    ] {
        let (s, body) = h.mesure(path, pdl, "2026-11-20", "2026-11-22").await;
        assert_eq!(s, 200, "{path}: {body}");
        assert_eq!(shape(&body), shape(&sample(fixture)), "{path}");
    }
    // A hole reads "null" in the max-power answer, as in the fixture.
    let (_, body) = h
        .mesure(M_PMAX, "42900589957123", "2026-11-16", "2026-11-20")
        .await;
    let values: Vec<&str> = body["grandeur"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["v"].as_str().unwrap())
        .collect();
    assert_eq!(
        values.iter().filter(|v| **v == "null").count(),
        2,
        "{values:?}"
    );
    // Monthly maxima.
    let (s, _, body) = h
        .get(
            M_PMAX,
            &[
                ("pointId", pdl),
                ("dateDebut", "2026-08-01"),
                ("dateFin", "2026-11-01"),
                ("mesuresPas", "P1M"),
            ],
        )
        .await;
    assert_eq!((s, body["pas"].as_str()), (200, Some("P1M")));
    assert_eq!(body["grandeur"][0]["points"].as_array().unwrap().len(), 3);
    let (s, _, body) = h
        .get(
            M_PMAX,
            &[
                ("pointId", pdl),
                ("dateDebut", "2026-08-01"),
                ("dateFin", "2026-11-01"),
                ("mesuresPas", "PT1H"),
            ],
        )
        .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_request")));
    // Errors in the 2026 form.
    let (s, body) = h
        .mesure(M_CURVE, "32320647321714", "2026-11-20", "2026-11-22")
        .await;
    assert_eq!((s, body["code"].as_str()), (404, Some("SGT404")));
    let (s, body) = h.mesure(M_CURVE, pdl, "2026-11-01", "2026-11-09").await;
    assert_eq!((s, body["error"].as_str()), (400, Some("ADAM-ERR0126")));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("La demande ne peut pas aboutir"));
    let (s, _, body) = h
        .get(
            M_DAILY,
            &[("dateDebut", "2026-11-01"), ("dateFin", "2026-11-02")],
        )
        .await;
    assert_eq!(
        (s, body["error_description"].as_str()),
        (400, Some("Le paramètre pointId est obligatoire."))
    );
    let (s, body) = h
        .mesure(M_DAILY, "24880057139941", "2026-11-20", "2026-11-22")
        .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("ADAM-ERR0069")));
}

#[tokio::test]
async fn v5_and_2026_agree_value_for_value() {
    let h = Harness::start(config(), NOW).await;
    let ranges = [
        ("2026-11-16", "2026-11-23"),
        ("2025-10-22", "2025-10-29"),
        ("2026-03-26", "2026-04-02"),
    ];
    for pdl in [
        "22516914714270",
        "42900589957123",
        "12655648759651",
        "99000000000099",
        "99000000000010",
    ] {
        for (start, end) in ranges {
            let (_, a) = h.metering(CURVE, pdl, start, end).await;
            let (_, b) = h.mesure(M_CURVE, pdl, start, end).await;
            let v5 = MeterReading::from_json(&a.to_string())
                .unwrap()
                .to_load_curve()
                .unwrap();
            let v2 = MesureResponse::from_json(&b.to_string())
                .unwrap()
                .to_load_curve()
                .unwrap();
            assert_eq!(v5, v2, "{pdl} {start} curve");
            assert!(!v5.is_empty());
            let (_, a) = h.metering(DAILY, pdl, start, end).await;
            let (_, b) = h.mesure(M_DAILY, pdl, start, end).await;
            assert_eq!(
                MeterReading::from_json(&a.to_string())
                    .unwrap()
                    .to_daily_energy()
                    .unwrap(),
                MesureResponse::from_json(&b.to_string())
                    .unwrap()
                    .to_daily_energy()
                    .unwrap(),
                "{pdl} {start} daily"
            );
            let (_, a) = h.metering(MAX_POWER, pdl, start, end).await;
            let (_, b) = h.mesure(M_PMAX, pdl, start, end).await;
            assert_eq!(
                MeterReading::from_json(&a.to_string())
                    .unwrap()
                    .to_max_power()
                    .unwrap(),
                MesureResponse::from_json(&b.to_string())
                    .unwrap()
                    .to_max_power()
                    .unwrap(),
                "{pdl} {start} max power"
            );
        }
    }
    for (start, end) in ranges {
        let (_, a) = h.metering(CURVE_PROD, "12655648759651", start, end).await;
        let (_, b) = h.mesure(M_CURVE_PROD, "12655648759651", start, end).await;
        assert_eq!(
            MeterReading::from_json(&a.to_string())
                .unwrap()
                .to_load_curve()
                .unwrap(),
            MesureResponse::from_json(&b.to_string())
                .unwrap()
                .to_load_curve()
                .unwrap()
        );
        let (_, a) = h.metering(DAILY_PROD, "10284856584123", start, end).await;
        let (_, b) = h.mesure(M_DAILY_PROD, "10284856584123", start, end).await;
        assert_eq!(
            MeterReading::from_json(&a.to_string())
                .unwrap()
                .to_daily_energy()
                .unwrap(),
            MesureResponse::from_json(&b.to_string())
                .unwrap()
                .to_daily_energy()
                .unwrap()
        );
    }
}

#[tokio::test]
async fn contract_apis_of_2026() {
    let h = Harness::start(config(), NOW).await;
    let (s, _, body) = h.get("/comptage_auto/v1/32320647321714", &[]).await;
    assert_eq!(s, 200);
    let hc = body["relais"]["plageHeuresCreuses"].as_str().unwrap();
    assert_eq!(
        OffPeakSchedule::from_enedis_contract(hc)
            .unwrap()
            .to_string(),
        "1h30-8h00 12h30-14h00"
    );
    let (_, _, body) = h.get("/comptage_auto/v1/24880057139941", &[]).await;
    assert!(
        body["relais"].get("plageHeuresCreuses").is_none(),
        "no off-peak relay on a production meter"
    );
    let (s, _, body) = h
        .get("/situation_contrat_auto/v1/12345678901234", &[])
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        shape(&body),
        shape(&sample(
            "v2026-thirdparty-fixtures/eddie_situation-contractuelle.json"
        ))
    );
    assert_eq!(body[0]["subscribed_power"]["value"], "9");
    let (s, _, body) = h.get("/synth_contrat_auto/v1/12655648759651", &[]).await;
    assert_eq!(s, 200);
    assert_eq!(
        shape(&body),
        shape(&sample(
            "v2026-thirdparty-fixtures/esthesis_synth-contrat.json"
        ))
    );
    assert_eq!(
        body["consumption_last_activation_date"],
        "2015-12-01T00:00:00+0100"
    );
    // Without consent: the ITC refusal; without the PRM in the path: a gateway failure.
    let (s, _, body) = h.get("/synth_contrat_auto/v1/26584978546985", &[]).await;
    assert_eq!(
        (s, body.clone()),
        (
            400,
            sample("v2026-thirdparty-fixtures/esthesis_itc-error.json")
        )
    );
    let (s, _, _) = h
        .get("/synth_contrat_auto/v1", &[("prm", "12345678901234")])
        .await;
    assert_eq!(s, 500);
    let (s, _, _) = h.get("/comptage_auto/v1/123", &[]).await;
    assert_eq!(s, 400);
    let log: Value = h
        .http
        .get(h.url("/_sim/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["pdl"] == "32320647321714" && e["path"] == "/comptage_auto/v1/32320647321714"));
}

#[tokio::test]
async fn v5_can_be_switched_off() {
    let h = Harness::start(
        SimConfig {
            v5_enabled: false,
            ..config()
        },
        NOW,
    )
    .await;
    let (s, body) = h
        .metering(DAILY, "22516914714270", "2026-11-20", "2026-11-22")
        .await;
    assert_eq!((s, body["message"].as_str()), (404, Some("Not Found")));
    assert_eq!(
        h.get(
            "/customers_upc/v5/usage_points/contracts",
            &[("usage_point_id", "22516914714270")]
        )
        .await
        .0,
        404
    );
    assert_eq!(
        h.mesure(M_DAILY, "22516914714270", "2026-11-20", "2026-11-22")
            .await
            .0,
        200
    );
}
