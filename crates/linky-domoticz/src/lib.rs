//! linky-domoticz: what linky writes into Domoticz and how.
//!
//! [`rows`] turns hourly energy into the P1 device's short-log rows (cumulative Wh per local
//! hour) and long-log rows (day totals), as plain data: no network, no disk. The rules and the
//! intended differences from the original plugin are documented there.

pub mod client;
pub mod cost;
pub mod dashboard;
pub mod migration;
pub mod push;
pub mod rows;
