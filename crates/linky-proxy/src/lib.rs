//! linky-proxy: the device-flow consent proxy in front of Enedis Data Connect.
//!
//! Households have no Enedis contract. Their linky client asks this proxy for a device code
//! (RFC 8628); the person enters the code on [`pages`], consents at Enedis, and comes back to
//! `/auth/redirect`, where the proxy asks Enedis which meter the consent really covers
//! (`subscribed_services`) before binding it to the device's grant. The device then gets tokens
//! ([`device`]) that read only those meters through [`data`], which forwards an allow-list of
//! Enedis paths with the application's own token ([`upstream`]).
//!
//! Architecture invariant: handlers never write SQL; they call a [`ProxyStore`]. Secrets are
//! stored hashed ([`secrets`]) and never logged.

pub mod access_cache;
pub mod config;
pub mod data;
pub mod device;
pub mod limits;
pub mod metrics;
pub mod pages;
pub mod request_id;
pub mod secrets;
pub mod server;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use linky_core::Clock;
use linky_proxy_store::ProxyStore;
use serde_json::json;
use tokio::net::TcpListener;

pub use config::{
    Backend, ConfigError, DatabaseUrl, Gathered, IpBlock, ProxyConfig, Source, V5Translation,
};

/// What every handler shares, behind one `Arc` so that a request clones one pointer, not one per
/// field.
pub struct AppState<S>(Arc<Shared<S>>);

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState(self.0.clone())
    }
}

impl<S> std::ops::Deref for AppState<S> {
    type Target = Shared<S>;
    fn deref(&self) -> &Shared<S> {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared<S> {
    /// Storage.
    pub store: S,
    /// Settings.
    pub config: Arc<ProxyConfig>,
    /// Now.
    pub clock: Arc<dyn Clock>,
    /// Enedis, with the application's credentials.
    pub enedis: Arc<upstream::Enedis>,
    /// Rate limits of anonymous and per-device requests.
    pub limits: Arc<RequestLimits>,
    /// Set once Enedis answered that the v5 paths are gone (`v5_translation = "auto"`).
    pub v5_gone: Arc<std::sync::atomic::AtomicBool>,
    /// Grants with a consent being checked at Enedis right now.
    pub checking: Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>,
    /// Access tokens checked in the last seconds.
    pub access_cache: Arc<access_cache::AccessCache>,
    /// This instance's counters for `/metrics`.
    pub metrics: Arc<metrics::ProxyMetrics>,
}

/// Marks a grant's consent as being checked while it lives.
pub struct Checking<'a> {
    map: &'a std::sync::Mutex<std::collections::HashMap<i64, usize>>,
    grant: i64,
}

impl Drop for Checking<'_> {
    fn drop(&mut self) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.grant) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.grant);
            }
        }
    }
}

/// The rate limits of requests to the proxy (Enedis's quota is kept by [`upstream::Enedis`]).
#[derive(Debug)]
pub struct RequestLimits {
    /// Device codes per client address.
    pub device_codes_by_address: limits::KeyedLimit,
    /// Device codes in all.
    pub device_codes: limits::GlobalLimit,
    /// Data calls per token family.
    pub calls_by_device: limits::KeyedLimit,
    /// Data calls per meter, whichever device asks (a meter consented to several devices).
    pub calls_by_meter: limits::KeyedLimit,
}

impl RequestLimits {
    fn new(config: &ProxyConfig) -> RequestLimits {
        use limits::{GlobalLimit, KeyedLimit, Rate};
        let hour = std::time::Duration::from_secs(3600);
        let per_device = Rate::per(
            f64::from(config.calls_per_device_per_hour),
            hour,
            f64::from(config.calls_per_device_per_hour).min(300.0),
        );
        RequestLimits {
            device_codes_by_address: KeyedLimit::new(
                Rate::per(
                    f64::from(config.device_codes_per_address_per_hour),
                    hour,
                    f64::from(config.device_codes_per_address_per_hour).min(10.0),
                ),
                100_000,
            ),
            device_codes: GlobalLimit::new(Rate::per(
                f64::from(config.device_codes_per_second),
                std::time::Duration::from_secs(1),
                f64::from(config.device_codes_per_second),
            )),
            calls_by_device: KeyedLimit::new(per_device, 100_000),
            calls_by_meter: KeyedLimit::new(per_device, 100_000),
        }
    }
}

/// A 429 with `Retry-After` (whole seconds, at least one).
pub fn too_many(wait: std::time::Duration, description: &str) -> Response {
    let mut r = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        description,
    );
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    if let Ok(v) = seconds.max(1).to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

