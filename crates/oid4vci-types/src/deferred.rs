//! Deferred Credential Request (OID4VCI 1.0 Section 9.1). The response has the shape of a
//! [`CredentialResponse`](crate::CredentialResponse) (Section 9.2).

use crate::credential::CredentialResponseEncryption;
use crate::error::ErrorCode;
use crate::parse::{parse_json, MessageError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The Deferred Credential Response: the same shape as a credential response (Section 9.2).
pub type DeferredCredentialResponse = crate::credential::CredentialResponse;

/// `{"transaction_id": "…"}` (Section 9.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeferredCredentialRequest {
    /// The transaction id from the deferred credential response.
    pub transaction_id: String,
    /// Response encryption for this response; without it the response is not encrypted (9.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<CredentialResponseEncryption>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DeferredCredentialRequest {
    /// A request for a transaction id.
    pub fn new(transaction_id: impl Into<String>) -> Self {
        DeferredCredentialRequest {
            transaction_id: transaction_id.into(),
            credential_response_encryption: None,
            extra: Map::new(),
        }
    }

    /// Parses a JSON body; malformed bodies answer `invalid_credential_request` (Section 9.3 uses
    /// the codes of 8.3.1), an empty `transaction_id` answers `invalid_transaction_id`.
    pub fn from_json(body: &[u8]) -> Result<Self, MessageError> {
        let req: DeferredCredentialRequest = parse_json(body, ErrorCode::InvalidCredentialRequest)?;
        if req.transaction_id.is_empty() {
            return Err(MessageError::invalid(
                ErrorCode::InvalidTransactionId,
                "transaction_id",
                "must not be empty",
            ));
        }
        Ok(req)
    }
}
