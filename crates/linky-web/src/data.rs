//! The adapter between the store and the pure views: reads what a page or an export needs.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use linky_core::aggregate::TariffSplit;
use linky_core::history::SplitRules;
use linky_core::periods::DashboardPeriod;
use linky_core::tariff::cost::day_costs;
use linky_core::tariff::{Money, TariffChoice};
use linky_core::{paris, Direction, UsagePoint};
use linky_store::{Kind, MeterRecord, Store, StoreError};
use serde::Serialize;

use crate::costs::meter_tariff;
use crate::metrics::MetricsInput;
use crate::view::{energy_rows, SeriesLedger, Step};

/// A consent ending within this many days is flagged (the daemon warns at 30 and 7).
pub const CONSENT_WARNING_DAYS: i64 = 30;

/// The stored meter with this PDL, if any.
pub fn find_meter(store: &Store, pdl: &str) -> Result<Option<MeterRecord>, StoreError> {
    Ok(store.meters()?.into_iter().find(|m| m.pdl.as_str() == pdl))
}

/// What one page shows: a meter, or a household's consumption and production meters together
/// (the key `<consumption PDL>+<production PDL>`), as the merged Domoticz device does.
#[derive(Debug, Clone)]
pub struct ShownMeters {
    /// The meter shown, or the household's consumption meter (its contract, power and price).
    pub main: MeterRecord,
    /// The household's production meter.
    pub production: Option<MeterRecord>,
}

impl ShownMeters {
    /// The meter or household with this key, if stored.
    pub fn find(store: &Store, key: &str) -> Result<Option<ShownMeters>, StoreError> {
        let meters = store.meters()?;
        let get = |pdl: &str| meters.iter().find(|m| m.pdl.as_str() == pdl).cloned();
        Ok(match key.split_once('+') {
            None => get(key).map(|main| ShownMeters {
                main,
                production: None,
            }),
            Some((c, p)) => get(c).zip(get(p)).map(|(main, production)| ShownMeters {
                main,
                production: Some(production),
            }),
        })
    }

    /// Every meter shown.
    pub fn meters(&self) -> impl Iterator<Item = &MeterRecord> {
        std::iter::once(&self.main).chain(self.production.as_ref())
    }

    /// The history over `[first, end)`: the meter's, or the household's consumption and
    /// production merged.
    pub fn history_between(
        &self,
        store: &Store,
        rules: &SplitRules,
        first: NaiveDate,
        end: NaiveDate,
    ) -> Result<linky_core::history::MeterHistory, StoreError> {
        let main = store.history_between(&self.main, rules, first, end)?;
        Ok(match &self.production {
            None => main,
            Some(p) => {
                let production = store.history_between(p, rules, first, end)?;
                linky_core::history::MeterHistory::merged(&main, &production)
            }
        })
    }
}

/// A household shown together: a consumption-only meter and a production-only meter.
#[derive(Debug, Clone, Serialize)]
pub struct Household {
    /// The key of its page (`<consumption>+<production>`).
    pub key: String,
    /// The consumption meter.
    pub consumption: String,
    /// The production meter.
    pub production: String,
}

/// Every pair of a consumption-only and a production-only meter, as Domoticz's merged devices.
pub fn households(meters: &[MeterStatus]) -> Vec<Household> {
    let only = |c: bool| {
        meters
            .iter()
            .filter(move |m| m.has_consumption == c && m.has_production != c)
    };
    only(true)
        .flat_map(|c| {
            only(false).map(move |p| Household {
                key: format!("{}+{}", c.pdl, p.pdl),
                consumption: c.pdl.clone(),
                production: p.pdl.clone(),
            })
        })
        .collect()
}

