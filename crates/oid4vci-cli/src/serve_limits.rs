//! Connection and request limits of `oid4vci serve`: what keeps a few hundred half-open sockets
//! from holding the issuer hostage.
//!
//! - **header read timeout**: a request's head (request line and headers) must arrive within it;
//!   it also bounds how long a kept-alive connection may wait for its next request (hyper's
//!   `header_read_timeout`, which starts whenever a new request head is awaited). TLS handshakes
//!   get the same bound.
//! - **idle timeout**: a connection on which no byte moves in either direction for this long is
//!   closed (a stalled body upload, a client that stops reading its response).
//! - **request timeout**: a request whose handler has not answered within it gets a 503
//!   `temporarily_unavailable` JSON error with `Retry-After`.
//! - **max connections**: connections beyond it are closed as soon as they are accepted.
//!
//! Embedders who serve [`oid4vci_axum::router`] with their own server should set the same four
//! limits there (hyper's `http1().header_read_timeout` with a timer, an I/O idle timeout, a
//! request timeout layer and a connection cap).

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_server::accept::Accept;
use clap::Args;
use serde::Deserialize;
use std::future::{ready, Future};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Command-line flags (each overrides the `[limits]` table of `--config`).
#[derive(Debug, Default, Args)]
pub struct LimitArgs {
    /// Seconds a client has to send a request's headers (also the keep-alive wait) [default: 10].
    #[arg(long, value_name = "SECS")]
    header_read_timeout: Option<u64>,
    /// Seconds without any I/O after which a connection is closed [default: 60].
    #[arg(long, value_name = "SECS")]
    idle_timeout: Option<u64>,
    /// Seconds a request may take before it is answered with 503 [default: 30].
    #[arg(long, value_name = "SECS")]
    request_timeout: Option<u64>,
    /// Open connections accepted at once; more are closed on accept [default: 1024].
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
}

/// The `[limits]` table of the `--config` file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// See [`LimitArgs`].
    pub header_read_timeout: Option<u64>,
    /// See [`LimitArgs`].
    pub idle_timeout: Option<u64>,
    /// See [`LimitArgs`].
    pub request_timeout: Option<u64>,
    /// See [`LimitArgs`].
    pub max_connections: Option<usize>,
}

/// The limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to send a request head (and to start the next one on a kept-alive connection).
    pub header_read_timeout: Duration,
    /// Time without I/O before a connection is closed.
    pub idle_timeout: Duration,
    /// Time to answer a request.
    pub request_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

impl ConnectionLimits {
    /// Flags win over the file, the file over the defaults. Zero values are refused.
    pub fn resolve(args: &LimitArgs, file: Option<&LimitsConfig>) -> Result<Self, String> {
        let file = file.cloned().unwrap_or_default();
        let d = ConnectionLimits::default();
        let secs = |flag: Option<u64>, conf: Option<u64>, default: Duration, name: &str| match flag
            .or(conf)
        {
            Some(0) => Err(format!("{name} must be at least 1 second")),
            Some(s) => Ok(Duration::from_secs(s)),
            None => Ok(default),
        };
        let max_connections = args
            .max_connections
            .or(file.max_connections)
            .unwrap_or(d.max_connections);
        if max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        Ok(ConnectionLimits {
            header_read_timeout: secs(
                args.header_read_timeout,
                file.header_read_timeout,
                d.header_read_timeout,
                "header_read_timeout",
            )?,
            idle_timeout: secs(
                args.idle_timeout,
                file.idle_timeout,
                d.idle_timeout,
                "idle_timeout",
            )?,
            request_timeout: secs(
                args.request_timeout,
                file.request_timeout,
                d.request_timeout,
                "request_timeout",
            )?,
            max_connections,
        })
    }

