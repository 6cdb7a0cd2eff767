//! The sections of the settings file, each with its defaults.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::textual::{self, Api, ClockTime};
use super::validate::{error, SettingError};
use super::Secret;

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
    #[serde(with = "textual")]
    pub timezone: chrono_tz::Tz,
    /// The Dummy hardware holding linky's devices.
    pub hardware: String,
    /// Day rows with end-of-day meter indexes (the 11-part form), on by default: Domoticz's
    /// "Comparing" chart reads them, and they equal the short-log counters.
    pub day_indexes: bool,
    /// A second device per consumption meter, "Linky <PDL> coût": each day's cost in euros at
    /// the prices of `[tariff]` (Tempo included), which Domoticz's own cost settings cannot hold.
    pub cost_device: bool,
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
            timezone: chrono_tz::Europe::Paris,
            hardware: "Linky".into(),
            day_indexes: true,
            cost_device: false,
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
    #[serde(with = "textual")]
    pub api: Api,
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
            api: Api::Auto,
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
    #[serde(with = "textual")]
    pub window_start: ClockTime,
    /// End of the daily window.
    #[serde(with = "textual")]
    pub window_end: ClockTime,
    /// No Enedis call from this Paris time...
    #[serde(with = "textual")]
    pub night_start: ClockTime,
    /// ...until this one.
    #[serde(with = "textual")]
    pub night_end: ClockTime,
    /// Hours after which a sync that left yesterday unpublished tries again.
    pub late_retry_hours: u32,
}

impl Default for DaemonSection {
    fn default() -> DaemonSection {
        DaemonSection {
            window_start: ClockTime::at(8, 0),
            window_end: ClockTime::at(11, 0),
            night_start: ClockTime::at(22, 0),
            night_end: ClockTime::at(8, 0),
            late_retry_hours: 4,
        }
    }
}
