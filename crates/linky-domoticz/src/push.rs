//! Pushing a meter's history from the store into its Domoticz device: find or create the
//! device, compute the rows, send only the new or changed ones, record each accepted batch,
//! then read back through the graph API because Domoticz answers OK even when it drops a row.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use linky_core::history::MeterHistory;
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::OffPeakSchedule;
use linky_core::{paris, UsagePoint};
use linky_store::{Store, StoreError};

use crate::client::{Device, Domoticz, DomoticzError};
use crate::dashboard::{dashboard_value, DashboardError, DashboardPeriod};
use crate::rows::{rows_of, DaySource, MeterIndex};

/// What a push may do.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// Days of hourly rows wanted; capped by the server's "Short Log Sensors" days.
    pub short_log_days: i64,
    /// The Domoticz server's time zone (its rows are keyed by its local time).
    pub zone: Tz,
    /// Rewrite every row, not only the new or changed ones (`linky domoticz push --all`).
    pub all: bool,
    /// The Dummy hardware that holds linky's devices.
    pub hardware_name: String,
    /// Alsace-Moselle holidays for the off-peak rules.
    pub holiday_zone: HolidayZone,
    /// The period of the peak power the card shows (the original's primary display).
    pub dashboard: DashboardPeriod,
    /// Day rows in the 11-part form, with end-of-day indexes (Domoticz's month and year
    /// graphs then show the meter index).
    pub day_indexes: bool,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            short_log_days: 7,
            zone: paris::TZ,
            all: false,
            hardware_name: "Linky".into(),
            holiday_zone: HolidayZone::Metropole,
            dashboard: DashboardPeriod::Day,
            day_indexes: false,
        }
    }
}

/// How the device of a meter was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOrigin {
    /// The idx linky remembered.
    Known,
    /// The original plugin's device (DeviceID = PDL), adopted with its history.
    AdoptedFromPlugin,
    /// A device named `Linky <PDL>`, adopted.
    FoundByName,
    /// Created now.
    Created,
}

/// What one device's push did.
#[derive(Debug, Clone)]
pub struct MeterPush {
    /// The meter's PDL, or `<consumption PDL> / <production PDL>` for a merged device.
    pub key: String,
    /// Its Domoticz device.
    pub idx: i64,
    /// How the device was found.
    pub origin: DeviceOrigin,
    /// Hour rows sent.
    pub hours_sent: usize,
    /// Day rows sent.
    pub days_sent: usize,
    /// Rows already in Domoticz with the same value.
    pub unchanged: usize,
    /// Days whose curve is incomplete, pushed with the daily total in tariff 1.
    pub days_without_split: usize,
    /// Rows the graph API does not show after the push (Domoticz dropped them).
    pub not_landed: Vec<String>,
    /// HTTP calls made.
    pub calls: usize,
    /// The dashboard value sent, or why the old one stays.
    pub dashboard: Result<String, DashboardError>,
}

