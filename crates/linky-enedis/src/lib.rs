//! linky's way to Enedis.
//!
//! - [`tokens`]: the token file (owner-only, written atomically), one family per consent visit.
//! - [`login`]: the device flow against linky-proxy or the original proxy.
//! - [`profiles`]: consent proxies known by name (`--proxy domoticzlinky`).
//! - [`source`]: [`EnedisSource`], the sync's `MeterSource` over HTTP, through a proxy or
//!   directly with the user's own Enedis contract, in the 2026 generation or v5.

pub mod login;
pub mod profiles;
pub mod source;
pub mod tokens;

pub use source::{Access, EnedisSource, Generation};

/// Makes ring the process's TLS provider (reqwest is built without one); harmless if one is
/// already installed.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client with linky's user agent and timeouts (10 s to connect, 60 s in all).
pub fn http_client() -> Result<reqwest::Client, String> {
    http_client_with(std::time::Duration::from_secs(60))
}

/// An HTTP client with linky's user agent that gives up on a request after `total`.
pub fn http_client_with(total: std::time::Duration) -> Result<reqwest::Client, String> {
    install_tls_provider();
    reqwest::Client::builder()
        .user_agent(concat!("linky/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(total.min(std::time::Duration::from_secs(10)))
        .timeout(total)
        .build()
        .map_err(|e| e.to_string())
}
