//! The `[tariff]` section: the contract's prices (regulated, the user's own, or guessed from the
//! contract) and where Tempo and EJP day colours come from.

use chrono::NaiveDate;
use linky_core::tariff::{
    EnergyPrices, Money, PeakOffPeak, PricePeriod, Tariff, TariffChoice, TariffOption, UnitPrice,
};
use linky_core::Lang;
use serde::{Deserialize, Serialize};

use super::validate::{error, SettingError};
use super::Secret;

/// What the contract costs and where day colours come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TariffSection {
    /// `base`, `hphc`, `tempo` or `ejp` at the regulated prices; unset, the regulated tariff the
    /// contract suggests (shown as an assumption). Ignored when `prices` are given.
    pub option: Option<String>,
    /// Subscribed power in kVA; unset, the contract's.
    pub power_kva: Option<u32>,
    /// The subscription per month in euros, taxes included, as on the bill.
    pub subscription: Option<String>,
    /// Where Tempo and EJP colours come from: `edf` (EDF's public calendar), `rte` (RTE's API
    /// with your credentials) or `off`.
    pub colours: String,
    /// The calendar's address, to reach a simulator or a mirror (default: EDF's or RTE's).
    pub colours_url: Option<String>,
    /// RTE application's client id (for `colours = "rte"`).
    pub rte_client_id: Option<String>,
    /// RTE application's secret.
    pub rte_client_secret: Option<Secret>,
    /// Your own prices, each period from a date until the next (a market offer, past contracts).
    pub prices: Vec<PricesEntry>,
}

impl Default for TariffSection {
    fn default() -> TariffSection {
        TariffSection {
            option: None,
            power_kva: None,
            subscription: None,
            colours: "edf".into(),
            colours_url: None,
            rte_client_id: None,
            rte_client_secret: None,
            prices: Vec::new(),
        }
    }
}

/// One `[[tariff.prices]]` period: euros per kWh, taxes included, written `0.1952` or `"0,1952"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PricesEntry {
    /// First day (YYYY-MM-DD).
    pub from: String,
    /// `base`, `hphc`, `tempo` or `ejp`.
    pub option: String,
    /// Base: the price.
    pub base: Option<String>,
    /// Peak / off-peak: heures pleines.
    pub peak: Option<String>,
    /// Peak / off-peak: heures creuses.
    pub offpeak: Option<String>,
    /// Tempo blue day, peak hours.
    pub blue_peak: Option<String>,
    /// Tempo blue day, off-peak hours.
    pub blue_offpeak: Option<String>,
    /// Tempo white day, peak hours.
    pub white_peak: Option<String>,
    /// Tempo white day, off-peak hours.
    pub white_offpeak: Option<String>,
    /// Tempo red day, peak hours.
    pub red_peak: Option<String>,
    /// Tempo red day, off-peak hours.
    pub red_offpeak: Option<String>,
    /// EJP normal hours.
    pub normal: Option<String>,
    /// EJP mobile peak hours.
    pub mobile_peak: Option<String>,
    /// The subscription per month during this period.
    pub subscription: Option<String>,
}

/// Where Tempo and EJP day colours come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColourSource {
    /// EDF's public calendar (no account).
    Edf,
    /// RTE's Tempo API with the user's application credentials.
    Rte {
        /// Client id.
        client_id: String,
        /// Secret.
        client_secret: Secret,
    },
    /// Not fetched: Tempo and EJP hours are priced as blue (normal), marked as such.
    Off,
}

fn option_named(key: &str, name: &str) -> Result<TariffOption, SettingError> {
    TariffOption::named(name).ok_or_else(|| {
        error(
            key,
            (
                format!("« {name} » n'est pas une option tarifaire"),
                format!("\"{name}\" is not a tariff option"),
            ),
            (
                "choisissez base, hphc, tempo ou ejp",
                "choose base, hphc, tempo or ejp",
            ),
        )
    })
}

fn money(key: &str, text: &str) -> Result<Money, SettingError> {
    text.parse().map_err(|_| {
        error(
            key,
            (
                format!("« {text} » n'est pas un montant en euros"),
                format!("\"{text}\" is not an amount in euros"),
            ),
            (
                "écrivez par exemple 15.47 (euros par mois, TTC, comme sur la facture)",
                "write e.g. 15.47 (euros per month, taxes included, as on the bill)",
            ),
        )
    })
}

