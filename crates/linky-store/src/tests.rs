use super::*;
use std::collections::BTreeMap;

use chrono::{Duration, TimeZone};
use linky_core::Step;
use linky_core::{DailyEnergy, Energy, LoadCurvePoint, MaxPower, UsagePoint};

fn pdl() -> UsagePoint {
    "22516914714270".parse().unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
}

fn day(s: &str) -> NaiveDate {
    parse_day(s).unwrap()
}

fn points_of(d: NaiveDate, step: Step, watts: u32) -> Vec<LoadCurvePoint> {
    let (start, end) = paris::day_bounds(d);
    let mut out = Vec::new();
    let mut t = start + step.duration();
    while t <= end {
        out.push(LoadCurvePoint {
            end: t,
            step,
            watts,
        });
        t += step.duration();
    }
    out
}

fn fetched(d: NaiveDate) -> DayOutcome {
    DayOutcome::fetched(d)
}

#[test]
fn windows_are_written_whole_and_refetches_replace_points() {
    let mut s = Store::in_memory().unwrap();
    s.add_meter(&pdl(), now()).unwrap();
    s.add_meter(&pdl(), now()).unwrap();
    assert_eq!(s.meters().unwrap().len(), 1);
    let d1 = day("2025-10-26");
    let d2 = day("2025-10-27");
    let mut points = points_of(d1, Step::PT30M, 500);
    points.extend(points_of(d2, Step::PT30M, 500));
    s.record_window(
        &pdl(),
        Direction::Consumption,
        Kind::Curve,
        &WindowData::Curve(points),
        &[fetched(d1), fetched(d2)],
        now(),
    )
    .unwrap();
    assert_eq!(
        s.count(StoredTable::CurvePoints).unwrap(),
        50 + 48,
        "the 25-hour day keeps its 50 points"
    );
    // A refetch at another step replaces the day's points instead of mixing them.
    s.record_window(
        &pdl(),
        Direction::Consumption,
        Kind::Curve,
        &WindowData::Curve(points_of(d1, Step::ALL[4], 700)),
        &[fetched(d1)],
        now(),
    )
    .unwrap();
    assert_eq!(s.count(StoredTable::CurvePoints).unwrap(), 25 + 48);
    let (start, end) = paris::day_bounds(d1);
    let curve = s.curve(&pdl(), Direction::Consumption, start, end).unwrap();
    assert_eq!(curve.energy(), Energy::from_wh(25 * 700));
    let ledger = s
        .ledger(&pdl(), Direction::Consumption, Kind::Curve, d1, d2)
        .unwrap();
    assert_eq!(ledger.len(), 2);
    assert!(ledger.values().all(|e| e.state == DayState::Fetched));
}

#[test]
fn ledger_counts_attempts_and_keeps_reasons() {
    let mut s = Store::in_memory().unwrap();
    let d = day("2026-11-20");
    let failed = DayOutcome {
        day: d,
        state: DayState::Failed,
        reason: Some("technical_error".into()),
        next_try_at: Some(now() + Duration::hours(1)),
    };
    for expected in 1..=3 {
        s.record_window(
            &pdl(),
            Direction::Production,
            Kind::Daily,
            &WindowData::Nothing,
            std::slice::from_ref(&failed),
            now(),
        )
        .unwrap();
        let e = &s
            .ledger(&pdl(), Direction::Production, Kind::Daily, d, d)
            .unwrap()[&d];
        assert_eq!(
            (e.attempts, e.reason.as_deref(), e.next_try_at),
            (
                expected,
                Some("technical_error"),
                Some(now() + Duration::hours(1))
            )
        );
    }
    let value = DailyEnergy {
        date: d,
        energy: Energy::from_wh(1234),
    };
    s.record_window(
        &pdl(),
        Direction::Production,
        Kind::Daily,
        &WindowData::Daily(vec![value]),
        &[fetched(d)],
        now(),
    )
    .unwrap();
    let e = &s
        .ledger(&pdl(), Direction::Production, Kind::Daily, d, d)
        .unwrap()[&d];
    assert_eq!((e.state, e.attempts), (DayState::Fetched, 0));
    assert_eq!(
        s.daily(&pdl(), Direction::Production, d, d).unwrap(),
        vec![value]
    );
    let counts = s
        .state_counts(&pdl(), Direction::Production, Kind::Daily)
        .unwrap();
    assert_eq!(counts[&(DayState::Fetched, None)], 1);
}

