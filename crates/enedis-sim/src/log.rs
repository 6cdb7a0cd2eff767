//! The log of every Enedis call the simulator answered, for tests to check what a client did.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// When it came (simulator clock), RFC 3339.
    pub time: DateTime<Utc>,
    /// The client id (from the token for data calls, from the credentials for token calls).
    pub client_id: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string as sent.
    pub query: String,
    /// The PDL asked about, if any.
    pub pdl: Option<String>,
    /// HTTP status answered (0 when the connection was reset before any answer).
    pub status: u16,
    /// The injected fault, if any: `quota`, `maintenance`, `error`, `reset`, `truncate`.
    pub fault: Option<String>,
    /// The caller's `X-Request-Id`, if it sent one (a proxy follows its requests with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// How many calls the log keeps; older ones are dropped first.
pub const LOG_CAPACITY: usize = 100_000;