/// Why a push stopped.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// Domoticz said no or could not be reached.
    #[error(transparent)]
    Domoticz(#[from] DomoticzError),
    /// The store could not be read or written.
    #[error("the local store: {0}")]
    Store(#[from] StoreError),
}

impl linky_core::Localized for PushError {
    fn localized(&self, lang: linky_core::Lang) -> String {
        match self {
            PushError::Domoticz(e) => e.localized(lang),
            PushError::Store(e) => e.localized(lang),
        }
    }
}

/// The name linky gives the device of `key`.
pub fn device_name(key: &str) -> String {
    format!("Linky {key}")
}

/// The idx linky remembers for `key` on `server`; none for another server (its idx numbers name
/// other devices).
pub fn remembered_device(
    store: &Store,
    server: &str,
    key: &str,
) -> Result<Option<i64>, StoreError> {
    if store.domoticz_server()?.as_deref() != Some(server) {
        return Ok(None);
    }
    store.domoticz_device(key)
}

/// The description linky gives the device of `key`; it names the meter, so the device is
/// recognised even after the user renamed it.
pub fn device_description(key: &str) -> String {
    format!("Compteur Linky {key}")
}

/// Whether `device` was made by linky for `key`: a P1 meter with linky's name or description.
fn made_by_linky(device: &Device, key: &str) -> bool {
    device.is_p1()
        && (device.name == device_name(key) || device.description == device_description(key))
}

/// Whether `device` is the original DomoticzLinky plugin's device of `key`: a P1 meter whose
/// DeviceID is the PDL (while the plugin runs) or the hex of its number truncated to 32 bits
/// (once the plugin is disabled), or named `<hardware name> - Linky <key>` (domoticz.md §8).
fn made_by_plugin(device: &Device, key: &str) -> bool {
    let truncated = key.parse::<u64>().ok().map(|n| format!("{:08X}", n as u32));
    device.is_p1()
        && (device.device_id == key
            || Some(&device.device_id) == truncated.as_ref()
            || device.name.ends_with(&format!(" - {}", device_name(key))))
}

/// Whether `device` may receive `key`'s rows: a P1 meter that linky or the original plugin
/// made for that meter. Domoticz gives a deleted device's idx to the next device of any kind
/// (domoticz.md §8), so a remembered idx proves nothing by itself.
pub fn is_meter_device(device: &Device, key: &str) -> bool {
    made_by_linky(device, key) || made_by_plugin(device, key)
}

/// The device of `key` among `devices`: the remembered idx if it is still the meter's, else the
/// original plugin's device, else one linky made (by name or description).
pub fn find_device<'a>(
    devices: &'a [Device],
    known: Option<i64>,
    key: &str,
) -> Option<(&'a Device, DeviceOrigin)> {
    known
        .and_then(|i| devices.iter().find(|x| x.idx == i))
        .filter(|x| is_meter_device(x, key))
        .map(|x| (x, DeviceOrigin::Known))
        .or_else(|| {
            devices
                .iter()
                .find(|x| made_by_plugin(x, key))
                .map(|x| (x, DeviceOrigin::AdoptedFromPlugin))
        })
        .or_else(|| {
            devices
                .iter()
                .find(|x| made_by_linky(x, key))
                .map(|x| (x, DeviceOrigin::FoundByName))
        })
}

/// Finds the device of `key` (a PDL, or `<consumption PDL> / <production PDL>` for a merged
/// device): the remembered idx, the original plugin's device (DeviceID = key), a device named
/// `Linky <key>`; or creates it; and remembers it. Never deletes a device.
pub async fn locate_device(
    d: &Domoticz,
    store: &mut Store,
    key: &str,
    settings: &PushSettings,
    calls: &mut usize,
) -> Result<(i64, DeviceOrigin), PushError> {
    let devices = d.devices().await?;
    *calls += 1;
    let name = device_name(key);
    let known = remembered_device(store, d.base_url(), key)?;
    let found = find_device(&devices, known, key);
    if let Some(old) = known.filter(|_| !matches!(found, Some((_, DeviceOrigin::Known)))) {
        match devices.iter().find(|x| x.idx == old) {
            Some(other) => tracing::warn!(
                idx = old,
                now = %other.label(),
                "the remembered Domoticz device is not the meter's any more: not written; the meter's device is looked up again"
            ),
            None => tracing::info!(idx = old, "the remembered Domoticz device was deleted"),
        }
        store.forget_domoticz_rows(old, None)?;
    }
    let (idx, origin) = match found {
        Some((x, origin)) => (x.idx, origin),
        None => {
            let hw = d.dummy_hardware(&settings.hardware_name).await?;
            let idx = d.create_p1(hw, &name, &device_description(key)).await?;
            *calls += 4;
            (idx, DeviceOrigin::Created)
        }
    };
    if matches!(
        origin,
        DeviceOrigin::AdoptedFromPlugin | DeviceOrigin::FoundByName
    ) {
        // An adopted device may lack the options: without AddDBLogEntry the dated values
        // would land in the dashboard value.
        d.set_options(idx, None).await?;
        *calls += 1;
    }
    store.set_domoticz_device(key, idx)?;
    if origin != DeviceOrigin::Known {
        // Domoticz reuses the idx of a deleted device (MAX(ID) + 1), so what was pushed to an
        // idx says nothing about a device found or created now: it gets every row.
        store.forget_domoticz_rows(idx, None)?;
    }
    Ok((idx, origin))
}

