//! The simulator against what Enedis is documented and recorded to do
//! (shared/reference/enedis.md and enedis-samples): body shapes, sandbox customers, rules,
//! errors, DST days, consistency between resources, publication time.

mod common;

use chrono::Duration;
use common::*;
use enedis_protocol::customers::CustomerResponse;
use enedis_protocol::v5::MeterReading;
use linky_core::aggregate::{aggregate, Period};
use linky_core::offpeak::OffPeakSchedule;
use serde_json::Value;

const NOW: &str = "2026-11-28T10:00:00Z"; // 11:00 in Paris: yesterday is published.

fn reading(body: &Value) -> MeterReading {
    MeterReading::from_json(&body.to_string()).unwrap()
}

#[tokio::test]
async fn bodies_have_the_recorded_shapes() {
    let h = Harness::start(roomy(), NOW).await;
    let pdl = "22516914714270";
    for (path, recorded) in [
        (
            DAILY,
            "consoapi-recorded/02_daily_consumption_2023-04-01_2023-04-04_HTTP200.json",
        ),
        (
            CURVE,
            "consoapi-recorded/04_consumption_load_curve_2023-04-01_2023-04-02_HTTP200.json",
        ),
        (
            MAX_POWER,
            "consoapi-recorded/05_consumption_max_power_2023-04-01_2023-04-04_HTTP200.json",
        ),
    ] {
        let (status, body) = h.metering(path, pdl, "2026-11-20", "2026-11-23").await;
        assert_eq!(status, 200, "{path}: {body}");
        let expected = serde_json::json!({ "meter_reading": sample(recorded) });
        assert_eq!(shape(&body), shape(&expected), "{path}");
        assert_eq!(body["meter_reading"]["start"], "2026-11-20");
        assert_eq!(body["meter_reading"]["end"], "2026-11-23");
    }
    let (_, body) = h.metering(DAILY, pdl, "2026-11-20", "2026-11-23").await;
    assert_eq!(points(&body), 3, "end is exclusive");
    let (_, body) = h.metering(CURVE, pdl, "2026-11-20", "2026-11-21").await;
    let first = &body["meter_reading"]["interval_reading"][0];
    assert_eq!(first["date"], "2026-11-20 00:30:00");
    assert_eq!(
        body["meter_reading"]["interval_reading"][47]["date"],
        "2026-11-21 00:00:00"
    );
    let (_, _, contracts) = h
        .get(
            "/customers_upc/v5/usage_points/contracts",
            &[("usage_point_id", pdl)],
        )
        .await;
    let recorded = sample("v5/myelectricaldatapy_contract_two_offpeak_ranges.json");
    assert_eq!(shape(&contracts), shape(&recorded));
}

