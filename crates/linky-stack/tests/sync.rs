//! The sync end to end: linky-enedis through linky-proxy to enedis-sim, into the store, for each
//! sandbox customer, under injected faults, under the real quota, and in direct mode.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use enedis_sim::clock::OffsetClock;
use enedis_sim::{Fault, FaultSet, Quota, Scope};
use linky_core::{Clock, Direction, ManualClock};
use linky_enedis::tokens::TokenFile;
use linky_enedis::{EnedisSource, Generation};
use linky_stack::{Stack, StackOptions};
use linky_store::{Kind, Store};
use linky_sync::{Quiet, RunSettings, Runner, SeriesSummary, SyncReport, SyncSettings};

type Dir = linky_stack::TempDir;

fn dir(name: &str) -> Dir {
    Dir::new(&format!("linky-e2e-{name}")).expect("temporary folder")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

const NOW: &str = "2026-11-28T10:00:00Z";

fn short() -> RunSettings {
    RunSettings {
        plan: SyncSettings {
            curve_days: 14,
            daily_days: 30,
            max_power_days: 30,
            ..SyncSettings::default()
        },
        backoff_base: std::time::Duration::from_millis(2),
        ..RunSettings::default()
    }
}

async fn stack(clock: Arc<dyn Clock>) -> Stack {
    let mut options = StackOptions::new(clock);
    options.sim.quota = Quota {
        per_second: 100_000,
        per_hour: 1_000_000,
    };
    Stack::start(options).await.unwrap()
}

async fn login(stack: &Stack, dir: &Dir, customer: u8, pdls: &[&str]) {
    let family = stack.login(customer, pdls).await.unwrap();
    let mut file = TokenFile::load(&dir.path().join("tokens.json")).unwrap();
    file.add(family);
    file.save(&dir.path().join("tokens.json")).unwrap();
}

async fn sync(dir: &Dir, clock: Arc<dyn Clock>, settings: &RunSettings) -> SyncReport {
    sync_with_timeout(
        dir,
        clock,
        settings,
        std::time::Duration::from_secs(60),
        ZERO,
    )
    .await
}

/// No pause between requests beyond the simulator's quota.
const ZERO: std::time::Duration = std::time::Duration::ZERO;

/// A sync whose requests give up after `timeout` and leave at least `interval` between them.
async fn sync_with_timeout(
    dir: &Dir,
    clock: Arc<dyn Clock>,
    settings: &RunSettings,
    timeout: std::time::Duration,
    interval: std::time::Duration,
) -> SyncReport {
    let source = EnedisSource::proxy(
        dir.path().join("tokens.json"),
        Generation::Auto,
        clock.clone(),
    )
    .unwrap()
    .with_min_interval(interval)
    .with_timeout(timeout);
    let meters = source
        .meters()
        .await
        .iter()
        .map(|m| m.parse().unwrap())
        .collect::<Vec<_>>();
    let mut store = Store::open(&dir.path().join("linky.db")).unwrap();
    Runner::new(&mut store, &source, clock.as_ref(), settings, &Quiet)
        .run(&meters)
        .await
        .unwrap()
}

fn series<'a>(r: &'a SyncReport, pdl: &str, direction: Direction, kind: Kind) -> &'a SeriesSummary {
    r.series
        .iter()
        .find(|s| s.pdl.as_str() == pdl && s.direction == direction && s.kind == kind)
        .unwrap()
}

fn complete(r: &SyncReport, pdl: &str, direction: Direction) {
    let kinds: &[(Kind, u32)] = match direction {
        Direction::Consumption => &[(Kind::Curve, 14), (Kind::Daily, 30), (Kind::MaxPower, 30)],
        Direction::Production => &[(Kind::Curve, 14), (Kind::Daily, 30)],
    };
    for &(kind, days) in kinds {
        let s = series(r, pdl, direction, kind);
        // Daily totals of the last days may wait for their weekly cross-check (issue 17).
        assert_eq!(
            (
                s.fetched + s.waiting,
                s.missing,
                s.failed,
                s.whole_absence.as_deref()
            ),
            (days, 0, 0, None),
            "{pdl} {direction} {kind:?}: {s:?}"
        );
    }
}

