//! The daemon's timing: one sync a day at a random time in a window (so the users of one proxy
//! spread out), a later attempt when yesterday is late, retries with backoff after failures,
//! never at night; and the consent warnings. [`next_run`] is pure; [`Daemon::run`] loops over a
//! clock and a sleeper, so tests move time instead of waiting.

use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use linky_core::{paris, Clock, UsagePoint};

use crate::run::{Stop, SyncReport};

/// When the daemon may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSettings {
    /// Start of the daily window (Paris).
    pub window_start: NaiveTime,
    /// End of the daily window.
    pub window_end: NaiveTime,
    /// Start of the night (no Enedis call).
    pub night_start: NaiveTime,
    /// End of the night.
    pub night_end: NaiveTime,
    /// Wait before trying again when yesterday was not published yet.
    pub late_retry: Duration,
    /// First wait after a failed sync; doubled each time.
    pub first_retry: Duration,
    /// Longest wait after failures.
    pub max_retry: Duration,
}

impl Default for DaemonSettings {
    fn default() -> DaemonSettings {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
        DaemonSettings {
            window_start: t(8),
            window_end: t(11),
            night_start: t(22),
            night_end: t(8),
            late_retry: Duration::hours(4),
            first_retry: Duration::minutes(15),
            max_retry: Duration::hours(4),
        }
    }
}

/// How the last sync went, as the timing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It finished; `yesterday_missing` if Enedis had not published yesterday yet.
    Done {
        /// Some series still waits for yesterday.
        yesterday_missing: bool,
    },
    /// It stopped early (Enedis down, network, quota).
    Failed {
        /// When the quota comes back, if that was the cause.
        quota_until: Option<DateTime<Utc>>,
    },
    /// The tokens are refused: nothing to do until `linky login`.
    Unauthorized,
}

impl Outcome {
    /// Reads a sync report.
    pub fn of(report: &SyncReport) -> Outcome {
        match &report.stopped {
            Some(Stop::Unauthorized(_)) => Outcome::Unauthorized,
            Some(Stop::Quota(until)) => Outcome::Failed {
                quota_until: *until,
            },
            Some(Stop::Unavailable(_)) => Outcome::Failed { quota_until: None },
            None => Outcome::Done {
                yesterday_missing: report
                    .series
                    .iter()
                    .any(|s| s.whole_absence.is_none() && (s.not_published > 0 || s.failed > 0)),
            },
        }
    }
}

fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    paris::TZ
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

impl DaemonSettings {
    /// Whether a Paris time is at night.
    pub fn is_night(&self, t: NaiveTime) -> bool {
        if self.night_start > self.night_end {
            t >= self.night_start || t < self.night_end
        } else {
            t >= self.night_start && t < self.night_end
        }
    }

    /// The day's sync time: `random` (0 to 1) places it in the window.
    pub fn daily_slot(&self, date: NaiveDate, random: f64) -> DateTime<Utc> {
        let span = (self.window_end - self.window_start).num_seconds().max(0) as f64;
        let local = date.and_time(self.window_start)
            + Duration::seconds((span * random.clamp(0.0, 1.0)) as i64);
        to_utc(local)
    }

    /// `t`, or the end of the night it falls in.
    pub fn out_of_night(&self, t: DateTime<Utc>, random: f64) -> DateTime<Utc> {
        let local = paris::local(t);
        if !self.is_night(local.time()) {
            return t;
        }
        let date = if local.time() >= self.night_start && self.night_start > self.night_end {
            local.date() + Duration::days(1)
        } else {
            local.date()
        };
        // A few minutes of spread so that retries from many users do not all land at once.
        to_utc(
            date.and_time(self.night_end)
                + Duration::seconds((1800.0 * random.clamp(0.0, 1.0)) as i64),
        )
    }
}

