//! linky-proxy's settings, typed and checked once: defaults in code, then a TOML file, then
//! environment variables (`LINKY_PROXY_<KEY>` for every key), then flags. One table drives the
//! three: the struct's own keys. Each source's values are merged by key and read by the same
//! deserializer, so a wrong value gets the same error (the key, the problem, the fix) wherever it
//! came from.

use std::net::{IpAddr, SocketAddr};

use linky_core::consent::ConsentDuration;
use linky_core::Secret;
use serde::{Deserialize, Serialize};
use settings_layers::{Expected, LayerError, Layers, Origin};

/// What to do with the v5 metering calls of the original plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum V5Translation {
    /// Pass them to Enedis as they are.
    Pass,
    /// Translate them to the 2026 generation.
    Translate,
    /// Translate once Enedis answers that the v5 paths are gone.
    Auto,
}

/// Everything the proxy needs to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://<file>` (or `sqlite::memory:` for tests), or
    /// `postgres://user:password@host:port/database` for several instances on one database.
    pub database: DatabaseUrl,
    /// The public base URL people and devices reach (`https://proxy.example`).
    pub public_url: String,
    /// Base URL of the Enedis APIs (token, metering, contracts, subscribed services).
    pub enedis_api_url: String,
    /// Base URL of the Enedis consent pages (`…/dataconnect/v2/oauth2/authorize` is appended).
    pub enedis_consent_url: String,
    /// The application's Enedis client id.
    pub enedis_client_id: String,
    /// The application's Enedis client secret. Never logged, never sent but to Enedis.
    pub enedis_client_secret: Secret,
    /// Consent duration asked of Enedis (ISO 8601, at most three years).
    #[serde(with = "as_text")]
    pub consent_duration: ConsentDuration,
    /// Device client ids accepted; empty accepts any.
    pub device_client_ids: Vec<String>,
    /// Accept the v5 consent return (`code`, `usage_point_id`), which cannot be verified: anyone
    /// could claim any meter. Only for sandbox use.
    pub allow_unverified_v5_consent: bool,
    /// A header carrying the real client address behind a reverse proxy (e.g.
    /// `X-Forwarded-For`); without it (or empty), the socket's peer address counts.
    #[serde(with = "empty_is_none")]
    pub client_ip_header: Option<String>,
    /// The reverse proxies whose `client_ip_header` is believed (addresses or CIDR blocks): the
    /// client is the right-most address of the header that is not one of them. A request from
    /// any other peer is taken by its socket address, whatever the header says.
    pub trusted_proxies: Vec<IpBlock>,
    /// What to do with the v5 metering calls of the original plugin.
    pub v5_translation: V5Translation,
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
    /// The bearer token `/metrics` asks for; empty (the default) turns `/metrics` off.
    pub metrics_token: Secret,
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
            database: DatabaseUrl::sqlite("linky-proxy.db"),
            public_url: "http://127.0.0.1:8080".to_owned(),
            enedis_api_url: "https://gw.ext.prod.api.enedis.fr".to_owned(),
            enedis_consent_url: "https://mon-compte-particulier.enedis.fr".to_owned(),
            enedis_client_id: String::new(),
            enedis_client_secret: Secret::from(""),
            consent_duration: ConsentDuration::three_years(),
            device_client_ids: Vec::new(),
            allow_unverified_v5_consent: false,
            client_ip_header: None,
            trusted_proxies: vec![
                IpBlock::one([127, 0, 0, 1].into()),
                IpBlock::one(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
            ],
            v5_translation: V5Translation::Auto,
            device_codes_per_address_per_hour: 30,
            device_codes_per_second: 20,
            calls_per_device_per_hour: 3600,
            upstream_per_second: 5,
            upstream_per_hour: 10_000,
            device_code_lifetime_seconds: 900,
            poll_interval_seconds: 5,
            access_token_lifetime_seconds: 12_600,
            refresh_grace_seconds: 86_400,
            metrics_token: Secret::from(""),
            guess_limit: 10,
            guess_window_seconds: 600,
            subscribed_services_attempts: 10,
            subscribed_services_retry_ms: 1000,
        }
    }
}

/// A value read from its text (`FromStr`) and written back as text (`Display`).
mod as_text {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e| D::Error::custom(format!("\"{text}\" is {e}")))
    }
}

/// An optional text where empty means none (so that every key has a value in the defaults).
mod empty_is_none {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.as_deref().unwrap_or_default())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
    }
}

/// Which storage backend a [`DatabaseUrl`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file (the default; one instance).
    Sqlite,
    /// A PostgreSQL database (several instances).
    Postgres,
}

