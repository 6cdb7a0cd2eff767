//! linky's sync: asks Enedis only for what is missing, in the right order, and stays correct
//! when Enedis misbehaves.
//!
//! - [`plan`]: pure planning over the store's ledger (spans, windows, order).
//! - [`source`]: the [`MeterSource`] trait the runner calls, and [`FetchError`].
//! - [`decide`]: the pure decision table from an Enedis refusal to an [`decide::Action`].
//! - [`run`]: the [`Runner`], which fetches, waits and retries, and carries the actions out.
//! - [`daemon`]: when to sync (daily window, late data, retries, nights) and the loop.

pub mod daemon;
pub mod decide;
pub mod plan;
pub mod run;
pub mod source;

pub use plan::{SyncSettings, Window};
pub use run::{Progress, Quiet, RunSettings, Runner, SeriesSummary, Stop, SyncReport};
pub use source::{FetchError, MeterSource};
