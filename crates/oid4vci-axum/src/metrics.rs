//! [`IssuerMetrics`]: Prometheus metrics of an issuer (`prometheus-client`), in the text
//! exposition format at `GET /metrics`.
//!
//! | metric | labels | what it counts |
//! |---|---|---|
//! | `oid4vci_http_requests_total` | `endpoint`, `method`, `status`, `error` | requests by route template (`unmatched` when no route took it), method (a standard one or `other`), status and OAuth `error` code (`""` on success) |
//! | `oid4vci_http_request_duration_seconds` | `endpoint` | latency histogram per route |
//! | `oid4vci_credentials_issued_total` | `configuration`, `format` | credentials issued (a batch counts each) |
//! | `oid4vci_proof_refusals_total` | `code` | refused key proofs by diagnostic code: which wallets fail, and why |
//! | `oid4vci_replays_total` | `kind` | replayed `c_nonce`s, DPoP proofs, codes, refresh tokens, attestations |
//! | `oid4vci_session_events_total` | `type` | every stored session event |
//! | `oid4vci_sessions` | `state` | sessions in the store by state (counted when read, at most every 15 s) |
//! | `oid4vci_store_operation_duration_seconds` | `operation` | store latency |
//! | `oid4vci_store_errors_total` | `operation`, `kind` | store failures (`unavailable`, `conflict`, …) |
//! | `oid4vci_signing_duration_seconds` | `kid` | signing latency per issuer key (HSM or in process) |
//!
//! Labels are bounded: route templates (never raw paths), status codes, error and diagnostic
//! codes, configuration ids, key ids. No session id, token or nonce is ever a label.

