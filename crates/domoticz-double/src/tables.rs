//! Domoticz's SQLite tables (domoticz.md §6, `DB_VERSION 170`) and what its update code writes
//! into them (§1.2, §1.5). Tests assert on these tables, as they would on a real `domoticz.db`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rusqlite::{params, Connection, OptionalExtension};

use crate::values::{is_short_log, is_sql_date, is_sql_datetime, stoll};
use crate::Version;

/// P1 Smart Meter: type 0xFA, subtype 0x01.
pub const P1: (i64, i64) = (0xFA, 0x01);
/// Managed Counter: type 0xF3, subtype 0x21.
pub const MANAGED_COUNTER: (i64, i64) = (0xF3, 0x21);

/// The columns of a fresh database; the log tables have no key, as in Domoticz.
pub const SCHEMA: &str = "
CREATE TABLE DeviceStatus (ID INTEGER PRIMARY KEY, HardwareID INTEGER NOT NULL, OrgHardwareID INTEGER DEFAULT 0,
  DeviceID VARCHAR(25) NOT NULL, Unit INTEGER DEFAULT 0, Name VARCHAR(100) DEFAULT Unknown, Used INTEGER DEFAULT 0,
  Type INTEGER NOT NULL, SubType INTEGER NOT NULL, SwitchType INTEGER DEFAULT 0, Favorite INTEGER DEFAULT 0,
  SignalLevel INTEGER DEFAULT 0, BatteryLevel INTEGER DEFAULT 0, nValue INTEGER DEFAULT 0, sValue VARCHAR(200) DEFAULT null,
  LastUpdate DATETIME DEFAULT (datetime('now','localtime')), [Order] INTEGER BIGINT(10) default 0,
  AddjValue FLOAT DEFAULT 0, AddjMulti FLOAT DEFAULT 1, AddjValue2 FLOAT DEFAULT 0, AddjMulti2 FLOAT DEFAULT 1,
  StrParam1 VARCHAR(200) DEFAULT '', StrParam2 VARCHAR(200) DEFAULT '', LastLevel INTEGER DEFAULT 0,
  Protected INTEGER DEFAULT 0, CustomImage INTEGER DEFAULT 0, Description VARCHAR(200) DEFAULT '',
  Options TEXT DEFAULT null, Color TEXT DEFAULT NULL);
CREATE TABLE Meter (DeviceRowID BIGINT NOT NULL, Value BIGINT NOT NULL, Usage INTEGER DEFAULT 0, Price FLOAT DEFAULT 0,
  Date DATETIME DEFAULT (datetime('now','localtime')));
CREATE TABLE Meter_Calendar (DeviceRowID BIGINT NOT NULL, Value BIGINT NOT NULL, Counter BIGINT DEFAULT 0, Price FLOAT DEFAULT 0,
  Date DATETIME DEFAULT (datetime('now','localtime')));
CREATE TABLE MultiMeter (DeviceRowID BIGINT(10) NOT NULL, Value1 BIGINT NOT NULL, Value2 BIGINT DEFAULT 0,
  Value3 BIGINT DEFAULT 0, Value4 BIGINT DEFAULT 0, Value5 BIGINT DEFAULT 0, Value6 BIGINT DEFAULT 0,
  Price FLOAT DEFAULT 0, Date DATETIME DEFAULT (datetime('now','localtime')));
CREATE TABLE MultiMeter_Calendar (DeviceRowID BIGINT(10) NOT NULL, Value1 BIGINT NOT NULL, Value2 BIGINT NOT NULL,
  Value3 BIGINT NOT NULL, Value4 BIGINT NOT NULL, Value5 BIGINT NOT NULL, Value6 BIGINT NOT NULL,
  Counter1 BIGINT DEFAULT 0, Counter2 BIGINT DEFAULT 0, Counter3 BIGINT DEFAULT 0, Counter4 BIGINT DEFAULT 0,
  Price FLOAT DEFAULT 0, Date DATETIME DEFAULT (datetime('now','localtime')));
CREATE TABLE Hardware (ID INTEGER PRIMARY KEY, Name VARCHAR(200) NOT NULL, Enabled INTEGER DEFAULT 1,
  Type INTEGER NOT NULL, LogLevel INTEGER DEFAULT 7, Address VARCHAR(200), Port INTEGER, SerialPort TEXT DEFAULT '',
  Username VARCHAR(100), Password VARCHAR(100), Extra TEXT DEFAULT '', Mode1 CHAR DEFAULT 0, Mode2 CHAR DEFAULT 0,
  Mode3 CHAR DEFAULT 0, Mode4 CHAR DEFAULT 0, Mode5 CHAR DEFAULT 0, Mode6 CHAR DEFAULT 0, DataTimeout INTEGER DEFAULT 0,
  Configuration TEXT DEFAULT '');
