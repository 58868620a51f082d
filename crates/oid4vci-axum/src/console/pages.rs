//! The console's pages, rendered with `maud` (every interpolated value is escaped), in the
//! login page's plain style. Script and style come from `/console/assets/`.

use super::sign_ins::SignedIn;
use super::state::ConsoleConfig;
use crate::admin::CreateOfferReply;
use crate::admin::ListSessionsQuery;
use maud::{html, Markup, DOCTYPE};
use oid4vci_issuer::{GrantKind, SessionListing, SessionState};
use serde_json::Value;

use super::wallet_debug::RefusedRequest;

/// A Unix time as `2026-12-05 19:52:57 UTC`.
pub(crate) fn time(at: u64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    i64::try_from(at)
        .ok()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| at.to_string())
}

/// A page of the console: navigation (when signed in), the body, the console's script.
pub(crate) fn layout(
    title: &str,
    signed_in: Option<&SignedIn>,
    config: &ConsoleConfig,
    body: Markup,
) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · oid4vci console" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                header {
                    a class="brand" href="/console" { "oid4vci console" }
                    @if let Some(signed_in) = signed_in {
                        nav aria-label="Console" {
                            a href="/console" { "Sessions" }
                            a href="/console/offers/new" { "New offer" }
                            @if config.wallet_debug.is_some() { a href="/console/refused" { "Refused requests" } }
                            @if let Some(checker) = &config.proof_checker { a href=(checker) { "Proof checker" } }
                            form method="post" action="/console/sign-out" class="inline" {
                                (csrf(signed_in))
                                button type="submit" class="link" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

/// The hidden anti-CSRF field of every form.
pub(crate) fn csrf(signed_in: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed_in.csrf); }
}

/// The sign-in page.
pub(crate) fn sign_in(form_token: &str, error: Option<&str>, config: &ConsoleConfig) -> String {
    let body = html! {
        section class="narrow" {
            h1 { "Sign in" }
            p { "Sign in with this issuer's admin token (" code { "oid4vci serve" } " prints it)." }
            @if let Some(error) = error { p class="error" role="alert" id="sign-in-error" { (error) } }
            form method="post" action="/console/sign-in" {
                input type="hidden" name="form_token" value=(form_token);
                label for="token" { "Admin token" }
                input id="token" name="token" type="password" autocomplete="current-password" required
                    aria-describedby=[error.map(|_| "sign-in-error")];
                button type="submit" class="primary" { "Sign in" }
            }
        }
    };
    layout("Sign in", None, config, body)
}

/// A page with one message.
pub(crate) fn message(
    title: &str,
    text: &str,
    signed_in: Option<&SignedIn>,
    config: &ConsoleConfig,
) -> String {
    let body = html! {
        h1 { (title) }
        p class="error" role="alert" id="message" { (text) }
        p { a href="/console" { "Back to the sessions" } }
    };
    layout(title, signed_in, config, body)
}

/// The live part of a page whose session is gone.
pub(crate) fn gone(why: &str) -> Markup {
    html! { p class="error" role="alert" { "This session cannot be shown: " (why) } }
}

fn state_badge(state: SessionState) -> Markup {
    html! { span class={ "state state-" (state.as_str()) } { (state.as_str()) } }
}

/// The session list page.
pub(crate) fn sessions(
    query: &ListSessionsQuery,
    raw_query: &str,
    configurations: &[String],
    rows: Markup,
    signed_in: &SignedIn,
    config: &ConsoleConfig,
) -> String {
    let grant = query.grant;
    let body = html! {
        h1 { "Sessions" }
        form method="get" action="/console" class="filters" aria-label="Filter sessions" {
            label { "State "
                select name="state" {
                    option value="" { "any" }
                    @for state in SessionState::ALL {
                        option value=(state.as_str()) selected[query.state == Some(state)] { (state.as_str()) }
                    }
                }
            }
            label { "Configuration "
                select name="configuration" {
                    option value="" { "any" }
                    @for id in configurations {
                        option value=(id) selected[query.configuration.as_deref() == Some(id.as_str())] { (id) }
                    }
                }
            }
            label { "Grant "
                select name="grant" {
                    option value="" { "any" }
                    option value="pre_authorized_code" selected[grant == Some(GrantKind::PreAuthorizedCode)] { "pre-authorized code" }
                    option value="authorization_code" selected[grant == Some(GrantKind::AuthorizationCode)] { "authorization code" }
                }
            }
            button type="submit" { "Filter" }
        }
        table class="sessions" {
            thead { tr { th { "Created" } th { "Session" } th { "Configurations" } th { "Grant" } th { "State" } th { "Last event" } th { "Events" } } }
            tbody id="session-rows" data-live={ "/console/live/sessions?" (raw_query) } { (rows) }
        }
        p class="note" { "Newest first; the list updates live." }
    };
    layout("Sessions", Some(signed_in), config, body)
}

/// The rows of the session list.
pub(crate) fn session_rows(sessions: &[SessionListing]) -> Markup {
    html! {
        @if sessions.is_empty() { tr { td colspan="7" class="note" { "No sessions match." } } }
        @for s in sessions {
            tr data-session=(s.session_id) {
                td { (time(s.created_at)) }
                td { a href={ "/console/sessions/" (s.session_id) } { code { (s.session_id) } } }
                td { (s.credential_configuration_ids.join(", ")) }
                td { (grant_names(s)) }
                td { (state_badge(s.state)) }
                td { @if let Some(e) = &s.last_event { span class="event" { (e.kind.name()) } " " span class="when" { (time(e.timestamp)) } } }
                td { (s.event_count) }
            }
        }
    }
}

fn grant_names(s: &SessionListing) -> String {
    let mut names = Vec::new();
    if s.grants.pre_authorized_code {
        names.push(if s.grants.tx_code_required {
            "pre-authorized (tx_code)"
        } else {
            "pre-authorized"
        });
    }
    if s.grants.authorization_code {
        names.push("authorization code");
    }
    if s.wallet_initiated {
        names.push("authorization code (wallet-initiated)");
    }
    names.join(", ")
}

/// What the new-offer form was filled with (kept when it comes back with an error).
#[derive(Default)]
pub(crate) struct OfferForm {
    pub(crate) configurations: Vec<String>,
    pub(crate) tx_code: bool,
    pub(crate) tx_code_length: String,
    pub(crate) claims: String,
    pub(crate) by_reference: bool,
    pub(crate) authorization_code: bool,
}

/// The new-offer page.
pub(crate) fn new_offer(
    configurations: &[String],
    form: &OfferForm,
    error: Option<&str>,
    authorization_server: bool,
    signed_in: &SignedIn,
    config: &ConsoleConfig,
) -> String {
    let body = html! {
        h1 { "New offer" }
        @if let Some(error) = error { p class="error" role="alert" id="offer-error" { (error) } }
        form method="post" action="/console/offers" class="offer" {
            (csrf(signed_in))
            fieldset {
                legend { "Credential configurations" }
                @for id in configurations {
                    label class="check" {
                        input type="checkbox" name="configuration" value=(id) checked[form.configurations.contains(id)];
                        " " (id)
                    }
                }
            }
            fieldset {
                legend { "Grant" }
                p class="note" { "The pre-authorized code grant is always offered." }
                @if authorization_server {
                    label class="check" { input type="checkbox" name="authorization_code" value="on" checked[form.authorization_code]; " Also offer the authorization code grant" }
                }
                label class="check" { input type="checkbox" name="tx_code" value="on" checked[form.tx_code]; " Require a transaction code" }
                label for="tx_code_length" { "Transaction code length" }
                input id="tx_code_length" name="tx_code_length" type="number" min="4" max="8" value=(if form.tx_code_length.is_empty() { "6" } else { &form.tx_code_length });
            }
            label for="claims" { "Claims (JSON object, the same for every configuration; empty: issue deferred, submit claims later)" }
            textarea id="claims" name="claims" rows="8" spellcheck="false" { (form.claims) }
            fieldset {
                legend { "Offer URI" }
                label class="check" { input type="radio" name="by" value="value" checked[!form.by_reference]; " By value" }
                label class="check" { input type="radio" name="by" value="reference" checked[form.by_reference]; " By reference (" code { "credential_offer_uri" } ")" }
            }
            button type="submit" class="primary" { "Create the offer" }
        }
    };
    layout("New offer", Some(signed_in), config, body)
}

/// The page of a created offer: URI, copy button, QR code, transaction code.
pub(crate) fn offer_created(
    reply: &CreateOfferReply,
    qr: Markup,
    signed_in: &SignedIn,
    config: &ConsoleConfig,
) -> String {
    let body = html! {
        h1 { "Offer created" }
        div class="offer-result" {
            div class="qr" { (qr) }
            div {
                label for="offer-uri" { "Offer URI" }
                textarea id="offer-uri" readonly rows="4" spellcheck="false" { (reply.credential_offer_uri) }
                button type="button" data-copy="offer-uri" id="copy-offer" { "Copy" }
                span class="note" id="copy-status" aria-live="polite" {}
                @if let Some(tx_code) = &reply.tx_code {
                    p { "Transaction code to hand over: " strong id="tx-code" { (tx_code) } }
                }
                p { "Session: " a id="session-link" href={ "/console/sessions/" (reply.session_id) } { code { (reply.session_id) } } }
            }
        }
    };
    layout("Offer created", Some(signed_in), config, body)
}

/// The refused wallet requests page.
pub(crate) fn refused(rows: Markup, signed_in: &SignedIn, config: &ConsoleConfig) -> String {
    let body = html! {
        h1 { "Refused wallet requests" }
        p class="note" { "Wallet debugging mode: every refused wallet request of this process, newest first, tied to a session or not. Secrets are redacted." }
        div id="refused-rows" data-live="/console/live/refused" { (rows) }
    };
    layout("Refused requests", Some(signed_in), config, body)
}

/// The entries of the refused requests page.
pub(crate) fn refused_rows(entries: &[RefusedRequest]) -> Markup {
    html! {
        @if entries.is_empty() { p class="note" { "No refused requests yet." } }
        @for e in entries {
            article class="refused" data-refused=(e.id) {
                h2 { span class="status" { (e.status) } " " (e.method) " " code { (e.path) } " " span class="when" { (time(e.at)) } }
                dl {
                    @if let Some(error) = &e.error { dt { "error" } dd { code class="error-code" { (error) } } }
                    @if let Some(code) = &e.diagnostic_code { dt { "diagnostic" } dd { code class="diagnostic-code" { (code) } } }
                    @if let Some(d) = &e.error_description { dt { "why" } dd { (d) } }
                }
                details {
                    summary { "What arrived" }
                    pre { (pretty(&Value::Object(e.headers.clone()))) }
                    pre { (pretty(&e.body)) }
                }
            }
        }
    }
}

/// Indented JSON.
pub(crate) fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
