//! The cost of a meter's consumption, hour by hour and day by day, and what other options would
//! have cost.
//!
//! Each hour is priced with the prices in force on its Paris date. Tempo hours take the colour
//! of the Tempo day they fall in (06:00 to 06:00: the night from midnight to 06:00 belongs to the
//! day before) and are off-peak from 22:00 to 06:00; EJP hours from 07:00 to 01:00 take the mobile
//! peak price on a mobile peak day. Peak / off-peak hours follow the meter's schedule, as the
//! energy model split them.
//!
//! Estimates are marked, never silent ([`CostBasis`]): a day known only by its total is priced
//! at the day's average rate (the total spread evenly over its hours), and a Tempo or EJP hour
//! whose colour is not known yet is priced as blue (or normal).
//!
//! The subscription is charged day by day: a month's subscription divided by the days of that
//! month, so a whole month costs exactly its subscription.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};

use super::{
    regulated, DayColours, EjpDay, EnergyPrices, Money, PeakOffPeak, Tariff, TariffOption,
    TempoColour, UnitPrice,
};
use crate::aggregate::TariffSplit;
use crate::history::{DaySource, MeterHistory};
use crate::{paris, Energy};

/// How a cost was reached, from the most to the least certain; a sum takes its least certain
/// part's basis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CostBasis {
    /// Every kWh priced at its own hour's price.
    #[default]
    Measured,
    /// Some days known only by their total, priced at the day's average rate.
    AverageRate,
    /// Some Tempo or EJP days whose colour is not known, priced as blue (or normal).
    ColourUnknown,
}

impl CostBasis {
    /// The name in the API and exports: `measured`, `average_rate`, `colour_unknown`.
    pub fn name(self) -> &'static str {
        match self {
            CostBasis::Measured => "measured",
            CostBasis::AverageRate => "average_rate",
            CostBasis::ColourUnknown => "colour_unknown",
        }
    }
}

/// What some consumption cost: energy, its share of the subscription, and how sure it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// The energy's price.
    pub energy: Money,
    /// The subscription's share of the time covered.
    pub subscription: Money,
    /// How the energy was priced.
    pub basis: CostBasis,
}

impl Cost {
    /// Energy and subscription.
    pub fn total(&self) -> Money {
        self.energy + self.subscription
    }

    /// Adds another cost; the result is as uncertain as the less certain of the two.
    pub fn add(&mut self, other: &Cost) {
        self.energy += other.energy;
        self.subscription += other.subscription;
        self.basis = self.basis.max(other.basis);
    }
}

/// The cost of one Paris day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCost {
    /// The day.
    pub date: NaiveDate,
    /// The option in force that day.
    pub option: TariffOption,
    /// Its cost.
    pub cost: Cost,
}

/// How peak and off-peak hours of a peak / off-peak option are told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HourSplit {
    /// As the energy model split them (the user's or the contract's schedule).
    Schedule,
    /// 22:00–06:00 off-peak: for a meter without a schedule, in the comparison of options.
    Standard,
}

/// Off-peak from 22:00 to 06:00: Tempo's fixed hours, and the usual heures creuses.
fn night(local: NaiveDateTime) -> bool {
    !(6..22).contains(&local.hour())
}

struct Pricer<'a> {
    tariff: &'a Tariff,
    colours: &'a DayColours,
    split: HourSplit,
}

