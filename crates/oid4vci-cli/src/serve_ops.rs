//! Running `oid4vci serve` in production: metrics (`--metrics-listen`, or `/metrics` behind the
//! admin token), probes (`/healthz`, `/readyz`, on the main port and on the metrics listener),
//! the request log with a trace id and the session id (`--log-format json` for log shippers),
//! and a bounded graceful shutdown (`--shutdown-delay`, `--shutdown-grace`).

use clap::{Args, ValueEnum};
use oid4vci_axum::IssuerMetrics;
use oid4vci_issuer::{Event, EventObserver, IssuerSigner, SessionStore, Signing};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for log shippers), with the request's span fields.
    Json,
}

/// The operations flags of `oid4vci serve`.
#[derive(Clone, Debug, Args)]
pub struct OpsArgs {
    /// Serve Prometheus metrics at `GET /metrics`, and the probes `/healthz` and `/readyz`, on
    /// this separate address (e.g. 0.0.0.0:9090; no connection cap, not for the internet).
    /// Without it, `GET /metrics` is on the main port behind the admin token.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// On SIGTERM (or Ctrl-C), stop accepting connections, report not ready, and give requests
    /// in flight this many seconds to finish.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub shutdown_grace: u64,
    /// On SIGTERM, first keep serving this many seconds with `/readyz` answering 503, so a load
    /// balancer (a Kubernetes Service) stops sending new connections before the listener
    /// closes; then the grace period starts.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub shutdown_delay: u64,
    /// Export OpenTelemetry traces over OTLP/HTTP (JSON) to this collector (its base URL, e.g.
    /// http://otel-collector:4318; spans go to URL/v1/traces).
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
}

/// Installs the log subscriber: `RUST_LOG` filter (default `info`), through a bounded, lossy
/// queue to a writer thread (a reader that stops draining stderr drops lines instead of
/// stalling requests); with `tracer`, spans also go to OpenTelemetry. Keep the guard alive.
pub fn init_logging(
    format: LogFormat,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
) -> tracing_appender::non_blocking::WorkerGuard {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .with_writer(writer)
            .with_filter(filter)
            .boxed(),
    };
    // Spans are exported whatever the log filter says (request, store and signing spans are
    // at info level).
    let traces = tracer.map(|t| {
        tracing_opentelemetry::layer()
            .with_tracer(t)
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init();
    guard
}

/// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), when valid.
pub fn trace_id_of(traceparent: &str) -> Option<String> {
    let mut parts = traceparent.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0')
        && parent.bytes().any(|b| b != b'0')
        && (version != "00" || parts.next().is_none());
    valid.then(|| trace.to_owned())
}

fn new_trace_id() -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    hex::encode(bytes)
}

/// The request log: every request runs in a span carrying its trace id (the wallet's
/// `traceparent` continued, else a new one) and, once the issuer has found it, the session id;
/// one `request` line closes it with the route, status and duration.
pub async fn log_requests(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let trace_id = (request.headers().get("traceparent"))
        .and_then(|v| v.to_str().ok())
        .and_then(trace_id_of)
        .unwrap_or_else(new_trace_id);
    let method = request.method().clone();
    let route = (request.extensions().get::<axum::extract::MatchedPath>())
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().chars().take(200).collect());
    let span = tracing::info_span!(
        "request",
        trace_id = %trace_id,
        session_id = tracing::field::Empty,
        method = %method,
        route = %route,
    );
    // The OpenTelemetry span continues the wallet's trace (a no-op without an exporter).
    let _ = tracing_opentelemetry::OpenTelemetrySpanExt::set_parent(
        &span,
        crate::serve_traces::parent(request.headers(), &trace_id),
    );
    let started = Instant::now();
    async move {
        let response = next.run(request).await;
        let status = response.status().as_u16();
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(status, duration_ms = millis, "request");
        response
    }
    .instrument(span)
    .await
}

