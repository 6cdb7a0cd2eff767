//! What the dashboard and the exports show, as plain functions over plain data: energy series
//! by hour, day, month and year, period totals, daily peaks and the completeness calendar.
//!
//! Days are the core model's ([`MeterHistory::days`]), which the Domoticz push reads too, so the
//! dashboard shows what was pushed: a day with a complete load curve is split peak / off-peak, a
//! day with only Enedis's daily total shows that total as "unsplit", other days are absent.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use linky_core::aggregate::{Period, PeriodKey, TariffSplit};
use linky_core::history::MeterHistory;
use linky_core::periods::DashboardPeriod;
use linky_core::{paris, Direction, Energy};
use linky_store::{DayState, Kind, LedgerEntry};
use serde::Serialize;

/// The length of a row of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// A Paris wall-clock hour (the autumn repeated hour gives two rows).
    Hour,
    /// A Paris day.
    Day,
    /// A calendar month.
    Month,
    /// A calendar year.
    Year,
}

impl std::str::FromStr for Step {
    type Err = String;

    fn from_str(s: &str) -> Result<Step, String> {
        match s {
            "hour" => Ok(Step::Hour),
            "day" => Ok(Step::Day),
            "month" => Ok(Step::Month),
            "year" => Ok(Step::Year),
            other => Err(other.to_owned()),
        }
    }
}

/// One direction's energy as the JSON API gives it: Wh with three decimals,
/// `{"peak_wh", "offpeak_wh", "unsplit_wh", "total_wh"}`.
pub fn split_wh<S: serde::Serializer>(split: &TariffSplit, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let wh = |e: Energy| (e.wh() * 1000.0).round() / 1000.0;
    let mut st = s.serialize_struct("TariffSplit", 4)?;
    st.serialize_field("peak_wh", &wh(split.peak))?;
    st.serialize_field("offpeak_wh", &wh(split.offpeak))?;
    st.serialize_field("unsplit_wh", &wh(split.unsplit))?;
    st.serialize_field("total_wh", &wh(split.total()))?;
    st.end()
}

/// One row of a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnergyRow {
    /// `2026-10-25T02:00+02:00`, `2026-10-25`, `2026-10` or `2026`.
    pub label: String,
    /// The row's first instant in Paris time with its UTC offset, so the two autumn 02:00 rows
    /// differ.
    pub start: DateTime<FixedOffset>,
    /// Consumption.
    #[serde(serialize_with = "split_wh")]
    pub consumption: TariffSplit,
    /// Production.
    #[serde(serialize_with = "split_wh")]
    pub production: TariffSplit,
    /// The highest daily peak in the row, VA (day, month and year rows).
    pub max_power_va: Option<u32>,
    /// What the consumption cost (set by [`crate::costs::add_costs`]; absent without prices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::costs::CostFigures>,
}

fn local_start(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&paris::TZ).fixed_offset()
}

/// The rows of `data` from `from` to `to` (Paris days, inclusive) at `step`. Rows without data
/// are absent, never zero.
pub fn energy_rows(
    data: &MeterHistory,
    step: Step,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<EnergyRow> {
    let in_range = |d: NaiveDate| d >= from && d <= to;
    if step == Step::Hour {
        return data
            .hours
            .iter()
            .filter(|(start, _)| in_range(paris::local_date(**start)))
            .map(|(start, energy)| EnergyRow {
                label: PeriodKey::Hour(*start).to_string(),
                start: local_start(*start),
                consumption: energy.consumption,
                production: energy.production,
                max_power_va: None,
                cost: None,
            })
            .collect();
    }
    let period = match step {
        Step::Month => Period::Month,
        Step::Year => Period::Year,
        _ => Period::Day,
    };
    let peaks: BTreeMap<NaiveDate, u32> = data
        .peaks
        .iter()
        .map(|p| (p.date, p.volt_amperes))
        .collect();
    let mut rows: BTreeMap<PeriodKey, EnergyRow> = BTreeMap::new();
    for day in data.days().iter().filter(|d| in_range(d.date)) {
        let key = PeriodKey::of_date(period, day.date);
        let first = match key {
            PeriodKey::Month { year, month } => NaiveDate::from_ymd_opt(year, month, 1),
            PeriodKey::Year(year) => NaiveDate::from_ymd_opt(year, 1, 1),
            _ => None,
        }
        .unwrap_or(day.date);
        let row = rows.entry(key).or_insert_with(|| EnergyRow {
            label: key.to_string(),
            start: local_start(paris::day_start(first)),
            consumption: TariffSplit::default(),
            production: TariffSplit::default(),
            max_power_va: None,
            cost: None,
        });
        row.consumption.add(&day.energy.consumption);
        row.production.add(&day.energy.production);
        if let Some(va) = peaks.get(&day.date) {
            row.max_power_va = Some(row.max_power_va.map_or(*va, |m| m.max(*va)));
        }
    }
    rows.into_values().collect()
}

/// The energy and peak of one of the original's dashboard periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodTotal {
    /// `day`, `cweek`, `lweek`, `cmonth`, `lmonth` or `year`.
    pub period: &'static str,
    /// First day.
    pub from: NaiveDate,
    /// Last day (yesterday for the current periods).
    pub to: NaiveDate,
    /// Consumption.
    #[serde(serialize_with = "split_wh")]
    pub consumption: TariffSplit,
    /// Production.
    #[serde(serialize_with = "split_wh")]
    pub production: TariffSplit,
    /// The highest daily peak, VA.
    pub max_power_va: Option<u32>,
    /// Whether every day of the period is known (else its figures are a partial sum).
    pub complete: bool,
    /// What its consumption cost (set by [`crate::costs::add_period_costs`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::costs::CostFigures>,
    /// The same period a year before (set by [`crate::costs::add_period_costs`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_before: Option<crate::costs::YearBefore>,
}

