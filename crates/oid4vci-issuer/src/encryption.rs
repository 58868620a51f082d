//! Credential request and response encryption (OID4VCI 1.0 Section 8.2 and 10): the
//! [`MessageEncryption`] port, and the rules the service applies with it.
//!
//! A wallet may send its Credential (or Deferred Credential) Request as a compact JWE
//! (`application/jwt`) encrypted to a key of the issuer's `credential_request_encryption.jwks`,
//! and may ask for the response to be encrypted to its own key with
//! `credential_response_encryption`; the response is then a JWE (`application/jwt`) whatever its
//! content. Error responses are never encrypted. Either direction can be required by the issuer.
//!
//! The JWE work itself lives behind [`MessageEncryption`] (implemented on josekit by the
//! `oid4vci-jwe` crate), so the issuer core carries no JOSE encryption code of its own.

use oid4vci_types::CredentialResponseEncryption;
use serde_json::Value;

/// Why a JWE could not be opened or made. Each reason is shown to the wallet as the
/// `error_description` of `invalid_encryption_parameters`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EncryptionError(pub String);

/// Encrypted credential requests and responses. Implementations hold the issuer's decryption
/// keys; every method is synchronous and must not panic on wallet input.
pub trait MessageEncryption: Send + Sync + 'static {
    /// The `credential_request_encryption` metadata member (`jwks` with public keys only,
    /// `enc_values_supported`, `zip_values_supported`, `encryption_required`), or `None` when
    /// requests cannot be encrypted.
    fn request_metadata(&self) -> Option<Value>;

    /// The `credential_response_encryption` metadata member (`alg_values_supported`,
    /// `enc_values_supported`, `zip_values_supported`, `encryption_required`), or `None` when
    /// responses are never encrypted.
    fn response_metadata(&self) -> Option<Value>;

    /// Decrypts a compact JWE request; returns the plaintext (the JSON request).
    fn decrypt_request(&self, jwe: &str) -> Result<Vec<u8>, EncryptionError>;

    /// Checks the wallet's response encryption parameters before anything is issued, so a
    /// credential is never minted for a response that cannot be encrypted.
    fn check_response_parameters(
        &self,
        parameters: &CredentialResponseEncryption,
    ) -> Result<(), EncryptionError>;

    /// Encrypts `plaintext` (the JSON response) for the wallet; returns a compact JWE.
    fn encrypt_response(
        &self,
        plaintext: &[u8],
        parameters: &CredentialResponseEncryption,
    ) -> Result<String, EncryptionError>;
}

/// Reads `encryption_required` of a metadata member.
pub(crate) fn required(member: Option<&Value>) -> bool {
    member
        .and_then(|m| m.get("encryption_required"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}