CREATE TABLE Preferences (Key VARCHAR(50) PRIMARY KEY, nValue INTEGER DEFAULT 0, sValue VARCHAR(200));
CREATE TABLE Applications (ID INTEGER PRIMARY KEY, Active BOOLEAN DEFAULT false, Public BOOLEAN DEFAULT false,
  Applicationname TEXT DEFAULT '', Secret TEXT DEFAULT '', Pemfile TEXT DEFAULT '', LastSeen DATETIME DEFAULT NULL,
  LastUpdate DATETIME DEFAULT (datetime('now','localtime')));
CREATE TABLE Users (ID INTEGER PRIMARY KEY, Active INTEGER NOT NULL DEFAULT 0, Username VARCHAR(200) NOT NULL,
  Password VARCHAR(200) NOT NULL, MFAsecret VARCHAR(200) DEFAULT '', Rights INTEGER DEFAULT 255,
  TabsEnabled INTEGER DEFAULT 255, RemoteSharing INTEGER DEFAULT 0);
";

/// Why an update was refused: the JSON answer is then `{"status":"ERR"}`.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// No device with that idx.
    NoDevice,
    /// A part is not a number for `stoll`.
    NotANumber,
    /// The database failed (Domoticz logs it and answers ERR).
    Database,
    /// The 2023.2 regression: a non-dated update of a managed device returns -1.
    Regression2023_2,
}

/// A device as `UpdateValueInt` sees it.
struct Device {
    kind: (i64, i64),
    options: String,
}

fn device(db: &Connection, idx: i64) -> rusqlite::Result<Option<Device>> {
    db.query_row(
        "SELECT Type, SubType, IFNULL(Options, '') FROM DeviceStatus WHERE ID = ?1",
        [idx],
        |r| {
            Ok(Device {
                kind: (r.get(0)?, r.get(1)?),
                options: r.get(2)?,
            })
        },
    )
    .optional()
}

/// The value of an option in the stored `Key:base64(value);…` form.
pub fn option(stored: &str, key: &str) -> Option<String> {
    stored.split(';').find_map(|pair| {
        let (k, v) = pair.split_once(':')?;
        (k == key).then(|| {
            B64.decode(v)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default()
        })
    })
}

/// `BuildDeviceOptions` then `FormatDeviceOptions`: `Key:value;Key2:value2` as stored.
pub fn stored_options(plain: &str) -> String {
    plain
        .split(';')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(k, v)| format!("{k}:{}", B64.encode(v)))
        .collect::<Vec<_>>()
        .join(";")
}

/// `UpdateValueInt` for `udevice`: the dispatch to the managed path and what each version does.
/// `now` is the server's local time, `YYYY-MM-DD HH:MM:SS`.
pub fn update(
    db: &Connection,
    version: Version,
    idx: i64,
    nvalue: i64,
    svalue: &str,
    now: &str,
) -> Result<(), Refused> {
    let dev = device(db, idx)
        .map_err(|_| Refused::Database)?
        .ok_or(Refused::NoDevice)?;
    let real_managed_counter = dev.kind == MANAGED_COUNTER;
    let managed =
        real_managed_counter || option(&dev.options, "AddDBLogEntry").as_deref() == Some("true");
    let parts: Vec<&str> = svalue.split(';').collect();
    let dated = matches!(parts.len(), 3 | 7 | 11);
    if !managed || (!dated && version < Version::V2023_2) {
        return plain_update(db, idx, nvalue, svalue, now);
    }
    if !dated {
        if version == Version::V2023_2 {
            return Err(Refused::Regression2023_2);
        }
        // Anything but 3, 7 or 11 parts lands verbatim in the dashboard value, even a 5-part
        // value holding a date: the P1 widget then reads "Invalid".
        return plain_update(db, idx, nvalue, svalue, now);
    }
    calendar(db, idx, real_managed_counter, &parts)?;
    match version {
        // The dated value is copied into the dashboard: the widget shows "Invalid".
        Version::V2023_2 => plain_update(db, idx, nvalue, svalue, now),
        // 2020.1–2023.1 touched LastUpdate only.
        v if v < Version::V2023_2 => {
            let _ = db.execute(
                "UPDATE DeviceStatus SET LastUpdate = ?1 WHERE ID = ?2",
                params![now, idx],
            );
            Ok(())
        }
        // Since 2024.1 a dated update returns early: DeviceStatus is untouched.
        _ => Ok(()),
    }
}