/// The six periods of the original's dashboard options (yesterday, current and last week,
/// current and last month, year), "current" meaning the one that holds yesterday, as the
/// Domoticz dashboard value counts them.
pub fn period_totals(data: &MeterHistory, today: NaiveDate) -> Vec<PeriodTotal> {
    let yesterday = today - chrono::Duration::days(1);
    // The days are made once; each period sums its own.
    let earliest = DashboardPeriod::earliest_day(today).min(yesterday);
    let days = energy_rows(data, Step::Day, earliest, yesterday);
    DashboardPeriod::ALL
        .into_iter()
        .map(|period| {
            let (from, to) = period.days(today);
            let mut total = PeriodTotal {
                period: period.name(),
                from,
                to,
                consumption: TariffSplit::default(),
                production: TariffSplit::default(),
                max_power_va: None,
                complete: false,
                cost: None,
                year_before: None,
            };
            let mut known = 0;
            for row in days
                .iter()
                .filter(|r| (from..=to).contains(&r.start.date_naive()))
            {
                total.consumption.add(&row.consumption);
                total.production.add(&row.production);
                total.max_power_va = total.max_power_va.max(row.max_power_va);
                known += 1;
            }
            total.complete = known == (to - from).num_days() + 1;
            total
        })
        .collect()
}

/// A calendar cell's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// Every series of the day is stored.
    Complete,
    /// Some series are stored, others are not (or are absent for a reason).
    Partial,
    /// Nothing stored yet (never asked, or asking failed and will be retried).
    Missing,
    /// Asked before Enedis published it: asked again later.
    NotPublished,
    /// Enedis has nothing for that day, for a reason (before activation, no data...).
    Absent,
}

/// One series of a meter with its ledger.
#[derive(Debug, Clone)]
pub struct SeriesLedger {
    /// Direction.
    pub direction: Direction,
    /// Kind.
    pub kind: Kind,
    /// Its ledger over the calendar's days.
    pub ledger: BTreeMap<NaiveDate, LedgerEntry>,
}

/// Where one series stands on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesDay {
    /// `consumption` or `production`.
    pub direction: &'static str,
    /// `curve`, `daily` or `max_power`.
    pub kind: &'static str,
    /// `fetched`, `not_published`, `absent`, `failed`, `refetch`, `mismatch`, or `missing`
    /// when nothing is recorded.
    pub state: &'static str,
    /// Why, as recorded (`no_data_found`, `before_activation`, an Enedis error...).
    pub reason: Option<String>,
}

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarDay {
    /// The day.
    pub date: NaiveDate,
    /// Its colour.
    pub state: CellState,
    /// Each series, for the reason on hover or tap.
    pub series: Vec<SeriesDay>,
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Consumption => "consumption",
        Direction::Production => "production",
    }
}

