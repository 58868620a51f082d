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
mod handlers;
mod live;
mod pages;
mod qr;
mod session_page;
mod wallet_debug;

pub use live::ConsoleFeed;
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

/// How the console runs: the admin token it signs in with, whether cookies are `Secure`, the
/// feed of session changes that drives live updates, and the wallet debugging log.
#[derive(Clone)]
pub struct ConsoleConfig {
    admin_token: String,
    secure_cookies: bool,
    feed: Arc<ConsoleFeed>,
    wallet_debug: Option<Arc<WalletDebugLog>>,
    proof_checker: Option<String>,
}

impl std::fmt::Debug for ConsoleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleConfig")
            .field("admin_token", &"[redacted]")
            .field("secure_cookies", &self.secure_cookies)
            .field("wallet_debug", &self.wallet_debug.is_some())
            .field("proof_checker", &self.proof_checker)
            .finish()
    }
}

impl ConsoleConfig {
    /// Signs in with `admin_token`; `feed` must also be an event observer of the issuer (see
    /// [`ConsoleFeed`]) for session pages to update the moment something happens (else they
    /// refresh every two seconds).
    pub fn new(admin_token: impl Into<String>, feed: Arc<ConsoleFeed>) -> Self {
        ConsoleConfig {
            admin_token: admin_token.into(),
            secure_cookies: false,
            feed,
            wallet_debug: None,
            proof_checker: None,
        }
    }

    /// Marks the sign-in cookie `Secure` (set it when the console is served over TLS).
    pub fn secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// Wallet debugging mode: the console shows the refused wallet requests `log` keeps (mount
    /// [`record_refused_requests`] on the wallet router with the same log).
    pub fn with_wallet_debug(mut self, log: Arc<WalletDebugLog>) -> Self {
        self.wallet_debug = Some(log);
        self
    }

    /// Links the browser proof checker at `path` from the console's navigation.
    pub fn with_proof_checker(mut self, path: impl Into<String>) -> Self {
        self.proof_checker = Some(path.into());
        self
    }
}

/// What every console handler shares.
pub(crate) struct Console<S: SessionStore, M: CredentialMinter> {
    pub(crate) issuer: Arc<Issuer<S, M>>,
    pub(crate) config: ConsoleConfig,
    pub(crate) sign_ins: auth::SignIns,
}

/// The console's routes under `/console`. Mount it beside [`router`](crate::router); it needs
/// no other authentication (it has its own sign-in).
pub fn console_router<S: SessionStore, M: CredentialMinter>(
    issuer: Arc<Issuer<S, M>>,
    config: ConsoleConfig,
) -> Router {
    let console = Arc::new(Console {
        issuer,
        config,
        sign_ins: auth::SignIns::default(),
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
