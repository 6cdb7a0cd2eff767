//! linky's way to Enedis.
//!
//! - [`colours`]: Tempo and EJP day colours from EDF's public calendar or RTE's API.
//! - [`tokens`]: the token file (owner-only, written atomically), one family per consent visit.
//! - [`login`]: the device flow against linky-proxy or the original proxy.
//! - [`profiles`]: consent proxies known by name (`--proxy domoticzlinky`).
//! - [`source`]: [`EnedisSource`], the sync's `MeterSource` over HTTP, through a proxy or
//!   directly with the user's own Enedis contract, in the 2026 generation or v5.

pub mod colours;
pub mod login;
pub mod profiles;
pub mod source;
pub mod tokens;

pub use source::{Access, EnedisSource, Generation};

pub use enedis_client::{install_tls_provider, MAX_ANSWER_BYTES};

/// An HTTP client with linky's user agent and timeouts (10 s to connect, 60 s in all).
pub fn http_client() -> Result<reqwest::Client, String> {
    http_client_with(std::time::Duration::from_secs(60))
}

/// An HTTP client with linky's user agent that gives up on a request after `total`.
pub fn http_client_with(total: std::time::Duration) -> Result<reqwest::Client, String> {
    enedis_client::http_client(concat!("linky/", env!("CARGO_PKG_VERSION")), total)
        .map_err(|e| e.to_string())
}

/// A response's body as text, refused beyond [`MAX_ANSWER_BYTES`] (a misbehaving peer cannot
/// fill the memory of a Raspberry Pi).
pub(crate) async fn bounded_text(response: reqwest::Response) -> Result<String, String> {
    let body = enedis_client::bounded_body(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}