/// The merged devices to write: every consumption-only meter with every production-only one
/// (indexes into `meters`).
pub fn merged_pairs(meters: &[MeterHistory]) -> Vec<(usize, usize)> {
    let only = |usage: bool| -> Vec<usize> {
        meters
            .iter()
            .enumerate()
            .filter(|(_, m)| m.has_consumption() == usage && m.has_production() != usage)
            .map(|(i, _)| i)
            .collect()
    };
    let (consumers, producers) = (only(true), only(false));
    consumers
        .iter()
        .flat_map(|c| producers.iter().map(move |p| (*c, *p)))
        .collect()
}

/// Pushes one meter's stored history. `now` decides what "today" (never pushed: incomplete) is.
pub async fn push_meter(
    d: &Domoticz,
    store: &mut Store,
    pdl: &UsagePoint,
    schedule: &OffPeakSchedule,
    settings: &PushSettings,
    now: DateTime<Utc>,
) -> Result<MeterPush, PushError> {
    let data = store.meter_history(pdl, schedule, settings.holiday_zone, paris::local_date(now))?;
    push_device(d, store, &data, settings, now).await
}

/// Rows are recorded as accepted every this many, so an interrupted push resumes close to
/// where it stopped (and what was accepted before an error is recorded too).
const BATCH: usize = 25;

/// Short-log rows this close to Domoticz's retention limit are gone before anyone sees them.
const RETENTION_MARGIN_MINUTES: i64 = 10;

/// The first hour end worth sending: `hours_days` local days back from today's midnight (so
/// the 00:00 row of the first day is included), but not before what Domoticz keeps, `Short Log
/// Sensors` × 24 h back from now, cleaned every 5 minutes (domoticz.md §8).
pub fn short_log_since(now: DateTime<Utc>, hours_days: i64, server_days: i64) -> DateTime<Utc> {
    let wanted = paris::day_start(paris::local_date(now)) - Duration::days(hours_days);
    let kept = now - Duration::days(server_days) + Duration::minutes(RETENTION_MARGIN_MINUTES);
    wanted.max(kept)
}

