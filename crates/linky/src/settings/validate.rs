//! Checking the settings: every error names the key, the problem and the fix, in French and
//! English.

use chrono::NaiveTime;

pub use super::textual::Api;
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::OffPeakSchedule;
use linky_core::periods::DashboardPeriod;
use linky_core::{Lang, Localized, UsagePoint};

use super::Settings;

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

pub(super) fn error(key: &str, problem: (String, String), fix: (&str, &str)) -> SettingError {
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

pub(super) fn url(key: &str, text: &str) -> Result<(), SettingError> {
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

impl Settings {
    /// Checks every value.
    pub fn validate(&self) -> Result<(), SettingError> {
        self.typed().map(|_| ())
    }

    /// Checks every value and what values say together, and gives them in the types commands
    /// use (commands take their values from here, with no default of their own to fall back on).
    /// Most values got their type when read ([`super::textual`]); the off-peak schedule, the
    /// dashboard's periods and the tariff are read here, where their own errors name the key.
    pub fn typed(&self) -> Result<Typed, SettingError> {
        if let Some(p) = &self.proxy {
            url("proxy", p)?;
        }
        let s = &self.sync;
        range("sync.hours_days", s.hours_days, 0, 7)?;
        range("sync.history_days", s.history_days, 2, 730)?;
        range("sync.daily_days", s.daily_days, 1, 1095)?;
        range("sync.max_power_days", s.max_power_days, 1, 1095)?;
        range("sync.max_rate", s.max_rate, 0.1, 5.0)?;
        let schedule = match OffPeakSchedule::parse(&self.offpeak.schedule) {
            Ok(schedule) => schedule,
            Err(e) => {
                return Err(SettingError {
                    key: "offpeak.schedule".into(),
                    problem_fr: e.localized(Lang::Fr),
                    problem_en: e.localized(Lang::En),
                    fix_fr: "vérifiez la grille avec `linky offpeak show --schedule \"...\"`"
                        .into(),
                    fix_en: "check the grid with `linky offpeak show --schedule \"...\"`".into(),
                })
            }
        };
        let primary = self
            .dashboard
            .primary
            .strip_prefix("peak_")
            .and_then(DashboardPeriod::named);
        let Some(primary) = primary.filter(|_| PRIMARY.contains(&self.dashboard.primary.as_str()))
        else {
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
        };
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
        let (ws, we) = (d.window_start.0, d.window_end.0);
        let night = (d.night_start.0, d.night_end.0);
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
        let tariff = self.tariff.choice()?;
        let colours = self.tariff.colour_source()?;
        Ok(Typed {
            tariff,
            colours,
            api: s.api,
            user_schedule: Some(schedule).filter(|s| !s.is_empty()),
            holiday_zone: if self.offpeak.alsace_moselle {
                HolidayZone::AlsaceMoselle
            } else {
                HolidayZone::Metropole
            },
            daily_window: (ws, we),
            night,
            domoticz_zone: z.timezone,
            primary,
        })
    }
}

/// The settings' values in their own types, made once by [`Settings::typed`].
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    /// `sync.api`.
    pub api: Api,
    /// `offpeak.schedule`; `None` means each meter's contract.
    pub user_schedule: Option<OffPeakSchedule>,
    /// `offpeak.alsace_moselle`.
    pub holiday_zone: HolidayZone,
    /// `daemon.window_start`, `daemon.window_end`.
    pub daily_window: (NaiveTime, NaiveTime),
    /// `daemon.night_start`, `daemon.night_end`.
    pub night: (NaiveTime, NaiveTime),
    /// `domoticz.timezone`.
    pub domoticz_zone: chrono_tz::Tz,
    /// `dashboard.primary`.
    pub primary: DashboardPeriod,
    /// `[tariff]`: the contract's prices.
    pub tariff: linky_core::tariff::TariffChoice,
    /// `tariff.colours`.
    pub colours: super::ColourSource,
}
