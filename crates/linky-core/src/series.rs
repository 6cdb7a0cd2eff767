//! What a sync asks Enedis for and gets back, as plain data: the three kinds of daily data,
//! a fetched window's data, the contract's facts. The store keeps them, the HTTP source
//! produces them, the sync moves them between the two.

use chrono::NaiveDate;

use crate::{DailyEnergy, Direction, LoadCurvePoint, MaxPower};

/// The three kinds of data Enedis gives per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The load curve.
    Curve,
    /// Daily energy.
    Daily,
    /// Daily maximum power (consumption only).
    MaxPower,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::Curve, Kind::Daily, Kind::MaxPower];

    /// The kinds Enedis publishes for a direction (no peak power for production).
    pub fn of(direction: Direction) -> &'static [Kind] {
        match direction {
            Direction::Consumption => &[Kind::Daily, Kind::MaxPower, Kind::Curve],
            Direction::Production => &[Kind::Daily, Kind::Curve],
        }
    }

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Curve => "curve",
            Kind::Daily => "daily",
            Kind::MaxPower => "max_power",
        }
    }

    /// The kind of this stored name.
    pub fn named(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The data of a fetched window.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowData {
    /// Load-curve points.
    Curve(Vec<LoadCurvePoint>),
    /// Daily energies.
    Daily(Vec<DailyEnergy>),
    /// Daily peaks.
    Peaks(Vec<MaxPower>),
    /// Nothing (a failure or an absence).
    Nothing,
}

/// One part of a meter's contract. On the 2026 API each is a call of its own, so a sync reads
/// one part at a time, in the order of [`ContractPart::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContractPart {
    /// The off-peak hours (`comptage`).
    OffPeak,
    /// The activation date (`synth_contrat`).
    Activation,
    /// The subscribed power (`situation_contrat`).
    Power,
}

impl ContractPart {
    /// Every part, in the order a new meter's are read: the activation date first (it bounds
    /// the history and tells which directions the meter measures, so no call probes a
    /// direction it lacks), then the off-peak hours (a split made before them is made again
    /// from the stored points once they come), then the subscribed power.
    pub const ALL: [ContractPart; 3] = [
        ContractPart::Activation,
        ContractPart::OffPeak,
        ContractPart::Power,
    ];
}

/// What one contract read brought: the facts, and the parts it covered (a part read and found
/// empty counts; the v5 customers API gives every part in one call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractRead {
    /// The facts found.
    pub facts: ContractFacts,
    /// The parts read.
    pub parts: Vec<ContractPart>,
}

impl ContractRead {
    /// Every part read at once, as the v5 customers API gives them.
    pub fn whole(facts: ContractFacts) -> ContractRead {
        ContractRead {
            facts,
            parts: ContractPart::ALL.to_vec(),
        }
    }
}

/// Contract facts read from Enedis.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractFacts {
    /// Last activation.
    pub activation_date: Option<NaiveDate>,
    /// Subscribed power, kVA.
    pub subscribed_kva: Option<u32>,
    /// Off-peak hours, Enedis form.
    pub offpeak: Option<String>,
    /// The directions the meter measures, when the contract says (the 2026 synthesis gives an
    /// activation date per direction).
    pub directions: Option<Vec<Direction>>,
}
