//! [`ProofValidator`]: runs every check of OID4VCI 1.0 Appendix F.1/F.3/F.4 and returns a
//! [`ValidatedProof`] receipt or a [`ProofError`].

use serde_json::{Map, Value};
use subtle::ConstantTimeEq as _;

use crate::attestation;
use crate::checks::{self, PROOF_TYP};
use crate::error::{clip, detail, ProofError};
use crate::jws;
use crate::key::{Alg, PublicKey};
use crate::policy::{NonceCheck, ProofContext, ProofPolicy};
use crate::source::{self, KeySource};

const F1: &str = "OID4VCI 1.0 Appendix F.1";

/// Validates `jwt` and `attestation` key proofs against a [`ProofPolicy`].
#[derive(Debug, Clone, Default)]
pub struct ProofValidator {
    policy: ProofPolicy,
}

/// The typed JOSE header of a validated proof (plus the raw header).
#[derive(Debug, Clone, PartialEq)]
pub struct ProofHeader {
    /// `typ` as sent.
    pub typ: String,
    /// `alg`.
    pub alg: Alg,
    /// `kid`, if present.
    pub kid: Option<String>,
    /// `jwk`, if present.
    pub jwk: Option<Map<String, Value>>,
    /// `x5c`, if present (base64 DER strings).
    pub x5c: Option<Vec<String>>,
    /// `key_attestation`, if present (compact JWS).
    pub key_attestation: Option<String>,
    /// The whole decoded header.
    pub raw: Map<String, Value>,
}

/// The typed claims of a validated proof (plus the raw claims set).
#[derive(Debug, Clone, PartialEq)]
pub struct ProofClaims {
    /// `iss`, if present.
    pub iss: Option<String>,
    /// `aud` (absent for the `attestation` proof type).
    pub aud: Option<String>,
    /// `iat`.
    pub iat: u64,
    /// `exp`, if present.
    pub exp: Option<u64>,
    /// `nonce`, if present.
    pub nonce: Option<String>,
    /// The whole decoded claims set.
    pub raw: Map<String, Value>,
}

/// A proof that passed every check. Only [`ProofValidator`] constructs it.
#[derive(Debug, Clone)]
pub struct ValidatedProof {
    alg: Alg,
    key_source: KeySource,
    signing_key: Option<PublicKey>,
    holder_keys: Vec<PublicKey>,
    header: ProofHeader,
    claims: ProofClaims,
    nonce: Option<String>,
}

impl ValidatedProof {
    /// The signature algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }
    /// Where the holder key(s) came from.
    pub fn key_source(&self) -> KeySource {
        self.key_source
    }
    /// The keys to bind credentials to (one, or all `attested_keys` of a key attestation).
    pub fn holder_keys(&self) -> &[PublicKey] {
        &self.holder_keys
    }
    /// The key the proof signature verified with (`None` for the `attestation` proof type,
    /// which carries no proof of possession).
    pub fn signing_key(&self) -> Option<&PublicKey> {
        self.signing_key.as_ref()
    }
    /// The typed header.
    pub fn header(&self) -> &ProofHeader {
        &self.header
    }
    /// The typed claims.
    pub fn claims(&self) -> &ProofClaims {
        &self.claims
    }
    /// The proof's `nonce` (the `c_nonce` it was made for), if any.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }
}

/// All proofs of one Credential Request, validated together.
#[derive(Debug, Clone)]
pub struct ValidatedProofs {
    proofs: Vec<ValidatedProof>,
}

impl ValidatedProofs {
    /// The proofs, in request order.
    pub fn proofs(&self) -> &[ValidatedProof] {
        &self.proofs
    }
    /// Every holder key of every proof, in order (distinct).
    pub fn holder_keys(&self) -> Vec<&PublicKey> {
        self.proofs
            .iter()
            .flat_map(|p| p.holder_keys.iter())
            .collect()
    }
    /// The common `nonce` of the proofs, if any.
    pub fn nonce(&self) -> Option<&str> {
        self.proofs.first().and_then(ValidatedProof::nonce)
    }
    /// Number of proofs.
    pub fn len(&self) -> usize {
        self.proofs.len()
    }
    /// Always false for a validated batch (kept for API completeness).
    pub fn is_empty(&self) -> bool {
        self.proofs.is_empty()
    }
    /// Consumes the batch into its proofs.
    pub fn into_vec(self) -> Vec<ValidatedProof> {
        self.proofs
    }
}

