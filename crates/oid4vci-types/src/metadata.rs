//! Credential Issuer Metadata (OID4VCI 1.0 Section 12.2) and the OAuth authorization server
//! metadata fields the token endpoint needs (Section 12.3, RFC 8414).
//!
//! Draft-13 configuration objects are accepted and normalised: configuration-level `display` and
//! format-specific `claims` (including `credential_definition.credentialSubject`) move into
//! `credential_metadata`, and a logo's `url` becomes `uri`.

use crate::error::ErrorCode;
use crate::parse::{parse_json, MessageError};
use crate::string_enum::string_enum;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Path of the metadata document, inserted between host and path of the issuer identifier (12.2.2).
pub const WELL_KNOWN_CREDENTIAL_ISSUER: &str = "/.well-known/openid-credential-issuer";

/// Where the metadata of the Credential Issuer `credential_issuer` lives: the well-known segment
/// inserted between its host and its path (Section 12.2.2).
pub fn metadata_url(credential_issuer: &str) -> String {
    let (scheme, rest) = credential_issuer
        .split_once("://")
        .unwrap_or(("https", credential_issuer));
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        format!("{scheme}://{host}{WELL_KNOWN_CREDENTIAL_ISSUER}")
    } else {
        format!("{scheme}://{host}{WELL_KNOWN_CREDENTIAL_ISSUER}/{path}")
    }
}

/// Path of the OAuth 2.0 authorization server metadata document (RFC 8414 §3).
pub const WELL_KNOWN_OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";

string_enum! {
    /// A credential format identifier (Appendix A).
    pub enum CredentialFormat {
        /// IETF SD-JWT VC (Appendix A.3).
        DcSdJwt = "dc+sd-jwt",
        /// Draft-13 name of SD-JWT VC.
        VcSdJwt = "vc+sd-jwt",
        /// ISO mdoc (Appendix A.2).
        MsoMdoc = "mso_mdoc",
        /// W3C VC signed as a JWT, not using JSON-LD (Appendix A.1.1).
        JwtVcJson = "jwt_vc_json",
        /// W3C VC signed as a JWT, using JSON-LD (Appendix A.1.2).
        JwtVcJsonLd = "jwt_vc_json-ld",
        /// W3C VC secured with Data Integrity, using JSON-LD (Appendix A.1.3).
        LdpVc = "ldp_vc",
    }
}

impl CredentialFormat {
    /// True for `dc+sd-jwt` and its draft-13 name `vc+sd-jwt`.
    pub fn is_sd_jwt_vc(&self) -> bool {
        matches!(self, CredentialFormat::DcSdJwt | CredentialFormat::VcSdJwt)
    }

    /// True when both name the same format, treating `vc+sd-jwt` as `dc+sd-jwt`.
    pub fn same_format(&self, other: &CredentialFormat) -> bool {
        self == other || (self.is_sd_jwt_vc() && other.is_sd_jwt_vc())
    }
}

/// Credential Issuer Metadata (Section 12.2.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialIssuerMetadata {
    /// The Credential Issuer Identifier.
    pub credential_issuer: String,
    /// Authorization servers; absent means the issuer is its own authorization server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_servers: Option<Vec<String>>,
    /// URL of the Credential Endpoint (Section 8).
    pub credential_endpoint: String,
    /// URL of the Nonce Endpoint (Section 7); absent means no `c_nonce` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_endpoint: Option<String>,
    /// URL of the Deferred Credential Endpoint (Section 9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_credential_endpoint: Option<String>,
    /// URL of the Notification Endpoint (Section 11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_endpoint: Option<String>,
    /// Request encryption support (Section 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_request_encryption: Option<Value>,
    /// Response encryption support (Section 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<Value>,
    /// Batch issuance support: the maximum number of proofs in one request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_credential_issuance: Option<BatchCredentialIssuance>,
    /// Display properties of the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<Display>>,
    /// The credentials this issuer can issue, by configuration id.
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
    /// Extension parameters (and draft-13 ones such as `signed_metadata`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `batch_credential_issuance` (Section 12.2.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCredentialIssuance {
    /// Maximum array size of the `proofs` parameter; at least 2.
    pub batch_size: u32,
}

