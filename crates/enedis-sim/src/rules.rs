//! What Enedis answers to a metering or customers call, as a pure function of the request, the
//! time and the simulator's state: parameter checks, dates, history depth, activation, window
//! length, direction, consent, publication time, holes. HTTP lives elsewhere.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Timelike, Utc};
use enedis_protocol::customers::{
    Address, ContactData, ContactResponse, Contract, CustomerResponse, CustomerUsagePoints,
    Identity, IdentityResponse, NaturalPerson, UsagePointEntry, UsagePointInfo,
};
use enedis_protocol::error::ErrorCode;
use enedis_protocol::v2026::{
    Comptage, Mesure, MesureResponse, Quantity, Relais, Segment, SituationContrat, SyntheseContrat,
};
use enedis_protocol::v5::{MeterReading, Resource};
use linky_core::{paris, DailyEnergy, Direction, LoadCurvePoint, MaxPower};
use serde_json::{json, Value};

use crate::catalog::{customer_by_id, meter_by_pdl, Meter};
use crate::config::{DstStamps, SimConfig};
use crate::synth::Synth;

/// Why a call is refused, independent of the generation that tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// A documented Enedis error.
    Code(ErrorCode),
    /// A daily window longer than the simulator accepts. Enedis documents no limit and no
    /// message for this; the simulator answers like its other window errors.
    DailyWindowTooLong(i64),
    /// A parameter of the 2026 generation with a value it does not take.
    BadParameter(&'static str),
}

impl From<ErrorCode> for Rejection {
    fn from(code: ErrorCode) -> Rejection {
        Rejection::Code(code)
    }
}

impl Rejection {
    /// Status and body in the v5 form.
    pub fn v5(self) -> (u16, Value) {
        match self {
            Rejection::Code(code) => (
                code.status(),
                serde_json::to_value(code.body()).unwrap_or_default(),
            ),
            Rejection::DailyWindowTooLong(max) => (
                400,
                json!({"error": "Invalid_request", "error_description": format!("The requested period must be less than {max} days.")}),
            ),
            Rejection::BadParameter(text) => (
                400,
                json!({"error": "Invalid_request", "error_description": text}),
            ),
        }
    }

    /// Status and body in the 2026 form.
    pub fn v2026(self) -> (u16, Value) {
        match self {
            Rejection::Code(code) => (code.status(), code.body_2026()),
            Rejection::DailyWindowTooLong(max) => (
                400,
                json!({"error": "invalid_request", "error_description": format!("La période demandée doit être inférieure à {max} jours.")}),
            ),
            Rejection::BadParameter(text) => (
                400,
                json!({"error": "invalid_request", "error_description": text}),
            ),
        }
    }
}

/// The parameters of a metering call, whatever their names in each generation.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeterQuery<'a> {
    /// `usage_point_id` (v5) or `pointId` (2026).
    pub pdl: Option<&'a str>,
    /// `start` or `dateDebut`.
    pub start: Option<&'a str>,
    /// `end` or `dateFin`.
    pub end: Option<&'a str>,
}

/// The values a metering call returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Measured {
    /// Load-curve points.
    Curve(Vec<LoadCurvePoint>),
    /// Daily energies.
    Daily(Vec<DailyEnergy>),
    /// Each published day with its peak, `None` for a day without data.
    Peaks(Vec<(NaiveDate, Option<MaxPower>)>),
}

/// A successful metering call.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The meter.
    pub meter: &'static Meter,
    /// First day asked.
    pub start: NaiveDate,
    /// Day after the last asked.
    pub end: NaiveDate,
    /// The values.
    pub data: Measured,
}

/// The simulator's view of the world at one instant.
pub struct World<'a> {
    /// Settings.
    pub config: &'a SimConfig,
    /// Data source.
    pub synth: &'a Synth,
    /// PDLs whose data may not be read (consent revoked or expired).
    pub denied: &'a HashSet<String>,
    /// Now.
    pub now: DateTime<Utc>,
}

fn param<'p>(params: &'p HashMap<String, String>, name: &str) -> Option<&'p str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

