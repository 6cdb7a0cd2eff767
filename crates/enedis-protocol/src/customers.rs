//! The v5 customers API: contracts, addresses, identity and contact, for consumption meters.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ProtocolError;

/// The paths of the customers API.
pub mod paths {
    /// Contracts (subscribed power, off-peak hours, activation date).
    pub const CONTRACTS: &str = "/customers_upc/v5/usage_points/contracts";
    /// Addresses.
    pub const ADDRESSES: &str = "/customers_upa/v5/usage_points/addresses";
    /// Identity.
    pub const IDENTITY: &str = "/customers_i/v5/identity";
    /// Contact data.
    pub const CONTACT: &str = "/customers_cd/v5/contact_data";
}

/// `{"customer": {...}}`, the envelope of contracts and addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerResponse {
    /// The customer.
    pub customer: CustomerUsagePoints,
}

/// A customer and their usage points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerUsagePoints {
    /// Enedis' customer id (a string, possibly negative).
    pub customer_id: String,
    /// The usage points asked for.
    pub usage_points: Vec<UsagePointEntry>,
}

/// One usage point, with its contract or its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsagePointEntry {
    /// The usage point.
    pub usage_point: UsagePointInfo,
    /// Its contract (contracts resource only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contracts: Option<Contract>,
}

/// A usage point's identity and, for the addresses resource, its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsagePointInfo {
    /// The PDL.
    pub usage_point_id: String,
    /// `com` (communicating) or `no_com` (also seen: `no com`).
    pub usage_point_status: String,
    /// `AMM` for a Linky.
    pub meter_type: String,
    /// The address (addresses resource only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub usage_point_addresses: Option<Address>,
}

/// The contract of a usage point. `contracts` is an object, not an array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// `C5` for households.
    pub segment: String,
    /// `"9 kVA"`.
    pub subscribed_power: String,
    /// `"2019-08-27+02:00"`: a date with an offset and no time.
    pub last_activation_date: String,
    /// Tariff code, e.g. `BTINFMUDT`.
    pub distribution_tariff: String,
    /// `"HC (22H00-6H00)"`, absent without off-peak hours.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offpeak_hours: Option<String>,
    /// Seen in some responses: `"Contrat GRD-F"`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contract_type: Option<String>,
    /// `SERVC` (in service), `RESIL`, ...
    pub contract_status: String,
    /// Date of the last tariff change.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_distribution_tariff_change_date: Option<String>,
}

impl Contract {
    /// The subscribed power in kVA (`"9 kVA"` → 9).
    pub fn subscribed_kva(&self) -> Result<u32, ProtocolError> {
        self.subscribed_power
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ProtocolError::Value {
                field: "subscribed_power",
                value: self.subscribed_power.clone(),
            })
    }

    /// The last activation date (the offset is dropped: it is a calendar day).
    pub fn activation_date(&self) -> Result<NaiveDate, ProtocolError> {
        self.last_activation_date
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .ok_or_else(|| ProtocolError::Value {
                field: "last_activation_date",
                value: self.last_activation_date.clone(),
            })
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// Locality, often null.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub locality: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// INSEE code of the town.
    pub insee_code: String,
    /// Town.
    pub city: String,
    /// Country.
    pub country: String,
}

/// The identity resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityResponse {
    /// Enedis' customer id.
    pub customer_id: String,
    /// Who the customer is.
    pub identity: Identity,
}

/// A natural person (households) or a legal entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// A person.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub natural_person: Option<NaturalPerson>,
}

/// A person's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaturalPerson {
    /// `M.`, `Mme`...
    pub title: String,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
}

/// The contact resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactResponse {
    /// Enedis' customer id.
    pub customer_id: String,
    /// How to reach the customer.
    pub contact_data: ContactData,
}

/// Phone and e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactData {
    /// Phone number.
    pub phone: String,
    /// E-mail address.
    pub email: String,
}
