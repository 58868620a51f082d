//! Key attestations (OID4VCI 1.0 Appendix D.1): a `key-attestation+jwt` signed by a trusted
//! attester whose `attested_keys` become the holder keys.

use serde_json::{Map, Value};

use crate::checks::{self, KEY_ATTESTATION_TYP};
use crate::error::{detail, json_type, show, ProofError};
use crate::jws;
use crate::key::{Alg, PublicKey};
use crate::policy::{ProofContext, ProofPolicy};
use crate::x5c;

/// Maximum number of `attested_keys`.
pub const MAX_ATTESTED_KEYS: usize = 64;
/// Maximum number of trusted attester keys tried for one attestation.
const MAX_TRUSTED_KEYS_TRIED: usize = 32;

const D1: &str = "OID4VCI 1.0 Appendix D.1";

/// A verified key attestation.
#[derive(Debug, Clone)]
pub(crate) struct KeyAttestation {
    pub alg: Alg,
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    pub attested_keys: Vec<PublicKey>,
    pub iat: u64,
    pub exp: Option<u64>,
    pub nonce: Option<String>,
}

fn invalid(
    reason: impl Into<String>,
    expected: impl Into<String>,
    found: impl Into<String>,
    help: impl Into<String>,
) -> ProofError {
    ProofError::InvalidKeyAttestation(detail(D1, reason, expected, found, help))
}

/// Validates a key attestation. `with_jwt_proof` selects the `jwt`-proof rules (`exp`
/// REQUIRED) versus the `attestation` proof type (`exp` optional, `iat` age checked).
pub(crate) fn validate(
    token: &str,
    policy: &ProofPolicy,
    ctx: &ProofContext<'_>,
    with_jwt_proof: bool,
) -> Result<KeyAttestation, ProofError> {
    let what = "the key attestation";
    let parsed = jws::parse(token).map_err(|e| {
        ProofError::MalformedJwt(detail(
            "RFC 7515 Section 7.1; OID4VCI 1.0 Appendix D.1",
            format!("{what} is not a compact JWS: {e}"),
            "BASE64URL(header).BASE64URL(payload).BASE64URL(signature)",
            crate::error::clip(token, 60),
            "send the key attestation JWT exactly as the attester issued it",
        ))
    })?;
    let signing_input = parsed.signing_input();
    let (header, claims, signature) = parsed.into_parts();
    let draft_typ = header
        .get("typ")
        .and_then(Value::as_str)
        .is_some_and(checks::is_key_attestation_typ);
    if !draft_typ {
        checks::check_typ(&header, KEY_ATTESTATION_TYP, D1, what)?;
    }
    let alg = checks::check_alg(&header, policy, "OID4VCI 1.0 Appendix D.1 and F.1", what)?;
    checks::check_crit(&header, what)?;

    // Who signed it, and do we trust them?
    let attester = attester_key(&header, alg, signing_input, &signature, policy, ctx.now)?;
    if let Err(e) = attester.verify(alg, signing_input.as_bytes(), &signature) {
        return Err(ProofError::InvalidSignature(detail(
            D1,
            format!("{what} signature does not verify with the attester's x5c key: {e}"),
            "a valid signature by the attester",
            format!("{} signature, {} bytes", alg, signature.len()),
            "obtain a fresh key attestation from the wallet provider",
        )));
    }

    // iat / exp.
    let iat = match claims.get("iat").map(|v| (v, checks::numeric_date(v))) {
        Some((_, Some(t))) => t,
        Some((v, None)) => {
            return Err(invalid(
                format!("{what} iat is {}, not a NumericDate", json_type(v)),
                "iat as a JSON number",
                show(v),
                "the attester must set iat as a number",
            ))
        }
        None => {
            return Err(invalid(
                format!("{what} has no iat claim"),
                "iat present",
                "iat absent",
                "the attester must set iat (D.1: REQUIRED)",
            ))
        }
    };
    if iat > ctx.now.saturating_add(policy.max_future_skew) {
        return Err(invalid(
            format!("{what} iat {iat} is {}s in the future", iat - ctx.now),
            format!("iat <= {}", ctx.now + policy.max_future_skew),
            iat.to_string(),
            "check the attester's clock",
        ));
    }
    if !with_jwt_proof && iat < ctx.now.saturating_sub(policy.max_iat_age) {
        return Err(ProofError::ProofExpired(detail(
            "OID4VCI 1.0 Appendix F.3 and F.4",
            format!("{what} (the proof) was created {}s ago; this issuer accepts proofs up to {}s old", ctx.now - iat, policy.max_iat_age),
            format!("iat >= {}", ctx.now.saturating_sub(policy.max_iat_age)),
            iat.to_string(),
            "request a fresh key attestation (with a fresh c_nonce) right before the Credential Request",
        )));
    }
    if with_jwt_proof && !claims.contains_key("exp") {
        return Err(invalid(
            format!("{what} has no exp claim; exp MUST be present when the attestation is used with the jwt proof type"),
            "exp present",
            "exp absent",
            "use a key attestation with an expiry (exp), or send it as an attestation proof type instead",
        ));
    }
    let exp =
        crate::jwt_time::check_validity(&claims, ctx.now, policy.max_future_skew).map_err(|e| {
            invalid(
                format!("{what}: {e}"),
                "exp in the future (and nbf in the past), as NumericDates",
                ["exp", "nbf"]
                    .iter()
                    .filter_map(|c| claims.get(*c).map(|v| format!("{c} {}", show(v))))
                    .collect::<Vec<_>>()
                    .join(", "),
                "obtain a fresh key attestation from the wallet provider",
            )
        })?;

    let attested_keys = attested_keys(&claims)?;
    check_requirement(&claims, policy)?;
    let nonce = checks::extract_nonce(&claims, ctx, what, "OID4VCI 1.0 Appendix F.1 and F.3")?;
    Ok(KeyAttestation {
        alg,
        header,
        claims,
        attested_keys,
        iat,
        exp,
        nonce,
    })
}

