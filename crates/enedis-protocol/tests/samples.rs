//! Conformance against the recorded Enedis bodies in testdata/enedis-samples: we read
//! each one, and what we build from the values read is the same JSON, key for key.

use std::path::PathBuf;

use chrono::NaiveDate;
use enedis_protocol::error::{EnedisError, ErrorCode, ErrorKind};
use enedis_protocol::v5::{MeterReading, MeterReadingResponse, Resource};
use linky_core::Energy;
use serde_json::Value;

fn sample(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/enedis-samples");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json_sample(path: &str) -> Value {
    serde_json::from_str(&sample(path)).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn recorded_load_curve_reads_and_rebuilds_identically() {
    let body =
        sample("consoapi-recorded/04_consumption_load_curve_2023-04-01_2023-04-02_HTTP200.json");
    let reading = MeterReading::from_json(&body).unwrap();
    let curve = reading.to_load_curve().unwrap();
    assert_eq!(curve.points().len(), 48);
    let rebuilt = MeterReading::from_load_curve(
        Resource::ConsumptionLoadCurve,
        "11111111111111",
        date("2023-04-01"),
        date("2023-04-02"),
        curve.points(),
    );
    let original: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(serde_json::to_value(&rebuilt).unwrap(), original);
    // With the Enedis envelope put back, as Enedis sends it.
    let enveloped = serde_json::to_string(&MeterReadingResponse {
        meter_reading: rebuilt,
    })
    .unwrap();
    assert!(enveloped.starts_with(
        "{\"meter_reading\":{\"usage_point_id\":\"11111111111111\",\"start\":\"2023-04-01\""
    ));
    assert_eq!(
        MeterReading::from_json(&enveloped)
            .unwrap()
            .to_load_curve()
            .unwrap(),
        curve
    );
}

#[test]
fn recorded_daily_and_max_power_read_and_rebuild_identically() {
    for (file, resource) in [
        (
            "consoapi-recorded/02_daily_consumption_2023-04-01_2023-04-04_HTTP200.json",
            Resource::DailyConsumption,
        ),
        (
            "consoapi-recorded/07_daily_production_2023-04-01_2023-04-04_HTTP200.json",
            Resource::DailyProduction,
        ),
    ] {
        let body = sample(file);
        let reading = MeterReading::from_json(&body).unwrap();
        let days = reading.to_daily_energy().unwrap();
        assert_eq!(days.len(), 3);
        let rebuilt = MeterReading::from_daily_energy(
            resource,
            "11111111111111",
            date("2023-04-01"),
            date("2023-04-04"),
            &days,
        );
        assert_eq!(
            serde_json::to_value(&rebuilt).unwrap(),
            serde_json::from_str::<Value>(&body).unwrap(),
            "{file}"
        );
    }
    let body = sample("consoapi-recorded/02_daily_consumption_2023-04-01_2023-04-04_HTTP200.json");
    let days = MeterReading::from_json(&body)
        .unwrap()
        .to_daily_energy()
        .unwrap();
    assert_eq!(days[0].energy, Energy::from_wh(11776));

    let body =
        sample("consoapi-recorded/05_consumption_max_power_2023-04-01_2023-04-04_HTTP200.json");
    let peaks = MeterReading::from_json(&body)
        .unwrap()
        .to_max_power()
        .unwrap();
    assert_eq!(
        (peaks[0].volt_amperes, peaks[0].at.to_string().as_str()),
        (4638, "2023-04-01 12:06:20")
    );
    let rebuilt = MeterReading::from_max_power(
        "11111111111111",
        date("2023-04-01"),
        date("2023-04-04"),
        &peaks,
    );
    assert_eq!(
        serde_json::to_value(&rebuilt).unwrap(),
        serde_json::from_str::<Value>(&body).unwrap()
    );
}

#[test]
fn third_party_v5_shapes_read() {
    let body = sample(
        "v5/eddie_consumption_load_curve_with_changing_resolution_2024-02-26_to_2024-02-27.json",
    );
    let curve = MeterReading::from_json(&body)
        .unwrap()
        .to_load_curve()
        .unwrap();
    let steps: std::collections::BTreeSet<u16> =
        curve.points().iter().map(|p| p.step.minutes()).collect();
    assert_eq!(steps.into_iter().collect::<Vec<_>>(), [10, 15, 30, 60]);
}

#[test]
fn catalogue_bodies_match_the_recorded_errors() {
    for (file, code) in [
        (
            "v5-errors/400_ADAM-ERR0123_before_activation.json",
            ErrorCode::BeforeActivation,
        ),
        (
            "v5-errors/400_ADAM-ERR0125_history_deadline.json",
            ErrorCode::HistoryDeadline,
        ),
        (
            "v5-errors/400_ADAM-ERR0126_load_curve_period.json",
            ErrorCode::LoadCurvePeriod,
        ),
        (
            "v5-errors/400_invalid_request_start_after_end.json",
            ErrorCode::StartNotBeforeEnd,
        ),
        (
            "v5-errors/400_ADAM-DC-0007_not_holder_2026.json",
            ErrorCode::NotHolder,
        ),
        (
            "v5-errors/403_ADAM-DC-0008_no_consent.json",
            ErrorCode::NoConsent,
        ),
        ("v5-errors/404_no_data_found.json", ErrorCode::NoDataFound),
        (
            "v5-errors/500_technical_error.json",
            ErrorCode::TechnicalError,
        ),
    ] {
        let recorded: Value = serde_json::from_str(&sample(file)).unwrap();
        assert_eq!(
            serde_json::to_value(code.body()).unwrap(),
            recorded,
            "{file}"
        );
        let status: u16 = file[10..13].parse().unwrap();
        assert_eq!(code.status(), status, "{file}");
    }
}

#[test]
fn every_recorded_error_shape_is_understood() {
    for (file, status, kind) in [
        ("v5-errors/429_quota_Q4_v4era.json", 429, ErrorKind::Quota),
        ("v5-errors/429_wso2_fault_2026.json", 429, ErrorKind::Quota),
        (
            "v5-errors/429_wso2_throttled_2026.json",
            429,
            ErrorKind::Quota,
        ),
        (
            "v5-errors/403_ADAM-DC-0008_no_consent.json",
            403,
            ErrorKind::ConsentLost,
        ),
        (
            "v5-errors/400_ADAM-DC-0007_not_holder_2026.json",
            400,
            ErrorKind::ConsentLost,
        ),
        ("v5-errors/404_no_data_found.json", 404, ErrorKind::NoData),
        (
            "consoapi-recorded/01_daily_consumption_2023-04-02_2023-04-01_HTTP400.json",
            400,
            ErrorKind::InvalidRequest,
        ),
    ] {
        let e = EnedisError::from_response(status, &sample(file), None);
        assert_eq!(e.kind(), kind, "{file}: {e:?}");
        assert!(!e.description.is_empty(), "{file}");
    }
    let e =
        EnedisError::from_response(429, &sample("v5-errors/429_wso2_throttled_2026.json"), None);
    assert_eq!(
        e.next_access_time.as_deref(),
        Some("2026-Jul-17 05:00:00+0000 UTC")
    );
}

#[test]
fn recorded_customer_bodies_round_trip() {
    use enedis_protocol::customers::{ContactResponse, CustomerResponse, IdentityResponse};
    for file in [
        "v5/eddie_contract-consumption.json",
        "v5/myelectricaldatapy_contract_two_offpeak_ranges.json",
        "v5/eddie_address.json",
    ] {
        let body = sample(file);
        let parsed: CustomerResponse = serde_json::from_str(&body).unwrap();
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            serde_json::from_str::<Value>(&body).unwrap(),
            "{file}"
        );
    }
    let contract: CustomerResponse = serde_json::from_str(&sample(
        "v5/myelectricaldatapy_contract_two_offpeak_ranges.json",
    ))
    .unwrap();
    let c = contract.customer.usage_points[0]
        .contracts
        .as_ref()
        .unwrap();
    assert_eq!(c.subscribed_kva().unwrap(), 9);
    assert_eq!(c.activation_date().unwrap(), date("2006-05-24"));
    let schedule = linky_core::offpeak::OffPeakSchedule::from_enedis_contract(
        c.offpeak_hours.as_deref().unwrap(),
    )
    .unwrap();
    assert_eq!(schedule.to_string(), "1h30-8h00 12h30-14h00");
    let id: IdentityResponse = serde_json::from_str(&sample("v5/eddie_identity.json")).unwrap();
    assert_eq!(id.identity.natural_person.unwrap().lastname, "Doe");
    let contact: ContactResponse = serde_json::from_str(&sample("v5/eddie_contact.json")).unwrap();
    assert_eq!(contact.contact_data.phone, "0512345678");
}