/// A meter's series and their ledgers over `[from, to]`, without the series Enedis has nothing
/// for as a whole (production of a consumption-only meter, a curve not enabled).
pub fn calendar_series(
    store: &Store,
    pdl: &UsagePoint,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SeriesLedger>, StoreError> {
    let absences = store.absences(pdl)?;
    let mut out = Vec::new();
    for direction in Direction::ALL {
        for &kind in Kind::of(direction) {
            let absent = absences
                .iter()
                .any(|a| a.direction == direction && a.kind == kind);
            let ledger = store.ledger(pdl, direction, kind, from, to)?;
            // A series never asked and absent as a whole has no place in the calendar.
            if absent && ledger.is_empty() {
                continue;
            }
            out.push(SeriesLedger {
                direction,
                kind,
                ledger,
            });
        }
    }
    Ok(out)
}

/// The last finished sync.
#[derive(Debug, Clone, Serialize)]
pub struct LastSync {
    /// When it finished.
    pub at: DateTime<Utc>,
    /// `ok`, `consent_lost`, `quota`, `unauthorized` or `unavailable`.
    pub outcome: linky_store::RunOutcome,
    /// Enedis calls it made.
    pub calls: u32,
}

/// One meter on the status card.
#[derive(Debug, Clone, Serialize)]
pub struct MeterStatus {
    /// The PDL.
    pub pdl: String,
    /// Subscribed power, kVA.
    pub subscribed_kva: Option<u32>,
    /// The contract's off-peak hours, Enedis form.
    pub contract_offpeak: Option<String>,
    /// Last activation.
    pub activation_date: Option<NaiveDate>,
    /// When the consent ends.
    pub consent_ends_at: Option<DateTime<Utc>>,
    /// Whole days left.
    pub consent_days_left: Option<i64>,
    /// Ends within [`CONSENT_WARNING_DAYS`] (or has ended).
    pub consent_warning: bool,
    /// Enedis's words when it said the consent was gone.
    pub consent_lost: Option<String>,
    /// Consumption data stored.
    pub has_consumption: bool,
    /// Production data stored.
    pub has_production: bool,
    /// First and last stored day (daily energy or curve, either direction).
    pub first_day: Option<NaiveDate>,
    /// Last stored day.
    pub last_day: Option<NaiveDate>,
}

/// Domoticz as the client last saw it.
#[derive(Debug, Clone, Serialize)]
pub struct DomoticzStatus {
    /// Whether `domoticz.url` is set.
    pub configured: bool,
    /// The last push as the client recorded it (time, result, per-device counts).
    pub last_push: Option<linky_store::PushRecord>,
    /// Known devices: key (PDL), idx and rows pushed.
    pub devices: Vec<DomoticzDevice>,
}

/// One Domoticz device linky writes.
#[derive(Debug, Clone, Serialize)]
pub struct DomoticzDevice {
    /// The meter's PDL, or the `C / P` pair of a merged device.
    pub key: String,
    /// Domoticz's idx.
    pub idx: i64,
    /// Rows pushed and remembered.
    pub rows: u64,
}

/// The status card.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The server's clock.
    pub now: DateTime<Utc>,
    /// The last finished sync.
    pub last_sync: Option<LastSync>,
    /// The daemon's next planned sync (RFC 3339), if it runs.
    pub next_sync: Option<String>,
    /// Enedis calls made today (Paris day).
    pub calls_today: u64,
    /// Enedis errors today by kind.
    pub errors_today: BTreeMap<String, u64>,
    /// Every meter.
    pub meters: Vec<MeterStatus>,
    /// Households shown together (a consumption and a production meter).
    pub households: Vec<Household>,
    /// Domoticz.
    pub domoticz: DomoticzStatus,
}

fn days_left(ends: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (ends - now).num_days()
}