fn absent(r: &SyncReport, pdl: &str, direction: Direction, reason: &str) {
    for s in r
        .series
        .iter()
        .filter(|s| s.pdl.as_str() == pdl && s.direction == direction)
    {
        assert_eq!(
            s.whole_absence.as_deref(),
            Some(reason),
            "{pdl} {direction} {:?}",
            s.kind
        );
    }
}

#[tokio::test]
async fn every_sandbox_customer_gets_the_right_data_and_absences() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at(NOW)));
    let s = stack(clock.clone()).await;
    let cases: &[(u8, &[&str])] = &[
        (0, &["22516914714270"]),
        (1, &["11453290002823"]),
        (2, &["32320647321714"]),
        (3, &["12345678901234", "10284856584123"]),
        (4, &["42900589957123"]),
        (5, &["24880057139941"]),
        (6, &["12655648759651"]),
        (7, &["64975835695673", "63695879465986", "22315546958763"]),
    ];
    for (customer, pdls) in cases {
        let dir = dir(&format!("customer{customer}"));
        login(&s, &dir, *customer, pdls).await;
        let r = sync(&dir, clock.clone(), &short()).await;
        assert!(
            r.stopped.is_none() && r.consent_lost.is_empty(),
            "customer {customer}: {r:?}"
        );
        match customer {
            0 | 1 => {
                complete(&r, pdls[0], Direction::Consumption);
                absent(&r, pdls[0], Direction::Production, "wrong_direction");
            }
            2 => {
                assert_eq!(
                    series(&r, pdls[0], Direction::Consumption, Kind::Curve)
                        .whole_absence
                        .as_deref(),
                    Some("curve_not_enabled")
                );
                assert_eq!(
                    series(&r, pdls[0], Direction::Consumption, Kind::Daily).fetched,
                    30
                );
            }
            3 => {
                complete(&r, "12345678901234", Direction::Consumption);
                absent(
                    &r,
                    "12345678901234",
                    Direction::Production,
                    "wrong_direction",
                );
                complete(&r, "10284856584123", Direction::Production);
                absent(
                    &r,
                    "10284856584123",
                    Direction::Consumption,
                    "wrong_direction",
                );
            }
            4 => {
                let holes = NaiveDate::from_ymd_opt(2026, 10, 29)
                    .unwrap()
                    .iter_days()
                    .take(30)
                    .filter(|d| matches!(d.weekday(), Weekday::Tue | Weekday::Wed))
                    .count() as u32;
                let daily = series(&r, pdls[0], Direction::Consumption, Kind::Daily);
                assert_eq!(
                    (daily.fetched, daily.absent.get("no_data_found").copied()),
                    (30 - holes, Some(holes)),
                    "{daily:?}"
                );
            }
            5 => {
                complete(&r, pdls[0], Direction::Production);
                absent(&r, pdls[0], Direction::Consumption, "wrong_direction");
            }
            6 => {
                complete(&r, pdls[0], Direction::Consumption);
                complete(&r, pdls[0], Direction::Production);
            }
            _ => {
                for pdl in *pdls {
                    complete(&r, pdl, Direction::Consumption);
                }
            }
        }
        // The contract comes one part per run (issue 17): the off-peak hours with the data,
        // then the activation date and the subscribed power, one call each per meter.
        for _ in 0..2 {
            let next = sync(&dir, clock.clone(), &short()).await;
            assert_eq!(next.calls as usize, pdls.len(), "customer {customer}");
        }
        let store = Store::open(&dir.path().join("linky.db")).unwrap();
        let meters = store.meters().unwrap();
        assert!(
            meters.iter().all(|m| m.activation_date.is_some()),
            "customer {customer}: {meters:?}"
        );
        // Then a run right away asks nothing.
        let before = s.sim.requests().len();
        let again = sync(&dir, clock.clone(), &short()).await;
        assert_eq!(
            again.calls,
            0,
            "customer {customer}: {:?}",
            s.sim.requests()[before..]
                .iter()
                .map(|e| (&e.path, &e.query))
                .collect::<Vec<_>>()
        );
    }
    // Customer 8 takes the consent back at once: the proxy finds no meter to bind.
    let err = s.login(8, &["26584978546985"]).await.unwrap_err();
    assert!(err.to_string().contains("consent failed"), "{err}");
}

