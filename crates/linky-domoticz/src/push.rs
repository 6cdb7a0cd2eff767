//! Pushing a meter's history from the store into its Domoticz device: find or create the
//! device, compute the rows, send only the new or changed ones, record each accepted batch,
//! then read back through the graph API because Domoticz answers OK even when it drops a row.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use linky_core::aggregate::{aggregate, Period};
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::{Classifier, OffPeakSchedule};
use linky_core::{paris, Direction, Energy, UsagePoint};
use linky_store::{Store, StoreError};

use crate::client::{Domoticz, DomoticzError};
use crate::dashboard::{dashboard_value, DashboardError, DashboardPeriod, Statistic};
use crate::rows::{day_rows, hour_rows, merge_hours, DaySource};

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
    /// The dashboard's primary (peak) and secondary (energy) displays.
    pub dashboard: (DashboardPeriod, (Statistic, DashboardPeriod)),
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            short_log_days: 7,
            zone: paris::TZ,
            all: false,
            hardware_name: "Linky".into(),
            holiday_zone: HolidayZone::Metropole,
            dashboard: (
                DashboardPeriod::Day,
                (Statistic::Value, DashboardPeriod::Day),
            ),
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

/// What one meter's push did.
#[derive(Debug, Clone)]
pub struct MeterPush {
    /// The meter.
    pub pdl: UsagePoint,
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

/// Rows are recorded as accepted in batches, so a killed push resumes where it stopped.
const BATCH: usize = 200;

/// Finds the meter's device (remembered idx, the original plugin's device, a device named
/// `Linky <PDL>`) or creates it, and remembers it. Never deletes a device.
pub async fn locate_device(
    d: &Domoticz,
    store: &mut Store,
    pdl: &UsagePoint,
    settings: &PushSettings,
    calls: &mut usize,
) -> Result<(i64, DeviceOrigin), PushError> {
    let devices = d.devices().await?;
    *calls += 1;
    let name = format!("Linky {pdl}");
    let known = store.domoticz_device(pdl.as_str())?;
    let found = if let Some(idx) = known.filter(|i| devices.iter().any(|x| x.idx == *i)) {
        Some((idx, DeviceOrigin::Known))
    } else if let Some(x) = devices.iter().find(|x| x.device_id == pdl.as_str()) {
        Some((x.idx, DeviceOrigin::AdoptedFromPlugin))
    } else {
        devices
            .iter()
            .find(|x| x.name == name)
            .map(|x| (x.idx, DeviceOrigin::FoundByName))
    };
    let (idx, origin) = match found {
        Some(f) => f,
        None => {
            let hw = d.dummy_hardware(&settings.hardware_name).await?;
            let idx = d
                .create_p1(hw, &name, &format!("Compteur Linky {pdl}"))
                .await?;
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
    store.set_domoticz_device(pdl.as_str(), idx)?;
    if origin != DeviceOrigin::Known {
        // Domoticz reuses the idx of a deleted device (MAX(ID) + 1), so what was pushed to an
        // idx says nothing about a device found or created now: it gets every row.
        store.forget_domoticz_rows(idx, None)?;
    }
    Ok((idx, origin))
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
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
    let mut calls = 0;
    let (idx, origin) = locate_device(d, store, pdl, settings, &mut calls).await?;
    let server_days = d.short_log_days().await?;
    calls += 1;
    let days = settings.short_log_days.min(server_days).max(0);

    let today = paris::local_date(now);
    let to = paris::day_start(today);
    let hours = stored_hours(store, pdl, schedule, settings, today)?;
    let yesterday = today - Duration::days(1);
    let daily = |direction| -> Result<BTreeMap<NaiveDate, Energy>, StoreError> {
        Ok(store
            .daily(pdl, direction, first_day(), yesterday)?
            .into_iter()
            .map(|e| (e.date, e.energy))
            .collect())
    };
    let (usage, ret) = (
        daily(Direction::Consumption)?,
        daily(Direction::Production)?,
    );
    let day_list: Vec<_> = day_rows(&hours, &usage, &ret)
        .into_iter()
        .filter(|(r, _)| r.date < today)
        .collect();
    let hour_list = if days == 0 {
        Vec::new()
    } else {
        hour_rows(&hours, to - Duration::days(days), settings.zone)
    };

    if settings.all {
        store.forget_domoticz_rows(idx, None)?;
    }
    let pushed = store.domoticz_rows(idx)?;
    let mut report = MeterPush {
        pdl: pdl.clone(),
        idx,
        origin,
        hours_sent: 0,
        days_sent: 0,
        unchanged: 0,
        days_without_split: day_list
            .iter()
            .filter(|(_, s)| *s == DaySource::DailyTotal)
            .count(),
        not_landed: Vec::new(),
        calls,
        dashboard: Err(DashboardError::NoData("day")),
    };
    // Day rows first: they are the history that must not be lost; hour rows then.
    let wanted: Vec<(String, String, bool)> = day_list
        .iter()
        .map(|(r, _)| (r.date.format("%Y-%m-%d").to_string(), r.to_string(), false))
        .chain(
            hour_list
                .iter()
                .map(|r| (r.stamp.clone(), r.to_string(), true)),
        )
        .collect();
    let mut accepted: Vec<(String, String)> = Vec::new();
    let mut sent_days: Vec<String> = Vec::new();
    let mut sent_hours: Vec<String> = Vec::new();
    for (stamp, svalue, hourly) in wanted {
        if pushed.get(&stamp) == Some(&svalue) {
            report.unchanged += 1;
            continue;
        }
        d.update(idx, &svalue).await?;
        report.calls += 1;
        if hourly {
            report.hours_sent += 1;
            sent_hours.push(stamp.clone());
        } else {
            report.days_sent += 1;
            sent_days.push(stamp.clone());
        }
        accepted.push((stamp, svalue));
        if accepted.len() >= BATCH {
            store.record_domoticz_rows(idx, &accepted)?;
            accepted.clear();
        }
    }
    store.record_domoticz_rows(idx, &accepted)?;

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
        report.calls += 1;
        missing.extend(
            sent_hours
                .into_iter()
                .filter(|s| !shown.contains(&s[..16.min(s.len())])),
        );
    }
    let recent_days: Vec<String> = sent_days.into_iter().filter(|s| *s >= recent).collect();
    if !recent_days.is_empty() {
        let shown: HashSet<String> = d.graph_stamps(idx, "month").await?.into_iter().collect();
        report.calls += 1;
        missing.extend(recent_days.into_iter().filter(|s| !shown.contains(s)));
    }
    if !missing.is_empty() {
        // Not recorded as pushed: the next push tries again.
        store.forget_domoticz_rows(idx, Some(&missing))?;
        tracing::warn!(count = missing.len(), first = %missing[0], "rows Domoticz accepted but does not show");
    }
    report.not_landed = missing;
    let (value, calls) = send_dashboard(d, store, pdl, idx, &hours, settings, today).await?;
    report.dashboard = value;
    report.calls += calls;
    Ok(report)
}

/// Energy per hour of the whole stored history, both directions, split by tariff.
fn stored_hours(
    store: &Store,
    pdl: &UsagePoint,
    schedule: &OffPeakSchedule,
    settings: &PushSettings,
    today: NaiveDate,
) -> Result<BTreeMap<DateTime<Utc>, crate::rows::MeterSplit>, StoreError> {
    let (from, to) = (paris::day_start(first_day()), paris::day_start(today));
    let mut by_direction = Vec::new();
    for direction in [Direction::Consumption, Direction::Production] {
        let curve = store.curve(pdl, direction, from, to)?;
        let classifier = Classifier::new(schedule, Some(pdl), direction, settings.holiday_zone);
        by_direction.push(aggregate(curve.points(), Period::Hour, |p| {
            classifier.is_offpeak(p)
        }));
    }
    Ok(merge_hours(&by_direction[0], &by_direction[1]))
}

/// Computes and sends the dashboard value; a period without data keeps the old value (logged).
async fn send_dashboard(
    d: &Domoticz,
    store: &Store,
    pdl: &UsagePoint,
    idx: i64,
    hours: &BTreeMap<DateTime<Utc>, crate::rows::MeterSplit>,
    settings: &PushSettings,
    today: NaiveDate,
) -> Result<(Result<String, DashboardError>, usize), PushError> {
    let peaks = store.max_power(pdl, first_day(), today - Duration::days(1))?;
    let (primary, secondary) = settings.dashboard;
    match dashboard_value(hours, &peaks, primary, secondary, today) {
        Ok(parts) => {
            let value = parts.map(|p| p.to_string()).join(";");
            d.update(idx, &value).await?;
            Ok((Ok(value), 1))
        }
        Err(e) => {
            tracing::info!(%pdl, reason = %e, "dashboard value kept");
            Ok((Err(e), 0))
        }
    }
}

/// Re-sends the dashboard value of a meter whose device is known: the daemon does it every
/// hour, because dated values never refresh the widget, which turns red after a while.
pub async fn refresh_dashboard(
    d: &Domoticz,
    store: &Store,
    pdl: &UsagePoint,
    schedule: &OffPeakSchedule,
    settings: &PushSettings,
    now: DateTime<Utc>,
) -> Result<Option<Result<String, DashboardError>>, PushError> {
    let Some(idx) = store.domoticz_device(pdl.as_str())? else {
        return Ok(None);
    };
    let today = paris::local_date(now);
    let hours = stored_hours(store, pdl, schedule, settings, today)?;
    let (value, _) = send_dashboard(d, store, pdl, idx, &hours, settings, today).await?;
    Ok(Some(value))
}
