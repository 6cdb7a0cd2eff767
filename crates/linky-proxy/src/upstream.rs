//! The proxy's side of Enedis: the application token (client credentials, cached, renewed), the
//! forwarded data calls, and `subscribed_services`.

use enedis_protocol::oauth::TokenAnswer;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use enedis_protocol::v2026::{SubscribedServicesRequest, SubscribedServicesResponse};
use linky_core::Clock;
use tokio::sync::Mutex;

/// Why Enedis could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection, timeout, broken answer.
    #[error("Enedis could not be reached ({0})")]
    Transport(String),
    /// Enedis refused the application's credentials.
    #[error("Enedis refused the proxy's application credentials (HTTP {0}); the operator must check them")]
    Credentials(u16),
    /// An answer that is not what Enedis sends.
    #[error("unexpected answer from Enedis: {0}")]
    Answer(String),
    /// Enedis is busy or failing (its quota, a 5xx): asking again a little later is right.
    #[error("Enedis is busy or failing (HTTP {0})")]
    Busy(u16),
    /// The proxy's share of Enedis's quota is spent for now: ask again after this long.
    #[error("the Enedis quota shared by every household is spent for now; retry in {} s", .0.as_secs().max(1))]
    Throttled(std::time::Duration),
}

impl UpstreamError {
    /// Whether asking again a little later may succeed.
    pub fn is_passing(&self) -> bool {
        matches!(
            self,
            UpstreamError::Transport(_) | UpstreamError::Busy(_) | UpstreamError::Throttled(_)
        )
    }
}

/// Makes ring the process's TLS provider (reqwest is built without one, to avoid aws-lc's C
/// build); harmless if one is already installed.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An answer passed through as it came.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

struct AppToken {
    value: String,
    renew_after: DateTime<Utc>,
}

/// A client of Enedis holding the application's credentials.
pub struct Enedis {
    http: reqwest::Client,
    base: String,
    client_id: String,
    client_secret: String,
    clock: Arc<dyn Clock>,
    token: Mutex<Option<AppToken>>,
    quota: crate::limits::UpstreamQuota,
}

impl Enedis {
    /// A client for `base` (e.g. `https://gw.ext.prod.api.enedis.fr`).
    pub fn new(
        base: &str,
        client_id: &str,
        client_secret: &str,
        clock: Arc<dyn Clock>,
        quota: crate::limits::UpstreamQuota,
    ) -> Result<Enedis, UpstreamError> {
        install_tls_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("linky-proxy/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| UpstreamError::Transport(e.to_string()))?;
        Ok(Enedis {
            http,
            base: base.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            clock,
            token: Mutex::new(None),
            quota,
        })
    }

    /// The application token, from cache while it has more than a minute left.
    async fn app_token(&self, renew: bool) -> Result<String, UpstreamError> {
        let mut cached = self.token.lock().await;
        let now = self.clock.now();
        if let Some(t) = cached.as_ref().filter(|t| !renew && t.renew_after > now) {
            return Ok(t.value.clone());
        }
        self.quota
            .acquire()
            .await
            .map_err(UpstreamError::Throttled)?;
        let response = self
            .http
            .post(format!("{}/oauth2/v3/token", self.base))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| UpstreamError::Transport(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        if status == 400 || status == 401 || status == 403 {
            return Err(UpstreamError::Credentials(status));
        }
        let body: TokenAnswer = response
            .json()
            .await
            .map_err(|e| UpstreamError::Answer(format!("token endpoint: {}", e.without_url())))?;
        let lifetime = body.lifetime_seconds();
        *cached = Some(AppToken {
            value: body.access_token.clone(),
            renew_after: now + Duration::seconds(lifetime - 60),
        });
        Ok(body.access_token)
    }

    async fn send(
        &self,
        make: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<Forwarded, UpstreamError> {
        let mut renew = false;
        loop {
            let token = self.app_token(renew).await?;
            // Every call to Enedis, whoever it serves, stays within the application's quota.
            self.quota
                .acquire()
                .await
                .map_err(UpstreamError::Throttled)?;
            let response = make(&token)
                .send()
                .await
                .map_err(|e| UpstreamError::Transport(e.without_url().to_string()))?;
            let status = response.status().as_u16();
            // The token may have been revoked or expired early: renew it once.
            if (status == 401 || status == 403) && !renew {
                renew = true;
                continue;
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .bytes()
                .await
                .map_err(|e| UpstreamError::Transport(e.without_url().to_string()))?
                .to_vec();
            return Ok(Forwarded {
                status,
                content_type,
                body,
            });
        }
    }

    /// `GET <base><path_and_query>` with the application token.
    pub async fn get(&self, path_and_query: &str) -> Result<Forwarded, UpstreamError> {
        let url = format!("{}{}", self.base, path_and_query);
        self.send(|token| {
            self.http
                .get(&url)
                .bearer_auth(token)
                .header(reqwest::header::ACCEPT, "application/json")
        })
        .await
    }

    /// Which meters an `autorisation_id` covers (empty while Enedis has not registered it yet),
    /// and the earliest end of their services.
    pub async fn subscribed(&self, autorisation_id: i64) -> Result<Subscribed, UpstreamError> {
        let request = SubscribedServicesRequest {
            autorisation_id: u64::try_from(autorisation_id).ok(),
            autorisation: Some(true),
            comptage: Some(false),
            service_type: Some("ACCES".to_owned()),
            etat_code: Some(vec!["ACTIF".to_owned(), "DEMANDE".to_owned()]),
            point_id: None,
        };
        let url = format!("{}/subscribed_services/v1", self.base);
        let answer = self
            .send(|token| self.http.post(&url).bearer_auth(token).json(&request))
            .await?;
        if answer.status == 429 || answer.status >= 500 {
            return Err(UpstreamError::Busy(answer.status));
        }
        if answer.status != 200 {
            return Err(UpstreamError::Answer(format!(
                "subscribed_services answered HTTP {}",
                answer.status
            )));
        }
        let services: SubscribedServicesResponse = serde_json::from_slice(&answer.body)
            .map_err(|e| UpstreamError::Answer(format!("subscribed_services: {e}")))?;
        let ends = services
            .service_souscrit
            .iter()
            .filter_map(|s| chrono::NaiveDate::parse_from_str(&s.date_fin, "%Y-%m-%d").ok())
            .min();
        let starts = services
            .service_souscrit
            .iter()
            .filter_map(|s| chrono::NaiveDate::parse_from_str(&s.date_debut, "%Y-%m-%d").ok())
            .min();
        Ok(Subscribed {
            meters: services.active_points(),
            starts,
            ends,
        })
    }
}

/// What a consent covers, according to Enedis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribed {
    /// The meters with an active or requested service.
    pub meters: Vec<String>,
    /// The earliest start of those services (the consent's day).
    pub starts: Option<chrono::NaiveDate>,
    /// The earliest end of those services.
    pub ends: Option<chrono::NaiveDate>,
}
