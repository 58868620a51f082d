//! Running `oid4vci serve` in production:
//!
//! - `/metrics` parsed with the `prometheus_client` package's parsers (the Prometheus text
//!   format, and OpenMetrics when asked for): the counters move after flows, a refused proof,
//!   replayed codes and nonces; on a separate listener and behind the admin token on the main
//!   port;
//! - `/healthz` and `/readyz`; `/readyz` turns 503 while PostgreSQL is down and 200 after;
//! - `--log-format json`: the request lines carry the wallet's `traceparent` trace id and the
//!   session id, and no secret;
//! - SIGTERM under load: the server stops within its grace period and no acknowledged flow is
//!   lost; a request in flight is answered while new connections are refused, a stalled one
//!   holds the exit only until the grace ends; with `--shutdown-delay` it first keeps serving
//!   with `/readyz` at 503;
//! - `--otlp-endpoint`: the wallet's `traceparent` and `tracestate` reach the spans an OTLP
//!   receiver started by the test gets.
//!
//! One test target, a file per topic.

#[path = "../support/mod.rs"]
mod support;

mod logs;
mod metrics;
mod probes;
mod shutdown;
mod traces;

/// The form of a pre-authorized code token request.
fn token_form(code: &str) -> String {
    format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
    )
}
