//! # oid4vci-authorization
//!
//! The rules of the authorization-code flow of an OID4VCI 1.0 issuer's embedded authorization
//! server, as pure functions with no I/O, no clock and no storage (the issuer crate keeps the
//! state in its sessions and supplies `now`):
//!
//! - [`AuthorizationRequest::from_form`]: a pushed authorization request (RFC 9126) with every
//!   parameter checked and size-limited: `response_type=code`, `client_id`, `redirect_uri`
//!   ([`RedirectRules`]), PKCE ([`CodeChallenge`], `S256` only), `state`, `scope`,
//!   `authorization_details`, `issuer_state`, `wallet_issuer`, `user_hint`, `dpop_jkt`.
//! - [`AuthorizationRequest::configurations`]: `scope` values (matched against each
//!   configuration's `scope` in the metadata) and `authorization_details` of type
//!   `openid_credential` → credential configuration ids.
//! - [`request_uri`]: the `urn:ietf:params:oauth:request_uri:` form and its size limits.
//! - [`UserDirectory`]: who may approve, with a [`DemoUser`] for demo issuers.
//! - [`AuthorizationPolicy`]: PAR required (HAIP), lifetimes, login attempts, redirect rules.
//! - [`LoginThrottle`]: exponential back-off for failed sign-ins per account and per client
//!   address, with a bounded lock-out ([`ThrottleRules`]); [`RateLimiter`]: requests per
//!   client address (pushed authorization requests). Both keep their counts in this process's
//!   memory, behind small ports ([`SignInThrottle`], [`AddressRateLimit`]) that an
//!   implementation over a store shared by several instances can take over.
//!
//! ```
//! use oid4vci_authorization::{AuthorizationRequest, CodeChallenge, RedirectRules};
//! use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
//!
//! let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
//! let mut pid = CredentialConfiguration::sd_jwt_vc("urn:eudi:pid:1");
//! pid.scope = Some("pid".into());
//! metadata.credential_configurations_supported.insert("pid".into(), pid);
//!
//! let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
//! let body = format!(
//!     "response_type=code&client_id=wallet&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb\
//!      &scope=pid&state=xyz&code_challenge_method=S256&code_challenge={}",
//!     CodeChallenge::of_verifier(verifier).as_str()
//! );
//! let request = AuthorizationRequest::from_form(body.as_bytes(), &RedirectRules::default())?;
//! assert_eq!(request.configurations(&metadata)?, vec!["pid".to_owned()]);
//! assert!(request.code_challenge.verify(verifier).is_ok());
//!
//! let plain = body.replace("S256", "plain");
//! let refused = AuthorizationRequest::from_form(plain.as_bytes(), &RedirectRules::default());
//! assert_eq!(refused.unwrap_err().error.as_str(), "invalid_request");
//! # Ok::<(), oid4vci_types::ErrorResponse>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod pkce;
pub mod policy;
pub mod rate;
pub mod redirect;
pub mod request;
pub mod request_uri;
pub mod throttle;
pub mod users;

pub use pkce::CodeChallenge;
pub use policy::AuthorizationPolicy;
pub use rate::{AddressRateLimit, RateLimit, RateLimiter};
pub use redirect::RedirectRules;
pub use request::AuthorizationRequest;
pub use throttle::{
    BackOff, LoginThrottle, SignInThrottle, ThrottleRules, ThrottleStats, Throttled, ThrottledBy,
};
pub use users::{AuthenticatedUser, DemoUser, LoginPrefill, UserDirectory};