/// Display properties of an issuer or credential (Section 12.2.4).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Display {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Background colour (CSS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// Background image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_image: Option<Logo>,
    /// Text colour (CSS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A logo or background image (`uri`; draft 13 called it `url`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Logo {
    /// Where the image is.
    #[serde(alias = "url")]
    pub uri: String,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An algorithm identifier: a JOSE name, or a COSE number (mdoc, Appendix A.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AlgorithmId {
    /// A JOSE algorithm name such as `ES256`.
    Name(String),
    /// A COSE algorithm number such as `-7`.
    Cose(i64),
}

/// One entry of `credential_configurations_supported` (Section 12.2.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ConfigurationWire")]
pub struct CredentialConfiguration {
    /// The credential format.
    pub format: CredentialFormat,
    /// OAuth scope value for requesting this credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Algorithms the issuer signs this credential with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_signing_alg_values_supported: Option<Vec<AlgorithmId>>,
    /// Key binding methods (`jwk`, `cose_key`, `did:key`, …); present iff binding is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cryptographic_binding_methods_supported: Option<Vec<String>>,
    /// Proof types and their algorithms; present iff binding methods are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_types_supported: Option<ProofTypesSupported>,
    /// Display and claims description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_metadata: Option<CredentialMetadata>,
    /// SD-JWT VC type (Appendix A.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct: Option<String>,
    /// mdoc document type (Appendix A.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctype: Option<String>,
    /// W3C VC definition (Appendix A.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_definition: Option<CredentialDefinition>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `credential_definition` of the W3C VC formats (Appendix A.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialDefinition {
    /// JSON-LD contexts (`ldp_vc`, `jwt_vc_json-ld`).
    #[serde(rename = "@context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<Value>>,
    /// Credential types.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    /// Extension members (draft 13's `credentialSubject` is moved out when normalising metadata).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `credential_metadata` (Section 12.2.4): how to display the credential and its claims.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialMetadata {
    /// Display properties of the credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<Display>>,
    /// Claims descriptions (Appendix B.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimDescription>>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A claim description (Appendix B.2): a claims path pointer plus display hints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimDescription {
    /// Claims path pointer: strings (object keys), non-negative integers (array indices), `null` (all).
    pub path: Vec<Value>,
    /// Whether the issuer always includes this claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// Display names per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<Display>>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `proof_types_supported` (Section 12.2.4): proof type name → what the issuer accepts for it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProofTypesSupported(pub BTreeMap<String, ProofTypeMetadata>);

impl ProofTypesSupported {
    /// The entry for a proof type (`jwt`, `attestation`, `di_vp`).
    pub fn get(&self, proof_type: &str) -> Option<&ProofTypeMetadata> {
        self.0.get(proof_type)
    }

    /// Supported proof types.
    pub fn proof_types(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// What the issuer accepts for one proof type (Section 12.2.4).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProofTypeMetadata {
    /// Non-empty list of accepted signing algorithms (or cryptosuites for `di_vp`).
    pub proof_signing_alg_values_supported: Vec<String>,
    /// Present when a key attestation is required (empty object: without further constraints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestations_required: Option<KeyAttestationsRequired>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `key_attestations_required` (Section 12.2.4, Appendix D.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttestationsRequired {
    /// Accepted attack-potential resistance values of the key storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_storage: Option<Vec<String>>,
    /// Accepted attack-potential resistance values of user authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_authentication: Option<Vec<String>>,
}

/// The wire form of a configuration, before draft-13 fields are normalised.
#[derive(Deserialize)]
struct ConfigurationWire {
    format: CredentialFormat,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    credential_signing_alg_values_supported: Option<Vec<AlgorithmId>>,
    #[serde(default)]
    cryptographic_binding_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    proof_types_supported: Option<ProofTypesSupported>,
    #[serde(default)]
    credential_metadata: Option<CredentialMetadata>,
    #[serde(default)]
    vct: Option<String>,
    #[serde(default)]
    doctype: Option<String>,
    #[serde(default)]
    credential_definition: Option<CredentialDefinition>,
    /// Draft 13: display directly in the configuration.
    #[serde(default)]
    display: Option<Vec<Display>>,
    /// Draft 13: format-specific claims object.
    #[serde(default)]
    claims: Option<Value>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl From<ConfigurationWire> for CredentialConfiguration {
    fn from(w: ConfigurationWire) -> Self {
        let mut credential_definition = w.credential_definition;
        let mut extra = w.extra;
        let mut legacy_claims = Vec::new();
        match w.claims {
            Some(Value::Object(map)) => {
                flatten_legacy_claims(&map, &mut Vec::new(), &mut legacy_claims)
            }
            Some(Value::Array(_)) | None => {}
            Some(other) => {
                extra.insert("claims".into(), other);
            }
        }
        if let Some(def) = credential_definition.as_mut() {
            if let Some(Value::Object(subject)) = def.extra.remove("credentialSubject") {
                let mut prefix = vec![Value::String("credentialSubject".into())];
                flatten_legacy_claims(&subject, &mut prefix, &mut legacy_claims);
            }
        }
        let mut credential_metadata = w.credential_metadata;
        if w.display.is_some() || !legacy_claims.is_empty() {
            let meta = credential_metadata.get_or_insert_with(CredentialMetadata::default);
            if meta.display.is_none() {
                meta.display = w.display;
            }
            if meta.claims.is_none() && !legacy_claims.is_empty() {
                meta.claims = Some(legacy_claims);
            }
        }
        CredentialConfiguration {
            format: w.format,
            scope: w.scope,
            credential_signing_alg_values_supported: w.credential_signing_alg_values_supported,
            cryptographic_binding_methods_supported: w.cryptographic_binding_methods_supported,
            proof_types_supported: w.proof_types_supported,
            credential_metadata,
            vct: w.vct,
            doctype: w.doctype,
            credential_definition,
            extra,
        }
    }
}

/// Keys a draft-13 claim leaf may carry; an object with only these keys describes one claim.
const LEGACY_LEAF_KEYS: [&str; 3] = ["mandatory", "value_type", "display"];

/// Turns draft 13's nested claims object into 1.0 claim descriptions with paths.
fn flatten_legacy_claims(
    map: &Map<String, Value>,
    prefix: &mut Vec<Value>,
    out: &mut Vec<ClaimDescription>,
) {
    const MAX_DEPTH: usize = 16;
    for (name, value) in map {
        prefix.push(Value::String(name.clone()));
        let obj = value.as_object();
        let is_leaf = obj.is_none_or(|o| o.keys().all(|k| LEGACY_LEAF_KEYS.contains(&k.as_str())));
        if is_leaf || prefix.len() >= MAX_DEPTH {
            let mut desc = ClaimDescription {
                path: prefix.clone(),
                ..ClaimDescription::default()
            };
            if let Some(o) = obj {
                desc.mandatory = o.get("mandatory").and_then(Value::as_bool);
                desc.display = o
                    .get("display")
                    .and_then(|d| serde_json::from_value(d.clone()).ok());
                if let Some(vt) = o.get("value_type") {
                    desc.extra.insert("value_type".into(), vt.clone());
                }
            }
            out.push(desc);
        } else if let Some(o) = obj {
            flatten_legacy_claims(o, prefix, out);
        }
        prefix.pop();
    }
}

impl CredentialConfiguration {
    /// An SD-JWT VC (`dc+sd-jwt`) configuration bound to holder keys proven with ES256 `jwt` proofs.
    pub fn sd_jwt_vc(vct: impl Into<String>) -> Self {
        let mut proof_types = BTreeMap::new();
        proof_types.insert(
            "jwt".to_owned(),
            ProofTypeMetadata {
                proof_signing_alg_values_supported: vec!["ES256".into(), "EdDSA".into()],
                key_attestations_required: None,
                extra: Map::new(),
            },
        );
        CredentialConfiguration {
            format: CredentialFormat::DcSdJwt,
            scope: None,
            credential_signing_alg_values_supported: Some(vec![AlgorithmId::Name("ES256".into())]),
            cryptographic_binding_methods_supported: Some(vec!["jwk".into(), "did:key".into()]),
            proof_types_supported: Some(ProofTypesSupported(proof_types)),
            credential_metadata: None,
            vct: Some(vct.into()),
            doctype: None,
            credential_definition: None,
            extra: Map::new(),
        }
    }

    /// An ISO mdoc (`mso_mdoc`, Appendix A.2) configuration for `doctype`: signed with ES256
    /// (COSE algorithm `-7`), bound to a holder key given as a COSE_Key (`cose_key`), proven
    /// with ES256 `jwt` proofs (the device key of an mdoc is a P-256 EC2 key).
    pub fn mso_mdoc(doctype: impl Into<String>) -> Self {
        let mut proof_types = BTreeMap::new();
        proof_types.insert(
            "jwt".to_owned(),
            ProofTypeMetadata {
                proof_signing_alg_values_supported: vec!["ES256".into()],
                key_attestations_required: None,
                extra: Map::new(),
            },
        );
        CredentialConfiguration {
            format: CredentialFormat::MsoMdoc,
            scope: None,
            credential_signing_alg_values_supported: Some(vec![AlgorithmId::Cose(-7)]),
            cryptographic_binding_methods_supported: Some(vec!["cose_key".into()]),
            proof_types_supported: Some(ProofTypesSupported(proof_types)),
            credential_metadata: None,
            vct: None,
            doctype: Some(doctype.into()),
            credential_definition: None,
            extra: Map::new(),
        }
    }

    /// Checks the MUSTs of Section 12.2.4 for one configuration: proof types non-empty, each
    /// with a non-empty `proof_signing_alg_values_supported`.
    ///
    /// The rule that `proof_types_supported` is present iff `cryptographic_binding_methods_supported`
    /// is, is not enforced on input: the spec's own `ldp_vc` example breaks it. An issuer decides
    /// whether a proof is needed with [`CredentialConfiguration::requires_proof`].
    pub fn validate(&self, id: &str) -> Result<(), MessageError> {
        let code = ErrorCode::InvalidRequest;
        let field = |name: &str| format!("credential_configurations_supported.{id}.{name}");
        if let Some(types) = &self.proof_types_supported {
            if types.0.is_empty() {
                return Err(MessageError::invalid(
                    code,
                    &field("proof_types_supported"),
                    "must not be empty",
                ));
            }
            if types
                .0
                .values()
                .any(|t| t.proof_signing_alg_values_supported.is_empty())
            {
                return Err(MessageError::invalid(
                    code,
                    &field("proof_types_supported"),
                    "proof_signing_alg_values_supported must be a non-empty array",
                ));
            }
        }
        Ok(())
    }

    /// Whether a key proof is needed for this credential.
    pub fn requires_proof(&self) -> bool {
        self.proof_types_supported.is_some()
    }
}

impl CredentialIssuerMetadata {
    /// Minimal metadata for an issuer that is its own authorization server, with the standard
    /// endpoint paths below the identifier.
    pub fn new(credential_issuer: impl Into<String>) -> Self {
        let issuer: String = credential_issuer.into();
        let base = issuer.trim_end_matches('/').to_owned();
        CredentialIssuerMetadata {
            credential_issuer: issuer,
            authorization_servers: None,
            credential_endpoint: format!("{base}/credential"),
            nonce_endpoint: Some(format!("{base}/nonce")),
            deferred_credential_endpoint: Some(format!("{base}/deferred_credential")),
            notification_endpoint: Some(format!("{base}/notification")),
            credential_request_encryption: None,
            credential_response_encryption: None,
            batch_credential_issuance: None,
            display: None,
            credential_configurations_supported: BTreeMap::new(),
            extra: Map::new(),
        }
    }

    /// Parses and validates a metadata document.
    pub fn from_json(body: &[u8]) -> Result<Self, MessageError> {
        let metadata: CredentialIssuerMetadata = parse_json(body, ErrorCode::InvalidRequest)?;
        metadata.validate()?;
        Ok(metadata)
    }

    /// Checks the MUSTs of Section 12.2.4.
    pub fn validate(&self) -> Result<(), MessageError> {
        let code = ErrorCode::InvalidRequest;
        crate::url_rules::check_https_url(&self.credential_issuer)
            .map_err(|r| MessageError::invalid(code.clone(), "credential_issuer", r))?;
        crate::url_rules::check_http_url(&self.credential_endpoint)
            .map_err(|r| MessageError::invalid(code.clone(), "credential_endpoint", r))?;
        if let Some(servers) = &self.authorization_servers {
            if servers.is_empty() {
                return Err(MessageError::invalid(
                    code,
                    "authorization_servers",
                    "must be a non-empty array",
                ));
            }
        }
        if let Some(batch) = &self.batch_credential_issuance {
            if batch.batch_size < 2 {
                return Err(MessageError::invalid(
                    code,
                    "batch_credential_issuance.batch_size",
                    "must be 2 or more",
                ));
            }
        }
        for (id, config) in &self.credential_configurations_supported {
            config.validate(id)?;
        }
        Ok(())
    }

    /// The largest number of proofs one credential request may carry (1 without batch issuance).
    pub fn max_proofs(&self) -> usize {
        self.batch_credential_issuance
            .as_ref()
            .map_or(1, |b| b.batch_size as usize)
    }
}

/// OAuth 2.0 Authorization Server Metadata (RFC 8414) with the OID4VCI parameter of Section 12.3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The authorization server's issuer identifier.
    pub issuer: String,
    /// URL of the token endpoint.
    pub token_endpoint: String,
    /// URL of the authorization endpoint, when the authorization code flow is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// Supported grant types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// Supported response types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    /// Token endpoint client authentication methods (`none` for public clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// DPoP algorithms (RFC 9449 §5.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// Section 12.3: whether the pre-authorized code grant works without a `client_id`.
    #[serde(
        rename = "pre-authorized_grant_anonymous_access_supported",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_grant_anonymous_access_supported: Option<bool>,
    /// Supported `authorization_details` types (RFC 9396 §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details_types_supported: Option<Vec<String>>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod well_known_tests {
    use super::metadata_url;

    #[test]
    fn metadata_url_inserts_the_well_known_segment_after_the_host() {
        assert_eq!(
            metadata_url("https://issuer.example.com"),
            "https://issuer.example.com/.well-known/openid-credential-issuer"
        );
        assert_eq!(
            metadata_url("https://issuer.example.com/tenant/"),
            "https://issuer.example.com/.well-known/openid-credential-issuer/tenant"
        );
    }
}