    /// The acceptor that enforces the connection cap and the idle timeouts around `inner`
    /// (the plain [`DefaultAcceptor`](axum_server::accept::DefaultAcceptor) or a TLS acceptor,
    /// whose handshake then counts against the cap too).
    pub fn acceptor<A>(&self, inner: A) -> LimitedAcceptor<A> {
        LimitedAcceptor {
            inner,
            permits: Arc::new(Semaphore::new(self.max_connections)),
            first_byte: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
        }
    }

    /// Applies the header read timeout to a server's HTTP/1 settings.
    pub fn configure<A>(&self, server: &mut axum_server::Server<A>) {
        server
            .http_builder()
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
    }

    /// Middleware answering 503 when a request takes longer than the request timeout.
    pub async fn time_limit(self, request: Request, next: Next) -> Response {
        match tokio::time::timeout(self.request_timeout, next.run(request)).await {
            Ok(response) => response,
            Err(_) => {
                let body = serde_json::json!({
                    "error": "temporarily_unavailable",
                    "error_description": format!(
                        "the request was not answered within {} s; retry",
                        self.request_timeout.as_secs()
                    ),
                });
                let mut response =
                    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
        }
    }
}

/// Accepts a connection only while fewer than `max_connections` are open, and wraps what the
/// inner acceptor makes of it in an [`IdleTimeout`].
#[derive(Clone, Debug)]
pub struct LimitedAcceptor<A> {
    inner: A,
    permits: Arc<Semaphore>,
    first_byte: Duration,
    idle_timeout: Duration,
}

type AcceptFuture<T, S> = Pin<Box<dyn Future<Output = io::Result<(T, S)>> + Send>>;

impl<A, S> Accept<TcpStream, S> for LimitedAcceptor<A>
where
    A: Accept<TcpStream, S>,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = IdleTimeout<A::Stream>;
    type Service = A::Service;
    type Future = AcceptFuture<Self::Stream, Self::Service>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            tracing::warn!("connection limit reached; closing a new connection");
            // Dropping the stream closes it.
            return Box::pin(ready(Err(io::Error::other("connection limit reached"))));
        };
        let _ = stream.set_nodelay(true);
        let accepted = self.inner.accept(stream, service);
        let (first_byte, idle) = (self.first_byte, self.idle_timeout);
        Box::pin(async move {
            let (stream, service) = accepted.await?;
            Ok((IdleTimeout::new(stream, permit, first_byte, idle), service))
        })
    }
}

/// A stream that fails with `TimedOut` when its first byte has not arrived within `first_byte`
/// (hyper's header read timeout starts only after the HTTP version has been read), or once no
/// byte has moved for `idle`; it releases its connection permit when dropped.
#[derive(Debug)]
pub struct IdleTimeout<T> {
    inner: T,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl<T> IdleTimeout<T> {
    fn new(inner: T, permit: OwnedSemaphorePermit, first_byte: Duration, idle: Duration) -> Self {
        IdleTimeout {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(first_byte.min(idle))),
            _permit: permit,
        }
    }

    /// Pushes the deadline back after progress.
    fn progressed(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    /// Maps a pending poll to `TimedOut` once the deadline has passed.
    fn pending_or_timed_out<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle for too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.pending_or_timed_out(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(result) => {
                if matches!(result, Ok(n) if n > 0) {
                    this.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.pending_or_timed_out(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.pending_or_timed_out(cx),
            ready => ready,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_zero_is_refused() {
        let file = LimitsConfig {
            header_read_timeout: Some(5),
            max_connections: Some(10),
            ..LimitsConfig::default()
        };
        let args = LimitArgs {
            header_read_timeout: Some(2),
            ..LimitArgs::default()
        };
        let limits = ConnectionLimits::resolve(&args, Some(&file)).expect("valid");
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(limits.max_connections, 10);
        assert_eq!(limits.idle_timeout, Duration::from_secs(60));
        let zero = LimitArgs {
            request_timeout: Some(0),
            ..LimitArgs::default()
        };
        assert!(ConnectionLimits::resolve(&zero, None).is_err());
    }
}
