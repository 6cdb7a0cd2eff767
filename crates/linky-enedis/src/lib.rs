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

/// The largest answer read from Enedis, a proxy or the Conso API: a 7-day load curve at 5-minute
/// steps is about 150 kB and three years of daily totals about 100 kB, so anything near this
/// is not a meter's answer.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// A response's body as text, refused beyond `limit` bytes (a misbehaving peer cannot fill the
/// memory of a Raspberry Pi).
pub async fn bounded_text(mut response: reqwest::Response, limit: usize) -> Result<String, String> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(format!(
            "the answer is larger than {} MB",
            limit / (1024 * 1024)
        ));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > limit {
            return Err(format!(
                "the answer is larger than {} MB",
                limit / (1024 * 1024)
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A peer that answers `body_len` bytes of `x`, announcing the length or not.
    async fn peer(body_len: usize, announce: bool) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            let head = if announce {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {body_len}\r\nconnection: close\r\n\r\n"
                )
            } else {
                "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_owned()
            };
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&vec![b'x'; body_len]).await;
        });
        format!("http://{address}/")
    }

    #[tokio::test]
    async fn answers_beyond_the_limit_are_refused() {
        let http = http_client().unwrap();
        for announce in [true, false] {
            let small = http.get(peer(1000, announce).await).send().await.unwrap();
            assert_eq!(bounded_text(small, 2000).await.unwrap().len(), 1000);
            let large = http.get(peer(5000, announce).await).send().await.unwrap();
            let refused = bounded_text(large, 2000).await.unwrap_err();
            assert!(refused.contains("larger than"), "{refused}");
        }
    }
}