impl Pricer<'_> {
    /// The energy cost of one hour, or `None` when no price is in force that day.
    fn hour(&self, start: DateTime<Utc>, energy: &TariffSplit) -> Option<(Money, CostBasis)> {
        let local = paris::local(start);
        let period = self.tariff.in_force(local.date())?;
        let standard = |p: &PeakOffPeak| if night(local) { p.offpeak } else { p.peak };
        Some(match &period.energy {
            EnergyPrices::Base(price) => (price.cost(energy.total()), CostBasis::Measured),
            EnergyPrices::PeakOffPeak(p) => {
                let cost = match self.split {
                    HourSplit::Schedule => {
                        p.peak.cost(energy.peak)
                            + p.offpeak.cost(energy.offpeak)
                            + standard(p).cost(energy.unsplit)
                    }
                    HourSplit::Standard => standard(p).cost(energy.total()),
                };
                (cost, CostBasis::Measured)
            }
            EnergyPrices::Tempo { blue, white, red } => {
                let day = (local - Duration::hours(6)).date();
                let (colour, basis) = match self.colours.tempo.get(&day) {
                    Some(c) => (*c, CostBasis::Measured),
                    None => (TempoColour::Blue, CostBasis::ColourUnknown),
                };
                let prices = match colour {
                    TempoColour::Blue => blue,
                    TempoColour::White => white,
                    TempoColour::Red => red,
                };
                (standard(prices).cost(energy.total()), basis)
            }
            EnergyPrices::Ejp {
                normal,
                mobile_peak,
            } => {
                let (price, basis) = self.ejp_price(local, *normal, *mobile_peak);
                (price.cost(energy.total()), basis)
            }
        })
    }

    /// An EJP hour: the mobile peak price from 07:00 to 01:00 of a mobile peak day.
    fn ejp_price(
        &self,
        local: NaiveDateTime,
        normal: UnitPrice,
        mobile_peak: UnitPrice,
    ) -> (UnitPrice, CostBasis) {
        let shifted = local - Duration::hours(1);
        if shifted.hour() < 6 {
            return (normal, CostBasis::Measured);
        }
        let day = shifted.date();
        match self.colours.ejp.get(&day) {
            Some(EjpDay::MobilePeak) => (mobile_peak, CostBasis::Measured),
            Some(EjpDay::Normal) => (normal, CostBasis::Measured),
            // Mobile peak days fall between 1 November and 31 March only.
            None if (4..=10).contains(&day.month()) => (normal, CostBasis::Measured),
            None => (normal, CostBasis::ColourUnknown),
        }
    }

    /// The subscription's share of one of `parts` equal parts of a day (1: the day, its hours:
    /// an hour), or nothing when no price or no subscription is in force.
    fn subscription(&self, date: NaiveDate, parts: i64) -> Money {
        self.tariff
            .in_force(date)
            .and_then(|p| p.subscription)
            .map(|monthly| monthly.share(1, days_in_month(date) * parts))
            .unwrap_or_default()
    }

    /// A day known only by its total: the total spread evenly over its hours, each priced.
    fn day_average(&self, date: NaiveDate, total: Energy) -> Option<(Money, CostBasis)> {
        let hours = paris::hour_starts(date);
        let n = hours.len() as i64;
        let (each, rest) = (total.joules() / n, total.joules() % n);
        let mut sum = (Money::ZERO, CostBasis::AverageRate);
        for (i, start) in hours.into_iter().enumerate() {
            let share = each + if i == 0 { rest } else { 0 };
            let unsplit = TariffSplit {
                unsplit: Energy::from_joules(share),
                ..TariffSplit::default()
            };
            let (money, basis) = self.hour(start, &unsplit)?;
            sum = (sum.0 + money, sum.1.max(basis));
        }
        Some(sum)
    }

    fn days(&self, history: &MeterHistory) -> Vec<DayCost> {
        history
            .days()
            .into_iter()
            .filter_map(|day| {
                let option = self.tariff.option_on(day.date)?;
                let (energy, basis) = match day.source {
                    DaySource::DailyTotal => {
                        self.day_average(day.date, day.energy.consumption.total())?
                    }
                    DaySource::Curve => {
                        let (start, end) = paris::day_bounds(day.date);
                        let mut sum = (Money::ZERO, CostBasis::Measured);
                        for (at, hour) in history.hours.range(start..end) {
                            let (money, basis) = self.hour(*at, &hour.consumption)?;
                            sum = (sum.0 + money, sum.1.max(basis));
                        }
                        sum
                    }
                };
                Some(DayCost {
                    date: day.date,
                    option,
                    cost: Cost {
                        energy,
                        subscription: self.subscription(day.date, 1),
                        basis,
                    },
                })
            })
            .collect()
    }
}

