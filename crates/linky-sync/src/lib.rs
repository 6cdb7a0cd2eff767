//! linky's sync: asks Enedis only for what is missing, in the right order, and stays correct
//! when Enedis misbehaves.
//!
//! - [`plan`]: pure planning over the store's ledger (spans, windows, order).
//! - [`source`]: the [`MeterSource`] trait the runner calls, and [`FetchError`].
//! - [`run`]: the [`Runner`], which maps every Enedis answer to an action.
//! - [`daemon`]: when to sync (daily window, late data, retries, nights) and the loop.

pub mod daemon;
pub mod plan;
pub mod run;
pub mod source;

pub use plan::{SyncSettings, Window};
pub use run::{Progress, Quiet, RunSettings, Runner, SeriesSummary, Stop, SyncReport};
pub use source::{FetchError, MeterSource};
