//! A session's page: where it stands, the credentials it issued (with their status-list entries
//! and revoke buttons), the event timeline with every refused proof's diagnostic and decoded
//! proof, deferred claims submission, and the raw JSON. The live part is re-sent over SSE.

use super::pages::{csrf, layout, pretty, time};
use super::sign_ins::SignedIn;
use super::state::ConsoleConfig;
use maud::{html, Markup};
use oid4vci_issuer::{Event, EventKind, SessionState, SessionSummary};
use serde_json::Value;

/// The whole page.
pub(crate) fn page(
    summary: &SessionSummary,
    notice: Option<&str>,
    signed_in: &SignedIn,
    config: &ConsoleConfig,
) -> String {
    let id = &summary.session_id;
    let waiting: Vec<&String> = summary
        .credential_configuration_ids
        .iter()
        .filter(|c| !summary.claims_present.contains(c))
        .collect();
    let body = html! {
        h1 { "Session " code { (id) } }
        @if let Some(notice) = notice { p class="notice" role="status" id="notice" { (notice) } }
        div id="session-live" data-live={ "/console/live/sessions/" (id) } { (live_part(summary, signed_in)) }
        @if !waiting.is_empty() && !matches!(summary.state, SessionState::Revoked | SessionState::Locked | SessionState::AuthorizationDenied) {
            section aria-labelledby="claims-heading" {
                h2 id="claims-heading" { "Submit claims (deferred issuance)" }
                form method="post" action={ "/console/sessions/" (id) "/claims" } {
                    (csrf(signed_in))
                    label for="claims-configuration" { "Configuration" }
                    select id="claims-configuration" name="credential_configuration_id" {
                        @for c in &waiting { option value=(c) { (c) } }
                    }
                    label for="claims-json" { "Claims (JSON object)" }
                    textarea id="claims-json" name="claims" rows="6" spellcheck="false" required {}
                    button type="submit" class="primary" { "Submit claims" }
                }
            }
        }
    };
    layout(&format!("Session {id}"), Some(signed_in), config, body)
}

/// The part of the page that updates live.
pub(crate) fn live_part(summary: &SessionSummary, signed_in: &SignedIn) -> Markup {
    let id = &summary.session_id;
    html! {
        dl class="summary" {
            dt { "State" } dd { span id="session-state" class={ "state state-" (summary.state.as_str()) } { (summary.state.as_str()) } }
            dt { "Configurations" } dd { (summary.credential_configuration_ids.join(", ")) }
            dt { "Created" } dd { (time(summary.created_at)) }
            dt { "Offer expires" } dd { (time(summary.offer_expires_at)) }
            dt { "Session expires" } dd { (time(summary.expires_at)) }
            @if let Some(subject) = &summary.subject_id { dt { "Subject" } dd { (subject) } }
        }
        section aria-labelledby="credentials-heading" {
            h2 id="credentials-heading" { "Credentials issued" }
            @if summary.credentials.is_empty() {
                p class="note" { "None with a status-list entry yet." }
            } @else {
                table class="credentials" {
                    thead { tr { th { "Status list" } th { "Index" } th { "Status" } th {} } }
                    tbody {
                        @for c in &summary.credentials {
                            tr data-credential={ (c.status_list.list) "/" (c.status_list.idx) } {
                                td { a href=(c.status_list.uri) { (c.status_list.list) } }
                                td { (c.status_list.idx) }
                                td class="credential-status" { (c.status) }
                                td {
                                    @if c.status == "valid" {
                                        form method="post" class="inline" action={ "/console/sessions/" (id) "/credentials/" (c.status_list.list) "/" (c.status_list.idx) "/revoke" } {
                                            (csrf(signed_in))
                                            input type="hidden" name="reason" value="revoked in the console";
                                            button type="submit" class="danger" { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if summary.credentials.iter().filter(|c| c.status == "valid").count() > 1 {
                    form method="post" action={ "/console/sessions/" (id) "/revoke" } {
                        (csrf(signed_in))
                        input type="hidden" name="reason" value="revoked in the console";
                        button type="submit" class="danger" { "Revoke every credential of this session" }
                    }
                }
            }
        }
        section aria-labelledby="timeline-heading" {
            h2 id="timeline-heading" { "Timeline" }
            @if summary.events_dropped > 0 {
                p class="note" { (summary.events_dropped) " older events were dropped (the log keeps its first and its newest)." }
            }
            table class="timeline" {
                thead { tr { th { "Time" } th { "Type" } th { "Details" } } }
                tbody {
                    @for event in &summary.events { (event_row(event)) }
                }
            }
        }
        details data-keep="raw-json" {
            summary { "Raw JSON" }
            pre id="raw-json" { (pretty(&serde_json::to_value(summary).unwrap_or_default())) }
        }
    }
}

fn event_row(event: &Event) -> Markup {
    let kind = event.kind.name();
    let refused =
        kind.ends_with("_rejected") || kind.ends_with("_detected") || kind == "login_failed";
    html! {
        tr class={ "event" @if refused { " refused" } } data-event=(kind) {
            td class="when" { (time(event.timestamp)) }
            td { code { (kind) } }
            td { (details(event)) }
        }
    }
}

fn details(event: &Event) -> Markup {
    let Value::Object(map) = &event.details else {
        return html! {};
    };
    let diagnostic = map
        .get("diagnostic")
        .filter(|_| event.kind == EventKind::ProofRejected);
    let proof = map.get("proof");
    html! {
        dl class="details" {
            @for (key, value) in map {
                @if !matches!(key.as_str(), "diagnostic" | "proof") {
                    dt { (key) } dd { (compact(value)) }
                }
            }
        }
        @if let Some(d) = diagnostic {
            div class="diagnostic" role="group" aria-label="Proof diagnostic" {
                p { "Diagnostic " code class="diagnostic-code" { (text(d, "code")) } }
                dl {
                    @for (label, key) in [("Reason", "reason"), ("Help", "help"), ("Expected", "expected"), ("Found", "found"), ("Spec", "spec_ref")] {
                        @if !text(d, key).is_empty() { dt { (label) } dd class={ "diagnostic-" (key) } { (text(d, key)) } }
                    }
                }
            }
        }
        @if let Some(proof) = proof {
            details class="proof" {
                summary { "Decoded proof (header and claims; nonce redacted)" }
                pre { (pretty(proof)) }
            }
        }
    }
}

fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
