//! Notification Request (OID4VCI 1.0 Section 11.1). Success is `204 No Content` (11.2).

use crate::error::{is_valid_error_description, ErrorCode};
use crate::parse::{parse_json, MessageError};
use crate::string_enum::string_enum;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

string_enum! {
    /// What happened to the issued credential (Section 11.1; case-sensitive).
    pub enum NotificationEvent {
        /// The credential was successfully stored in the wallet.
        CredentialAccepted = "credential_accepted",
        /// Issuance failed for a reason other than a user action.
        CredentialFailure = "credential_failure",
        /// The user's action caused issuance to fail (for example, they declined it).
        CredentialDeleted = "credential_deleted",
    }
}

/// A notification (Section 11.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationRequest {
    /// From the credential response.
    pub notification_id: String,
    /// The event.
    pub event: NotificationEvent,
    /// ASCII text describing the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_description: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NotificationRequest {
    /// Parses and validates a JSON body. Malformed bodies, unknown events and an
    /// `event_description` outside RFC 6749 §5.2's character set answer `invalid_notification_request`.
    pub fn from_json(body: &[u8]) -> Result<Self, MessageError> {
        let req: NotificationRequest = parse_json(body, ErrorCode::InvalidNotificationRequest)?;
        req.validate()?;
        Ok(req)
    }

    /// Checks the rules of Section 11.1.
    pub fn validate(&self) -> Result<(), MessageError> {
        let code = ErrorCode::InvalidNotificationRequest;
        if self.notification_id.is_empty() {
            return Err(MessageError::invalid(
                code,
                "notification_id",
                "must not be empty",
            ));
        }
        if let NotificationEvent::Other(e) = &self.event {
            return Err(MessageError::invalid(
                code,
                "event",
                format!("`{e}` is not one of credential_accepted, credential_failure, credential_deleted"),
            ));
        }
        if let Some(d) = &self.event_description {
            if !is_valid_error_description(d) {
                return Err(MessageError::invalid(
                    code,
                    "event_description",
                    "must be printable ASCII without double quote or backslash (OID4VCI 1.0 Section 11.1)",
                ));
            }
        }
        Ok(())
    }
}
