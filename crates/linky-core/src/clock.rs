//! Where "now" comes from.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// The source of the current time. Everything that needs "now" takes a clock, so tests (in this
/// crate and in every later one) can set and advance time instead of sleeping.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's real-time clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time shifted by a fixed offset: it reads `now` at the moment it is made, then advances
/// with the system clock. Processes started by a test share one instant this way, and the demo
/// simulator can start on a chosen day.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    offset: Duration,
}

impl OffsetClock {
    /// A clock that reads `now` at this moment and advances in real time.
    pub fn starting_at(now: DateTime<Utc>) -> OffsetClock {
        OffsetClock {
            offset: now - Utc::now(),
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test can hand one
/// clone to the code under test and move time with another.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Moves the clock to `now` (backwards too: tests of clock jumps need it).
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_is_shared_between_clones() {
        let start = Utc.with_ymd_and_hms(2024, 10, 27, 0, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        let seen_by_code = clock.clone();
        clock.advance(Duration::hours(3));
        assert_eq!(seen_by_code.now(), start + Duration::hours(3));
        clock.set(start);
        assert_eq!(seen_by_code.now(), start);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap());
    }
}
