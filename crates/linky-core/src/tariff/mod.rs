//! What energy costs: tariffs with dated prices, Tempo and EJP day colours, and the cost of a
//! meter's history hour by hour and day by day.
//!
//! - [`Money`] and [`UnitPrice`]: integer micro-euros, so sums stay exact.
//! - [`EnergyPrices`]: the four options of the French market (Base, peak / off-peak, Tempo, EJP).
//! - [`Tariff`]: a household's contract over time, a list of [`PricePeriod`]s each in force from a
//!   date (prices change about twice a year; a household may switch option).
//! - [`DayColours`]: the Tempo colour and EJP signal of each day, as EDF or RTE publish them.
//! - [`regulated`]: the regulated tariffs (tarifs réglementés, EDF's "Tarif Bleu"), sourced and
//!   dated, for presets and the comparison of options.
//! - [`TariffChoice`]: what the settings say, resolved per meter with its contract.
//! - [`cost`]: pricing a [`MeterHistory`](crate::history::MeterHistory) and comparing options.

use std::collections::BTreeMap;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Energy, Lang};

mod choice;
pub mod cost;
pub mod regulated;

pub use choice::{MeterTariff, TariffChoice, DEFAULT_POWER_KVA};

/// An amount of money, in micro-euros (millionths of a euro), so sums of thousands of hours stay
/// exact and comparable with `==`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    micro: i64,
}

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money { micro: 0 };

    /// From micro-euros.
    pub const fn from_micro(micro: i64) -> Money {
        Money { micro }
    }

    /// From euro cents.
    pub const fn from_cents(cents: i64) -> Money {
        Money {
            micro: cents * 10_000,
        }
    }

    /// In micro-euros.
    pub const fn micro(self) -> i64 {
        self.micro
    }

    /// In euros, for display and export.
    pub fn euros(self) -> f64 {
        self.micro as f64 / 1e6
    }

    /// This amount times `numerator / denominator`, rounded to the micro-euro (a monthly
    /// subscription's share of one day).
    pub fn share(self, numerator: i64, denominator: i64) -> Money {
        Money {
            micro: divide_rounded(self.micro as i128 * numerator as i128, denominator as i128),
        }
    }

    /// Written for people: `12,34 €` in French, `€12.34` in English (cents, rounded).
    pub fn display(self, lang: Lang) -> String {
        let cents = divide_rounded(self.micro as i128, 10_000);
        let sign = if cents < 0 { "-" } else { "" };
        let (whole, frac) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
        lang.pick(
            format!("{sign}{whole},{frac:02} €"),
            format!("{sign}€{whole}.{frac:02}"),
        )
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money::from_micro(self.micro + other.micro)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        self.micro += other.micro;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money::from_micro(self.micro - other.micro)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

/// Integer division by a positive number, rounded half away from zero.
fn divide_rounded(numerator: i128, denominator: i128) -> i64 {
    let half = denominator / 2;
    let q = if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    };
    q as i64
}

const JOULES_PER_KWH: i128 = 3_600_000;

/// A price per kWh, in micro-euros per kWh (0,1952 €/kWh is 195 200).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitPrice {
    micro_per_kwh: i64,
}

impl UnitPrice {
    /// From micro-euros per kWh.
    pub const fn from_micro_per_kwh(micro_per_kwh: i64) -> UnitPrice {
        UnitPrice { micro_per_kwh }
    }

    /// From ten-thousandths of a euro per kWh, the precision of published tariffs
    /// (`from_ten_thousandths(1952)` is 0,1952 €/kWh).
    pub const fn from_ten_thousandths(value: i64) -> UnitPrice {
        UnitPrice {
            micro_per_kwh: value * 100,
        }
    }

    /// In micro-euros per kWh.
    pub const fn micro_per_kwh(self) -> i64 {
        self.micro_per_kwh
    }

    /// In euros per kWh.
    pub fn euros_per_kwh(self) -> f64 {
        self.micro_per_kwh as f64 / 1e6
    }

