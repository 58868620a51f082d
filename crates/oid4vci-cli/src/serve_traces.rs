//! OpenTelemetry traces for `oid4vci serve --otlp-endpoint URL`: every request is a span (its
//! store calls and signatures are child spans), continuing the wallet's W3C `traceparent` /
//! `tracestate`, exported over OTLP/HTTP (JSON) to `URL/v1/traces`. The `tracing` spans become
//! OpenTelemetry spans through `tracing-opentelemetry`.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;

/// The exporter's provider: keep it, and call [`shutdown`] before the process exits (it sends
/// what is still buffered).
pub type Provider = SdkTracerProvider;

/// A provider exporting to `endpoint` (the collector's OTLP/HTTP base URL, e.g.
/// `http://otel-collector:4318`), and its tracer.
pub fn provider(endpoint: &str) -> Result<(Provider, opentelemetry_sdk::trace::Tracer), String> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(url)
        .build()
        .map_err(|e| format!("--otlp-endpoint {endpoint}: {e}"))?;
    let resource = Resource::builder()
        .with_service_name("oid4vci-issuer")
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("oid4vci");
    Ok((provider, tracer))
}

/// Sends what is buffered and stops the exporter.
pub fn shutdown(provider: &Provider) {
    if let Err(e) = provider.shutdown() {
        eprintln!("warning: exporting the last traces failed: {e}");
    }
}

struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The parent of a request's span: the wallet's `traceparent` (with its `tracestate`) when it
/// sent a valid one, else a new trace with id `trace_id` (so logs and traces share it).
pub fn parent(headers: &axum::http::HeaderMap, trace_id: &str) -> Context {
    let extracted = TraceContextPropagator::new().extract(&Headers(headers));
    if extracted.span().span_context().is_valid() {
        return extracted;
    }
    let trace = TraceId::from_hex(trace_id).unwrap_or(TraceId::INVALID);
    let mut span = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut span);
    let context = SpanContext::new(
        trace,
        SpanId::from_bytes(span),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(context)
}
