//! linky's local dashboard over the embedded store: a page that works without internet (every
//! asset is compiled into the binary), the JSON API behind it (`/api/...`), Prometheus metrics
//! (`/metrics`) and the CSV/JSON exports of `linky export`.
//!
//! The views ([`view`], [`costs`], [`export`], [`metrics`]) are plain functions over plain data; [`data`]
//! reads the store for them and [`server`] puts them on HTTP.

pub mod costs;
pub mod data;
pub mod export;
pub mod metrics;
pub mod server;
pub mod view;

pub use server::{bind, check_listen, router, serve, Access, WebConfig, WebError};
