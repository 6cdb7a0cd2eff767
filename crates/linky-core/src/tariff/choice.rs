//! Which prices apply to a household: its own dated prices, a regulated option, or, when the
//! settings say nothing, the regulated tariff its contract suggests.

use super::{regulated, Money, PricePeriod, Tariff, TariffOption};

/// What the settings say about the contract's prices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TariffChoice {
    /// Nothing said: the regulated tariff the meter's contract suggests (peak / off-peak when it
    /// has off-peak hours, else Base) at its subscribed power, without subscription; shown as an
    /// assumption.
    #[default]
    Assumed,
    /// A regulated option, at a power (else the contract's) with the monthly subscription of the
    /// bill, if given.
    Regulated {
        /// The option.
        option: TariffOption,
        /// Subscribed power; `None` takes the contract's.
        power_kva: Option<u32>,
        /// Per month, taxes included.
        subscription: Option<Money>,
    },
    /// The user's own dated prices (a market offer, or the history of their contracts).
    Own(Tariff),
}

/// The prices that apply to one meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterTariff {
    /// Prices by date.
    pub tariff: Tariff,
    /// Whether they were guessed from the contract (say so beside every figure).
    pub assumed: bool,
    /// The subscribed power used for the regulated prices and the comparison.
    pub power_kva: u32,
}

/// The subscribed power assumed when neither the settings nor the contract give one (the most
/// common in France).
pub const DEFAULT_POWER_KVA: u32 = 6;

impl TariffChoice {
    /// The prices of a meter whose contract gives `contract_kva` and, if `contract_offpeak`,
    /// off-peak hours. `None` when no prices can apply (a regulated EJP, which has no preset).
    pub fn for_meter(
        &self,
        contract_kva: Option<u32>,
        contract_offpeak: bool,
    ) -> Option<MeterTariff> {
        let power = |given: Option<u32>| given.or(contract_kva).unwrap_or(DEFAULT_POWER_KVA);
        match self {
            TariffChoice::Assumed => {
                let option = if contract_offpeak {
                    TariffOption::PeakOffPeak
                } else {
                    TariffOption::Base
                };
                let power_kva = power(None);
                Some(MeterTariff {
                    tariff: regulated::tariff(option, power_kva)?,
                    assumed: true,
                    power_kva,
                })
            }
            TariffChoice::Regulated {
                option,
                power_kva,
                subscription,
            } => {
                let power_kva = power(*power_kva);
                let preset = regulated::tariff(*option, power_kva)?;
                let periods: Vec<PricePeriod> = preset
                    .periods()
                    .iter()
                    .map(|p| PricePeriod {
                        subscription: *subscription,
                        ..*p
                    })
                    .collect();
                Some(MeterTariff {
                    tariff: Tariff::new(periods).ok()?,
                    assumed: false,
                    power_kva,
                })
            }
            TariffChoice::Own(tariff) => Some(MeterTariff {
                tariff: tariff.clone(),
                assumed: false,
                power_kva: power(None),
            }),
        }
    }

    /// Whether pricing may need the EJP calendar (the Tempo one is always useful: the
    /// comparison of options prices Tempo).
    pub fn needs_ejp(&self) -> bool {
        match self {
            TariffChoice::Own(t) => t.uses(TariffOption::Ejp),
            TariffChoice::Regulated { option, .. } => *option == TariffOption::Ejp,
            TariffChoice::Assumed => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tariff::EnergyPrices;

    #[test]
    fn unset_settings_follow_the_contract() {
        let on = |t: &MeterTariff| t.tariff.option_on("2026-03-01".parse().unwrap());
        let hphc = TariffChoice::Assumed.for_meter(Some(9), true).unwrap();
        assert!(hphc.assumed);
        assert_eq!(hphc.power_kva, 9);
        assert_eq!(on(&hphc), Some(TariffOption::PeakOffPeak));
        let base = TariffChoice::Assumed.for_meter(None, false).unwrap();
        assert_eq!((on(&base), base.power_kva), (Some(TariffOption::Base), 6));
        let tempo = TariffChoice::Regulated {
            option: TariffOption::Tempo,
            power_kva: None,
            subscription: Some(Money::from_cents(1550)),
        }
        .for_meter(Some(12), false)
        .unwrap();
        assert!(!tempo.assumed);
        assert!(tempo
            .tariff
            .periods()
            .iter()
            .all(|p| p.subscription == Some(Money::from_cents(1550))
                && matches!(p.energy, EnergyPrices::Tempo { .. })));
        let ejp = TariffChoice::Regulated {
            option: TariffOption::Ejp,
            power_kva: None,
            subscription: None,
        };
        assert!(ejp.for_meter(None, false).is_none());
        assert!(ejp.needs_ejp());
    }
}
