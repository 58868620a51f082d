//! The adapter's table of HTTP statuses (`oid4vci_axum::error_status`, `credential_status`):
//! every refusal cause's status at every endpoint, and the statuses of the spec's own example responses (OID4VCI
//! 1.0 Sections 6.3, 8.3, 8.3.1.2, 9.2, 9.3, 11.3), read from `testdata/messages/spec`.

use axum::http::StatusCode;
use oid4vci_axum::{credential_status, error_reply, error_status, Endpoint};
use oid4vci_issuer::{Cause, Refusal};
use oid4vci_types::{CredentialResponse, ErrorCode, ErrorResponse};
use serde_json::Value;

/// The status each wire code is sent with at a protected resource.
fn status_of_code(code: &ErrorCode) -> u16 {
    match code {
        ErrorCode::InvalidClient
        | ErrorCode::InvalidToken
        | ErrorCode::InvalidDpopProof
        | ErrorCode::UseDpopNonce => 401,
        ErrorCode::InsufficientScope => 403,
        ErrorCode::ServerError => 500,
        ErrorCode::TemporarilyUnavailable => 503,
        _ => 400,
    }
}

#[test]
fn every_cause_has_its_status_at_every_endpoint() {
    let endpoints = [
        Endpoint::AuthorizationServer,
        Endpoint::CredentialOffer,
        Endpoint::Resource,
        Endpoint::LoginPage,
    ];
    for cause in Cause::ALL.iter().copied() {
        let refusal = Refusal::new(cause, "x");
        let code = cause.error_code();
        for at in endpoints {
            let expected = match (cause, at) {
                // RFC 9126 Section 2.3: too many pushed requests from one address.
                (Cause::ParRateLimited, _) => 429,
                (Cause::OfferUnknown, Endpoint::CredentialOffer) => 404,
                // RFC 9449 Section 5: a refused DPoP proof at the token endpoint (and PAR) is 400.
                (_, Endpoint::AuthorizationServer)
                    if matches!(code, ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce) =>
                {
                    400
                }
                _ => status_of_code(&code),
            };
            assert_eq!(
                error_status(&refusal, at).as_u16(),
                expected,
                "{cause} at {at:?}"
            );
            // An outage: 503 whatever the cause (a rate limit stays 429).
            let retry = if cause == Cause::ParRateLimited {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            assert_eq!(
                error_status(&refusal.clone().with_retry_after(2), at),
                retry,
                "{cause} at {at:?}"
            );
        }
    }
    assert_eq!(credential_status(true), StatusCode::ACCEPTED);
    assert_eq!(credential_status(false), StatusCode::OK);
}

#[test]
fn dpop_refusals_carry_www_authenticate_only_at_resources() {
    let refusal = Refusal::new(Cause::DpopProofInvalid, "bad proof");
    let at_resource = error_reply(&refusal, Endpoint::Resource);
    assert_eq!(at_resource.status(), StatusCode::UNAUTHORIZED);
    let challenge = at_resource.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("DPoP error=\"invalid_dpop_proof\""),
        "{challenge}"
    );
    let at_token = error_reply(&refusal, Endpoint::AuthorizationServer);
    assert_eq!(at_token.status(), StatusCode::BAD_REQUEST);
    assert!(at_token.headers().get("www-authenticate").is_none());
    let outage = error_reply(
        &Refusal::new(Cause::StoreUnavailable, "down").with_retry_after(2),
        Endpoint::Resource,
    );
    assert_eq!(outage.headers()["retry-after"], "2");
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
        // A refusal the issuer can make with the example's code.
        let cause = Cause::ALL
            .iter()
            .copied()
            .find(|c| c.error_code() == error.error)
            .expect(key);
        let refusal = Refusal::new(cause, "x");
        assert_eq!(
            error_status(&refusal, Endpoint::Resource).as_u16(),
            status,
            "{key}"
        );
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
