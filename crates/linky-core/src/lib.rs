//! The pure domain of linky.
//!
//! Everything here is plain functions over plain data: no network, no disk, no environment.
//! Time enters only through the [`Clock`] trait, so every caller (and every test) decides what
//! "now" is.
//!
//! The pieces:
//! - [`UsagePoint`]: a meter's 14-digit identifier (PDL/PRM), and [`Direction`].
//! - [`paris`]: Europe/Paris wall-clock handling, including the Enedis end-of-interval stamps and
//!   the daylight-saving days (23 and 25 hours).
//! - [`LoadCurve`]: average-power points at their native step, stored as UTC instants.
//! - [`aggregate`]: energy per local hour, day, ISO week, month and year, split peak / off-peak.
//! - [`history`]: a meter's energy history (hours and days split by tariff, days known only by
//!   their total, peaks): the one model the Domoticz push, the dashboard and the exports read.
//! - [`periods`]: the original's dashboard periods (yesterday, weeks, months, year) and bounds.
//! - [`series`]: the kinds of Enedis data, a fetched window's data, a contract's facts.
//! - [`offpeak`]: the off-peak ("heures creuses") schedule language and its evaluation.
//! - [`tariff`]: dated prices (Base, peak / off-peak, Tempo, EJP), day colours, the cost of a
//!   history and the comparison of options; the regulated tariffs as presets.
//! - [`holidays`]: French public holidays (Métropole, optionally Alsace-Moselle).
//! - [`Lang`] and [`Localized`]: every user-facing error speaks French and English.

pub mod aggregate;
mod clock;
pub mod consent;
mod energy;
pub mod history;
pub mod holidays;
mod lang;
mod load_curve;
pub mod offpeak;
pub mod paris;
pub mod periods;
mod readings;
mod secret;
pub mod series;
pub mod tariff;
mod usage_point;

pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
pub use energy::Energy;
pub use lang::{Lang, Localized};
pub use load_curve::{LoadCurve, LoadCurveError, LoadCurvePoint, Step, StepError};
pub use readings::{DailyEnergy, MaxPower};
pub use secret::Secret;
pub use usage_point::{Direction, UsagePoint, UsagePointError};
