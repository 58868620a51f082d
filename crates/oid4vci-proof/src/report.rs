//! One proof checked into a report: what `oid4vci proof check` prints and the browser proof
//! checker shows, from the same code. A `key-attestation+jwt` is checked as an `attestation`
//! proof; anything else as a `jwt` proof. Checks without their input (no audience, no nonce, no
//! client) are skipped and named in `skipped`.

use crate::{
    ClientIdentity, NonceCheck, ProofContext, ProofError, ProofPolicy, ProofValidator, PublicKey,
    ValidatedProofs,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// What to check a proof against.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The Credential Issuer Identifier the proof must be addressed to (`aud`); `None` skips it.
    pub audience: Option<String>,
    /// The expected `c_nonce`; `None` skips it.
    pub nonce: Option<String>,
    /// The `client_id` the access token was issued to (`iss` must equal it).
    pub client_id: Option<String>,
    /// The token came from anonymous pre-authorized access (`iss` must be absent).
    pub anonymous: bool,
    /// Validation time, Unix seconds.
    pub now: u64,
    /// Maximum age of `iat` in seconds.
    pub max_age: u64,
    /// Maximum clock skew for an `iat` in the future, in seconds.
    pub max_skew: u64,
    /// Trust anchors (DER) for `x5c` proofs.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Accept a single self-signed `x5c` certificate.
    pub allow_self_signed: bool,
    /// Trust anchors (DER) for key attestations.
    pub attester_trust_anchors: Vec<Vec<u8>>,
    /// Trusted key attesters' public keys.
    pub attester_keys: Vec<PublicKey>,
}

impl CheckOptions {
    /// Nothing to compare against at `now`, with the default age (300 s) and skew (60 s).
    pub fn at(now: u64) -> Self {
        CheckOptions {
            audience: None,
            nonce: None,
            client_id: None,
            anonymous: false,
            now,
            max_age: 300,
            max_skew: 60,
            trust_anchors: Vec::new(),
            allow_self_signed: false,
            attester_trust_anchors: Vec::new(),
            attester_keys: Vec::new(),
        }
    }
}

/// The report of one check.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// Whether the proof is valid.
    pub valid: bool,
    /// The report as JSON: for a valid proof `proof_type`, `alg`, `key_source`, the holder keys
    /// and their thumbprints, the decoded header and claims; for a rejected one the diagnostic
    /// (`error`, `code`, `reason`, `help`, `expected`, `found`, `spec_ref`); both with `skipped`.
    pub json: Value,
    /// The same, pretty-printed with the fields in the order above.
    pub text: String,
}

fn report<T: Serialize>(valid: bool, out: &T) -> CheckReport {
    CheckReport {
        valid,
        json: serde_json::to_value(out).unwrap_or(Value::Null),
        text: serde_json::to_string_pretty(out).unwrap_or_default(),
    }
}

#[derive(Serialize)]
struct ValidOutput<'a> {
    valid: bool,
    proof_type: &'static str,
    alg: &'static str,
    key_source: &'static str,
    holder_keys: Vec<Value>,
    holder_key_thumbprints: Vec<String>,
    header: &'a Map<String, Value>,
    claims: &'a Map<String, Value>,
    skipped: &'a [&'a str],
}

#[derive(Serialize)]
struct InvalidOutput<'a> {
    valid: bool,
    error: String,
    code: String,
    reason: String,
    help: String,
    expected: String,
    found: String,
    spec_ref: String,
    skipped: &'a [&'a str],
}

/// Checks `jwt` against `options`.
pub fn check_proof(jwt: &str, options: &CheckOptions) -> CheckReport {
    let policy = ProofPolicy {
        max_iat_age: options.max_age,
        max_future_skew: options.max_skew,
        allow_self_signed_x5c: options.allow_self_signed,
        x5c_trust_anchors: options.trust_anchors.clone(),
        key_attestation_trust_anchors: options.attester_trust_anchors.clone(),
        key_attestation_trusted_keys: options.attester_keys.clone(),
        ..ProofPolicy::default()
    };
    let peeked = crate::jws::parse(jwt)
        .ok()
        .map(|j| (j.header().clone(), j.payload().clone()));
    let mut skipped = Vec::new();
    let audience = match &options.audience {
        Some(a) => a.clone(),
        None => {
            skipped.push("aud");
            // Compare the proof's aud with itself: presence and type are still checked.
            (peeked.as_ref())
                .and_then(|(_, c)| c.get("aud"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        }
    };
    let nonce = match &options.nonce {
        Some(n) => NonceCheck::Equals(n),
        None => {
            skipped.push("nonce");
            NonceCheck::Skip
        }
    };
    let client = match (&options.client_id, options.anonymous) {
        (Some(id), _) => ClientIdentity::Known(id),
        (None, true) => ClientIdentity::Anonymous,
        (None, false) => {
            skipped.push("iss");
            ClientIdentity::Unknown
        }
    };
    let ctx = ProofContext {
        audience: &audience,
        nonce,
        client,
        now: options.now,
    };
    let validator = ProofValidator::new(policy);
    let is_attestation = (peeked.as_ref())
        .and_then(|(h, _)| h.get("typ"))
        .and_then(Value::as_str)
        .is_some_and(crate::checks::is_key_attestation_typ);
    let result: Result<ValidatedProofs, ProofError> = if is_attestation {
        skipped.retain(|s| *s != "aud"); // attestation proofs have no aud
        validator.validate_attestation_proof(jwt, &ctx)
    } else {
        validator.validate_jwt_proofs(std::slice::from_ref(&jwt.to_owned()), &ctx)
    };
    match result {
        Ok(proofs) => valid(&proofs, &skipped, is_attestation),
        Err(e) => invalid(&e, &skipped),
    }
}

fn valid(proofs: &ValidatedProofs, skipped: &[&str], attestation: bool) -> CheckReport {
    let Some(p) = proofs.proofs().first() else {
        return report(
            false,
            &serde_json::json!({"valid": false, "error": "no proof was validated"}),
        );
    };
    let out = ValidOutput {
        valid: true,
        proof_type: if attestation { "attestation" } else { "jwt" },
        alg: p.alg().as_str(),
        key_source: p.key_source().as_str(),
        holder_keys: (proofs.holder_keys().iter())
            .map(|k| Value::Object(k.to_jwk()))
            .collect(),
        holder_key_thumbprints: (proofs.holder_keys().iter())
            .map(|k| k.thumbprint())
            .collect(),
        header: &p.header().raw,
        claims: &p.claims().raw,
        skipped,
    };
    report(true, &out)
}

fn invalid(e: &ProofError, skipped: &[&str]) -> CheckReport {
    let d = e.diagnostic();
    // Single-proof check: the batch index is always 0 and not informative.
    let out = InvalidOutput {
        valid: false,
        error: d.error,
        code: d.code,
        reason: d.reason,
        help: d.help,
        expected: d.expected,
        found: d.found,
        spec_ref: d.spec_ref,
        skipped,
    };
    report(false, &out)
}
