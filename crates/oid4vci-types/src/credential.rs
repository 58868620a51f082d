//! Credential Request and Response (OID4VCI 1.0 Section 8.2, 8.3), accepting the draft-13 request
//! forms wallets still send and always serialising the 1.0 form.

use crate::error::ErrorCode;
use crate::metadata::{
    CredentialConfiguration, CredentialDefinition, CredentialFormat, CredentialIssuerMetadata,
};
use crate::parse::{parse_json, MessageError, MessageErrorKind};
use crate::proofs::Proofs;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which credential a request asks for (Section 8.2).
// The draft-13 variant's size depends on serde_json's map type, which grows when a dependency
// turns on its `preserve_order` feature; one selector per request, so no boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum CredentialSelector {
    /// `credential_identifier`: a dataset from the token response's `credential_identifiers`.
    Identifier(String),
    /// `credential_configuration_id`: a key of `credential_configurations_supported`.
    ConfigurationId(String),
    /// Draft 13: `format` plus its type parameter. Resolve with
    /// [`CredentialIssuerMetadata::find_by_format`](crate::CredentialIssuerMetadata::find_by_format).
    Format(FormatSelector),
}

/// Draft 13's format-based credential selection (draft 13 Section 7.2, Appendix A).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormatSelector {
    /// The format (`vc+sd-jwt`, `mso_mdoc`, `jwt_vc_json`, …).
    pub format: CredentialFormat,
    /// SD-JWT VC type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct: Option<String>,
    /// mdoc document type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctype: Option<String>,
    /// W3C VC definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_definition: Option<CredentialDefinition>,
    /// Requested claims, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Value>,
}

impl FormatSelector {
    /// True when `config` has this format and type (`vct`, `doctype` or `credential_definition.type`).
    pub fn matches(&self, config: &CredentialConfiguration) -> bool {
        if !self.format.same_format(&config.format) {
            return false;
        }
        match &self.format {
            f if f.is_sd_jwt_vc() => self.vct.is_some() && self.vct == config.vct,
            CredentialFormat::MsoMdoc => self.doctype.is_some() && self.doctype == config.doctype,
            _ => {
                let wanted = self
                    .credential_definition
                    .as_ref()
                    .and_then(|d| d.types.as_ref());
                let offered = config
                    .credential_definition
                    .as_ref()
                    .and_then(|d| d.types.as_ref());
                match (wanted, offered) {
                    (Some(w), Some(o)) => {
                        let mut w = w.clone();
                        let mut o = o.clone();
                        w.sort();
                        o.sort();
                        w == o
                    }
                    _ => false,
                }
            }
        }
    }
}

// Defined here rather than in `metadata`: resolving a draft-13 request is this module's business,
// and the metadata module stays free of request types.
impl CredentialIssuerMetadata {
    /// Finds the configuration a draft-13 `format`-based request names, comparing format and its
    /// type parameter (`vct`, `doctype`, or `credential_definition.type`).
    pub fn find_by_format(&self, selector: &FormatSelector) -> Option<&str> {
        self.credential_configurations_supported
            .iter()
            .find(|(_, c)| selector.matches(c))
            .map(|(id, _)| id.as_str())
    }
}

/// `credential_response_encryption` (Section 8.2; draft 13 also sent `alg`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialResponseEncryption {
    /// The wallet's public encryption key (JWK, with `alg` in 1.0).
    pub jwk: Value,
    /// Content encryption algorithm.
    pub enc: String,
    /// Compression algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// Draft 13: key management algorithm, outside the JWK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A credential request (Section 8.2), normalised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RequestWire", into = "RequestWire")]
pub struct CredentialRequest {
    /// Which credential is asked for.
    pub credential: CredentialSelector,
    /// Key proofs (draft 13's singular `proof` is normalised into this).
    pub proofs: Option<Proofs>,
    /// Response encryption parameters.
    pub credential_response_encryption: Option<CredentialResponseEncryption>,
    /// Parameters the issuer does not know ("MUST ignore any unrecognized parameters").
    pub extra: Map<String, Value>,
}

/// The wire shape: every member any supported draft may send.
#[derive(Clone, Default, Serialize, Deserialize)]
struct RequestWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential_configuration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<CredentialFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vct: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    doctype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential_definition: Option<CredentialDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claims: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proofs: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proof: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential_response_encryption: Option<CredentialResponseEncryption>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl TryFrom<RequestWire> for CredentialRequest {
    type Error = MessageError;