impl World<'_> {
    fn today(&self) -> NaiveDate {
        paris::local_date(self.now)
    }

    /// The last day whose data a meter has published by now.
    pub fn last_published_day(&self, meter: &Meter) -> NaiveDate {
        let local = paris::local(self.now);
        let mut delay = i64::from(meter.publication_delay_days);
        if local.hour() < self.config.publication_hour {
            delay += 1;
        }
        local.date() - Duration::days(delay)
    }

    /// The meter a call is about, once its consent is checked.
    fn consented_meter(&self, pdl: Option<&str>) -> Result<&'static Meter, Rejection> {
        let pdl = pdl
            .filter(|p| !p.is_empty())
            .ok_or(ErrorCode::UsagePointMissing)?;
        if pdl.len() != 14 || !pdl.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ErrorCode::UsagePointMalformed.into());
        }
        let meter = meter_by_pdl(pdl).ok_or(ErrorCode::NoConsent)?;
        let revoked = customer_by_id(meter.customer).is_some_and(|c| c.revokes_consent)
            || self.denied.contains(pdl);
        if revoked {
            return Err(ErrorCode::NoConsent.into());
        }
        Ok(meter)
    }

    /// Answers a metering call of either generation: every documented check in Enedis' order,
    /// then the data published by now.
    pub fn measure(
        &self,
        resource: Resource,
        query: MeterQuery<'_>,
    ) -> Result<Measurement, Rejection> {
        let meter = self.consented_meter(query.pdl)?;
        let start_text = query
            .start
            .filter(|s| !s.is_empty())
            .ok_or(ErrorCode::StartMissing)?;
        let end_text = query
            .end
            .filter(|s| !s.is_empty())
            .ok_or(ErrorCode::EndMissing)?;
        let start = NaiveDate::parse_from_str(start_text, "%Y-%m-%d")
            .map_err(|_| ErrorCode::StartMalformed)?;
        let end =
            NaiveDate::parse_from_str(end_text, "%Y-%m-%d").map_err(|_| ErrorCode::EndMalformed)?;
        if start >= end {
            return Err(ErrorCode::StartNotBeforeEnd.into());
        }
        let today = self.today();
        if end > today {
            return Err(ErrorCode::EndInFuture.into());
        }
        let months = if resource.is_load_curve() { 24 } else { 36 };
        let deadline = today
            .checked_sub_months(Months::new(months))
            .unwrap_or(today)
            - Duration::days(15);
        if start < deadline {
            return Err(ErrorCode::HistoryDeadline.into());
        }
        if start < meter.activation {
            return Err(ErrorCode::BeforeActivation.into());
        }
        let days = (end - start).num_days();
        if resource.is_load_curve() && days > self.config.max_curve_days {
            return Err(ErrorCode::LoadCurvePeriod.into());
        }
        if !resource.is_load_curve() && days > self.config.max_daily_days {
            return Err(Rejection::DailyWindowTooLong(self.config.max_daily_days));
        }
        let direction = resource.direction();
        if !meter.measures(direction) {
            return Err(ErrorCode::WrongDirection.into());
        }
        if resource.is_load_curve() && !meter.load_curve {
            return Err(ErrorCode::NoDataFound.into());
        }
        let last = self.last_published_day(meter).min(end - Duration::days(1));
        let dates: Vec<NaiveDate> = start.iter_days().take_while(|d| *d <= last).collect();
        let data = match resource {
            Resource::ConsumptionLoadCurve | Resource::ProductionLoadCurve => Measured::Curve(
                dates
                    .iter()
                    .flat_map(|d| self.synth.day_curve(meter, direction, *d))
                    .collect(),
            ),
            Resource::DailyConsumption | Resource::DailyProduction => Measured::Daily(
                dates
                    .iter()
                    .filter_map(|d| self.synth.daily_energy(meter, direction, *d))
                    .collect(),
            ),
            Resource::ConsumptionMaxPower => Measured::Peaks(
                dates
                    .iter()
                    .map(|d| (*d, self.synth.max_power(meter, *d)))
                    .collect(),
            ),
        };
        let empty = match &data {
            Measured::Curve(p) => p.is_empty(),
            Measured::Daily(d) => d.is_empty(),
            Measured::Peaks(p) => p.iter().all(|(_, m)| m.is_none()),
        };
        if empty {
            return Err(ErrorCode::NoDataFound.into());
        }
        Ok(Measurement {
            meter,
            start,
            end,
            data,
        })
    }

    /// Answers a v5 metering call with its v5 body.
    pub fn metering_v5(
        &self,
        resource: Resource,
        params: &HashMap<String, String>,
    ) -> Result<MeterReading, Rejection> {
        let query = MeterQuery {
            pdl: param(params, "usage_point_id"),
            start: param(params, "start"),
            end: param(params, "end"),
        };
        let m = self.measure(resource, query)?;
        let pdl = m.meter.pdl;
        Ok(match m.data {
            Measured::Curve(points) => {
                let mut r = MeterReading::from_load_curve(resource, pdl, m.start, m.end, &points);
                if self.config.dst_stamps == DstStamps::DropDuplicates {
                    let mut seen = HashSet::new();
                    r.interval_reading.retain(|p| seen.insert(p.date.clone()));
                }
                r
            }
            Measured::Daily(days) => {
                MeterReading::from_daily_energy(resource, pdl, m.start, m.end, &days)
            }
            Measured::Peaks(peaks) => {
                let peaks: Vec<MaxPower> = peaks.into_iter().filter_map(|(_, p)| p).collect();
                MeterReading::from_max_power(pdl, m.start, m.end, &peaks)
            }
        })
    }

    /// [`World::metering_2026`] as the body sent. A load curve, the bulk of what is asked, is
    /// written directly ([`MesureResponse::load_curve_body`], the same bytes); the rest goes
    /// through serde.
    pub fn metering_2026_body(
        &self,
        mesure: Mesure,
        params: &HashMap<String, String>,
    ) -> Result<Vec<u8>, Rejection> {
        let curve = matches!(
            mesure,
            Mesure::CourbeDeChargeConsommation | Mesure::CourbeDeChargeProduction
        );
        if curve && self.config.dst_stamps != DstStamps::DropDuplicates {
            let m = self.measure(mesure.v5(), query_2026(params))?;
            if let Measured::Curve(points) = &m.data {
                return Ok(MesureResponse::load_curve_body(
                    mesure.v5().direction(),
                    m.meter.pdl,
                    m.start,
                    m.end,
                    points,
                ));
            }
        }
        let answer = self.metering_2026(mesure, params)?;
        // Plain strings and lists: serde_json cannot fail on it.
        Ok(serde_json::to_vec(&answer).unwrap_or_default())
    }

    /// Answers a 2026 metering call with its 2026 body.
    pub fn metering_2026(
        &self,
        mesure: Mesure,
        params: &HashMap<String, String>,
    ) -> Result<MesureResponse, Rejection> {
        let query = query_2026(params);
        let monthly = if mesure == Mesure::PuissanceConsoMaxQuotidienne {
            let monthly = match param(params, "mesuresPas") {
                None | Some("P1D") => false,
                Some("P1M") => true,
                Some(_) => {
                    return Err(Rejection::BadParameter(
                        "Le paramètre mesuresPas doit valoir P1D ou P1M.",
                    ))
                }
            };
            if !matches!(
                param(params, "grandeurPhysique"),
                None | Some("PMA") | Some("TOUT")
            ) {
                return Err(Rejection::BadParameter(
                    "Le paramètre grandeurPhysique doit valoir PMA ou TOUT.",
                ));
            }
            monthly
        } else {
            false
        };
        let m = self.measure(mesure.v5(), query)?;
        let (pdl, direction) = (m.meter.pdl, mesure.v5().direction());
        Ok(match m.data {
            Measured::Curve(points) => {
                let mut r =
                    MesureResponse::from_load_curve(direction, pdl, m.start, m.end, &points);
                if self.config.dst_stamps == DstStamps::DropDuplicates {
                    for g in &mut r.grandeur {
                        let mut seen = HashSet::new();
                        g.points.retain(|p| seen.insert(p.d.clone()));
                    }
                }
                r
            }
            Measured::Daily(days) => {
                MesureResponse::from_daily_energy(direction, pdl, m.start, m.end, &days)
            }
            Measured::Peaks(peaks) if monthly => {
                // The month's highest daily peak, stamped with its own moment.
                let mut months: Vec<(NaiveDate, Option<MaxPower>)> = Vec::new();
                for (date, peak) in peaks.into_iter() {
                    let first = date.with_day(1).unwrap_or(date);
                    match months.last_mut() {
                        Some((m, best)) if *m == first => {
                            if peak.is_some_and(|p| {
                                best.is_none_or(|b| p.volt_amperes > b.volt_amperes)
                            }) {
                                *best = peak;
                            }
                        }
                        _ => months.push((first, peak)),
                    }
                }
                months.retain(|(_, p)| p.is_some());
                MesureResponse::from_max_power(pdl, m.start, m.end, "P1M", &months)
            }
            Measured::Peaks(peaks) => {
                MesureResponse::from_max_power(pdl, m.start, m.end, "P1D", &peaks)
            }
        })
    }

    /// The meter a customers call is about: consented, and a consumption meter (production-only
    /// meters have no customer data).
    fn customer_meter(
        &self,
        params: &HashMap<String, String>,
    ) -> Result<&'static Meter, Rejection> {
        let meter = self.consented_meter(param(params, "usage_point_id"))?;
        if !meter.measures(Direction::Consumption) {
            return Err(ErrorCode::NoDataFound.into());
        }
        Ok(meter)
    }

    fn customer_id(meter: &Meter) -> String {
        customer_by_id(meter.customer).map_or_else(String::new, |c| c.customer_id.to_owned())
    }

    fn usage_point_info(meter: &Meter, address: Option<Address>) -> UsagePointInfo {
        UsagePointInfo {
            usage_point_id: meter.pdl.to_owned(),
            usage_point_status: "com".to_owned(),
            meter_type: "AMM".to_owned(),
            usage_point_addresses: address,
        }
    }

    /// `customers_upc/v5/usage_points/contracts`.
    pub fn contracts(
        &self,
        params: &HashMap<String, String>,
    ) -> Result<CustomerResponse, Rejection> {
        let meter = self.customer_meter(params)?;
        let activation = meter.activation;
        // Dates carry the Paris offset of that day and no time: "2019-08-27+02:00".
        let offset = |d: NaiveDate| {
            format!(
                "{}{:+03}:00",
                d.format("%Y-%m-%d"),
                paris::offset_hours_at_midnight(d)
            )
        };
        let tariff_change =
            NaiveDate::from_ymd_opt(activation.year() + 3, 9, 13).unwrap_or(activation);
        let contract = Contract {
            segment: "C5".to_owned(),
            subscribed_power: format!("{} kVA", meter.subscribed_kva),
            last_activation_date: offset(activation),
            distribution_tariff: "BTINFMUDT".to_owned(),
            offpeak_hours: Some(meter.offpeak_hours.to_owned()),
            contract_type: None,
            contract_status: "SERVC".to_owned(),
            last_distribution_tariff_change_date: Some(offset(tariff_change)),
        };
        Ok(CustomerResponse {
            customer: CustomerUsagePoints {
                customer_id: World::customer_id(meter),
                usage_points: vec![UsagePointEntry {
                    usage_point: World::usage_point_info(meter, None),
                    contracts: Some(contract),
                }],
            },
        })
    }

    /// `customers_upa/v5/usage_points/addresses`.
    pub fn addresses(
        &self,
        params: &HashMap<String, String>,
    ) -> Result<CustomerResponse, Rejection> {
        let meter = self.customer_meter(params)?;
        let address = Address {
            street: format!("{} rue des Compteurs", 1 + u32::from(meter.customer)),
            locality: None,
            postal_code: "75015".to_owned(),
            insee_code: "75115".to_owned(),
            city: "PARIS".to_owned(),
            country: "France".to_owned(),
        };
        Ok(CustomerResponse {
            customer: CustomerUsagePoints {
                customer_id: World::customer_id(meter),
                usage_points: vec![UsagePointEntry {
                    usage_point: World::usage_point_info(meter, Some(address)),
                    contracts: None,
                }],
            },
        })
    }

    /// `customers_i/v5/identity`.
    pub fn identity(
        &self,
        params: &HashMap<String, String>,
    ) -> Result<IdentityResponse, Rejection> {
        let meter = self.customer_meter(params)?;
        let c = customer_by_id(meter.customer).ok_or(ErrorCode::NoDataFound)?;
        Ok(IdentityResponse {
            customer_id: c.customer_id.to_owned(),
            identity: Identity {
                natural_person: Some(NaturalPerson {
                    title: c.title.to_owned(),
                    firstname: c.firstname.to_owned(),
                    lastname: c.lastname.to_owned(),
                }),
            },
        })
    }

    /// `customers_cd/v5/contact_data`.
    pub fn contact(&self, params: &HashMap<String, String>) -> Result<ContactResponse, Rejection> {
        let meter = self.customer_meter(params)?;
        let c = customer_by_id(meter.customer).ok_or(ErrorCode::NoDataFound)?;
        Ok(ContactResponse {
            customer_id: c.customer_id.to_owned(),
            contact_data: ContactData {
                phone: format!("01234567{:02}", c.id),
                email: format!(
                    "{}.{}@example.invalid",
                    c.firstname.to_lowercase(),
                    c.lastname.to_lowercase()
                ),
            },
        })
    }
}