/// A nonce that must still be checked, and where it came from.
struct PendingNonce {
    value: Option<String>,
    attestation_value: Option<String>,
}

impl ProofValidator {
    /// A validator for `policy`.
    pub fn new(policy: ProofPolicy) -> Self {
        ProofValidator { policy }
    }

    /// The policy in force.
    pub fn policy(&self) -> &ProofPolicy {
        &self.policy
    }

    /// Validates one `jwt` proof.
    pub fn validate(
        &self,
        jwt: &str,
        ctx: &ProofContext<'_>,
    ) -> Result<ValidatedProof, ProofError> {
        let (proof, pending) = self.validate_without_nonce(jwt, ctx)?;
        check_nonces(&[pending], ctx, false)?;
        Ok(proof)
    }

    /// Validates the `proofs.jwt` array of a Credential Request: at most `batch_size` proofs,
    /// each valid, all with the same `nonce` (checked before the nonce is verified), holder
    /// keys distinct. A failure names the index of the failing proof.
    pub fn validate_jwt_proofs(
        &self,
        jwts: &[String],
        ctx: &ProofContext<'_>,
    ) -> Result<ValidatedProofs, ProofError> {
        self.check_batch_len(jwts.len())?;
        let mut proofs = Vec::with_capacity(jwts.len());
        let mut pending = Vec::with_capacity(jwts.len());
        for (i, jwt) in jwts.iter().enumerate() {
            let (p, n) = self
                .validate_without_nonce(jwt, ctx)
                .map_err(|e| e.with_index(i))?;
            proofs.push(p);
            pending.push(n);
        }
        let mut seen: Vec<(&PublicKey, usize)> = Vec::new();
        for (i, p) in proofs.iter().enumerate() {
            for k in &p.holder_keys {
                if let Some((_, j)) = seen.iter().find(|(s, _)| *s == k) {
                    return Err(ProofError::DuplicateHolderKey(detail(
                        "OID4VCI 1.0 Section 8.3 (each key binds at most one Credential)",
                        format!("proof {i} uses the same holder key as proof {j}"),
                        "a distinct key in every proof",
                        format!("key with thumbprint {}", k.thumbprint()),
                        "generate one key per requested credential and sign each proof with its own key",
                    ))
                    .with_index(i));
                }
                seen.push((k, i));
            }
        }
        check_nonces(&pending, ctx, true)?;
        Ok(ValidatedProofs { proofs })
    }

    /// Validates an `attestation` proof (OID4VCI 1.0 Appendix F.3): the key attestation JWT
    /// itself, with `nonce`; its `attested_keys` are the holder keys.
    pub fn validate_attestation_proof(
        &self,
        jwt: &str,
        ctx: &ProofContext<'_>,
    ) -> Result<ValidatedProofs, ProofError> {
        let att = attestation::validate(jwt, &self.policy, ctx, false)?;
        if !self.policy.accepts_binding("jwk") {
            return Err(ProofError::UnsupportedBindingMethod(detail(
                "OID4VCI 1.0 Section 12.2.4",
                "the attestation proof type binds to bare keys (jwk), which this credential does not accept",
                "a supported binding method",
                "attestation",
                "use a jwt proof with a supported key source",
            )));
        }
        let pending = PendingNonce {
            value: att.nonce.clone(),
            attestation_value: None,
        };
        check_nonces(&[pending], ctx, false)?;
        let typ = att
            .header
            .get("typ")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let proof = ValidatedProof {
            alg: att.alg,
            key_source: KeySource::KeyAttestation,
            signing_key: None,
            holder_keys: att.attested_keys.clone(),
            header: typed_header(typ, att.alg, att.header.clone()),
            claims: ProofClaims {
                iss: att
                    .claims
                    .get("iss")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                aud: None,
                iat: att.iat,
                exp: att.exp,
                nonce: att.nonce.clone(),
                raw: att.claims,
            },
            nonce: att.nonce,
        };
        Ok(ValidatedProofs {
            proofs: vec![proof],
        })
    }

