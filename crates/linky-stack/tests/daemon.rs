//! The daemon loop over several simulated days: one sync a day inside the window, none at
//! night, retries after failures, consent warnings.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use enedis_sim::{Fault, FaultSet, Quota, Scope};
use linky_core::{paris, Clock, ManualClock};
use linky_enedis::tokens::TokenFile;
use linky_enedis::{EnedisSource, Generation};
use linky_stack::{Stack, StackOptions};
use linky_store::Store;
use linky_sync::daemon::{consent_warnings, Daemon, DaemonSettings, Event, Sleeper};
use linky_sync::{Quiet, RunSettings, Runner, SyncReport, SyncSettings};

/// Sleeping is moving the clock.
struct Jump(ManualClock);

impl Sleeper for Jump {
    async fn sleep_until(&self, t: DateTime<Utc>) {
        if t > self.0.now() {
            self.0.set(t);
        }
    }
}

#[tokio::test]
async fn one_sync_a_day_in_the_window_none_at_night_retries_after_failures() {
    // 06:00 UTC = 07:00 in Paris: still night.
    let start = DateTime::parse_from_rfc3339("2026-11-28T06:00:00Z")
        .unwrap()
        .to_utc();
    let manual = ManualClock::new(start);
    let clock: Arc<dyn Clock> = Arc::new(manual.clone());
    let mut options = StackOptions::new(clock.clone());
    options.sim.quota = Quota {
        per_second: 100_000,
        per_hour: 1_000_000,
    };
    let stack = Stack::start(options).await.unwrap();
    let dir = std::env::temp_dir().join(format!("linky-daemon-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut tokens = TokenFile::default();
    tokens.add(stack.login(0, &["22516914714270"]).await.unwrap());
    tokens.save(&dir.join("tokens.json")).unwrap();

    let settings = RunSettings {
        plan: SyncSettings {
            curve_days: 14,
            daily_days: 14,
            max_power_days: 14,
            ..SyncSettings::default()
        },
        backoff_base: std::time::Duration::from_millis(1),
        max_retries: 0,
        max_failed_windows: 1,
        ..RunSettings::default()
    };
    let timing = DaemonSettings::default();
    type Syncs = Arc<Mutex<Vec<(DateTime<Utc>, bool)>>>;
    let syncs: Syncs = Arc::default();
    let day2 = start + Duration::days(1);
    let sync = || {
        let (clock, dir, settings, syncs, stack) = (
            clock.clone(),
            dir.clone(),
            settings.clone(),
            syncs.clone(),
            &stack,
        );
        async move {
            let now = clock.now();
            // Enedis is down on the morning of the second day.
            let down = now >= day2 && now < day2 + Duration::hours(6);
            stack.sim.set_faults(if down {
                FaultSet {
                    faults: vec![Fault::Error {
                        rate: 1.0,
                        scope: Scope::default(),
                    }],
                }
            } else {
                FaultSet::default()
            });
            let source =
                EnedisSource::proxy(dir.join("tokens.json"), Generation::Auto, clock.clone())
                    .unwrap()
                    .with_min_interval(std::time::Duration::ZERO);
            let mut store = Store::open(&dir.join("linky.db")).unwrap();
            let report: SyncReport =
                Runner::new(&mut store, &source, clock.as_ref(), &settings, &Quiet)
                    .run(&["22516914714270".parse().unwrap()])
                    .await
                    .unwrap();
            syncs.lock().unwrap().push((now, report.stopped.is_none()));
            report
        }
    };
    let daemon = Daemon {
        settings: &timing,
        clock: clock.as_ref(),
        seed: 42,
    };
    let planned = Arc::new(Mutex::new(0));
    let p = planned.clone();
    daemon
        .run(
            &Jump(manual.clone()),
            sync,
            move |e| {
                if let Event::Planned(_) = e {
                    *p.lock().unwrap() += 1
                }
            },
            std::future::pending(),
            Some(start + Duration::days(4)),
        )
        .await;

    let syncs = syncs.lock().unwrap().clone();
    let night = |t: DateTime<Utc>| timing.is_night(paris::local(t).time());
    assert!(
        syncs.iter().all(|(t, _)| !night(*t)),
        "never at night: {syncs:?}"
    );
    let window = |t: DateTime<Utc>| {
        let l = paris::local(t).time();
        l >= NaiveTime::from_hms_opt(8, 0, 0).unwrap()
            && l < NaiveTime::from_hms_opt(11, 0, 0).unwrap()
    };
    let successes: Vec<_> = syncs.iter().filter(|(_, ok)| *ok).collect();
    let days: std::collections::BTreeSet<_> = successes
        .iter()
        .map(|(t, _)| paris::local_date(*t))
        .collect();
    assert_eq!(days.len(), 4, "a successful sync every day: {syncs:?}");
    assert!(
        syncs
            .iter()
            .filter(|(t, _)| paris::local_date(*t) != paris::local_date(day2))
            .all(|(t, _)| window(*t)),
        "outside the failure day, only in the window: {syncs:?}"
    );
    let failures = syncs.iter().filter(|(_, ok)| !ok).count();
    assert!(
        failures >= 2,
        "Enedis down: failed syncs, retried ({syncs:?})"
    );
    let day2_syncs: Vec<_> = syncs
        .iter()
        .filter(|(t, _)| paris::local_date(*t) == paris::local_date(day2))
        .collect();
    assert!(
        day2_syncs
            .windows(2)
            .all(|w| w[1].0 - w[0].0 <= Duration::hours(4)),
        "retries come within hours: {day2_syncs:?}"
    );
    assert!(
        day2_syncs.last().unwrap().1,
        "the day ends with a success once Enedis is back"
    );
    assert!(*planned.lock().unwrap() >= syncs.len());
    // The first sync waited for the end of the night.
    assert!(paris::local(syncs[0].0).hour() >= 8);

    // Consent warnings: 30 days, then 7, once each.
    let store = Store::open(&dir.join("linky.db")).unwrap();
    let pdl = "22516914714270".parse().unwrap();
    let ends = vec![(pdl, Some(clock.now() + Duration::days(25)))];
    assert_eq!(consent_warnings(clock.now(), &ends, &[]).len(), 1);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
