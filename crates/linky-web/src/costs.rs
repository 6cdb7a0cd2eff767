//! Euros beside the kWh: the cost of each row of a series, of each dashboard period and of the
//! same period a year before, and the comparison of options. Plain functions over the core's
//! history and prices.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use linky_core::aggregate::{Period, PeriodKey};
use linky_core::history::MeterHistory;
use linky_core::periods::DashboardPeriod;
use linky_core::tariff::cost::{compare_options, day_costs, hour_costs, Comparison, Cost};
use linky_core::tariff::{regulated, DayColours, MeterTariff, TariffChoice};
use linky_core::Energy;
use linky_store::MeterRecord;
use serde::Serialize;

use crate::view::{EnergyRow, PeriodTotal, Step};

/// A cost as the API, the page and the exports show it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostFigures {
    /// Energy, euros.
    pub energy_eur: f64,
    /// The subscription's share, euros (0 when the subscription is not given).
    pub subscription_eur: f64,
    /// Both, euros.
    pub total_eur: f64,
    /// `measured`, `average_rate` (some days known only by their total) or `colour_unknown`
    /// (some Tempo/EJP colours not known, priced as blue or normal).
    pub basis: &'static str,
}

/// Euros to the hundredth of a cent: an hour costs a few cents, and sums stay readable.
fn euros(micro: i64) -> f64 {
    (micro as f64 / 100.0).round() / 1e4
}

impl From<Cost> for CostFigures {
    fn from(c: Cost) -> CostFigures {
        CostFigures {
            energy_eur: euros(c.energy.micro()),
            subscription_eur: euros(c.subscription.micro()),
            total_eur: euros(c.total().micro()),
            basis: c.basis.name(),
        }
    }
}

/// The prices of a meter's consumption, as the settings choose them with its contract; `None`
/// for a meter without consumption (a production meter is not billed) or when no prices apply.
pub fn meter_tariff(
    choice: &TariffChoice,
    meter: &MeterRecord,
    data: &MeterHistory,
) -> Option<MeterTariff> {
    if !data.has_consumption() {
        return None;
    }
    let offpeak = meter
        .contract_offpeak
        .as_deref()
        .is_some_and(|o| !o.trim().is_empty());
    choice.for_meter(meter.subscribed_kva, offpeak)
}

/// The prices that apply to a meter's page, with the published colours.
#[derive(Debug, Clone, Copy)]
pub struct Pricing<'a> {
    /// The meter's prices.
    pub tariff: &'a MeterTariff,
    /// Tempo and EJP colours.
    pub colours: &'a DayColours,
}

fn period_of(step: Step) -> Period {
    match step {
        Step::Month => Period::Month,
        Step::Year => Period::Year,
        _ => Period::Day,
    }
}

/// The cost of each day, by Paris date.
fn by_day(data: &MeterHistory, pricing: &Pricing<'_>) -> BTreeMap<NaiveDate, Cost> {
    day_costs(data, &pricing.tariff.tariff, pricing.colours)
        .into_iter()
        .map(|d| (d.date, d.cost))
        .collect()
}

/// Sets each row's cost: hours from the hour's own price, other steps from their days' costs
/// (so a month is the sum of its days, as the kWh are).
pub fn add_costs(rows: &mut [EnergyRow], data: &MeterHistory, step: Step, pricing: &Pricing<'_>) {
    if step == Step::Hour {
        let hours = hour_costs(data, &pricing.tariff.tariff, pricing.colours);
        for row in rows {
            row.cost = hours
                .get(&row.start.to_utc())
                .map(|c| CostFigures::from(*c));
        }
        return;
    }
    let period = period_of(step);
    let mut sums: BTreeMap<PeriodKey, Cost> = BTreeMap::new();
    for (date, cost) in by_day(data, pricing) {
        sums.entry(PeriodKey::of_date(period, date))
            .or_default()
            .add(&cost);
    }
    for row in rows {
        let key = PeriodKey::of_date(period, row.start.date_naive());
        row.cost = sums.get(&key).map(|c| CostFigures::from(*c));
    }
}

/// The same period a year before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearBefore {
    /// Its first day.
    pub from: NaiveDate,
    /// Its last day.
    pub to: NaiveDate,
    /// Consumption, Wh (`None`: no day of it is known).
    pub consumption_wh: Option<f64>,
    /// Its cost.
    pub cost: Option<CostFigures>,
    /// Change of consumption since, in % (`None` when either side is unknown or zero).
    pub consumption_change_percent: Option<f64>,
    /// Change of cost since, in %.
    pub cost_change_percent: Option<f64>,
}

fn change(now: f64, before: f64) -> Option<f64> {
    (before > 0.0 && now.is_finite()).then(|| ((now - before) / before * 1000.0).round() / 10.0)
}

