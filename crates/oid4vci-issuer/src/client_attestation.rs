//! Wallet attestation as client authentication at the token endpoint (OID4VCI 1.0 Appendix E,
//! OAuth 2.0 Attestation-Based Client Authentication).
//!
//! The wallet sends two JWTs in HTTP headers: `OAuth-Client-Attestation`, signed by its wallet
//! provider (an `x5c` chain to a trust anchor the issuer configured, or a configured provider key),
//! naming the client (`sub`) and binding a key (`cnf.jwk`); and `OAuth-Client-Attestation-PoP`,
//! signed with that key for this authorization server (`aud`), fresh (`iat`) and single-use
//! (`jti`). Sessions created with `require_wallet_attestation` refuse token requests without a
//! valid pair (`invalid_client`).

use crate::clock::UnixTime;
use oid4vci_proof::{jws, jwt_time, x5c, Alg, PublicKey};
use serde_json::{Map, Value};
use std::fmt;

/// `typ` of the client attestation JWT.
pub const ATTESTATION_TYP: &str = "oauth-client-attestation+jwt";
/// `typ` of the proof-of-possession JWT.
pub const POP_TYP: &str = "oauth-client-attestation-pop+jwt";
/// The `token_endpoint_auth_method` name.
pub const AUTH_METHOD: &str = "attest_jwt_client_auth";

/// The JWS algorithms accepted for attestations and their PoPs (advertised in the AS metadata).
pub const ATTESTATION_ALGS: &[&str] = &["ES256", "EdDSA"];

/// Which wallet providers the issuer trusts.
#[derive(Clone, Default)]
pub struct WalletAttestationTrust {
    /// DER certificates: an attestation's `x5c` chain must end at one of them.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Provider keys trusted directly (for attestations without `x5c`).
    pub trusted_keys: Vec<PublicKey>,
    /// Oldest accepted PoP `iat`, in seconds (default 300).
    pub max_pop_age: u64,
}

impl fmt::Debug for WalletAttestationTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalletAttestationTrust")
            .field("trust_anchors", &self.trust_anchors.len())
            .field("trusted_keys", &self.trusted_keys.len())
            .field("max_pop_age", &self.max_pop_age)
            .finish()
    }
}

impl WalletAttestationTrust {
    /// Trust in the given anchor certificates (DER).
    pub fn with_anchors(trust_anchors: Vec<Vec<u8>>) -> Self {
        WalletAttestationTrust {
            trust_anchors,
            trusted_keys: Vec::new(),
            max_pop_age: 300,
        }
    }
}

/// A verified client attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedClientAttestation {
    /// The authenticated client id (`sub` of the attestation).
    pub client_id: String,
    /// The wallet provider (`iss` of the attestation).
    pub wallet_provider: String,
    /// The PoP's `jti` (consume it once).
    pub pop_jti: String,
    /// The PoP's `iat`.
    pub pop_iat: UnixTime,
}

const SKEW: u64 = 60;

fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

fn alg_of(header: &Map<String, Value>) -> Result<Alg, String> {
    let name = text(header, "alg").ok_or("alg is missing")?;
    match Alg::from_name(name) {
        Some(alg) => Ok(alg),
        None => Err(format!("alg {name} is not accepted; use ES256 or EdDSA")),
    }
}

