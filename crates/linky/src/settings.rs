//! linky's settings: built-in defaults, then a TOML file, then environment variables, then flags
//! (the last wins). Every setting of the original plugin has a home here, with its default and
//! limits. Checked at start: an error names the key, the problem and the fix, in both languages.

use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use linky_core::offpeak::OffPeakSchedule;
use linky_core::{Lang, Localized, UsagePoint};
use serde::{Deserialize, Serialize};

/// A secret setting (a password, a token, a client secret): `Debug` and the settings shown by
/// `linky config show` print `***`, never the value; [`Secret::expose`] gives it to the code that
/// sends it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Secret {
        Secret(text.to_owned())
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Secret {
        Secret(text)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

/// Every setting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Language of messages: `fr` or `en` (default: the locale's).
    pub lang: Option<String>,
    /// Where data and tokens live.
    pub data_dir: Option<PathBuf>,
    /// The consent proxy's address, for `linky login`.
    pub proxy: Option<String>,
    /// What to download.
    pub sync: SyncSection,
    /// Off-peak hours.
    pub offpeak: OffPeakSection,
    /// Dashboard values (the original's two options).
    pub dashboard: DashboardSection,
    /// The Conso API gateway (conso.boris.sh), a free way in for private persons.
    pub conso_api: ConsoApiSection,
    /// Direct mode, for your own Enedis contract.
    pub direct: DirectSection,
    /// When the daemon runs.
    pub daemon: DaemonSection,
    /// Where to write in Domoticz.
    pub domoticz: DomoticzSection,
    /// The local web dashboard.
    pub web: WebSection,
}

/// `[web]`: the dashboard `linky run` serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSection {
    /// Whether `linky run` serves the dashboard.
    pub enabled: bool,
    /// Address and port; `0.0.0.0:8765` reaches it from the home network (then a password or
    /// token is required).
    pub listen: String,
    /// Password for the browser's prompt (any user name).
    pub password: Option<Secret>,
    /// Token for `Authorization: Bearer` (scripts, Prometheus).
    pub token: Option<Secret>,
}

impl Default for WebSection {
    fn default() -> WebSection {
        WebSection {
            enabled: true,
            listen: "127.0.0.1:8765".into(),
            password: None,
            token: None,
        }
    }
}

impl WebSection {
    /// The address, checked: it parses, and beyond this machine it needs a password or token.
    pub fn address(&self) -> Result<std::net::SocketAddr, SettingError> {
        let address: std::net::SocketAddr = self.listen.parse().map_err(|_| {
            error(
                "web.listen",
                (
                    format!("« {} » n'est pas une adresse IP avec un port", self.listen),
                    format!("\"{}\" is not an IP address with a port", self.listen),
                ),
                (
                    "écrivez par exemple 127.0.0.1:8765, ou 0.0.0.0:8765 pour le réseau local",
                    "write e.g. 127.0.0.1:8765, or 0.0.0.0:8765 for the home network",
                ),
            )
        })?;
        if !address.ip().is_loopback() && self.password.is_none() && self.token.is_none() {
            return Err(error(
                "web.listen",
                (
                    format!("{address} ouvre le tableau de bord au réseau sans protection"),
                    format!("{address} opens the dashboard to the network without protection"),
                ),
                (
                    "réglez web.password ou web.token (LINKY_WEB_PASSWORD, LINKY_WEB_TOKEN), ou écoutez sur 127.0.0.1",
                    "set web.password or web.token (LINKY_WEB_PASSWORD, LINKY_WEB_TOKEN), or listen on 127.0.0.1",
                ),
            ));
        }
        Ok(address)
    }
}