#[tokio::test]
async fn faults_end_in_the_same_store_as_a_clean_run() {
    let clean_clock = Arc::new(ManualClock::new(at(NOW)));
    let clean = stack(clean_clock.clone()).await;
    let clean_dir = dir("clean");
    login(&clean, &clean_dir, 6, &["12655648759651"]).await;
    let r = sync(&clean_dir, clean_clock.clone(), &short()).await;
    assert!(r.stopped.is_none());

    let clock = Arc::new(ManualClock::new(at(NOW)));
    let faulty = stack(clock.clone()).await;
    let dir = dir("faulty");
    login(&faulty, &dir, 6, &["12655648759651"]).await;
    let scope = Scope::default;
    faulty.sim.set_faults(FaultSet {
        faults: vec![
            Fault::Error {
                rate: 0.3,
                scope: scope(),
            },
            Fault::Truncate {
                rate: 0.1,
                scope: scope(),
            },
            Fault::Reset {
                rate: 0.1,
                scope: scope(),
            },
            // Maintenance (503) for the first hour and a half.
            Fault::Maintenance {
                from: chrono::NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
                to: chrono::NaiveTime::from_hms_opt(12, 30, 0).unwrap(),
                scope: scope(),
            },
        ],
    });
    let mut runs = 0;
    loop {
        runs += 1;
        let r = sync(&dir, clock.clone(), &short()).await;
        let unfinished =
            r.series.iter().any(|s| s.failed > 0 || s.missing > 0) || r.stopped.is_some();
        if !unfinished {
            break;
        }
        assert!(runs < 20, "the faults never cleared: {r:?}");
        // The next run after the retry time; Enedis also has moments without faults.
        clock.advance(Duration::minutes(61));
        clean_clock.advance(Duration::minutes(61));
        if runs == 5 {
            faulty.sim.set_faults(FaultSet::default());
        }
    }
    // Bring the clean store to the same time (a day passing would add days).
    let _ = sync(&clean_dir, clean_clock.clone(), &short()).await;
    let _ = sync(&dir, clock.clone(), &short()).await;
    let a = Store::open(&clean_dir.path().join("linky.db"))
        .unwrap()
        .fingerprint()
        .unwrap();
    let b = Store::open(&dir.path().join("linky.db"))
        .unwrap()
        .fingerprint()
        .unwrap();
    assert_eq!(
        a, b,
        "same data, same ledger, no duplicate, after {runs} runs"
    );
    let log = faulty.sim.requests();
    for kind in ["error", "maintenance"] {
        assert!(
            log.iter().any(|r| r.fault.as_deref() == Some(kind)),
            "{kind} faults were injected"
        );
    }
}

#[tokio::test]
async fn a_503_window_and_quota_waits() {
    // Real time here: the per-second quota resets as the seconds pass.
    let clock: Arc<dyn Clock> = Arc::new(OffsetClock::starting_at(at(NOW)));
    let mut options = StackOptions::new(clock.clone());
    options.sim.quota = Quota {
        per_second: 3,
        per_hour: 10_000,
    };
    let s = Stack::start(options).await.unwrap();
    let dir = dir("quota");
    login(&s, &dir, 0, &["22516914714270"]).await;
    // The client goes faster than the quota allows: it must wait on each 429, not give up.
    let r = sync(&dir, clock.clone(), &short()).await;
    assert!(r.stopped.is_none(), "{r:?}");
    complete(&r, "22516914714270", Direction::Consumption);
    assert!(
        s.sim.requests().iter().any(|r| r.status == 429),
        "the quota was hit and waited out"
    );
}

