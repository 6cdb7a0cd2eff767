//! Request quotas per client id: a per-second and a per-hour counter, as Enedis' API manager
//! enforces them for an application.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::config::Quota;

#[derive(Debug, Default)]
struct Counters {
    second: i64,
    in_second: u32,
    hour: i64,
    in_hour: u32,
}

/// The counters of every client.
#[derive(Debug, Default)]
pub struct QuotaCounters {
    clients: HashMap<String, Counters>,
}

impl QuotaCounters {
    /// Counts a call; `Err(next_access)` when it is over a limit, with the instant access
    /// comes back (the next second, or the top of the next hour).
    pub fn admit(
        &mut self,
        client_id: &str,
        now: DateTime<Utc>,
        quota: Quota,
    ) -> Result<(), DateTime<Utc>> {
        let c = self.clients.entry(client_id.to_owned()).or_default();
        let second = now.timestamp();
        let hour = second.div_euclid(3600);
        if c.second != second {
            c.second = second;
            c.in_second = 0;
        }
        if c.hour != hour {
            c.hour = hour;
            c.in_hour = 0;
        }
        if c.in_hour >= quota.per_hour {
            let top = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
            return Err(top + Duration::hours(1));
        }
        if c.in_second >= quota.per_second {
            let next = now.duration_trunc(Duration::seconds(1)).unwrap_or(now);
            return Err(next + Duration::seconds(1));
        }
        c.in_second += 1;
        c.in_hour += 1;
        Ok(())
    }
}

pub use enedis_protocol::error::format_next_access;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn per_second_then_per_hour() {
        let mut q = QuotaCounters::default();
        let quota = Quota {
            per_second: 2,
            per_hour: 3,
        };
        let t = Utc.with_ymd_and_hms(2026, 7, 17, 4, 10, 0).unwrap();
        assert!(q.admit("a", t, quota).is_ok());
        assert!(q.admit("a", t, quota).is_ok());
        assert_eq!(q.admit("a", t, quota), Err(t + Duration::seconds(1)));
        assert!(q.admit("b", t, quota).is_ok(), "clients are counted apart");
        let later = t + Duration::seconds(5);
        assert!(q.admit("a", later, quota).is_ok());
        let next_hour = Utc.with_ymd_and_hms(2026, 7, 17, 5, 0, 0).unwrap();
        assert_eq!(
            q.admit("a", later + Duration::seconds(5), quota),
            Err(next_hour)
        );
        assert_eq!(
            format_next_access(next_hour),
            "2026-Jul-17 05:00:00+0000 UTC"
        );
        assert!(q.admit("a", next_hour, quota).is_ok());
    }
}