fn days_in_month(date: NaiveDate) -> i64 {
    let first = date.with_day(1).unwrap_or(date);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (next - first).num_days().max(1)
}

/// The consumption cost of each hour with load-curve data, by the hour's start; hours without a
/// price in force are left out. The subscription is shared out over the hours of each day.
pub fn hour_costs(
    history: &MeterHistory,
    tariff: &Tariff,
    colours: &DayColours,
) -> BTreeMap<DateTime<Utc>, Cost> {
    let pricer = Pricer {
        tariff,
        colours,
        split: HourSplit::Schedule,
    };
    history
        .hours
        .iter()
        .filter_map(|(start, energy)| {
            let (money, basis) = pricer.hour(*start, &energy.consumption)?;
            let date = paris::local_date(*start);
            let subscription = pricer.subscription(date, paris::day_hours(date));
            Some((
                *start,
                Cost {
                    energy: money,
                    subscription,
                    basis,
                },
            ))
        })
        .collect()
}

/// The consumption cost of each day of [`MeterHistory::days`] that has a price in force.
pub fn day_costs(history: &MeterHistory, tariff: &Tariff, colours: &DayColours) -> Vec<DayCost> {
    Pricer {
        tariff,
        colours,
        split: HourSplit::Schedule,
    }
    .days(history)
}

/// What one option would have cost over the compared days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionCost {
    /// The option, at the regulated prices.
    pub option: TariffOption,
    /// The energy's cost (subscriptions are left out: they differ little between options and
    /// the user gives only their own).
    pub energy: Money,
    /// How sure that is.
    pub basis: CostBasis,
    /// Days priced.
    pub days: usize,
}

/// The comparison of options over some days of real consumption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The first and last day compared.
    pub from: NaiveDate,
    /// The last day compared.
    pub to: NaiveDate,
    /// The consumption over those days.
    pub consumption: Energy,
    /// Base, peak / off-peak and Tempo at the regulated prices, cheapest first.
    pub options: Vec<OptionCost>,
    /// Whether the meter has no off-peak schedule, so peak / off-peak was priced with off-peak
    /// hours from 22:00 to 06:00 (an assumption to say beside the figure).
    pub standard_offpeak_assumed: bool,
}