/// `[domoticz]`: unset `url` means no Domoticz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DomoticzSection {
    /// Domoticz's address, e.g. `http://192.168.1.10:8080`.
    pub url: Option<String>,
    /// User (Basic, or with `application` the OAuth2 password grant).
    pub user: Option<String>,
    /// Password (prefer `LINKY_DOMOTICZ_PASSWORD`).
    pub password: Option<Secret>,
    /// A registered Domoticz Application, for the OAuth2 password grant.
    pub application: Option<String>,
    /// A bearer token issued beforehand (prefer `LINKY_DOMOTICZ_TOKEN`).
    pub token: Option<Secret>,
    /// Trust Domoticz's self-signed certificate.
    pub accept_invalid_certs: bool,
    /// A CA certificate (PEM) for HTTPS.
    pub ca_file: Option<PathBuf>,
    /// Write to Domoticz 2023.2 despite its bug.
    pub force_2023_2: bool,
    /// The Domoticz server's time zone.
    pub timezone: String,
    /// The Dummy hardware holding linky's devices.
    pub hardware: String,
    /// Day rows with end-of-day meter indexes (the 11-part form), on by default: Domoticz's
    /// "Comparing" chart reads them, and they equal the short-log counters.
    pub day_indexes: bool,
}

impl Default for DomoticzSection {
    fn default() -> Self {
        DomoticzSection {
            url: None,
            user: None,
            password: None,
            application: None,
            token: None,
            accept_invalid_certs: false,
            ca_file: None,
            force_2023_2: false,
            timezone: "Europe/Paris".into(),
            hardware: "Linky".into(),
            day_indexes: true,
        }
    }
}

/// `[sync]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSection {
    /// Days of hourly values written to Domoticz' short log (the original's "hours view", 0–7).
    pub hours_days: u32,
    /// Days of load curve to hold (the original's "days to fetch", 2–730).
    pub history_days: u32,
    /// Days of daily totals (1–1095; no peak / off-peak split beyond the load curve).
    pub daily_days: u32,
    /// Days of daily maximum power (1–1095).
    pub max_power_days: u32,
    /// Calls per second at most (0.1–5).
    pub max_rate: f64,
    /// API generation: `auto`, `2026` or `v5`.
    pub api: String,
    /// First wait before retrying a failing call, milliseconds.
    pub retry_base_ms: u64,
}

impl Default for SyncSection {
    fn default() -> SyncSection {
        SyncSection {
            hours_days: 7,
            history_days: 730,
            daily_days: 1095,
            max_power_days: 1095,
            max_rate: 4.0,
            api: "auto".into(),
            retry_base_ms: 2000,
        }
    }
}

/// `[offpeak]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OffPeakSection {
    /// The schedule, in the original's syntax; empty: the contract's off-peak hours.
    pub schedule: String,
    /// Count Alsace-Moselle's two extra public holidays.
    pub alsace_moselle: bool,
}

/// `[dashboard]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DashboardSection {
    /// Main display (the original's Mode5): a peak power period.
    pub primary: String,
    /// Secondary display (the original's Mode6): an energy value over a period.
    pub secondary: String,
}

impl Default for DashboardSection {
    fn default() -> DashboardSection {
        DashboardSection {
            primary: "peak_day".into(),
            secondary: "value_day".into(),
        }
    }
}

/// `[conso_api]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoApiSection {
    /// The gateway's address.
    pub url: String,
    /// The token copied from its site (or kept by `linky login --conso-api`, which is safer:
    /// the token file is readable by its owner only).
    pub token: Option<Secret>,
}

impl Default for ConsoApiSection {
    fn default() -> ConsoApiSection {
        ConsoApiSection {
            url: enedis_protocol::conso_api::PUBLIC_URL.into(),
            token: None,
        }
    }
}

/// `[direct]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DirectSection {
    /// Enedis API address.
    pub api_url: Option<String>,
    /// Client id.
    pub client_id: Option<String>,
    /// Client secret (prefer `LINKY_ENEDIS_CLIENT_SECRET`).
    pub client_secret: Option<Secret>,
    /// The meters to read.
    pub meters: Vec<String>,
}