#[tokio::test]
async fn the_real_quota_is_never_wasted() {
    let clock: Arc<dyn Clock> = Arc::new(OffsetClock::starting_at(at(NOW)));
    let s = Stack::start(StackOptions::new(clock.clone()))
        .await
        .unwrap();
    let dir = dir("realquota");
    login(&s, &dir, 3, &["12345678901234", "10284856584123"]).await;
    let settings = short();
    let before = s.sim.requests().len();
    // Four requests a second, as `linky sync` paces them by default.
    let r = sync_with_timeout(
        &dir,
        clock.clone(),
        &settings,
        std::time::Duration::from_secs(60),
        std::time::Duration::from_millis(250),
    )
    .await;
    assert!(r.stopped.is_none());
    let log = s.sim.requests()[before..].to_vec();
    assert!(
        log.iter().all(|e| e.status != 429),
        "never over 5 requests per second: {:?}",
        log.iter()
            .map(|e| (&e.time, &e.path, e.status))
            .collect::<Vec<_>>()
    );
    let data_calls = log
        .iter()
        .filter(|e| e.path.starts_with("/mesure") || e.path.starts_with("/metering"))
        .count();
    // Per meter: daily, max power and 2 curve windows for the direction it has; none for the
    // other, which the contract's synthesis says it does not measure (issue 17).
    assert_eq!(
        data_calls,
        2 * (1 + 1 + 2) - 1,
        "{:?}",
        log.iter().map(|e| (&e.path, &e.query)).collect::<Vec<_>>()
    );
    // The next run asks only the next part of each meter's contract (one part per run, issue
    // 17): nothing is asked twice.
    let before = s.sim.requests().len();
    let again = sync(&dir, clock.clone(), &settings).await;
    assert_eq!(again.calls, 2);
    assert!(s.sim.requests()[before..]
        .iter()
        .all(|e| e.path.starts_with("/comptage_auto/")));
}

#[tokio::test]
async fn direct_mode_in_both_generations_stores_the_same() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at(NOW)));
    let s = stack(clock.clone()).await;
    let mut fingerprints = Vec::new();
    for generation in [Generation::V2026, Generation::V5] {
        let source = EnedisSource::direct(
            &s.sim_url(),
            linky_stack::APP_ID,
            linky_stack::APP_SECRET,
            generation,
            clock.clone(),
        )
        .with_min_interval(std::time::Duration::ZERO);
        let mut store = Store::in_memory().unwrap();
        let meters = ["12655648759651".parse().unwrap()];
        // Two runs: the 2026 contract comes one part per run, the off-peak hours second.
        let mut r = None;
        for _ in 0..2 {
            r = Some(
                Runner::new(&mut store, &source, clock.as_ref(), &short(), &Quiet)
                    .run(&meters)
                    .await
                    .unwrap(),
            );
        }
        let r = r.unwrap();
        complete(&r, "12655648759651", Direction::Consumption);
        complete(&r, "12655648759651", Direction::Production);
        fingerprints.push(store.fingerprint().unwrap());
        assert!(
            store.meters().unwrap()[0].contract_offpeak.is_some(),
            "{generation:?} reads the contract's off-peak hours"
        );
    }
    assert_eq!(fingerprints[0], fingerprints[1]);
    // Customer 8's consent is gone: the sync says so and stops asking for that meter.
    let source = EnedisSource::direct(
        &s.sim_url(),
        linky_stack::APP_ID,
        linky_stack::APP_SECRET,
        Generation::Auto,
        clock.clone(),
    )
    .with_min_interval(std::time::Duration::ZERO);
    let mut store = Store::in_memory().unwrap();
    let r = Runner::new(&mut store, &source, clock.as_ref(), &short(), &Quiet)
        .run(&["26584978546985".parse().unwrap()])
        .await
        .unwrap();
    assert_eq!(r.consent_lost.len(), 1);
    assert!(
        r.consent_lost[0].1.contains("ADAM-DC-0008") || r.consent_lost[0].1.contains("Bad request"),
        "{:?}",
        r.consent_lost
    );
}

