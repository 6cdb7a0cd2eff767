//! The simulator's sense of time.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use linky_core::{Clock, ManualClock, SystemClock};

/// Real time shifted by a fixed offset: `--now` without `--freeze` starts at the given instant
/// and then advances with the system clock.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    offset: Duration,
}

impl OffsetClock {
    /// A clock that reads `now` at this moment and advances in real time.
    pub fn starting_at(now: DateTime<Utc>) -> OffsetClock {
        OffsetClock {
            offset: now - SystemClock.now(),
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + self.offset
    }
}

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
