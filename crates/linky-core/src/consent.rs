//! Consent durations as Enedis takes them: ISO 8601 `P[nY][nM][nW][nD]`, three years at most.
//! One parser for the simulator (which checks what it is asked) and the proxy (which asks and
//! records the end).

use chrono::{Duration, Months, NaiveDate};

/// A consent duration that cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not `P[nY][nM][nW][nD]`.
    #[error("not an ISO 8601 duration of years, months, weeks or days (P3Y, P18M, P1095D)")]
    Format,
    /// Longer than three years.
    #[error("longer than the three years Enedis allows")]
    TooLong,
}

/// The end of a consent given on `start` for an ISO 8601 `duration` (`P3Y`, `P36M`, `P1Y4M`,
/// `P1095D`): at most three years.
pub fn consent_end(start: NaiveDate, duration: &str) -> Result<NaiveDate, DurationError> {
    let body = duration.strip_prefix('P').ok_or(DurationError::Format)?;
    if body.is_empty() || body.contains('T') {
        return Err(DurationError::Format);
    }
    let (mut years, mut months, mut days) = (0u32, 0u32, 0i64);
    let mut number = String::new();
    for c in body.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u32 = number.parse().map_err(|_| DurationError::Format)?;
        number.clear();
        match c {
            'Y' => years = n,
            'M' => months = n,
            'W' => days += i64::from(n) * 7,
            'D' => days += i64::from(n),
            _ => return Err(DurationError::Format),
        }
    }
    if !number.is_empty() {
        return Err(DurationError::Format);
    }
    let total_months = years
        .checked_mul(12)
        .and_then(|y| y.checked_add(months))
        .ok_or(DurationError::TooLong)?;
    let end = start
        .checked_add_months(Months::new(total_months))
        .and_then(|d| d.checked_add_signed(Duration::days(days)))
        .ok_or(DurationError::TooLong)?;
    let limit = start
        .checked_add_months(Months::new(36))
        .ok_or(DurationError::TooLong)?;
    if end > limit {
        return Err(DurationError::TooLong);
    }
    if end == start {
        return Err(DurationError::Format);
    }
    Ok(end)
}

/// A consent duration checked once, when the settings are read: its text is what Enedis is
/// asked, and [`ConsentDuration::end`] dates the consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentDuration(String);

impl ConsentDuration {
    /// The three years Enedis allows at most, and the proxy's default.
    pub fn three_years() -> ConsentDuration {
        ConsentDuration("P3Y".to_owned())
    }

    /// The end of a consent given on `start`.
    pub fn end(&self, start: NaiveDate) -> NaiveDate {
        // Checked on a fixed day at parse time; the only day where it could differ is a 29
        // February start, where three years may end a day later than on other days.
        consent_end(start, &self.0)
            .or_else(|_| consent_end(start, "P3Y"))
            .unwrap_or(start)
    }

    /// The ISO 8601 text, as sent to Enedis.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ConsentDuration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<ConsentDuration, DurationError> {
        let text = text.trim();
        let any_day = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or(DurationError::Format)?;
        consent_end(any_day, text)?;
        Ok(ConsentDuration(text.to_owned()))
    }
}

impl std::fmt::Display for ConsentDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_duration_is_checked_once_then_dates_consents() {
        let start = d("2026-11-28");
        let eighteen: ConsentDuration = "P18M".parse().unwrap();
        assert_eq!(
            eighteen.end(start),
            d("2028-05-28"),
            "18 months, not 3 years"
        );
        assert_eq!(eighteen.to_string(), "P18M");
        assert_eq!(
            "P4Y".parse::<ConsentDuration>(),
            Err(DurationError::TooLong)
        );
        assert_eq!("18M".parse::<ConsentDuration>(), Err(DurationError::Format));
        assert_eq!(ConsentDuration::three_years().end(start), d("2029-11-28"));
    }

    #[test]
    fn durations() {
        let start = d("2026-11-28");
        assert_eq!(consent_end(start, "P3Y"), Ok(d("2029-11-28")));
        assert_eq!(consent_end(start, "P36M"), Ok(d("2029-11-28")));
        assert_eq!(consent_end(start, "P1Y4M"), Ok(d("2028-03-28")));
        assert_eq!(consent_end(start, "P1095D"), Ok(d("2029-11-27")));
        assert_eq!(consent_end(start, "P2W"), Ok(d("2026-12-12")));
        assert_eq!(consent_end(start, "P3Y1D"), Err(DurationError::TooLong));
        assert_eq!(consent_end(start, "P1096D"), Ok(d("2029-11-28")));
        assert_eq!(consent_end(start, "P1097D"), Err(DurationError::TooLong));
        assert_eq!(
            consent_end(start, "P99999999999Y"),
            Err(DurationError::Format)
        );
        for bad in ["", "3Y", "P", "PT1H", "P1X", "P1", "P0D", "PY"] {
            assert_eq!(consent_end(start, bad), Err(DurationError::Format), "{bad}");
        }
    }
}