/// When to sync next, after `outcome` (`None`: the daemon just started) and `failures` failed
/// syncs in a row. `random` (0 to 1) spreads the users of one proxy.
pub fn next_run(
    now: DateTime<Utc>,
    outcome: Option<&Outcome>,
    failures: u32,
    s: &DaemonSettings,
    random: f64,
) -> DateTime<Utc> {
    let today = paris::local_date(now);
    let tomorrow = s.daily_slot(today + Duration::days(1), random);
    let t = match outcome {
        // At start: right away unless it is night.
        None => now,
        Some(Outcome::Done {
            yesterday_missing: false,
        })
        | Some(Outcome::Unauthorized) => tomorrow,
        Some(Outcome::Done {
            yesterday_missing: true,
        }) => {
            let later = now + s.late_retry;
            if paris::local_date(later) != today || s.is_night(paris::local(later).time()) {
                tomorrow
            } else {
                later
            }
        }
        Some(Outcome::Failed {
            quota_until: Some(until),
        }) => (*until).max(now + Duration::minutes(1)),
        Some(Outcome::Failed { quota_until: None }) => {
            let factor = 2i32.saturating_pow(failures.saturating_sub(1).min(8));
            now + (s.first_retry * factor).min(s.max_retry)
        }
    };
    s.out_of_night(t, random)
}

/// Consents ending within 30 or 7 days, each said once: `(meter, days left, threshold)`.
pub fn consent_warnings(
    now: DateTime<Utc>,
    ends: &[(UsagePoint, Option<DateTime<Utc>>)],
    already: &[String],
) -> Vec<(UsagePoint, i64, i64)> {
    let mut out = Vec::new();
    for (pdl, end) in ends {
        let Some(end) = end else { continue };
        let left = (*end - now).num_days();
        for threshold in [7, 30] {
            if left <= threshold && !already.contains(&format!("{pdl}:{threshold}")) {
                out.push((pdl.clone(), left, threshold));
                break;
            }
        }
    }
    out
}

/// Waits until an instant (the real one sleeps; tests move their clock).
pub trait Sleeper: Send + Sync {
    /// Returns at or after `t`.
    fn sleep_until(&self, t: DateTime<Utc>) -> impl Future<Output = ()> + Send;
}

/// Sleeps on the real clock, in steps of at most a minute so a suspended machine or a clock
/// change does not make it oversleep.
pub struct RealSleeper<'a>(pub &'a dyn Clock);

impl Sleeper for RealSleeper<'_> {
    async fn sleep_until(&self, t: DateTime<Utc>) {
        loop {
            let left = t - self.0.now();
            if left <= Duration::zero() {
                return;
            }
            let step = left
                .min(Duration::seconds(60))
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(1));
            tokio::time::sleep(step).await;
        }
    }
}

/// What the daemon tells as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// The next sync is planned at this instant.
    Planned(DateTime<Utc>),
    /// A sync ended.
    Synced(Box<SyncReport>),
}

/// The daemon loop.
pub struct Daemon<'a> {
    /// Its timing.
    pub settings: &'a DaemonSettings,
    /// Now.
    pub clock: &'a dyn Clock,
    /// Seed of the spreading draws.
    pub seed: u64,
}