/// Issue 14, item 1: a contract part lost to an outage (500 on `comptage_auto` or
/// `situation_contrat_auto`) is retried like data; the contract is not marked as read, so the
/// next sync asks again; a known contract is never replaced by a partial one.
#[tokio::test]
async fn a_failed_contract_part_is_retried_and_never_stored_half_read() {
    let pdl = "22516914714270";
    let clock = Arc::new(ManualClock::new(at(NOW)));
    let s = stack(clock.clone()).await;
    let dir = dir("contract");
    login(&s, &dir, 0, &[pdl]).await;
    let contract = || {
        let store = Store::open(&dir.path().join("linky.db")).unwrap();
        let m = store
            .meters()
            .unwrap()
            .into_iter()
            .find(|m| m.pdl.as_str() == pdl)
            .unwrap();
        (m.contract_offpeak, m.subscribed_kva, m.contract_read_at)
    };
    let failing = |path: &str| FaultSet {
        faults: vec![Fault::Error {
            rate: 1.0,
            scope: Scope {
                pdl: None,
                path: Some(format!("{path}/{pdl}")),
            },
        }],
    };
    // The first part a new meter's contract reads is the synthesis (issue 17).
    s.sim.set_faults(failing("/synth_contrat_auto/v1"));
    let r = sync(&dir, clock.clone(), &short()).await;
    assert!(
        r.errors.get("unavailable").copied().unwrap_or(0) > 1,
        "retried: {:?}",
        r.errors
    );
    let (offpeak, _, read_at) = contract();
    assert_eq!((offpeak, read_at), (None, None), "not stored half read");
    assert!(
        s.sim
            .requests()
            .iter()
            .filter(|q| q.path.starts_with("/synth_contrat_auto"))
            .count()
            > 1,
        "the failed part was asked again"
    );

    s.sim.set_faults(FaultSet::default());
    // One part per sync (issue 17): the activation date, the off-peak hours, the subscribed
    // power.
    for _ in 0..3 {
        clock.advance(Duration::hours(1));
        sync(&dir, clock.clone(), &short()).await;
    }
    let (offpeak, kva, read_at) = contract();
    assert_eq!(offpeak.as_deref(), Some("HC (22H30-6H30)"));
    assert_eq!(kva, Some(9));
    let first_read = read_at.unwrap();

    // A month later the re-read (of the oldest part, the synthesis) fails: what was known
    // stays, still stale.
    clock.advance(Duration::days(31));
    s.sim.set_faults(failing("/synth_contrat_auto/v1"));
    sync(&dir, clock.clone(), &short()).await;
    assert_eq!(
        contract(),
        (
            Some("HC (22H30-6H30)".to_owned()),
            Some(9),
            Some(first_read)
        )
    );
}

/// `comptage_auto` is sold apart, and the real server answered 403 to an application without it:
/// the contract's off-peak hours are then read as unknown, the consent is not lost, the data
/// still comes, and the part is not asked again every run.
#[tokio::test]
async fn a_403_on_the_off_peak_part_is_no_lost_consent() {
    let pdl = "22516914714270";
    let clock = Arc::new(ManualClock::new(at(NOW)));
    let mut options = StackOptions::new(clock.clone());
    options.sim.quota = Quota {
        per_second: 100_000,
        per_hour: 1_000_000,
    };
    options.sim.comptage_subscribed = false;
    let s = Stack::start(options).await.unwrap();
    let dir = dir("comptage");
    login(&s, &dir, 0, &[pdl]).await;
    // One contract part a run: the synthesis, the off-peak hours, the subscribed power; then
    // two more runs in which no part is due.
    let mut reports = Vec::new();
    for _ in 0..5 {
        reports.push(sync(&dir, clock.clone(), &short()).await);
        clock.advance(Duration::hours(1));
    }
    for r in &reports {
        assert!(r.consent_lost.is_empty(), "{:?}", r.consent_lost);
        assert!(r.contracts_unread.is_empty(), "{:?}", r.contracts_unread);
    }
    let comptage: Vec<u16> = s
        .sim
        .requests()
        .iter()
        .filter(|q| q.path.starts_with("/comptage_auto"))
        .map(|q| q.status)
        .collect();
    // One call of the client in five runs (the proxy's Enedis client asks once more with a
    // renewed application token, since Enedis also says 403 for an unknown token).
    assert!(
        !comptage.is_empty() && comptage.len() <= 2 && comptage.iter().all(|s| *s == 403),
        "asked once, then known as unavailable: {comptage:?}"
    );
    let store = Store::open(&dir.path().join("linky.db")).unwrap();
    let meter = store
        .meters()
        .unwrap()
        .into_iter()
        .find(|m| m.pdl.as_str() == pdl)
        .unwrap();
    assert_eq!(meter.contract_offpeak, None);
    assert_eq!(meter.subscribed_kva, Some(9), "the other parts are read");
    assert!(
        store.count(linky_store::StoredTable::CurvePoints).unwrap() > 0,
        "the data still comes"
    );
}

