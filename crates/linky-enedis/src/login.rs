//! `linky login`: the device flow (RFC 8628) against linky-proxy or the original proxy.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use linky_core::{Clock, Lang, Localized};
use serde::Deserialize;

use crate::tokens::TokenFamily;

/// What to show the person.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeviceCode {
    /// The secret the device polls with.
    pub device_code: String,
    /// `XXXX-XXXX`.
    pub user_code: String,
    /// Where to type the code.
    pub verification_uri: String,
    /// The same with the code filled in (the original proxy does not send it).
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// Seconds the code lives.
    pub expires_in: i64,
    /// Seconds between polls (the original proxy may send a float).
    #[serde(default = "default_interval", deserialize_with = "seconds")]
    pub interval: i64,
}

fn default_interval() -> i64 {
    5
}

fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(v.as_f64().map_or(5, |f| f.round() as i64).max(1))
}

impl DeviceCode {
    /// The address to open: with the code when the proxy gives one.
    pub fn address(&self) -> String {
        self.verification_uri_complete
            .clone()
            .unwrap_or_else(|| format!("{}?code={}", self.verification_uri, self.user_code))
    }
}

/// Why login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The proxy cannot be reached.
    #[error("the proxy {url} cannot be reached ({error}); check the address and your connection")]
    Unreachable {
        /// The proxy.
        url: String,
        /// What happened.
        error: String,
    },
    /// The proxy refused the request.
    #[error("the proxy refused: {0}")]
    Refused(String),
    /// The proxy failed to answer properly (5xx, quota, an unreadable answer): nothing was
    /// refused, asking again later is right.
    #[error("the proxy failed to answer ({0}); linky asks again shortly")]
    Failing(String),
    /// The person refused consent.
    #[error("the consent was refused at Enedis; run `linky login` again to retry")]
    Denied,
    /// The code expired before the person finished.
    #[error("the code expired before the consent was given; run `linky login` again and finish within {0} minutes")]
    Expired(i64),
}

impl Localized for LoginError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, _) => self.to_string(),
            (Lang::Fr, LoginError::Unreachable { url, error }) => format!("le proxy {url} est injoignable ({error}) ; vérifiez l'adresse et votre connexion"),
            (Lang::Fr, LoginError::Refused(e)) => format!("le proxy a refusé : {e}"),
            (Lang::Fr, LoginError::Failing(e)) => format!("le proxy n'a pas su répondre ({e}) ; linky redemande sous peu"),
            (Lang::Fr, LoginError::Denied) => "le consentement a été refusé chez Enedis ; relancez `linky login` pour réessayer".to_owned(),
            (Lang::Fr, LoginError::Expired(m)) => format!("le code a expiré avant la fin du consentement ; relancez `linky login` et terminez en moins de {m} minutes"),
        }
    }
}

/// A proxy's device endpoints.
pub struct DeviceFlow<'a> {
    /// HTTP client.
    pub http: &'a reqwest::Client,
    /// The proxy's base URL.
    pub proxy_url: &'a str,
    /// The device client id.
    pub client_id: &'a str,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    usage_points_id: Option<String>,
    #[serde(default)]
    consent_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    interval: Option<i64>,
}

