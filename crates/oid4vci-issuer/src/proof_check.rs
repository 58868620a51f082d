//! [`ProofCheck`]: the port through which the credential endpoint validates key proofs, and
//! [`StandardProofCheck`], its implementation on `oid4vci-proof`.

use crate::refusal::{Cause, Refusal};
use oid4vci_proof::{
    ClientIdentity, KeyAttestationRequirement, NonceCheck, NonceVerifier, ProofContext, ProofError,
    ProofPolicy, ProofValidator,
};
use oid4vci_types::{ProofTypeMetadata, Proofs};
use serde_json::Value;

/// What the issuer knows when it checks the proofs of one credential request.
pub struct ProofCheckInput<'a> {
    /// The Credential Issuer Identifier (expected `aud`).
    pub audience: &'a str,
    /// Checks a proof's `nonce` (freshness, authenticity); `None` when the issuer has no Nonce Endpoint.
    pub nonces: Option<&'a dyn NonceVerifier>,
    /// The token's client id; `None` means anonymous pre-authorized access (then `iss` must be absent).
    pub client_id: Option<&'a str>,
    /// The metadata entry for the proof type used.
    pub proof_type: &'a ProofTypeMetadata,
    /// The issuer's `batch_size` (1 without batch issuance).
    pub max_proofs: usize,
    /// The session demands key attestations.
    pub require_key_attestation: bool,
    /// Now, in seconds since the Unix epoch.
    pub now: u64,
}

/// Proofs that passed every check: the holder keys to bind and the nonce to consume.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedProofs {
    /// Holder public keys (JWKs), one credential each.
    pub holder_keys: Vec<Value>,
    /// The `c_nonce` the proofs carried.
    pub nonce: Option<String>,
    /// Where the keys came from (`jwk`, `did:key`, `x5c`, `key_attestation`, …).
    pub key_source: String,
}

/// Validates the `proofs` of a credential request.
pub trait ProofCheck: Send + Sync + 'static {
    /// Checks every proof; all must pass. A refusal is built with [`Refusal::proof`] (or
    /// [`refusal_from`] for an `oid4vci-proof` error), so the wallet gets the diagnostic.
    fn check(&self, proofs: &Proofs, input: &ProofCheckInput<'_>)
        -> Result<CheckedProofs, Refusal>;

    /// What this check accepts, so the issuer metadata can say so (Section 12.2.4). Unknown by
    /// default.
    fn capabilities(&self) -> ProofCapabilities {
        ProofCapabilities::default()
    }
}

/// What a [`ProofCheck`] accepts, as far as the metadata must tell wallets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProofCapabilities {
    /// Key attestations can be verified (trusted attesters are configured); `None`: unknown.
    pub accepts_key_attestations: Option<bool>,
    /// Every proof must carry a key attestation.
    pub requires_key_attestations: bool,
}

impl ProofCapabilities {
    /// Makes `metadata` say what the check accepts: the `attestation` proof type where key
    /// attestations are accepted (with the `jwt` type's algorithms), and
    /// `key_attestations_required` on every proof type when they are required.
    pub fn advertise(&self, metadata: &mut oid4vci_types::CredentialIssuerMetadata) {
        for configuration in metadata.credential_configurations_supported.values_mut() {
            let Some(types) = configuration.proof_types_supported.as_mut() else {
                continue;
            };
            if self.accepts_key_attestations == Some(true) && !types.0.contains_key("attestation") {
                if let Some(jwt) = types.0.get("jwt") {
                    let attestation = oid4vci_types::ProofTypeMetadata {
                        proof_signing_alg_values_supported: jwt
                            .proof_signing_alg_values_supported
                            .clone(),
                        key_attestations_required: jwt.key_attestations_required.clone(),
                        ..Default::default()
                    };
                    types.0.insert("attestation".into(), attestation);
                }
            }
            if self.requires_key_attestations {
                for proof_type in types.0.values_mut() {
                    proof_type
                        .key_attestations_required
                        .get_or_insert_with(Default::default);
                }
            }
        }
    }
}