fn attester_key(
    header: &Map<String, Value>,
    alg: Alg,
    signing_input: &str,
    signature: &[u8],
    policy: &ProofPolicy,
    now: u64,
) -> Result<PublicKey, ProofError> {
    if let Some(v) = header.get("x5c") {
        let chain = x5c::decode_x5c(v).map_err(x5c_err)?;
        let (key, _) =
            x5c::validate_chain(&chain, &policy.key_attestation_trust_anchors, false, now)
                .map_err(x5c_err)?;
        return Ok(key);
    }
    // kid (or nothing): the attester must be one of the configured trusted keys.
    if policy.key_attestation_trusted_keys.is_empty() {
        return Err(invalid(
            "the key attestation has no x5c and this issuer has no trusted attester keys configured",
            "a key attestation signed by a trusted attester (x5c to a trust anchor)",
            crate::checks::header_names(header),
            "include the attester's certificate chain in the key attestation's x5c header",
        ));
    }
    policy
        .key_attestation_trusted_keys
        .iter()
        .take(MAX_TRUSTED_KEYS_TRIED)
        .find(|k| k.verify(alg, signing_input.as_bytes(), signature).is_ok())
        .cloned()
        .ok_or_else(|| {
            invalid(
                "the key attestation is not signed by any attester this issuer trusts",
                "a signature by a trusted key attester",
                match header.get("kid") {
                    Some(k) => format!("kid {}", show(k)),
                    None => crate::checks::header_names(header),
                },
                "use a key attestation from a wallet provider the Credential Issuer trusts",
            )
        })
}

fn x5c_err(e: x5c::X5cError) -> ProofError {
    let (x5c::X5cError::Invalid(m) | x5c::X5cError::Untrusted(m)) = e;
    invalid(
        format!("the key attestation's x5c chain is not trusted: {m}"),
        "an attester certificate chain ending at a configured trust anchor",
        "x5c",
        "use a key attestation from a wallet provider the Credential Issuer trusts",
    )
}

fn attested_keys(claims: &Map<String, Value>) -> Result<Vec<PublicKey>, ProofError> {
    let help = "attested_keys must be a non-empty array of public JWKs, e.g. [{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"...\",\"y\":\"...\"}]";
    let arr = match claims.get("attested_keys") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(v) => {
            return Err(invalid(
                "the key attestation's attested_keys is not a non-empty array",
                "a non-empty array of JWKs",
                show(v),
                help,
            ))
        }
        None => {
            return Err(invalid(
                "the key attestation has no attested_keys",
                "attested_keys present",
                "attested_keys absent",
                help,
            ))
        }
    };
    if arr.len() > MAX_ATTESTED_KEYS {
        return Err(invalid(
            format!(
                "the key attestation attests {} keys; the limit is {MAX_ATTESTED_KEYS}",
                arr.len()
            ),
            format!("at most {MAX_ATTESTED_KEYS} keys"),
            arr.len().to_string(),
            help,
        ));
    }
    let mut keys: Vec<PublicKey> = Vec::with_capacity(arr.len());
    for (i, v) in arr.iter().enumerate() {
        let k = PublicKey::from_jwk_value(v).map_err(|e| {
            invalid(
                format!("attested_keys[{i}] is not a usable public key: {e}"),
                "a public P-256 or Ed25519 JWK",
                show(v),
                help,
            )
        })?;
        if keys.contains(&k) {
            return Err(invalid(
                format!("attested_keys[{i}] repeats an earlier key"),
                "distinct keys",
                show(v),
                help,
            ));
        }
        keys.push(k);
    }
    Ok(keys)
}

fn check_requirement(claims: &Map<String, Value>, policy: &ProofPolicy) -> Result<(), ProofError> {
    let Some(req) = &policy.key_attestations_required else {
        return Ok(());
    };
    for (name, accepted) in [
        ("key_storage", &req.key_storage),
        ("user_authentication", &req.user_authentication),
    ] {
        if accepted.is_empty() {
            continue;
        }
        let listed: Vec<&str> = claims
            .get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !listed.iter().any(|v| accepted.iter().any(|a| a == v)) {
            return Err(ProofError::InvalidKeyAttestation(detail(
                "OID4VCI 1.0 Section 12.2.4 (key_attestations_required) and Appendix D.2",
                format!(
                    "the key attestation's {name} does not include a value this issuer accepts"
                ),
                format!("{name} containing one of {}", accepted.join(", ")),
                if listed.is_empty() {
                    format!("{name} absent")
                } else {
                    listed.join(", ")
                },
                format!(
                    "use a key whose attestation lists {name} {}",
                    accepted.join(" or ")
                ),
            )));
        }
    }
    Ok(())
}
