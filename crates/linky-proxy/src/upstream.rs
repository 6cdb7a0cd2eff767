//! The proxy's side of Enedis: the application token (client credentials, cached, renewed), the
//! forwarded data calls, and `subscribed_services`.

use std::sync::Arc;

use enedis_protocol::v2026::{SubscribedServicesRequest, SubscribedServicesResponse};
use linky_core::Clock;

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

pub use enedis_client::install_tls_provider;

impl From<enedis_client::ClientError> for UpstreamError {
    fn from(e: enedis_client::ClientError) -> UpstreamError {
        use enedis_client::ClientError as C;
        match e {
            C::CredentialsRefused(status) => UpstreamError::Credentials(status),
            C::Throttled(wait) => UpstreamError::Throttled(wait),
            C::Unreadable(text) => UpstreamError::Answer(format!("token endpoint: {text}")),
            other @ (C::Transport(_) | C::TimedOut(_) | C::TooLarge(_)) => {
                UpstreamError::Transport(other.to_string())
            }
        }
    }
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

/// A client of Enedis holding the application's credentials; every call, whoever it serves,
/// stays within the application's quota.
pub struct Enedis {
    client: enedis_client::EnedisClient<Arc<crate::limits::UpstreamQuota>>,
    quota: Arc<crate::limits::UpstreamQuota>,
    metrics: Arc<crate::metrics::ProxyMetrics>,
}

impl Enedis {
    /// A client for `base` (e.g. `https://gw.ext.prod.api.enedis.fr`).
    pub fn new(
        base: &str,
        client_id: &str,
        client_secret: &str,
        clock: Arc<dyn Clock>,
        metrics: Arc<crate::metrics::ProxyMetrics>,
        quota: crate::limits::UpstreamQuota,
    ) -> Result<Enedis, UpstreamError> {
        let http = enedis_client::http_client(
            concat!("linky-proxy/", env!("CARGO_PKG_VERSION")),
            std::time::Duration::from_secs(60),
        )?;
        let credentials = enedis_client::Credentials {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        };
        let quota = Arc::new(quota.observed(metrics.clone()));
        Ok(Enedis {
            client: enedis_client::EnedisClient::new(http, base, credentials, clock, quota.clone()),
            quota,
            metrics,
        })
    }

    /// Whether Enedis gives the application its token (a cached one counts: it was given).
    pub async fn token_reachable(&self) -> Result<(), UpstreamError> {
        self.client.app_token(false).await?;
        Ok(())
    }

    /// `GET <base><path_and_query>` with the application token.
    pub async fn get(&self, path_and_query: &str) -> Result<Forwarded, UpstreamError> {
        // The request id of the call being served goes along, so a call can be followed from
        // the proxy's log to Enedis's.
        let request_id = crate::request_id::current();
        let sent = self
            .client
            .send(|http, base, token| {
                let request = http
                    .get(format!("{base}{path_and_query}"))
                    .bearer_auth(token)
                    .header("accept", "application/json");
                match &request_id {
                    Some(id) => request.header(crate::request_id::HEADER, id.as_str()),
                    None => request,
                }
            })
            .await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(e) => {
                self.metrics.upstream(match e {
                    enedis_client::ClientError::Throttled(_) => "throttled",
                    _ => "transport",
                });
                return Err(e.into());
            }
        };
        self.metrics.upstream(outcome(answer.status));
        if answer.status == 429 {
            // Enedis says when the application may call again: every instance waits.
            let error = enedis_protocol::error::EnedisError::from_response(
                answer.status,
                &answer.text(),
                answer.www_authenticate.as_deref(),
            );
            if let Some(until) = error.next_access() {
                self.quota.pause(until).await;
            }
        }
        Ok(Forwarded {
            status: answer.status,
            content_type: answer.content_type,
            body: answer.body,
        })
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
        let answer = self
            .client
            .send(|http, base, token| {
                http.post(format!("{base}/subscribed_services/v1"))
                    .bearer_auth(token)
                    .json(&request)
            })
            .await
            .inspect_err(|_| self.metrics.upstream("transport"))?;
        self.metrics.upstream(outcome(answer.status));
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

/// An answer's outcome, as the metrics count it.
fn outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        429 => "quota",
        500.. => "unavailable",
        _ => "client_error",
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
