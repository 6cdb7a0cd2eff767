//! Where the binary's "now" comes from.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use linky_core::{Clock, OffsetClock, SystemClock};

/// The variable that starts the clock at a given instant (RFC 3339), then lets it run. Tests set
/// it so that a process sees the same day as the simulator it talks to, whatever the hour of the
/// machine running them (Enedis publishes yesterday at 08:00 Paris time).
pub const TEST_NOW: &str = "LINKY_TEST_NOW";

/// The system clock, or the one `LINKY_TEST_NOW` asks for.
pub fn clock() -> Arc<dyn Clock> {
    match std::env::var(TEST_NOW).ok().filter(|v| !v.is_empty()) {
        Some(text) => match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Arc::new(OffsetClock::starting_at(at.with_timezone(&Utc))),
            Err(e) => {
                eprintln!("{TEST_NOW}={text:?} ignored ({e}): the system clock is used");
                Arc::new(SystemClock)
            }
        },
        None => Arc::new(SystemClock),
    }
}