/// `[daemon]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonSection {
    /// Daily sync at a random time between these two Paris times.
    pub window_start: String,
    /// End of the daily window.
    pub window_end: String,
    /// No Enedis call from this Paris time...
    pub night_start: String,
    /// ...until this one.
    pub night_end: String,
    /// Hours after which a sync that left yesterday unpublished tries again.
    pub late_retry_hours: u32,
}

impl Default for DaemonSection {
    fn default() -> DaemonSection {
        DaemonSection {
            window_start: "08:00".into(),
            window_end: "11:00".into(),
            night_start: "22:00".into(),
            night_end: "08:00".into(),
            late_retry_hours: 4,
        }
    }
}

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The key, as in the file (`sync.history_days`).
    pub key: String,
    /// What is wrong, French.
    pub problem_fr: String,
    /// What is wrong, English.
    pub problem_en: String,
    /// What to do, French.
    pub fix_fr: String,
    /// What to do, English.
    pub fix_en: String,
}

impl Localized for SettingError {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::Fr => format!(
                "réglage {} : {} ; {}",
                self.key, self.problem_fr, self.fix_fr
            ),
            Lang::En => format!("setting {}: {}; {}", self.key, self.problem_en, self.fix_en),
        }
    }
}

fn error(key: &str, problem: (String, String), fix: (&str, &str)) -> SettingError {
    SettingError {
        key: key.to_owned(),
        problem_fr: problem.0,
        problem_en: problem.1,
        fix_fr: fix.0.to_owned(),
        fix_en: fix.1.to_owned(),
    }
}

fn range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    value: T,
    low: T,
    high: T,
) -> Result<(), SettingError> {
    if value < low || value > high {
        return Err(error(
            key,
            (
                format!("{value} est hors limites"),
                format!("{value} is out of range"),
            ),
            (
                &format!("donnez une valeur de {low} à {high}"),
                &format!("give a value from {low} to {high}"),
            ),
        ));
    }
    Ok(())
}

fn time(key: &str, text: &str) -> Result<NaiveTime, SettingError> {
    NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| {
        error(
            key,
            (
                format!("« {text} » n'est pas une heure"),
                format!("\"{text}\" is not a time"),
            ),
            (
                "écrivez HH:MM, par exemple 08:00",
                "write HH:MM, e.g. 08:00",
            ),
        )
    })
}

fn url(key: &str, text: &str) -> Result<(), SettingError> {
    if !(text.starts_with("http://") || text.starts_with("https://")) || text.len() < 10 {
        return Err(error(
            key,
            (
                format!("« {text} » n'est pas une adresse http(s)"),
                format!("\"{text}\" is not an http(s) address"),
            ),
            (
                "donnez une adresse complète comme https://proxy.example.org",
                "give a full address such as https://proxy.example.org",
            ),
        ));
    }
    Ok(())
}

/// A guessable secret would guard nothing: the length is checked, never shown.
fn secret_length(key: &str, secret: &str, min: usize) -> Result<(), SettingError> {
    if secret.chars().count() < min {
        return Err(error(
            key,
            (
                format!("trop court (moins de {min} caractères)"),
                format!("too short (fewer than {min} characters)"),
            ),
            (
                &format!("choisissez au moins {min} caractères"),
                &format!("choose at least {min} characters"),
            ),
        ));
    }
    Ok(())
}

/// The original's Mode5 choices.
pub const PRIMARY: [&str; 6] = [
    "peak_day",
    "peak_cweek",
    "peak_lweek",
    "peak_cmonth",
    "peak_lmonth",
    "peak_year",
];
/// The original's Mode6 choices.
pub const SECONDARY: [&str; 12] = [
    "value_day",
    "value_cweek",
    "value_lweek",
    "value_cmonth",
    "max_day",
    "max_cweek",
    "max_lweek",
    "max_cmonth",
    "mean_day",
    "mean_cweek",
    "mean_lweek",
    "mean_cmonth",
];