    /// What `energy` costs at this price, rounded to the micro-euro.
    pub fn cost(self, energy: Energy) -> Money {
        Money::from_micro(divide_rounded(
            energy.joules() as i128 * self.micro_per_kwh as i128,
            JOULES_PER_KWH,
        ))
    }
}

/// A price written by a person could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "« {text} » n'est pas un prix en euros (exemple : 0,1952) / « {text} » is not a price in euros (example: 0.1952)"
)]
pub struct PriceError {
    /// What was given.
    pub text: String,
}

/// Reads euros with a point or a French decimal comma, at most six decimals: `0.1952`,
/// `0,1952`, `15.47`.
fn parse_micro(text: &str) -> Result<i64, PriceError> {
    let error = || PriceError {
        text: text.to_owned(),
    };
    let trimmed = text.trim().trim_end_matches('€').trim();
    let (whole, frac) = match trimmed.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (trimmed, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!frac.is_empty() && !digits(frac)) || frac.len() > 6 {
        return Err(error());
    }
    let whole: i64 = whole.parse().map_err(|_| error())?;
    let frac_micro: i64 = format!("{frac:0<6}").parse().map_err(|_| error())?;
    whole
        .checked_mul(1_000_000)
        .and_then(|w| w.checked_add(frac_micro))
        .ok_or_else(error)
}

impl FromStr for UnitPrice {
    type Err = PriceError;
    fn from_str(text: &str) -> Result<UnitPrice, PriceError> {
        parse_micro(text).map(UnitPrice::from_micro_per_kwh)
    }
}

impl FromStr for Money {
    type Err = PriceError;
    fn from_str(text: &str) -> Result<Money, PriceError> {
        parse_micro(text).map(Money::from_micro)
    }
}

impl fmt::Display for UnitPrice {
    /// Euros per kWh with the digits that matter (`0.1952`), as the settings take it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!(
            "{}.{:06}",
            self.micro_per_kwh / 1_000_000,
            self.micro_per_kwh % 1_000_000
        );
        let text = text.trim_end_matches('0');
        f.write_str(text.strip_suffix('.').unwrap_or(text))
    }
}

/// The colour RTE gives a Tempo day, which runs from 06:00 to 06:00 the next morning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TempoColour {
    /// About 300 days a year, the cheapest.
    Blue,
    /// 43 days a season, never on a Sunday.
    White,
    /// 22 days a season, weekdays from November to March: peak hours cost several times more.
    Red,
}

impl TempoColour {
    /// Every colour, cheapest first.
    pub const ALL: [TempoColour; 3] = [TempoColour::Blue, TempoColour::White, TempoColour::Red];

    /// The name stored and shown in the API: `blue`, `white`, `red`.
    pub fn name(self) -> &'static str {
        match self {
            TempoColour::Blue => "blue",
            TempoColour::White => "white",
            TempoColour::Red => "red",
        }
    }

    /// Reads [`TempoColour::name`] back.
    pub fn named(name: &str) -> Option<TempoColour> {
        TempoColour::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The name for people.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TempoColour::Blue => lang.pick("bleu", "blue"),
            TempoColour::White => lang.pick("blanc", "white"),
            TempoColour::Red => lang.pick("rouge", "red"),
        }
    }
}

/// Whether an EJP ("Effacement Jours de Pointe") day is one of the 22 mobile peak days, whose
/// hours from 07:00 to 01:00 the next night cost several times more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EjpDay {
    /// An ordinary day.
    Normal,
    /// A mobile peak day (jour de pointe mobile).
    MobilePeak,
}

impl EjpDay {
    /// The name stored: `normal`, `mobile_peak`.
    pub fn name(self) -> &'static str {
        match self {
            EjpDay::Normal => "normal",
            EjpDay::MobilePeak => "mobile_peak",
        }
    }

    /// Reads [`EjpDay::name`] back.
    pub fn named(name: &str) -> Option<EjpDay> {
        [EjpDay::Normal, EjpDay::MobilePeak]
            .into_iter()
            .find(|d| d.name() == name)
    }
}