/// Where the proxy keeps its data. Shown (`Debug`, `Display`, serialization) with its password
/// masked: the URL of a PostgreSQL database may carry one.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// `sqlite://<path>`.
    pub fn sqlite(path: &str) -> DatabaseUrl {
        DatabaseUrl(format!("sqlite://{path}"))
    }

    /// The backend it names.
    pub fn backend(&self) -> Backend {
        if self.0.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    /// The whole URL, for the one place that connects.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return self.0.clone();
        };
        // The last `@` ends the user part: a password may hold one.
        let Some((user_info, host)) = rest.rsplit_once('@') else {
            return self.0.clone();
        };
        match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => self.0.clone(),
        }
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<DatabaseUrl, String> {
        let text = text.trim();
        let known = [
            "sqlite://",
            "sqlite::memory:",
            "postgres://",
            "postgresql://",
        ];
        match known.iter().find(|k| text.starts_with(**k)) {
            Some(k) if text.len() > k.len() || *k == "sqlite::memory:" => {
                Ok(DatabaseUrl(text.to_owned()))
            }
            _ => Err("not a supported database URL: use sqlite://<file>, or postgres://user:password@host:port/database for several instances".to_owned()),
        }
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        as_text::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DatabaseUrl, D::Error> {
        use serde::de::Error;
        let text = String::deserialize(d)?;
        // The refused text is shown masked: it may carry a password.
        text.parse().map_err(|e| {
            D::Error::custom(format!(
                "\"{}\" is {e}",
                DatabaseUrl(text.clone()).redacted()
            ))
        })
    }
}

/// A block of addresses: `10.0.0.0/8`, or a lone address (a block of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    network: IpAddr,
    bits: u8,
}

impl IpBlock {
    /// The block of one address.
    pub fn one(ip: IpAddr) -> IpBlock {
        IpBlock {
            network: ip,
            bits: if ip.is_ipv4() { 32 } else { 128 },
        }
    }

    /// Whether `ip` lies in the block (an IPv4 address written as IPv6 included).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (a, b, width) = match (ip, self.network) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(u32::from(a)), u128::from(u32::from(b)), 32)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
            (IpAddr::V6(a), IpAddr::V4(_)) => {
                return a
                    .to_ipv4_mapped()
                    .is_some_and(|v4| self.contains(IpAddr::V4(v4)))
            }
            _ => return false,
        };
        if self.bits == 0 {
            return true;
        }
        let shift = width - u32::from(self.bits);
        (a >> shift) == (b >> shift)
    }
}

impl std::str::FromStr for IpBlock {
    type Err = String;

    fn from_str(text: &str) -> Result<IpBlock, String> {
        let wrong =
            || "not an address or a CIDR block (such as 127.0.0.1 or 10.0.0.0/8)".to_owned();
        let (address, bits) = match text.trim().split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| wrong())?)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| wrong())?;
        let max = IpBlock::one(network).bits;
        let bits = bits.unwrap_or(max);
        if bits > max {
            return Err(wrong());
        }
        Ok(IpBlock { network, bits })
    }
}

impl std::fmt::Display for IpBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if *self == IpBlock::one(self.network) {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.bits)
        }
    }
}

impl Serialize for IpBlock {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        as_text::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for IpBlock {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IpBlock, D::Error> {
        as_text::deserialize(d)
    }
}

/// A setting that cannot work, with the key to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {key}: {problem} (fix: {fix})")]
pub struct ConfigError {
    /// The setting's name (as in the TOML file; `LINKY_PROXY_<KEY>` and `--<key>` say the same).
    pub key: String,
    /// What is wrong.
    pub problem: String,
    /// What to do.
    pub fix: String,
}

fn url_ok(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && url.len() > "https://".len()
}

/// Where a setting's value came from, to name it in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The TOML file.
    File,
    /// A `LINKY_PROXY_<KEY>` variable.
    Environment,
    /// A `--<key>` flag.
    Flag,
}

/// The environment variable of a key.
pub fn variable_of(key: &str) -> String {
    format!("LINKY_PROXY_{}", key.to_ascii_uppercase())
}

/// Settings being gathered from their sources, by key, before they are read once (the layers
/// are `settings-layers`'; this names the proxy's variables and words its errors).
pub struct Gathered {
    layers: Layers,
}

impl Default for Gathered {
    fn default() -> Gathered {
        Gathered::new()
    }
}

impl Gathered {
    /// Nothing yet: every key at its default.
    pub fn new() -> Gathered {
        Gathered {
            layers: Layers::new::<ProxyConfig>().strict(),
        }
    }

    /// The keys the proxy knows, in order.
    pub fn keys(&self) -> Vec<String> {
        self.layers.keys()
    }

    /// A TOML file's settings.
    pub fn file(&mut self, text: &str) -> Result<(), ConfigError> {
        self.layers.file(text).map_err(|e| self.explain(e))
    }

