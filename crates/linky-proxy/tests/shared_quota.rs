//! One Enedis quota for every instance: two proxies on one PostgreSQL database (the test server
//! at `LINKY_TEST_POSTGRES`), many households polling through both at once across a second and
//! an hour boundary of the shared clock. The simulator's log of what reached Enedis never shows
//! more than the quota in any second or hour, Enedis never had to refuse, and every household
//! was served, a greedy one's many calls at once notwithstanding.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use enedis_sim::{Credentials, Quota, SimConfig, Simulator};
use linky_core::{Clock, OffsetClock};
use linky_proxy::{AppState, ProxyConfig};
use linky_proxy_postgres::PostgresStore;
use linky_proxy_store::{NewGrant, NewToken, ProxyStore};

const APP_ID: &str = "linky-app";
const APP_SECRET: &str = "app-secret-never-leaves";
const PER_SECOND: u32 = 5;
const PER_HOUR: u32 = 14;
const HOUSEHOLDS: usize = 6;
/// Calls household 0 keeps going at once.
const GREEDY_CALLERS: usize = 4;
/// The sandbox meter every household reads (customer 0's).
const METER: &str = "22516914714270";

async fn fresh_database() -> String {
    let server = std::env::var("LINKY_TEST_POSTGRES").expect(
        "this test needs the PostgreSQL test server: run `.ci/run`, or `.ci/postgres start <dir>` and export LINKY_TEST_POSTGRES",
    );
    linky_proxy_postgres::create_test_database(&server)
        .await
        .expect("the test server makes a database")
}

/// A household's access token, stored as the device flow would leave it.
async fn household(store: &PostgresStore, i: usize, now: DateTime<Utc>) -> String {
    let grant = NewGrant {
        device_code_hash: format!("device-code-{i}"),
        user_code: format!("CODE-{i:04}"),
        client_id: format!("device-{i}"),
        created_at: now,
        expires_at: now + Duration::minutes(10),
        interval_seconds: 5,
        client_address: None,
    };
    assert!(store.create_grant(grant).await.unwrap());
    let id = store
        .grant_by_user_code(&format!("CODE-{i:04}"), now)
        .await
        .unwrap()
        .unwrap()
        .id;
    store
        .bind_consent(
            id,
            None,
            &[METER.to_owned()],
            now + Duration::days(365),
            now,
        )
        .await
        .unwrap();
    let raw = format!("access-token-of-household-{i}-0123456789abcdef");
    let token = |hash: String| NewToken {
        hash,
        expires_at: now + Duration::hours(3),
    };
    store
        .issue_tokens(
            id,
            token(linky_proxy::secrets::hash(&raw)),
            token(format!("refresh-{i}")),
            now,
        )
        .await
        .unwrap();
    raw
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_enedis_quota() {
    linky_proxy::upstream::install_tls_provider();
    // A few seconds before 11:00 Paris: the run crosses second boundaries and the hour, and
    // goes on for four whole seconds of the new hour.
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 59, 57).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 4).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(OffsetClock::starting_at(start));
    let sim = Simulator::new(
        SimConfig {
            credentials: Some(Credentials {
                client_id: APP_ID.into(),
                client_secret: APP_SECRET.into(),
            }),
            quota: Quota {
                per_second: PER_SECOND,
                per_hour: PER_HOUR,
            },
            ..SimConfig::default()
        },
        clock.clone(),
    );
    let sim_running = sim.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = fresh_database().await;
    let mut proxies = Vec::new();
    let mut stores = Vec::new();
    for _ in 0..2 {
        let store = PostgresStore::connect(&url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let config = ProxyConfig {
            public_url: address.clone(),
            enedis_api_url: sim_running.url(),
            enedis_consent_url: sim_running.url(),
            enedis_client_id: APP_ID.into(),
            enedis_client_secret: APP_SECRET.into(),
            upstream_per_second: PER_SECOND,
            upstream_per_hour: PER_HOUR,
            ..ProxyConfig::default()
        };
        let state = AppState::new(store.clone(), config, clock.clone()).unwrap();
        tokio::spawn(linky_proxy::serve(listener, state, std::future::pending()));
        proxies.push(address);
        stores.push(store);
    }
    let mut tokens = Vec::new();
    for i in 0..HOUSEHOLDS {
        tokens.push(household(&stores[0], i, clock.now()).await);
    }

    // Every household polls through both instances, one call after another, until `end`;
    // household 0 is greedy, with four calls at a time.
    let http = reqwest::Client::new();
    let path = format!("/data/proxy/metering_data_dc/v5/daily_consumption?start=2026-11-20&end=2026-11-27&usage_point_id={METER}");
    let tasks: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .flat_map(|(i, token)| {
            let callers = if i == 0 { GREEDY_CALLERS } else { 1 };
            (0..callers).map(move |c| (i, c, token.clone()))
        })
        .map(|(i, c, token)| {
            let (http, proxies, path, clock) =
                (http.clone(), proxies.clone(), path.clone(), clock.clone());
            tokio::spawn(async move {
                let mut served = 0;
                let mut n = i + c;
                while clock.now() < end {
                    let status = http
                        .get(format!("{}{path}", proxies[n % 2]))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    if status == 200 {
                        served += 1;
                    }
                    n += 1;
                    tokio::time::sleep(StdDuration::from_millis(20)).await;
                }
                (i, served)
            })
        })
        .collect();
    let mut served = vec![0; HOUSEHOLDS];
    for t in tasks {
        let (i, n) = t.await.unwrap();
        served[i] += n;
    }

    let log = sim.requests();
    assert!(
        log.iter().all(|r| r.status != 429),
        "Enedis never had to refuse: {:?}",
        log.iter().filter(|r| r.status == 429).collect::<Vec<_>>()
    );
    let mut per_second = BTreeMap::<i64, u32>::new();
    let mut per_hour = BTreeMap::<u32, u32>::new();
    for r in &log {
        *per_second.entry(r.time.timestamp()).or_default() += 1;
        *per_hour.entry(r.time.hour()).or_default() += 1;
    }
    assert!(
        per_second.values().all(|n| *n <= PER_SECOND),
        "{per_second:?}"
    );
    assert!(per_hour.values().all(|n| *n <= PER_HOUR), "{per_hour:?}");
    assert_eq!(per_hour.len(), 2, "the run crossed the hour: {per_hour:?}");
    assert_eq!(
        per_hour.get(&10),
        Some(&PER_HOUR),
        "the new hour's quota was used whole, by both instances together: {per_hour:?}"
    );
    assert!(
        served.iter().all(|n| *n > 0),
        "every household was served, the greedy one's four calls at a time notwithstanding: {served:?}"
    );
}
