//! linky's settings: built-in defaults, then a TOML file, then environment variables, then flags
//! (the last wins). Every setting of the original plugin has a home here, with its default and
//! limits. Checked at start: an error names the key, the problem and the fix, in both languages.

mod environment;
mod sections;
mod tariff;
mod validate;

use std::path::{Path, PathBuf};

use linky_core::Lang;
use serde::{Deserialize, Serialize};

pub use linky_core::Secret;
pub use sections::{
    ConsoApiSection, DaemonSection, DashboardSection, DirectSection, DomoticzSection,
    OffPeakSection, SyncSection, WebSection,
};
pub use tariff::{describe as describe_tariff, ColourSource, TariffSection};
use validate::error;
pub use validate::{Api, SettingError};

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
    /// What the contract costs, and where Tempo / EJP colours come from.
    pub tariff: TariffSection,
}

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
    use linky_core::Localized;

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