/// Issue 14, item 2: an HTML 4xx page (a reverse proxy's 404, a captive portal) is not an Enedis
/// answer: it never marks days absent nor touches days already stored; once it is gone, the
/// next syncs complete the history as a clean run would.
#[tokio::test]
async fn an_html_page_is_a_failure_retried_never_an_absence() {
    let pdl = "22516914714270";
    let clock = Arc::new(ManualClock::new(at(NOW)));
    let s = stack(clock.clone()).await;
    let dir = dir("html");
    login(&s, &dir, 0, &[pdl]).await;
    let first = sync(&dir, clock.clone(), &short()).await;
    complete(&first, pdl, Direction::Consumption);

    // Nine days pass behind a broken reverse proxy.
    s.sim.set_faults(FaultSet {
        faults: vec![Fault::Html {
            status: 404,
            rate: 1.0,
            scope: Scope::default(),
        }],
    });
    clock.advance(Duration::days(9));
    let broken = sync(&dir, clock.clone(), &short()).await;
    for kind in [Kind::Curve, Kind::Daily, Kind::MaxPower] {
        let sum = series(&broken, pdl, Direction::Consumption, kind);
        assert!(sum.absent.is_empty(), "{kind:?}: {sum:?}");
        assert!(
            sum.failed >= 9,
            "{kind:?}: the new days failed, to be retried: {sum:?}"
        );
        assert!(
            sum.fetched >= sum.failed.min(5),
            "{kind:?}: stored days kept: {sum:?}"
        );
    }
    assert!(
        s.sim
            .requests()
            .iter()
            .any(|r| r.fault.as_deref() == Some("html")),
        "the HTML page was served"
    );

    // Fixed: after the retry delay, everything is there.
    s.sim.set_faults(FaultSet::default());
    clock.advance(Duration::hours(2));
    let fixed = sync(&dir, clock.clone(), &short()).await;
    complete(&fixed, pdl, Direction::Consumption);
}

/// Issue 14, item 4: a peer that takes the connection and never answers: each call gives up
/// at its timeout, a timed-out call is not asked again at once, the run stops after a few
/// windows instead of holding for half an hour, and no stored day is marked failed.
#[tokio::test]
async fn a_silent_peer_cannot_hold_a_sync_nor_downgrade_stored_days() {
    let pdl = "22516914714270";
    let clock = Arc::new(ManualClock::new(at(NOW)));
    let s = stack(clock.clone()).await;
    let dir = dir("silent");
    login(&s, &dir, 0, &[pdl]).await;
    complete(
        &sync(&dir, clock.clone(), &short()).await,
        pdl,
        Direction::Consumption,
    );
    // The contract's other parts, one per sync, so that only data calls remain below.
    for _ in 0..2 {
        clock.advance(Duration::minutes(30));
        sync(&dir, clock.clone(), &short()).await;
    }

    s.sim.set_faults(FaultSet {
        faults: vec![Fault::Latency {
            ms: 3_000,
            scope: Scope::default(),
        }],
    });
    clock.advance(Duration::days(3));
    let started = std::time::Instant::now();
    let timeout = std::time::Duration::from_millis(300);
    let r = sync_with_timeout(&dir, clock.clone(), &short(), timeout, ZERO).await;
    let took = started.elapsed();
    // One call per window, never asked again at once after a timeout.
    assert_eq!(
        r.errors.get("timeout").copied(),
        Some(r.windows),
        "{:?}",
        r.errors
    );
    // Yesterday's curve and peak; the daily totals wait for a whole week (issue 17).
    assert!(r.windows >= 2, "{r:?}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    for kind in [Kind::Curve, Kind::Daily, Kind::MaxPower] {
        let sum = series(&r, pdl, Direction::Consumption, kind);
        assert!(sum.fetched >= 10, "{kind:?}: stored days kept: {sum:?}");
        assert!(sum.absent.is_empty(), "{kind:?}: {sum:?}");
    }

    // A run also has a deadline of its own.
    clock.advance(Duration::hours(2));
    let tight = RunSettings {
        deadline: std::time::Duration::ZERO,
        ..short()
    };
    let r = sync_with_timeout(&dir, clock.clone(), &tight, timeout, ZERO).await;
    assert!(
        matches!(&r.stopped, Some(linky_sync::Stop::Unavailable(why)) if why.contains("next run")),
        "{:?}",
        r.stopped
    );

    s.sim.set_faults(FaultSet::default());
    clock.advance(Duration::hours(2));
    complete(
        &sync(&dir, clock.clone(), &short()).await,
        pdl,
        Direction::Consumption,
    );
}