fn meter_status(
    store: &Store,
    m: &MeterRecord,
    now: DateTime<Utc>,
) -> Result<MeterStatus, StoreError> {
    let mut range: Option<(NaiveDate, NaiveDate)> = None;
    let mut has = [false, false];
    for (i, direction) in Direction::ALL.into_iter().enumerate() {
        for kind in [Kind::Daily, Kind::Curve] {
            if let Some((a, b, _)) = store.fetched_range(&m.pdl, direction, kind)? {
                has[i] = true;
                range = Some(range.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
            }
        }
    }
    let left = m.consent_ends_at.map(|e| days_left(e, now));
    Ok(MeterStatus {
        pdl: m.pdl.as_str().to_owned(),
        subscribed_kva: m.subscribed_kva,
        contract_offpeak: m.contract_offpeak.clone(),
        activation_date: m.activation_date,
        consent_ends_at: m.consent_ends_at,
        consent_days_left: left,
        consent_warning: m.consent_lost.is_some()
            || left.is_some_and(|l| l <= CONSENT_WARNING_DAYS),
        consent_lost: m.consent_lost.as_ref().map(|(_, why)| why.clone()),
        has_consumption: has[0],
        has_production: has[1],
        first_day: range.map(|r| r.0),
        last_day: range.map(|r| r.1),
    })
}

/// The status card's facts.
pub fn status(
    store: &Store,
    now: DateTime<Utc>,
    domoticz_configured: bool,
) -> Result<Status, StoreError> {
    let today_start = paris::day_start(paris::local_date(now));
    let today = store.run_totals(Some(today_start))?;
    let meters = store
        .meters()?
        .iter()
        .map(|m| meter_status(store, m, now))
        .collect::<Result<Vec<_>, _>>()?;
    let last_push = store.last_push()?;
    Ok(Status {
        now,
        last_sync: store
            .last_run()?
            .map(|(at, outcome, calls)| LastSync { at, outcome, calls }),
        next_sync: store
            .next_sync()?
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        calls_today: today.calls,
        errors_today: today.errors,
        households: households(&meters),
        meters,
        domoticz: DomoticzStatus {
            configured: domoticz_configured,
            last_push,
            devices: store
                .domoticz_devices()?
                .into_iter()
                .map(|(key, idx, rows)| DomoticzDevice { key, idx, rows })
                .collect(),
        },
    })
}

/// What `/metrics` reports, read from the store.
pub fn metrics_input(
    store: &Store,
    rules: &SplitRules,
    tariff: &TariffChoice,
    now: DateTime<Utc>,
) -> Result<MetricsInput, StoreError> {
    let colours = store.day_colours()?;
    let today = paris::local_date(now);
    let mut input = MetricsInput {
        last_sync: store.last_run()?.map(|(at, outcome, _)| (at, outcome)),
        runs: store.run_totals(None)?,
        ..MetricsInput::default()
    };
    for meter in store.meters()? {
        let data = store.history_of(&meter, rules, today)?;
        let mut sums = (TariffSplit::default(), TariffSplit::default());
        let first = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today);
        for row in energy_rows(&data, Step::Year, first, today) {
            sums.0.add(&row.consumption);
            sums.1.add(&row.production);
        }
        input.energy.insert(meter.pdl.as_str().to_owned(), sums);
        if let Some(prices) = meter_tariff(tariff, &meter, &data) {
            let days = day_costs(&data, &prices.tariff, &colours);
            let total: Money = days.iter().map(|d| d.cost.total()).sum();
            input
                .cost_total
                .insert(meter.pdl.as_str().to_owned(), total.euros());
            let periods = DashboardPeriod::ALL
                .iter()
                .map(|p| {
                    let (from, to) = p.days(today);
                    let euros: Money = days
                        .iter()
                        .filter(|d| (from..=to).contains(&d.date))
                        .map(|d| d.cost.total())
                        .sum();
                    (p.name(), euros.euros())
                })
                .collect();
            input
                .period_costs
                .insert(meter.pdl.as_str().to_owned(), periods);
        }
        if let Some(ends) = meter.consent_ends_at {
            input
                .consent_days_left
                .insert(meter.pdl.as_str().to_owned(), days_left(ends, now));
        }
    }
    for (key, _, rows) in store.domoticz_devices()? {
        input.domoticz_rows.insert(key, rows);
    }
    Ok(input)
}

/// The default first day of a chart at `step`, for a page opened on `today`.
pub fn default_from(step: Step, today: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    match step {
        Step::Hour => today - Duration::days(7),
        Step::Day => today - Duration::days(60),
        Step::Month => {
            let back = today - Duration::days(730);
            back.with_day(1).unwrap_or(back)
        }
        Step::Year => NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today),
    }
}
