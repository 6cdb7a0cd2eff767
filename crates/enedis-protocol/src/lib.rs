//! The Enedis Data Connect wire formats, shared by the linky client, linky-proxy and enedis-sim.
//!
//! - [`v5`]: the metering responses of the v5 generation (`{"meter_reading": …}`), with
//!   conversions to and from `linky-core` values.
//! - [`customers`]: the v5 customers API (contracts with off-peak hours, addresses, identity,
//!   contact).
//! - [`v2026`]: the 2026 generation: "mesure synchrone" v2 bodies, subscribed services,
//!   contract APIs.
//! - [`conso_api`]: the Conso API gateway (conso.boris.sh): its type names, token claims and
//!   error bodies.
//! - [`oauth`]: the token endpoint's answer.
//! - [`error`]: the error catalogue (every documented code with its exact status and text) and a
//!   reader for every error shape Enedis and its gateways send.
//!
//! Architecture invariant: only serde types and pure conversions live here. Nothing in this crate
//! opens a socket or a file; the crates that talk HTTP use these types.

pub mod conso_api;
pub mod customers;
pub mod error;
pub mod oauth;
mod scan;
pub mod translate;
pub mod v2026;
pub mod v5;

pub use error::{EnedisError, ErrorCode, ErrorKind};

use linky_core::{Lang, Localized};

/// A response body that does not hold what Enedis sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Not JSON of the expected shape.
    #[error("the Enedis response is not in the expected format ({detail}); it may come from a newer API version or a faulty gateway")]
    Shape {
        /// What the JSON parser said.
        detail: String,
    },
    /// A field holds a value that makes no sense for it.
    #[error("the Enedis response has an invalid {field} \"{value}\"")]
    Value {
        /// Which field.
        field: &'static str,
        /// The value as received.
        value: String,
    },
    /// The points cannot be placed in time.
    #[error(transparent)]
    Curve(#[from] linky_core::LoadCurveError),
}

impl Localized for ProtocolError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, _) => self.to_string(),
            (Lang::Fr, ProtocolError::Shape { detail }) => format!(
                "la réponse d'Enedis n'a pas le format attendu ({detail}) ; elle vient peut-être d'une version plus récente de l'API ou d'une passerelle défaillante"
            ),
            (Lang::Fr, ProtocolError::Value { field, value }) => {
                format!("la réponse d'Enedis contient un champ {field} invalide « {value} »")
            }
            (Lang::Fr, ProtocolError::Curve(e)) => e.localized(lang),
        }
    }
}

/// Builds a load curve from one answer's points, in order: (end stamp text, step text, W).
/// Shared by both generations' readers.
/// `YYYY-MM-DD HH:MM:SS`, the form of every Enedis stamp, written without chrono's format
/// interpreter (the simulator writes thousands per answer).
pub(crate) fn local_stamp(t: chrono::NaiveDateTime) -> String {
    let mut out = String::with_capacity(19);
    push_local_stamp(&mut out, t);
    out
}

/// [`local_stamp`], written at the end of `out`.
pub(crate) fn push_local_stamp(out: &mut String, t: chrono::NaiveDateTime) {
    use chrono::{Datelike, Timelike};
    fn two(out: &mut String, n: u32) {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    }
    let year = t.year();
    if (0..10_000).contains(&year) {
        let year = year as u32;
        two(out, year / 100);
        two(out, year % 100);
    } else {
        out.push_str(&t.format("%Y-%m-%d %H:%M:%S").to_string());
        return;
    }
    for (separator, n) in [
        ('-', t.month()),
        ('-', t.day()),
        (' ', t.hour()),
        (':', t.minute()),
        (':', t.second()),
    ] {
        out.push(separator);
        two(out, n);
    }
}

pub(crate) fn curve_from_stamps<'a>(
    items: impl Iterator<Item = Result<(&'a str, Option<&'a str>, u32), ProtocolError>>,
) -> Result<linky_core::LoadCurve, ProtocolError> {
    use linky_core::paris::StampReader;
    use linky_core::Step;
    let mut points = Vec::with_capacity(items.size_hint().0);
    let mut stamps = StampReader::default();
    // Steps rarely change: parse each distinct text once.
    let mut last_step: Option<(&str, Step)> = None;
    for item in items {
        let (date, step_text, watts) = item?;
        let stamp = stamps.read(date).map_err(|_| ProtocolError::Value {
            field: "date",
            value: date.to_owned(),
        })?;
        let step = match step_text {
            None => Step::PT30M,
            Some(text) => match last_step {
                Some((t, s)) if t == text => s,
                _ => {
                    let s: Step = text.parse().map_err(|_| ProtocolError::Value {
                        field: "step",
                        value: text.to_owned(),
                    })?;
                    last_step = Some((text, s));
                    s
                }
            },
        };
        points.push((stamp, step, watts));
    }
    Ok(linky_core::LoadCurve::from_stamped(points)?)
}

#[cfg(test)]
mod stamp_tests {
    #[test]
    fn stamps_read_as_chrono_writes_them() {
        for text in [
            "2026-03-29 03:00:00",
            "0999-01-02 00:00:59",
            "2026-12-31 23:30:00",
        ] {
            let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
            assert_eq!(super::local_stamp(t), text);
        }
    }
}