    fn try_from(w: RequestWire) -> Result<Self, MessageError> {
        let bad = |param: &str, reason: &str| {
            MessageError::invalid(ErrorCode::InvalidCredentialRequest, param, reason)
        };
        let mut extra = w.extra;
        let format_selector = w.format.map(|format| FormatSelector {
            format,
            vct: w.vct,
            doctype: w.doctype,
            credential_definition: w.credential_definition,
            claims: w.claims,
        });
        let credential = match (
            w.credential_identifier,
            w.credential_configuration_id,
            format_selector,
        ) {
            (Some(_), Some(_), _) => {
                return Err(MessageError::new(
                    ErrorCode::InvalidCredentialRequest,
                    MessageErrorKind::Conflicting(
                        "credential_identifier".into(),
                        "credential_configuration_id".into(),
                    ),
                ))
            }
            (Some(_), None, Some(_)) => {
                return Err(MessageError::new(
                    ErrorCode::InvalidCredentialRequest,
                    MessageErrorKind::Conflicting("credential_identifier".into(), "format".into()),
                ))
            }
            (Some(id), None, None) if !id.is_empty() => CredentialSelector::Identifier(id),
            (None, Some(id), selector) if !id.is_empty() => {
                // Transitional wallets send `format` next to the configuration id; keep it as sent.
                if let Some(sel) = selector {
                    if let Ok(Value::Object(m)) = serde_json::to_value(sel) {
                        extra.extend(m);
                    }
                }
                CredentialSelector::ConfigurationId(id)
            }
            (None, None, Some(sel)) => CredentialSelector::Format(sel),
            (Some(_), None, None) => return Err(bad("credential_identifier", "must not be empty")),
            (None, Some(_), _) => {
                return Err(bad("credential_configuration_id", "must not be empty"))
            }
            (None, None, None) => {
                return Err(MessageError::missing(
                    ErrorCode::InvalidCredentialRequest,
                    "credential_configuration_id",
                ))
            }
        };
        let proof_error =
            |reason: String| MessageError::invalid(ErrorCode::InvalidProof, "proofs", reason);
        let proofs = match (w.proofs, w.proof) {
            (Some(_), Some(_)) => {
                return Err(MessageError::new(
                    ErrorCode::InvalidProof,
                    MessageErrorKind::Conflicting("proof".into(), "proofs".into()),
                ))
            }
            (Some(p), None) => {
                Some(serde_json::from_value::<Proofs>(p).map_err(|e| proof_error(e.to_string()))?)
            }
            (None, Some(p)) => Some(Proofs::from_draft13_proof(&p).map_err(proof_error)?),
            (None, None) => None,
        };
        Ok(CredentialRequest {
            credential,
            proofs,
            credential_response_encryption: w.credential_response_encryption,
            extra,
        })
    }
}

impl From<CredentialRequest> for RequestWire {
    fn from(r: CredentialRequest) -> Self {
        let mut wire = RequestWire {
            proofs: r.proofs.and_then(|p| serde_json::to_value(p).ok()),
            credential_response_encryption: r.credential_response_encryption,
            extra: r.extra,
            ..RequestWire::default()
        };
        match r.credential {
            CredentialSelector::Identifier(id) => wire.credential_identifier = Some(id),
            CredentialSelector::ConfigurationId(id) => wire.credential_configuration_id = Some(id),
            CredentialSelector::Format(sel) => {
                wire.format = Some(sel.format);
                wire.vct = sel.vct;
                wire.doctype = sel.doctype;
                wire.credential_definition = sel.credential_definition;
                wire.claims = sel.claims;
            }
        }
        wire
    }
}

impl CredentialRequest {
    /// A 1.0 request for a configuration id with `jwt` proofs.
    pub fn for_configuration(id: impl Into<String>, jwt_proofs: Vec<String>) -> Self {
        CredentialRequest {
            credential: CredentialSelector::ConfigurationId(id.into()),
            proofs: (!jwt_proofs.is_empty()).then_some(Proofs::Jwt(jwt_proofs)),
            credential_response_encryption: None,
            extra: Map::new(),
        }
    }

    /// Parses a JSON body within the crate's limits.
    ///
    /// Shape errors answer `invalid_credential_request`; a malformed `proofs`/`proof` answers
    /// `invalid_proof` (Section 8.3.1.2).
    pub fn from_json(body: &[u8]) -> Result<Self, MessageError> {
        Self::from_json_with_form(body).map(|(request, _)| request)
    }