/// One cell per day from `from` to `to`, over the series a meter has (series absent as a whole,
/// such as production on a consumption-only meter, are left out by the caller). Days before the
/// meter's activation that were never asked are absent for that reason, not missing: Enedis has
/// nothing for them. Yesterday and today, never asked yet, are not yet published (Enedis
/// publishes a day the next morning, and the daily sync fetches it then), not missing.
pub fn calendar(
    series: &[SeriesLedger],
    from: NaiveDate,
    to: NaiveDate,
    activation: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<CalendarDay> {
    let before_activation = LedgerEntry {
        state: DayState::Absent,
        reason: Some("before_activation".into()),
        attempts: 0,
        next_try_at: None,
    };
    let not_yet = LedgerEntry {
        state: DayState::NotPublished,
        reason: None,
        attempts: 0,
        next_try_at: None,
    };
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            let implied = activation
                .filter(|a| date < *a)
                .map(|_| &before_activation)
                .or((date >= today - chrono::Duration::days(1)).then_some(&not_yet));
            let entries: Vec<Option<&LedgerEntry>> = series
                .iter()
                .map(|s| s.ledger.get(&date).or(implied))
                .collect();
            let days: Vec<SeriesDay> = series
                .iter()
                .zip(&entries)
                .map(|(s, entry)| SeriesDay {
                    direction: direction_name(s.direction),
                    kind: s.kind.as_str(),
                    state: entry.map_or("missing", |e| e.state.as_str()),
                    reason: entry.and_then(|e| e.reason.clone()),
                })
                .collect();
            let states: Vec<Option<DayState>> =
                entries.iter().map(|e| e.map(|e| e.state)).collect();
            CalendarDay {
                date,
                state: cell_state(&states),
                series: days,
            }
        })
        .collect()
}

