//! Daily readings as Enedis publishes them.

use chrono::{NaiveDate, NaiveDateTime};

use crate::Energy;

/// The energy of one Paris calendar day, as the daily endpoints report it (no peak / off-peak
/// split: that needs the load curve).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyEnergy {
    /// The day.
    pub date: NaiveDate,
    /// Its energy.
    pub energy: Energy,
}

/// The highest power drawn during one Paris calendar day, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPower {
    /// The day.
    pub date: NaiveDate,
    /// When the peak happened, Paris wall-clock time (Enedis gives no offset; on the autumn day
    /// a peak between 02:00 and 03:00 cannot be placed more precisely).
    pub at: NaiveDateTime,
    /// The peak apparent power, in VA.
    pub volt_amperes: u32,
}
