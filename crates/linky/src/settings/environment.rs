//! The environment variables: one table, each variable and the setting it sets.

use super::validate::{error, SettingError};
use super::Settings;

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
    ("LINKY_TARIFF", |s, _, v| {
        s.tariff.option = Some(v);
        Ok(())
    }),
    ("LINKY_COLOURS", |s, _, v| {
        s.tariff.colours = v;
        Ok(())
    }),
    ("LINKY_COLOURS_URL", |s, _, v| {
        s.tariff.colours_url = Some(v);
        Ok(())
    }),
    ("LINKY_RTE_CLIENT_SECRET", |s, _, v| {
        s.tariff.rte_client_secret = Some(v.into());
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
}
