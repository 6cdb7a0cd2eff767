//! Tempo and EJP colours fetched over real HTTP from the simulator's EDF calendar and RTE API:
//! what is published when, credentials refused in words, one call per calendar (and RTE's token).

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use enedis_sim::{Credentials, SimConfig, Simulator};
use linky_core::tariff::{EjpDay, TempoColour};
use linky_core::{Lang, Localized, ManualClock, Secret};
use linky_enedis::colours::{Calendar, ColourFetchError, ColourService};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn simulator(at: chrono::DateTime<Utc>) -> (Simulator, enedis_sim::RunningSimulator) {
    let config = SimConfig {
        rte_credentials: Some(Credentials {
            client_id: "rte-app".into(),
            client_secret: "rte-secret".into(),
        }),
        ..SimConfig::default()
    };
    let sim = Simulator::new(config, Arc::new(ManualClock::new(at)));
    let running = sim.bind(([127, 0, 0, 1], 0).into()).await.unwrap();
    (sim, running)
}

#[tokio::test]
async fn edf_and_rte_agree_and_tomorrow_comes_at_ten_forty() {
    linky_enedis::install_tls_provider();
    let http = linky_enedis::http_client().unwrap();
    // 10:00 in Paris on 15 January 2026: tomorrow is not published yet.
    let (sim, running) = simulator(Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap()).await;
    let edf = ColourService::Edf {
        base_url: running.url(),
    };
    let rte = ColourService::Rte {
        base_url: running.url(),
        client_id: "rte-app".into(),
        client_secret: Secret::from("rte-secret"),
    };
    let (from, to) = (d("2025-12-01"), d("2026-01-16"));
    let by_edf = edf.fetch(&http, Calendar::Tempo, from, to).await.unwrap();
    let by_rte = rte.fetch(&http, Calendar::Tempo, from, to).await.unwrap();
    assert_eq!(by_edf.tempo, by_rte.tempo);
    assert_eq!(by_edf.tempo.keys().next_back(), Some(&d("2026-01-15")));
    assert_eq!(by_edf.tempo.len(), 46);
    // Winter: some white or red days among them; Sundays blue.
    assert!(by_edf.tempo.values().any(|c| *c != TempoColour::Blue));
    assert_eq!(by_edf.tempo[&d("2026-01-04")], TempoColour::Blue);
    let ejp = edf.fetch(&http, Calendar::Ejp, from, to).await.unwrap();
    assert_eq!(ejp.ejp.len(), 46);
    assert!(ejp.ejp.values().any(|e| *e == EjpDay::MobilePeak));
    assert!(matches!(
        rte.fetch(&http, Calendar::Ejp, from, to).await,
        Err(ColourFetchError::NoEjpAtRte)
    ));
    // EDF: one call each; RTE: a token then the calendar.
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            day_colours::edf::PATH,
            day_colours::rte::TOKEN_PATH,
            day_colours::rte::CALENDARS_PATH,
            day_colours::edf::PATH,
        ]
    );
    running.shutdown().await;

    // 10:45: tomorrow's colour is out.
    let (_, running) = simulator(Utc.with_ymd_and_hms(2026, 1, 15, 9, 45, 0).unwrap()).await;
    let edf = ColourService::Edf {
        base_url: running.url(),
    };
    let later = edf.fetch(&http, Calendar::Tempo, from, to).await.unwrap();
    assert_eq!(later.tempo.keys().next_back(), Some(&d("2026-01-16")));
    running.shutdown().await;
}

#[tokio::test]
async fn refused_credentials_are_named_and_the_secret_stays_hidden() {
    linky_enedis::install_tls_provider();
    let http = linky_enedis::http_client().unwrap();
    let (_, running) = simulator(Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap()).await;
    let rte = ColourService::Rte {
        base_url: running.url(),
        client_id: "rte-app".into(),
        client_secret: Secret::from("not-the-secret"),
    };
    let error = rte
        .fetch(&http, Calendar::Tempo, d("2026-01-01"), d("2026-01-10"))
        .await
        .unwrap_err();
    assert!(matches!(error, ColourFetchError::Credentials), "{error:?}");
    for lang in [Lang::Fr, Lang::En] {
        let text = error.localized(lang);
        assert!(text.contains("tariff.rte_client_secret"), "{text}");
        assert!(!text.contains("not-the-secret"));
    }
    assert!(!format!("{rte:?}").contains("not-the-secret"));
    running.shutdown().await;
}
