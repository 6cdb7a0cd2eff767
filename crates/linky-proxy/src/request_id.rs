//! A request id for every request: taken from `X-Request-Id` when a load balancer set a sane one,
//! else made here; every log line of the request carries it (a `request` span), the answer gives
//! it back, and the calls to Enedis made for the request send it along.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header, in and out.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request this task serves, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// An id from the caller is kept only if short and plain: a log line cannot be forged with it.
fn sane(given: &str) -> bool {
    (8..=64).contains(&given.len())
        && given
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An id made here: a random prefix drawn once per process, then a counter. Unique across
/// instances and restarts (the prefix), and no call to the system's generator per request (an
/// id is not a secret).
fn made_here() -> String {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| crate::secrets::random_hex()[..8].to_owned());
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}{n:08x}")
}

/// The middleware.
pub async fn tag(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_owned)
        .unwrap_or_else(made_here);
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(HEADER, value);
    }
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let mut response = CURRENT
        .scope(id.clone(), next.run(request).instrument(span))
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_kept() {
        assert!(sane("0123456789abcdef"));
        assert!(sane("lb-1a2b3c4d_5"));
        assert!(!sane("short"));
        assert!(!sane("evil\nlog line injected"));
        assert!(!sane(&"x".repeat(65)));
        let (a, b) = (made_here(), made_here());
        assert!(sane(&a) && sane(&b) && a != b, "{a} {b}");
        assert_eq!(a[..8], b[..8], "one prefix per process");
    }
}