/// What Base, peak / off-peak and Tempo at the regulated prices would have cost for the
/// consumption of the days from `from` to `to` (both included), at a subscribed power. Days
/// without a regulated price (before the first grid) are left out of every option alike.
pub fn compare_options(
    history: &MeterHistory,
    power_kva: u32,
    colours: &DayColours,
    from: NaiveDate,
    to: NaiveDate,
) -> Comparison {
    let (start, end) = (paris::day_start(from), paris::day_bounds(to).1);
    let in_range = || history.hours.range(start..end).map(|(_, h)| &h.consumption);
    let standard_offpeak_assumed = in_range().all(|h| h.offpeak == Energy::ZERO);
    let split = if standard_offpeak_assumed {
        HourSplit::Standard
    } else {
        HourSplit::Schedule
    };
    let days: Vec<_> = history
        .days()
        .into_iter()
        .filter(|d| (from..=to).contains(&d.date) && d.date >= regulated::GRIDS[0].from)
        .collect();
    let consumption = Energy::from_joules(
        days.iter()
            .map(|d| d.energy.consumption.total().joules())
            .sum(),
    );
    let mut options: Vec<OptionCost> = [
        TariffOption::Base,
        TariffOption::PeakOffPeak,
        TariffOption::Tempo,
    ]
    .into_iter()
    .filter_map(|option| {
        let tariff = regulated::tariff(option, power_kva)?;
        let pricer = Pricer {
            tariff: &tariff,
            colours,
            split,
        };
        let priced = pricer.days(&MeterHistory {
            daily_consumption: history
                .daily_consumption
                .range(from..=to)
                .map(|(d, e)| (*d, *e))
                .collect(),
            hours: history
                .hours
                .range(start..end)
                .map(|(at, h)| (*at, *h))
                .collect(),
            ..MeterHistory::default()
        });
        let mut cost = Cost::default();
        priced.iter().for_each(|d| cost.add(&d.cost));
        Some(OptionCost {
            option,
            energy: cost.energy,
            basis: cost.basis,
            days: priced.len(),
        })
    })
    .collect();
    options.sort_by_key(|o| o.energy);
    Comparison {
        from,
        to,
        consumption,
        options,
        standard_offpeak_assumed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::MeterEnergy;
    use crate::tariff::PricePeriod;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn kwh(k: i64) -> Energy {
        Energy::from_wh(k * 1000)
    }

    fn price(t: i64) -> UnitPrice {
        UnitPrice::from_ten_thousandths(t)
    }

    fn period(from: &str, energy: EnergyPrices, subscription: Option<Money>) -> PricePeriod {
        PricePeriod {
            from: d(from),
            energy,
            subscription,
        }
    }

    /// A history with `per_hour` consumed every hour of the given days, split by `offpeak`
    /// (local hour → off-peak).
    fn flat(days: &[&str], per_hour: Energy, offpeak: impl Fn(u32) -> bool) -> MeterHistory {
        let mut hours = BTreeMap::new();
        for day in days {
            for start in paris::hour_starts(d(day)) {
                let mut split = TariffSplit::default();
                if offpeak(paris::local(start).hour()) {
                    split.offpeak = per_hour;
                } else {
                    split.peak = per_hour;
                }
                hours.insert(
                    start,
                    MeterEnergy {
                        consumption: split,
                        ..MeterEnergy::default()
                    },
                );
            }
        }
        MeterHistory {
            hours,
            ..MeterHistory::default()
        }
    }

    #[test]
    fn a_price_change_in_the_middle_of_a_month() {
        let tariff = Tariff::new(vec![
            period(
                "2026-01-01",
                EnergyPrices::Base(price(2000)),
                Some(Money::from_cents(3100)),
            ),
            period(
                "2026-01-16",
                EnergyPrices::Base(price(1000)),
                Some(Money::from_cents(6200)),
            ),
        ])
        .unwrap();
        let history = flat(&["2026-01-15", "2026-01-16"], kwh(1), |_| false);
        let days = day_costs(&history, &tariff, &DayColours::default());
        assert_eq!(days.len(), 2);
        // 24 kWh at 0,20 then at 0,10; a day of a 31-day month: 1 € then 2 €.
        assert_eq!(days[0].cost.energy, Money::from_cents(480));
        assert_eq!(days[1].cost.energy, Money::from_cents(240));
        assert_eq!(days[0].cost.subscription, Money::from_cents(100));
        assert_eq!(days[1].cost.subscription, Money::from_cents(200));
        assert!(days.iter().all(|d| d.cost.basis == CostBasis::Measured));
        // Hours share their day's subscription (each rounded to the micro-euro).
        let hours = hour_costs(&history, &tariff, &DayColours::default());
        let (start, end) = paris::day_bounds(d("2026-01-15"));
        let day: Money = hours.range(start..end).map(|(_, c)| c.subscription).sum();
        assert!(
            (day - Money::from_cents(100)).micro().abs() <= 24,
            "{day:?}"
        );
        assert_eq!(hours[&start].energy, Money::from_cents(20));
    }

    #[test]
    fn subscription_pro_rata_makes_a_whole_month() {
        let tariff = Tariff::new(vec![period(
            "2026-01-01",
            EnergyPrices::Base(price(2000)),
            Some(Money::from_cents(1547)),
        )])
        .unwrap();
        let days: Vec<String> = (1..=28).map(|n| format!("2026-02-{n:02}")).collect();
        let refs: Vec<&str> = days.iter().map(String::as_str).collect();
        let costs = day_costs(
            &flat(&refs, Energy::ZERO, |_| false),
            &tariff,
            &DayColours::default(),
        );
        let month: Money = costs.iter().map(|c| c.cost.subscription).sum();
        // 28 shares of 15,47 € / 28, each rounded to the micro-euro.
        assert!(
            (month - Money::from_cents(1547)).micro().abs() <= 28,
            "{month:?}"
        );
    }

    fn tempo() -> Tariff {
        Tariff::new(vec![period(
            "2026-01-01",
            EnergyPrices::Tempo {
                blue: PeakOffPeak {
                    peak: price(1000),
                    offpeak: price(500),
                },
                white: PeakOffPeak {
                    peak: price(2000),
                    offpeak: price(1500),
                },
                red: PeakOffPeak {
                    peak: price(7000),
                    offpeak: price(1600),
                },
            },
            None,
        )])
        .unwrap()
    }

    #[test]
    fn tempo_days_run_from_six_to_six() {
        // 2026-01-13 is red, the 12th and the 14th blue: the red day's price runs from the 13th
        // at 06:00 to the 14th at 06:00.
        let mut colours = DayColours::default();
        colours.tempo.insert(d("2026-01-12"), TempoColour::Blue);
        colours.tempo.insert(d("2026-01-13"), TempoColour::Red);
        colours.tempo.insert(d("2026-01-14"), TempoColour::Blue);
        let history = flat(&["2026-01-13", "2026-01-14"], kwh(1), |_| false);
        let hours = hour_costs(&history, &tempo(), &colours);
        let at = |day: &str, hour: u32| {
            let start = paris::day_start(d(day)) + Duration::hours(hour as i64);
            hours[&start].energy
        };
        assert_eq!(
            at("2026-01-13", 5),
            Money::from_cents(5),
            "blue night of the 12th"
        );
        assert_eq!(at("2026-01-13", 6), Money::from_cents(70), "red peak");
        assert_eq!(at("2026-01-13", 21), Money::from_cents(70));
        assert_eq!(at("2026-01-13", 22), Money::from_cents(16), "red night");
        assert_eq!(
            at("2026-01-14", 5),
            Money::from_cents(16),
            "still the red day"
        );
        assert_eq!(at("2026-01-14", 6), Money::from_cents(10), "blue again");
        let days = day_costs(&history, &tempo(), &colours);
        // The 13th: 6 blue night hours, 16 red peak, 2 red night.
        assert_eq!(
            days[0].cost.energy,
            Money::from_cents(6 * 5 + 16 * 70 + 2 * 16)
        );
        assert_eq!(days[0].cost.basis, CostBasis::Measured);
        // The 15th's colour is unknown: the 14th's evening is still known (the 14th's Tempo day).
        assert_eq!(days[1].cost.basis, CostBasis::Measured);
        let later = flat(&["2026-01-15"], kwh(1), |_| false);
        let unknown = day_costs(&later, &tempo(), &colours);
        assert_eq!(unknown[0].cost.basis, CostBasis::ColourUnknown);
    }

    #[test]
    fn daylight_saving_days_price_their_23_and_25_hours() {
        let tariff = Tariff::new(vec![period(
            "2026-01-01",
            EnergyPrices::PeakOffPeak(PeakOffPeak {
                peak: price(2000),
                offpeak: price(1000),
            }),
            None,
        )])
        .unwrap();
        let offpeak = |h: u32| !(6..22).contains(&h);
        let history = flat(&["2026-03-29", "2026-10-25"], kwh(1), offpeak);
        let days = day_costs(&history, &tariff, &DayColours::default());
        // Spring: 23 hours, 02:00 missing (an off-peak hour); autumn: 02:00 twice.
        assert_eq!(days[0].cost.energy, Money::from_cents(16 * 20 + 7 * 10));
        assert_eq!(days[1].cost.energy, Money::from_cents(16 * 20 + 9 * 10));
    }

    #[test]
    fn days_known_by_their_total_are_priced_at_the_average_rate() {
        let tariff = Tariff::new(vec![period(
            "2026-01-01",
            EnergyPrices::PeakOffPeak(PeakOffPeak {
                peak: price(2400),
                offpeak: price(1200),
            }),
            None,
        )])
        .unwrap();
        let mut history = MeterHistory::default();
        history.daily_consumption.insert(d("2026-01-20"), kwh(24));
        let days = day_costs(&history, &tariff, &DayColours::default());
        // 16 hours at 0,24 and 8 at 0,12, 1 kWh each.
        assert_eq!(days[0].cost.energy, Money::from_cents(16 * 24 + 8 * 12));
        assert_eq!(days[0].cost.basis, CostBasis::AverageRate);
    }

    #[test]
    fn ejp_mobile_peak_runs_from_seven_to_one() {
        let tariff = Tariff::new(vec![period(
            "2026-01-01",
            EnergyPrices::Ejp {
                normal: price(1000),
                mobile_peak: price(5000),
            },
            None,
        )])
        .unwrap();
        let mut colours = DayColours::default();
        colours.ejp.insert(d("2026-01-12"), EjpDay::Normal);
        colours.ejp.insert(d("2026-01-13"), EjpDay::MobilePeak);
        colours.ejp.insert(d("2026-01-14"), EjpDay::Normal);
        let history = flat(&["2026-01-13", "2026-01-14"], kwh(1), |_| false);
        let days = day_costs(&history, &tariff, &colours);
        // The 13th: 07:00–24:00 at the peak price (17 h), 7 h normal; the 14th: 00:00–01:00.
        assert_eq!(days[0].cost.energy, Money::from_cents(17 * 50 + 7 * 10));
        assert_eq!(days[1].cost.energy, Money::from_cents(50 + 23 * 10));
    }

    /// Worked by hand: 2 days of February 2026 (regulated grid of 1 February 2026), 6 kVA.
    /// Every hour 1 kWh, off-peak 22:00–06:00 by the schedule; day 1 blue, day 2 red (the night
    /// after the red day is red too; the night before day 1 is blue).
    /// - Base: 48 kWh × 0,1940 = 9,3120 €.
    /// - HP/HC: 32 × 0,2065 + 16 × 0,1579 = 6,6080 + 2,5264 = 9,1344 €.
    /// - Tempo: day 1 (blue from 06:00; 00–06 is the 2nd's eve, blue): 16 × 0,1612 + 8 × 0,1325
    ///   = 3,6392 €; day 2: 6 blue night h (0,1325) + 16 red peak (0,7060) + 2 red night (0,1575)
    ///   = 0,7950 + 11,2960 + 0,3150 = 12,4060 €; total 16,0452 €.
    #[test]
    fn the_comparison_checked_by_hand() {
        let mut colours = DayColours::default();
        colours.tempo.insert(d("2026-02-01"), TempoColour::Blue);
        colours.tempo.insert(d("2026-02-02"), TempoColour::Blue);
        colours.tempo.insert(d("2026-02-03"), TempoColour::Red);
        let history = flat(&["2026-02-02", "2026-02-03"], kwh(1), night_hour);
        let comparison = compare_options(&history, 6, &colours, d("2026-02-02"), d("2026-02-03"));
        assert!(!comparison.standard_offpeak_assumed);
        assert_eq!(comparison.consumption, kwh(48));
        let euros: Vec<(TariffOption, i64)> = comparison
            .options
            .iter()
            .map(|o| (o.option, o.energy.micro()))
            .collect();
        assert_eq!(
            euros,
            vec![
                (TariffOption::PeakOffPeak, 9_134_400),
                (TariffOption::Base, 9_312_000),
                (TariffOption::Tempo, 16_045_200),
            ]
        );
        // The same consumption without a schedule: peak / off-peak at 22:00–06:00, said so.
        let unsplit = flat(&["2026-02-02", "2026-02-03"], kwh(1), |_| false);
        let assumed = compare_options(&unsplit, 6, &colours, d("2026-02-02"), d("2026-02-03"));
        assert!(assumed.standard_offpeak_assumed);
        assert_eq!(assumed.options, comparison.options);
    }

    fn night_hour(hour: u32) -> bool {
        !(6..22).contains(&hour)
    }
}
