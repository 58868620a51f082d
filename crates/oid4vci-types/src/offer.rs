//! Credential Offer (OID4VCI 1.0 Section 4.1) and its transport as an `openid-credential-offer://`
//! URI, by value (4.1.2) or by reference (4.1.3).

use crate::error::ErrorCode;
use crate::parse::{parse_json, MessageError, MessageErrorKind};
use crate::secret::SecretString;
use crate::string_enum::string_enum;
use crate::url_rules::check_https_url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The grant type URN of the Pre-Authorized Code Flow (Section 4.1.1, Appendix G.1.1).
pub const PRE_AUTHORIZED_CODE_GRANT_TYPE: &str =
    "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// The custom URI scheme for offers when the wallet's offer endpoint is unknown (Section 12.1.1).
pub const CREDENTIAL_OFFER_SCHEME: &str = "openid-credential-offer://";

/// Maximum length of `tx_code.description` (Section 4.1.1: "MUST NOT exceed 300 characters").
pub const MAX_TX_CODE_DESCRIPTION_CHARS: usize = 300;

/// A Credential Offer (Section 4.1.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialOffer {
    /// The Credential Issuer Identifier (Section 12.2.1): an https URL without query or fragment.
    pub credential_issuer: String,
    /// Non-empty array of unique keys of `credential_configurations_supported`.
    pub credential_configuration_ids: Vec<String>,
    /// Grants the wallet may use; absent means the wallet uses the authorization server metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
    /// Extension parameters ("Additional Credential Offer parameters MAY be defined").
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `grants` object of an offer (Section 4.1.1), keyed by grant type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Grants {
    /// The `authorization_code` grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<AuthorizationCodeGrant>,
    /// The `urn:ietf:params:oauth:grant-type:pre-authorized_code` grant.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedCodeGrant>,
    /// Other grant types, kept as they were sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The authorization code grant of an offer (Section 4.1.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationCodeGrant {
    /// Opaque value the wallet echoes in the authorization request (Section 5.1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_state: Option<String>,
    /// Which of the metadata's `authorization_servers` to use, when there are several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The pre-authorized code grant of an offer (Section 4.1.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreAuthorizedCodeGrant {
    /// The code, short-lived and single-use. Redacted in `Debug`.
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: SecretString,
    /// Present (even empty) when a transaction code is required at the token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCode>,
    /// Which of the metadata's `authorization_servers` to use, when there are several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
    /// Extension members (draft 13's `interval` lands here).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Describes the transaction code the wallet must ask the user for (Section 4.1.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TxCode {
    /// Which characters the code consists of; absent means `numeric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<InputMode>,
    /// The code's length, a UX hint; must be positive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Guidance for the user, at most 300 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

string_enum! {
    /// `tx_code.input_mode` (Section 4.1.1).
    pub enum InputMode {
        /// Digits only (the default).
        Numeric = "numeric",
        /// Any characters.
        Text = "text",
    }
}

impl TxCode {
    /// The effective input mode (`numeric` when absent).
    pub fn effective_input_mode(&self) -> InputMode {
        self.input_mode.clone().unwrap_or(InputMode::Numeric)
    }
}

impl CredentialOffer {
    /// An offer for the given configurations with no grants yet.
    pub fn new<I, S>(credential_issuer: impl Into<String>, configuration_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CredentialOffer {
            credential_issuer: credential_issuer.into(),
            credential_configuration_ids: configuration_ids.into_iter().map(Into::into).collect(),
            grants: None,
            extra: Map::new(),
        }
    }

    /// Adds a pre-authorized code grant, optionally requiring a transaction code.
    pub fn with_pre_authorized_code(
        mut self,
        code: impl Into<SecretString>,
        tx_code: Option<TxCode>,
    ) -> Self {
        let grants = self.grants.get_or_insert_with(Grants::default);
        grants.pre_authorized_code = Some(PreAuthorizedCodeGrant {
            pre_authorized_code: code.into(),
            tx_code,
            authorization_server: None,
            extra: Map::new(),
        });
        self
    }

    /// Adds an authorization code grant with an optional `issuer_state`.
    pub fn with_authorization_code(mut self, issuer_state: Option<String>) -> Self {
        let grants = self.grants.get_or_insert_with(Grants::default);
        grants.authorization_code = Some(AuthorizationCodeGrant {
            issuer_state,
            authorization_server: None,
            extra: Map::new(),
        });
        self
    }

    /// The pre-authorized code grant, if the offer has one.
    pub fn pre_authorized_code_grant(&self) -> Option<&PreAuthorizedCodeGrant> {
        self.grants.as_ref()?.pre_authorized_code.as_ref()
    }

    /// Parses and validates an offer from a JSON body (for example a `credential_offer_uri` response).
    pub fn from_json(body: &[u8]) -> Result<Self, MessageError> {
        let offer: CredentialOffer = parse_json(body, ErrorCode::InvalidRequest)?;
        offer.validate()?;
        Ok(offer)
    }

    /// Checks the MUSTs of Section 4.1.1 that serde cannot express.
    pub fn validate(&self) -> Result<(), MessageError> {
        let code = ErrorCode::InvalidRequest;
        check_https_url(&self.credential_issuer)
            .map_err(|reason| MessageError::invalid(code.clone(), "credential_issuer", reason))?;
        if self.credential_configuration_ids.is_empty() {
            return Err(MessageError::invalid(
                code,
                "credential_configuration_ids",
                "must be a non-empty array (OID4VCI 1.0 Section 4.1.1)",
            ));
        }
        let mut seen = BTreeSet::new();
        for id in &self.credential_configuration_ids {
            if id.is_empty() || !seen.insert(id.as_str()) {
                return Err(MessageError::invalid(
                    code,
                    "credential_configuration_ids",
                    format!("entries must be unique non-empty strings; `{id}` is not"),
                ));
            }
        }
        if let Some(grant) = self.pre_authorized_code_grant() {
            if grant.pre_authorized_code.is_empty() {
                return Err(MessageError::invalid(
                    code,
                    "pre-authorized_code",
                    "must not be empty",
                ));
            }
            if let Some(tx) = &grant.tx_code {
                tx.validate()?;
            }
        }
        Ok(())
    }
}

impl TxCode {
    /// Checks `length` is positive and `description` is at most 300 characters (Section 4.1.1).
    pub fn validate(&self) -> Result<(), MessageError> {
        if self.length == Some(0) {
            return Err(MessageError::invalid(
                ErrorCode::InvalidRequest,
                "tx_code.length",
                "must be a positive integer",
            ));
        }
        if let Some(d) = &self.description {
            if d.chars().count() > MAX_TX_CODE_DESCRIPTION_CHARS {
                return Err(MessageError::invalid(
                    ErrorCode::InvalidRequest,
                    "tx_code.description",
                    "must not exceed 300 characters (OID4VCI 1.0 Section 4.1.1)",
                ));
            }
        }
        Ok(())
    }
}

/// Characters percent-encoded in a query value: all but RFC 3986 unreserved ones.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How an offer travels to the wallet (Section 4.1): by value or by reference.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // built once per offer; boxing would only cost callers
pub enum CredentialOfferRequest {
    /// `credential_offer=<JSON>` (Section 4.1.2).
    ByValue(CredentialOffer),
    /// `credential_offer_uri=<https URL>` (Section 4.1.3).
    ByReference(String),
}

impl CredentialOfferRequest {
    /// Encodes as `openid-credential-offer://?credential_offer=…` or `…?credential_offer_uri=…`.
    pub fn to_uri(&self) -> String {
        self.to_uri_with_base(CREDENTIAL_OFFER_SCHEME)
    }

    /// Encodes against another base, such as a wallet's `credential_offer_endpoint`
    /// (`https://wallet.example.org/offer`); a `?` or `&` is added as needed.
    pub fn to_uri_with_base(&self, base: &str) -> String {
        let (name, value) = match self {
            CredentialOfferRequest::ByValue(offer) => (
                "credential_offer",
                serde_json::to_string(offer).unwrap_or_default(),
            ),
            CredentialOfferRequest::ByReference(uri) => ("credential_offer_uri", uri.clone()),
        };
        // Percent-encode everything but RFC 3986 unreserved characters, spaces as %20 (not `+`),
        // so wallets decoding with either form or URI rules read the same JSON.
        let encoded = percent_encoding::utf8_percent_encode(&value, QUERY_VALUE);
        let separator = if base.contains('?') { "&" } else { "?" };
        format!("{base}{separator}{name}={encoded}")
    }

    /// Decodes an offer URI of any scheme (the custom scheme, or a wallet's https offer endpoint).
    ///
    /// Exactly one of `credential_offer` and `credential_offer_uri` must be present (Section 4.1).
    /// An offer by value is validated; a reference must be an http(s) URL.
    pub fn from_uri(uri: &str) -> Result<Self, MessageError> {
        let code = ErrorCode::InvalidRequest;
        if uri.len() > crate::parse::MAX_BODY_BYTES {
            return Err(MessageError::new(
                code,
                MessageErrorKind::TooLarge {
                    size: uri.len(),
                    limit: crate::parse::MAX_BODY_BYTES,
                },
            ));
        }
        let without_fragment = uri.split('#').next().unwrap_or_default();
        let Some((_, query)) = without_fragment.split_once('?') else {
            return Err(MessageError::missing(code, "credential_offer"));
        };
        let params = crate::parse::parse_form(query.as_bytes(), code.clone())?;
        match (
            params.get("credential_offer"),
            params.get("credential_offer_uri"),
        ) {
            (Some(_), Some(_)) => Err(MessageError::new(
                code,
                MessageErrorKind::Conflicting(
                    "credential_offer".into(),
                    "credential_offer_uri".into(),
                ),
            )),
            (Some(json), None) => Ok(CredentialOfferRequest::ByValue(CredentialOffer::from_json(
                json.as_bytes(),
            )?)),
            (None, Some(reference)) => {
                crate::url_rules::check_http_url(reference).map_err(|reason| {
                    MessageError::invalid(code, "credential_offer_uri", reason)
                })?;
                Ok(CredentialOfferRequest::ByReference(reference.clone()))
            }
            (None, None) => Err(MessageError::missing(code, "credential_offer")),
        }
    }
}