/// A proxy that answers every request with 502, as a reverse proxy does while the service
/// behind it restarts.
async fn failing_proxy() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    url
}

/// Issue 14, item 3 (the client's side): a renewal that fails on the way (a 502, a lost
/// answer) is not "access refused, run linky login": the run counts a passing failure, the
/// refresh token is kept, and the next run renews with it.
#[tokio::test]
async fn a_failing_renewal_is_retried_not_reported_as_refused() {
    let pdl = "22516914714270";
    let clock = Arc::new(ManualClock::new(at(NOW)));
    let s = stack(clock.clone()).await;
    let dir = dir("renewal");
    login(&s, &dir, 0, &[pdl]).await;
    let path = dir.path().join("tokens.json");
    let mut file = TokenFile::load(&path).unwrap();
    let (real, refresh) = (
        file.families[0].proxy_url.clone(),
        file.families[0].refresh_token.clone(),
    );
    file.families[0].expires_at = at(NOW) - Duration::hours(1);
    file.families[0].proxy_url = failing_proxy().await;
    file.save(&path).unwrap();

    let r = sync(&dir, clock.clone(), &short()).await;
    assert!(
        !matches!(r.stopped, Some(linky_sync::Stop::Unauthorized(_))),
        "{:?}",
        r.stopped
    );
    assert!(r.errors.contains_key("transport"), "{:?}", r.errors);
    let kept = TokenFile::load(&path).unwrap();
    assert_eq!(kept.families[0].refresh_token, refresh);

    let mut file = kept;
    file.families[0].proxy_url = real;
    file.save(&path).unwrap();
    clock.advance(Duration::hours(2));
    complete(
        &sync(&dir, clock.clone(), &short()).await,
        pdl,
        Direction::Consumption,
    );
    assert_ne!(
        TokenFile::load(&path).unwrap().families[0].refresh_token,
        refresh
    );
}

