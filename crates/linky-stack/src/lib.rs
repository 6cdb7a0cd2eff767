//! The whole chain in one process: enedis-sim and linky-proxy on loopback ports, wired to each
//! other, and a scripted person who consents on the simulator's page. `linky demo` runs on it,
//! and so do the end-to-end tests of the sync. It is not Enedis: every value is synthetic.

pub mod original_proxy;

use std::sync::Arc;

use chrono::Duration;
use enedis_sim::{Credentials, RunningSimulator, SimConfig, Simulator};
use linky_core::{Clock, OffsetClock};
use linky_enedis::login::{DeviceFlow, LoginError};
use linky_enedis::tokens::TokenFamily;
use linky_proxy::{AppState, ProxyConfig};
use linky_proxy_sqlite::SqliteStore;

/// The instant the tests of the `linky` binary start from: noon in Paris, on a day after the
/// autumn daylight-saving change. A fixed instant makes them independent of the hour and the day
/// they run on (before 08:00 Enedis has not published yesterday yet).
pub const TEST_NOW: &str = "2026-11-28T11:00:00Z";

/// One clock per test process, started at [`TEST_NOW`] and running in real time: the stack and
/// every `linky` process it spawns (through `LINKY_TEST_NOW`, [`test_now`]) read the same time.
pub fn test_clock() -> OffsetClock {
    static CLOCK: std::sync::OnceLock<OffsetClock> = std::sync::OnceLock::new();
    *CLOCK.get_or_init(|| {
        let start = chrono::DateTime::parse_from_rfc3339(TEST_NOW)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        OffsetClock::starting_at(start)
    })
}

/// [`test_clock`]'s current instant as `LINKY_TEST_NOW` takes it.
pub fn test_now() -> String {
    test_clock().now().to_rfc3339()
}

/// The application credentials the stack's proxy holds at its simulator.
pub const APP_ID: &str = "linky-stack-app";
/// Its secret (a test value: the stack is never Enedis).
pub const APP_SECRET: &str = "linky-stack-secret";
/// The device client id the stack's logins use.
pub const DEVICE_ID: &str = "linky";