#[tokio::test]
async fn sandbox_customers_behave_as_documented() {
    let h = Harness::start(roomy(), NOW).await;
    let week = ("2026-11-16", "2026-11-23"); // Monday to Monday
                                             // 0: complete data.
    let (s, b) = h.metering(CURVE, "22516914714270", week.0, week.1).await;
    assert_eq!((s, points(&b)), (200, 7 * 48));
    // 2: load curve not enabled, daily works.
    let (s, b) = h.metering(CURVE, "32320647321714", week.0, week.1).await;
    assert_eq!((s, error_code(&b)), (404, "no_data_found"));
    assert_eq!(
        b["error_description"],
        "no measure found for this usage point"
    );
    assert_eq!(
        h.metering(DAILY, "32320647321714", week.0, week.1).await.0,
        200
    );
    // 3: a consumption and a production meter.
    assert_eq!(
        h.metering(CURVE, "12345678901234", week.0, week.1).await.0,
        200
    );
    assert_eq!(
        h.metering(CURVE_PROD, "10284856584123", week.0, week.1)
            .await
            .0,
        200
    );
    let (s, b) = h.metering(CURVE, "10284856584123", week.0, week.1).await;
    assert_eq!((s, error_code(&b)), (400, "ADAM-ERR0069"));
    // 4: holes every Tuesday and Wednesday.
    let (_, b) = h.metering(CURVE, "42900589957123", week.0, week.1).await;
    assert_eq!(points(&b), 5 * 48);
    let (_, b) = h.metering(DAILY, "42900589957123", week.0, week.1).await;
    let dates: Vec<&str> = b["meter_reading"]["interval_reading"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            "2026-11-16",
            "2026-11-19",
            "2026-11-20",
            "2026-11-21",
            "2026-11-22"
        ]
    );
    let (s, b) = h
        .metering(DAILY, "42900589957123", "2026-11-17", "2026-11-19")
        .await;
    assert_eq!(
        (s, error_code(&b)),
        (404, "no_data_found"),
        "a range that is all holes"
    );
    // 5: production only; consumption and customers calls fail.
    assert_eq!(
        h.metering(DAILY_PROD, "24880057139941", week.0, week.1)
            .await
            .0,
        200
    );
    let (s, b) = h.metering(DAILY, "24880057139941", week.0, week.1).await;
    assert_eq!((s, error_code(&b)), (400, "ADAM-ERR0069"));
    let (s, b) = h
        .metering(MAX_POWER, "24880057139941", week.0, week.1)
        .await;
    assert_eq!((s, error_code(&b)), (400, "ADAM-ERR0069"));
    let (s, _, _) = h
        .get(
            "/customers_upc/v5/usage_points/contracts",
            &[("usage_point_id", "24880057139941")],
        )
        .await;
    assert_eq!(s, 404);
    // 6: self-consumption: never both flows in the same slot.
    let (_, c) = h
        .metering(CURVE, "12655648759651", "2026-06-20", "2026-06-22")
        .await;
    let (_, p) = h
        .metering(CURVE_PROD, "12655648759651", "2026-06-20", "2026-06-22")
        .await;
    let c = reading(&c).to_load_curve().unwrap();
    let p = reading(&p).to_load_curve().unwrap();
    assert_eq!(c.points().len(), p.points().len());
    assert!(c
        .points()
        .iter()
        .zip(p.points())
        .all(|(a, b)| a.watts == 0 || b.watts == 0));
    // 7: three consumption meters.
    for pdl in ["64975835695673", "63695879465986", "22315546958763"] {
        assert_eq!(h.metering(DAILY, pdl, week.0, week.1).await.0, 200, "{pdl}");
    }
    // 8: consent revoked.
    let (s, b) = h.metering(DAILY, "26584978546985", week.0, week.1).await;
    assert_eq!((s, error_code(&b)), (403, "ADAM-DC-0008"));
    assert_eq!(
        b["error_description"],
        "No consent can be found for this customer and this usage point."
    );
    // An unknown meter has no consent either.
    assert_eq!(
        h.metering(DAILY, "99999999999999", week.0, week.1).await.0,
        403
    );
}