/// The published colour of each day: Tempo and EJP, by the date the day starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayColours {
    /// Tempo colours, by the date whose 06:00 starts the Tempo day.
    pub tempo: BTreeMap<NaiveDate, TempoColour>,
    /// EJP signals, by the date whose 07:00 starts the EJP day.
    pub ejp: BTreeMap<NaiveDate, EjpDay>,
}

/// The peak and off-peak prices of one option (heures pleines, heures creuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeakOffPeak {
    /// Heures pleines.
    pub peak: UnitPrice,
    /// Heures creuses.
    pub offpeak: UnitPrice,
}

/// The prices per kWh of one option, as a supplier publishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnergyPrices {
    /// One price at every hour.
    Base(UnitPrice),
    /// Peak and off-peak prices; which hours are off-peak is the meter's schedule.
    PeakOffPeak(PeakOffPeak),
    /// Peak (06:00–22:00) and off-peak (22:00–06:00) prices for each colour of day.
    Tempo {
        /// Blue days.
        blue: PeakOffPeak,
        /// White days.
        white: PeakOffPeak,
        /// Red days.
        red: PeakOffPeak,
    },
    /// Normal hours, and the 18 hours of a mobile peak day (07:00 to 01:00).
    Ejp {
        /// Heures normales.
        normal: UnitPrice,
        /// Heures de pointe mobile.
        mobile_peak: UnitPrice,
    },
}

impl EnergyPrices {
    /// Which option these are the prices of.
    pub fn option(&self) -> TariffOption {
        match self {
            EnergyPrices::Base(_) => TariffOption::Base,
            EnergyPrices::PeakOffPeak(_) => TariffOption::PeakOffPeak,
            EnergyPrices::Tempo { .. } => TariffOption::Tempo,
            EnergyPrices::Ejp { .. } => TariffOption::Ejp,
        }
    }
}

/// The options of the French retail market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TariffOption {
    /// Base: one price.
    #[serde(rename = "base")]
    Base,
    /// Heures pleines / heures creuses.
    #[serde(rename = "hphc")]
    PeakOffPeak,
    /// Tempo.
    #[serde(rename = "tempo")]
    Tempo,
    /// EJP (closed to new contracts since 1998, still billed to those who have it).
    #[serde(rename = "ejp")]
    Ejp,
}

impl TariffOption {
    /// Every option.
    pub const ALL: [TariffOption; 4] = [
        TariffOption::Base,
        TariffOption::PeakOffPeak,
        TariffOption::Tempo,
        TariffOption::Ejp,
    ];

    /// The name in settings and the API: `base`, `hphc`, `tempo`, `ejp`.
    pub fn name(self) -> &'static str {
        match self {
            TariffOption::Base => "base",
            TariffOption::PeakOffPeak => "hphc",
            TariffOption::Tempo => "tempo",
            TariffOption::Ejp => "ejp",
        }
    }

    /// Reads [`TariffOption::name`] back.
    pub fn named(name: &str) -> Option<TariffOption> {
        TariffOption::ALL.into_iter().find(|o| o.name() == name)
    }

    /// The name for people.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TariffOption::Base => "Base",
            TariffOption::PeakOffPeak => lang.pick("Heures pleines / creuses", "Peak / off-peak"),
            TariffOption::Tempo => "Tempo",
            TariffOption::Ejp => "EJP",
        }
    }
}

/// The prices in force from a date until the next period's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricePeriod {
    /// The first day these prices apply (from 00:00 Paris time).
    pub from: NaiveDate,
    /// Prices per kWh.
    pub energy: EnergyPrices,
    /// The subscription (abonnement) per month, taxes included, if known.
    pub subscription: Option<Money>,
}

/// A contract's prices could not be put together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    /// No period at all.
    #[error(
        "aucun prix n'est donné : ajoutez au moins une période [[tariff]] / no price is given: add at least one [[tariff]] period"
    )]
    Empty,
    /// Two periods start the same day.
    #[error(
        "deux périodes de prix commencent le {0} : gardez-en une / two price periods start on {0}: keep one"
    )]
    SameStart(NaiveDate),
}

