//! Domoticz's connection handling (domoticz.md §8, "Connections"): its web server closes the
//! connection after each answer unless the request said `Connection: keep-alive`, and it does not
//! announce it (no `Connection: close` header). A client that reuses the idle connection then
//! fails with "connection closed before message completed".
//!
//! The double does the same: a request without `keep-alive` gets a response that hyper sends with
//! `Connection: close` (so hyper closes after writing it), and [`Unannounced`] removes that header
//! line from the bytes on the wire and waits a moment before closing, long enough for a client
//! that reuses the connection at once to send its next request into it.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::header::{HeaderValue, CONNECTION};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// How long a connection Domoticz is done with stays open, unread, before it closes.
const CLOSE_DELAY: Duration = Duration::from_millis(50);

/// The header line hyper writes when a response carries `Connection: close`.
const CLOSE_LINE: &[u8] = b"connection: close\r\n";

/// Middleware: a request that does not ask for `keep-alive` ends its connection.
pub async fn close_unless_keep_alive(request: Request, next: Next) -> Response {
    let keep_alive = request
        .headers()
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("keep-alive"))
        });
    let mut response = next.run(request).await;
    if !keep_alive {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A socket that drops the `Connection: close` line from what is written and closes late.
pub struct Unannounced<T> {
    inner: T,
    /// Bytes still to write after a rewritten head.
    pending: Vec<u8>,
    close_after: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> Unannounced<T> {
    /// Wraps a socket.
    pub fn new(inner: T) -> Unannounced<T> {
        Unannounced {
            inner,
            pending: Vec::new(),
            close_after: None,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<T: AsyncWrite + Unpin> Unannounced<T> {
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Unannounced<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Unannounced<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.drain(cx))?;
        match find(buf, CLOSE_LINE) {
            Some(at) => {
                self.pending.extend_from_slice(&buf[..at]);
                self.pending
                    .extend_from_slice(&buf[at + CLOSE_LINE.len()..]);
                // Written or not yet, the caller's bytes are taken: flush and shutdown drain them.
                let _ = self.drain(cx)?;
                Poll::Ready(Ok(buf.len()))
            }
            None => Pin::new(&mut self.inner).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        std::task::ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        let sleep = self
            .close_after
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(CLOSE_DELAY)));
        std::task::ready!(sleep.as_mut().poll(cx));
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Marks a request that came over TLS.
#[derive(Debug, Clone, Copy)]
pub struct Https;

/// Accepts connections until `stopped`, each served by hyper over [`Unannounced`], with TLS when
/// an acceptor is given.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stopped: oneshot::Receiver<()>,
) {
    let router = router.layer(axum::middleware::from_fn(close_unless_keep_alive));
    let router = Arc::new(router);
    // Stopping ends the open connections too, as a Domoticz that stops or restarts does.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => continue,
            },
            _ = &mut stopped => break,
        };
        let (tls, router) = (tls.clone(), router.clone());
        while connections.try_join_next().is_some() {}
        connections.spawn(async move {
            match tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        connection(Unannounced::new(stream), peer, true, &router).await;
                    }
                }
                None => connection(Unannounced::new(tcp), peer, false, &router).await,
            }
        });
    }
    connections.abort_all();
}

async fn connection<S>(io: S, peer: SocketAddr, https: bool, router: &Router)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    use tower::ServiceExt;
    let service =
        router
            .clone()
            .map_request(move |mut r: axum::http::Request<hyper::body::Incoming>| {
                r.extensions_mut().insert(ConnectInfo(peer));
                if https {
                    r.extensions_mut().insert(Https);
                }
                r
            });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(
            hyper_util::rt::TokioIo::new(io),
            hyper_util::service::TowerToHyperService::new(service),
        )
        .await;
}
