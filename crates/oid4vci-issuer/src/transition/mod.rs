//! Pure transitions: each takes a session (mutably, as a working copy), the request, and `now`
//! plus values the service generated (random tokens), records an event, and returns the output
//! or the error response. No I/O, no clock, no randomness: every rule is unit-testable.

pub mod authorization;
pub mod credential;
pub mod deferred;
pub mod notification;
pub mod token;

use oid4vci_types::{ErrorCode, ErrorResponse};

/// An error response with a description.
pub(crate) fn reject(code: ErrorCode, description: impl AsRef<str>) -> ErrorResponse {
    ErrorResponse::new(code).with_description(description)
}
