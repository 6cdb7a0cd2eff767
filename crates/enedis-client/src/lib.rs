//! One small HTTP client of Enedis, shared by linky (direct mode, with the user's own contract)
//! and linky-proxy (with the application's contract).
//!
//! What both need and must do the same way:
//! - TLS through rustls with the ring provider, installed once ([`install_tls_provider`]);
//! - answers read up to [`MAX_ANSWER_BYTES`], so a misbehaving peer cannot fill the memory;
//! - the application token (OAuth client credentials), cached until a minute before its end and
//!   renewed once when Enedis answers 401 or 403 (a token revoked or expired early);
//! - every request, token requests included, waiting its turn at a [`Gate`] (linky paces itself
//!   with [`MinInterval`]; the proxy shares Enedis's quota between households);
//! - `Retry-After` and `WWW-Authenticate` read off the answer for the caller's decisions.
//!
//! What an answer means (Enedis's error bodies, `nextAccessTime`) is `enedis-protocol`'s job; this
//! crate only carries bytes.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use chrono::{DateTime, Utc};
use enedis_protocol::oauth::TokenAnswer;
use linky_core::Clock;
use tokio::sync::Mutex;

/// The largest answer read: a 7-day load curve at 5-minute steps is about 150 kB and three years
/// of daily totals about 100 kB, so anything near this is not a meter's answer.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Makes ring the process's TLS provider (reqwest is built without one, to avoid aws-lc's C
/// build); harmless if one is already installed.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client sending `user_agent`, giving up on a request after `total` (connecting
/// included, which gets at most 10 s).
pub fn http_client(user_agent: &str, total: Duration) -> Result<reqwest::Client, ClientError> {
    install_tls_provider();
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(total.min(Duration::from_secs(10)))
        .timeout(total)
        .build()
        .map_err(|e| ClientError::Transport(e.without_url().to_string()))
}

/// Why a call got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// No connection, a cut connection or a broken body.
    #[error("Enedis could not be reached ({0})")]
    Transport(String),
    /// The peer took the connection but did not answer in time.
    #[error("Enedis did not answer in time ({0})")]
    TimedOut(String),
    /// The answer was larger than [`MAX_ANSWER_BYTES`].
    #[error("the answer is larger than {} MB", .0 / (1024 * 1024))]
    TooLarge(usize),
    /// Enedis refused the application's client id and secret (HTTP status).
    #[error("Enedis refused the client id and secret (HTTP {0}); check them")]
    CredentialsRefused(u16),
    /// The token endpoint answered something that is not a token.
    #[error("unreadable token answer: {0}")]
    Unreadable(String),
    /// The gate gave no turn in time: ask again after this long.
    #[error("no turn within the quota; retry in {} s", .0.as_secs().max(1))]
    Throttled(Duration),
}

impl ClientError {
    fn from_reqwest(e: reqwest::Error) -> ClientError {
        // Without the URL: a query may name a meter, and a peer's address is not the point.
        let timeout = e.is_timeout();
        let text = e.without_url().to_string();
        if timeout {
            ClientError::TimedOut(text)
        } else {
            ClientError::Transport(text)
        }
    }
}

