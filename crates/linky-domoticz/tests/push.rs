//! Pushing from a real store into the Domoticz test double over loopback HTTP; assertions on
//! the double's tables, as on a real domoticz.db.

use std::net::SocketAddr;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domoticz_double::{DomoticzDouble, DoubleOptions, RunningDouble, Version};
use linky_core::offpeak::OffPeakSchedule;
use linky_core::{paris, DailyEnergy, Direction, Energy, LoadCurvePoint, Step, UsagePoint};
use linky_domoticz::client::{Auth, Connection, Domoticz, DomoticzError};
use linky_domoticz::push::{push_meter, DeviceOrigin, MeterPush, PushSettings};
use linky_store::{DayOutcome, Kind, Store, WindowData};

const PDL: &str = "22516914714270";

fn now() -> DateTime<Utc> {
    paris::TZ
        .with_ymd_and_hms(2026, 11, 27, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Seven days of curve (slot h at 100·(h+1) W) and thirty days of daily totals.
fn store() -> Store {
    let pdl = PDL.parse::<UsagePoint>().unwrap();
    let mut s = Store::in_memory().unwrap();
    s.add_meter(&pdl, now()).unwrap();
    let first = day("2026-11-20");
    let mut points = Vec::new();
    let mut outcomes = Vec::new();
    for d in first.iter_days().take(7) {
        let (from, to) = paris::day_bounds(d);
        let mut end = from + Duration::minutes(30);
        while end <= to {
            let h: u32 = (end - Duration::minutes(1))
                .with_timezone(&paris::TZ)
                .format("%H")
                .to_string()
                .parse()
                .unwrap();
            points.push(LoadCurvePoint {
                end,
                step: Step::PT30M,
                watts: 100 * (h + 1),
            });
            end += Duration::minutes(30);
        }
        outcomes.push(fetched(d));
    }
    s.record_window(
        &pdl,
        Direction::Consumption,
        Kind::Curve,
        &WindowData::Curve(points),
        &outcomes,
        now(),
    )
    .unwrap();
    let daily: Vec<DailyEnergy> = day("2026-10-28")
        .iter_days()
        .take(30)
        .map(|date| DailyEnergy {
            date,
            energy: Energy::from_wh(12_345),
        })
        .collect();
    let outcomes: Vec<DayOutcome> = daily.iter().map(|d| fetched(d.date)).collect();
    s.record_window(
        &pdl,
        Direction::Consumption,
        Kind::Daily,
        &WindowData::Daily(daily),
        &outcomes,
        now(),
    )
    .unwrap();
    s
}

fn fetched(d: NaiveDate) -> DayOutcome {
    DayOutcome::fetched(d)
}

async fn double(options: DoubleOptions) -> (DomoticzDouble, RunningDouble) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let d = DomoticzDouble::new(DoubleOptions {
        short_log_days: 7,
        ..options
    })
    .unwrap();
    let r = d
        .bind("127.0.0.1:0".parse::<SocketAddr>().unwrap())
        .await
        .unwrap();
    (d, r)
}

/// A double that trusts loopback callers, and a client connected to it without credentials.
async fn trusted_client() -> (DomoticzDouble, RunningDouble, Domoticz) {
    let (dz, running) = double(trusted()).await;
    let d = Domoticz::connect(&connection(running.url(), Auth::None))
        .await
        .unwrap();
    (dz, running, d)
}

fn trusted() -> DoubleOptions {
    DoubleOptions {
        trust_loopback: true,
        ..DoubleOptions::default()
    }
}

fn connection(url: String, auth: Auth) -> Connection {
    Connection {
        url,
        auth,
        accept_invalid_certs: false,
        ca_file: None,
        force_2023_2: false,
    }
}

fn count(d: &DomoticzDouble, sql: &str) -> i64 {
    d.with_db(|db| db.query_row(sql, [], |r| r.get(0)).unwrap())
}

/// One push of the test meter with the default settings.
async fn push_default(d: &Domoticz, s: &mut Store) -> MeterPush {
    let pdl = PDL.parse::<UsagePoint>().unwrap();
    let settings = PushSettings::default();
    push_meter(d, s, &pdl, &schedule(), &settings, now())
        .await
        .unwrap()
}

fn schedule() -> OffPeakSchedule {
    OffPeakSchedule::parse("22h-6h").unwrap()
}

#[tokio::test]
async fn first_push_then_nothing_new_then_a_deleted_device_gets_its_history_back() {
    let (dz, running, d) = trusted_client().await;
    assert_eq!(d.version, "2025.1");
    let mut s = store();
    let pdl = PDL.parse::<UsagePoint>().unwrap();
    let first = push_default(&d, &mut s).await;
    assert_eq!(first.origin, DeviceOrigin::Created);
    // Hours Domoticz keeps: 7 × 24 h back from now (09:00) less a margin, so from 10:00 seven
    // days ago to today's 00:00 row.
    assert_eq!((first.days_sent, first.hours_sent), (30, 6 * 24 + 15));
    assert_eq!(first.days_without_split, 23);
    assert!(first.not_landed.is_empty(), "{:?}", first.not_landed);
    let idx = first.idx;
    assert_eq!(
        dz.with_db(|db| db
            .query_row(
                &format!("SELECT Name, Description, Options FROM DeviceStatus WHERE ID = {idx}"),
                [],
                |r| Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?
                ))
            )
            .unwrap()),
        (
            format!("Linky {PDL}"),
            format!("Compteur Linky {PDL}"),
            "AddDBLogEntry:dHJ1ZQ==;DisableLogAutoUpdate:dHJ1ZQ==".to_owned()
        )
    );
    assert_eq!(count(&dz, "SELECT COUNT(*) FROM MultiMeter"), 6 * 24 + 15);
    assert_eq!(count(&dz, "SELECT COUNT(*) FROM MultiMeter_Calendar"), 30);
    let (v1, v5): (i64, i64) = dz.with_db(|db| {
        db.query_row(
            "SELECT Value1, Value5 FROM MultiMeter_Calendar WHERE Date = '2026-11-24'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    });
    assert_eq!((v1, v5), (23200, 6800));
    assert_eq!(
        count(
            &dz,
            "SELECT Value1 FROM MultiMeter_Calendar WHERE Date = '2026-11-01'"
        ),
        12345
    );
    // Counters never go down, and the last hour row holds the whole curve.
    assert_eq!(count(&dz, "SELECT COUNT(*) FROM MultiMeter a JOIN MultiMeter b ON b.Date > a.Date WHERE b.Value1 + b.Value5 < a.Value1 + a.Value5"), 0);
    assert_eq!(
        count(
            &dz,
            "SELECT Value1 + Value5 FROM MultiMeter WHERE Date = '2026-11-27 00:00:00'"
        ),
        23 * 12_345 + 7 * 30000
    );

    // The dashboard: the meter index, as the last hour row (23 days known by their total, then
    // the curve; no peak stored here: 0, as the original), so Domoticz's own "Today" is
    // sensible (domoticz.md §8).
    assert_eq!(first.dashboard.as_deref(), Ok("446335;47600;0;0;0;0"));
    let shown: String = dz.with_db(|db| {
        db.query_row(
            &format!("SELECT sValue FROM DeviceStatus WHERE ID = {idx}"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert_eq!(shown, "446335;47600;0;0;0;0");
    let listed = d
        .call("getdevices", &[("rid", &idx.to_string())])
        .await
        .unwrap();
    assert_eq!(listed["result"][0]["Counter"], "493.935");
    assert_eq!(listed["result"][0]["CounterToday"], "0.000 kWh");

    // Twice in a row writes nothing new.
    let second = push_default(&d, &mut s).await;
    assert_eq!(
        (
            second.origin,
            second.days_sent,
            second.hours_sent,
            second.unchanged
        ),
        (DeviceOrigin::Known, 0, 0, 30 + 6 * 24 + 15)
    );
    assert!(
        second.calls <= 4,
        "{} calls (devices, settings, dashboard)",
        second.calls
    );

    // The user deletes the device in Domoticz: the next push creates a new one and rewrites
    // the whole history into it (the original lost it here).
    let r = reqwest::get(format!(
        "{}/json.htm?type=command&param=setused&idx={idx}&used=false",
        running.url()
    ))
    .await
    .unwrap();
    assert!(r.status().is_success());
    assert_eq!(count(&dz, "SELECT COUNT(*) FROM MultiMeter_Calendar"), 0);
    let third = push_default(&d, &mut s).await;
    assert_eq!(
        (third.origin, third.days_sent, third.hours_sent),
        (DeviceOrigin::Created, 30, 6 * 24 + 15)
    );
    assert_eq!(
        third.idx, idx,
        "Domoticz reuses the idx of the deleted device"
    );
    assert_eq!(count(&dz, "SELECT COUNT(*) FROM MultiMeter_Calendar"), 30);

    // Another Domoticz server: nothing remembered applies, its device is created and gets
    // every row (its idx 1 would otherwise be taken for ours).
    let (other_dz, other) = double(trusted()).await;
    let other_d = Domoticz::connect(&connection(other.url(), Auth::None))
        .await
        .unwrap();
    let moved = push_default(&other_d, &mut s).await;
    assert_eq!(
        (moved.origin, moved.days_sent, moved.hours_sent),
        (DeviceOrigin::Created, 30, 6 * 24 + 15)
    );
    assert_eq!(
        count(&other_dz, "SELECT COUNT(*) FROM MultiMeter_Calendar"),
        30
    );
    // And back: the first server's device is found again by name and rewritten whole.
    let back = push_default(&d, &mut s).await;
    assert_eq!(
        (back.origin, back.days_sent),
        (DeviceOrigin::FoundByName, 30)
    );

    // --all rewrites everything into the same device.
    let all = PushSettings {
        all: true,
        ..PushSettings::default()
    };
    let fourth = push_meter(&d, &mut s, &pdl, &schedule(), &all, now())
        .await
        .unwrap();
    assert_eq!(
        (fourth.origin, fourth.days_sent, fourth.hours_sent),
        (DeviceOrigin::Known, 30, 6 * 24 + 15)
    );
}

#[tokio::test]
async fn the_original_plugins_device_is_adopted_and_a_dropped_row_is_reported() {
    let (dz, running) = double(trusted()).await;
    let url = running.url();
    // The plugin's device, as the running plugin lists it: DeviceID = PDL (its options cleared
    // here, so that taking it over must set them).
    let hw = dz.add_plugin_hardware("Linky");
    let old = dz.add_plugin_device(hw, PDL, &format!("Linky - Linky {PDL}"));
    dz.with_db(|db| {
        db.execute(
            &format!("UPDATE DeviceStatus SET Options = NULL WHERE ID = {old}"),
            [],
        )
        .unwrap()
    });
    // Domoticz "drops" one day row (stands for a row it rejected while answering OK).
    dz.with_db(|db| db.execute_batch("CREATE TRIGGER dropped AFTER INSERT ON MultiMeter_Calendar WHEN NEW.Date = '2026-11-25' BEGIN DELETE FROM MultiMeter_Calendar WHERE Date = NEW.Date; END;").unwrap());
    let d = Domoticz::connect(&connection(url.clone(), Auth::None))
        .await
        .unwrap();
    let mut s = store();
    let push = push_default(&d, &mut s).await;
    assert_eq!(
        (push.origin, push.idx),
        (DeviceOrigin::AdoptedFromPlugin, old)
    );
    assert_eq!(push.not_landed, ["2026-11-25"]);
    assert_eq!(count(&dz, &format!("SELECT COUNT(*) FROM DeviceStatus WHERE ID = {old} AND Options LIKE 'AddDBLogEntry%'")), 1);
    // The dropped row is tried again next time.
    dz.with_db(|db| db.execute_batch("DROP TRIGGER dropped").unwrap());
    let again = push_default(&d, &mut s).await;
    assert_eq!(
        (again.days_sent, again.hours_sent, again.not_landed.len()),
        (1, 0, 0)
    );
}

#[tokio::test]
async fn each_authentication_mode_and_version_path() {
    // Basic: refused over plain HTTP until allowed, then accepted.
    let (dz, running) = double(DoubleOptions::default()).await;
    let basic = Auth::Basic {
        user: "admin".into(),
        password: "domoticz".into(),
    };
    let err = Domoticz::connect(&connection(running.url(), basic.clone()))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, DomoticzError::Unauthorized));
    assert!(
        err.to_string().contains("Trusted Networks") && err.fr().contains("Réseaux de confiance")
    );
    assert!(
        !err.to_string().contains("domoticz\""),
        "no password in messages"
    );
    dz.set_options(|o| o.allow_plain_basic_auth = true);
    Domoticz::connect(&connection(running.url(), basic))
        .await
        .unwrap();
    // No credentials outside the trusted networks: 401 with the fixes.
    assert!(matches!(
        Domoticz::connect(&connection(running.url(), Auth::None))
            .await
            .err()
            .unwrap(),
        DomoticzError::Unauthorized
    ));
    // A plain user passes the connection but may not create devices: told so.
    dz.add_user("feeder", "pw", domoticz_double::Rights::User);
    let user = Auth::Basic {
        user: "feeder".into(),
        password: "pw".into(),
    };
    let d = Domoticz::connect(&connection(running.url(), user))
        .await
        .unwrap();
    // Domoticz 2025.1 lets it read the settings and answers 403 on creation (domoticz.md §8).
    assert!(d.short_log_days().await.is_ok());
    assert_eq!(d.rights().await.unwrap(), Some(1));
    let err = d.dummy_hardware("Linky").await.err().unwrap();
    assert!(matches!(err, DomoticzError::NeedsAdmin(_)), "{err}");
    assert!(
        err.to_string().contains("needs Admin rights to create")
            && err.to_string().contains("admin account")
            && err.fr().contains("Administrateur")
    );
    // OAuth2 password grant with a registered application, then a bearer token.
    dz.add_application("linky", "app-secret", false);
    let grant = Auth::Password {
        user: "admin".into(),
        password: "domoticz".into(),
        application: "linky".into(),
    };
    let d = Domoticz::connect(&connection(running.url(), grant))
        .await
        .unwrap();
    let mut s = store();
    let push = push_default(&d, &mut s).await;
    assert_eq!(push.days_sent, 30);
    // A token issued beforehand.
    let issued: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth2/v1/token", running.url()))
        .basic_auth("admin", Some("domoticz"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&client_id=linky")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["access_token"].as_str().unwrap().to_owned();
    Domoticz::connect(&connection(running.url(), Auth::Bearer(token)))
        .await
        .unwrap();
    let bad = Auth::Bearer("not-a-token".into());
    assert!(matches!(
        Domoticz::connect(&connection(running.url(), bad))
            .await
            .err()
            .unwrap(),
        DomoticzError::Unauthorized
    ));

    // 2023.2 is refused unless forced; 2023.1 takes the legacy forms end to end.
    let (dz, running) = double(DoubleOptions {
        version: Version::V2023_2,
        ..trusted()
    })
    .await;
    assert!(matches!(
        Domoticz::connect(&connection(running.url(), Auth::None))
            .await
            .err()
            .unwrap(),
        DomoticzError::Version2023_2
    ));
    let forced = Connection {
        force_2023_2: true,
        ..connection(running.url(), Auth::None)
    };
    assert_eq!(Domoticz::connect(&forced).await.unwrap().version, "2023.2");
    dz.set_options(|o| o.version = Version::V2024_7);
    let d = Domoticz::connect(&connection(running.url(), Auth::None))
        .await
        .unwrap();
    assert_eq!(push_default(&d, &mut store()).await.days_sent, 30);
    dz.with_db(|db| {
        db.execute_batch("DELETE FROM MultiMeter_Calendar; DELETE FROM MultiMeter;")
            .unwrap()
    });
    dz.set_options(|o| o.version = Version::V2023_1);
    let d = Domoticz::connect(&connection(running.url(), Auth::None))
        .await
        .unwrap();
    let mut s = store();
    let push = push_default(&d, &mut s).await;
    assert_eq!(
        (push.days_sent, push.hours_sent, push.not_landed.len()),
        (30, 6 * 24 + 15, 0)
    );
    assert_eq!(count(&dz, "SELECT COUNT(*) FROM MultiMeter_Calendar"), 30);
}

/// A consumption-only meter and a production-only meter get a merged device `Linky C / P`,
/// with the days that only have production (the original lost them).
#[tokio::test]
async fn a_consumption_meter_and_a_production_meter_share_a_merged_device() {
    use linky_core::history::MeterHistory;
    use linky_domoticz::push::{merged_pairs, push_device};
    let (dz, _running, d) = trusted_client().await;
    let mut s = store();
    let producer: UsagePoint = "10284856584123".parse().unwrap();
    s.add_meter(&producer, now()).unwrap();
    // Production on 11-18 (before any consumption) and 11-20, 2 kW all day.
    let mut points = Vec::new();
    let days = [day("2026-11-18"), day("2026-11-20")];
    for d in days {
        let (from, to) = paris::day_bounds(d);
        let mut end = from + Duration::minutes(30);
        while end <= to {
            points.push(LoadCurvePoint {
                end,
                step: Step::PT30M,
                watts: 2000,
            });
            end += Duration::minutes(30);
        }
    }
    s.record_window(
        &producer,
        Direction::Production,
        Kind::Curve,
        &WindowData::Curve(points),
        &days.map(fetched),
        now(),
    )
    .unwrap();
    let settings = PushSettings::default();
    let today = day("2026-11-27");
    let consumer: UsagePoint = PDL.parse().unwrap();
    let list = vec![
        s.meter_history(&consumer, &schedule(), settings.holiday_zone, today)
            .unwrap(),
        s.meter_history(
            &producer,
            &OffPeakSchedule::default(),
            settings.holiday_zone,
            today,
        )
        .unwrap(),
    ];
    assert_eq!(merged_pairs(&list), [(0, 1)]);
    let both = MeterHistory::merged(&list[0], &list[1]);
    let r = push_device(&d, &mut s, &both, &settings, now())
        .await
        .unwrap();
    assert_eq!(r.key, format!("{PDL} / 10284856584123"));
    let name: String = dz.with_db(|db| {
        db.query_row(
            &format!("SELECT Name FROM DeviceStatus WHERE ID = {}", r.idx),
            [],
            |x| x.get(0),
        )
        .unwrap()
    });
    assert_eq!(name, format!("Linky {PDL} / 10284856584123"));
    let row = |date: &str| -> (i64, i64, i64) {
        dz.with_db(|db| {
            db.query_row(
                &format!("SELECT Value1 + Value5, Value2, Value6 FROM MultiMeter_Calendar WHERE Date = '{date}'"),
                [],
                |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)),
            )
            .unwrap()
        })
    };
    assert_eq!(
        row("2026-11-18"),
        (0, 48_000, 0),
        "a production-only day is kept"
    );
    assert_eq!(row("2026-11-20"), (30_000, 48_000, 0));
}

/// The 11-part form: end-of-day indexes land in Counter1..4 in Domoticz's order.
#[tokio::test]
async fn day_rows_with_end_of_day_indexes() {
    let (dz, _running, d) = trusted_client().await;
    let mut s = store();
    let pdl: UsagePoint = PDL.parse().unwrap();
    let settings = PushSettings {
        day_indexes: true,
        ..PushSettings::default()
    };
    let r = push_meter(&d, &mut s, &pdl, &schedule(), &settings, now())
        .await
        .unwrap();
    assert!(r.not_landed.is_empty());
    // 23 daily-only days of 12 345 Wh in tariff 1, then the 7 curve days up to 11-26.
    let (c1, c2, c3, c4): (i64, i64, i64, i64) = dz.with_db(|db| {
        db.query_row(
            "SELECT Counter1, Counter2, Counter3, Counter4 FROM MultiMeter_Calendar WHERE Date = '2026-11-26'",
            [],
            |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?)),
        )
        .unwrap()
    });
    assert_eq!(
        (c1, c2, c3, c4),
        (23 * 12_345 + 7 * 23_200, 0, 7 * 6_800, 0)
    );
    // Every day's indexes equal the short-log counters at its end (its 00:00 row of the next
    // day), to the Wh: the "Comparing" chart and the day graph agree.
    let disagreeing = count(
        &dz,
        "SELECT COUNT(*) FROM MultiMeter_Calendar c JOIN MultiMeter m ON m.DeviceRowID = c.DeviceRowID
         AND m.Date = datetime(c.Date, '+1 day')
         WHERE m.Value1 != c.Counter1 OR m.Value5 != c.Counter3 OR m.Value2 != c.Counter2 OR m.Value6 != c.Counter4",
    );
    let compared = count(
        &dz,
        "SELECT COUNT(*) FROM MultiMeter_Calendar c JOIN MultiMeter m ON m.DeviceRowID = c.DeviceRowID AND m.Date = datetime(c.Date, '+1 day')",
    );
    assert_eq!((disagreeing, compared), (0, 7));
}

/// The daemon's hourly refresh puts the dashboard value back (dated pushes never refresh it).
#[tokio::test]
async fn the_dashboard_refresh_sends_the_value_again() {
    use linky_domoticz::push::refresh_dashboard;
    let (dz, _running, d) = trusted_client().await;
    let mut s = store();
    let pdl: UsagePoint = PDL.parse().unwrap();
    let settings = PushSettings::default();
    let today = day("2026-11-27");
    let data = s
        .meter_history(&pdl, &schedule(), settings.holiday_zone, today)
        .unwrap();
    assert_eq!(
        refresh_dashboard(&d, &s, &data, &settings, today)
            .await
            .unwrap(),
        None,
        "no device yet"
    );
    let idx = push_default(&d, &mut s).await.idx;
    dz.with_db(|db| db.execute(&format!("UPDATE DeviceStatus SET sValue = '0;0;0;0;0;0', LastUpdate = '2026-11-25 10:00:00' WHERE ID = {idx}"), []).unwrap());
    let sent = refresh_dashboard(&d, &s, &data, &settings, today)
        .await
        .unwrap();
    assert_eq!(sent, Some(Ok("446335;47600;0;0;0;0".to_owned())));
    let (value, last): (String, String) = dz.with_db(|db| {
        db.query_row(
            &format!("SELECT sValue, LastUpdate FROM DeviceStatus WHERE ID = {idx}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    });
    assert_eq!(value, "446335;47600;0;0;0;0");
    assert_ne!(last, "2026-11-25 10:00:00", "the widget's LastUpdate moves");
}

/// A second meter in the test store: the same curve and daily totals under another PDL.
fn second_meter(s: &mut Store, pdl: &str) {
    let other: UsagePoint = pdl.parse().unwrap();
    let from = store();
    let first: UsagePoint = PDL.parse().unwrap();
    s.add_meter(&other, now()).unwrap();
    let (start, end) = (
        paris::day_start(day("2026-10-01")),
        paris::day_start(day("2026-11-28")),
    );
    let points = from
        .curve(&first, Direction::Consumption, start, end)
        .unwrap();
    let days: Vec<DayOutcome> = day("2026-11-20").iter_days().take(7).map(fetched).collect();
    s.record_window(
        &other,
        Direction::Consumption,
        Kind::Curve,
        &WindowData::Curve(points.points().to_vec()),
        &days,
        now(),
    )
    .unwrap();
}

/// Deletes a device, as the user does in Domoticz.
async fn delete(d: &Domoticz, idx: i64) {
    d.call("deletedevice", &[("idx", &idx.to_string())])
        .await
        .unwrap();
}

/// A thermometer created now takes the highest free idx (domoticz.md §8).
async fn thermometer(d: &Domoticz, hardware: i64) -> i64 {
    let hardware = hardware.to_string();
    let r = d
        .call(
            "createdevice",
            &[
                ("idx", &hardware),
                ("sensorname", "Salon"),
                ("devicetype", "80"),
                ("devicesubtype", "5"),
            ],
        )
        .await
        .unwrap();
    r["idx"].as_str().unwrap().parse().unwrap()
}

/// §8 "idx reuse": after its device is deleted, a thermometer takes the meter's idx; and after
/// two meters' devices are deleted, the second meter's new device takes the first's idx. Nothing
/// is written into a device that is not the meter's: it is looked up again or created.
#[tokio::test]
async fn a_reused_idx_is_never_written_into() {
    let (dz, _running, d) = trusted_client().await;
    let mut s = store();
    let first = push_default(&d, &mut s).await;
    delete(&d, first.idx).await;
    let salon = thermometer(&d, 1).await;
    assert_eq!(
        salon, first.idx,
        "Domoticz gives the thermometer the meter's idx"
    );
    let again = push_default(&d, &mut s).await;
    assert_eq!(again.origin, DeviceOrigin::Created);
    assert_ne!(again.idx, salon);
    let thermometer_value: String = dz.with_db(|db| {
        db.query_row(
            &format!("SELECT sValue FROM DeviceStatus WHERE ID = {salon}"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert_eq!(thermometer_value, "0");
    assert_eq!(
        count(
            &dz,
            &format!("SELECT COUNT(*) FROM MultiMeter_Calendar WHERE DeviceRowID = {salon}")
        ),
        0
    );

    // Two meters, both devices deleted; the second pushed first takes the first's idx.
    let other = "30000000000001";
    second_meter(&mut s, other);
    let settings = PushSettings::default();
    let b: UsagePoint = other.parse().unwrap();
    let b_push = push_meter(&d, &mut s, &b, &schedule(), &settings, now())
        .await
        .unwrap();
    delete(&d, b_push.idx).await;
    delete(&d, again.idx).await;
    let b_again = push_meter(&d, &mut s, &b, &schedule(), &settings, now())
        .await
        .unwrap();
    assert_eq!(
        b_again.idx, again.idx,
        "the second meter's new device took the first's idx"
    );
    let a_again = push_default(&d, &mut s).await;
    assert_ne!(
        a_again.idx, b_again.idx,
        "the first meter is not written into the second's device"
    );
    assert_eq!(a_again.origin, DeviceOrigin::Created);
    let names: Vec<String> = dz.with_db(|db| {
        let mut st = db
            .prepare("SELECT Name FROM DeviceStatus ORDER BY ID")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    });
    assert_eq!(
        names,
        ["Salon", &format!("Linky {other}"), &format!("Linky {PDL}")]
    );
    // The daemon's dashboard refresh refuses a device that is not the meter's.
    dz.with_db(|db| {
        db.execute(
            &format!(
                "UPDATE DeviceStatus SET Type = 80, SubType = 5, Name = 'Cave' WHERE ID = {}",
                a_again.idx
            ),
            [],
        )
        .unwrap()
    });
    let data = s
        .meter_history(
            &PDL.parse().unwrap(),
            &schedule(),
            settings.holiday_zone,
            day("2026-11-27"),
        )
        .unwrap();
    let refused =
        linky_domoticz::push::refresh_dashboard(&d, &s, &data, &settings, day("2026-11-27")).await;
    assert!(
        matches!(
            refused,
            Err(linky_domoticz::push::PushError::Domoticz(
                DomoticzError::NotOurDevice { .. }
            ))
        ),
        "{refused:?}"
    );
}

/// §8 "getdevices lists": the plugin's device is taken over whether the plugin is running,
/// disabled before the first push, or disabled after it.
#[tokio::test]
async fn the_plugins_device_is_found_enabled_or_disabled() {
    for disable_before in [false, true] {
        let (dz, running) = double(trusted()).await;
        let hw = dz.add_plugin_hardware("Linky");
        let plugin = dz.add_plugin_device(hw, PDL, &format!("Linky - Linky {PDL}"));
        if disable_before {
            dz.set_hardware_enabled(hw, false);
        }
        let d = Domoticz::connect(&connection(running.url(), Auth::None))
            .await
            .unwrap();
        let mut s = store();
        let first = push_default(&d, &mut s).await;
        assert_eq!(
            (first.origin, first.idx),
            (DeviceOrigin::AdoptedFromPlugin, plugin),
            "disabled before: {disable_before}"
        );
        dz.set_hardware_enabled(hw, false);
        let second = push_default(&d, &mut s).await;
        assert_eq!(
            (second.origin, second.idx, second.days_sent),
            (DeviceOrigin::Known, plugin, 0)
        );
        assert_eq!(
            count(&dz, "SELECT COUNT(*) FROM DeviceStatus"),
            1,
            "no second device"
        );
    }
}

/// §8 "Connections": Domoticz drops every connection without keep-alive; pushes succeed, and
/// a connection lost in the middle says "interrupted" and keeps what was accepted.
#[tokio::test]
async fn pushes_survive_the_servers_connection_handling_and_resume() {
    let (dz, running, d) = trusted_client().await;
    let mut s = store();
    let all = PushSettings {
        all: true,
        ..PushSettings::default()
    };
    let pdl: UsagePoint = PDL.parse().unwrap();
    for _ in 0..3 {
        push_meter(&d, &mut s, &pdl, &schedule(), &all, now())
            .await
            .unwrap();
    }
    // Domoticz refuses a row in the middle: what came before it is kept for the next push.
    dz.with_db(|db| {
        db.execute("DELETE FROM MultiMeter WHERE DeviceRowID > 0", [])
            .unwrap()
    });
    dz.with_db(|db| db.execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON MultiMeter WHEN NEW.Date = '2026-11-24 12:00:00' BEGIN SELECT RAISE(ABORT, 'refused'); END;").unwrap());
    let failed = push_meter(&d, &mut s, &pdl, &schedule(), &all, now()).await;
    assert!(failed.is_err());
    dz.with_db(|db| db.execute_batch("DROP TRIGGER refuse").unwrap());
    let resumed = push_default(&d, &mut s).await;
    assert!(
        resumed.hours_sent < 6 * 24 + 15 && resumed.days_sent == 0,
        "{} hours again",
        resumed.hours_sent
    );
    // The server goes away after answering: "interrupted", not "unreachable".
    running.shutdown().await;
    let e = d.call("getdevices", &[]).await.err().unwrap();
    assert!(matches!(e, DomoticzError::Interrupted { .. }), "{e:?}");
    assert!(e.to_string().contains("next push resumes") && e.fr().contains("reprend"));
}

/// The soak test of issue 13: 50 pushes in a row (first, unchanged, after the user deleted the
/// devices and a thermometer took an idx, after disabling and enabling the plugin hardware),
/// none failing and none writing into a device that is not the meter's.
#[tokio::test]
async fn fifty_pushes_in_a_row_without_a_failure_or_a_stray_write() {
    let (dz, running) = double(trusted()).await;
    let url = running.url();
    let hw = dz.add_plugin_hardware("Linky");
    dz.add_plugin_device(hw, PDL, &format!("Linky - Linky {PDL}"));
    let d = Domoticz::connect(&connection(url.clone(), Auth::None))
        .await
        .unwrap();
    let sensors = d.dummy_hardware("Capteurs").await.unwrap();
    let mut s = store();
    let mut strangers = Vec::new();
    for round in 0..50 {
        match round % 10 {
            3 => {
                let idx = push_default(&d, &mut s).await.idx;
                delete(&d, idx).await;
                strangers.push(thermometer(&d, sensors).await);
            }
            6 => dz.set_hardware_enabled(hw, round % 20 != 6),
            _ => {}
        }
        let r = push_default(&d, &mut s).await;
        assert!(r.not_landed.is_empty(), "round {round}: {:?}", r.not_landed);
        assert!(
            !strangers.contains(&r.idx),
            "round {round}: wrote into a thermometer"
        );
    }
    for idx in strangers {
        let (value, kind): (String, i64) = dz.with_db(|db| {
            db.query_row(
                &format!("SELECT sValue, Type FROM DeviceStatus WHERE ID = {idx}"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        });
        assert_eq!((value.as_str(), kind), ("0", 0x50));
        assert_eq!(
            count(
                &dz,
                &format!("SELECT COUNT(*) FROM MultiMeter WHERE DeviceRowID = {idx}")
            ),
            0
        );
    }
}

/// Issue 14: an address that answers a web page (a reverse proxy's error or login page) or a
/// 500 is told as such, with what to check, not as "error decoding response body".
#[tokio::test]
async fn a_web_page_instead_of_domoticz_is_told_plainly() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for (status, body) in [
        (
            "500 Internal Server Error",
            "<html><body>Oops</body></html>",
        ),
        ("200 OK", "<!DOCTYPE html><html>Log in</html>"),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answer = format!("HTTP/1.1 {status}\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    let _ = socket.read(&mut buffer).await;
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        let e = Domoticz::connect(&connection(url, Auth::None))
            .await
            .err()
            .unwrap();
        assert!(
            matches!(e, DomoticzError::NotJson { page: true, .. }),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(
            text.contains("a web page")
                && text.contains("domoticz.url")
                && !text.contains("decoding"),
            "{text}"
        );
        assert!(e.fr().contains("une page web"));
    }
}

/// The cost device: a Managed Counter of euros (meter type counter, divider 100, "Coût" in
/// "€"), one long-log row per finished day in cents, yesterday's cost on its card; nothing sent
/// twice; a deleted device's idx reused by a thermometer is never written into.
#[tokio::test]
async fn the_cost_device_counts_euros_per_day() {
    use linky_core::tariff::Money;
    use linky_domoticz::cost::{cost_device_name, push_costs};
    let (dz, _running, d) = trusted_client().await;
    let mut s = store();
    let days = vec![
        (day("2026-11-24"), Money::from_micro(3_104_900)),
        (day("2026-11-25"), Money::from_micro(4_567_200)),
        (day("2026-11-26"), Money::from_micro(4_565_000)),
        // Today is not finished: never sent as a day.
        (day("2026-11-27"), Money::from_micro(1_000_000)),
    ];
    let settings = PushSettings::default();
    let first = push_costs(&d, &mut s, PDL, &days, &settings, now())
        .await
        .unwrap();
    assert_eq!(first.origin, DeviceOrigin::Created);
    assert_eq!((first.days_sent, first.unchanged), (3, 0));
    assert!(first.not_landed.is_empty());
    assert_eq!(first.card, Some(Money::from_micro(4_565_000)));
    let rows: Vec<(i64, String)> = dz.with_db(|db| {
        let mut st = db
            .prepare(&format!(
                "SELECT Value, Date FROM Meter_Calendar WHERE DeviceRowID = {} ORDER BY Date",
                first.idx
            ))
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    });
    assert_eq!(
        rows,
        [
            (310, "2026-11-24".to_owned()),
            (457, "2026-11-25".to_owned()),
            (457, "2026-11-26".to_owned())
        ]
    );
    let listed = d
        .call("getdevices", &[("rid", &first.idx.to_string())])
        .await
        .unwrap();
    let device = &listed["result"][0];
    assert_eq!(device["Name"], cost_device_name(PDL));
    assert_eq!(device["Data"], "4.57 €");
    assert_eq!(device["ValueUnits"], "€");
    assert_eq!(device["ValueQuantity"], "Coût");
    let graph = d
        .call(
            "graph",
            &[
                ("sensor", "counter"),
                ("idx", &first.idx.to_string()),
                ("range", "month"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(graph["result"][1]["v"], "4.57");

    let again = push_costs(&d, &mut s, PDL, &days, &settings, now())
        .await
        .unwrap();
    assert_eq!(
        (again.origin, again.days_sent, again.unchanged),
        (DeviceOrigin::Known, 0, 3)
    );

    delete(&d, first.idx).await;
    let salon = thermometer(&d, 1).await;
    assert_eq!(salon, first.idx);
    let third = push_costs(&d, &mut s, PDL, &days, &settings, now())
        .await
        .unwrap();
    assert_eq!((third.origin, third.days_sent), (DeviceOrigin::Created, 3));
    assert_ne!(third.idx, salon);
}