/// Syncs a faulty set-up every 61 minutes until nothing is failed or missing (faults cleared
/// after five runs), then once more with a clean twin at the same time; their stores must be
/// the same, contract included.
async fn converges_like_a_clean_run(name: &str, faults: FaultSet, per_second: u32) {
    let pdl = "12655648759651";
    let clean_clock = Arc::new(ManualClock::new(at(NOW)));
    let clean = stack(clean_clock.clone()).await;
    let clean_dir = dir(&format!("matrix-clean-{name}"));
    login(&clean, &clean_dir, 6, &[pdl]).await;
    sync(&clean_dir, clean_clock.clone(), &short()).await;

    let clock = Arc::new(ManualClock::new(at(NOW)));
    let mut options = StackOptions::new(clock.clone());
    options.sim.quota = Quota {
        per_second,
        per_hour: 1_000_000,
    };
    let faulty = Stack::start(options).await.unwrap();
    let faulty_dir = dir(&format!("matrix-{name}"));
    login(&faulty, &faulty_dir, 6, &[pdl]).await;
    faulty.sim.set_faults(faults);
    // A per-second quota only resets when time passes: the faulty clock then ticks a second
    // every 20 ms while the syncs run.
    let ticker = (per_second < 100).then(|| {
        let clock = clock.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                clock.advance(Duration::seconds(1));
            }
        })
    });
    let mut runs = 0;
    loop {
        runs += 1;
        let r = sync(&faulty_dir, clock.clone(), &short()).await;
        let unfinished = r.series.iter().any(|s| s.failed > 0 || s.missing > 0)
            || r.stopped.is_some()
            || !r.contracts_unread.is_empty();
        if !unfinished && runs > 1 {
            break;
        }
        assert!(runs < 20, "{name}: the faults never cleared: {r:?}");
        clock.advance(Duration::minutes(61));
        clean_clock.advance(Duration::minutes(61));
        if runs == 5 {
            faulty.sim.set_faults(FaultSet::default());
        }
    }
    if let Some(ticker) = ticker {
        ticker.abort();
        clean_clock.set(clock.now());
    }
    // Enough runs for every part of the contract (one per run) on both sides.
    for _ in 0..3 {
        sync(&clean_dir, clean_clock.clone(), &short()).await;
        sync(&faulty_dir, clock.clone(), &short()).await;
    }
    let open = |d: &Dir| Store::open(&d.path().join("linky.db")).unwrap();
    let (a, b) = (open(&clean_dir), open(&faulty_dir));
    assert_eq!(
        a.fingerprint().unwrap(),
        b.fingerprint().unwrap(),
        "{name}: after {runs} runs"
    );
    let contract = |s: &Store| {
        let m = s.meters().unwrap().remove(0);
        (m.contract_offpeak, m.subscribed_kva, m.activation_date)
    };
    assert_eq!(contract(&a), contract(&b), "{name}: the contract");
}

/// Issue 14: the fault matrix. Each fault alone, then all together (500s, cut connections,
/// truncated bodies, HTML pages, failing contract paths, the per-second quota), ends in the same
/// store as a clean run.
#[tokio::test]
async fn every_fault_alone_and_all_together_end_like_a_clean_run() {
    let everywhere = Scope::default;
    let on = |path: &str| Scope {
        pdl: None,
        path: Some(format!("{path}/12655648759651")),
    };
    let contract = || {
        vec![
            Fault::Error {
                rate: 1.0,
                scope: on("/comptage_auto/v1"),
            },
            Fault::Error {
                rate: 1.0,
                scope: on("/situation_contrat_auto/v1"),
            },
        ]
    };
    let all: Vec<Fault> = [
        Fault::Error {
            rate: 0.3,
            scope: everywhere(),
        },
        Fault::Reset {
            rate: 0.1,
            scope: everywhere(),
        },
        Fault::Truncate {
            rate: 0.1,
            scope: everywhere(),
        },
        Fault::Html {
            status: 404,
            rate: 0.1,
            scope: everywhere(),
        },
    ]
    .into_iter()
    .chain(contract())
    .collect();
    let matrix: Vec<(&str, Vec<Fault>, u32)> = vec![
        (
            "errors",
            vec![Fault::Error {
                rate: 0.5,
                scope: everywhere(),
            }],
            100_000,
        ),
        (
            "resets",
            vec![Fault::Reset {
                rate: 0.3,
                scope: everywhere(),
            }],
            100_000,
        ),
        (
            "truncated",
            vec![Fault::Truncate {
                rate: 0.3,
                scope: everywhere(),
            }],
            100_000,
        ),
        (
            "html",
            vec![Fault::Html {
                status: 404,
                rate: 0.3,
                scope: everywhere(),
            }],
            100_000,
        ),
        ("contract", contract(), 100_000),
        ("quota", Vec::new(), 2),
        ("all", all, 3),
    ];
    for (name, faults, per_second) in matrix {
        converges_like_a_clean_run(name, FaultSet { faults }, per_second).await;
    }
}