/// A response's body, refused beyond `limit` bytes (announced or not).
pub async fn bounded_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ClientError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ClientError::TooLarge(limit));
    }
    // Sized once from the announced length (most answers give one): no growth, no copies.
    let announced = response.content_length().unwrap_or(0).min(limit as u64);
    let mut body: Vec<u8> = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(ClientError::from_reqwest)? {
        if body.len() + chunk.len() > limit {
            return Err(ClientError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An answer, whatever its status, with what the caller decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// `Retry-After` in seconds, when given as a number.
    pub retry_after: Option<i64>,
    /// `WWW-Authenticate`, if any (says why a token was refused).
    pub www_authenticate: Option<String>,
    /// The body, at most [`MAX_ANSWER_BYTES`].
    pub body: Vec<u8>,
}

impl Answer {
    /// Reads a response: status, the headers that matter, and the body within `limit`.
    pub async fn read(response: reqwest::Response, limit: usize) -> Result<Answer, ClientError> {
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let status = response.status().as_u16();
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|v| v.trim().parse().ok());
        let www_authenticate = header(reqwest::header::WWW_AUTHENTICATE);
        let body = bounded_body(response, limit).await?;
        Ok(Answer {
            status,
            content_type,
            retry_after,
            www_authenticate,
            body,
        })
    }

    /// The body as text (Enedis answers UTF-8 JSON; anything else is shown, not trusted).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Where every request waits for its turn.
pub trait Gate: Send + Sync {
    /// Waits for a turn; `Err(wait)` when none comes in time.
    fn acquire(&self) -> impl Future<Output = Result<(), Duration>> + Send;
}

impl<G: Gate> Gate for Arc<G> {
    fn acquire(&self) -> impl Future<Output = Result<(), Duration>> + Send {
        (**self).acquire()
    }
}

/// At least `interval` between two requests, never refusing (a household's own pace).
#[derive(Debug)]
pub struct MinInterval {
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl MinInterval {
    /// Requests at least `interval` apart.
    pub fn new(interval: Duration) -> MinInterval {
        MinInterval {
            interval,
            last: Mutex::new(None),
        }
    }
}

impl Gate for MinInterval {
    async fn acquire(&self) -> Result<(), Duration> {
        let mut last = self.last.lock().await;
        if let Some(at) = *last {
            let elapsed = at.elapsed();
            if elapsed < self.interval {
                tokio::time::sleep(self.interval - elapsed).await;
            }
        }
        *last = Some(Instant::now());
        Ok(())
    }
}

/// An application's client id and secret (the secret is never shown).
#[derive(Clone)]
pub struct Credentials {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

struct AppToken {
    value: String,
    renew_after: DateTime<Utc>,
}

/// A client of Enedis holding an application's credentials.
pub struct EnedisClient<G: Gate> {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
    clock: Arc<dyn Clock>,
    /// The application token: read by every call, written by a renewal.
    token: std::sync::Mutex<Option<AppToken>>,
    /// Held while a token is asked for, so that calls needing one ask once.
    renewal: Mutex<()>,
    gate: G,
    calls: AtomicU32,
}

impl<G: Gate> EnedisClient<G> {
    /// A client of the API at `base` (e.g. `https://gw.ext.prod.api.enedis.fr`); `clock` dates
    /// the token's end, `gate` paces every request.
    pub fn new(
        http: reqwest::Client,
        base: &str,
        credentials: Credentials,
        clock: Arc<dyn Clock>,
        gate: G,
    ) -> EnedisClient<G> {
        EnedisClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            credentials,
            clock,
            token: std::sync::Mutex::new(None),
            renewal: Mutex::new(()),
            gate,
            calls: AtomicU32::new(0),
        }
    }

    /// The API's base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The requests sent so far, token requests included.
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::Relaxed)
    }

    async fn turn(&self) -> Result<(), ClientError> {
        self.gate.acquire().await.map_err(ClientError::Throttled)?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The token in cache, if it has more than a minute left.
    fn cached_token(&self) -> Option<String> {
        let now = self.clock.now();
        self.token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|t| t.renew_after > now)
            .map(|t| t.value.clone())
    }

    /// The application token, from cache while it has more than a minute left, unless `renew`.
    pub async fn app_token(&self, renew: bool) -> Result<String, ClientError> {
        // Every proxied call passes here: the cache is read under a plain lock held for a
        // clone, and only a renewal queues (on `renewal`), so calls do not wait on each other.
        if !renew {
            if let Some(token) = self.cached_token() {
                return Ok(token);
            }
        }
        let _renewal = self.renewal.lock().await;
        if !renew {
            // Renewed by the call ahead in the queue.
            if let Some(token) = self.cached_token() {
                return Ok(token);
            }
        }
        let now = self.clock.now();
        self.turn().await?;
        let response = self
            .http
            .post(format!("{}/oauth2/v3/token", self.base))
            .basic_auth(
                &self.credentials.client_id,
                Some(&self.credentials.client_secret),
            )
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        let answer = Answer::read(response, MAX_ANSWER_BYTES).await?;
        if matches!(answer.status, 400 | 401 | 403) {
            return Err(ClientError::CredentialsRefused(answer.status));
        }
        if answer.status != 200 {
            return Err(ClientError::Transport(format!(
                "the token endpoint answered HTTP {}",
                answer.status
            )));
        }
        let token: TokenAnswer = serde_json::from_slice(&answer.body)
            .map_err(|e| ClientError::Unreadable(e.to_string()))?;
        *self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(AppToken {
            value: token.access_token.clone(),
            renew_after: now + chrono::Duration::seconds(token.lifetime_seconds() - 60),
        });
        Ok(token.access_token)
    }

    /// Sends the request `make` builds from the HTTP client, the base URL and the token; renews
    /// the token once and sends again when Enedis answers 401 or 403.
    pub async fn send(
        &self,
        make: impl Fn(&reqwest::Client, &str, &str) -> reqwest::RequestBuilder,
    ) -> Result<Answer, ClientError> {
        let mut renew = false;
        loop {
            let token = self.app_token(renew).await?;
            self.turn().await?;
            let response = make(&self.http, &self.base, &token)
                .send()
                .await
                .map_err(ClientError::from_reqwest)?;
            let answer = Answer::read(response, MAX_ANSWER_BYTES).await?;
            if matches!(answer.status, 401 | 403) && !renew {
                renew = true;
                continue;
            }
            return Ok(answer);
        }
    }

    /// `GET <base><path_and_query>` asking for JSON.
    pub async fn get(&self, path_and_query: &str) -> Result<Answer, ClientError> {
        self.send(|http, base, token| {
            http.get(format!("{base}{path_and_query}"))
                .bearer_auth(token)
                .header(reqwest::header::ACCEPT, "application/json")
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enedis_sim::{Credentials as SimCredentials, Quota, SimConfig, Simulator};
    use linky_core::ManualClock;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const PDL: &str = "22516914714270";

    async fn simulator(clock: &ManualClock) -> enedis_sim::RunningSimulator {
        let config = SimConfig {
            credentials: Some(SimCredentials {
                client_id: "app".into(),
                client_secret: "s3cret".into(),
            }),
            quota: Quota {
                per_second: 1000,
                per_hour: 100_000,
            },
            ..SimConfig::default()
        };
        Simulator::new(config, Arc::new(clock.clone()))
            .bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
    }

    fn client(url: &str, secret: &str, clock: ManualClock) -> EnedisClient<MinInterval> {
        EnedisClient::new(
            http_client("test", Duration::from_secs(10)).unwrap(),
            url,
            Credentials {
                client_id: "app".into(),
                client_secret: secret.into(),
            },
            Arc::new(clock),
            MinInterval::new(Duration::ZERO),
        )
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().into()
    }

    #[tokio::test]
    async fn the_token_is_cached_then_renewed_once_when_enedis_refuses_it() {
        let sim_clock = ManualClock::new(at("2026-12-02T10:00:00Z"));
        let sim = simulator(&sim_clock).await;
        // The client's clock stays behind: it believes its token still good when Enedis has
        // let it expire, as after a suspend or a token revoked early.
        let client = client(&sim.url(), "s3cret", ManualClock::new(sim_clock.now()));
        let path = format!(
            "{}?pointId={PDL}&dateDebut=2026-11-20&dateFin=2026-11-27",
            enedis_protocol::v2026::Mesure::ConsommationQuotidienne.path()
        );
        let first = client.get(&path).await.unwrap();
        assert_eq!(first.status, 200, "{}", first.text());
        let second = client.get(&path).await.unwrap();
        assert_eq!(second.status, 200);
        assert_eq!(client.calls(), 3, "one token request, two data calls");

        sim_clock.advance(chrono::Duration::hours(5));
        let third = client.get(&path).await.unwrap();
        assert_eq!(third.status, 200, "{}", third.text());
        assert_eq!(
            client.calls(),
            6,
            "a refused call, a new token, the call again"
        );
    }

    #[tokio::test]
    async fn refused_credentials_name_the_problem_and_hide_the_secret() {
        let clock = ManualClock::new(at("2026-12-02T10:00:00Z"));
        let sim = simulator(&clock).await;
        let client = client(&sim.url(), "wrong-secret", clock);
        let e = client.get("/anything").await.unwrap_err();
        assert!(matches!(e, ClientError::CredentialsRefused(_)), "{e:?}");
        assert!(e.to_string().contains("check them"));
        assert!(!format!("{e} {e:?}").contains("wrong-secret"));
        assert!(!format!("{:?}", client.credentials).contains("wrong-secret"));
    }

    /// A peer that answers `len` bytes, with or without announcing them.
    async fn peer(len: usize, announce: bool) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let head = if announce {
                    format!("HTTP/1.1 200 OK\r\nRetry-After: 7\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n")
                } else {
                    "HTTP/1.1 200 OK\r\nRetry-After: 7\r\nconnection: close\r\n\r\n".to_owned()
                };
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&vec![b'x'; len]).await;
                let _ = socket.shutdown().await;
            }
        });
        url
    }

    #[tokio::test]
    async fn answers_beyond_the_limit_are_refused_and_headers_are_read() {
        let http = http_client("test", Duration::from_secs(10)).unwrap();
        for announce in [true, false] {
            let small = http.get(peer(100, announce).await).send().await.unwrap();
            let answer = Answer::read(small, 1000).await.unwrap();
            assert_eq!((answer.status, answer.body.len()), (200, 100));
            assert_eq!(answer.retry_after, Some(7));
            let large = http.get(peer(5000, announce).await).send().await.unwrap();
            assert_eq!(
                Answer::read(large, 1000).await.unwrap_err(),
                ClientError::TooLarge(1000)
            );
        }
    }

    #[tokio::test]
    async fn min_interval_spaces_requests() {
        let gate = MinInterval::new(Duration::from_millis(20));
        let start = Instant::now();
        for _ in 0..5 {
            gate.acquire().await.unwrap();
        }
        assert!(start.elapsed() >= Duration::from_millis(80));
    }
}
