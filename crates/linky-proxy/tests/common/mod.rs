//! A proxy on loopback in front of an enedis-sim on loopback, and a person and a device that
//! use them over real HTTP.
//!
//! The proxy stores in SQLite (in memory), or in a fresh PostgreSQL database when
//! `LINKY_PROXY_TEST_BACKEND=postgres` (with the server at `LINKY_TEST_POSTGRES`): `.ci/run`
//! runs every flow test on both.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use enedis_sim::{Credentials, Quota, RunningSimulator, SimConfig, Simulator};
use linky_core::{Clock, ManualClock};
use linky_proxy::{AppState, ProxyConfig};
use linky_proxy_postgres::PostgresStore;
use linky_proxy_sqlite::SqliteStore;
use linky_proxy_store::{Family, ProxyStore, StoreError};
use serde_json::Value;

pub const APP_ID: &str = "linky-app";
pub const APP_SECRET: &str = "app-secret-never-leaves";
pub const DEVICE: &str = "d198fd52-61c0-4b77-8725-06a1ef90da9f";

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub struct Setup {
    pub sim: Simulator,
    pub sim_running: RunningSimulator,
    pub proxy_url: String,
    pub proxy_clock: ManualClock,
    pub http: reqwest::Client,
    pub store: TestStore,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The store a test's proxy uses.
#[derive(Clone)]
pub enum TestStore {
    /// SQLite in memory.
    Sqlite(SqliteStore),
    /// A fresh PostgreSQL database.
    Postgres(PostgresStore),
}

impl TestStore {
    /// The backend `LINKY_PROXY_TEST_BACKEND` names (SQLite by default).
    pub async fn new() -> TestStore {
        match std::env::var("LINKY_PROXY_TEST_BACKEND").as_deref() {
            Ok("postgres") => TestStore::Postgres(
                PostgresStore::connect(&fresh_postgres_database().await)
                    .await
                    .unwrap(),
            ),
            _ => TestStore::Sqlite(SqliteStore::in_memory().unwrap()),
        }
    }

    /// The family of a live access token (`ProxyStore::access`).
    pub async fn access(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Family>, StoreError> {
        match self {
            TestStore::Sqlite(s) => s.access(hash, now).await,
            TestStore::Postgres(s) => s.access(hash, now).await,
        }
    }
}

/// A new, empty database on the test PostgreSQL server (`LINKY_TEST_POSTGRES`); its URL.
pub async fn fresh_postgres_database() -> String {
    let server = std::env::var("LINKY_TEST_POSTGRES").expect(
        "LINKY_PROXY_TEST_BACKEND=postgres needs LINKY_TEST_POSTGRES (`.ci/run` starts a throwaway cluster)",
    );
    linky_proxy_postgres::create_test_database(&server)
        .await
        .expect("the test PostgreSQL server makes a database")
}

pub struct Options {
    pub sim_clock: Arc<dyn Clock>,
    pub subscribed_delay: i64,
    pub proxy: ProxyConfig,
    pub limits: linky_proxy::server::Limits,
    /// Whether the simulator still serves v5 (Enedis retired it in autumn 2026).
    pub sim_v5: bool,
    /// The application secret the proxy presents to Enedis (the simulator knows `APP_SECRET`).
    pub proxy_secret: &'static str,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            sim_clock: Arc::new(ManualClock::new(at("2026-11-28T10:00:00Z"))),
            subscribed_delay: 0,
            proxy: ProxyConfig {
                subscribed_services_attempts: 3,
                subscribed_services_retry_ms: 50,
                upstream_per_second: 1000,
                ..ProxyConfig::default()
            },
            limits: linky_proxy::server::Limits::default(),
            sim_v5: true,
            proxy_secret: APP_SECRET,
        }
    }
}

impl Setup {
    pub async fn start() -> Setup {
        Setup::with(Options::default()).await
    }