    /// Validates the `proofs.attestation` array of a Credential Request, which must hold
    /// exactly one key attestation (OID4VCI 1.0 Appendix F), with
    /// [`validate_attestation_proof`](Self::validate_attestation_proof).
    pub fn validate_attestation_proofs(
        &self,
        jwts: &[String],
        ctx: &ProofContext<'_>,
    ) -> Result<ValidatedProofs, ProofError> {
        match jwts {
            [one] => self.validate_attestation_proof(one, ctx),
            _ => Err(ProofError::InvalidBatch(detail(
                "OID4VCI 1.0 Appendix F (attestation proof type)",
                format!(
                    "proofs.attestation holds {} JWTs; it must contain exactly one key attestation",
                    jwts.len()
                ),
                "exactly one key attestation",
                format!("{} elements", jwts.len()),
                "send one key attestation covering all keys: {\"proofs\":{\"attestation\":[\"eyJ...\"]}}",
            ))),
        }
    }

    fn check_batch_len(&self, n: usize) -> Result<(), ProofError> {
        if n == 0 {
            return Err(ProofError::InvalidBatch(detail(
                "OID4VCI 1.0 Section 8.2",
                "proofs.jwt is an empty array",
                "a non-empty array of proofs",
                "0 proofs",
                "send at least one proof: {\"proofs\":{\"jwt\":[\"eyJ...\"]}}",
            )));
        }
        if n > self.policy.batch_size {
            return Err(ProofError::InvalidBatch(detail(
                "OID4VCI 1.0 Section 12.2.4 (batch_credential_issuance.batch_size) and Section 8.2",
                format!("the request carries {n} proofs; this issuer accepts at most {}", self.policy.batch_size),
                format!("at most {} proof(s)", self.policy.batch_size),
                format!("{n} proofs"),
                "send no more proofs than batch_credential_issuance.batch_size in the issuer metadata (1 when absent)",
            )));
        }
        Ok(())
    }

    fn validate_without_nonce(
        &self,
        jwt: &str,
        ctx: &ProofContext<'_>,
    ) -> Result<(ValidatedProof, PendingNonce), ProofError> {
        let parsed = jws::parse(jwt).map_err(|e| {
            ProofError::MalformedJwt(detail(
                "RFC 7515 Section 7.1; OID4VCI 1.0 Appendix F.1",
                e.to_string(),
                "BASE64URL(header).BASE64URL(payload).BASE64URL(signature), each JSON object without duplicate members",
                clip(jwt, 60),
                "send the proof as a compact JWS: three base64url segments without padding joined by dots",
            ))
        })?;
        let signing_input = parsed.signing_input();
        let (header, claims, signature) = parsed.into_parts();
        checks::check_typ(&header, PROOF_TYP, F1, "the proof")?;
        let alg = checks::check_alg(
            &header,
            &self.policy,
            "OID4VCI 1.0 Appendix F.1 and F.4",
            "the proof",
        )?;
        checks::check_crit(&header, "the proof")?;
        let resolved = source::resolve(&header, alg, &self.policy, ctx)?;

        let signing_key = resolved
            .candidates
            .iter()
            .find(|k| k.verify(alg, signing_input.as_bytes(), &signature).is_ok())
            .cloned();
        let Some(signing_key) = signing_key else {
            let why = match resolved
                .candidates
                .first()
                .map(|k| k.verify(alg, signing_input.as_bytes(), &signature))
            {
                Some(Err(e)) => e.to_string(),
                _ => "no key to verify with".to_owned(),
            };
            let which = if resolved.candidates.len() > 1 {
                "any of the attested keys"
            } else {
                "the holder key"
            };
            return Err(ProofError::InvalidSignature(detail(
                "OID4VCI 1.0 Appendix F.1 and F.4; RFC 7518 Section 3.4",
                format!("the proof signature does not verify with {which} ({}): {why}", resolved.source.as_str()),
                format!("a {alg} signature by the key in the header"),
                format!("{} signature bytes", signature.len()),
                match alg {
                    Alg::Es256 => "sign BASE64URL(header).BASE64URL(payload) with the private key of the header key; ES256 signatures are the 64-byte r||s concatenation, not DER",
                    Alg::EdDsa => "sign BASE64URL(header).BASE64URL(payload) with the Ed25519 private key of the header key (64-byte signature)",
                },
            )));
        };

        checks::check_aud(&claims, ctx)?;
        let iat = checks::check_iat(&claims, &self.policy, ctx.now)?;
        let exp = checks::check_exp_nbf(&claims, &self.policy, ctx.now, "the proof", F1)?;
        let iss = checks::check_iss(&claims, ctx.client)?;
        let nonce = checks::extract_nonce(&claims, ctx, "the proof", F1)?;

        let typ = header
            .get("typ")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let pending = PendingNonce {
            value: nonce.clone(),
            attestation_value: resolved.attestation.as_ref().and_then(|a| a.nonce.clone()),
        };
        let proof = ValidatedProof {
            alg,
            key_source: resolved.source,
            signing_key: Some(signing_key),
            holder_keys: resolved.holder_keys,
            header: typed_header(typ, alg, header),
            claims: ProofClaims {
                iss,
                aud: claims.get("aud").and_then(Value::as_str).map(str::to_owned),
                iat,
                exp,
                nonce: nonce.clone(),
                raw: claims,
            },
            nonce,
        };
        Ok((proof, pending))
    }
}

