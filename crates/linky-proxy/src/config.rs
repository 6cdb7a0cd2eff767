//! linky-proxy's settings: defaults in code, then a TOML file, then environment variables, then
//! flags (the binary merges them; this module holds the result and checks it).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::Deserialize;

/// Everything the proxy needs to run.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://<file>` (or `sqlite::memory:` for tests).
    pub database: String,
    /// The public base URL people and devices reach (`https://proxy.example`).
    pub public_url: String,
    /// Base URL of the Enedis APIs (token, metering, contracts, subscribed services).
    pub enedis_api_url: String,
    /// Base URL of the Enedis consent pages (`…/dataconnect/v2/oauth2/authorize` is appended).
    pub enedis_consent_url: String,
    /// The application's Enedis client id.
    pub enedis_client_id: String,
    /// The application's Enedis client secret. Never logged, never sent but to Enedis.
    pub enedis_client_secret: String,
    /// Consent duration asked of Enedis (ISO 8601, at most three years).
    pub consent_duration: String,
    /// Device client ids accepted; empty accepts any.
    pub device_client_ids: Vec<String>,
    /// Accept the v5 consent return (`code`, `usage_point_id`), which cannot be verified: anyone
    /// could claim any meter. Only for sandbox use.
    pub allow_unverified_v5_consent: bool,
    /// A header carrying the real client address behind a reverse proxy (e.g.
    /// `X-Forwarded-For`); without it, the socket's peer address counts.
    pub client_ip_header: Option<String>,
    /// The reverse proxies whose `client_ip_header` is believed (addresses or CIDR blocks): the
    /// client is the right-most address of the header that is not one of them. A request from
    /// any other peer is taken by its socket address, whatever the header says.
    pub trusted_proxies: Vec<String>,
    /// What to do with the v5 metering calls of the original plugin: `pass` them to Enedis,
    /// `translate` them to the 2026 generation, or `auto`: translate once Enedis answers that
    /// the v5 paths are gone.
    pub v5_translation: String,
    /// Device codes one client address may ask for per hour (in bursts of ten at most).
    pub device_codes_per_address_per_hour: u32,
    /// Device codes the whole proxy hands out per second.
    pub device_codes_per_second: u32,
    /// Data calls one device (token family) may make per hour, and calls for one meter whichever
    /// device asks, in bursts of 300 at most (a first install of two years takes about 110).
    pub calls_per_device_per_hour: u32,
    /// Calls to Enedis per second for the whole application (Enedis allows 5).
    pub upstream_per_second: u32,
    /// Calls to Enedis per hour for the whole application (Enedis allows 10 000).
    pub upstream_per_hour: u32,
    /// Lifetime of device and user codes, in seconds.
    pub device_code_lifetime_seconds: i64,
    /// Minimum seconds between polls of the device-code grant.
    pub poll_interval_seconds: i64,
    /// Lifetime of access tokens, in seconds (Enedis' own: 12 600).
    pub access_token_lifetime_seconds: i64,
    /// How long a rotated refresh token still works while its successor was never presented, in
    /// seconds (a day: a daemon whose reply was lost retries within hours).
    pub refresh_grace_seconds: i64,
    /// Failed user-code guesses allowed per client address per window.
    pub guess_limit: u32,
    /// The window of `guess_limit`, in seconds.
    pub guess_window_seconds: i64,
    /// How many times to ask `subscribed_services` while it answers empty.
    pub subscribed_services_attempts: u32,
    /// Milliseconds between those attempts.
    pub subscribed_services_retry_ms: u64,
}

