//! Helpers shared by the double's test files.

use std::net::SocketAddr;

use domoticz_double::{DomoticzDouble, DoubleOptions, RunningDouble};

/// A double serving on a loopback port.
pub async fn start(options: DoubleOptions) -> (DomoticzDouble, RunningDouble) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let double = DomoticzDouble::new(options).unwrap();
    let running = double
        .bind("127.0.0.1:0".parse::<SocketAddr>().unwrap())
        .await
        .unwrap();
    (double, running)
}

/// Trusts loopback callers, at a fixed server time.
pub fn trusted() -> DoubleOptions {
    DoubleOptions {
        trust_loopback: true,
        fixed_now: Some("2026-11-28 10:00:00".into()),
        ..DoubleOptions::default()
    }
}

/// A client that asks Domoticz to keep its connections (without it, Domoticz closes each one
/// after the answer, unannounced: domoticz.md §8).
pub fn keep_alive_client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::CONNECTION,
        reqwest::header::HeaderValue::from_static("keep-alive"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}
