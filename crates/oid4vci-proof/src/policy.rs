//! What the issuer accepts ([`ProofPolicy`]) and what it knows about one request
//! ([`ProofContext`]), plus the traits the embedder implements ([`NonceVerifier`], [`DidResolver`]).

use std::fmt;
use std::sync::Arc;

use crate::key::{Alg, PublicKey};

/// Issuer-wide proof validation policy. Construct with [`Default`] and adjust the public fields.
#[derive(Clone)]
pub struct ProofPolicy {
    /// Accepted `alg` values (default: ES256 and EdDSA). Narrow with
    /// [`ProofPolicy::narrow_algs`] from `proof_signing_alg_values_supported`.
    pub algs: Vec<Alg>,
    /// Maximum age of a proof's `iat`, in seconds (default 300).
    pub max_iat_age: u64,
    /// Maximum clock skew for an `iat` in the future, in seconds (default 60).
    pub max_future_skew: u64,
    /// DER trust anchors (CA or pinned certificates) for `x5c` holder keys.
    pub x5c_trust_anchors: Vec<Vec<u8>>,
    /// Accept a single self-signed `x5c` certificate that chains to no anchor (default false).
    pub allow_self_signed_x5c: bool,
    /// DER trust anchors for key attestations signed with `x5c`.
    pub key_attestation_trust_anchors: Vec<Vec<u8>>,
    /// Public keys of trusted key attesters (for key attestations identified by `kid` or
    /// carrying no key reference).
    pub key_attestation_trusted_keys: Vec<PublicKey>,
    /// `key_attestations_required` from the credential configuration's proof type metadata:
    /// when set, every `jwt` proof must carry a `key_attestation` satisfying it.
    pub key_attestations_required: Option<KeyAttestationRequirement>,
    /// Maximum number of proofs in one request (`batch_credential_issuance.batch_size`,
    /// default 1).
    pub batch_size: usize,
    /// Resolver for DID methods other than the built-in `did:key` and `did:jwk`.
    pub did_resolver: Option<Arc<dyn DidResolver>>,
    /// `cryptographic_binding_methods_supported` (e.g. `jwk`, `did:key`, `did:jwk`); `None`
    /// accepts every method. `jwk`, `x5c` and key attestations bind to a bare key (`jwk`).
    pub binding_methods: Option<Vec<String>>,
    /// Refuse a bare DID as `kid` (without `#fragment`) even for `did:key` / `did:jwk`
    /// (default false: their single key is unambiguous).
    pub require_did_url_fragment: bool,
}

impl Default for ProofPolicy {
    fn default() -> Self {
        ProofPolicy {
            algs: Alg::ALL.to_vec(),
            max_iat_age: 300,
            max_future_skew: 60,
            x5c_trust_anchors: Vec::new(),
            allow_self_signed_x5c: false,
            key_attestation_trust_anchors: Vec::new(),
            key_attestation_trusted_keys: Vec::new(),
            key_attestations_required: None,
            batch_size: 1,
            did_resolver: None,
            binding_methods: None,
            require_did_url_fragment: false,
        }
    }
}

impl ProofPolicy {
    /// Keeps only the algorithms listed in `proof_signing_alg_values_supported` (case-sensitive
    /// JOSE names; names this crate does not implement are ignored).
    pub fn narrow_algs<S: AsRef<str>>(mut self, supported: &[S]) -> Self {
        self.algs
            .retain(|a| supported.iter().any(|s| s.as_ref() == a.as_str()));
        self
    }

    pub(crate) fn accepts_binding(&self, method: &str) -> bool {
        self.binding_methods
            .as_ref()
            .is_none_or(|m| m.iter().any(|x| x == method))
    }
}

impl fmt::Debug for ProofPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofPolicy")
            .field("algs", &self.algs)
            .field("max_iat_age", &self.max_iat_age)
            .field("max_future_skew", &self.max_future_skew)
            .field("x5c_trust_anchors", &self.x5c_trust_anchors.len())
            .field("allow_self_signed_x5c", &self.allow_self_signed_x5c)
            .field(
                "key_attestation_trust_anchors",
                &self.key_attestation_trust_anchors.len(),
            )
            .field(
                "key_attestation_trusted_keys",
                &self.key_attestation_trusted_keys,
            )
            .field("key_attestations_required", &self.key_attestations_required)
            .field("batch_size", &self.batch_size)
            .field(
                "did_resolver",
                &self.did_resolver.as_ref().map(|_| "<resolver>"),
            )
            .field("binding_methods", &self.binding_methods)
            .field("require_did_url_fragment", &self.require_did_url_fragment)
            .finish()
    }
}