/// Pushes what one device shows: rows new or changed since the last push, read-back, dashboard.
/// `now` decides what "today" (never pushed: incomplete) is and which hours Domoticz keeps.
pub async fn push_device(
    d: &Domoticz,
    store: &mut Store,
    data: &MeterHistory,
    settings: &PushSettings,
    now: DateTime<Utc>,
) -> Result<MeterPush, PushError> {
    let today = paris::local_date(now);
    let mut calls = 0;
    if same_server_elsewhere(d, store).await? {
        calls += 1;
        tracing::info!(
            server = d.base_url(),
            "the same Domoticz at a new address: devices and rows kept"
        );
        store.set_domoticz_server(d.base_url())?;
    }
    if store.bind_domoticz_server(d.base_url())? {
        tracing::warn!(
            server = d.base_url(),
            "another Domoticz server: its devices are looked up again and get every row"
        );
    }
    let (idx, origin) = locate_device(d, store, &data.key, settings, &mut calls).await?;
    let server_days = d.short_log_days().await?;
    calls += 1;
    let days = settings.short_log_days.max(0);
    if server_days < days && store.short_log_warned()? != Some(server_days) {
        tracing::warn!(
            server_days,
            wanted = days,
            "Domoticz keeps {server_days} day(s) of hours (Setup > Settings > Log History > Short Log Sensors): raise it to {days} to see every hour linky sends"
        );
        store.set_short_log_warned(server_days)?;
    }
    let splits = data.days();
    let index = MeterIndex::new(&data.hours, &splits);
    let day_list: Vec<_> = rows_of(&splits)
        .into_iter()
        .filter(|(r, _)| r.date < today)
        .collect();
    let hour_list = if days == 0 || server_days <= 0 {
        Vec::new()
    } else {
        index.hour_rows(short_log_since(now, days, server_days), settings.zone)
    };

    if settings.all {
        store.forget_domoticz_rows(idx, None)?;
    }
    let pushed = store.domoticz_rows(idx)?;
    let days_without_split = day_list
        .iter()
        .filter(|(_, s)| *s == DaySource::DailyTotal)
        .count();
    // Day rows first: they are the history that must not be lost; hour rows then.
    let indexes = if settings.day_indexes {
        let dates: Vec<NaiveDate> = day_list.iter().map(|(r, _)| r.date).collect();
        index.day_ends(&dates)
    } else {
        Vec::new()
    };
    let wanted: Vec<(String, String)> = day_list
        .iter()
        .enumerate()
        .map(|(i, (r, _))| {
            let svalue = match indexes.get(i) {
                Some(index) => r.with_indexes(index),
                None => r.to_string(),
            };
            (r.date.format("%Y-%m-%d").to_string(), svalue)
        })
        .chain(hour_list.iter().map(|r| (r.stamp.clone(), r.to_string())))
        .collect();
    let (sent, unchanged) = send_rows(d, store, idx, wanted, &pushed).await?;
    calls += sent.len();
    // Day rows are stamped with a date, hour rows with a date and a time.
    let (mut sent_hours, sent_days): (Vec<String>, Vec<String>) =
        sent.into_iter().partition(|s| s.len() > 10);
    let (hours_sent, days_sent) = (sent_hours.len(), sent_days.len());

    // Read back what this push sent and the graphs can show: the short log (range=day) and the
    // last month of days (range=month).
    let recent = (today - Duration::days(28)).format("%Y-%m-%d").to_string();
    let mut missing = Vec::new();
    // The day graph shows differences of consecutive rows, so the earliest row never shows
    // on its own: it is not checked.
    sent_hours.sort_unstable();
    if sent_hours.len() > 1 {
        sent_hours.remove(0);
        let shown: HashSet<String> = d.graph_stamps(idx, "day").await?.into_iter().collect();
        calls += 1;
        missing.extend(
            sent_hours
                .into_iter()
                .filter(|s| !shown.contains(&s[..16.min(s.len())])),
        );
    }
    let recent_days: Vec<String> = sent_days.into_iter().filter(|s| *s >= recent).collect();
    if !recent_days.is_empty() {
        let shown: HashSet<String> = d.graph_stamps(idx, "month").await?.into_iter().collect();
        calls += 1;
        missing.extend(recent_days.into_iter().filter(|s| !shown.contains(s)));
    }
    if !missing.is_empty() {
        // Not recorded as pushed: the next push tries again.
        store.forget_domoticz_rows(idx, Some(&missing))?;
        tracing::warn!(count = missing.len(), first = %missing[0], "rows Domoticz accepted but does not show");
    }
    let (dashboard, dashboard_calls) = send_dashboard(d, data, idx, settings, today).await?;
    Ok(MeterPush {
        key: data.key.clone(),
        idx,
        origin,
        hours_sent,
        days_sent,
        unchanged,
        days_without_split,
        not_landed: missing,
        calls: calls + dashboard_calls,
        dashboard,
    })
}