#[tokio::test]
async fn activation_date_of_customer_1() {
    let h = Harness::start(roomy(), "2021-06-01T10:00:00Z").await;
    let (s, b) = h
        .metering(DAILY, "11453290002823", "2019-08-20", "2019-08-30")
        .await;
    assert_eq!((s, error_code(&b)), (400, "ADAM-ERR0123"));
    assert_eq!(
        b["error_uri"],
        "https://bluecoder.enedis.fr/api-doc/consulter-souscrire"
    );
    let (s, b) = h
        .metering(DAILY, "11453290002823", "2019-08-27", "2019-09-03")
        .await;
    assert_eq!((s, points(&b)), (200, 7));
    assert_eq!(
        h.metering(DAILY, "22516914714270", "2019-08-20", "2019-08-30")
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn every_documented_rule_gives_its_documented_error() {
    let h = Harness::start(roomy(), NOW).await;
    let pdl = "22516914714270";
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            DAILY,
            vec![("start", "2026-11-01"), ("end", "2026-11-02")],
            400,
            "Invalid_request",
            "usage_point_id parameter is required.",
        ),
        (
            DAILY,
            vec![
                ("usage_point_id", "123"),
                ("start", "2026-11-01"),
                ("end", "2026-11-02"),
            ],
            400,
            "Invalid_request",
            "usage_point_id parameter must be 14 digits long.",
        ),
        (
            DAILY,
            vec![("usage_point_id", pdl), ("end", "2026-11-02")],
            400,
            "Invalid_request",
            "Start date parameter is required.",
        ),
        (
            DAILY,
            vec![("usage_point_id", pdl), ("start", "2026-11-01")],
            400,
            "Invalid_request",
            "End date parameter is required.",
        ),
        (
            DAILY,
            vec![
                ("usage_point_id", pdl),
                ("start", "01/11/2026"),
                ("end", "2026-11-02"),
            ],
            400,
            "Invalid_request",
            "Start date parameter must be in the format YYYY-MM-DD",
        ),
        (
            DAILY,
            vec![
                ("usage_point_id", pdl),
                ("start", "2026-11-02"),
                ("end", "2026-11-01"),
            ],
            400,
            "Invalid_request",
            "Start date should be before end date.",
        ),
        (
            DAILY,
            vec![
                ("usage_point_id", pdl),
                ("start", "2026-11-02"),
                ("end", "2026-11-02"),
            ],
            400,
            "Invalid_request",
            "Start date should be before end date.",
        ),
        (
            DAILY,
            vec![
                ("usage_point_id", pdl),
                ("start", "2026-11-27"),
                ("end", "2026-11-29"),
            ],
            400,
            "Invalid_request",
            "The end date parameter must be earlier than the current date",
        ),
        (
            CURVE,
            vec![
                ("usage_point_id", pdl),
                ("start", "2024-11-12"),
                ("end", "2024-11-14"),
            ],
            400,
            "ADAM-ERR0125",
            "The start date must be greater than the history deadline.",
        ),
        (
            DAILY,
            vec![
                ("usage_point_id", pdl),
                ("start", "2023-11-12"),
                ("end", "2023-11-14"),
            ],
            400,
            "ADAM-ERR0125",
            "The start date must be greater than the history deadline.",
        ),
        (
            CURVE,
            vec![
                ("usage_point_id", pdl),
                ("start", "2026-11-01"),
                ("end", "2026-11-09"),
            ],
            400,
            "ADAM-ERR0126",
            "The requested period must be less than 7 days for an access to the load curve.",
        ),
        (
            DAILY,
            vec![
                ("usage_point_id", pdl),
                ("start", "2023-11-20"),
                ("end", "2026-11-20"),
            ],
            400,
            "Invalid_request",
            "The requested period must be less than 1095 days.",
        ),
    ];
    for (path, query, status, error, description) in cases {
        let (s, _, b) = h.get(path, &query).await;
        assert_eq!(
            (
                s,
                error_code(&b),
                b["error_description"].as_str().unwrap_or("")
            ),
            (status, error, description),
            "{path} {query:?}"
        );
    }
    // Edges that are allowed: end = today, 7-day curve window, history depth exactly.
    assert_eq!(
        h.metering(DAILY, pdl, "2026-11-27", "2026-11-28").await.0,
        200
    );
    assert_eq!(
        h.metering(CURVE, pdl, "2026-11-01", "2026-11-08").await.0,
        200
    );
    assert_eq!(
        h.metering(CURVE, pdl, "2024-11-13", "2024-11-14").await.0,
        200
    );
    assert_eq!(
        h.metering(DAILY, pdl, "2023-11-13", "2023-11-14").await.0,
        200
    );
    assert_eq!(
        h.metering(MAX_POWER, pdl, "2023-11-21", "2026-11-20")
            .await
            .0,
        200,
        "1 095 days at once"
    );
}

