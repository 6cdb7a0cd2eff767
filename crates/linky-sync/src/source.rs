//! What the runner needs from Enedis, whatever the way to it (proxy or direct, v5 or 2026).

use std::future::Future;

use chrono::{DateTime, Utc};
use enedis_protocol::error::{EnedisError, ErrorKind};
use linky_core::{Lang, Localized, UsagePoint};
use linky_store::{ContractPart, ContractRead, WindowData};

use crate::plan::Window;

/// Why a call gave no data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Enedis (or the proxy) answered with an error.
    #[error("Enedis answered HTTP {} {}: {}", .0.status, .0.code, .0.description)]
    Enedis(EnedisError),
    /// No answer, a cut connection or a broken body.
    #[error("Enedis could not be reached: {0}")]
    Transport(String),
    /// The peer took the connection but did not answer in time: asking again at once would
    /// only wait as long again.
    #[error("Enedis did not answer in time: {0}")]
    TimedOut(String),
    /// The tokens are no longer accepted, even after a refresh: the user must sign in again.
    #[error("access refused: {0}")]
    Unauthorized(String),
    /// An answer that is not what Enedis sends.
    #[error("unreadable answer: {0}")]
    Unreadable(String),
}

impl Localized for FetchError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, _) => self.to_string(),
            (Lang::Fr, FetchError::Enedis(e)) => format!(
                "Enedis a répondu HTTP {} {} : {}",
                e.status, e.code, e.description
            ),
            (Lang::Fr, FetchError::Transport(e)) => format!("Enedis est injoignable : {e}"),
            (Lang::Fr, FetchError::TimedOut(e)) => {
                format!("Enedis n'a pas répondu à temps : {e}")
            }
            (Lang::Fr, FetchError::Unauthorized(e)) => format!("accès refusé : {e}"),
            (Lang::Fr, FetchError::Unreadable(e)) => format!("réponse illisible : {e}"),
        }
    }
}

impl FetchError {
    /// What the error means for the caller.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FetchError::Enedis(e) => e.kind(),
            FetchError::Transport(_) | FetchError::TimedOut(_) | FetchError::Unreadable(_) => {
                ErrorKind::Unavailable
            }
            FetchError::Unauthorized(_) => ErrorKind::InvalidToken,
        }
    }

    /// A stable name for counting errors: Enedis's own kind, or `transport`, `unreadable`,
    /// `unauthorized` for failures that never reached an Enedis answer.
    pub fn label(&self) -> &'static str {
        match self {
            FetchError::Enedis(e) => e.kind().as_str(),
            FetchError::Transport(_) => "transport",
            FetchError::TimedOut(_) => "timeout",
            FetchError::Unreadable(_) => "unreadable",
            FetchError::Unauthorized(_) => "unauthorized",
        }
    }

    /// For quota errors: when access comes back, if Enedis said.
    pub fn next_access(&self) -> Option<DateTime<Utc>> {
        let FetchError::Enedis(e) = self else {
            return None;
        };
        e.next_access()
    }
}

/// Enedis, as the runner sees it.
pub trait MeterSource: Send + Sync {
    /// Asks for one window.
    fn fetch(&self, window: &Window)
        -> impl Future<Output = Result<WindowData, FetchError>> + Send;

    /// Reads a part of a meter's contract (a source whose API gives the whole contract in one
    /// call may read more, and says which parts in [`ContractRead::parts`]).
    fn contract(
        &self,
        pdl: &UsagePoint,
        part: ContractPart,
    ) -> impl Future<Output = Result<ContractRead, FetchError>> + Send;

    /// Enedis calls made so far (including token requests in direct mode).
    fn calls(&self) -> u32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_access_time_is_read() {
        let e = FetchError::Enedis(EnedisError {
            status: 429,
            code: "900804".into(),
            description: String::new(),
            next_access_time: Some("2026-Jul-17 05:00:00+0000 UTC".into()),
        });
        assert_eq!(
            e.next_access().unwrap().to_rfc3339(),
            "2026-07-17T05:00:00+00:00"
        );
        assert_eq!(e.kind(), ErrorKind::Quota);
    }
}
