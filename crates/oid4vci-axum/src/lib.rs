//! # oid4vci-axum
//!
//! A thin [axum] adapter over [`oid4vci_issuer::Issuer`]: it reads HTTP (body limits, content
//! types, the headers a request presents) and hands the bodies to the issuer, which parses them;
//! it turns typed responses and [`Refusal`](oid4vci_issuer::Refusal)s into HTTP through one
//! status table ([`error_status`]), and nothing else. No protocol rule lives here.
//!
//! - [`router`] serves the wallet-facing endpoints at the spec's paths, with the spec's content
//!   types, status codes (`202` for deferred issuance, `204` for notifications),
//!   `Cache-Control: no-store` on token, nonce and credential responses, and `WWW-Authenticate`
//!   on bearer-token errors. With the embedded authorization server enabled, `POST /par` answers
//!   `201 {request_uri, expires_in}` and `/authorize` serves a login and consent page (HTML
//!   escaped throughout, no JavaScript, an anti-CSRF token bound to the request) whose approval
//!   redirects (`303`) with `code`, `state` and `iss`. Bodies are limited to 64 KiB; malformed or oversized bodies get the
//!   spec's JSON error, never a 500. An access token in the query string is refused.
//!   Failed sign-ins back off per account and per client address: while one must wait, the
//!   page comes back with `429` and `Retry-After`. The address is a [`ClientAddress`]
//!   extension if a middleware set one (behind a proxy you trust:
//!   [`client_address_from_header`]), else the peer of
//!   `into_make_service_with_connect_info::<SocketAddr>()`, else unknown (accounts only).
//!   The same address limits pushed authorization requests (60 at once, then 60 a minute by
//!   default: `429` with `Retry-After` beyond).
//! - [`admin_router`] serves the operator API (`POST /admin/offers`, `GET /admin/sessions`
//!   (the newest sessions, filtered), `GET /admin/sessions/{id}`,
//!   `POST /admin/sessions/{id}/claims`, `POST /admin/sessions/{id}/revoke` and
//!   `POST /admin/sessions/{id}/credentials/{list}/{idx}/revoke`); mount it behind your own
//!   authentication.
//! - [`console_router`] (feature `console`, on by default) serves the operator console at
//!   `/console`: sign-in with the admin token, the live session list and session pages (event
//!   timeline with proof diagnostics, credentials with revoke buttons, deferred claims), new
//!   offers with a QR code, and in wallet debugging mode the refused wallet requests
//!   ([`console::record_refused_requests`]). See [`console`].
//! - With status lists on (`Issuer::with_status_lists`), [`router`] also serves
//!   `GET /status-lists/{list}`, the signed Status List Tokens.
//! - [`openapi`] is the OpenAPI 3.1 description of all of it, and [`openapi_router`] serves it
//!   at `GET /openapi.json` (a test keeps it equal to the routes).
//!
//! ```
//! use std::sync::Arc;
//! use oid4vci_issuer::{Issuer, IssuerConfig, MemoryStore};
//! use oid4vci_sd_jwt::SdJwtVcMinter;
//! use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
//!
//! let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
//! metadata.credential_configurations_supported
//!     .insert("eu.europa.ec.av.1".into(), CredentialConfiguration::sd_jwt_vc("eu.europa.ec.av.1"));
//! let minter = SdJwtVcMinter::generate();
//! let jwks = serde_json::json!({ "keys": [minter.public_jwk()] });
//! let issuer = Arc::new(Issuer::new(IssuerConfig::new(metadata), MemoryStore::new(), minter));
//! let app: axum::Router = oid4vci_axum::router(issuer.clone(), Some(jwks))
//!     .merge(oid4vci_axum::admin_router(issuer));
//! # let _ = app;
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accept;
mod admin;
mod authorize;
#[cfg(feature = "console")]
pub mod console;
mod facts;
mod login_page;
pub mod metrics;
mod openapi;
pub mod ops;
mod reply;
mod request_metrics;
mod status_list;
mod wallet;

pub use admin::{
    admin_router, CreateOfferBody, CreateOfferReply, ListSessionsQuery, ListSessionsReply,
    RevokeBody, SubmitClaimsBody,
};
#[cfg(feature = "console")]
pub use console::{console_router, ConsoleConfig, ConsoleFeed, WalletDebugLog};
pub use facts::{client_address_from_header, ClientAddress};
pub use metrics::IssuerMetrics;
pub use openapi::{openapi, openapi_router};
pub use ops::{metrics_router, probes_router, Readiness};
pub use reply::{credential_status, error_reply, error_status, Endpoint, MAX_BODY_BYTES};
pub use request_metrics::record_requests;
pub use wallet::router;