impl Default for ProxyConfig {
    fn default() -> ProxyConfig {
        ProxyConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: "sqlite://linky-proxy.db".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            enedis_api_url: "https://gw.ext.prod.api.enedis.fr".to_owned(),
            enedis_consent_url: "https://mon-compte-particulier.enedis.fr".to_owned(),
            enedis_client_id: String::new(),
            enedis_client_secret: String::new(),
            consent_duration: "P3Y".to_owned(),
            device_client_ids: Vec::new(),
            allow_unverified_v5_consent: false,
            client_ip_header: None,
            trusted_proxies: vec!["127.0.0.1".to_owned(), "::1".to_owned()],
            v5_translation: "auto".to_owned(),
            device_codes_per_address_per_hour: 30,
            device_codes_per_second: 20,
            calls_per_device_per_hour: 3600,
            upstream_per_second: 5,
            upstream_per_hour: 10_000,
            device_code_lifetime_seconds: 900,
            poll_interval_seconds: 5,
            access_token_lifetime_seconds: 12_600,
            refresh_grace_seconds: 86_400,
            guess_limit: 10,
            guess_window_seconds: 600,
            subscribed_services_attempts: 10,
            subscribed_services_retry_ms: 1000,
        }
    }
}

impl fmt::Debug for ProxyConfig {
    // The secret is masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("listen", &self.listen)
            .field("database", &self.database)
            .field("public_url", &self.public_url)
            .field("enedis_api_url", &self.enedis_api_url)
            .field("enedis_consent_url", &self.enedis_consent_url)
            .field("enedis_client_id", &self.enedis_client_id)
            .field(
                "enedis_client_secret",
                &if self.enedis_client_secret.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .field("consent_duration", &self.consent_duration)
            .field("device_client_ids", &self.device_client_ids)
            .field(
                "allow_unverified_v5_consent",
                &self.allow_unverified_v5_consent,
            )
            .field("client_ip_header", &self.client_ip_header)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// A setting that cannot work, with the key to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {key}: {problem} (fix: {fix})")]
pub struct ConfigError {
    /// The setting's name (as in the TOML file; flags and variables say the same in their form).
    pub key: &'static str,
    /// What is wrong.
    pub problem: String,
    /// What to do.
    pub fix: &'static str,
}

/// `10.0.0.0/8` or a lone address (a block of one).
fn parse_block(text: &str) -> Option<(IpAddr, u8)> {
    let (address, bits) = match text.trim().split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (text.trim(), None),
    };
    let ip: IpAddr = address.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((ip, bits))
}

fn in_block(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    let (a, b, width) = match (ip, network) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(_)) => match a.to_ipv4_mapped() {
            Some(v4) => return in_block(IpAddr::V4(v4), network, bits),
            None => return false,
        },
        _ => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - u32::from(bits);
    (a >> shift) == (b >> shift)
}

fn url_ok(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && url.len() > "https://".len()
}