    /// A value given as text (a variable or a flag), typed as the key's default is: a number, a
    /// yes/no, a comma-separated list, or text.
    pub fn text(&mut self, key: &str, text: &str, source: Source) -> Result<(), ConfigError> {
        let origin = match source {
            Source::File => Origin::File,
            Source::Environment => Origin::Variable(variable_of(key)),
            Source::Flag => Origin::Flag(format!("--{}", key.replace('_', "-"))),
        };
        self.layers
            .text(key, text, origin)
            .map_err(|e| self.explain(e))
    }

    /// Every `LINKY_PROXY_<KEY>` among `variables` (except `LINKY_PROXY_CONFIG`, the file's path).
    pub fn environment(
        &mut self,
        variables: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (name, value) in variables {
            let Some(key) = name.strip_prefix("LINKY_PROXY_") else {
                continue;
            };
            if key == "CONFIG" {
                continue;
            }
            self.text(&key.to_ascii_lowercase(), &value, Source::Environment)?;
        }
        Ok(())
    }

    /// The settings, each value read by its type once, then checked together.
    pub fn read(self) -> Result<ProxyConfig, ConfigError> {
        let keys = self.keys();
        let config: ProxyConfig = self.layers.read().map_err(|e| explain(e, &keys))?;
        config.validate()?;
        Ok(config)
    }

    fn explain(&self, e: LayerError) -> ConfigError {
        explain(e, &self.keys())
    }
}

/// A layer's error in the proxy's words: the key, the problem, the fix.
fn explain(e: LayerError, keys: &[String]) -> ConfigError {
    let key = e.named().to_owned();
    match e {
        LayerError::Syntax { message } => ConfigError {
            key: "(file)".to_owned(),
            problem: message,
            fix: "write the file as TOML: one `key = value` per line".to_owned(),
        },
        LayerError::Unknown { .. } => ConfigError {
            key,
            problem: "not a setting of linky-proxy".to_owned(),
            fix: format!("check its spelling; the settings are {}", keys.join(", ")),
        },
        LayerError::Text { text, expected, .. } => {
            let (what, fix) = match expected {
                Expected::WholeNumber | Expected::Number => {
                    ("a whole number", "give a whole number")
                }
                Expected::YesNo => ("a yes or no", "give true or false"),
            };
            ConfigError {
                key,
                problem: format!("\"{text}\" is not {what}"),
                fix: fix.to_owned(),
            }
        }
        LayerError::Value {
            key: setting,
            message,
            ..
        } => ConfigError {
            key: if setting.is_empty() {
                key
            } else {
                setting.clone()
            },
            problem: message,
            fix: if setting.is_empty() {
                "correct the value named".to_owned()
            } else {
                format!(
                    "correct it in the settings file, {} or --{}",
                    variable_of(&setting),
                    setting.replace('_', "-")
                )
            },
        },
    }
}

