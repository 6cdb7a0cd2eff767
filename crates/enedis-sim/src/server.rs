//! Serving over TCP, with what a test of network failures needs: connections that can be reset
//! (RST, not a polite close) from inside a handler, and a graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tower::ServiceExt;

/// Put in every request's extensions: resets the connection the request came on.
#[derive(Debug, Clone)]
pub struct ConnectionReset(Arc<Notify>);

impl ConnectionReset {
    /// Resets the connection now: the client sees "connection reset by peer".
    pub fn trigger(&self) {
        self.0.notify_one();
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets running calls finish
/// (for up to 10 seconds).
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, peer)) => connection(stream, peer, router.clone(), &graceful),
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}

fn connection(stream: TcpStream, peer: SocketAddr, router: Router, graceful: &GracefulShutdown) {
    let _ = stream.set_nodelay(true);
    // Keep a second handle on the socket: after hyper's connection is dropped, it lets us set
    // SO_LINGER to zero so the close is a reset, not a FIN.
    let (stream, twin) = match stream.into_std().and_then(|s| Ok((s.try_clone()?, s))) {
        Ok((twin, s)) => match TcpStream::from_std(s) {
            Ok(s) => (s, twin),
            Err(e) => {
                tracing::warn!(%peer, error = %e, "cannot adopt connection");
                return;
            }
        },
        Err(e) => {
            tracing::warn!(%peer, error = %e, "cannot adopt connection");
            return;
        }
    };
    let reset = Arc::new(Notify::new());
    let handle = ConnectionReset(reset.clone());
    let service = router.map_request(move |mut request: axum::http::Request<Incoming>| {
        request.extensions_mut().insert(handle.clone());
        request
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    let conn = graceful.watch(conn);
    tokio::spawn(async move {
        tokio::select! {
            result = conn => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            }
            () = reset.notified() => {
                let _ = socket2::SockRef::from(&twin).set_linger(Some(Duration::ZERO));
            }
        }
        drop(twin);
    });
}
