//! Shared by the simulator's integration tests: a simulator on loopback, a token, JSON calls.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use enedis_sim::{Quota, RunningSimulator, SimConfig, Simulator};
use linky_core::ManualClock;
use serde_json::Value;

pub struct Harness {
    pub sim: Simulator,
    pub running: RunningSimulator,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    pub token: String,
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

/// Quotas high enough that they never get in the way of tests that are not about them.
pub fn roomy() -> SimConfig {
    SimConfig {
        quota: Quota {
            per_second: 100_000,
            per_hour: 1_000_000,
        },
        ..SimConfig::default()
    }
}

impl Harness {
    pub async fn start(config: SimConfig, now: &str) -> Harness {
        install_tls_provider();
        let clock = ManualClock::new(at(now));
        let sim = Simulator::new(config, Arc::new(clock.clone()));
        let running = sim.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let http = reqwest::Client::new();
        let mut h = Harness {
            sim,
            running,
            clock,
            http,
            token: String::new(),
        };
        h.token = h.new_token().await;
        h
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    pub async fn new_token(&self) -> String {
        let r = self
            .http
            .post(self.url("/oauth2/v3/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "test-app"),
                ("client_secret", "s3cret"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// GET with the harness token; returns status, headers and JSON (Null if not JSON).
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .query(query)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    /// A metering call: (status, body).
    pub async fn metering(&self, path: &str, pdl: &str, start: &str, end: &str) -> (u16, Value) {
        let (s, _, v) = self
            .get(
                path,
                &[("usage_point_id", pdl), ("start", start), ("end", end)],
            )
            .await;
        (s, v)
    }
}

pub const DAILY: &str = "/metering_data_dc/v5/daily_consumption";
pub const CURVE: &str = "/metering_data_clc/v5/consumption_load_curve";
pub const MAX_POWER: &str = "/metering_data_dcmp/v5/daily_consumption_max_power";
pub const DAILY_PROD: &str = "/metering_data_dp/v5/daily_production";
pub const CURVE_PROD: &str = "/metering_data_plc/v5/production_load_curve";

pub fn points(body: &Value) -> usize {
    body["meter_reading"]["interval_reading"]
        .as_array()
        .map_or(0, Vec::len)
}

pub fn error_code(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

/// The shape of a JSON value: keys and value types, one array element standing for all.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::String(s) => {
            // Dates and date-times keep their form, other strings become "s".
            let form: String = s
                .chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect();
            if form.starts_with("9999-99-99") {
                Value::String(form)
            } else {
                Value::String("s".into())
            }
        }
        other => other.clone(),
    }
}

pub fn sample(path: &str) -> Value {
    let root =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/enedis-samples");
    let text = std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

impl Harness {
    /// A client that does not follow redirects, to read where the consent pages send people.
    pub fn no_redirect(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Moves the clock forward and takes a fresh token (tokens last 3 h 30).
    pub async fn advance(&mut self, by: chrono::Duration) {
        self.clock.advance(by);
        self.token = self.new_token().await;
    }

    /// POST JSON with the harness token.
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A 2026 metering call.
    pub async fn mesure(&self, path: &str, pdl: &str, start: &str, end: &str) -> (u16, Value) {
        let (s, _, v) = self
            .get(
                path,
                &[("pointId", pdl), ("dateDebut", start), ("dateFin", end)],
            )
            .await;
        (s, v)
    }
}

/// The query parameters of a redirect's Location.
pub fn location_params(
    response: &reqwest::Response,
) -> (String, std::collections::HashMap<String, String>) {
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (base, query) = location.split_once('?').unwrap_or((&location, ""));
    (base.to_owned(), serde_urlencoded::from_str(query).unwrap())
}

/// reqwest is built without a TLS provider (see the workspace manifest): install ring's.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
