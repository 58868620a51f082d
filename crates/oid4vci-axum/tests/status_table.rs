//! The adapter's table of HTTP statuses (`oid4vci_axum::error_status`, `credential_status`):
//! every error code's status, and the statuses of the spec's own example responses (OID4VCI
//! 1.0 Sections 6.3, 8.3, 8.3.1.2, 9.2, 9.3, 11.3), read from `testdata/messages/spec`.

use axum::http::StatusCode;
use oid4vci_axum::{credential_status, error_status};
use oid4vci_types::{CredentialResponse, ErrorCode, ErrorResponse};
use serde_json::Value;

#[test]
fn every_error_code_has_its_status() {
    for (code, status) in [
        (ErrorCode::InvalidRequest, 400),
        (ErrorCode::InvalidClient, 401),
        (ErrorCode::InvalidGrant, 400),
        (ErrorCode::UnauthorizedClient, 400),
        (ErrorCode::UnsupportedGrantType, 400),
        (ErrorCode::InvalidScope, 400),
        (ErrorCode::InvalidAuthorizationDetails, 400),
        (ErrorCode::InvalidTxCode, 400),
        (ErrorCode::AuthorizationPending, 400),
        (ErrorCode::SlowDown, 400),
        (ErrorCode::InvalidToken, 401),
        (ErrorCode::InsufficientScope, 403),
        (ErrorCode::InvalidDpopProof, 401),
        (ErrorCode::UseDpopNonce, 401),
        (ErrorCode::InvalidCredentialRequest, 400),
        (ErrorCode::UnknownCredentialConfiguration, 400),
        (ErrorCode::UnknownCredentialIdentifier, 400),
        (ErrorCode::InvalidProof, 400),
        (ErrorCode::InvalidNonce, 400),
        (ErrorCode::InvalidEncryptionParameters, 400),
        (ErrorCode::CredentialRequestDenied, 400),
        (ErrorCode::UnsupportedCredentialType, 400),
        (ErrorCode::UnsupportedCredentialFormat, 400),
        (ErrorCode::IssuancePending, 400),
        (ErrorCode::InvalidTransactionId, 400),
        (ErrorCode::InvalidNotificationId, 400),
        (ErrorCode::InvalidNotificationRequest, 400),
        (ErrorCode::ServerError, 500),
        (ErrorCode::TemporarilyUnavailable, 503),
        (ErrorCode::Other("x_custom".into()), 400),
    ] {
        let refusal = ErrorResponse::new(code.clone());
        assert_eq!(error_status(&refusal).as_u16(), status, "{code}");
        // Temporary: 503 whatever the code.
        assert_eq!(
            error_status(&refusal.with_retry_after(2)),
            StatusCode::SERVICE_UNAVAILABLE,
            "{code}"
        );
    }
    assert_eq!(credential_status(true), StatusCode::ACCEPTED);
    assert_eq!(credential_status(false), StatusCode::OK);
}

#[test]
fn the_spec_examples_get_the_spec_statuses() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/messages/spec/oid4vci_inline_examples.json"
    );
    let text = std::fs::read_to_string(path).expect("the spec's inline examples");
    let examples: Value = serde_json::from_str(&text).expect("JSON");
    let v1 = &examples["v1_0_final"];
    let example = |key: &str| -> (Value, u16) {
        let e = &v1[key];
        let body = e.get("body").cloned().unwrap_or_else(|| e.clone());
        let status = e["status"].as_u64().expect("status") as u16;
        (body, status)
    };
    for key in [
        "token_error_6_3",
        "credential_error_8_3_1_2",
        "deferred_error_9_3",
        "notification_error_11_3",
    ] {
        let (body, status) = example(key);
        let error: ErrorResponse = serde_json::from_value(body).expect(key);
        assert_eq!(error_status(&error).as_u16(), status, "{key}");
    }
    for key in [
        "credential_response_immediate_8_3",
        "credential_response_batch_8_3",
        "credential_response_deferred_8_3",
        "deferred_response_pending_9_2",
    ] {
        let (body, status) = example(key);
        let response: CredentialResponse = serde_json::from_value(body).expect(key);
        let deferred = response.transaction_id.is_some();
        assert_eq!(credential_status(deferred).as_u16(), status, "{key}");
    }
}