#[test]
fn recorded_2026_bodies_read_and_rebuild() {
    use enedis_protocol::v2026::{MesureResponse, SubscribedServicesResponse};
    let curve_body =
        json_sample("v2026-thirdparty-fixtures/esthesis_mesure-v2-cdc-consommation.json");
    let parsed = MesureResponse::from_json(&serde_json::to_string(&curve_body).unwrap()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), curve_body);
    let curve = parsed.to_load_curve().unwrap();
    assert_eq!(curve.points().len(), 3);
    let rebuilt = MesureResponse::from_load_curve(
        linky_core::Direction::Consumption,
        "99999999999999",
        date("2026-09-28"),
        date("2026-09-29"),
        curve.points(),
    );
    assert_eq!(serde_json::to_value(&rebuilt).unwrap(), curve_body);

    let daily_body =
        json_sample("v2026-thirdparty-fixtures/esthesis_mesure-v2-consommation-quotidienne.json");
    let parsed = MesureResponse::from_json(&daily_body.to_string()).unwrap();
    let days = parsed.to_daily_energy().unwrap();
    assert_eq!(days.len(), 5);
    let rebuilt = MesureResponse::from_daily_energy(
        linky_core::Direction::Consumption,
        "99999999999999",
        date("2026-09-25"),
        date("2026-09-30"),
        &days,
    );
    assert_eq!(serde_json::to_value(&rebuilt).unwrap(), daily_body);

    let pmax_body = json_sample("v2026-thirdparty-fixtures/esthesis_mesure-v2-pmax-pma.json");
    let parsed = MesureResponse::from_json(&pmax_body.to_string()).unwrap();
    let peaks = parsed.to_max_power().unwrap();
    assert_eq!(peaks.len(), 4, "the \"null\" day is left out");
    let by_day: Vec<_> = date("2026-09-25")
        .iter_days()
        .take(5)
        .map(|d| (d, peaks.iter().copied().find(|p| p.date == d)))
        .collect();
    let rebuilt = MesureResponse::from_max_power(
        "99999999999999",
        date("2026-09-25"),
        date("2026-09-30"),
        "P1D",
        &by_day,
    );
    assert_eq!(serde_json::to_value(&rebuilt).unwrap(), pmax_body);

    let services: SubscribedServicesResponse = serde_json::from_value(json_sample(
        "v2026-thirdparty-fixtures/eddie_subscribed-services-response.json",
    ))
    .unwrap();
    assert_eq!(
        services.active_points(),
        ["12345678901234", "98765432109876"]
    );

    let recorded_error = json_sample("v2026-thirdparty-fixtures/esthesis_mesure-v2-error-400.json");
    assert_eq!(ErrorCode::BeforeActivation.body_2026(), recorded_error);
    let e = EnedisError::from_response(400, &recorded_error.to_string(), None);
    assert_eq!(e.kind(), ErrorKind::BeforeActivation);
    let e = EnedisError::from_response(404, &ErrorCode::NoDataFound.body_2026().to_string(), None);
    assert_eq!(e.kind(), ErrorKind::NoData);
    for code in ErrorCode::ALL {
        let e = EnedisError::from_response(code.status(), &code.body_2026().to_string(), None);
        let v5 = EnedisError::from_response(
            code.status(),
            &serde_json::to_string(&code.body()).unwrap(),
            None,
        );
        assert_eq!(
            e.kind(),
            v5.kind(),
            "{code:?}: both generations mean the same"
        );
    }
}

