//! The runner against a scripted source: each Enedis answer maps to its action.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use enedis_protocol::error::{EnedisError, ErrorCode};
use linky_core::{
    paris, Clock, DailyEnergy, Direction, Energy, LoadCurvePoint, ManualClock, Step, UsagePoint,
};
use linky_store::{ContractFacts, ContractPart, ContractRead, DayState, Kind, Store, WindowData};
use linky_sync::{FetchError, MeterSource, Quiet, RunSettings, Runner, Stop, SyncSettings, Window};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
}

fn pdl() -> UsagePoint {
    "22516914714270".parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

type Answer = Box<dyn Fn(&Window) -> Result<WindowData, FetchError> + Send + Sync>;
type Rule = (fn(&Window) -> bool, Answer);

/// Answers by script: the first matching rule answers; the default answers with full data.
struct Scripted {
    rules: Mutex<VecDeque<Rule>>,
    calls: AtomicU32,
    asked: Mutex<Vec<Window>>,
    curve_watts: u32,
    activation: Option<NaiveDate>,
    /// The directions the contract says the meter measures (`None`: it does not say).
    directions: Mutex<Option<Vec<Direction>>>,
}

fn curve(w: &Window, watts: u32) -> Vec<LoadCurvePoint> {
    let (start, _) = paris::day_bounds(w.start);
    let (_, end) = paris::day_bounds(w.end - Duration::days(1));
    let mut out = Vec::new();
    let mut t = start + Step::PT30M.duration();
    while t <= end {
        out.push(LoadCurvePoint {
            end: t,
            step: Step::PT30M,
            watts,
        });
        t += Step::PT30M.duration();
    }
    out
}

fn full(w: &Window, curve_watts: u32) -> WindowData {
    match w.kind {
        Kind::Curve => WindowData::Curve(curve(w, curve_watts)),
        Kind::Daily => WindowData::Daily(
            w.days()
                .map(|d| DailyEnergy {
                    date: d,
                    energy: Energy::from_wh(paris::day_hours(d) * 1000),
                })
                .collect(),
        ),
        Kind::MaxPower => WindowData::Peaks(
            w.days()
                .map(|d| linky_core::MaxPower {
                    date: d,
                    at: d.and_hms_opt(19, 0, 0).unwrap(),
                    volt_amperes: 3000,
                })
                .collect(),
        ),
    }
}

impl Scripted {
    fn new() -> Scripted {
        Scripted {
            rules: Mutex::new(VecDeque::new()),
            calls: AtomicU32::new(0),
            asked: Mutex::new(Vec::new()),
            curve_watts: 1000,
            activation: None,
            directions: Mutex::new(None),
        }
    }

    fn rule(&self, when: fn(&Window) -> bool, answer: Answer) {
        self.rules.lock().unwrap().push_back((when, answer));
    }

    fn asked(&self) -> Vec<Window> {
        self.asked.lock().unwrap().clone()
    }
}

fn enedis(code: ErrorCode) -> FetchError {
    let body = serde_json::to_string(&code.body()).unwrap();
    FetchError::Enedis(EnedisError::from_response(code.status(), &body, None))
}

impl MeterSource for Scripted {
    async fn fetch(&self, w: &Window) -> Result<WindowData, FetchError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.asked.lock().unwrap().push(w.clone());
        let rules = self.rules.lock().unwrap();
        for (when, answer) in rules.iter() {
            if when(w) {
                return answer(w);
            }
        }
        if w.direction == Direction::Production {
            return Err(enedis(ErrorCode::WrongDirection));
        }
        Ok(full(w, self.curve_watts))
    }

    async fn contract(&self, _: &UsagePoint, _: ContractPart) -> Result<ContractRead, FetchError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(ContractRead::whole(ContractFacts {
            activation_date: self.activation,
            subscribed_kva: Some(9),
            offpeak: Some("HC (22H00-6H00)".into()),
            directions: self.directions.lock().unwrap().clone(),
        }))
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::Relaxed)
    }
}