/// `key_attestations_required` (OID4VCI 1.0 Section 12.2.4): accepted `key_storage` and
/// `user_authentication` values. An empty list imposes no constraint; otherwise the
/// attestation must list at least one accepted value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyAttestationRequirement {
    /// Accepted `key_storage` values (e.g. `iso_18045_high`).
    pub key_storage: Vec<String>,
    /// Accepted `user_authentication` values.
    pub user_authentication: Vec<String>,
}

/// Per-request facts the validator compares the proof against.
#[derive(Clone, Copy)]
pub struct ProofContext<'a> {
    /// The Credential Issuer Identifier; `aud` must equal it exactly.
    pub audience: &'a str,
    /// How to check `nonce`.
    pub nonce: NonceCheck<'a>,
    /// Who the access token was issued to (drives the `iss` rule).
    pub client: ClientIdentity<'a>,
    /// The current time, unix seconds.
    pub now: u64,
}

impl fmt::Debug for ProofContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofContext")
            .field("audience", &self.audience)
            .field("nonce", &self.nonce)
            .field("client", &self.client)
            .field("now", &self.now)
            .finish()
    }
}

/// How the proof's `nonce` is checked.
#[derive(Clone, Copy)]
pub enum NonceCheck<'a> {
    /// The issuer has no Nonce Endpoint: `nonce` is optional and not checked.
    NotRequired,
    /// Do not check (the CLI without `--nonce`); reported as skipped.
    Skip,
    /// The nonce must equal this value (compared in constant time).
    Equals(&'a str),
    /// The nonce must be accepted by this verifier (e.g. stateless MAC'd timestamp nonces).
    Verify(&'a dyn NonceVerifier),
}

impl fmt::Debug for NonceCheck<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NonceCheck::NotRequired => f.write_str("NotRequired"),
            NonceCheck::Skip => f.write_str("Skip"),
            NonceCheck::Equals(_) => f.write_str("Equals(<redacted>)"),
            NonceCheck::Verify(_) => f.write_str("Verify(<verifier>)"),
        }
    }
}

/// The issuer's `c_nonce` check. Called at most once per distinct nonce per request, after
/// every other check of every proof has passed.
pub trait NonceVerifier: Send + Sync {
    /// Accepts the nonce or says why not.
    fn verify(&self, nonce: &str) -> Result<(), NonceRejection>;
}

/// Why a [`NonceVerifier`] refused a nonce. All map to the `invalid_nonce` error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRejection {
    /// Not issued by this issuer (or not parseable).
    Unknown,
    /// Issued, but its lifetime has passed.
    Expired,
    /// Issued, but already redeemed.
    Used,
}

impl NonceRejection {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            NonceRejection::Unknown => "was not issued by this Credential Issuer",
            NonceRejection::Expired => "has expired",
            NonceRejection::Used => "has already been used",
        }
    }
}

/// The client the access token was issued to (OID4VCI 1.0 Appendix F.1 `iss` rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientIdentity<'a> {
    /// Unknown: `iss` is not checked.
    Unknown,
    /// Anonymous Pre-Authorized Code Flow: `iss` MUST be absent.
    Anonymous,
    /// Authenticated client: `iss`, if present, must equal this `client_id`.
    Known(&'a str),
}

/// Resolves a DID URL (other than `did:key` / `did:jwk`, which are built in) to the public key
/// it identifies. Synchronous and sans-IO from this crate's point of view: an embedder that
/// needs the network caches or pre-fetches.
pub trait DidResolver: Send + Sync {
    /// Resolves `did_url` (e.g. `did:web:example.com#key-1`) to a verification key.
    fn resolve(&self, did_url: &str) -> Result<PublicKey, DidResolutionError>;
}

/// Why a [`DidResolver`] could not resolve a DID URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidResolutionError {
    /// The resolver does not support this DID method.
    #[error("the DID method is not supported")]
    UnsupportedMethod,
    /// The DID does not exist.
    #[error("the DID was not found")]
    NotFound,
    /// The DID exists but the fragment names no verification method.
    #[error("the DID document has no verification method with this id")]
    KeyNotFound,
    /// The verification method is not a supported key.
    #[error("the verification method is not a supported key: {0}")]
    InvalidKey(String),
    /// Resolution failed for another reason.
    #[error("resolution failed: {0}")]
    Other(String),
}