/// Adds to each dashboard period its cost and the same period a year before (kWh and euros,
/// with the change in %). `data` must reach back a year before the earliest period.
pub fn add_period_costs(
    totals: &mut [PeriodTotal],
    data: &MeterHistory,
    today: NaiveDate,
    pricing: Option<&Pricing<'_>>,
) {
    let days = data.days();
    let costs = pricing.map(|p| by_day(data, p)).unwrap_or_default();
    // A period's cost counts only when every known day of it is priced: a sum over part of
    // its days (before the first regulated grid, say) would compare apples with half apples.
    let sum = |from: NaiveDate, to: NaiveDate| {
        let mut energy: Option<Energy> = None;
        let mut cost: Option<Cost> = None;
        let mut unpriced = false;
        for day in days.iter().filter(|d| (from..=to).contains(&d.date)) {
            let e = energy.unwrap_or_default();
            energy = Some(Energy::from_joules(
                e.joules() + day.energy.consumption.total().joules(),
            ));
            match costs.get(&day.date) {
                Some(c) => cost.get_or_insert_with(Cost::default).add(c),
                None => unpriced = true,
            }
        }
        (energy, cost.filter(|_| !unpriced))
    };
    for total in totals {
        let Some(period) = DashboardPeriod::named(total.period) else {
            continue;
        };
        let (_, cost_now) = sum(total.from, total.to);
        total.cost = cost_now.map(CostFigures::from);
        let (from, to) = period.a_year_before(today);
        let (energy, cost) = sum(from, to);
        let now_wh = total.consumption.total().wh();
        let before_wh = energy.map(|e| e.wh());
        total.year_before = Some(YearBefore {
            from,
            to,
            consumption_wh: before_wh.map(|w| (w * 1000.0).round() / 1000.0),
            cost: cost.map(CostFigures::from),
            consumption_change_percent: before_wh.and_then(|b| change(now_wh, b)),
            cost_change_percent: match (cost_now, cost) {
                (Some(n), Some(b)) => change(n.total().euros(), b.total().euros()),
                _ => None,
            },
        });
    }
}

/// One option of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparedOption {
    /// `base`, `hphc` or `tempo`.
    pub option: &'static str,
    /// Energy cost at the regulated prices, euros.
    pub energy_eur: f64,
    /// How sure (see [`CostFigures::basis`]).
    pub basis: &'static str,
    /// Days priced.
    pub days: usize,
    /// More than the cheapest, euros.
    pub above_cheapest_eur: f64,
}

/// The comparison of options over the last twelve months, for the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonView {
    /// First day compared.
    pub from: NaiveDate,
    /// Last day compared (yesterday).
    pub to: NaiveDate,
    /// Consumption compared, Wh.
    pub consumption_wh: f64,
    /// Subscribed power used, kVA.
    pub power_kva: u32,
    /// The options, cheapest first.
    pub options: Vec<ComparedOption>,
    /// What the user's own prices cost over the same days (energy), when they are set.
    pub current_eur: Option<f64>,
    /// Peak / off-peak priced with 22:00–06:00 off-peak hours (the meter has no schedule).
    pub standard_offpeak_assumed: bool,
    /// The newest regulated grid this version knows.
    pub prices_known_until: NaiveDate,
}

/// What Base, peak / off-peak and Tempo at the regulated prices would have cost over the last
/// twelve months, beside the user's own prices.
pub fn comparison(data: &MeterHistory, today: NaiveDate, pricing: &Pricing<'_>) -> ComparisonView {
    let to = today - Duration::days(1);
    let from = to - Duration::days(364);
    let Comparison {
        consumption,
        options,
        standard_offpeak_assumed,
        ..
    } = compare_options(data, pricing.tariff.power_kva, pricing.colours, from, to);
    let cheapest = options
        .first()
        .map(|o| o.energy.micro())
        .unwrap_or_default();
    let current = (!pricing.tariff.assumed).then(|| {
        let costs = by_day(data, pricing);
        euros(
            costs
                .range(from.max(regulated::GRIDS[0].from)..=to)
                .map(|(_, c)| c.energy.micro())
                .sum(),
        )
    });
    ComparisonView {
        from,
        to,
        consumption_wh: consumption.wh(),
        power_kva: pricing.tariff.power_kva,
        options: options
            .iter()
            .map(|o| ComparedOption {
                option: o.option.name(),
                energy_eur: euros(o.energy.micro()),
                basis: o.basis.name(),
                days: o.days,
                above_cheapest_eur: euros(o.energy.micro() - cheapest),
            })
            .collect(),
        current_eur: current,
        standard_offpeak_assumed,
        prices_known_until: regulated::latest_change(),
    }
}
