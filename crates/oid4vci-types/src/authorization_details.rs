//! `authorization_details` of type `openid_credential` (OID4VCI 1.0 Section 5.1.1, RFC 9396),
//! as sent in authorization and token requests (6.1.1) and returned in token responses (6.2).

use crate::error::ErrorCode;
use crate::metadata::CredentialFormat;
use crate::parse::{parse_json, MessageError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `type` value of OID4VCI authorization details.
pub const OPENID_CREDENTIAL: &str = "openid_credential";

/// Largest number of entries accepted in one `authorization_details` array.
pub const MAX_AUTHORIZATION_DETAILS: usize = 32;

/// One authorization details object (Section 5.1.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationDetail {
    /// Always `openid_credential` for OID4VCI; other RFC 9396 types are kept as sent.
    #[serde(rename = "type")]
    pub detail_type: String,
    /// The requested configuration (REQUIRED in 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_configuration_id: Option<String>,
    /// Token response only: the credential datasets the access token can issue (Section 6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_identifiers: Option<Vec<String>>,
    /// Credential issuer identifiers, when the authorization server is separate (Section 5.1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<String>>,
    /// Claims the wallet asks for (Appendix B), kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Value>,
    /// Draft 13: format instead of a configuration id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<CredentialFormat>,
    /// Extension and format-specific members (draft 13's `vct`, `doctype`, `credential_definition`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AuthorizationDetail {
    /// An `openid_credential` entry for one configuration.
    pub fn for_configuration(id: impl Into<String>) -> Self {
        AuthorizationDetail {
            detail_type: OPENID_CREDENTIAL.to_owned(),
            credential_configuration_id: Some(id.into()),
            credential_identifiers: None,
            locations: None,
            claims: None,
            format: None,
            extra: Map::new(),
        }
    }

    /// Parses the JSON array a token or authorization request carries (a string inside a form body).
    pub fn parse_list(json: &str) -> Result<Vec<AuthorizationDetail>, MessageError> {
        let list: Vec<AuthorizationDetail> =
            parse_json(json.as_bytes(), ErrorCode::InvalidAuthorizationDetails)?;
        if list.is_empty() || list.len() > MAX_AUTHORIZATION_DETAILS {
            return Err(MessageError::invalid(
                ErrorCode::InvalidAuthorizationDetails,
                "authorization_details",
                format!("must be a non-empty array of at most {MAX_AUTHORIZATION_DETAILS} objects"),
            ));
        }
        for detail in &list {
            detail.validate()?;
        }
        Ok(list)
    }

    /// Checks an `openid_credential` entry names its credential (Section 5.1.1): a
    /// `credential_configuration_id`, or draft 13's `format`.
    pub fn validate(&self) -> Result<(), MessageError> {
        if self.detail_type != OPENID_CREDENTIAL {
            return Err(MessageError::invalid(
                ErrorCode::InvalidAuthorizationDetails,
                "authorization_details.type",
                format!(
                    "`{}` is not supported; expected `{OPENID_CREDENTIAL}`",
                    self.detail_type
                ),
            ));
        }
        if self.credential_configuration_id.is_none() && self.format.is_none() {
            return Err(MessageError::missing(
                ErrorCode::InvalidAuthorizationDetails,
                "authorization_details.credential_configuration_id",
            ));
        }
        if let Some(ids) = &self.credential_identifiers {
            if ids.is_empty() {
                return Err(MessageError::invalid(
                    ErrorCode::InvalidAuthorizationDetails,
                    "authorization_details.credential_identifiers",
                    "must be a non-empty array (Section 6.2)",
                ));
            }
        }
        Ok(())
    }
}
