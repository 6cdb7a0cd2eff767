//! Settings written as text in the file and read into their own types at deserialization
//! (`sync.api`, the daemon's times, Domoticz's time zone, the language), each refusing a wrong
//! text in French and English.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveTime;
use linky_core::Lang;
use serde::{de::Error, Deserialize, Deserializer, Serialize, Serializer};

/// Separates the French and English words of a refusal inside a deserializer's message (which
/// carries one text): the settings' error splits them again.
pub const BETWEEN_LANGUAGES: char = '\u{1f}';

/// A text refused: what is wrong, in French and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// French.
    pub fr: String,
    /// English.
    pub en: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{BETWEEN_LANGUAGES}{}", self.fr, self.en)
    }
}

/// A setting's value written as text.
pub trait Textual: Sized {
    /// Reads the text.
    fn from_text(text: &str) -> Result<Self, Refusal>;
    /// Writes it back, as the file holds it.
    fn to_text(&self) -> String;
}

/// `#[serde(with = "textual")]` for a [`Textual`] field.
pub fn serialize<T: Textual, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_text())
}

/// `#[serde(with = "textual")]` for a [`Textual`] field.
pub fn deserialize<'de, T: Textual, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    T::from_text(text.trim()).map_err(D::Error::custom)
}

/// `#[serde(with = "textual::option")]` for an optional [`Textual`] field.
pub mod option {
    use super::*;

    /// Writes the value, if any.
    pub fn serialize<T: Textual, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(Textual::to_text).serialize(s)
    }

    /// Reads the value; an empty text is none.
    pub fn deserialize<'de, T: Textual, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        match text.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => T::from_text(t).map(Some).map_err(D::Error::custom),
        }
    }
}

/// Which Enedis API generation to speak (`sync.api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Api {
    /// 2026 first, v5 where the 2026 paths are not served.
    #[default]
    Auto,
    /// The 2026 generation only.
    V2026,
    /// v5 only.
    V5,
}

impl Textual for Api {
    fn from_text(text: &str) -> Result<Api, Refusal> {
        match text {
            "auto" => Ok(Api::Auto),
            "2026" => Ok(Api::V2026),
            "v5" => Ok(Api::V5),
            _ => Err(Refusal {
                fr: format!("« {text} » inconnu ; choisissez auto, 2026 ou v5"),
                en: format!("\"{text}\" is unknown; choose auto, 2026 or v5"),
            }),
        }
    }

    fn to_text(&self) -> String {
        match self {
            Api::Auto => "auto",
            Api::V2026 => "2026",
            Api::V5 => "v5",
        }
        .to_owned()
    }
}

/// A time of day written `HH:MM` (the daemon's window and night, Paris time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(pub NaiveTime);

impl ClockTime {
    /// `hour:minute`; out-of-range values give midnight (only for constants written by hand).
    pub fn at(hour: u32, minute: u32) -> ClockTime {
        ClockTime(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN))
    }
}

impl Textual for ClockTime {
    fn from_text(text: &str) -> Result<ClockTime, Refusal> {
        NaiveTime::parse_from_str(text, "%H:%M")
            .map(ClockTime)
            .map_err(|_| Refusal {
                fr: format!("« {text} » n'est pas une heure ; écrivez HH:MM, par exemple 08:00"),
                en: format!("\"{text}\" is not a time; write HH:MM, e.g. 08:00"),
            })
    }

    fn to_text(&self) -> String {
        self.0.format("%H:%M").to_string()
    }
}

impl Textual for chrono_tz::Tz {
    fn from_text(text: &str) -> Result<chrono_tz::Tz, Refusal> {
        chrono_tz::Tz::from_str(text).map_err(|_| Refusal {
            fr: format!(
                "« {text} » n'est pas un fuseau horaire connu ; écrivez un nom IANA comme Europe/Paris"
            ),
            en: format!(
                "\"{text}\" is not a known time zone; write an IANA name such as Europe/Paris"
            ),
        })
    }

    fn to_text(&self) -> String {
        self.name().to_owned()
    }
}

impl Textual for Lang {
    fn from_text(text: &str) -> Result<Lang, Refusal> {
        match text {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            _ => Err(Refusal {
                fr: format!("« {text} » n'est pas une langue connue ; écrivez fr ou en"),
                en: format!("\"{text}\" is not a known language; write fr or en"),
            }),
        }
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}