/// Sends the rows whose value differs from what the store says was pushed to `idx`, recording
/// what Domoticz accepted every [`BATCH`] rows and before an error (the next push goes on from
/// there). Gives the stamps sent and the number of rows left unchanged.
pub(crate) async fn send_rows(
    d: &Domoticz,
    store: &mut Store,
    idx: i64,
    wanted: Vec<(String, String)>,
    pushed: &std::collections::HashMap<String, String>,
) -> Result<(Vec<String>, usize), PushError> {
    let mut unchanged = 0;
    let mut sent = Vec::new();
    let mut accepted: Vec<(String, String)> = Vec::new();
    for (stamp, svalue) in wanted {
        if pushed.get(&stamp) == Some(&svalue) {
            unchanged += 1;
            continue;
        }
        if let Err(e) = d.update(idx, &svalue).await {
            store.record_domoticz_rows(idx, &accepted)?;
            return Err(e.into());
        }
        sent.push(stamp.clone());
        accepted.push((stamp, svalue));
        if accepted.len() >= BATCH {
            store.record_domoticz_rows(idx, &accepted)?;
            accepted.clear();
        }
    }
    store.record_domoticz_rows(idx, &accepted)?;
    Ok((sent, unchanged))
}

/// The socket addresses an `http(s)://host:port` address resolves to.
async fn resolve(url: &str) -> Vec<std::net::SocketAddr> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
        return Vec::new();
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    tokio::net::lookup_host((host, port))
        .await
        .map(Iterator::collect)
        .unwrap_or_default()
}

/// Whether the configured address is new but names the server linky pushed to before (an IP
/// for its name, or the other way round): both resolve to a common address, and every
/// remembered device is there, still the meter's. Then its rows need not be sent again.
async fn same_server_elsewhere(d: &Domoticz, store: &Store) -> Result<bool, PushError> {
    let Some(before) = store.domoticz_server()? else {
        return Ok(false);
    };
    if before == d.base_url() {
        return Ok(false);
    }
    let (old, new) = (resolve(&before).await, resolve(d.base_url()).await);
    if !old.iter().any(|a| new.contains(a)) {
        return Ok(false);
    }
    let remembered = store.domoticz_devices()?;
    if remembered.is_empty() {
        return Ok(false);
    }
    let devices = d.devices().await?;
    Ok(remembered.iter().all(|(key, idx, _)| {
        devices
            .iter()
            .any(|x| x.idx == *idx && is_meter_device(x, key))
    }))
}

/// Computes and sends the dashboard value; a period without data keeps the old value (logged).
async fn send_dashboard(
    d: &Domoticz,
    data: &MeterHistory,
    idx: i64,
    settings: &PushSettings,
    today: NaiveDate,
) -> Result<(Result<String, DashboardError>, usize), PushError> {
    match dashboard_value(
        MeterIndex::of(data).total(),
        &data.peaks,
        settings.dashboard,
        today,
    ) {
        Ok(parts) => {
            let value = parts.map(|p| p.to_string()).join(";");
            d.update(idx, &value).await?;
            Ok((Ok(value), 1))
        }
        Err(e) => {
            tracing::info!(device = %data.key, reason = %e, "dashboard value kept");
            Ok((Err(e), 0))
        }
    }
}

/// Re-sends the dashboard value of a device that was pushed before: the daemon does it every
/// hour, because dated values never refresh the widget, which turns red after a while.
pub async fn refresh_dashboard(
    d: &Domoticz,
    store: &Store,
    data: &MeterHistory,
    settings: &PushSettings,
    today: NaiveDate,
) -> Result<Option<Result<String, DashboardError>>, PushError> {
    let Some(idx) = remembered_device(store, d.base_url(), &data.key)? else {
        return Ok(None);
    };
    // Never into a device that took the idx of a deleted one (domoticz.md §8).
    let devices = d.devices().await?;
    match devices.iter().find(|x| x.idx == idx) {
        Some(x) if is_meter_device(x, &data.key) => {}
        Some(x) => {
            return Err(DomoticzError::NotOurDevice {
                idx,
                found: x.label(),
            }
            .into())
        }
        None => return Ok(None),
    }
    let (value, _) = send_dashboard(d, data, idx, settings, today).await?;
    Ok(Some(value))
}