fn settings() -> RunSettings {
    RunSettings {
        plan: SyncSettings {
            curve_days: 20,
            daily_days: 40,
            max_power_days: 40,
            ..SyncSettings::default()
        },
        backoff_base: std::time::Duration::from_millis(1),
        ..RunSettings::default()
    }
}

async fn sync(
    store: &mut Store,
    source: &Scripted,
    clock: &ManualClock,
    settings: &RunSettings,
) -> linky_sync::SyncReport {
    Runner::new(store, source, clock, settings, &Quiet)
        .run(&[pdl()])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_clean_first_run_then_a_daily_run() {
    let mut store = Store::in_memory().unwrap();
    let source = Scripted::new();
    let clock = ManualClock::new(now());
    let report = sync(&mut store, &source, &clock, &settings()).await;
    // contract + daily + max power + 3 curve windows + one production probe.
    assert_eq!(report.calls, 1 + 1 + 1 + 3 + 1, "{:?}", source.asked());
    let cons_curve = report
        .series
        .iter()
        .find(|s| s.kind == Kind::Curve && s.direction == Direction::Consumption)
        .unwrap();
    assert_eq!((cons_curve.fetched, cons_curve.missing), (20, 0));
    assert!(report
        .series
        .iter()
        .filter(|s| s.direction == Direction::Production)
        .all(|s| s.whole_absence.as_deref() == Some("wrong_direction")));
    // Recent windows first: yesterday is in the first calls.
    let asked = source.asked();
    assert!(asked[..3].iter().all(|w| w.end == day("2026-11-28")));
    // Next day: yesterday's curve and peak, nothing else (production is not asked again for 30
    // days; the daily totals, which only cross-check the held curve, wait for a whole week).
    clock.advance(Duration::days(1));
    let report = sync(&mut store, &source, &clock, &settings()).await;
    assert_eq!(report.calls, 2, "{:?}", &source.asked()[7..]);
    // A week later, the week's totals come in one call with that day's curve and peak.
    let mut calls = Vec::new();
    for _ in 0..6 {
        clock.advance(Duration::days(1));
        calls.push(sync(&mut store, &source, &clock, &settings()).await.calls);
    }
    assert_eq!(calls, [2, 2, 2, 2, 2, 3], "{:?}", &source.asked()[9..]);
}

#[tokio::test]
async fn activation_boundary_is_found_by_halving() {
    let mut store = Store::in_memory().unwrap();
    let source = Scripted::new();
    source.rule(
        |w| w.start < day("2026-11-15"),
        Box::new(|_| Err(enedis(ErrorCode::BeforeActivation))),
    );
    let clock = ManualClock::new(now());
    let s = RunSettings {
        plan: SyncSettings {
            curve_days: 20,
            daily_days: 20,
            max_power_days: 20,
            ..SyncSettings::default()
        },
        ..settings()
    };
    sync(&mut store, &source, &clock, &s).await;
    let ledger = store
        .ledger(
            &pdl(),
            Direction::Consumption,
            Kind::Daily,
            day("2026-11-08"),
            day("2026-11-27"),
        )
        .unwrap();
    assert!(ledger
        .range(day("2026-11-15")..)
        .all(|(_, e)| e.state == DayState::Fetched));
    assert!(ledger
        .range(..day("2026-11-15"))
        .all(|(_, e)| e.reason.as_deref() == Some("before_activation")));
    assert_eq!(ledger.len(), 20);
}

#[tokio::test]
async fn transient_failures_retry_then_the_days_wait() {
    let mut store = Store::in_memory().unwrap();
    let source = Scripted::new();
    source.rule(
        |w| w.kind == Kind::Daily,
        Box::new(|_| Err(FetchError::Transport("connection reset".into()))),
    );
    let clock = ManualClock::new(now());
    let report = sync(&mut store, &source, &clock, &settings()).await;
    let daily = report
        .series
        .iter()
        .find(|s| s.kind == Kind::Daily && s.direction == Direction::Consumption)
        .unwrap();
    assert_eq!(daily.failed, 40);
    let daily_calls = source
        .asked()
        .iter()
        .filter(|w| w.kind == Kind::Daily && w.direction == Direction::Consumption)
        .count();
    assert_eq!(daily_calls, 4, "one call and three retries");
    // Not asked again before the retry time; asked and stored after it.
    source.rules.lock().unwrap().clear();
    let before = source.asked().len();
    clock.advance(Duration::minutes(30));
    let _ = sync(&mut store, &source, &clock, &settings()).await;
    assert!(!source.asked()[before..]
        .iter()
        .any(|w| w.kind == Kind::Daily && w.direction == Direction::Consumption));
    clock.advance(Duration::minutes(31));
    let report = sync(&mut store, &source, &clock, &settings()).await;
    let daily = report
        .series
        .iter()
        .find(|s| s.kind == Kind::Daily && s.direction == Direction::Consumption)
        .unwrap();
    assert_eq!((daily.fetched, daily.failed), (40, 0));
    // A second failure waits twice as long.
    let mut store = Store::in_memory().unwrap();
    source.rule(
        |w| w.kind == Kind::Daily,
        Box::new(|_| Err(FetchError::Transport("connection reset".into()))),
    );
    let _ = sync(&mut store, &source, &clock, &settings()).await;
    clock.advance(Duration::minutes(61));
    let _ = sync(&mut store, &source, &clock, &settings()).await;
    let d = day("2026-11-20");
    let entry = &store
        .ledger(&pdl(), Direction::Consumption, Kind::Daily, d, d)
        .unwrap()[&d];
    assert_eq!(entry.attempts, 2);
    assert_eq!(entry.next_try_at, Some(clock.now() + Duration::hours(2)));
}

#[tokio::test]
async fn consent_loss_stops_the_meter_and_tells() {
    let mut store = Store::in_memory().unwrap();
    let source = Scripted::new();
    source.rule(|_| true, Box::new(|_| Err(enedis(ErrorCode::NoConsent))));
    let clock = ManualClock::new(now());
    let report = sync(&mut store, &source, &clock, &settings()).await;
    assert_eq!(report.consent_lost.len(), 1);
    assert_eq!(
        report.calls, 2,
        "contract, then one data call: nothing more for that meter"
    );
    assert!(store.meters().unwrap()[0]
        .consent_lost
        .as_ref()
        .unwrap()
        .1
        .contains("ADAM-DC-0008"));
}

#[tokio::test]
async fn quota_and_outage_stop_the_run() {
    let mut store = Store::in_memory().unwrap();
    let source = Scripted::new();
    source.rule(
        |_| true,
        Box::new(|_| {
            Err(FetchError::Enedis(EnedisError {
                status: 429,
                code: "900804".into(),
                description: "quota".into(),
                next_access_time: Some("2026-Nov-28 11:00:00+0000 UTC".into()),
            }))
        }),
    );
    let clock = ManualClock::new(now());
    let s = RunSettings {
        max_quota_wait: std::time::Duration::from_secs(60),
        ..settings()
    };
    let report = sync(&mut store, &source, &clock, &s).await;
    assert!(
        matches!(report.stopped, Some(Stop::Quota(Some(_)))),
        "an hour's wait is beyond the run's patience"
    );
    assert_eq!(report.calls, 2);
    // Every failed call is counted by kind (here the data call; the contract was read) and
    // kept with the run.
    assert_eq!(report.errors.get("quota"), Some(&1), "{:?}", report.errors);
    let totals = store.run_totals(None).unwrap();
    assert_eq!(totals.errors.get("quota"), Some(&1));
    assert_eq!(
        totals.outcomes.get(&linky_store::RunOutcome::Quota),
        Some(&1)
    );

    let mut store = Store::in_memory().unwrap();
    let source = Scripted::new();
    source.rule(
        |_| true,
        Box::new(|_| Err(enedis(ErrorCode::TechnicalError))),
    );
    let report = sync(&mut store, &source, &clock, &settings()).await;
    assert!(matches!(report.stopped, Some(Stop::Unavailable(_))));
    assert_eq!(
        report.calls,
        1 + 5 * 4,
        "five failing windows, each tried four times, then the run stops"
    );
    assert_eq!(
        report.errors.get("unavailable"),
        Some(&(report.calls - 1)),
        "all but the contract"
    );
}

#[tokio::test]
async fn a_disagreeing_daily_total_is_fetched_again_once_then_flagged() {
    let mut store = Store::in_memory().unwrap();
    let mut source = Scripted::new();
    source.curve_watts = 1100; // 10 % more than the daily totals
    let clock = ManualClock::new(now());
    let s = RunSettings {
        plan: SyncSettings {
            curve_days: 7,
            daily_days: 7,
            max_power_days: 7,
            ..SyncSettings::default()
        },
        ..settings()
    };
    let report = sync(&mut store, &source, &clock, &s).await;
    let curve = report
        .series
        .iter()
        .find(|s| s.kind == Kind::Curve && s.direction == Direction::Consumption)
        .unwrap();
    assert_eq!(curve.mismatch, 7, "fetched twice, still different: flagged");
    let curve_calls = source
        .asked()
        .iter()
        .filter(|w| w.kind == Kind::Curve && w.direction == Direction::Consumption)
        .count();
    assert_eq!(curve_calls, 2, "one refetch, not more");
    clock.advance(Duration::hours(3));
    let again = sync(&mut store, &source, &clock, &s).await;
    assert_eq!(again.calls, 0, "flagged days are not asked again");
}

#[tokio::test]
async fn not_yet_published_days_are_asked_again_later_the_same_day() {
    let mut store = Store::in_memory().unwrap();
    let source = Scripted::new();
    // Yesterday is late.
    source.rule(
        |w| w.end == day("2026-11-28"),
        Box::new(|w| {
            let mut data = full(w, 1000);
            match &mut data {
                WindowData::Curve(points) => {
                    points.retain(|p| paris::local_date(p.start()) < day("2026-11-27"))
                }
                WindowData::Daily(days) => days.retain(|d| d.date < day("2026-11-27")),
                WindowData::Peaks(days) => days.retain(|d| d.date < day("2026-11-27")),
                WindowData::Nothing => {}
            }
            Ok(data)
        }),
    );
    let clock = ManualClock::new(now());
    let report = sync(&mut store, &source, &clock, &settings()).await;
    let daily = report
        .series
        .iter()
        .find(|s| s.kind == Kind::Daily && s.direction == Direction::Consumption)
        .unwrap();
    assert_eq!((daily.fetched, daily.not_published), (39, 1));
    source.rules.lock().unwrap().clear();
    clock.advance(Duration::hours(3));
    let report = sync(&mut store, &source, &clock, &settings()).await;
    // The curve and the peak are asked again; the daily total, which only cross-checks the
    // held curve, waits for its weekly call (issue 17).
    assert_eq!(report.calls, 2, "one window per series for the late day");
    assert!(report
        .series
        .iter()
        .filter(|s| s.direction == Direction::Consumption && s.kind != Kind::Daily)
        .all(|s| s.not_published == 0));
}

/// The contract's synthesis says which directions a meter measures: a direction it lacks is
/// never probed, and one it measures again (new solar panels) is fetched at the next read.
#[tokio::test]
async fn the_contract_tells_which_directions_to_ask() {
    let mut store = Store::in_memory().unwrap();
    let source = Scripted::new();
    *source.directions.lock().unwrap() = Some(vec![Direction::Consumption]);
    let clock = ManualClock::new(now());
    let report = sync(&mut store, &source, &clock, &settings()).await;
    assert!(
        source
            .asked()
            .iter()
            .all(|w| w.direction == Direction::Consumption),
        "no production probe: {:?}",
        source.asked()
    );
    assert!(report
        .series
        .iter()
        .filter(|s| s.direction == Direction::Production)
        .all(|s| s.whole_absence.as_deref() == Some("wrong_direction")));
    // Two months later the contract, read again, says the meter now produces.
    *source.directions.lock().unwrap() = Some(vec![Direction::Consumption, Direction::Production]);
    clock.advance(Duration::days(61));
    let before = source.asked().len();
    sync(&mut store, &source, &clock, &settings()).await;
    assert!(
        source.asked()[before..]
            .iter()
            .any(|w| w.direction == Direction::Production),
        "production asked once the contract says it exists"
    );
}