/// A number from an environment variable, or an error naming it.
fn number<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, SettingError> {
    text.trim().parse().map_err(|_| {
        error(
            name,
            (
                format!("« {text} » n'est pas un nombre"),
                format!("\"{text}\" is not a number"),
            ),
            ("donnez un nombre", "give a number"),
        )
    })
}

/// How one environment variable sets its setting.
type FromEnvironment = fn(&mut Settings, &str, String) -> Result<(), SettingError>;

/// Every environment variable and the setting it sets (stronger than the file, weaker than
/// the flags). One line per variable: a new setting with a variable adds a line here.
pub const ENVIRONMENT: &[(&str, FromEnvironment)] = &[
    ("LINKY_LANG", |s, _, v| {
        s.lang = Some(v);
        Ok(())
    }),
    ("LINKY_DATA_DIR", |s, _, v| {
        s.data_dir = Some(v.into());
        Ok(())
    }),
    ("LINKY_PROXY", |s, _, v| {
        s.proxy = Some(v);
        Ok(())
    }),
    ("LINKY_HOURS_DAYS", |s, n, v| {
        s.sync.hours_days = number(n, &v)?;
        Ok(())
    }),
    ("LINKY_HISTORY_DAYS", |s, n, v| {
        s.sync.history_days = number(n, &v)?;
        Ok(())
    }),
    ("LINKY_DAILY_DAYS", |s, n, v| {
        s.sync.daily_days = number(n, &v)?;
        Ok(())
    }),
    ("LINKY_MAX_POWER_DAYS", |s, n, v| {
        s.sync.max_power_days = number(n, &v)?;
        Ok(())
    }),
    ("LINKY_MAX_RATE", |s, n, v| {
        s.sync.max_rate = number(n, &v)?;
        Ok(())
    }),
    ("LINKY_API", |s, _, v| {
        s.sync.api = v;
        Ok(())
    }),
    ("LINKY_OFFPEAK", |s, _, v| {
        s.offpeak.schedule = v;
        Ok(())
    }),
    ("LINKY_CONSO_API_URL", |s, _, v| {
        s.conso_api.url = v;
        Ok(())
    }),
    ("LINKY_CONSO_API_TOKEN", |s, _, v| {
        s.conso_api.token = Some(v.into());
        Ok(())
    }),
    ("LINKY_ENEDIS_API_URL", |s, _, v| {
        s.direct.api_url = Some(v);
        Ok(())
    }),
    ("LINKY_ENEDIS_CLIENT_ID", |s, _, v| {
        s.direct.client_id = Some(v);
        Ok(())
    }),
    ("LINKY_ENEDIS_CLIENT_SECRET", |s, _, v| {
        s.direct.client_secret = Some(v.into());
        Ok(())
    }),
    ("LINKY_METERS", |s, _, v| {
        s.direct.meters = v
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        Ok(())
    }),
    ("LINKY_DOMOTICZ_URL", |s, _, v| {
        s.domoticz.url = Some(v);
        Ok(())
    }),
    ("LINKY_DOMOTICZ_USER", |s, _, v| {
        s.domoticz.user = Some(v);
        Ok(())
    }),
    ("LINKY_DOMOTICZ_PASSWORD", |s, _, v| {
        s.domoticz.password = Some(v.into());
        Ok(())
    }),
    ("LINKY_DOMOTICZ_TOKEN", |s, _, v| {
        s.domoticz.token = Some(v.into());
        Ok(())
    }),
    ("LINKY_WEB_LISTEN", |s, _, v| {
        s.web.listen = v;
        Ok(())
    }),
    ("LINKY_WEB_PASSWORD", |s, _, v| {
        s.web.password = Some(v.into());
        Ok(())
    }),
    ("LINKY_WEB_TOKEN", |s, _, v| {
        s.web.token = Some(v.into());
        Ok(())
    }),
];