/// A household's contract over time: the prices in force on each day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    periods: Vec<PricePeriod>,
}

impl Tariff {
    /// A tariff from its periods, in any order; two may not start the same day.
    pub fn new(mut periods: Vec<PricePeriod>) -> Result<Tariff, TariffError> {
        if periods.is_empty() {
            return Err(TariffError::Empty);
        }
        periods.sort_by_key(|p| p.from);
        if let Some(w) = periods.windows(2).find(|w| w[0].from == w[1].from) {
            return Err(TariffError::SameStart(w[0].from));
        }
        Ok(Tariff { periods })
    }

    /// The prices in force on `date`; `None` before the first period.
    pub fn in_force(&self, date: NaiveDate) -> Option<&PricePeriod> {
        let index = self.periods.partition_point(|p| p.from <= date);
        index.checked_sub(1).map(|i| &self.periods[i])
    }

    /// Every period, oldest first.
    pub fn periods(&self) -> &[PricePeriod] {
        &self.periods
    }

    /// The option in force on `date`.
    pub fn option_on(&self, date: NaiveDate) -> Option<TariffOption> {
        self.in_force(date).map(|p| p.energy.option())
    }

    /// Whether pricing needs the Tempo or the EJP calendar at some date.
    pub fn uses(&self, option: TariffOption) -> bool {
        self.periods.iter().any(|p| p.energy.option() == option)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_with_a_point_or_a_comma_and_cost_exactly() {
        let price: UnitPrice = "0,1952".parse().unwrap();
        assert_eq!(price, UnitPrice::from_ten_thousandths(1952));
        assert_eq!("0.1952".parse::<UnitPrice>().unwrap(), price);
        assert_eq!(price.to_string(), "0.1952");
        assert_eq!("15.47 €".parse::<Money>().unwrap(), Money::from_cents(1547));
        for bad in ["", "abc", "0.1234567", "-1", "1.2.3", ",5"] {
            assert!(bad.parse::<UnitPrice>().is_err(), "{bad}");
        }
        // 1 kWh at 0,1952 €/kWh, and 1 Wh (0,0001952 € rounds to 195 µ€).
        assert_eq!(
            price.cost(Energy::from_wh(1000)),
            Money::from_micro(195_200)
        );
        assert_eq!(price.cost(Energy::from_wh(1)), Money::from_micro(195));
        assert_eq!(Money::from_micro(12_345_678).display(Lang::Fr), "12,35 €");
        assert_eq!(Money::from_micro(12_345_678).display(Lang::En), "€12.35");
        assert_eq!(Money::from_micro(-5_000).display(Lang::En), "-€0.01");
        assert_eq!(
            Money::from_cents(1547).share(1, 31),
            Money::from_micro(499_032)
        );
    }

    #[test]
    fn the_period_in_force_is_the_last_started() {
        let base = |from: &str, p| PricePeriod {
            from: from.parse().unwrap(),
            energy: EnergyPrices::Base(UnitPrice::from_ten_thousandths(p)),
            subscription: None,
        };
        let tariff = Tariff::new(vec![base("2025-08-01", 1952), base("2025-02-01", 2016)]).unwrap();
        let at = |d: &str| {
            tariff
                .in_force(d.parse().unwrap())
                .map(|p| p.from.to_string())
        };
        assert_eq!(at("2025-01-31"), None);
        assert_eq!(at("2025-02-01").as_deref(), Some("2025-02-01"));
        assert_eq!(at("2025-07-31").as_deref(), Some("2025-02-01"));
        assert_eq!(at("2026-12-05").as_deref(), Some("2025-08-01"));
        assert_eq!(Tariff::new(vec![]), Err(TariffError::Empty));
        assert!(matches!(
            Tariff::new(vec![base("2025-02-01", 1), base("2025-02-01", 2)]),
            Err(TariffError::SameStart(_))
        ));
    }
}