#[test]
fn meters_contracts_consents_absences_runs() {
    let mut s = Store::in_memory().unwrap();
    s.add_meter(&pdl(), now()).unwrap();
    let facts = ContractFacts {
        activation_date: Some(day("2019-08-27")),
        subscribed_kva: Some(9),
        offpeak: Some("HC (22H00-6H00)".into()),
        directions: None,
    };
    s.set_contract(&pdl(), &ContractRead::whole(facts), now())
        .unwrap();
    s.set_consent(&pdl(), Some(now() + Duration::days(1000)))
        .unwrap();
    s.mark_consent_lost(&pdl(), "ADAM-DC-0008", now()).unwrap();
    let m = &s.meters().unwrap()[0];
    assert_eq!(
        (
            m.activation_date,
            m.subscribed_kva,
            m.contract_offpeak.as_deref()
        ),
        (Some(day("2019-08-27")), Some(9), Some("HC (22H00-6H00)"))
    );
    assert_eq!(
        m.consent_lost.as_ref().map(|l| l.1.as_str()),
        Some("ADAM-DC-0008")
    );
    s.set_consent(&pdl(), None).unwrap();
    assert!(
        s.meters().unwrap()[0].consent_lost.is_none(),
        "a new consent clears the loss"
    );
    s.set_absence(
        &pdl(),
        Direction::Production,
        Kind::Curve,
        Some(("wrong_direction", now())),
    )
    .unwrap();
    assert_eq!(s.absences(&pdl()).unwrap()[0].reason, "wrong_direction");
    s.set_absence(&pdl(), Direction::Production, Kind::Curve, None)
        .unwrap();
    assert!(s.absences(&pdl()).unwrap().is_empty());
    let peak = MaxPower {
        date: day("2026-11-20"),
        at: day("2026-11-20").and_hms_opt(19, 3, 2).unwrap(),
        volt_amperes: 6100,
    };
    s.record_window(
        &pdl(),
        Direction::Consumption,
        Kind::MaxPower,
        &WindowData::Peaks(vec![peak]),
        &[fetched(peak.date)],
        now(),
    )
    .unwrap();
    assert_eq!(
        s.max_power(&pdl(), peak.date, peak.date).unwrap(),
        vec![peak]
    );
    s.set_state("daemon.next_sync", "2026-11-29T08:17:00Z")
        .unwrap();
    assert_eq!(
        s.state("daemon.next_sync").unwrap().as_deref(),
        Some("2026-11-29T08:17:00Z")
    );
    assert_eq!(s.state("missing").unwrap(), None);
    assert_eq!(
        s.fetched_range(&pdl(), Direction::Consumption, Kind::MaxPower)
            .unwrap(),
        Some((peak.date, peak.date, 1))
    );
    let run = s.begin_run(now()).unwrap();
    s.finish_run(run, now(), RunOutcome::Ok, 12, &BTreeMap::new(), "{}")
        .unwrap();
    assert_eq!(s.last_run().unwrap(), Some((now(), RunOutcome::Ok, 12)));
    let run = s.begin_run(now()).unwrap();
    let errors = BTreeMap::from([("quota".to_owned(), 2), ("unavailable".to_owned(), 1)]);
    s.finish_run(
        run,
        now() + chrono::Duration::hours(1),
        RunOutcome::Quota,
        5,
        &errors,
        "",
    )
    .unwrap();
    let all = s.run_totals(None).unwrap();
    assert_eq!(all.calls, 17);
    assert_eq!(all.outcomes[&RunOutcome::Ok], 1);
    assert_eq!(all.outcomes[&RunOutcome::Quota], 1);
    assert_eq!(all.errors["quota"], 2);
    assert_eq!(all.errors["unavailable"], 1);
    let later = s
        .run_totals(Some(now() + chrono::Duration::minutes(30)))
        .unwrap();
    assert_eq!(later.calls, 5);
}