#[test]
fn the_fast_curve_reader_agrees_with_the_general_one() {
    for file in [
        "consoapi-recorded/04_consumption_load_curve_2023-04-01_2023-04-02_HTTP200.json",
        "v5/eddie_consumption_load_curve_with_changing_resolution_2024-02-26_to_2024-02-27.json",
    ] {
        let body = sample(file);
        let general = MeterReading::from_json(&body).unwrap();
        let (pdl, curve) = enedis_protocol::v5::load_curve_from_json(&body).unwrap();
        assert_eq!(pdl, general.usage_point_id);
        assert_eq!(curve, general.to_load_curve().unwrap(), "{file}");
    }
    // The 2026 reader: the recorded body as it came, bodies written by the simulator's
    // builder across both daylight-saving days, and variants the fast path leaves to serde_json
    // (an escaped character, kW values, nulls, key order, spaces).
    let recorded = sample("v2026-thirdparty-fixtures/esthesis_mesure-v2-cdc-consommation.json");
    let mut bodies = vec![recorded.clone()];
    for (start, end) in [("2026-03-28", "2026-04-01"), ("2026-10-24", "2026-10-28")] {
        let (from, to) = (date(start), date(end));
        let points: Vec<_> = (1..)
            .map(|i| linky_core::paris::day_start(from) + chrono::Duration::minutes(30 * i))
            .take_while(|t| *t <= linky_core::paris::day_start(to))
            .map(|end| linky_core::LoadCurvePoint {
                end,
                step: linky_core::Step::PT30M,
                watts: 100 + (end.timestamp() % 997) as u32,
            })
            .collect();
        let answer = enedis_protocol::v2026::MesureResponse::from_load_curve(
            linky_core::Direction::Consumption,
            "22516914714270",
            from,
            to,
            &points,
        );
        bodies.push(serde_json::to_string(&answer).unwrap());
        bodies.push(serde_json::to_string_pretty(&answer).unwrap());
    }
    bodies.push(recorded.replacen("\"W\"", "\"kW\"", 1));
    bodies.push(recorded.replacen("\"PT30M\"", "\"PT\\u0033\\u0030M\"", 1));
    for body in &bodies {
        let general = enedis_protocol::v2026::MesureResponse::from_json(body).unwrap();
        let (pdl, curve) = enedis_protocol::v2026::load_curve_from_json(body).unwrap();
        assert_eq!(pdl, general.id_prm);
        assert_eq!(curve, general.to_load_curve().unwrap(), "{body}");
    }
    for broken in [
        "{\"idPrm\":\"1\",\"grandeur\":[{\"unite\":\"W\",\"points\":[{\"v\":\"x\",\"d\":\"2026-04-01 00:30:00\"}]}]}",
        "{\"idPrm\":\"1\",\"grandeur\":[{\"unite\":\"W\",\"points\":[{\"v\":\"1\"}]}]}",
        "{\"idPrm\":\"1\"}",
    ] {
        assert!(enedis_protocol::v2026::load_curve_from_json(broken).is_err(), "{broken}");
    }
    assert!(enedis_protocol::v5::load_curve_from_json("{\"meter_reading\":{}}").is_err());
    assert!(enedis_protocol::v5::load_curve_from_json("{\"usage_point_id\":\"1\",\"interval_reading\":[{\"value\":\"x\",\"date\":\"2023-04-01 00:30:00\"}]}").is_err());
}
