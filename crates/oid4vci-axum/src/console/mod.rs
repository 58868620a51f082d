//! The operator console (`/console`): server-rendered HTML for the people who run an issuer and
//! the wallet developers next to them. Sign in with the admin token; see the newest sessions
//! (live, over Server-Sent Events), a session's event timeline with every refused proof's full
//! diagnostic and decoded proof, the credentials it issued with a revoke button, deferred claims
//! submission and the raw JSON; make offers (with a QR code); and, in wallet debugging mode,
//! every refused wallet request, tied to a session or not.
//!
//! Every page calls the same [`Issuer`] operations as the JSON operator API
//! ([`admin_router`](crate::admin_router)) with the same parsing, and nothing else. Usable
//! without JavaScript except for the live updates and the copy button. Pages cannot be framed,
//! carry a strict Content Security Policy (no inline script or style), and every form has an
//! anti-CSRF token bound to the sign-in; the sign-in cookie is `HttpOnly`, `SameSite=Strict`,
//! scoped to `/console`, and `Secure` when the issuer is served over TLS.
//!
//! ```
//! use std::sync::Arc;
//! use oid4vci_axum::console::{record_refused_requests, ConsoleConfig, ConsoleFeed, WalletDebugLog};
//! use oid4vci_issuer::{Issuer, IssuerConfig, MemoryStore};
//! use oid4vci_sd_jwt::SdJwtVcMinter;
//! use oid4vci_types::CredentialIssuerMetadata;
//!
//! let feed = Arc::new(ConsoleFeed::new());
//! let metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
//! let issuer = Arc::new(
//!     Issuer::new(IssuerConfig::new(metadata), MemoryStore::new(), SdJwtVcMinter::generate())
//!         .with_event_observer(feed.clone()),
//! );
//! let refused = Arc::new(WalletDebugLog::new());
//! let wallet = oid4vci_axum::router(issuer.clone(), None).layer(
//!     axum::middleware::from_fn_with_state(refused.clone(), record_refused_requests),
//! );
//! let config = ConsoleConfig::new("a long random admin token", feed)
//!     .secure_cookies(true)
//!     .with_wallet_debug(refused);
//! let app: axum::Router = wallet.merge(oid4vci_axum::console_router(issuer, config));
//! # let _ = app;
//! ```

mod auth;
mod feed;
mod handlers;
mod live;
mod pages;
mod qr;
mod session_page;
mod sign_ins;
mod state;
mod wallet_debug;

pub use feed::ConsoleFeed;
pub use state::ConsoleConfig;
pub use wallet_debug::{record_refused_requests, RefusedRequest, WalletDebugLog};

use crate::reply::MAX_BODY_BYTES;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use oid4vci_issuer::{CredentialMinter, Issuer, SessionStore};
use std::sync::Arc;

/// The console's routes under `/console`. Mount it beside [`router`](crate::router); it needs
/// no other authentication (it has its own sign-in).
pub fn console_router<S: SessionStore, M: CredentialMinter>(
    issuer: Arc<Issuer<S, M>>,
    config: ConsoleConfig,
) -> Router {
    let console = Arc::new(state::Console {
        issuer,
        config,
        sign_ins: sign_ins::SignIns::default(),
    });
    Router::new()
        .route("/console", get(handlers::sessions::<S, M>))
        .route(
            "/console/sign-in",
            get(auth::sign_in_page::<S, M>).post(auth::sign_in::<S, M>),
        )
        .route("/console/sign-out", post(auth::sign_out::<S, M>))
        .route("/console/sessions/{id}", get(handlers::session::<S, M>))
        .route(
            "/console/sessions/{id}/claims",
            post(handlers::submit_claims::<S, M>),
        )
        .route(
            "/console/sessions/{id}/revoke",
            post(handlers::revoke_session::<S, M>),
        )
        .route(
            "/console/sessions/{id}/credentials/{list}/{idx}/revoke",
            post(handlers::revoke_credential::<S, M>),
        )
        .route("/console/offers/new", get(handlers::new_offer::<S, M>))
        .route("/console/offers", post(handlers::create_offer::<S, M>))
        .route("/console/refused", get(handlers::refused::<S, M>))
        .route("/console/live/sessions", get(live::sessions::<S, M>))
        .route("/console/live/sessions/{id}", get(live::session::<S, M>))
        .route("/console/live/refused", get(live::refused::<S, M>))
        .route("/console/assets/console.css", get(stylesheet))
        .route("/console/assets/console.js", get(script))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(security_headers))
        .with_state(console)
}

/// The policy of every console response: no framing, no inline script or style, nothing
/// loaded from elsewhere, no caching, no referrer.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/console.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/console.js"),
    )
        .into_response()
}