impl ProxyConfig {
    /// Checks the settings before anything starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key, problem: String, fix| Err(ConfigError { key, problem, fix });
        for (key, value) in [
            ("public_url", &self.public_url),
            ("enedis_api_url", &self.enedis_api_url),
            ("enedis_consent_url", &self.enedis_consent_url),
        ] {
            if !url_ok(value) {
                return err(
                    key,
                    format!("\"{value}\" is not an http(s) URL"),
                    "give a full URL such as https://proxy.example.org",
                );
            }
        }
        if self.enedis_client_id.is_empty() || self.enedis_client_secret.is_empty() {
            return err("enedis_client_id / enedis_client_secret", "missing".to_owned(), "give the Enedis application's client id and secret (the secret preferably through LINKY_PROXY_ENEDIS_CLIENT_SECRET)");
        }
        if !self.database.starts_with("sqlite:") {
            return err(
                "database",
                format!("\"{}\" is not a supported database URL", self.database),
                "use sqlite://<file>",
            );
        }
        let any_day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        if let Err(e) = linky_core::consent::consent_end(any_day, &self.consent_duration) {
            return err(
                "consent_duration",
                format!("\"{}\" is {e}", self.consent_duration),
                "use P3Y, P36M, P18M or P1095D (at most three years)",
            );
        }
        if self.poll_interval_seconds < 1
            || self.device_code_lifetime_seconds < 60
            || self.access_token_lifetime_seconds < 60
        {
            return err("poll_interval_seconds / device_code_lifetime_seconds / access_token_lifetime_seconds", "too small".to_owned(), "use at least 1 s, 60 s and 60 s");
        }
        if let Some(bad) = self
            .trusted_proxies
            .iter()
            .find(|p| parse_block(p).is_none())
        {
            return err(
                "trusted_proxies",
                format!("\"{bad}\" is not an address or a CIDR block"),
                "list addresses such as 127.0.0.1 or blocks such as 10.0.0.0/8",
            );
        }
        if !["pass", "translate", "auto"].contains(&self.v5_translation.as_str()) {
            return err(
                "v5_translation",
                format!("\"{}\" is not a mode", self.v5_translation),
                "use pass, translate or auto",
            );
        }
        if [
            self.device_codes_per_address_per_hour,
            self.device_codes_per_second,
            self.calls_per_device_per_hour,
            self.upstream_per_second,
            self.upstream_per_hour,
        ]
        .contains(&0)
        {
            return err(
                "device_codes_per_* / calls_per_device_per_hour / upstream_per_*",
                "0 would refuse everything".to_owned(),
                "use positive limits (Enedis allows 5 calls a second and 10 000 an hour)",
            );
        }
        if self.guess_limit == 0 {
            return err(
                "guess_limit",
                "0 would refuse every code".to_owned(),
                "use a small number such as 10",
            );
        }
        Ok(())
    }

    /// Whether `ip` is one of the trusted reverse proxies.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .filter_map(|p| parse_block(p))
            .any(|(network, bits)| in_block(ip, network, bits))
    }

    /// `public_url` without a trailing slash.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// Where Enedis sends people back.
    pub fn redirect_uri(&self) -> String {
        format!("{}/auth/redirect", self.public_base())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> ProxyConfig {
        ProxyConfig {
            enedis_client_id: "id".into(),
            enedis_client_secret: "very-secret".into(),
            ..ProxyConfig::default()
        }
    }

    #[test]
    fn validation_names_the_key_and_the_fix() {
        good().validate().unwrap();
        let e = ProxyConfig {
            public_url: "proxy.example".into(),
            ..good()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.key, "public_url");
        assert!(e.to_string().contains("fix:"));
        assert_eq!(
            ProxyConfig::default().validate().unwrap_err().key,
            "enedis_client_id / enedis_client_secret"
        );
        assert_eq!(
            ProxyConfig {
                database: "mysql://x".into(),
                ..good()
            }
            .validate()
            .unwrap_err()
            .key,
            "database"
        );
        assert!(
            !format!("{:?}", good()).contains("very-secret"),
            "the secret is masked"
        );
        let parsed: ProxyConfig =
            toml::from_str("public_url = \"https://p.example/\"\nguess_limit = 3").unwrap();
        assert_eq!(
            (parsed.public_base(), parsed.guess_limit),
            ("https://p.example", 3)
        );
        assert!(
            toml::from_str::<ProxyConfig>("publik_url = \"x\"").is_err(),
            "unknown keys are errors"
        );
        // Full ISO 8601 durations (P18M is 18 months, not three years), at most three years.
        for ok in ["P3Y", "P18M", "P1Y6M", "P1095D"] {
            ProxyConfig {
                consent_duration: ok.into(),
                ..good()
            }
            .validate()
            .unwrap();
        }
        for bad in ["P4Y", "18M", "PT1H"] {
            let e = ProxyConfig {
                consent_duration: bad.into(),
                ..good()
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.key, "consent_duration", "{bad}");
        }
        let trusted = ProxyConfig {
            trusted_proxies: vec!["10.0.0.0/8".into(), "::1".into()],
            ..good()
        };
        assert!(trusted.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(!trusted.is_trusted_proxy("11.0.0.1".parse().unwrap()));
        assert!(trusted.is_trusted_proxy("::1".parse().unwrap()));
        assert_eq!(
            ProxyConfig {
                trusted_proxies: vec!["10.0.0.0/99".into()],
                ..good()
            }
            .validate()
            .unwrap_err()
            .key,
            "trusted_proxies"
        );
    }
}
