//! # oid4vci-types
//!
//! Every message an [OpenID for Verifiable Credential Issuance 1.0][spec] issuer receives or sends,
//! typed, validated and documented with the spec's section numbers. No crypto, no I/O: bytes in,
//! typed values or a typed [`MessageError`] out.
//!
//! | module | messages | spec |
//! |---|---|---|
//! | [`offer`] | [`CredentialOffer`], [`CredentialOfferRequest`] (`openid-credential-offer://`) | 4.1 |
//! | [`metadata`] | [`CredentialIssuerMetadata`], [`CredentialConfiguration`], [`AuthorizationServerMetadata`] | 12.2, 12.3 |
//! | [`authorization_details`] | [`AuthorizationDetail`] | 5.1.1, 6.1.1 |
//! | [`token`] | [`TokenRequest`] (form bodies), [`TokenResponse`] | 6 |
//! | [`nonce`] | [`NonceResponse`] | 7 |
//! | [`credential`], [`proofs`] | [`CredentialRequest`], [`Proofs`], [`CredentialResponse`] | 8 |
//! | [`deferred`] | [`DeferredCredentialRequest`] | 9 |
//! | [`notification`] | [`NotificationRequest`], [`NotificationEvent`] | 11 |
//! | [`error`] | [`ErrorResponse`], [`ErrorCode`] (their HTTP statuses are the adapter's) | 6.3, 8.3.1, 9.3, 11.3 |
//!
//! **Liberal in what it accepts, strict in what it sends.** Draft-13 wallets are still common, so
//! parsers accept their forms and normalise them: the singular `proof` becomes `proofs`,
//! `format` + `vct`/`doctype`/`credential_definition` becomes a [`CredentialSelector::Format`],
//! a singular `credential` in a response becomes `credentials`, draft-13 metadata `display`/`claims`
//! move into `credential_metadata`. Serialisation always produces the 1.0 form. Unknown members are
//! kept in `extra` maps so messages round-trip without loss.
//!
//! **Bad input gets a typed error, never a panic.** Bodies are bounded ([`parse::MAX_BODY_BYTES`],
//! [`parse::MAX_JSON_DEPTH`]), repeated form parameters are rejected, and each [`MessageError`]
//! carries the [`ErrorCode`] its endpoint answers with.
//!
//! ## Building an offer
//!
//! ```
//! use oid4vci_types::{CredentialOffer, CredentialOfferRequest, InputMode, TxCode};
//!
//! let offer = CredentialOffer::new("https://issuer.example.com", ["eu.europa.ec.av.1"])
//!     .with_pre_authorized_code(
//!         "oaKazRN8I0IbtZ0C7JuMn5",
//!         Some(TxCode { input_mode: Some(InputMode::Numeric), length: Some(6), ..TxCode::default() }),
//!     );
//! offer.validate()?;
//!
//! let uri = CredentialOfferRequest::ByValue(offer.clone()).to_uri();
//! assert!(uri.starts_with("openid-credential-offer://?credential_offer=%7B"));
//! assert_eq!(CredentialOfferRequest::from_uri(&uri)?, CredentialOfferRequest::ByValue(offer));
//! # Ok::<(), oid4vci_types::MessageError>(())
//! ```
//!
//! ## Parsing a credential request (1.0 or draft 13)
//!
//! ```
//! use oid4vci_types::{CredentialRequest, CredentialSelector, ErrorCode, Proofs};
//!
//! let draft13 = br#"{"credential_identifier": "degree-2023",
//!                    "proof": {"proof_type": "jwt", "jwt": "eyJ...a.b"}}"#;
//! let request = CredentialRequest::from_json(draft13)?;
//! assert_eq!(request.credential, CredentialSelector::Identifier("degree-2023".into()));
//! assert_eq!(request.proofs, Some(Proofs::Jwt(vec!["eyJ...a.b".into()])));
//! // Always serialised in the 1.0 form:
//! assert_eq!(
//!     serde_json::to_value(&request).unwrap(),
//!     serde_json::json!({"credential_identifier": "degree-2023", "proofs": {"jwt": ["eyJ...a.b"]}})
//! );
//!
//! // Naming both a credential identifier and a configuration id breaks Section 8.2:
//! let both = br#"{"credential_identifier": "a", "credential_configuration_id": "b"}"#;
//! let err = CredentialRequest::from_json(both).unwrap_err();
//! assert_eq!(err.code, ErrorCode::InvalidCredentialRequest);
//! # Ok::<(), oid4vci_types::MessageError>(())
//! ```
//!
//! [spec]: https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod authorization_details;
pub mod credential;
pub mod deferred;
pub mod error;
pub mod metadata;
pub mod nonce;
pub mod notification;
pub mod offer;
pub mod offer_report;
pub mod parse;
pub mod proofs;
pub mod secret;
mod string_enum;
pub mod token;
pub mod url_rules;

pub use authorization_details::{AuthorizationDetail, OPENID_CREDENTIAL};
pub use credential::{
    CredentialRequest, CredentialResponse, CredentialResponseEncryption, CredentialSelector,
    FormatSelector, IssuedCredential, RequestForm,
};
pub use deferred::{DeferredCredentialRequest, DeferredCredentialResponse};
pub use error::{ErrorCode, ErrorResponse};
pub use metadata::metadata_url;
pub use metadata::{
    AlgorithmId, AuthorizationServerMetadata, BatchCredentialIssuance, ClaimDescription,
    CredentialConfiguration, CredentialDefinition, CredentialFormat, CredentialIssuerMetadata,
    CredentialMetadata, Display, KeyAttestationsRequired, Logo, ProofTypeMetadata,
    ProofTypesSupported,
};
pub use nonce::NonceResponse;
pub use notification::{NotificationEvent, NotificationRequest};
pub use offer::{
    AuthorizationCodeGrant, CredentialOffer, CredentialOfferRequest, Grants, InputMode,
    PreAuthorizedCodeGrant, TxCode, CREDENTIAL_OFFER_SCHEME, PRE_AUTHORIZED_CODE_GRANT_TYPE,
};
pub use parse::{MessageError, MessageErrorKind};
pub use proofs::Proofs;
pub use secret::SecretString;
pub use token::{TokenGrant, TokenRequest, TokenResponse};

/// Names the JSON type of a value, for error messages ("found a number").
pub(crate) fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
