//! What Enedis answers to a metering or customers call, as a pure function of the request, the
//! time and the simulator's state: parameter checks, dates, history depth, activation, window
//! length, direction, consent, publication time, holes. HTTP lives elsewhere.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Timelike, Utc};
use enedis_protocol::customers::{
    Address, ContactData, ContactResponse, Contract, CustomerResponse, CustomerUsagePoints, Identity, IdentityResponse,
    NaturalPerson, UsagePointEntry, UsagePointInfo,
};
use enedis_protocol::error::{ErrorBody, ErrorCode};
use enedis_protocol::v5::{MeterReading, Resource};
use linky_core::{paris, Direction};

use crate::catalog::{customer_by_id, meter_by_pdl, Meter};
use crate::config::{DstStamps, SimConfig};
use crate::synth::Synth;

/// An error answer: HTTP status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: ErrorBody,
}

impl From<ErrorCode> for Refusal {
    fn from(code: ErrorCode) -> Refusal {
        Refusal { status: code.status(), body: code.body() }
    }
}

/// A window longer than the simulator accepts for daily calls. Enedis documents no limit and no
/// message for this; the simulator answers like its other window error.
fn daily_window_too_long(max_days: i64) -> Refusal {
    Refusal {
        status: 400,
        body: ErrorBody {
            error: "Invalid_request".to_owned(),
            error_description: format!("The requested period must be less than {max_days} days."),
            error_uri: None,
        },
    }
}

/// The simulator's view of the world at one instant.
pub struct World<'a> {
    /// Settings.
    pub config: &'a SimConfig,
    /// Data source.
    pub synth: &'a Synth,
    /// PDLs whose consent was revoked.
    pub revoked: &'a HashSet<String>,
    /// Now.
    pub now: DateTime<Utc>,
}

fn param<'p>(params: &'p HashMap<String, String>, name: &str) -> Option<&'p str> {
    params.get(name).map(String::as_str).filter(|v| !v.is_empty())
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
    fn consented_meter(&self, params: &HashMap<String, String>) -> Result<&'static Meter, Refusal> {
        let pdl = param(params, "usage_point_id").ok_or(ErrorCode::UsagePointMissing)?;
        if pdl.len() != 14 || !pdl.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ErrorCode::UsagePointMalformed.into());
        }
        let meter = meter_by_pdl(pdl).ok_or(ErrorCode::NoConsent)?;
        let revoked = customer_by_id(meter.customer).is_some_and(|c| c.revokes_consent) || self.revoked.contains(pdl);
        if revoked {
            return Err(ErrorCode::NoConsent.into());
        }
        Ok(meter)
    }

    /// Answers a v5 metering call.
    pub fn metering(&self, resource: Resource, params: &HashMap<String, String>) -> Result<MeterReading, Refusal> {
        let meter = self.consented_meter(params)?;
        let start_text = param(params, "start").ok_or(ErrorCode::StartMissing)?;
        let end_text = param(params, "end").ok_or(ErrorCode::EndMissing)?;
        let start = NaiveDate::parse_from_str(start_text, "%Y-%m-%d").map_err(|_| ErrorCode::StartMalformed)?;
        let end = NaiveDate::parse_from_str(end_text, "%Y-%m-%d").map_err(|_| ErrorCode::EndMalformed)?;
        if start >= end {
            return Err(ErrorCode::StartNotBeforeEnd.into());
        }
        let today = self.today();
        if end > today {
            return Err(ErrorCode::EndInFuture.into());
        }
        let months = if resource.is_load_curve() { 24 } else { 36 };
        let deadline = today.checked_sub_months(Months::new(months)).unwrap_or(today) - Duration::days(15);
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
            return Err(daily_window_too_long(self.config.max_daily_days));
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
        let reading = match resource {
            Resource::ConsumptionLoadCurve | Resource::ProductionLoadCurve => {
                let points: Vec<_> = dates.iter().flat_map(|d| self.synth.day_curve(meter, direction, *d)).collect();
                let mut r = MeterReading::from_load_curve(resource, meter.pdl, start, end, &points);
                if self.config.dst_stamps == DstStamps::DropDuplicates {
                    let mut seen = HashSet::new();
                    r.interval_reading.retain(|p| seen.insert(p.date.clone()));
                }
                r
            }
            Resource::DailyConsumption | Resource::DailyProduction => {
                let days: Vec<_> = dates.iter().filter_map(|d| self.synth.daily_energy(meter, direction, *d)).collect();
                MeterReading::from_daily_energy(resource, meter.pdl, start, end, &days)
            }
            Resource::ConsumptionMaxPower => {
                let peaks: Vec<_> = dates.iter().filter_map(|d| self.synth.max_power(meter, *d)).collect();
                MeterReading::from_max_power(meter.pdl, start, end, &peaks)
            }
        };
        if reading.interval_reading.is_empty() {
            return Err(ErrorCode::NoDataFound.into());
        }
        Ok(reading)
    }

    /// The meter a customers call is about: consented, and a consumption meter (production-only
    /// meters have no customer data).
    fn customer_meter(&self, params: &HashMap<String, String>) -> Result<&'static Meter, Refusal> {
        let meter = self.consented_meter(params)?;
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
    pub fn contracts(&self, params: &HashMap<String, String>) -> Result<CustomerResponse, Refusal> {
        let meter = self.customer_meter(params)?;
        let activation = meter.activation;
        // Dates carry the Paris offset of that day and no time: "2019-08-27+02:00".
        let offset = |d: NaiveDate| {
            let hours = (d.and_time(chrono::NaiveTime::MIN) - paris::day_start(d).naive_utc()).num_hours();
            format!("{}{:+03}:00", d.format("%Y-%m-%d"), hours)
        };
        let tariff_change = NaiveDate::from_ymd_opt(activation.year() + 3, 9, 13).unwrap_or(activation);
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
                usage_points: vec![UsagePointEntry { usage_point: World::usage_point_info(meter, None), contracts: Some(contract) }],
            },
        })
    }

    /// `customers_upa/v5/usage_points/addresses`.
    pub fn addresses(&self, params: &HashMap<String, String>) -> Result<CustomerResponse, Refusal> {
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
                usage_points: vec![UsagePointEntry { usage_point: World::usage_point_info(meter, Some(address)), contracts: None }],
            },
        })
    }

    /// `customers_i/v5/identity`.
    pub fn identity(&self, params: &HashMap<String, String>) -> Result<IdentityResponse, Refusal> {
        let meter = self.customer_meter(params)?;
        let c = customer_by_id(meter.customer).ok_or(ErrorCode::NoDataFound)?;
        Ok(IdentityResponse {
            customer_id: c.customer_id.to_owned(),
            identity: Identity {
                natural_person: Some(NaturalPerson { title: c.title.to_owned(), firstname: c.firstname.to_owned(), lastname: c.lastname.to_owned() }),
            },
        })
    }

    /// `customers_cd/v5/contact_data`.
    pub fn contact(&self, params: &HashMap<String, String>) -> Result<ContactResponse, Refusal> {
        let meter = self.customer_meter(params)?;
        let c = customer_by_id(meter.customer).ok_or(ErrorCode::NoDataFound)?;
        Ok(ContactResponse {
            customer_id: c.customer_id.to_owned(),
            contact_data: ContactData {
                phone: format!("01234567{:02}", c.id),
                email: format!("{}.{}@example.invalid", c.firstname.to_lowercase(), c.lastname.to_lowercase()),
            },
        })
    }
}