use oid4vci_issuer::{Event, EventKind, EventObserver};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The OAuth `error` code of an error response, attached by the adapter to the response's
/// extensions (never sent): what the request metrics label refusals with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError(pub String);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: String,
    method: String,
    status: u16,
    error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IssuedLabels {
    configuration: String,
    format: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabels {
    r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreErrorLabels {
    operation: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KidLabels {
    kid: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Counts the stored sessions by state (`None`: the store cannot tell).
pub type SessionCounter = Box<
    dyn Fn() -> Pin<Box<dyn Future<Output = Option<BTreeMap<String, u64>>> + Send>> + Send + Sync,
>;

/// How often at most the sessions are counted (a count may scan the whole store).
pub const SESSION_COUNT_INTERVAL: Duration = Duration::from_secs(15);

fn latency_histogram() -> Histogram {
    // 0.25 ms … about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The issuer's metrics and their registry.
pub struct IssuerMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms<EndpointLabels>,
    issued: Family<IssuedLabels, Counter>,
    proof_refusals: Family<CodeLabels, Counter>,
    replays: Family<KindLabels, Counter>,
    events: Family<TypeLabels, Counter>,
    sessions: Family<StateLabels, Gauge>,
    store_latency: Histograms<OperationLabels>,
    store_errors: Family<StoreErrorLabels, Counter>,
    signing_latency: Histograms<KidLabels>,
    formats: BTreeMap<String, String>,
    session_counter: OnceLock<SessionCounter>,
    last_count: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for IssuerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerMetrics").finish_non_exhaustive()
    }
}

impl IssuerMetrics {
    /// The metrics, registered. `formats` maps configuration ids to their format (the `format`
    /// label of issued credentials).
    pub fn new(formats: BTreeMap<String, String>) -> Arc<Self> {
        let mut registry = Registry::default();
        let requests = Family::default();
        registry.register(
            "oid4vci_http_requests",
            "HTTP requests by route, status and OAuth error code",
            requests.clone(),
        );
        let latency: Histograms<EndpointLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "oid4vci_http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        let issued = Family::default();
        registry.register(
            "oid4vci_credentials_issued",
            "Credentials issued, by configuration and format",
            issued.clone(),
        );
        let proof_refusals = Family::default();
        registry.register(
            "oid4vci_proof_refusals",
            "Refused key proofs by diagnostic code",
            proof_refusals.clone(),
        );
        let replays = Family::default();
        registry.register(
            "oid4vci_replays",
            "Replayed single-use values: c_nonce, DPoP proof, pre-authorized or authorization code, refresh token, wallet attestation",
            replays.clone(),
        );
        let events = Family::default();
        registry.register(
            "oid4vci_session_events",
            "Stored session events by type",
            events.clone(),
        );
        let sessions = Family::default();
        registry.register(
            "oid4vci_sessions",
            "Sessions in the store by state",
            sessions.clone(),
        );
        let store_latency: Histograms<OperationLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "oid4vci_store_operation_duration_seconds",
            "Session store latency by operation",
            store_latency.clone(),
        );
        let store_errors = Family::default();
        registry.register(
            "oid4vci_store_errors",
            "Session store failures by operation and kind",
            store_errors.clone(),
        );
        let signing_latency: Histograms<KidLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "oid4vci_signing_duration_seconds",
            "Signing latency by issuer key",
            signing_latency.clone(),
        );
        Arc::new(IssuerMetrics {
            registry,
            requests,
            latency,
            issued,
            proof_refusals,
            replays,
            events,
            sessions,
            store_latency,
            store_errors,
            signing_latency,
            formats,
            session_counter: OnceLock::new(),
            last_count: Mutex::new(None),
        })
    }

    /// Counts sessions by state with `counter` when the metrics are read, at most every
    /// [`SESSION_COUNT_INTERVAL`] (the `oid4vci_sessions` gauge). Set once.
    pub fn count_sessions_with(&self, counter: SessionCounter) {
        let _ = self.session_counter.set(counter);
    }

    /// Refreshes the gauges that are sampled (sessions by state), when due.
    pub async fn refresh(&self) {
        let Some(counter) = self.session_counter.get() else {
            return;
        };
        let due = match self.last_count.lock() {
            Ok(mut last) => {
                let due = last.is_none_or(|t| t.elapsed() >= SESSION_COUNT_INTERVAL);
                if due {
                    *last = Some(Instant::now());
                }
                due
            }
            Err(_) => false,
        };
        if due {
            if let Ok(Some(counts)) = tokio::time::timeout(Duration::from_secs(5), counter()).await
            {
                self.set_sessions(&counts);
            }
        }
    }

    /// The metrics in the OpenMetrics text format (what Prometheus asks for).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The metrics in the Prometheus text format version 0.0.4 (for scrapers that do not ask
    /// for OpenMetrics: its counters are typed under their `_total` name).
    pub fn encode_prometheus_text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }

    /// Records one HTTP request. A method other than the nine standard ones is labelled
    /// `other` (a client choosing extension methods cannot grow the label set).
    pub fn record_request(
        &self,
        endpoint: &str,
        method: &str,
        status: u16,
        error: &str,
        took: Duration,
    ) {
        let labels = RequestLabels {
            endpoint: endpoint.to_owned(),
            method: method_label(method).to_owned(),
            status,
            error: error.to_owned(),
        };
        self.requests.get_or_create(&labels).inc();
        let endpoint = EndpointLabels {
            endpoint: endpoint.to_owned(),
        };
        self.latency
            .get_or_create(&endpoint)
            .observe(took.as_secs_f64());
    }

    /// Records one store operation: its latency, and its failure kind when it failed.
    pub fn record_store(&self, operation: &str, took: Duration, failure: Option<&str>) {
        let labels = OperationLabels {
            operation: operation.to_owned(),
        };
        self.store_latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        if let Some(kind) = failure {
            let labels = StoreErrorLabels {
                operation: operation.to_owned(),
                kind: kind.to_owned(),
            };
            self.store_errors.get_or_create(&labels).inc();
        }
    }

    /// Records one signature by key `kid`.
    pub fn record_signing(&self, kid: &str, took: Duration) {
        let labels = KidLabels {
            kid: kid.to_owned(),
        };
        self.signing_latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// Sets the number of sessions per state (states not named drop to 0).
    pub fn set_sessions(&self, counts: &BTreeMap<String, u64>) {
        self.sessions.clear();
        for (state, count) in counts {
            let labels = StateLabels {
                state: state.clone(),
            };
            let value = i64::try_from(*count).unwrap_or(i64::MAX);
            self.sessions.get_or_create(&labels).set(value);
        }
    }
}

/// The replay a refusal cause stands for, if any.
fn replay_kind(cause: &str) -> Option<&'static str> {
    Some(match cause {
        "proof_nonce_replayed" => "c_nonce",
        "dpop_proof_replayed" => "dpop_proof",
        "pre_authorized_code_used" => "pre_authorized_code",
        "authorization_code_reused" => "authorization_code",
        "refresh_token_reused" => "refresh_token",
        "wallet_attestation_replayed" => "wallet_attestation",
        _ => return None,
    })
}

impl EventObserver for IssuerMetrics {
    fn observe(&self, _session_id: &str, event: &Event) {
        let kind = event.kind.name();
        self.events
            .get_or_create(&TypeLabels { r#type: kind })
            .inc();
        let detail = |name: &str| event.details.get(name).and_then(|v| v.as_str());
        match event.kind {
            EventKind::CredentialIssued | EventKind::DeferredCredentialIssued => {
                let configuration = detail("credential_configuration_id").unwrap_or_default();
                let count = (event.details.get("count"))
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(1);
                let labels = IssuedLabels {
                    configuration: configuration.to_owned(),
                    format: self.formats.get(configuration).cloned().unwrap_or_default(),
                };
                self.issued.get_or_create(&labels).inc_by(count);
            }
            EventKind::ProofRejected => {
                let code = detail("code").or(detail("cause")).unwrap_or_default();
                let labels = CodeLabels {
                    code: code.to_owned(),
                };
                self.proof_refusals.get_or_create(&labels).inc();
            }
            _ => {}
        }
        // Every refusal is logged once, with its cause (a detected code or refresh-token reuse
        // logs its own event as well, which is not counted again).
        if let Some(replay) = detail("cause").and_then(replay_kind) {
            let labels = KindLabels {
                kind: replay.into(),
            };
            self.replays.get_or_create(&labels).inc();
        }
    }
}

/// The `method` label of `method`: one of the nine standard methods, else `other` (hyper
/// accepts any token as an extension method; each would otherwise be a new label set, kept for
/// the life of the process).
pub(crate) fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "PATCH" => "PATCH",
        _ => "other",
    }
}