fn plain_update(
    db: &Connection,
    idx: i64,
    nvalue: i64,
    svalue: &str,
    now: &str,
) -> Result<(), Refused> {
    db.execute(
        "UPDATE DeviceStatus SET nValue = ?1, sValue = ?2, LastUpdate = ?3 WHERE ID = ?4",
        params![nvalue, svalue, now, idx],
    )
    .map_err(|_| Refused::Database)?;
    Ok(())
}

/// `UpdateManagedValueInt` + `UpdateCalendarMeter` for a dated value of 3, 7 or 11 parts.
fn calendar(
    db: &Connection,
    idx: i64,
    real_managed_counter: bool,
    parts: &[&str],
) -> Result<(), Refused> {
    let date = parts[parts.len() - 1];
    let mut numbers = Vec::with_capacity(parts.len() - 1);
    for p in &parts[..parts.len() - 1] {
        let n = stoll(p).ok_or(Refused::NotANumber)?;
        numbers.push(if n < 0 && !real_managed_counter { 0 } else { n });
    }
    let short = is_short_log(date);
    // A rejected date is only logged: the caller still answers OK.
    if (short && !is_sql_datetime(date)) || (!short && !is_sql_date(date)) {
        tracing::warn!(%date, "UpdateCalendarMeter(): incorrect date format received");
        return Ok(());
    }
    let n = |i: usize| numbers.get(i).copied().unwrap_or(0);
    let result = if parts.len() == 3 {
        if short {
            upsert(db, "Meter", &["Value", "Usage"], &[n(0), n(1)], idx, date)
        } else {
            // v1 goes to Counter and v2 to Value: the column order is swapped.
            upsert(
                db,
                "Meter_Calendar",
                &["Counter", "Value"],
                &[n(0), n(1)],
                idx,
                date,
            )
        }
    } else {
        // Value order in the table: v1 = p0, v2 = p2, v3 = p4, v4 = p5, v5 = p1, v6 = p3.
        let values = [n(0), n(2), n(4), n(5), n(1), n(3)];
        if short {
            upsert(
                db,
                "MultiMeter",
                &["Value1", "Value2", "Value3", "Value4", "Value5", "Value6"],
                &values,
                idx,
                date,
            )
        } else {
            let counters = [n(6), n(7), n(8), n(9)];
            let all: Vec<i64> = values.iter().chain(counters.iter()).copied().collect();
            upsert(
                db,
                "MultiMeter_Calendar",
                &[
                    "Value1", "Value2", "Value3", "Value4", "Value5", "Value6", "Counter1",
                    "Counter2", "Counter3", "Counter4",
                ],
                &all,
                idx,
                date,
            )
        }
    };
    result.map_err(|_| Refused::Database)
}

/// SELECT by (DeviceRowID, Date), then UPDATE or INSERT: uniqueness lives only in this code.
fn upsert(
    db: &Connection,
    table: &str,
    columns: &[&str],
    values: &[i64],
    idx: i64,
    date: &str,
) -> rusqlite::Result<()> {
    let exists: bool = db
        .query_row(
            &format!("SELECT 1 FROM {table} WHERE DeviceRowID = ?1 AND Date = ?2"),
            params![idx, date],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    let mut args: Vec<rusqlite::types::Value> = values.iter().map(|v| (*v).into()).collect();
    args.push(idx.into());
    args.push(date.to_owned().into());
    let sql = if exists {
        let set: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ?{}", i + 1))
            .collect();
        format!(
            "UPDATE {table} SET {}, Price = 0.0 WHERE DeviceRowID = ?{} AND Date = ?{}",
            set.join(", "),
            columns.len() + 1,
            columns.len() + 2
        )
    } else {
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT INTO {table} ({}, DeviceRowID, Date, Price) VALUES ({}, ?{}, ?{}, 0.0)",
            columns.join(", "),
            marks.join(", "),
            columns.len() + 1,
            columns.len() + 2
        )
    };
    db.execute(&sql, rusqlite::params_from_iter(args))?;
    Ok(())
}

/// `CleanupShortLog`: drops short-log rows older than `days` before `now` (local). A row whose
/// date SQLite cannot read (`25:00:00`) is never dropped, as in Domoticz.
pub fn cleanup_short_log(db: &Connection, now: &str, days: i64) -> rusqlite::Result<()> {
    for table in ["MultiMeter", "Meter"] {
        db.execute(
            &format!("DELETE FROM {table} WHERE strftime('%s', Date) < strftime('%s', ?1, ?2)"),
            params![now, format!("-{days} days")],
        )?;
    }
    Ok(())
}