#[tokio::test]
async fn dst_days_give_46_and_50_points_that_place_in_time() {
    let h = Harness::start(roomy(), NOW).await;
    let pdl = "22516914714270";
    for (day, next, count, hours) in [
        ("2025-03-30", "2025-03-31", 46, 23),
        ("2025-10-26", "2025-10-27", 50, 25),
        ("2026-03-29", "2026-03-30", 46, 23),
        ("2026-10-25", "2026-10-26", 50, 25),
    ] {
        let (s, body) = h.metering(CURVE, pdl, day, next).await;
        assert_eq!((s, points(&body)), (200, count), "{day}");
        let curve = reading(&body).to_load_curve().unwrap();
        assert_eq!(
            aggregate(curve.points(), Period::Hour, |_| false).len(),
            hours,
            "{day}"
        );
    }
    let (_, body) = h.metering(CURVE, pdl, "2025-10-26", "2025-10-27").await;
    let stamps: Vec<&str> = body["meter_reading"]["interval_reading"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["date"].as_str().unwrap()[11..16])
        .collect();
    assert_eq!(&stamps[3..8], ["02:00", "02:30", "03:00", "02:30", "03:00"]);
    let (_, body) = h.metering(CURVE, pdl, "2025-03-30", "2025-03-31").await;
    let stamps: Vec<&str> = body["meter_reading"]["interval_reading"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["date"].as_str().unwrap()[11..16])
        .collect();
    assert!(
        !stamps.contains(&"02:30") && !stamps.contains(&"03:00"),
        "{stamps:?}"
    );

    // The variant without duplicates.
    let drop = Harness::start(
        enedis_sim::SimConfig {
            dst_stamps: enedis_sim::DstStamps::DropDuplicates,
            ..roomy()
        },
        NOW,
    )
    .await;
    let (_, body) = drop.metering(CURVE, pdl, "2025-10-26", "2025-10-27").await;
    assert_eq!(points(&body), 48);
}

#[tokio::test]
async fn resources_agree_and_steps_are_served() {
    let h = Harness::start(roomy(), NOW).await;
    for pdl in [
        "22516914714270",
        "99000000000010",
        "99000000000015",
        "99000000000060",
        "99000000000099",
    ] {
        for (start, end) in [("2025-06-10", "2025-06-17"), ("2025-10-20", "2025-10-27")] {
            let (_, curve) = h.metering(CURVE, pdl, start, end).await;
            let (_, daily) = h.metering(DAILY, pdl, start, end).await;
            let (_, peaks) = h.metering(MAX_POWER, pdl, start, end).await;
            let curve = reading(&curve).to_load_curve().unwrap();
            let days = aggregate(curve.points(), Period::Day, |_| false);
            let daily = reading(&daily).to_daily_energy().unwrap();
            let peaks = reading(&peaks).to_max_power().unwrap();
            assert_eq!(days.len(), 7);
            assert_eq!(daily.len(), 7);
            for (d, p) in daily.iter().zip(&peaks) {
                let summed = days[&linky_core::aggregate::PeriodKey::Day(d.date)].total();
                assert!(
                    (summed.wh() - d.energy.wh()).abs() <= 0.5,
                    "{pdl} {}: {summed} vs {}",
                    d.date,
                    d.energy
                );
                let top = curve
                    .points()
                    .iter()
                    .filter(|pt| linky_core::paris::local_date(pt.start()) == d.date)
                    .map(|pt| pt.watts)
                    .max()
                    .unwrap();
                assert!(p.volt_amperes >= top && p.date == d.date);
            }
        }
    }
    let steps = |pdl: &'static str| {
        let h = &h;
        async move {
            let (_, b) = h.metering(CURVE, pdl, "2025-06-15", "2025-06-16").await;
            reading(&b)
                .to_load_curve()
                .unwrap()
                .points()
                .iter()
                .map(|p| p.step.minutes())
                .collect::<std::collections::BTreeSet<_>>()
        }
    };
    assert_eq!(
        steps("99000000000010")
            .await
            .into_iter()
            .collect::<Vec<_>>(),
        [10]
    );
    assert_eq!(
        steps("99000000000015")
            .await
            .into_iter()
            .collect::<Vec<_>>(),
        [15]
    );
    assert_eq!(
        steps("99000000000060")
            .await
            .into_iter()
            .collect::<Vec<_>>(),
        [60]
    );
    assert_eq!(
        steps("99000000000099")
            .await
            .into_iter()
            .collect::<Vec<_>>(),
        [10, 30],
        "step change inside the day"
    );
}