/// Verifies the attestation JWT alone; returns its claims and the bound key.
pub fn verify_attestation(
    jwt: &str,
    trust: &WalletAttestationTrust,
    now: UnixTime,
) -> Result<(Map<String, Value>, PublicKey), String> {
    let parsed = jws::parse(jwt.trim()).map_err(|e| format!("client attestation: {e}"))?;
    let (header, claims) = (parsed.header(), parsed.payload());
    if text(header, "typ") != Some(ATTESTATION_TYP) {
        return Err(format!("client attestation: typ must be {ATTESTATION_TYP}"));
    }
    let alg = alg_of(header).map_err(|e| format!("client attestation: {e}"))?;
    let verifies = |key: &PublicKey| {
        key.verify(alg, parsed.signing_input().as_bytes(), parsed.signature())
            .is_ok()
    };
    match header.get("x5c") {
        Some(chain) => {
            let certs =
                x5c::decode_x5c(chain).map_err(|e| format!("client attestation x5c: {e:?}"))?;
            let (leaf, _) = x5c::validate_chain(&certs, &trust.trust_anchors, false, now)
                .map_err(|e| format!("client attestation x5c: {e:?}"))?;
            if !verifies(&leaf) {
                return Err(
                    "client attestation: the signature does not verify with the x5c leaf key"
                        .into(),
                );
            }
        }
        None => {
            if !trust.trusted_keys.iter().any(verifies) {
                return Err("client attestation: not signed by a trusted wallet provider".into());
            }
        }
    }
    for name in ["iss", "sub"] {
        if text(claims, name).is_none_or(str::is_empty) {
            return Err(format!("client attestation: {name} is missing"));
        }
    }
    if !claims.contains_key("exp") {
        return Err("client attestation: exp is missing".into());
    }
    jwt_time::check_validity(claims, now, SKEW).map_err(|e| format!("client attestation: {e}"))?;
    let jwk = claims
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(Value::as_object)
        .ok_or("client attestation: cnf.jwk is missing")?;
    let key = PublicKey::from_jwk(jwk).map_err(|e| format!("client attestation: cnf.jwk: {e}"))?;
    Ok((claims.clone(), key))
}

/// Verifies an attestation and its PoP for the authorization server `audience`. `client_id` is
/// the token request's parameter, which must match the attestation's `sub` when sent.
pub fn verify(
    attestation: &str,
    pop: &str,
    audience: &str,
    client_id: Option<&str>,
    trust: &WalletAttestationTrust,
    now: UnixTime,
) -> Result<VerifiedClientAttestation, String> {
    let (claims, key) = verify_attestation(attestation, trust, now)?;
    let sub = text(&claims, "sub").unwrap_or_default().to_owned();
    let parsed = jws::parse(pop.trim()).map_err(|e| format!("client attestation PoP: {e}"))?;
    let (header, pop_claims) = (parsed.header(), parsed.payload());
    if text(header, "typ") != Some(POP_TYP) {
        return Err(format!("client attestation PoP: typ must be {POP_TYP}"));
    }
    let alg = alg_of(header).map_err(|e| format!("client attestation PoP: {e}"))?;
    key.verify(alg, parsed.signing_input().as_bytes(), parsed.signature())
        .map_err(|_| {
            "client attestation PoP: not signed by the key in the attestation's cnf.jwk".to_owned()
        })?;
    if let Some(iss) = text(pop_claims, "iss") {
        if iss != sub {
            return Err(
                "client attestation PoP: iss must be the client id (the attestation's sub)".into(),
            );
        }
    }
    let aud_ok = match pop_claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("client attestation PoP: aud must be {audience}"));
    }
    let jti = text(pop_claims, "jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or("client attestation PoP: jti is missing")?;
    let iat = pop_claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or("client attestation PoP: iat is missing")?;
    if iat > now.saturating_add(SKEW) || now > iat.saturating_add(trust.max_pop_age) {
        return Err("client attestation PoP: iat is outside the accepted window".into());
    }
    jwt_time::check_validity(pop_claims, now, SKEW)
        .map_err(|e| format!("client attestation PoP: {e}"))?;
    if let Some(id) = client_id {
        if id != sub {
            return Err("client_id does not match the client attestation's sub".into());
        }
    }
    Ok(VerifiedClientAttestation {
        client_id: sub,
        wallet_provider: text(&claims, "iss").unwrap_or_default().to_owned(),
        pop_jti: jti.to_owned(),
        pop_iat: iat,
    })
}
