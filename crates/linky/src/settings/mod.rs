//! linky's settings: built-in defaults, then a TOML file, then environment variables, then flags
//! (the last wins). Every setting of the original plugin has a home here, with its default and
//! limits. Checked at start: an error names the key, the problem and the fix, in both languages.

mod keys;
mod sections;
mod tariff;
pub mod textual;
mod validate;

use std::path::PathBuf;

use linky_core::Lang;
use serde::{Deserialize, Serialize};

pub use keys::Gathering;
pub use linky_core::Secret;
pub use sections::{
    ConsoApiSection, DaemonSection, DashboardSection, DirectSection, DomoticzSection,
    OffPeakSection, SyncSection, WebSection,
};
pub use tariff::{describe as describe_tariff, ColourSource, TariffSection};
pub use validate::{Api, SettingError};

/// Every setting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Language of messages: `fr` or `en` (default: the locale's).
    #[serde(with = "textual::option", skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
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
    /// Reads settings from TOML text alone; `origin` names where it came from in the error.
    pub fn parse(text: &str, origin: &str) -> Result<Settings, SettingError> {
        let mut gathering = Gathering::new();
        gathering.file(text, origin)?;
        gathering.read()
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
        self.lang
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
    use std::path::Path;

    #[test]
    fn every_validation_error_names_its_key() {
        let ok = Settings::default();
        ok.validate().unwrap();
        let cases: Vec<(Settings, &str)> = vec![
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
                        window_start: textual::ClockTime::at(11, 0),
                        window_end: textual::ClockTime::at(8, 0),
                        ..DaemonSection::default()
                    },
                    ..ok.clone()
                },
                "daemon.window_end",
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
        // Values typed when read are refused by the reading, under the same key.
        let texts = [
            ("lang = \"de\"", "lang"),
            ("[sync]\napi = \"v4\"", "sync.api"),
            ("[domoticz]\ntimezone = \"Paris\"", "domoticz.timezone"),
            ("[daemon]\nwindow_start = \"8h\"", "daemon.window_start"),
            ("[daemon]\nnight_start = \"25:00\"", "daemon.night_start"),
        ];
        let errors = cases
            .into_iter()
            .map(|(settings, key)| (settings.validate().unwrap_err(), key))
            .chain(
                texts
                    .into_iter()
                    .map(|(text, key)| (Settings::parse(text, "t").unwrap_err(), key)),
            );
        for (e, key) in errors {
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

    fn load(path: &Path, required: bool) -> Result<Settings, SettingError> {
        let mut gathering = Gathering::new();
        gathering.load(path, required)?;
        gathering.read()
    }

    #[test]
    fn files_parse_and_unknown_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("linky-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config.toml");
        std::fs::write(&file, "proxy = \"https://p.example.org\"\n[sync]\nhistory_days = 365\n[offpeak]\nschedule = \"22h-6h\"\n").unwrap();
        let s = load(&file, true).unwrap();
        assert_eq!(
            (
                s.sync.history_days,
                s.sync.daily_days,
                s.offpeak.schedule.as_str()
            ),
            (365, 1095, "22h-6h")
        );
        std::fs::write(&file, "[sync]\nhistroy_days = 3\n").unwrap();
        assert!(load(&file, true)
            .unwrap_err()
            .localized(Lang::En)
            .contains("histroy_days"));
        assert_eq!(
            load(&dir.join("none.toml"), false).unwrap(),
            Settings::default()
        );
        assert!(load(&dir.join("none.toml"), true).is_err());
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
