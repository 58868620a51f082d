//! Placeholder (work in progress).
#![forbid(unsafe_code)]
/// Placeholder.
#[derive(Debug, serde::Deserialize)]
pub struct CredentialOffer {
    /// ids
    pub credential_configuration_ids: Vec<String>,
}
