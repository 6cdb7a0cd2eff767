//! The regulated tariffs (tarifs réglementés de vente d'électricité, EDF's "Tarif Bleu"), as
//! presets and as the alternatives of the comparison of options.
//!
//! Prices per kWh, taxes included, as published for each change (the CRE proposes, the
//! government sets them, usually on 1 February and 1 August). Each grid names where its figures
//! were read. Subscriptions depend on the subscribed power and on the option and are not carried
//! here: the user gives the one on their bill (`subscription` in the settings).
//!
//! EJP has no preset: it is closed to new contracts and no source we could check gives its
//! prices; its holders write them in their settings.
//!
//! When a new grid is published it is added at the end of [`GRIDS`]; until then the last grid
//! goes on applying, and [`latest_change`] lets the user interface say how old it is.

use chrono::NaiveDate;

use super::{EnergyPrices, PeakOffPeak, PricePeriod, Tariff, TariffOption, UnitPrice};

/// One grid of regulated prices, in force from a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegulatedGrid {
    /// The first day of these prices.
    pub from: NaiveDate,
    /// Base, for 3 and 6 kVA.
    pub base_up_to_6_kva: UnitPrice,
    /// Base, for 9 kVA and more (the same as up to 6 kVA before February 2026).
    pub base_from_9_kva: UnitPrice,
    /// Heures pleines / heures creuses.
    pub peak_offpeak: PeakOffPeak,
    /// Tempo: blue, white and red days.
    pub tempo: [PeakOffPeak; 3],
    /// Where the figures were read.
    pub sources: &'static [&'static str],
}

const fn price(ten_thousandths: i64) -> UnitPrice {
    UnitPrice::from_ten_thousandths(ten_thousandths)
}

const fn split(peak: i64, offpeak: i64) -> PeakOffPeak {
    PeakOffPeak {
        peak: price(peak),
        offpeak: price(offpeak),
    }
}

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("a grid's date is a real date"),
    }
}

/// The grids, oldest first.
pub const GRIDS: &[RegulatedGrid] = &[
    RegulatedGrid {
        from: date(2025, 2, 1),
        base_up_to_6_kva: price(2016),
        base_from_9_kva: price(2016),
        peak_offpeak: split(2146, 1696),
        tempo: [split(1552, 1288), split(1792, 1447), split(6586, 1518)],
        sources: &[
            "https://kelwatt.fr/prix/tarif-bleu-edf (Base, HP/HC, checked 2025-04-01)",
            "https://www.soleio.fr/blog/evolution-des-prix-au-tarif-reglemente-a-compter-du-1r-aout-2025 (Base and HP/HC before 1 Aug 2025)",
            "https://igen.fr/ailleurs/2025/02/la-baisse-des-tarifs-reglementes-de-lelectricite-navantage-pas-les-abonnes-tempo-148317 (Tempo changes from February 2024)",
        ],
    },
    RegulatedGrid {
        from: date(2025, 8, 1),
        base_up_to_6_kva: price(1952),
        base_from_9_kva: price(1952),
        peak_offpeak: split(2081, 1635),
        tempo: [split(1494, 1232), split(1730, 1391), split(6468, 1460)],
        sources: &[
            "https://www.jechange.fr/energie/edf/tarifs/tarifs-reglementes (checked 2025-08-07)",
            "https://www.soleio.fr/blog/evolution-des-prix-au-tarif-reglemente-a-compter-du-1r-aout-2025",
        ],
    },
    RegulatedGrid {
        from: date(2026, 2, 1),
        base_up_to_6_kva: price(1940),
        base_from_9_kva: price(1927),
        peak_offpeak: split(2065, 1579),
        tempo: [split(1612, 1325), split(1871, 1499), split(7060, 1575)],
        sources: &[
            "https://www.revolution-energetique.com/actus/voici-les-nouveaux-prix-de-lelectricite-au-1er-fevrier-2026/ (2026-02-01)",
            "https://kulturegeek.fr/news-346504/tarifs-reglementes-lelectricite-1er-fevrier-2026-legere-baisse-chez-edf-loption-tempo-degrade-nettement",
        ],
    },
];

/// The date of the newest grid known to this version.
pub fn latest_change() -> NaiveDate {
    GRIDS[GRIDS.len() - 1].from
}

impl RegulatedGrid {
    /// This grid's prices for an option at a subscribed power; `None` for EJP.
    pub fn prices(&self, option: TariffOption, power_kva: u32) -> Option<EnergyPrices> {
        Some(match option {
            TariffOption::Base if power_kva >= 9 => EnergyPrices::Base(self.base_from_9_kva),
            TariffOption::Base => EnergyPrices::Base(self.base_up_to_6_kva),
            TariffOption::PeakOffPeak => EnergyPrices::PeakOffPeak(self.peak_offpeak),
            TariffOption::Tempo => EnergyPrices::Tempo {
                blue: self.tempo[0],
                white: self.tempo[1],
                red: self.tempo[2],
            },
            TariffOption::Ejp => return None,
        })
    }
}

/// The regulated tariff of an option at a subscribed power, every grid from the first; `None`
/// for EJP, which has no preset.
pub fn tariff(option: TariffOption, power_kva: u32) -> Option<Tariff> {
    let periods = GRIDS
        .iter()
        .map(|grid| {
            grid.prices(option, power_kva).map(|energy| PricePeriod {
                from: grid.from,
                energy,
                subscription: None,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Tariff::new(periods).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_are_ordered_sourced_and_plausible() {
        assert!(GRIDS.windows(2).all(|w| w[0].from < w[1].from));
        for grid in GRIDS {
            assert!(!grid.sources.is_empty());
            let prices = [
                grid.base_up_to_6_kva,
                grid.base_from_9_kva,
                grid.peak_offpeak.peak,
                grid.peak_offpeak.offpeak,
            ];
            // Between 0,10 and 0,40 €/kWh: a typo of a digit would fall outside.
            for p in prices {
                assert!(
                    (1000..4000).contains(&(p.micro_per_kwh() / 100)),
                    "{grid:?}"
                );
            }
            assert!(grid.peak_offpeak.peak > grid.peak_offpeak.offpeak);
            // Each colour dearer than the one before, at peak and off-peak.
            assert!(grid
                .tempo
                .windows(2)
                .all(|w| w[0].peak < w[1].peak && w[0].offpeak < w[1].offpeak));
        }
        assert_eq!(latest_change().to_string(), "2026-02-01");
    }

    #[test]
    fn presets_follow_power_and_option() {
        let at = |option, kva, day: &str| {
            tariff(option, kva)
                .unwrap()
                .in_force(day.parse().unwrap())
                .map(|p| p.energy)
        };
        assert_eq!(
            at(TariffOption::Base, 6, "2026-03-01"),
            Some(EnergyPrices::Base(price(1940)))
        );
        assert_eq!(
            at(TariffOption::Base, 9, "2026-03-01"),
            Some(EnergyPrices::Base(price(1927)))
        );
        assert_eq!(
            at(TariffOption::Base, 9, "2025-09-01"),
            Some(EnergyPrices::Base(price(1952)))
        );
        assert_eq!(at(TariffOption::PeakOffPeak, 6, "2025-01-31"), None);
        assert!(tariff(TariffOption::Ejp, 6).is_none());
    }
}