/// Waits for `signal` (SIGTERM or Ctrl-C), then shuts down: `/readyz` turns 503, the server
/// keeps serving for `--shutdown-delay`, stops accepting connections, and gives requests in
/// flight `--shutdown-grace` to finish.
pub async fn shut_down_on(
    signal: impl std::future::Future<Output = ()>,
    readiness: Arc<oid4vci_axum::Readiness>,
    handle: axum_server::Handle,
    ops: OpsArgs,
) {
    signal.await;
    readiness.drain();
    let (delay, grace) = (ops.shutdown_delay, ops.shutdown_grace);
    eprintln!("shutting down: not ready; new connections for {delay} s, then requests in flight get {grace} s");
    tokio::time::sleep(std::time::Duration::from_secs(delay)).await;
    handle.graceful_shutdown(Some(std::time::Duration::from_secs(grace)));
}

/// Several observers as one: the log and the metrics.
pub struct Observers(pub Vec<Arc<dyn EventObserver>>);

impl EventObserver for Observers {
    fn observe(&self, session_id: &str, event: &Event) {
        // The request's log line names the session it touched.
        tracing::Span::current().record("session_id", session_id);
        for observer in &self.0 {
            observer.observe(session_id, event);
        }
    }
}

/// A signer whose signatures are timed (`oid4vci_signing_duration_seconds{kid}`).
pub struct MeteredSigner {
    inner: Arc<dyn IssuerSigner>,
    kid: String,
    metrics: Arc<IssuerMetrics>,
}

impl MeteredSigner {
    /// `inner` (key `kid`), measured into `metrics`.
    pub fn wrap(
        inner: Arc<dyn IssuerSigner>,
        kid: &str,
        metrics: &Arc<IssuerMetrics>,
    ) -> Arc<dyn IssuerSigner> {
        Arc::new(MeteredSigner {
            inner,
            kid: kid.to_owned(),
            metrics: metrics.clone(),
        })
    }
}

impl IssuerSigner for MeteredSigner {
    fn public_key(&self) -> &oid4vci_proof::PublicKey {
        self.inner.public_key()
    }

    fn sign<'a>(&'a self, message: &'a [u8]) -> Signing<'a, Vec<u8>> {
        let span = tracing::info_span!("sign", kid = %self.kid);
        Box::pin(
            async move {
                let started = Instant::now();
                let signed = self.inner.sign(message).await;
                self.metrics.record_signing(&self.kid, started.elapsed());
                signed
            }
            .instrument(span),
        )
    }

    fn ready(&self) -> Signing<'_, ()> {
        self.inner.ready()
    }
}

/// Lets the metrics count the store's sessions by state when they are read.
pub fn count_sessions<S: SessionStore + Clone>(store: S, metrics: &IssuerMetrics) {
    metrics.count_sessions_with(Box::new(move || {
        let store = store.clone();
        Box::pin(async move {
            match store.count_by_state().await {
                Ok(counts) => counts,
                Err(e) => {
                    tracing::warn!(error = %e, "counting sessions by state failed");
                    None
                }
            }
        })
    }));
}

/// Serves `GET /metrics`, and the probes `/healthz` and `/readyz`, on `addr` until the process
/// ends. The probes answer here too because this port has no connection cap: a liveness probe
/// pointed at it still answers while wallets fill the main port's connections (a probe refused
/// there would have the orchestrator restart a busy but healthy process).
pub async fn spawn_metrics_listener(
    addr: SocketAddr,
    metrics: Arc<IssuerMetrics>,
    readiness: Arc<oid4vci_axum::Readiness>,
) -> Result<SocketAddr, String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let app = oid4vci_axum::metrics_router(metrics).merge(oid4vci_axum::probes_router(readiness));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(bound)
}

/// Logs every session event as it is stored.
pub struct LogEvents;

impl EventObserver for LogEvents {
    fn observe(&self, session_id: &str, event: &Event) {
        let kind = event.kind.name();
        let details = event.details.to_string();
        if kind.ends_with("rejected") || kind == "session_locked" {
            tracing::warn!(session = session_id, event = kind, details, "session event");
        } else {
            tracing::info!(session = session_id, event = kind, details, "session event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_gives_its_trace_id_only_when_valid() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            trace_id_of(tp).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(
            trace_id_of("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(
            trace_id_of("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(
            trace_id_of("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(trace_id_of("garbage"), None);
        assert_eq!(new_trace_id().len(), 32);
    }
}
