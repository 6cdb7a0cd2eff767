//! The simulator's sense of time.

use std::sync::Arc;

use chrono::{DateTime, Utc};
pub use linky_core::OffsetClock;
use linky_core::{Clock, ManualClock, SystemClock};

/// The clock for the command-line flags: real time, real time from `--now`, or stopped at
/// `--now` with `--freeze`.
pub fn from_flags(now: Option<DateTime<Utc>>, freeze: bool) -> Arc<dyn Clock> {
    match (now, freeze) {
        (Some(t), true) => Arc::new(ManualClock::new(t)),
        (None, true) => Arc::new(ManualClock::new(SystemClock.now())),
        (Some(t), false) => Arc::new(OffsetClock::starting_at(t)),
        (None, false) => Arc::new(SystemClock),
    }
}