/// The 2026 contract ("ITC") resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractResource {
    /// `situation_contrat_auto/v1/{prm}`.
    Situation,
    /// `synth_contrat_auto/v1/{prm}`.
    Synthese,
    /// `comptage_auto/v1/{prm}`.
    Comptage,
}

/// The ITC APIs' refusal when there is no consent, as reported.
fn no_subscribed_service() -> (u16, Value) {
    (
        400,
        json!({"error": "Bad request", "error_description": "Pas de services souscrits, le flux est stoppé."}),
    )
}

/// The meter and days of a 2026 call.
fn query_2026(params: &HashMap<String, String>) -> MeterQuery<'_> {
    MeterQuery {
        pdl: param(params, "pointId"),
        start: param(params, "dateDebut"),
        end: param(params, "dateFin"),
    }
}

impl World<'_> {
    /// Answers a 2026 contract call (PRM in the path).
    pub fn contract_2026(
        &self,
        resource: ContractResource,
        prm: &str,
    ) -> Result<Value, (u16, Value)> {
        if prm.len() != 14 || !prm.bytes().all(|b| b.is_ascii_digit()) {
            return Err((
                400,
                json!({"error": "invalid_request", "error_description": "Le PRM doit comporter 14 chiffres."}),
            ));
        }
        let meter = self
            .consented_meter(Some(prm))
            .map_err(|_| no_subscribed_service())?;
        if resource == ContractResource::Comptage && !self.config.comptage_subscribed {
            return Err((
                403,
                json!({"error": "unauthorized_user", "error_description": "user is not authorized to access this resource"}),
            ));
        }
        let customer = customer_by_id(meter.customer);
        let offset_stamp = |d: NaiveDate| {
            format!(
                "{}T00:00:00{:+03}00",
                d.format("%Y-%m-%d"),
                paris::offset_hours_at_midnight(d)
            )
        };
        let value = match resource {
            ContractResource::Comptage => serde_json::to_value(Comptage {
                point_id: meter.pdl.to_owned(),
                relais: Relais {
                    plage_heures_creuses: meter.consumption.then(|| meter.offpeak_hours.to_owned()),
                },
            }),
            ContractResource::Synthese => serde_json::to_value(SyntheseContrat {
                segments: vec![Segment {
                    segment: "C5".to_owned(),
                }],
                generation_last_activation_date: meter
                    .production
                    .then(|| offset_stamp(meter.activation)),
                consumption_last_activation_date: meter
                    .consumption
                    .then(|| offset_stamp(meter.activation)),
                last_subscribed_power_change_date: Some(offset_stamp(meter.activation)),
            }),
            ContractResource::Situation => {
                let person = customer.map(|c| json!({"title": c.title, "lastname": c.lastname.to_uppercase(), "firstname": c.firstname.to_uppercase()}));
                let address = customer.map(|c| {
                    json!({"customer": {"adress": {"line1": format!("{} {} {}", c.title, c.lastname.to_uppercase(), c.firstname.to_uppercase()), "line4": format!("{} rue des Compteurs", 1 + u32::from(c.id)), "line6": "75015 PARIS"}}})
                });
                let tariff = if meter.consumption {
                    "Tarif BT<=36kVA Courte Utilisation heures pleines heures creuses"
                } else {
                    "Tarif BT<=36kVA injection"
                };
                serde_json::to_value(vec![SituationContrat {
                    usage_point_id: meter.pdl.to_owned(),
                    contract_start: offset_stamp(meter.activation),
                    contract_type: if meter.consumption {
                        "Contrat GRD-F"
                    } else {
                        "CARD-I"
                    }
                    .to_owned(),
                    contractor: "FOURNISSEUR SIMULE".to_owned(),
                    distribution_tariff: tariff.to_owned(),
                    subscribed_power: Quantity {
                        unit: "kVA".to_owned(),
                        value: meter.subscribed_kva.to_string(),
                    },
                    segment: "C5".to_owned(),
                    customer: address,
                    contact_data: customer
                        .map(|c| json!({"landline": format!("01234567{:02}", c.id)})),
                    person,
                }])
            }
        };
        value.map_err(|_| (500, ErrorCode::TechnicalError.body_2026()))
    }
}