/// The colour of a day from its series' states (`None`: nothing recorded).
pub fn cell_state(states: &[Option<DayState>]) -> CellState {
    let stored = |s: &Option<DayState>| {
        matches!(
            s,
            Some(DayState::Fetched | DayState::Refetch | DayState::Mismatch)
        )
    };
    let waiting = |s: &Option<DayState>| matches!(s, None | Some(DayState::Failed));
    if states.is_empty() {
        return CellState::Missing;
    }
    if states.iter().all(stored) {
        CellState::Complete
    } else if states.iter().all(|s| *s == Some(DayState::Absent)) {
        CellState::Absent
    } else if states.iter().any(stored) {
        CellState::Partial
    } else if states.contains(&Some(DayState::NotPublished)) {
        CellState::NotPublished
    } else if states.iter().all(waiting) {
        CellState::Missing
    } else {
        // Absent for some series, nothing for others.
        CellState::Partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linky_core::history::MeterEnergy;
    use linky_core::MaxPower;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn split(peak: i64, offpeak: i64) -> MeterEnergy {
        MeterEnergy {
            consumption: TariffSplit {
                peak: Energy::from_wh(peak),
                offpeak: Energy::from_wh(offpeak),
                ..TariffSplit::default()
            },
            production: TariffSplit::default(),
        }
    }

    /// Two complete days (one of them the 25-hour autumn day), a day with only Enedis's total
    /// and a partial day with nothing else.
    fn data() -> MeterHistory {
        let mut hours = BTreeMap::new();
        for day in ["2026-10-24", "2026-10-25"] {
            for (i, h) in paris::hour_starts(d(day)).into_iter().enumerate() {
                let offpeak = i < 6;
                hours.insert(
                    h,
                    if offpeak {
                        split(0, 100)
                    } else {
                        split(200, 0)
                    },
                );
            }
        }
        for h in paris::hour_starts(d("2026-10-27")).into_iter().take(5) {
            hours.insert(h, split(50, 0));
        }
        MeterHistory {
            key: "x".into(),
            hours,
            daily_consumption: BTreeMap::from([(d("2026-10-26"), Energy::from_wh(7000))]),
            daily_production: BTreeMap::new(),
            peaks: vec![MaxPower {
                date: d("2026-10-25"),
                at: d("2026-10-25").and_hms_opt(19, 0, 0).unwrap(),
                volt_amperes: 5015,
            }],
        }
    }

    #[test]
    fn hour_rows_keep_both_autumn_two_oclocks_apart() {
        let rows = energy_rows(&data(), Step::Hour, d("2026-10-25"), d("2026-10-25"));
        assert_eq!(rows.len(), 25);
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert!(labels.contains(&"2026-10-25T02:00+02:00"));
        assert!(labels.contains(&"2026-10-25T02:00+01:00"));
        assert_eq!(rows[3].start.to_rfc3339(), "2026-10-25T02:00:00+01:00");
    }

    #[test]
    fn days_split_when_complete_unsplit_with_a_total_absent_otherwise() {
        let rows = energy_rows(&data(), Step::Day, d("2026-10-01"), d("2026-10-31"));
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["2026-10-24", "2026-10-25", "2026-10-26"]);
        assert_eq!(rows[0].consumption.offpeak, Energy::from_wh(600));
        assert_eq!(rows[0].consumption.peak, Energy::from_wh(18 * 200));
        assert_eq!(rows[1].consumption.peak, Energy::from_wh(19 * 200));
        assert_eq!(rows[1].max_power_va, Some(5015));
        assert_eq!(rows[2].consumption.unsplit, Energy::from_wh(7000));
        assert_eq!(rows[2].consumption.peak, Energy::default());
        let month = energy_rows(&data(), Step::Month, d("2026-01-01"), d("2026-12-31"));
        assert_eq!(month.len(), 1);
        assert_eq!(month[0].label, "2026-10");
        assert_eq!(
            month[0].consumption.total(),
            Energy::from_wh(600 + 3600 + 600 + 3800 + 7000)
        );
        assert_eq!(month[0].max_power_va, Some(5015));
        let year = energy_rows(&data(), Step::Year, d("2026-01-01"), d("2026-12-31"));
        assert_eq!(year[0].label, "2026");
        assert_eq!(year[0].consumption, month[0].consumption);
    }

    #[test]
    fn period_totals_follow_the_original_bounds() {
        // Today Tuesday 2026-10-27: yesterday is Monday 26, the current week starts on it.
        let totals = period_totals(&data(), d("2026-10-27"));
        let names: Vec<&str> = totals.iter().map(|t| t.period).collect();
        assert_eq!(names, ["day", "cweek", "lweek", "cmonth", "lmonth", "year"]);
        assert_eq!(
            (totals[0].from, totals[0].to),
            (d("2026-10-26"), d("2026-10-26"))
        );
        assert_eq!(totals[0].consumption.unsplit, Energy::from_wh(7000));
        assert_eq!(
            (totals[2].from, totals[2].to),
            (d("2026-10-19"), d("2026-10-25"))
        );
        assert_eq!(
            totals[2].consumption.total(),
            Energy::from_wh(600 + 3600 + 600 + 3800)
        );
        assert_eq!(totals[2].max_power_va, Some(5015));
        assert_eq!(totals[3].consumption.total(), totals[5].consumption.total());
        assert_eq!(totals[4].consumption.total(), Energy::default());
    }

    #[test]
    fn cell_states() {
        use DayState::*;
        assert_eq!(
            cell_state(&[Some(Fetched), Some(Mismatch)]),
            CellState::Complete
        );
        assert_eq!(cell_state(&[Some(Fetched), None]), CellState::Partial);
        assert_eq!(
            cell_state(&[Some(Fetched), Some(Absent)]),
            CellState::Partial
        );
        assert_eq!(cell_state(&[Some(Absent), Some(Absent)]), CellState::Absent);
        assert_eq!(cell_state(&[None, Some(Failed)]), CellState::Missing);
        assert_eq!(
            cell_state(&[Some(NotPublished), None]),
            CellState::NotPublished
        );
        assert_eq!(cell_state(&[Some(Absent), None]), CellState::Partial);
        assert_eq!(cell_state(&[]), CellState::Missing);
    }

    #[test]
    fn calendar_has_one_cell_per_day_with_reasons() {
        let ledger = BTreeMap::from([(
            d("2026-10-02"),
            LedgerEntry {
                state: DayState::Absent,
                reason: Some("before_activation".into()),
                attempts: 0,
                next_try_at: None,
            },
        )]);
        let cells = calendar(
            &[SeriesLedger {
                direction: Direction::Consumption,
                kind: Kind::Curve,
                ledger,
            }],
            d("2026-10-01"),
            d("2026-10-03"),
            None,
            d("2026-10-20"),
        );
        assert_eq!(cells.len(), 3);
        assert_eq!(cells[0].state, CellState::Missing);
        assert_eq!(cells[1].state, CellState::Absent);
        assert_eq!(
            cells[1].series[0].reason.as_deref(),
            Some("before_activation")
        );
        assert_eq!(cells[1].series[0].kind, "curve");
        let with_activation = calendar(
            &[SeriesLedger {
                direction: Direction::Consumption,
                kind: Kind::Curve,
                ledger: BTreeMap::new(),
            }],
            d("2026-10-01"),
            d("2026-10-03"),
            Some(d("2026-10-03")),
            d("2026-10-20"),
        );
        let states: Vec<CellState> = with_activation.iter().map(|c| c.state).collect();
        assert_eq!(
            states,
            [CellState::Absent, CellState::Absent, CellState::Missing]
        );
        assert_eq!(
            with_activation[0].series[0].reason.as_deref(),
            Some("before_activation")
        );
        // At night, yesterday is not yet published; the day before, never asked, is missing.
        let night = calendar(
            &[SeriesLedger {
                direction: Direction::Consumption,
                kind: Kind::Curve,
                ledger: BTreeMap::new(),
            }],
            d("2026-10-18"),
            d("2026-10-19"),
            None,
            d("2026-10-20"),
        );
        let states: Vec<CellState> = night.iter().map(|c| c.state).collect();
        assert_eq!(states, [CellState::Missing, CellState::NotPublished]);
    }
}