#[tokio::test]
async fn yesterday_appears_at_eight_and_late_meters_a_day_later() {
    // 07:59 Paris on 28 November (UTC+1).
    let h = Harness::start(roomy(), "2026-11-28T06:59:00Z").await;
    let dates = |b: &Value| -> Vec<String> {
        b["meter_reading"]["interval_reading"]
            .as_array()
            .map_or_else(Vec::new, |a| {
                a.iter()
                    .map(|r| r["date"].as_str().unwrap().to_owned())
                    .collect()
            })
    };
    let (_, b) = h
        .metering(DAILY, "22516914714270", "2026-11-25", "2026-11-28")
        .await;
    assert_eq!(dates(&b), ["2026-11-25", "2026-11-26"]);
    let (s, b) = h
        .metering(DAILY, "22516914714270", "2026-11-27", "2026-11-28")
        .await;
    assert_eq!((s, error_code(&b)), (404, "no_data_found"));
    h.clock.advance(Duration::minutes(1));
    let (_, b) = h
        .metering(DAILY, "22516914714270", "2026-11-25", "2026-11-28")
        .await;
    assert_eq!(dates(&b), ["2026-11-25", "2026-11-26", "2026-11-27"]);
    let (_, b) = h
        .metering(DAILY, "99000000000042", "2026-11-25", "2026-11-28")
        .await;
    assert_eq!(
        dates(&b),
        ["2026-11-25", "2026-11-26"],
        "the late meter publishes D-1 a day later"
    );
    let (_, b) = h
        .metering(CURVE, "99000000000042", "2026-11-26", "2026-11-28")
        .await;
    assert_eq!(points(&b), 48);
}

#[tokio::test]
async fn customers_api_serves_contracts_addresses_identity_contact() {
    let h = Harness::start(roomy(), NOW).await;
    let (s, _, b) = h
        .get(
            "/customers_upc/v5/usage_points/contracts",
            &[("usage_point_id", "32320647321714")],
        )
        .await;
    assert_eq!(s, 200);
    let contracts: CustomerResponse = serde_json::from_value(b).unwrap();
    let c = contracts.customer.usage_points[0]
        .contracts
        .clone()
        .unwrap();
    assert_eq!(
        c.offpeak_hours.as_deref(),
        Some("HC (1H30-8H00;12H30-14H00)")
    );
    assert_eq!(
        OffPeakSchedule::from_enedis_contract(c.offpeak_hours.as_deref().unwrap())
            .unwrap()
            .to_string(),
        "1h30-8h00 12h30-14h00"
    );
    assert_eq!(c.subscribed_kva().unwrap(), 9);
    assert_eq!(c.last_activation_date, "2015-12-01+01:00");
    let (_, _, b) = h
        .get(
            "/customers_upc/v5/usage_points/contracts",
            &[("usage_point_id", "11453290002823")],
        )
        .await;
    assert_eq!(
        b["customer"]["usage_points"][0]["contracts"]["last_activation_date"],
        "2019-08-27+02:00"
    );
    let (s, _, b) = h
        .get(
            "/customers_upa/v5/usage_points/addresses",
            &[("usage_point_id", "22516914714270")],
        )
        .await;
    assert_eq!(
        (s, shape(&b)),
        (200, shape(&sample("v5/eddie_address.json")))
    );
    let (s, _, b) = h
        .get(
            "/customers_i/v5/identity",
            &[("usage_point_id", "22516914714270")],
        )
        .await;
    assert_eq!(
        (s, b["identity"]["natural_person"]["lastname"].as_str()),
        (200, Some("Martin"))
    );
    let (s, _, b) = h
        .get(
            "/customers_cd/v5/contact_data",
            &[("usage_point_id", "22516914714270")],
        )
        .await;
    assert_eq!(s, 200);
    assert!(b["contact_data"]["email"]
        .as_str()
        .unwrap()
        .ends_with("@example.invalid"));
    let (s, _, b) = h
        .get(
            "/customers_i/v5/identity",
            &[("usage_point_id", "26584978546985")],
        )
        .await;
    assert_eq!((s, error_code(&b)), (403, "ADAM-DC-0008"));
}