impl DeviceFlow<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.proxy_url.trim_end_matches('/'))
    }

    fn unreachable(&self, e: reqwest::Error) -> LoginError {
        LoginError::Unreachable {
            url: self.proxy_url.to_owned(),
            error: e.without_url().to_string(),
        }
    }

    /// Posts a form to the proxy; the status and the body as text.
    async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<(reqwest::StatusCode, String), LoginError> {
        let r = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = r.status();
        let text = crate::bounded_text(r)
            .await
            .map_err(|error| LoginError::Unreachable {
                url: self.proxy_url.to_owned(),
                error,
            })?;
        Ok((status, text))
    }

    /// `POST /device/code`.
    pub async fn start(&self) -> Result<DeviceCode, LoginError> {
        let (status, text) = self
            .post("/device/code", &[("client_id", self.client_id)])
            .await?;
        if !status.is_success() {
            return Err(LoginError::Refused(describe(&text)));
        }
        serde_json::from_str(&text)
            .map_err(|e| LoginError::Refused(format!("unexpected answer ({e})")))
    }

    /// Polls until the person consented (or refused, or the code expired).
    pub async fn wait(
        &self,
        code: &DeviceCode,
        clock: &dyn Clock,
    ) -> Result<TokenFamily, LoginError> {
        let deadline = clock.now() + Duration::seconds(code.expires_in);
        let mut interval = code.interval.max(1);
        loop {
            tokio::time::sleep(StdDuration::from_secs(interval as u64)).await;
            let form = [
                ("client_id", self.client_id),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", code.device_code.as_str()),
            ];
            let (status, text) = self.post("/device/token", &form).await?;
            if status.is_success() {
                return self.family(&text, clock.now());
            }
            let answer: ErrorAnswer =
                serde_json::from_str(&text).map_err(|_| LoginError::Refused(describe(&text)))?;
            match answer.error.as_str() {
                "authorization_pending" => {}
                "slow_down" => interval = answer.interval.unwrap_or(interval + 5),
                "access_denied" => return Err(LoginError::Denied),
                "expired_token" => return Err(LoginError::Expired(code.expires_in / 60)),
                _ => {
                    return Err(LoginError::Refused(format!(
                        "{} {}",
                        answer.error,
                        answer.error_description.unwrap_or_default()
                    )))
                }
            }
            if clock.now() > deadline {
                return Err(LoginError::Expired(code.expires_in / 60));
            }
        }
    }

    fn family(&self, text: &str, now: DateTime<Utc>) -> Result<TokenFamily, LoginError> {
        let t: TokenAnswer = serde_json::from_str(text)
            .map_err(|e| LoginError::Refused(format!("unexpected token answer ({e})")))?;
        if let Some(e) = t.error {
            return Err(LoginError::Refused(e));
        }
        let lifetime = t
            .expires_in
            .as_ref()
            .and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(12_600);
        Ok(TokenFamily {
            proxy_url: self.proxy_url.to_owned(),
            client_id: self.client_id.to_owned(),
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            expires_at: now + Duration::seconds(lifetime),
            meters: t
                .usage_points_id
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            consent_expires_at: t.consent_expires_at,
        })
    }

    /// `grant_type=refresh_token`, as the original plugin sends it (with `usage_points_id`).
    pub async fn refresh(
        &self,
        family: &TokenFamily,
        now: DateTime<Utc>,
    ) -> Result<TokenFamily, LoginError> {
        let meters = family.meters.join(",");
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id),
            ("usage_points_id", meters.as_str()),
            ("refresh_token", family.refresh_token.as_str()),
        ];
        let (status, text) = self.post("/device/token", &form).await?;
        // Only a refusal of the token itself means logging in again: a failing proxy or a lost
        // answer is asked again soon, with the same refresh token (the proxy answers such a
        // replay with the new pair for a while).
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(LoginError::Failing(format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(LoginError::Refused(describe(&text)));
        }
        let mut renewed = self.family(&text, now).map_err(|e| match e {
            LoginError::Refused(why) => LoginError::Failing(why),
            other => other,
        })?;
        if renewed.meters.is_empty() {
            // The original proxy does not repeat the meters on refresh.
            renewed.meters = family.meters.clone();
        }
        if renewed.consent_expires_at.is_none() {
            renewed.consent_expires_at = family.consent_expires_at;
        }
        Ok(renewed)
    }

    /// `POST /device/revoke` with the refresh token (RFC 7009).
    pub async fn revoke(&self, family: &TokenFamily) -> Result<(), LoginError> {
        let (status, _) = self
            .post(
                "/device/revoke",
                &[
                    ("token", family.refresh_token.as_str()),
                    ("token_type_hint", "refresh_token"),
                ],
            )
            .await?;
        // The original proxy has no revocation endpoint: forgetting the tokens is all we can do.
        if status.is_success() || status.as_u16() == 404 {
            Ok(())
        } else {
            Err(LoginError::Refused(format!("HTTP {}", status.as_u16())))
        }
    }
}

fn describe(text: &str) -> String {
    match serde_json::from_str::<ErrorAnswer>(text) {
        Ok(e) => format!("{} {}", e.error, e.error_description.unwrap_or_default())
            .trim()
            .to_owned(),
        Err(_) => text.chars().take(200).collect(),
    }
}
