//! enedis-sim: a simulator of Enedis Data Connect, faithful enough that a client and a proxy
//! which pass against it work against Enedis. It is the only Enedis the tests and the demo use.
//!
//! It serves the v5 token, metering and customers APIs for the nine sandbox customers and some
//! meters of our own ([`catalog`]), with deterministic synthetic data ([`synth`]), Enedis' rules
//! and error bodies ([`rules`]), quotas ([`quota`]), injected faults ([`faults`]) and a log of
//! every call ([`log`]). Use it in-process:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use enedis_sim::{SimConfig, Simulator};
//! let sim = Simulator::new(SimConfig::default(), std::sync::Arc::new(linky_core::SystemClock));
//! let running = sim.bind("127.0.0.1:0".parse().unwrap()).await?;
//! println!("{}", running.url());
//! running.shutdown().await;
//! # Ok(()) }
//! ```

pub mod catalog;
pub mod clock;
pub mod colours;
pub mod config;
pub mod consent;
pub mod conso_api;
pub mod faults;
pub mod log;
pub mod oauth;
mod pages;
pub mod quota;
mod routes;
pub mod rules;
pub mod server;
pub mod synth;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Utc};
use linky_core::{paris, Clock};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Credentials, DstStamps, Quota, SimConfig};
pub use faults::{Fault, FaultSet, Scope};
pub use log::LoggedRequest;

use crate::consent::{Consent, ConsentBook};
use crate::faults::Decision;
use crate::oauth::IssuedToken;
use crate::quota::QuotaCounters;
use crate::rules::World;
use crate::synth::Synth;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The simulator's state, shared by every connection.
pub struct SimState {
    config: SimConfig,
    clock: Arc<dyn Clock>,
    synth: Synth,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    quota: Mutex<QuotaCounters>,
    faults: RwLock<FaultSet>,
    rng: Mutex<u64>,
    log: Mutex<VecDeque<LoggedRequest>>,
    revoked: Mutex<HashSet<String>>,
    consents: Mutex<ConsentBook>,
}

impl SimState {
    /// Now, by the simulator's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today in Paris, by the simulator's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        paris::local_date(self.now())
    }

    fn world<T>(&self, f: impl FnOnce(&World<'_>) -> T) -> T {
        let now = self.now();
        let mut denied = lock(&self.consents).denied(now);
        denied.extend(lock(&self.revoked).iter().cloned());
        f(&World {
            config: &self.config,
            synth: &self.synth,
            denied: &denied,
            now,
        })
    }

    fn new_consent_id(&self) -> u64 {
        // Nine digits, like the autorisation ids seen in the wild; never reused.
        let book = lock(&self.consents);
        loop {
            let id = 100_000_000 + (self.draw() * 899_999_999.0) as u64;
            if book.get(id).is_none() {
                return id;
            }
        }
    }

    fn add_consent(&self, consent: Consent) {
        lock(&self.consents).add(consent);
    }

    fn consents(&self) -> Vec<Consent> {
        lock(&self.consents).all().to_vec()
    }

    fn revoke(&self, id: u64) -> bool {
        let now = self.now();
        lock(&self.consents).revoke(id, now)
    }

    fn subscribed(
        &self,
        request: &enedis_protocol::v2026::SubscribedServicesRequest,
        delay: chrono::Duration,
    ) -> enedis_protocol::v2026::SubscribedServicesResponse {
        lock(&self.consents).subscribed_services(request, self.now(), delay)
    }

    fn issue_token(&self, token: String, issued: IssuedToken) {
        let mut tokens = lock(&self.tokens);
        let now = self.now();
        tokens.retain(|_, t| t.expires_at > now);
        tokens.insert(token, issued);
    }

    fn token_client(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        lock(&self.tokens)
            .get(token)
            .filter(|t| t.expires_at > now)
            .map(|t| t.client_id.clone())
    }

    fn admit(&self, client: &str, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        lock(&self.quota).admit(client, now, self.config.quota)
    }

    fn draw(&self) -> f64 {
        // xorshift64*: repeatable from the seed, good enough to pick which calls fail.
        let mut s = lock(&self.rng);
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn decide_faults(&self, pdl: Option<&str>, path: &str, now: DateTime<Utc>) -> Decision {
        let faults = self
            .faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        faults.decide(pdl, path, paris::local(now).time(), || self.draw())
    }

    fn faults(&self) -> FaultSet {
        self.faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_faults(&self, faults: FaultSet) {
        *self.faults.write().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    fn record(&self, entry: LoggedRequest) {
        let mut log = lock(&self.log);
        if log.len() >= log::LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }

    fn logged(&self, mut entry: LoggedRequest, response: Response) -> Response {
        entry.status = response.status().as_u16();
        self.record(entry);
        response
    }

    fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.log).iter().cloned().collect()
    }
}

/// A simulator: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<SimState>,
}

impl Simulator {
    /// A simulator with these settings and this clock.
    pub fn new(config: SimConfig, clock: Arc<dyn Clock>) -> Simulator {
        let seed = config.seed;
        let faults = config.faults.clone();
        Simulator {
            state: Arc::new(SimState {
                synth: Synth::new(seed),
                config,
                clock,
                tokens: Mutex::default(),
                quota: Mutex::default(),
                faults: RwLock::new(faults),
                rng: Mutex::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
                log: Mutex::default(),
                revoked: Mutex::default(),
                consents: Mutex::default(),
            }),
        }
    }

    /// The HTTP router, to serve or to call directly in tests.
    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// Binds `addr` (port 0 picks a free port) and serves in the background.
    pub async fn bind(&self, addr: SocketAddr) -> std::io::Result<RunningSimulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = self.router();
        let task = tokio::spawn(server::serve(listener, router, async {
            let _ = stopped.await;
        }));
        Ok(RunningSimulator { addr, stop, task })
    }

    /// The settings.
    pub fn config(&self) -> &SimConfig {
        &self.state.config
    }

    /// Now, by the simulator's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.state.now()
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: FaultSet) {
        self.state.set_faults(faults);
    }

    /// Every call logged so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.requests()
    }

    /// Revokes every consent for a PDL: its data calls then fail with 403 `ADAM-DC-0008`.
    pub fn revoke_consent(&self, pdl: &str) {
        lock(&self.state.revoked).insert(pdl.to_owned());
    }

    /// What a person's answer to the 2026 consent page at `authorize_url` would redirect to:
    /// accept (or refuse) for `customer`'s meter `pdl`. The HTTP pages do the same.
    pub fn answer_consent(
        &self,
        authorize_url: &str,
        customer: u8,
        pdl: &str,
        accept: bool,
    ) -> Result<String, String> {
        pages::answer_v2(&self.state, authorize_url, customer, pdl, accept)
    }

    /// Every consent given through the pages.
    pub fn consents(&self) -> Vec<Consent> {
        self.state.consents()
    }
}

/// A simulator serving on a socket.
pub struct RunningSimulator {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RunningSimulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets running calls finish, and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