    pub async fn with(options: Options) -> Setup {
        linky_proxy::upstream::install_tls_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url = format!("http://{}", listener.local_addr().unwrap());
        let sim = Simulator::new(
            SimConfig {
                credentials: Some(Credentials {
                    client_id: APP_ID.into(),
                    client_secret: APP_SECRET.into(),
                }),
                redirect_uri: Some(format!("{proxy_url}/auth/redirect")),
                quota: Quota {
                    per_second: 1000,
                    per_hour: 100_000,
                },
                subscribed_services_delay_seconds: options.subscribed_delay,
                v5_enabled: options.sim_v5,
                ..SimConfig::default()
            },
            options.sim_clock,
        );
        let sim_running = sim.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let config = ProxyConfig {
            public_url: proxy_url.clone(),
            enedis_api_url: sim_running.url(),
            enedis_consent_url: sim_running.url(),
            enedis_client_id: APP_ID.into(),
            enedis_client_secret: options.proxy_secret.into(),
            database: "sqlite::memory:".parse().unwrap(),
            ..options.proxy
        };
        config.validate().unwrap();
        let store = TestStore::new().await;
        let proxy_clock = ManualClock::new(at("2026-11-28T10:00:00Z"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stopped = async {
            let _ = stopped.await;
        };
        let clock = Arc::new(proxy_clock.clone());
        match &store {
            TestStore::Sqlite(s) => {
                let state = AppState::new(s.clone(), config, clock).unwrap();
                tokio::spawn(linky_proxy::serve_with_limits(
                    listener,
                    state,
                    options.limits,
                    stopped,
                ));
            }
            TestStore::Postgres(s) => {
                let state = AppState::new(s.clone(), config, clock).unwrap();
                tokio::spawn(linky_proxy::serve_with_limits(
                    listener,
                    state,
                    options.limits,
                    stopped,
                ));
            }
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Setup {
            sim,
            sim_running,
            proxy_url,
            proxy_clock,
            http,
            store,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.proxy_url)
    }

    /// `POST /device/code`.
    pub async fn device_code(&self) -> Value {
        let r = self
            .http
            .post(self.url("/device/code"))
            .form(&[("client_id", DEVICE)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// One poll of the device-code grant: (status, body).
    pub async fn poll(&self, device_code: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/device/token"))
            .form(&[
                ("client_id", DEVICE),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", device_code),
            ])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Moves the proxy's clock past the poll interval, then polls.
    pub async fn poll_later(&self, device_code: &str) -> (u16, Value) {
        self.proxy_clock.advance(Duration::seconds(30));
        self.poll(device_code).await
    }

    /// The person: types the code, follows the proxy to the Enedis page, picks `customer` and
    /// `pdl`, and accepts or refuses; returns the proxy's final page (status, HTML) and the
    /// redirect it came through.
    pub async fn person(
        &self,
        user_code: &str,
        customer: u8,
        pdl: &str,
        accept: bool,
    ) -> (u16, String, String) {
        let (to_enedis, flow) = self.confirm(user_code).await;
        assert!(
            to_enedis.starts_with(&format!(
                "{}/dataconnect/v2/oauth2/authorize?",
                self.sim_running.url()
            )),
            "{to_enedis}"
        );
        let page = self.http.get(&to_enedis).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let query: HashMap<String, String> =
            serde_urlencoded::from_str(to_enedis.split_once('?').unwrap().1).unwrap();
        let customer = customer.to_string();
        let form = [
            ("client_id", query["client_id"].as_str()),
            ("state", query["state"].as_str()),
            ("duration", query["duration"].as_str()),
            ("redirect_uri", query["redirect_uri"].as_str()),
            ("customer", customer.as_str()),
            ("pdl", pdl),
            ("decision", if accept { "accept" } else { "refuse" }),
        ];
        let back = self
            .http
            .post(format!(
                "{}/dataconnect/v2/oauth2/authorize/decision",
                self.sim_running.url()
            ))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 302);
        let to_proxy = back.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            to_proxy.starts_with(&self.url("/auth/redirect?")),
            "{to_proxy}"
        );
        let done = self
            .http
            .get(&to_proxy)
            .header("cookie", flow)
            .send()
            .await
            .unwrap();
        let status = done.status().as_u16();
        (status, done.text().await.unwrap(), to_proxy)
    }

    /// The person opens the code's page (`/auth/verify_code`), which asks them to confirm, and
    /// confirms: the address of the Enedis consent page and the flow cookie (`name=value`).
    pub async fn confirm(&self, user_code: &str) -> (String, String) {
        let r = self
            .http
            .get(self.url("/auth/verify_code"))
            .query(&[("code", user_code)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let csrf_cookie = set_cookie(&r);
        let html = r.text().await.unwrap();
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let r = self
            .http
            .post(self.url("/auth/confirm"))
            .header("origin", &self.proxy_url)
            .header("cookie", csrf_cookie)
            .form(&[("code", user_code), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let flow = set_cookie(&r);
        (r.headers()["location"].to_str().unwrap().to_owned(), flow)
    }

    /// Device code, one consent per meter, tokens.
    pub async fn login(&self, customer: u8, pdls: &[&str]) -> Value {
        let code = self.device_code().await;
        for pdl in pdls {
            let (status, html, _) = self
                .person(code["user_code"].as_str().unwrap(), customer, pdl, true)
                .await;
            assert_eq!(status, 200, "{html}");
        }
        let (status, tokens) = self.poll_later(code["device_code"].as_str().unwrap()).await;
        assert_eq!(status, 200, "{tokens}");
        tokens
    }

    /// A data call through the proxy: (status, headers, body).
    pub async fn data(
        &self,
        token: &str,
        path_and_query: &str,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self
            .http
            .get(self.url(&format!("/data/proxy{path_and_query}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().await.unwrap())
    }

    /// `POST /device/token` with the refresh grant.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        usage_points_id: Option<&str>,
    ) -> (u16, Value) {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", DEVICE),
            ("refresh_token", refresh_token),
        ];
        if let Some(u) = usage_points_id {
            form.push(("usage_points_id", u));
        }
        let r = self
            .http
            .post(self.url("/device/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Whether Enedis (the simulator) ever received a call naming this meter.
    pub fn enedis_saw(&self, pdl: &str) -> bool {
        self.sim
            .requests()
            .iter()
            .any(|r| r.pdl.as_deref() == Some(pdl))
    }
}

/// The `name=value` of a response's cookie.
pub fn set_cookie(r: &reqwest::Response) -> String {
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