/// Why the stack could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// A socket could not be bound.
    #[error("cannot listen on loopback: {0}")]
    Listen(#[from] std::io::Error),
    /// The proxy could not be set up.
    #[error("cannot set up the proxy: {0}")]
    Proxy(String),
    /// The scripted person could not consent.
    #[error("consent failed: {0}")]
    Consent(String),
    /// The device flow failed.
    #[error(transparent)]
    Login(#[from] LoginError),
}

/// How to build the stack.
pub struct StackOptions {
    /// The clock of the simulator and the proxy.
    pub clock: Arc<dyn Clock>,
    /// The simulator's settings (credentials and redirect URI are filled in).
    pub sim: SimConfig,
    /// The proxy's settings (URLs and credentials are filled in).
    pub proxy: ProxyConfig,
    /// The proxy's database: `sqlite://<file>` or `postgres://…`, or SQLite in memory by
    /// default.
    pub database: Option<String>,
    /// A runtime of its own for the proxy (benchmarks measure its threads apart from the
    /// simulator's); by default the caller's.
    pub proxy_runtime: Option<tokio::runtime::Handle>,
}

impl StackOptions {
    /// A stack on `clock`, with quotas and delays suited to tests and the demo.
    pub fn new(clock: Arc<dyn Clock>) -> StackOptions {
        StackOptions {
            clock,
            sim: SimConfig {
                subscribed_services_delay_seconds: 0,
                ..SimConfig::default()
            },
            proxy: ProxyConfig {
                poll_interval_seconds: 1,
                subscribed_services_attempts: 5,
                subscribed_services_retry_ms: 100,
                // The simulator keeps its own quota (Enedis's, or a test's): the proxy's share
                // of it is not what these runs measure.
                upstream_per_second: 100_000,
                upstream_per_hour: 100_000_000,
                calls_per_device_per_hour: 1_000_000,
                ..ProxyConfig::default()
            },
            database: None,
            proxy_runtime: None,
        }
    }
}

/// The `name=value` of the cookie a response sets.
fn cookie_of(r: &reqwest::Response) -> Option<String> {
    let set = r.headers().get("set-cookie")?.to_str().ok()?;
    set.split(';').next().map(str::to_owned)
}

/// The running chain.
pub struct Stack {
    /// The simulator.
    pub sim: Simulator,
    sim_running: RunningSimulator,
    proxy_url: String,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Stack {
    /// Starts the simulator and the proxy on free loopback ports.
    pub async fn start(options: StackOptions) -> Result<Stack, StackError> {
        linky_enedis::install_tls_provider();
        // Bound with the standard library: the proxy's runtime (perhaps not this one) takes it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let proxy_url = format!("http://{}", listener.local_addr()?);
        let sim_config = SimConfig {
            credentials: Some(Credentials {
                client_id: APP_ID.into(),
                client_secret: APP_SECRET.into(),
            }),
            redirect_uri: Some(format!("{proxy_url}/auth/redirect")),
            ..options.sim
        };
        let sim = Simulator::new(sim_config, options.clock.clone());
        let sim_running = sim
            .bind(
                "127.0.0.1:0"
                    .parse()
                    .map_err(|e| StackError::Proxy(format!("{e}")))?,
            )
            .await?;
        let config = ProxyConfig {
            public_url: proxy_url.clone(),
            enedis_api_url: sim_running.url(),
            enedis_consent_url: sim_running.url(),
            enedis_client_id: APP_ID.into(),
            enedis_client_secret: APP_SECRET.into(),
            database: options
                .database
                .as_deref()
                .unwrap_or("sqlite::memory:")
                .parse()
                .map_err(StackError::Proxy)?,
            ..options.proxy
        };
        config
            .validate()
            .map_err(|e| StackError::Proxy(e.to_string()))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stopped = async {
            let _ = stopped.await;
        };
        let clock = options.clock.clone();
        let start_proxy = async move {
            let proxy_error = |e: &dyn std::fmt::Display| StackError::Proxy(e.to_string());
            let listener = tokio::net::TcpListener::from_std(listener)?;
            match config.database.backend() {
                linky_proxy::Backend::Sqlite => {
                    let store = SqliteStore::from_url(config.database.expose())
                        .map_err(|e| proxy_error(&e))?;
                    let state = AppState::new(store, config, clock).map_err(|e| proxy_error(&e))?;
                    tokio::spawn(linky_proxy::serve(listener, state, stopped));
                }
                #[cfg(feature = "postgres")]
                linky_proxy::Backend::Postgres => {
                    let store =
                        linky_proxy_postgres::PostgresStore::connect(config.database.expose())
                            .await
                            .map_err(|e| proxy_error(&e))?;
                    let state = AppState::new(store, config, clock).map_err(|e| proxy_error(&e))?;
                    tokio::spawn(linky_proxy::serve(listener, state, stopped));
                }
                #[cfg(not(feature = "postgres"))]
                linky_proxy::Backend::Postgres => {
                    return Err(StackError::Proxy(
                        "this build runs the proxy on SQLite only (feature `postgres` left out)"
                            .to_owned(),
                    ));
                }
            }
            Ok::<(), StackError>(())
        };
        match &options.proxy_runtime {
            Some(runtime) => runtime
                .spawn(start_proxy)
                .await
                .map_err(|e| StackError::Proxy(e.to_string()))??,
            None => start_proxy.await?,
        }
        let http = linky_enedis::http_client().map_err(StackError::Proxy)?;
        let http_no_redirect = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or(http);
        Ok(Stack {
            sim,
            sim_running,
            proxy_url,
            clock: options.clock,
            http: http_no_redirect,
            stop: Some(stop),
        })
    }

    /// The proxy's address.
    pub fn proxy_url(&self) -> &str {
        &self.proxy_url
    }

    /// The simulator's address.
    pub fn sim_url(&self) -> String {
        self.sim_running.url()
    }

    /// The scripted person: types `user_code` on the proxy, lands on the simulator's consent
    /// page, accepts for `customer`'s meter `pdl`, and comes back to the proxy.
    pub async fn consent(
        &self,
        user_code: &str,
        customer: u8,
        pdl: &str,
    ) -> Result<(), StackError> {
        let fail = |e: reqwest::Error| StackError::Consent(e.to_string());
        let refused = |r: &reqwest::Response| {
            StackError::Consent(format!("the proxy answered HTTP {}", r.status().as_u16()))
        };
        // The proxy's page asks to confirm the code: the person does, from that page.
        let r = self
            .http
            .get(format!("{}/auth/verify_code", self.proxy_url))
            .query(&[("code", user_code)])
            .send()
            .await
            .map_err(fail)?;
        let csrf_cookie = cookie_of(&r).ok_or_else(|| refused(&r))?;
        let page = r.text().await.map_err(fail)?;
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or_else(|| StackError::Consent("no confirmation form".into()))?
            .to_owned();
        let r = self
            .http
            .post(format!("{}/auth/confirm", self.proxy_url))
            .header("origin", &self.proxy_url)
            .header("cookie", csrf_cookie)
            .form(&[("code", user_code), ("csrf", csrf.as_str())])
            .send()
            .await
            .map_err(fail)?;
        let flow = cookie_of(&r).ok_or_else(|| refused(&r))?;
        let to_enedis = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| refused(&r))?;
        let back = self
            .sim
            .answer_consent(&to_enedis, customer, pdl, true)
            .map_err(StackError::Consent)?;
        let r = self
            .http
            .get(&back)
            .header("cookie", flow)
            .send()
            .await
            .map_err(fail)?;
        if !r.status().is_success() {
            return Err(StackError::Consent(format!(
                "the proxy's return page answered HTTP {}",
                r.status().as_u16()
            )));
        }
        Ok(())
    }

    /// A whole `linky login` for `customer`'s meters `pdls`: device code, one consent per meter,
    /// tokens.
    pub async fn login(&self, customer: u8, pdls: &[&str]) -> Result<TokenFamily, StackError> {
        let http = linky_enedis::http_client().map_err(StackError::Proxy)?;
        let flow = DeviceFlow {
            http: &http,
            proxy_url: &self.proxy_url,
            client_id: DEVICE_ID,
        };
        let code = flow.start().await?;
        for pdl in pdls {
            self.consent(&code.user_code, customer, pdl).await?;
        }
        Ok(flow.wait(&code, self.clock.as_ref()).await?)
    }

    /// How long the stack's tokens last before a refresh is due (for tests moving the clock).
    pub fn access_token_lifetime() -> Duration {
        Duration::seconds(12_600)
    }
}

/// A folder of its own under the system's temporary folder, removed with everything in it when
/// dropped: the demo's working folder, and the tests'.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// A new empty folder whose name starts with `prefix`, in the system's temporary folder.
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir()
            .map(TempDir)
    }

    /// Its path.
    pub fn path(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