impl Settings {
    /// Reads the file at `path` (an absent file is fine unless `required`).
    pub fn load(path: &Path, required: bool) -> Result<Settings, SettingError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Settings::default())
            }
            Err(e) => {
                return Err(error(
                    "--config",
                    (
                        format!("{} illisible ({e})", path.display()),
                        format!("cannot read {} ({e})", path.display()),
                    ),
                    (
                        "vérifiez le chemin et les droits, ou créez-le avec `linky init`",
                        "check the path and permissions, or create it with `linky init`",
                    ),
                ));
            }
        };
        Settings::parse(&text, &path.display().to_string())
    }

    /// Reads settings from TOML text; `origin` names where it came from in the error.
    pub fn parse(text: &str, origin: &str) -> Result<Settings, SettingError> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().to_owned();
            error(
                origin,
                (
                    format!("fichier de réglages invalide : {message}"),
                    format!("invalid settings file: {message}"),
                ),
                (
                    "corrigez le fichier (voir `linky config show` pour la forme attendue)",
                    "fix the file (see `linky config show` for the expected form)",
                ),
            )
        })
    }

    /// The default file: `$XDG_CONFIG_HOME/linky/config.toml` or `~/.config/linky/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .map(|base| base.join("linky").join("config.toml"))
    }

    /// Checks every value.
    pub fn validate(&self) -> Result<(), SettingError> {
        if let Some(lang) = &self.lang {
            if lang != "fr" && lang != "en" {
                return Err(error(
                    "lang",
                    (
                        format!("« {lang} » n'est pas une langue connue"),
                        format!("\"{lang}\" is not a known language"),
                    ),
                    ("écrivez fr ou en", "write fr or en"),
                ));
            }
        }
        if let Some(p) = &self.proxy {
            url("proxy", p)?;
        }
        let s = &self.sync;
        range("sync.hours_days", s.hours_days, 0, 7)?;
        range("sync.history_days", s.history_days, 2, 730)?;
        range("sync.daily_days", s.daily_days, 1, 1095)?;
        range("sync.max_power_days", s.max_power_days, 1, 1095)?;
        range("sync.max_rate", s.max_rate, 0.1, 5.0)?;
        if !["auto", "2026", "v5"].contains(&s.api.as_str()) {
            return Err(error(
                "sync.api",
                (
                    format!("« {} » inconnu", s.api),
                    format!("\"{}\" is unknown", s.api),
                ),
                ("choisissez auto, 2026 ou v5", "choose auto, 2026 or v5"),
            ));
        }
        if let Err(e) = OffPeakSchedule::parse(&self.offpeak.schedule) {
            return Err(SettingError {
                key: "offpeak.schedule".into(),
                problem_fr: e.localized(Lang::Fr),
                problem_en: e.localized(Lang::En),
                fix_fr: "vérifiez la grille avec `linky offpeak show --schedule \"...\"`".into(),
                fix_en: "check the grid with `linky offpeak show --schedule \"...\"`".into(),
            });
        }
        if !PRIMARY.contains(&self.dashboard.primary.as_str()) {
            return Err(error(
                "dashboard.primary",
                (
                    format!("« {} » inconnu", self.dashboard.primary),
                    format!("\"{}\" is unknown", self.dashboard.primary),
                ),
                (
                    &format!("choisissez parmi {}", PRIMARY.join(", ")),
                    &format!("choose among {}", PRIMARY.join(", ")),
                ),
            ));
        }
        if !SECONDARY.contains(&self.dashboard.secondary.as_str()) {
            return Err(error(
                "dashboard.secondary",
                (
                    format!("« {} » inconnu", self.dashboard.secondary),
                    format!("\"{}\" is unknown", self.dashboard.secondary),
                ),
                (
                    &format!("choisissez parmi {}", SECONDARY.join(", ")),
                    &format!("choose among {}", SECONDARY.join(", ")),
                ),
            ));
        }
        url("conso_api.url", &self.conso_api.url)?;
        if let Some(token) = &self.conso_api.token {
            if let Err(e) = enedis_protocol::conso_api::read_claims(token.expose()) {
                return Err(error(
                    "conso_api.token",
                    (
                        "ce n'est pas un jeton de l'API Conso".into(),
                        format!("not a Conso API token ({e})"),
                    ),
                    (
                        "recopiez le jeton entier depuis conso.boris.sh (ou lancez `linky login --conso-api <jeton>`)",
                        "copy the whole token again from conso.boris.sh (or run `linky login --conso-api <token>`)",
                    ),
                ));
            }
        }
        if let Some(u) = &self.direct.api_url {
            url("direct.api_url", u)?;
            if self.direct.client_id.is_none() {
                return Err(error(
                    "direct.client_id",
                    (
                        "manquant en mode direct".into(),
                        "missing in direct mode".into(),
                    ),
                    (
                        "donnez l'identifiant de votre application Enedis",
                        "give your Enedis application's client id",
                    ),
                ));
            }
            if self.direct.meters.is_empty() {
                return Err(error(
                    "direct.meters",
                    (
                        "aucun compteur en mode direct".into(),
                        "no meter in direct mode".into(),
                    ),
                    ("listez vos PDL de 14 chiffres", "list your 14-digit PDLs"),
                ));
            }
        }
        for m in &self.direct.meters {
            if let Err(e) = m.parse::<UsagePoint>() {
                return Err(SettingError {
                    key: "direct.meters".into(),
                    problem_fr: e.localized(Lang::Fr),
                    problem_en: e.localized(Lang::En),
                    fix_fr: "corrigez le numéro".into(),
                    fix_en: "fix the number".into(),
                });
            }
        }
        let z = &self.domoticz;
        if let Some(u) = &z.url {
            url("domoticz.url", u)?;
        }
        if z.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(error(
                "domoticz.timezone",
                (
                    format!("« {} » n'est pas un fuseau horaire connu", z.timezone),
                    format!("\"{}\" is not a known time zone", z.timezone),
                ),
                (
                    "écrivez un nom IANA comme Europe/Paris",
                    "write an IANA name such as Europe/Paris",
                ),
            ));
        }
        if z.password.is_some() && z.user.is_none() {
            return Err(error(
                "domoticz.user",
                (
                    "manquant avec un mot de passe".into(),
                    "missing with a password".into(),
                ),
                ("donnez l'utilisateur Domoticz", "give the Domoticz user"),
            ));
        }
        if z.application.is_some() && z.password.is_none() {
            return Err(error(
                "domoticz.password",
                ("manquant pour OAuth2".into(), "missing for OAuth2".into()),
                (
                    "donnez le mot de passe (LINKY_DOMOTICZ_PASSWORD)",
                    "give the password (LINKY_DOMOTICZ_PASSWORD)",
                ),
            ));
        }
        let d = &self.daemon;
        let (ws, we) = (
            time("daemon.window_start", &d.window_start)?,
            time("daemon.window_end", &d.window_end)?,
        );
        time("daemon.night_start", &d.night_start)?;
        time("daemon.night_end", &d.night_end)?;
        if ws >= we {
            return Err(error(
                "daemon.window_end",
                (
                    "la fenêtre quotidienne finit avant de commencer".into(),
                    "the daily window ends before it starts".into(),
                ),
                (
                    "donnez une fin après le début, par exemple 08:00 à 11:00",
                    "give an end after the start, e.g. 08:00 to 11:00",
                ),
            ));
        }
        range("daemon.late_retry_hours", d.late_retry_hours, 1, 12)?;
        if let Some(p) = &self.web.password {
            secret_length("web.password", p.expose(), 8)?;
        }
        if let Some(t) = &self.web.token {
            secret_length("web.token", t.expose(), 16)?;
        }
        self.web.address()?;
        Ok(())
    }

    /// Applies the environment (stronger than the file): every variable of [`ENVIRONMENT`].
    /// An empty variable counts as unset.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), SettingError> {
        for (name, apply) in ENVIRONMENT {
            if let Some(value) = var(name).filter(|v| !v.is_empty()) {
                apply(self, name, value)?;
            }
        }
        Ok(())
    }

    /// The language of messages, if one is set.
    pub fn language(&self) -> Option<Lang> {
        match self.lang.as_deref() {
            Some("fr") => Some(Lang::Fr),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The effective settings as TOML, secrets masked (a [`Secret`] shows as `***`).
    pub fn show(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_validation_error_names_its_key() {
        let ok = Settings::default();
        ok.validate().unwrap();
        let cases: Vec<(Settings, &str)> = vec![
            (
                Settings {
                    lang: Some("de".into()),
                    ..ok.clone()
                },
                "lang",
            ),
            (
                Settings {
                    proxy: Some("proxy.example".into()),
                    ..ok.clone()
                },
                "proxy",
            ),
            (
                Settings {
                    sync: SyncSection {
                        hours_days: 8,
                        ..SyncSection::default()
                    },
                    ..ok.clone()
                },
                "sync.hours_days",
            ),
            (
                Settings {
                    sync: SyncSection {
                        history_days: 1,
                        ..SyncSection::default()
                    },
                    ..ok.clone()
                },
                "sync.history_days",
            ),
            (
                Settings {
                    sync: SyncSection {
                        history_days: 731,
                        ..SyncSection::default()
                    },
                    ..ok.clone()
                },
                "sync.history_days",
            ),
            (
                Settings {
                    sync: SyncSection {
                        daily_days: 2000,
                        ..SyncSection::default()
                    },
                    ..ok.clone()
                },
                "sync.daily_days",
            ),
            (
                Settings {
                    sync: SyncSection {
                        max_power_days: 0,
                        ..SyncSection::default()
                    },
                    ..ok.clone()
                },
                "sync.max_power_days",
            ),
            (
                Settings {
                    sync: SyncSection {
                        max_rate: 50.0,
                        ..SyncSection::default()
                    },
                    ..ok.clone()
                },
                "sync.max_rate",
            ),
            (
                Settings {
                    sync: SyncSection {
                        api: "v4".into(),
                        ..SyncSection::default()
                    },
                    ..ok.clone()
                },
                "sync.api",
            ),
            (
                Settings {
                    offpeak: OffPeakSection {
                        schedule: "fête 8h-9h".into(),
                        alsace_moselle: false,
                    },
                    ..ok.clone()
                },
                "offpeak.schedule",
            ),
            (
                Settings {
                    dashboard: DashboardSection {
                        primary: "peak_week".into(),
                        ..DashboardSection::default()
                    },
                    ..ok.clone()
                },
                "dashboard.primary",
            ),
            (
                Settings {
                    dashboard: DashboardSection {
                        secondary: "value_year2".into(),
                        ..DashboardSection::default()
                    },
                    ..ok.clone()
                },
                "dashboard.secondary",
            ),
            (
                Settings {
                    direct: DirectSection {
                        api_url: Some("ftp://x".into()),
                        ..DirectSection::default()
                    },
                    ..ok.clone()
                },
                "direct.api_url",
            ),
            (
                Settings {
                    direct: DirectSection {
                        api_url: Some("https://enedis.example".into()),
                        ..DirectSection::default()
                    },
                    ..ok.clone()
                },
                "direct.client_id",
            ),
            (
                Settings {
                    direct: DirectSection {
                        api_url: Some("https://enedis.example".into()),
                        client_id: Some("id".into()),
                        ..DirectSection::default()
                    },
                    ..ok.clone()
                },
                "direct.meters",
            ),
            (
                Settings {
                    direct: DirectSection {
                        meters: vec!["123".into()],
                        ..DirectSection::default()
                    },
                    ..ok.clone()
                },
                "direct.meters",
            ),
            (
                Settings {
                    domoticz: DomoticzSection {
                        url: Some("192.168.1.10:8080".into()),
                        ..DomoticzSection::default()
                    },
                    ..ok.clone()
                },
                "domoticz.url",
            ),
            (
                Settings {
                    domoticz: DomoticzSection {
                        timezone: "Paris".into(),
                        ..DomoticzSection::default()
                    },
                    ..ok.clone()
                },
                "domoticz.timezone",
            ),
            (
                Settings {
                    domoticz: DomoticzSection {
                        password: Some("x".into()),
                        ..DomoticzSection::default()
                    },
                    ..ok.clone()
                },
                "domoticz.user",
            ),
            (
                Settings {
                    daemon: DaemonSection {
                        window_start: "8h".into(),
                        ..DaemonSection::default()
                    },
                    ..ok.clone()
                },
                "daemon.window_start",
            ),
            (
                Settings {
                    daemon: DaemonSection {
                        window_start: "11:00".into(),
                        window_end: "08:00".into(),
                        ..DaemonSection::default()
                    },
                    ..ok.clone()
                },
                "daemon.window_end",
            ),
            (
                Settings {
                    daemon: DaemonSection {
                        night_start: "25:00".into(),
                        ..DaemonSection::default()
                    },
                    ..ok.clone()
                },
                "daemon.night_start",
            ),
            (
                Settings {
                    daemon: DaemonSection {
                        late_retry_hours: 0,
                        ..DaemonSection::default()
                    },
                    ..ok.clone()
                },
                "daemon.late_retry_hours",
            ),
            (
                Settings {
                    web: WebSection {
                        listen: "localhost".into(),
                        ..WebSection::default()
                    },
                    ..ok.clone()
                },
                "web.listen",
            ),
            (
                Settings {
                    web: WebSection {
                        listen: "0.0.0.0:8765".into(),
                        ..WebSection::default()
                    },
                    ..ok.clone()
                },
                "web.listen",
            ),
            (
                Settings {
                    web: WebSection {
                        password: Some("short".into()),
                        ..WebSection::default()
                    },
                    ..ok.clone()
                },
                "web.password",
            ),
            (
                Settings {
                    web: WebSection {
                        token: Some("short-token".into()),
                        ..WebSection::default()
                    },
                    ..ok.clone()
                },
                "web.token",
            ),
        ];
        for (settings, key) in cases {
            let e = settings.validate().unwrap_err();
            assert_eq!(e.key, key);
            assert!(
                e.localized(Lang::Fr)
                    .starts_with(&format!("réglage {key} :")),
                "{}",
                e.localized(Lang::Fr)
            );
            assert!(e
                .localized(Lang::En)
                .starts_with(&format!("setting {key}:")));
        }
    }

    #[test]
    fn files_parse_and_unknown_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("linky-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config.toml");
        std::fs::write(&file, "proxy = \"https://p.example.org\"\n[sync]\nhistory_days = 365\n[offpeak]\nschedule = \"22h-6h\"\n").unwrap();
        let s = Settings::load(&file, true).unwrap();
        assert_eq!(
            (
                s.sync.history_days,
                s.sync.daily_days,
                s.offpeak.schedule.as_str()
            ),
            (365, 1095, "22h-6h")
        );
        std::fs::write(&file, "[sync]\nhistroy_days = 3\n").unwrap();
        assert!(Settings::load(&file, true)
            .unwrap_err()
            .localized(Lang::En)
            .contains("histroy_days"));
        assert_eq!(
            Settings::load(&dir.join("none.toml"), false).unwrap(),
            Settings::default()
        );
        assert!(Settings::load(&dir.join("none.toml"), true).is_err());
        let shown = Settings {
            direct: DirectSection {
                client_secret: Some("hunter2".into()),
                ..DirectSection::default()
            },
            ..Settings::default()
        }
        .show();
        assert!(shown.contains("***") && !shown.contains("hunter2"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