fn typed_header(typ: String, alg: Alg, raw: Map<String, Value>) -> ProofHeader {
    ProofHeader {
        typ,
        alg,
        kid: raw.get("kid").and_then(Value::as_str).map(str::to_owned),
        jwk: raw.get("jwk").and_then(Value::as_object).cloned(),
        x5c: raw.get("x5c").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        }),
        key_attestation: raw
            .get("key_attestation")
            .and_then(Value::as_str)
            .map(str::to_owned),
        raw,
    }
}

fn nonce_error(index: Option<usize>, reason: String, found: &str) -> ProofError {
    let e = ProofError::InvalidNonce(detail(
        "OID4VCI 1.0 Section 8.3.1.2 (invalid_nonce) and Appendix F.4",
        reason,
        "a current c_nonce from this issuer's Nonce Endpoint",
        format!("\"{}\"", clip(found, 80)),
        "POST to the nonce_endpoint for a fresh c_nonce, put it in the nonce claim of every proof (and of the key attestation), and retry",
    ));
    match index {
        Some(i) => e.with_index(i),
        None => e,
    }
}

/// The last step: consistency across a batch, then one comparison/verification per distinct
/// nonce. `batch` controls whether errors carry an index.
fn check_nonces(
    pending: &[PendingNonce],
    ctx: &ProofContext<'_>,
    batch: bool,
) -> Result<(), ProofError> {
    let idx = |i: usize| if batch { Some(i) } else { None };
    if matches!(ctx.nonce, NonceCheck::NotRequired | NonceCheck::Skip) {
        return Ok(());
    }
    let first = pending.first().and_then(|p| p.value.as_deref());
    for (i, p) in pending.iter().enumerate().skip(1) {
        if p.value.as_deref() != first {
            return Err(nonce_error(
                idx(i),
                format!("proof {i} carries a different nonce than proof 0; all proofs of one request must use the same c_nonce"),
                p.value.as_deref().unwrap_or(""),
            ));
        }
    }
    // Every distinct value, proof nonces first, each checked once.
    let mut distinct: Vec<(&str, usize, &str)> = Vec::new();
    for (i, p) in pending.iter().enumerate() {
        for (v, what) in [
            (p.value.as_deref(), "the proof's nonce"),
            (
                p.attestation_value.as_deref(),
                "the key attestation's nonce",
            ),
        ] {
            if let Some(v) = v {
                if !distinct.iter().any(|(d, _, _)| *d == v) {
                    distinct.push((v, i, what));
                }
            }
        }
    }
    for (value, i, what) in distinct {
        let rejection = match ctx.nonce {
            NonceCheck::Equals(exp) => {
                if bool::from(value.as_bytes().ct_eq(exp.as_bytes())) {
                    None
                } else {
                    Some("is not the c_nonce this issuer expects")
                }
            }
            NonceCheck::Verify(v) => v.verify(value).err().map(|r| r.describe()),
            NonceCheck::NotRequired | NonceCheck::Skip => None,
        };
        if let Some(why) = rejection {
            return Err(nonce_error(idx(i), format!("{what} {why}"), value));
        }
    }
    Ok(())
}