#[test]
fn file_store_is_private_and_reopens() {
    let dir = std::env::temp_dir().join(format!("linky-store-{}", std::process::id()));
    let path = dir.join("sub").join("linky.db");
    {
        let s = Store::open(&path).unwrap();
        s.add_meter(&pdl(), now()).unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.meters().unwrap().len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_failures_say_what_happened_and_what_to_do() {
    use linky_core::{Lang, Localized};
    use rusqlite::ffi;
    let failure = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    let path = std::path::Path::new("/data/linky.db");
    let full = StoreError::from(failure(ffi::SQLITE_FULL)).at(path);
    assert!(matches!(full, StoreError::DiskFull(_)));
    assert!(full
        .to_string()
        .contains("the disk holding the data file /data/linky.db is full"));
    assert!(full.to_string().contains("nothing stored was lost"));
    assert!(full
        .localized(Lang::Fr)
        .contains("le disque qui porte le fichier de données /data/linky.db est plein"));
    let read_only = StoreError::from(failure(ffi::SQLITE_READONLY)).at(path);
    assert!(
        read_only.to_string().contains("cannot be written")
            && read_only.to_string().contains("--data-dir")
    );
    let damaged = StoreError::from(failure(ffi::SQLITE_NOTADB)).at(path);
    assert!(damaged.to_string().contains("linky doctor --repair"));
    assert!(damaged.localized(Lang::Fr).contains("endommagé"));
}

#[test]
fn the_dashboards_open_reads_and_never_writes() {
    let dir = std::env::temp_dir().join(format!("linky-store-ro-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("linky.db");
    // No file yet: created once, as the normal open does.
    let s = Store::open_for_reading(&path).unwrap();
    assert!(s.meters().unwrap().is_empty());
    drop(s);
    Store::open(&path)
        .unwrap()
        .add_meter(&pdl(), now())
        .unwrap();
    let s = Store::open_for_reading(&path).unwrap();
    assert_eq!(s.meters().unwrap().len(), 1);
    assert!(
        s.add_meter(&"10284856584123".parse().unwrap(), now())
            .is_err(),
        "read only"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The facts older versions wrote as text read back through the typed accessors.
#[test]
fn state_written_by_earlier_versions_reads_typed() {
    let s = Store::in_memory().unwrap();
    s.set_state("daemon.next_sync", "2026-11-29T08:17:00Z")
        .unwrap();
    s.set_state("sync.depth", "730 1095 1095").unwrap();
    s.set_state("daemon.consent_warnings", "12345678901234:30")
        .unwrap();
    s.set_state(
        "domoticz.last_push",
        r#"{"at":"2026-10-31T08:30:00Z","ok":true,"devices":[{"key":"12345678901234","idx":7,"days_sent":3,"hours_sent":48,"unchanged":0,"not_landed":0}]}"#,
    )
    .unwrap();
    assert_eq!(
        s.next_sync().unwrap(),
        Some(Utc.with_ymd_and_hms(2026, 11, 29, 8, 17, 0).unwrap())
    );
    assert_eq!(
        s.sync_depth().unwrap(),
        Some(SyncDepth {
            curve_days: 730,
            daily_days: 1095,
            max_power_days: 1095
        })
    );
    assert_eq!(s.consent_warnings().unwrap(), ["12345678901234:30"]);
    let push = s.last_push().unwrap().unwrap();
    assert!(push.ok && push.devices.as_ref().unwrap()[0].idx == 7);
    let json = serde_json::to_value(&push).unwrap();
    assert!(
        json.get("error").is_none(),
        "the same JSON as before: {json}"
    );
}

/// A store whose runs kept their errors as text (before migration 0005) gets them as rows.
#[test]
fn run_errors_written_as_text_become_rows() {
    let dir = std::env::temp_dir().join(format!("linky-store-0005-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("linky.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        crate::migrate(&mut conn, 4).unwrap();
        conn.execute(
            "INSERT INTO sync_runs (started_at, finished_at, outcome, calls, errors, details) VALUES (1, 2, 'quota', 7, 'quota=2,unavailable=1', '')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO sync_runs (started_at, finished_at, outcome, calls, errors, details) VALUES (3, 4, 'ok', 5, '', '')",
            [],
        )
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let totals = s.run_totals(None).unwrap();
    assert_eq!(totals.calls, 12);
    assert_eq!(totals.outcomes[&RunOutcome::Quota], 1);
    assert_eq!(totals.outcomes[&RunOutcome::Ok], 1);
    assert_eq!(totals.errors["quota"], 2);
    assert_eq!(totals.errors["unavailable"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn day_colours_are_kept_and_replaced() {
    use linky_core::tariff::{DayColours, EjpDay, TempoColour};
    let mut store = Store::in_memory().unwrap();
    assert_eq!(store.last_colour_day(ColourCalendar::Tempo).unwrap(), None);
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let mut colours = DayColours::default();
    colours.tempo.insert(d("2026-01-12"), TempoColour::White);
    colours.tempo.insert(d("2026-01-13"), TempoColour::Red);
    colours.ejp.insert(d("2026-01-13"), EjpDay::MobilePeak);
    store.put_day_colours(&colours).unwrap();
    let mut again = DayColours::default();
    again.tempo.insert(d("2026-01-12"), TempoColour::Blue);
    store.put_day_colours(&again).unwrap();
    colours.tempo.insert(d("2026-01-12"), TempoColour::Blue);
    assert_eq!(store.day_colours().unwrap(), colours);
    assert_eq!(
        store.last_colour_day(ColourCalendar::Tempo).unwrap(),
        Some(d("2026-01-13"))
    );
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-13T09:00:00Z")
        .unwrap()
        .to_utc();
    store.set_colours_asked_at(ColourCalendar::Ejp, at).unwrap();
    assert_eq!(
        store.colours_asked_at(ColourCalendar::Ejp).unwrap(),
        Some(at)
    );
    assert_eq!(store.colours_asked_at(ColourCalendar::Tempo).unwrap(), None);
}
