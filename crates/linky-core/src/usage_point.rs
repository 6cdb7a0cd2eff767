//! Meter identifiers and energy directions.

use std::fmt;
use std::str::FromStr;

use crate::{Lang, Localized};

/// A usage point: the 14-digit number Enedis gives each meter (PDL, "point de livraison", also
/// called PRM). It is printed on the bill and on the Linky's screen; it is not a secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsagePoint(String);

/// Why a text is not a usage point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not a meter number (PDL/PRM): it must be exactly 14 digits, as printed on your bill or on the Linky's screen")]
pub struct UsagePointError {
    /// The offending text.
    pub text: String,
}

impl Localized for UsagePointError {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Fr => format!(
                "« {} » n'est pas un numéro de compteur (PDL/PRM) : il doit compter exactement 14 chiffres, comme sur votre facture ou l'écran du Linky",
                self.text
            ),
        }
    }
}

impl UsagePoint {
    /// Number of digits in a usage point.
    pub const LEN: usize = 14;

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UsagePoint {
    type Err = UsagePointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == Self::LEN && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(UsagePoint(s.to_owned()))
        } else {
            Err(UsagePointError { text: s.to_owned() })
        }
    }
}

impl fmt::Display for UsagePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way energy flows through the meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Drawn from the grid ("soutirage").
    Consumption,
    /// Fed into the grid ("injection"), e.g. by solar panels.
    Production,
}

impl Direction {
    /// Both directions, consumption first.
    pub const ALL: [Direction; 2] = [Direction::Consumption, Direction::Production];
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Consumption => "consumption",
            Direction::Production => "production",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_fourteen_digits() {
        let pdl: UsagePoint = "12345678901234".parse().unwrap();
        assert_eq!(pdl.as_str(), "12345678901234");
        assert_eq!(pdl.to_string(), "12345678901234");
        for bad in [
            "",
            "123",
            "1234567890123",
            "123456789012345",
            "1234567890123a",
            " 2345678901234",
        ] {
            let err = bad.parse::<UsagePoint>().unwrap_err();
            assert!(err.to_string().contains("14 digits"), "{bad}");
            assert!(err.localized(Lang::Fr).contains("14 chiffres"), "{bad}");
        }
    }
}