impl Daemon<'_> {
    /// Syncs (with `sync`) at the planned times until `stop` completes (or `until`, if given, is
    /// reached: for tests and benchmarks), telling each event.
    pub async fn run<S, F>(
        &self,
        sleeper: &S,
        mut sync: impl FnMut() -> F,
        mut event: impl FnMut(Event),
        stop: impl Future<Output = ()>,
        until: Option<DateTime<Utc>>,
    ) where
        S: Sleeper,
        F: Future<Output = SyncReport>,
    {
        tokio::pin!(stop);
        let mut state = self.seed | 1;
        let mut draw = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut outcome: Option<Outcome> = None;
        let mut failures = 0u32;
        loop {
            let next = next_run(
                self.clock.now(),
                outcome.as_ref(),
                failures,
                self.settings,
                draw(),
            );
            if until.is_some_and(|u| next >= u) {
                return;
            }
            event(Event::Planned(next));
            tokio::select! {
                () = sleeper.sleep_until(next) => {}
                () = &mut stop => return,
            }
            // A sync is cancelled only between two writes: every write is its own transaction.
            let report = tokio::select! {
                report = sync() => report,
                () = &mut stop => return,
            };
            let o = Outcome::of(&report);
            failures = if matches!(o, Outcome::Failed { .. }) {
                failures + 1
            } else {
                0
            };
            outcome = Some(o);
            event(Event::Synced(Box::new(report)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn timing_rules() {
        let s = DaemonSettings::default();
        // Winter: Paris = UTC+1.
        let morning = utc("2026-11-28T09:30:00Z"); // 10:30 Paris
        assert_eq!(
            next_run(morning, None, 0, &s, 0.5),
            morning,
            "at start, right away"
        );
        let night = utc("2026-11-28T22:30:00Z"); // 23:30 Paris
        assert_eq!(
            next_run(night, None, 0, &s, 0.0),
            utc("2026-11-29T07:00:00Z"),
            "not at night: 08:00 Paris"
        );
        let done = Outcome::Done {
            yesterday_missing: false,
        };
        assert_eq!(
            next_run(morning, Some(&done), 0, &s, 0.5),
            utc("2026-11-29T08:30:00Z"),
            "tomorrow, mid-window (09:30 Paris)"
        );
        let slot = next_run(morning, Some(&done), 0, &s, 0.999);
        assert!(
            slot < utc("2026-11-29T10:00:00Z") && slot >= utc("2026-11-29T07:00:00Z"),
            "inside 08:00-11:00 Paris"
        );
        let late = Outcome::Done {
            yesterday_missing: true,
        };
        assert_eq!(
            next_run(morning, Some(&late), 0, &s, 0.5),
            morning + Duration::hours(4),
            "a later try when D-1 is late"
        );
        assert_eq!(
            next_run(utc("2026-11-28T19:30:00Z"), Some(&late), 0, &s, 0.5),
            utc("2026-11-29T08:30:00Z"),
            "not into the night"
        );
        let failed = Outcome::Failed { quota_until: None };
        assert_eq!(
            next_run(morning, Some(&failed), 1, &s, 0.5),
            morning + Duration::minutes(15)
        );
        assert_eq!(
            next_run(morning, Some(&failed), 3, &s, 0.5),
            morning + Duration::minutes(60)
        );
        assert_eq!(
            next_run(morning, Some(&failed), 20, &s, 0.5),
            morning + Duration::hours(4),
            "bounded"
        );
        let evening_failure = next_run(utc("2026-11-28T20:30:00Z"), Some(&failed), 3, &s, 0.0);
        assert_eq!(
            evening_failure,
            utc("2026-11-29T07:00:00Z"),
            "a retry that would land at night waits for the morning"
        );
        let quota = Outcome::Failed {
            quota_until: Some(utc("2026-11-28T10:00:00Z")),
        };
        assert_eq!(
            next_run(morning, Some(&quota), 1, &s, 0.5),
            utc("2026-11-28T10:00:00Z")
        );
        assert_eq!(
            next_run(morning, Some(&Outcome::Unauthorized), 0, &s, 0.5),
            utc("2026-11-29T08:30:00Z")
        );
        // Summer: Paris = UTC+2.
        assert_eq!(
            s.daily_slot(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(), 0.0),
            utc("2026-07-01T06:00:00Z")
        );
    }

    #[test]
    fn warnings_at_30_then_7_days_once_each() {
        let now = utc("2026-11-28T10:00:00Z");
        let pdl: UsagePoint = "22516914714270".parse().unwrap();
        let ends = vec![(pdl.clone(), Some(now + Duration::days(20)))];
        let w = consent_warnings(now, &ends, &[]);
        assert_eq!(w, vec![(pdl.clone(), 20, 30)]);
        assert!(consent_warnings(now, &ends, &["22516914714270:30".to_owned()]).is_empty());
        let soon = vec![(pdl.clone(), Some(now + Duration::days(5)))];
        assert_eq!(
            consent_warnings(now, &soon, &["22516914714270:30".to_owned()]),
            vec![(pdl, 5, 7)]
        );
        assert!(consent_warnings(
            now,
            &[(
                "22516914714270".parse().unwrap(),
                Some(now + Duration::days(90))
            )],
            &[]
        )
        .is_empty());
    }
}