impl ProxyConfig {
    /// Checks what no single value says alone, before anything starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, problem: String, fix: &str| {
            Err(ConfigError {
                key: key.to_owned(),
                problem,
                fix: fix.to_owned(),
            })
        };
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
        if self.enedis_client_id.is_empty() || self.enedis_client_secret.expose().is_empty() {
            return err("enedis_client_id / enedis_client_secret", "missing".to_owned(), "give the Enedis application's client id and secret (the secret preferably through LINKY_PROXY_ENEDIS_CLIENT_SECRET)");
        }
        if self.poll_interval_seconds < 1
            || self.device_code_lifetime_seconds < 60
            || self.access_token_lifetime_seconds < 60
        {
            return err("poll_interval_seconds / device_code_lifetime_seconds / access_token_lifetime_seconds", "too small".to_owned(), "use at least 1 s, 60 s and 60 s");
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
        self.trusted_proxies.iter().any(|block| block.contains(ip))
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

    /// The settings of a file and variables, as the binary reads them.
    fn read(file: &str, variables: &[(&str, &str)]) -> Result<ProxyConfig, ConfigError> {
        let mut gathered = Gathered::new();
        gathered.file(file)?;
        gathered.environment(
            variables
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )?;
        gathered.read()
    }

    const CREDENTIALS: &str = "enedis_client_id = \"id\"\nenedis_client_secret = \"very-secret\"\n";

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
        // Database URLs are checked when read, and never shown with their password.
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
        let pg: DatabaseUrl = "postgres://proxy:p@ss@db.example:5432/linky"
            .parse()
            .unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.to_string(), "postgres://proxy:***@db.example:5432/linky");
        assert!(!format!("{pg:?}").contains("p@ss"));
        assert_eq!(pg.expose(), "postgres://proxy:p@ss@db.example:5432/linky");
        let sqlite: DatabaseUrl = "sqlite::memory:".parse().unwrap();
        assert_eq!(
            (sqlite.backend(), sqlite.to_string()),
            (Backend::Sqlite, "sqlite::memory:".to_owned())
        );
        assert!(
            !format!("{:?}", good()).contains("very-secret"),
            "the secret is masked"
        );
        let parsed = read(
            &format!("{CREDENTIALS}public_url = \"https://p.example/\"\nguess_limit = 3"),
            &[],
        )
        .unwrap();
        assert_eq!(
            (parsed.public_base(), parsed.guess_limit),
            ("https://p.example", 3)
        );
        let e = read("publik_url = \"x\"", &[]).unwrap_err();
        assert_eq!(e.key, "publik_url", "unknown keys are errors");
        assert!(e.fix.contains("public_url"), "{e}");
        // Full ISO 8601 durations (P18M is 18 months, not three years), at most three years.
        for ok in ["P3Y", "P18M", "P1Y6M", "P1095D"] {
            let config = read(&format!("{CREDENTIALS}consent_duration = \"{ok}\""), &[]).unwrap();
            assert_eq!(config.consent_duration.as_str(), ok);
        }
        for bad in ["P4Y", "18M", "PT1H"] {
            let e = read(&format!("{CREDENTIALS}consent_duration = \"{bad}\""), &[]).unwrap_err();
            assert_eq!(e.key, "consent_duration", "{bad}");
        }
        let trusted = ProxyConfig {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()],
            ..good()
        };
        assert!(trusted.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(!trusted.is_trusted_proxy("11.0.0.1".parse().unwrap()));
        assert!(trusted.is_trusted_proxy("::1".parse().unwrap()));
        assert!(trusted.is_trusted_proxy("::ffff:10.9.9.9".parse().unwrap()));
        assert_eq!(
            read(
                &format!("{CREDENTIALS}trusted_proxies = [\"10.0.0.0/99\"]"),
                &[]
            )
            .unwrap_err()
            .key,
            "trusted_proxies"
        );
    }

    /// One table for the file, the variables and the flags: every key has its variable, typed
    /// as the key is, and a wrong value names the variable.
    #[test]
    fn every_key_has_a_variable_typed_as_the_key() {
        let config = read(
            "guess_limit = 3\nenedis_client_id = \"from-file\"",
            &[
                ("LINKY_PROXY_ENEDIS_CLIENT_ID", "from-env"),
                ("LINKY_PROXY_ENEDIS_CLIENT_SECRET", "s"),
                ("LINKY_PROXY_GUESS_LIMIT", "7"),
                ("LINKY_PROXY_ALLOW_UNVERIFIED_V5_CONSENT", "true"),
                ("LINKY_PROXY_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1"),
                ("LINKY_PROXY_V5_TRANSLATION", "translate"),
                ("LINKY_PROXY_CLIENT_IP_HEADER", "X-Forwarded-For"),
                ("LINKY_PROXY_CONFIG", "/ignored/here.toml"),
                ("OTHER", "x"),
            ],
        )
        .unwrap();
        assert_eq!(config.enedis_client_id, "from-env", "the environment wins");
        assert_eq!(config.guess_limit, 7);
        assert!(config.allow_unverified_v5_consent);
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.v5_translation, V5Translation::Translate);
        assert_eq!(config.client_ip_header.as_deref(), Some("X-Forwarded-For"));

        let e = read(CREDENTIALS, &[("LINKY_PROXY_GUESS_LIMIT", "ten")]).unwrap_err();
        assert_eq!(e.key, "LINKY_PROXY_GUESS_LIMIT");
        let e = read(CREDENTIALS, &[("LINKY_PROXY_GUES_LIMIT", "1")]).unwrap_err();
        assert_eq!(e.key, "LINKY_PROXY_GUES_LIMIT");
        let e = read(CREDENTIALS, &[("LINKY_PROXY_V5_TRANSLATION", "sometimes")]).unwrap_err();
        assert_eq!(e.key, "v5_translation");
        assert!(e.fix.contains("LINKY_PROXY_V5_TRANSLATION"), "{e}");

        let mut flags = Gathered::new();
        flags.file(CREDENTIALS).unwrap();
        let e = flags.text("upstream_per_second", "-1", Source::Flag);
        assert!(
            e.is_ok(),
            "typed as a number here, refused by its type below"
        );
        assert_eq!(flags.read().unwrap_err().key, "upstream_per_second");
        // Every field of ProxyConfig has its key (an `Option` left out would have no variable).
        let keys = Gathered::new().keys();
        assert_eq!(keys.len(), 27, "{keys:?}");
    }
}
