//! How a sync run ended, as the store keeps it and the CLI, `/metrics` and the page show it.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// The outcome of a sync run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunOutcome {
    /// Everything asked was answered.
    Ok,
    /// A meter's consent is gone.
    ConsentLost,
    /// Enedis's quota stopped the run.
    Quota,
    /// The tokens were refused.
    Unauthorized,
    /// Enedis kept failing, or the run ran out of time.
    Unavailable,
}

impl RunOutcome {
    /// Every outcome, for metrics that give each a sample.
    pub const ALL: [RunOutcome; 5] = [
        RunOutcome::Ok,
        RunOutcome::ConsentLost,
        RunOutcome::Quota,
        RunOutcome::Unauthorized,
        RunOutcome::Unavailable,
    ];

    /// Its stable name (stored, and a label of `/metrics` and the JSON API).
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Ok => "ok",
            RunOutcome::ConsentLost => "consent_lost",
            RunOutcome::Quota => "quota",
            RunOutcome::Unauthorized => "unauthorized",
            RunOutcome::Unavailable => "unavailable",
        }
    }

    /// The outcome of this name.
    pub fn named(name: &str) -> Option<RunOutcome> {
        RunOutcome::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RunOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl ToSql for RunOutcome {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for RunOutcome {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        RunOutcome::named(text)
            .ok_or_else(|| FromSqlError::Other(format!("unknown run outcome {text:?}").into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_older_stores() {
        for o in RunOutcome::ALL {
            assert_eq!(RunOutcome::named(o.as_str()), Some(o));
        }
        assert_eq!(RunOutcome::ConsentLost.to_string(), "consent_lost");
        assert_eq!(RunOutcome::named("unknown"), None);
    }
}