/// [`ProofCheck`] on `oid4vci-proof`'s [`ProofValidator`], narrowing a base policy per request to
/// the configuration's algorithms, batch size and key attestation requirement.
#[derive(Clone, Debug, Default)]
pub struct StandardProofCheck {
    /// The base policy (trust anchors, iat window, DID resolver).
    pub policy: ProofPolicy,
}

impl StandardProofCheck {
    /// A check with the given base policy.
    pub fn new(policy: ProofPolicy) -> Self {
        StandardProofCheck { policy }
    }
}

/// The refusal of a proof `oid4vci-proof` rejected: `invalid_nonce` for a nonce problem,
/// `invalid_proof` otherwise, with the diagnostic (code, reason, help, expected, found, spec
/// section) for the wallet.
pub fn refusal_from(error: &ProofError) -> Refusal {
    let diagnostic = error.diagnostic();
    let cause = if error.oauth_error() == "invalid_nonce" {
        Cause::ProofNonceInvalid
    } else {
        Cause::ProofInvalid
    };
    Refusal::proof(
        cause,
        diagnostic.error_description(),
        error.code(),
        serde_json::to_value(&diagnostic).ok(),
    )
}

impl ProofCheck for StandardProofCheck {
    fn capabilities(&self) -> ProofCapabilities {
        ProofCapabilities {
            accepts_key_attestations: Some(
                !self.policy.key_attestation_trust_anchors.is_empty()
                    || !self.policy.key_attestation_trusted_keys.is_empty(),
            ),
            requires_key_attestations: self.policy.key_attestations_required.is_some(),
        }
    }

    fn check(
        &self,
        proofs: &Proofs,
        input: &ProofCheckInput<'_>,
    ) -> Result<CheckedProofs, Refusal> {
        let mut policy = self
            .policy
            .clone()
            .narrow_algs(&input.proof_type.proof_signing_alg_values_supported);
        policy.batch_size = input.max_proofs.max(1);
        let required = input.proof_type.key_attestations_required.as_ref();
        let base = self.policy.key_attestations_required.as_ref();
        if required.is_some() || input.require_key_attestation || base.is_some() {
            // The configuration's values, else the base policy's: an empty list in the
            // metadata never lifts a requirement of the issuer's own policy.
            let pick = |named: Option<&Vec<String>>, base: Option<&Vec<String>>| {
                named
                    .filter(|v| !v.is_empty())
                    .or(base)
                    .cloned()
                    .unwrap_or_default()
            };
            policy.key_attestations_required = Some(KeyAttestationRequirement {
                key_storage: pick(
                    required.and_then(|r| r.key_storage.as_ref()),
                    base.map(|b| &b.key_storage),
                ),
                user_authentication: pick(
                    required.and_then(|r| r.user_authentication.as_ref()),
                    base.map(|b| &b.user_authentication),
                ),
            });
        }
        let validator = ProofValidator::new(policy);
        let ctx = ProofContext {
            audience: input.audience,
            nonce: input
                .nonces
                .map_or(NonceCheck::NotRequired, NonceCheck::Verify),
            client: match input.client_id {
                Some(id) => ClientIdentity::Known(id),
                None => ClientIdentity::Anonymous,
            },
            now: input.now,
        };
        let validated = match proofs {
            Proofs::Jwt(jwts) => validator.validate_jwt_proofs(jwts, &ctx),
            Proofs::Attestation(list) => validator.validate_attestation_proofs(list, &ctx),
            other => {
                return Err(Refusal::proof(
                    Cause::ProofTypeUnsupported,
                    format!(
                        "proof type {} is not supported by this issuer; use jwt",
                        other.proof_type()
                    ),
                    "unsupported_proof_type",
                    None,
                ))
            }
        }
        .map_err(|e| refusal_from(&e))?;
        let key_source = validated
            .proofs()
            .first()
            .map(|p| p.key_source().as_str().to_owned())
            .unwrap_or_default();
        Ok(CheckedProofs {
            holder_keys: validated
                .holder_keys()
                .into_iter()
                .map(|k| Value::Object(k.to_jwk()))
                .collect(),
            nonce: validated.nonce().map(str::to_owned),
            key_source,
        })
    }
}