impl PricesEntry {
    /// This period, checked; `index` names it in errors (`tariff.prices[2].peak`).
    fn period(&self, index: usize) -> Result<PricePeriod, SettingError> {
        let key = |field: &str| format!("tariff.prices[{index}].{field}");
        let from: NaiveDate = self.from.parse().map_err(|_| {
            error(
                &key("from"),
                (
                    format!("« {} » n'est pas une date", self.from),
                    format!("\"{}\" is not a date", self.from),
                ),
                (
                    "écrivez le premier jour de ces prix, par exemple 2026-02-01",
                    "write the first day of these prices, e.g. 2026-02-01",
                ),
            )
        })?;
        let option = option_named(&key("option"), &self.option)?;
        let price = |field: &str, value: &Option<String>| -> Result<UnitPrice, SettingError> {
            let Some(text) = value else {
                return Err(error(
                    &key(field),
                    (
                        format!("manquant pour l'option {}", option.name()),
                        format!("missing for the {} option", option.name()),
                    ),
                    (
                        "donnez le prix du kWh TTC en euros, par exemple 0.1952",
                        "give the price per kWh in euros, taxes included, e.g. 0.1952",
                    ),
                ));
            };
            text.parse().map_err(|e: linky_core::tariff::PriceError| {
                error(
                    &key(field),
                    (e.to_string(), e.to_string()),
                    (
                        "écrivez des euros par kWh, par exemple 0.1952",
                        "write euros per kWh, e.g. 0.1952",
                    ),
                )
            })
        };
        let pair = |peak: (&str, &Option<String>), offpeak: (&str, &Option<String>)| {
            Ok::<_, SettingError>(PeakOffPeak {
                peak: price(peak.0, peak.1)?,
                offpeak: price(offpeak.0, offpeak.1)?,
            })
        };
        let energy = match option {
            TariffOption::Base => EnergyPrices::Base(price("base", &self.base)?),
            TariffOption::PeakOffPeak => {
                EnergyPrices::PeakOffPeak(pair(("peak", &self.peak), ("offpeak", &self.offpeak))?)
            }
            TariffOption::Tempo => EnergyPrices::Tempo {
                blue: pair(
                    ("blue_peak", &self.blue_peak),
                    ("blue_offpeak", &self.blue_offpeak),
                )?,
                white: pair(
                    ("white_peak", &self.white_peak),
                    ("white_offpeak", &self.white_offpeak),
                )?,
                red: pair(
                    ("red_peak", &self.red_peak),
                    ("red_offpeak", &self.red_offpeak),
                )?,
            },
            TariffOption::Ejp => EnergyPrices::Ejp {
                normal: price("normal", &self.normal)?,
                mobile_peak: price("mobile_peak", &self.mobile_peak)?,
            },
        };
        let subscription = self
            .subscription
            .as_deref()
            .map(|s| money(&key("subscription"), s))
            .transpose()?;
        Ok(PricePeriod {
            from,
            energy,
            subscription,
        })
    }
}

impl TariffSection {
    /// The prices the settings choose, checked.
    pub fn choice(&self) -> Result<TariffChoice, SettingError> {
        if let Some(kva) = self.power_kva {
            if !(3..=36).contains(&kva) {
                return Err(error(
                    "tariff.power_kva",
                    (
                        format!("{kva} kVA n'est pas une puissance souscrite de particulier"),
                        format!("{kva} kVA is not a household's subscribed power"),
                    ),
                    (
                        "donnez la puissance de la facture, de 3 à 36 kVA",
                        "give the power on the bill, 3 to 36 kVA",
                    ),
                ));
            }
        }
        if !self.prices.is_empty() {
            let periods = self
                .prices
                .iter()
                .enumerate()
                .map(|(i, p)| p.period(i))
                .collect::<Result<Vec<_>, _>>()?;
            return Tariff::new(periods).map(TariffChoice::Own).map_err(|e| {
                error(
                    "tariff.prices",
                    (e.to_string(), e.to_string()),
                    (
                        "une seule période par date de début",
                        "one period per starting date",
                    ),
                )
            });
        }
        let subscription = self
            .subscription
            .as_deref()
            .map(|s| money("tariff.subscription", s))
            .transpose()?;
        let Some(name) = &self.option else {
            return Ok(TariffChoice::Assumed);
        };
        let option = option_named("tariff.option", name)?;
        if option == TariffOption::Ejp {
            return Err(error(
                "tariff.option",
                (
                    "l'EJP n'a pas de prix réglementés connus de linky".into(),
                    "EJP has no regulated prices known to linky".into(),
                ),
                (
                    "donnez vos prix dans [[tariff.prices]] (option = \"ejp\", normal, mobile_peak)",
                    "give your prices in [[tariff.prices]] (option = \"ejp\", normal, mobile_peak)",
                ),
            ));
        }
        Ok(TariffChoice::Regulated {
            option,
            power_kva: self.power_kva,
            subscription,
        })
    }