impl<S: ProxyStore> AppState<S> {
    /// A state over a store, settings and a clock.
    pub fn new(
        store: S,
        config: ProxyConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<AppState<S>, upstream::UpstreamError> {
        let metrics = Arc::new(metrics::ProxyMetrics::default());
        let enedis = upstream::Enedis::new(
            &config.enedis_api_url,
            &config.enedis_client_id,
            config.enedis_client_secret.expose(),
            clock.clone(),
            metrics.clone(),
            {
                let quota = limits::UpstreamQuota::new(
                    config.upstream_per_second,
                    config.upstream_per_hour,
                    std::time::Duration::from_secs(5),
                );
                // Instances sharing a database draw from one budget kept in it; a lone
                // instance (SQLite) keeps the count in memory, at no cost per call.
                if store.shared_by_instances() {
                    quota.shared(
                        Arc::new(limits::StoreBudget {
                            store: store.clone(),
                            per_second: config.upstream_per_second,
                            per_hour: config.upstream_per_hour,
                        }),
                        clock.clone(),
                    )
                } else {
                    quota
                }
            },
        )?;
        Ok(AppState(Arc::new(Shared {
            store,
            limits: Arc::new(RequestLimits::new(&config)),
            v5_gone: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            checking: Arc::default(),
            access_cache: Arc::default(),
            metrics,
            config: Arc::new(config),
            clock,
            enedis: Arc::new(enedis),
        })))
    }

    /// Marks `grant`'s consent as being checked until the guard is dropped.
    pub fn checking(&self, grant: i64) -> Checking<'_> {
        *self
            .checking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(grant)
            .or_default() += 1;
        Checking {
            map: &self.checking,
            grant,
        }
    }

    /// Whether a consent of `grant` is being checked now.
    pub fn verifying(&self, grant: i64) -> bool {
        self.checking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(&grant)
    }

    /// The address a request comes from: the configured header's first value behind a reverse
    /// proxy, else the socket's peer.
    pub fn client_address(&self, headers: &HeaderMap, peer: SocketAddr) -> String {
        client_ip(&self.config, headers, peer.ip()).to_string()
    }
}

/// The client behind the trusted reverse proxies: walking `client_ip_header` from the right
/// (the hop nearest to us), the first address that is not a trusted proxy. The left-most values
/// are the client's own words, so they never count; a value that is not an address stops the
/// walk (nothing of it is kept or logged).
fn client_ip(
    config: &ProxyConfig,
    headers: &HeaderMap,
    peer: std::net::IpAddr,
) -> std::net::IpAddr {
    let Some(name) = config.client_ip_header.as_deref() else {
        return peer;
    };
    if !config.is_trusted_proxy(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.trim().parse::<std::net::IpAddr>() {
            Ok(ip) if config.is_trusted_proxy(ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => return client,
        }
    }
    client
}

/// An OAuth-style JSON error: `{"error", "error_description"}`.
pub fn json_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// A storage failure: logged, and a generic 500 for the caller.
pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "internal error");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the proxy failed; try again later",
    )
}

/// The whole router.
pub fn router<S: ProxyStore>(state: AppState<S>) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/device", get(pages::device::<S>))
        .route("/auth/verify_code", get(pages::verify_code::<S>))
        .route("/auth/confirm", post(pages::confirm::<S>))
        .route("/auth/redirect", get(pages::redirect::<S>))
        .route("/device/code", post(device::code::<S>))
        .route("/device/token", post(device::token::<S>))
        .route("/device/revoke", post(device::revoke::<S>))
        .route("/data/proxy/{*path}", get(data::proxy::<S>))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .route("/metrics", get(metrics_page::<S>))
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            count_request,
        ))
        .layer(axum::middleware::from_fn(request_id::tag))
        .with_state(state)
}

/// Counts each routed request by its route pattern and status.
async fn count_request(
    axum::extract::State(metrics): axum::extract::State<Arc<metrics::ProxyMetrics>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let response = next.run(request).await;
    metrics.request(
        route.as_ref().map_or("", |m| m.as_str()),
        response.status().as_u16(),
    );
    response
}

/// `/metrics` for whoever holds `metrics_token` (off while it is empty).
async fn metrics_page<S: ProxyStore>(
    axum::extract::State(state): axum::extract::State<AppState<S>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let expected = state.config.metrics_token.expose();
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if expected.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Compared by their hashes: the time taken says nothing of the token.
    if secrets::hash(given) != secrets::hash(expected) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    let (waiting, live) = match state.store.live_counts(state.clock.now()).await {
        Ok(counts) => counts,
        Err(e) => return internal(e),
    };
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.metrics.render(waiting, live),
    )
        .into_response()
}

/// The process is up and answering (a load balancer's liveness check).
async fn healthz() -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"status": "ok"})),
    )
        .into_response()
}

/// Ready to serve: the database answers and Enedis gives the application its token (cached
/// for hours, so this costs Enedis's quota at most one call per token lifetime).
async fn readyz<S: ProxyStore>(
    axum::extract::State(state): axum::extract::State<AppState<S>>,
) -> Response {
    let not_ready = |what: &str| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"status": what})),
        )
            .into_response()
    };
    if let Err(e) = state.store.health().await {
        tracing::error!(error = %e, "readiness: the database does not answer");
        return not_ready("database unavailable");
    }
    if let Err(e) = state.enedis.token_reachable().await {
        tracing::error!(error = %e, "readiness: no application token from Enedis");
        return not_ready("Enedis token unavailable");
    }
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"status": "ready"})),
    )
        .into_response()
}

/// Serves on `listener` until `shutdown` completes; requests carry their peer address. The
/// limits of [`server`] apply.
pub async fn serve<S: ProxyStore>(
    listener: TcpListener,
    state: AppState<S>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve(listener, router(state), server::Limits::default(), shutdown).await
}

/// [`serve`] with other bounds (tests use short ones).
pub async fn serve_with_limits<S: ProxyStore>(
    listener: TcpListener,
    state: AppState<S>,
    limits: server::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve(listener, router(state), limits, shutdown).await
}
