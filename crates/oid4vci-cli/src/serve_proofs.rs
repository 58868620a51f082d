//! `[proofs]` of `oid4vci serve --config`: trust anchors for `x5c` proofs, trusted key
//! attesters (CAs or JWKs), required key attestations, the `iat` window. Required key
//! attestations are written into every configuration's proof types (`key_attestations_required`,
//! OID4VCI 1.0 Section 12.2.4), which is also what the credential endpoint enforces.
//!
//! ```toml
//! [proofs]
//! x5c_trust_anchors = ["wallet-ca.pem"]
//! key_attester_trust_anchors = ["attester-ca.pem"]
//! key_attester_jwks = ["attester.jwk"]
//! key_attestations_required = { key_storage = ["iso_18045_high"] }
//! max_iat_age = 300
//! ```

use crate::serve_config::ProofsEntry;
use oid4vci_issuer::StandardProofCheck;
use oid4vci_proof::{KeyAttestationRequirement, ProofPolicy, PublicKey};
use oid4vci_types::{CredentialIssuerMetadata, KeyAttestationsRequired};

/// Largest JWK file read.
const MAX_JWK_BYTES: u64 = 64 * 1024;

fn jwk_file(path: &std::path::Path) -> Result<PublicKey, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("[proofs] {}: {e}", path.display()))?
        .len();
    if size > MAX_JWK_BYTES {
        return Err(format!(
            "[proofs] {}: {size} bytes is not a JWK",
            path.display()
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("[proofs] {}: {e}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("[proofs] {}: {e}", path.display()))?;
    PublicKey::from_jwk_value(&value).map_err(|e| format!("[proofs] {}: {e}", path.display()))
}

/// The proof check of `entry`; required key attestations are also written into `metadata`.
pub fn proof_check(
    entry: &ProofsEntry,
    metadata: &mut CredentialIssuerMetadata,
) -> Result<StandardProofCheck, String> {
    let mut policy = ProofPolicy {
        allow_self_signed_x5c: entry.allow_self_signed_x5c,
        ..ProofPolicy::default()
    };
    if let Some(age) = entry.max_iat_age {
        policy.max_iat_age = age;
    }
    for path in &entry.x5c_trust_anchors {
        policy
            .x5c_trust_anchors
            .extend(crate::proof_cmd::pem_certificates(path)?);
    }
    for path in &entry.key_attester_trust_anchors {
        policy
            .key_attestation_trust_anchors
            .extend(crate::proof_cmd::pem_certificates(path)?);
    }
    for path in &entry.key_attester_jwks {
        policy.key_attestation_trusted_keys.push(jwk_file(path)?);
    }
    if let Some(required) = &entry.key_attestations_required {
        if policy.key_attestation_trust_anchors.is_empty()
            && policy.key_attestation_trusted_keys.is_empty()
        {
            return Err(
                "[proofs] key_attestations_required needs key_attester_trust_anchors or key_attester_jwks"
                    .into(),
            );
        }
        policy.key_attestations_required = Some(KeyAttestationRequirement {
            key_storage: required.key_storage.clone(),
            user_authentication: required.user_authentication.clone(),
        });
        let advertised = KeyAttestationsRequired {
            key_storage: Some(required.key_storage.clone()).filter(|v| !v.is_empty()),
            user_authentication: Some(required.user_authentication.clone())
                .filter(|v| !v.is_empty()),
        };
        for configuration in metadata.credential_configurations_supported.values_mut() {
            for proof_type in (configuration.proof_types_supported.iter_mut())
                .flat_map(|types| types.0.values_mut())
            {
                proof_type.key_attestations_required = Some(advertised.clone());
            }
        }
    }
    Ok(StandardProofCheck::new(policy))
}