    /// Where colours come from, checked.
    pub fn colour_source(&self) -> Result<ColourSource, SettingError> {
        if let Some(u) = &self.colours_url {
            super::validate::url("tariff.colours_url", u)?;
        }
        match self.colours.as_str() {
            "edf" => Ok(ColourSource::Edf),
            "off" => Ok(ColourSource::Off),
            "rte" => match (&self.rte_client_id, &self.rte_client_secret) {
                (Some(id), Some(secret)) => Ok(ColourSource::Rte {
                    client_id: id.clone(),
                    client_secret: secret.clone(),
                }),
                _ => Err(error(
                    "tariff.rte_client_id",
                    (
                        "RTE demande un identifiant et un secret d'application".into(),
                        "RTE needs an application's client id and secret".into(),
                    ),
                    (
                        "créez une application sur data.rte-france.com (API Tempo Like Supply Contract), puis réglez tariff.rte_client_id et tariff.rte_client_secret (LINKY_RTE_CLIENT_SECRET), ou gardez colours = \"edf\"",
                        "create an application on data.rte-france.com (Tempo Like Supply Contract API), then set tariff.rte_client_id and tariff.rte_client_secret (LINKY_RTE_CLIENT_SECRET), or keep colours = \"edf\"",
                    ),
                )),
            },
            other => Err(error(
                "tariff.colours",
                (
                    format!("« {other} » inconnu"),
                    format!("\"{other}\" is unknown"),
                ),
                ("choisissez edf, rte ou off", "choose edf, rte or off"),
            )),
        }
    }
}

/// How the prices in use are described to the user (dashboard, `linky status`).
pub fn describe(choice: &TariffChoice, lang: Lang) -> String {
    match choice {
        TariffChoice::Assumed => lang
            .pick(
                "tarif réglementé supposé d'après le contrat (réglez [tariff] pour être exact)",
                "regulated tariff assumed from the contract (set [tariff] to be exact)",
            )
            .into(),
        TariffChoice::Regulated { option, .. } => format!(
            "{} {}",
            lang.pick("tarif réglementé", "regulated tariff"),
            option.label(lang)
        ),
        TariffChoice::Own(t) => format!(
            "{} ({})",
            lang.pick("vos prix", "your prices"),
            t.periods().len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    fn choice(toml: &str) -> Result<TariffChoice, SettingError> {
        Settings::parse(toml, "test").unwrap().tariff.choice()
    }

    #[test]
    fn tariff_settings_read_and_name_their_keys() {
        assert_eq!(choice("").unwrap(), TariffChoice::Assumed);
        assert!(matches!(
            choice("[tariff]\noption = \"tempo\"\nsubscription = \"15,50\"").unwrap(),
            TariffChoice::Regulated { option: TariffOption::Tempo, subscription: Some(s), .. } if s == Money::from_cents(1550)
        ));
        let own = choice(
            "[[tariff.prices]]\nfrom = \"2026-02-01\"\noption = \"hphc\"\npeak = \"0.2065\"\noffpeak = \"0,1579\"\n\
             [[tariff.prices]]\nfrom = \"2026-08-01\"\noption = \"base\"\nbase = \"0.19\"\nsubscription = \"15.47\"",
        )
        .unwrap();
        let TariffChoice::Own(t) = own else {
            panic!("{own:?}")
        };
        assert_eq!(t.periods().len(), 2);
        let cases = [
            ("[tariff]\noption = \"heures\"", "tariff.option"),
            ("[tariff]\noption = \"ejp\"", "tariff.option"),
            ("[tariff]\npower_kva = 50", "tariff.power_kva"),
            ("[tariff]\nsubscription = \"quinze\"", "tariff.subscription"),
            (
                "[[tariff.prices]]\nfrom = \"2026-02-01\"\noption = \"hphc\"\npeak = \"0.2\"",
                "tariff.prices[0].offpeak",
            ),
            (
                "[[tariff.prices]]\nfrom = \"1 février\"\noption = \"base\"\nbase = \"0.2\"",
                "tariff.prices[0].from",
            ),
            (
                "[[tariff.prices]]\nfrom = \"2026-02-01\"\noption = \"base\"\nbase = \"0,2€x\"",
                "tariff.prices[0].base",
            ),
        ];
        for (toml, key) in cases {
            let e = choice(toml).unwrap_err();
            assert_eq!(e.key, key, "{toml}");
            assert!(!e.fix_fr.is_empty() && !e.fix_en.is_empty());
        }
        let s = Settings::parse("[tariff]\ncolours = \"rte\"", "t").unwrap();
        assert_eq!(
            s.tariff.colour_source().unwrap_err().key,
            "tariff.rte_client_id"
        );
        let s = Settings::parse(
            "[tariff]\ncolours = \"rte\"\nrte_client_id = \"id\"\nrte_client_secret = \"s3cret\"",
            "t",
        )
        .unwrap();
        assert!(!format!("{:?}", s.tariff.colour_source().unwrap()).contains("s3cret"));
    }
}