    /// Like [`CredentialRequest::from_json`], also telling which form the wallet used, so an
    /// issuer can add what draft-13 wallets expect to its answer (a singular `credential`, a
    /// fresh `c_nonce`).
    pub fn from_json_with_form(body: &[u8]) -> Result<(Self, RequestForm), MessageError> {
        let wire: RequestWire = parse_json(body, ErrorCode::InvalidCredentialRequest)?;
        let form = if wire.proof.is_some()
            || (wire.format.is_some() && wire.credential_configuration_id.is_none())
        {
            RequestForm::Draft13
        } else {
            RequestForm::V1
        };
        CredentialRequest::try_from(wire).map(|request| (request, form))
    }
}

/// Which version of the spec a credential request was written against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequestForm {
    /// OID4VCI 1.0 final (`proofs`, `credential_configuration_id` / `credential_identifier`).
    #[default]
    V1,
    /// Draft 13 (`proof` singular, or `format` + type parameters).
    Draft13,
}

/// One issued credential in a response (Section 8.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuedCredential {
    /// The credential: a string (JWT, SD-JWT, base64url mdoc) or a JSON object (`ldp_vc`).
    pub credential: Value,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A credential response (Section 8.3), also the Deferred Credential Response (Section 9.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ResponseWire")]
pub struct CredentialResponse {
    /// Issued credentials (absent when deferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<IssuedCredential>>,
    /// Present iff issuance is deferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Seconds to wait before polling the deferred endpoint; required with `transaction_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// Identifies this issuance in notifications; only with `credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
    /// Extension members (draft 13's `c_nonce` lands here).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Wire shape of a response: 1.0 `credentials`, or draft 13's singular `credential`.
#[derive(Deserialize)]
struct ResponseWire {
    #[serde(default)]
    credentials: Option<Vec<IssuedCredential>>,
    #[serde(default)]
    credential: Option<Value>,
    #[serde(default)]
    transaction_id: Option<String>,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    notification_id: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl From<ResponseWire> for CredentialResponse {
    fn from(w: ResponseWire) -> Self {
        let credentials = match (w.credentials, w.credential) {
            (Some(list), _) => Some(list),
            (None, Some(single)) => Some(vec![IssuedCredential {
                credential: single,
                extra: Map::new(),
            }]),
            (None, None) => None,
        };
        CredentialResponse {
            credentials,
            transaction_id: w.transaction_id,
            interval: w.interval,
            notification_id: w.notification_id,
            extra: w.extra,
        }
    }
}

impl CredentialResponse {
    /// An immediate response carrying `credentials`.
    pub fn issued(credentials: Vec<Value>, notification_id: Option<String>) -> Self {
        CredentialResponse {
            credentials: Some(
                credentials
                    .into_iter()
                    .map(|credential| IssuedCredential {
                        credential,
                        extra: Map::new(),
                    })
                    .collect(),
            ),
            transaction_id: None,
            interval: None,
            notification_id,
            extra: Map::new(),
        }
    }

    /// A deferred response: `transaction_id` and `interval` (HTTP 202).
    pub fn deferred(transaction_id: impl Into<String>, interval: u64) -> Self {
        CredentialResponse {
            credentials: None,
            transaction_id: Some(transaction_id.into()),
            interval: Some(interval),
            notification_id: None,
            extra: Map::new(),
        }
    }

    /// Checks the MUSTs of Section 8.3: `credentials` and `transaction_id` exclude each other,
    /// `interval` (positive) comes with `transaction_id`, `notification_id` only with `credentials`.
    pub fn validate(&self) -> Result<(), MessageError> {
        let bad = |p: &str, r: &str| MessageError::invalid(ErrorCode::InvalidRequest, p, r);
        match (&self.credentials, &self.transaction_id) {
            (Some(_), Some(_)) => {
                return Err(bad("transaction_id", "must not be used with credentials"))
            }
            (None, None) => {
                return Err(bad(
                    "credentials",
                    "either credentials or transaction_id is required",
                ))
            }
            (Some(c), None) if c.is_empty() => return Err(bad("credentials", "must not be empty")),
            (None, Some(_)) if !matches!(self.interval, Some(i) if i > 0) => {
                return Err(bad(
                    "interval",
                    "a positive interval is required with transaction_id",
                ))
            }
            _ => {}
        }
        if self.notification_id.is_some() && self.credentials.is_none() {
            return Err(bad(
                "notification_id",
                "must not be used without credentials",
            ));
        }
        Ok(())
    }
}
