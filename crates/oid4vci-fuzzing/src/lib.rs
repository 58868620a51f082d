//! # oid4vci-fuzzing
//!
//! The entry points of the cargo-fuzz targets in `fuzz/` (one per parser that takes bytes
//! from a wallet or an operator), shared with the stable test `tests/corpus_replay.rs`,
//! which replays the committed corpus `fuzz/corpus/<target>/` through them in `cargo test`.
//! Not published; not an API.
//!
//! Each entry point takes arbitrary bytes and panics only when it finds a defect:
//! - [`messages`]: the message types; where a message can be written back, a parsed one must
//!   survive writing and parsing again unchanged;
//! - [`http`]: the issuer behind its router (login form, credential endpoint JSON and JWE,
//!   DPoP and client-attestation headers, admin bodies, status-list paths); no input may
//!   panic it or make it answer 500;
//! - [`claims`]: operator claims into the SD-JWT VC and mdoc minters; claims the minter's
//!   check accepts must mint, and the credential must decode with those claims;
//! - [`credentials`]: any text into the credential decoders of the proof checker; the report
//!   is always JSON, and nothing verifies under a key that never signed.
//!
//! [`TARGETS`] names every entry point, as the fuzz targets and the corpus folders do.
//!
//! ```
//! // Every target takes any bytes.
//! for (name, run) in oid4vci_fuzzing::TARGETS {
//!     if !name.starts_with("admin") {
//!         run(b"{}");
//!     }
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod claims;
pub mod credentials;
pub mod http;
pub mod messages;

/// A fuzz entry point.
pub type Target = fn(&[u8]);

/// Every entry point by its target name (the name of its cargo-fuzz target and corpus folder).
pub const TARGETS: &[(&str, Target)] = &[
    ("form", messages::form),
    ("token_form", messages::token_form),
    ("credential_request", messages::credential_request),
    ("deferred_request", messages::deferred_request),
    ("notification_request", messages::notification_request),
    ("offer_uri", messages::offer_uri),
    ("issuer_metadata", messages::issuer_metadata),
    ("authorization_details", messages::authorization_details),
    ("par_form", messages::par_form),
    (
        "credential_configuration",
        messages::credential_configuration,
    ),
    ("dpop_header", http::dpop_header),
    ("client_attestation", http::client_attestation),
    ("credential_endpoint", http::credential_endpoint),
    ("jwe_request", http::jwe_request),
    ("login_form", http::login_form),
    ("admin_offer", http::admin_offer),
    ("admin_revoke", http::admin_revoke),
    ("status_list_path", http::status_list_path),
    ("sd_jwt_claims", claims::sd_jwt_claims),
    ("mdoc_claims", claims::mdoc_claims),
    ("sd_jwt_decode", credentials::sd_jwt_decode),
    ("mdoc_decode", credentials::mdoc_decode),
];
