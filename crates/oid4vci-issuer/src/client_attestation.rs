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
/// The token endpoint authentication method of the DPoP combined mode: the request's DPoP
/// proof is the attestation's proof of possession.
pub const AUTH_METHOD_DPOP: &str = "attest_jwt_client_auth_dpop";

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
    /// The PoP's `challenge` (a server-provided challenge), when it has one.
    pub challenge: Option<String>,
}

const SKEW: u64 = 60;

fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

/// Which of the two JWTs an [`AttestationError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttestationJwt {
    /// `OAuth-Client-Attestation`, signed by the wallet provider.
    Attestation,
    /// `OAuth-Client-Attestation-PoP`, signed by the wallet with the attested key.
    Pop,
}

impl AttestationJwt {
    fn typ(self) -> &'static str {
        match self {
            AttestationJwt::Attestation => ATTESTATION_TYP,
            AttestationJwt::Pop => POP_TYP,
        }
    }
}

impl fmt::Display for AttestationJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttestationJwt::Attestation => "client attestation",
            AttestationJwt::Pop => "client attestation PoP",
        })
    }
}

/// Why a wallet attestation (or its proof of possession) was refused. The text says what to
/// fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationError {
    /// Only one of the two headers was sent (and no DPoP proof to stand for the PoP).
    #[error("send OAuth-Client-Attestation with OAuth-Client-Attestation-PoP, or with a DPoP proof signed by the attested key (DPoP combined mode)")]
    Incomplete,
    /// In DPoP combined mode, the DPoP proof is signed by another key than the attested one.
    #[error("DPoP combined mode: the DPoP proof must be signed by the key in the client attestation's cnf.jwk")]
    CombinedKeyMismatch,
    /// The issuer was configured without trusted wallet providers.
    #[error("this issuer trusts no wallet providers")]
    NoTrust,
    /// Not a compact JWS with JSON header and claims.
    #[error("{0}: {1}")]
    Malformed(AttestationJwt, String),
    /// The `typ` is wrong.
    #[error("{0}: typ must be {typ}", typ = .0.typ())]
    WrongTyp(AttestationJwt),
    /// `alg` is missing.
    #[error("{0}: alg is missing")]
    MissingAlg(AttestationJwt),
    /// `alg` is not ES256 or EdDSA.
    #[error("{0}: alg {1} is not accepted; use ES256 or EdDSA")]
    UnsupportedAlg(AttestationJwt, String),
    /// The attestation's `x5c` chain is broken or not trusted.
    #[error("client attestation x5c: {0}")]
    Chain(String),
    /// The attestation's signature does not verify with its `x5c` leaf key.
    #[error("client attestation: the signature does not verify with the x5c leaf key")]
    LeafSignature,
    /// The attestation is not signed by a trusted provider key.
    #[error("client attestation: not signed by a trusted wallet provider")]
    UntrustedProvider,
    /// A required claim of the attestation is missing (`iss`, `sub`, `exp`, `cnf.jwk`).
    #[error("client attestation: {0} is missing")]
    MissingClaim(&'static str),
    /// `exp` or `nbf` exclude now.
    #[error("{0}: {1}")]
    Validity(AttestationJwt, String),
    /// `cnf.jwk` is not a usable public key.
    #[error("client attestation: cnf.jwk: {0}")]
    InvalidKey(String),
    /// The PoP is not signed by the attested key.
    #[error("client attestation PoP: not signed by the key in the attestation's cnf.jwk")]
    PopSignature,
    /// The PoP's `iss` is not the attested client.
    #[error("client attestation PoP: iss must be the client id (the attestation's sub)")]
    PopIssuer,
    /// The PoP's `aud` is not this authorization server.
    #[error("client attestation PoP: aud must be {0}")]
    PopAudience(String),
    /// The PoP's `jti` is missing, empty or too long.
    #[error("client attestation PoP: jti is missing")]
    PopJti,
    /// The PoP's `iat` is missing.
    #[error("client attestation PoP: iat is missing")]
    PopIatMissing,
    /// The PoP's `iat` is outside the accepted window.
    #[error("client attestation PoP: iat is outside the accepted window")]
    PopIatWindow,
    /// The request's `client_id` is not the attested client.
    #[error("client_id does not match the client attestation's sub")]
    ClientIdMismatch,
}

fn alg_of(header: &Map<String, Value>, jwt: AttestationJwt) -> Result<Alg, AttestationError> {
    let name = text(header, "alg").ok_or(AttestationError::MissingAlg(jwt))?;
    Alg::from_name(name).ok_or_else(|| AttestationError::UnsupportedAlg(jwt, name.to_owned()))
}

fn chain_error(e: x5c::X5cError) -> AttestationError {
    AttestationError::Chain(match e {
        x5c::X5cError::Invalid(why) => why,
        x5c::X5cError::Untrusted(why) => format!("not trusted: {why}"),
    })
}

/// Verifies the attestation JWT alone; returns its claims and the bound key.
pub fn verify_attestation(
    jwt: &str,
    trust: &WalletAttestationTrust,
    now: UnixTime,
) -> Result<(Map<String, Value>, PublicKey), AttestationError> {
    use AttestationError as E;
    const A: AttestationJwt = AttestationJwt::Attestation;
    let parsed = jws::parse(jwt.trim()).map_err(|e| E::Malformed(A, e.to_string()))?;
    let (header, claims) = (parsed.header(), parsed.payload());
    if text(header, "typ") != Some(ATTESTATION_TYP) {
        return Err(E::WrongTyp(A));
    }
    let alg = alg_of(header, A)?;
    let verifies = |key: &PublicKey| {
        key.verify(alg, parsed.signing_input().as_bytes(), parsed.signature())
            .is_ok()
    };
    match header.get("x5c") {
        Some(chain) => {
            let certs = x5c::decode_x5c(chain).map_err(chain_error)?;
            let (leaf, _) = x5c::validate_chain(&certs, &trust.trust_anchors, false, now)
                .map_err(chain_error)?;
            if !verifies(&leaf) {
                return Err(E::LeafSignature);
            }
        }
        None => {
            if !trust.trusted_keys.iter().any(verifies) {
                return Err(E::UntrustedProvider);
            }
        }
    }
    for name in ["iss", "sub"] {
        if text(claims, name).is_none_or(str::is_empty) {
            return Err(E::MissingClaim(name));
        }
    }
    if !claims.contains_key("exp") {
        return Err(E::MissingClaim("exp"));
    }
    jwt_time::check_validity(claims, now, SKEW).map_err(|e| E::Validity(A, e.to_string()))?;
    let jwk = claims
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(Value::as_object)
        .ok_or(E::MissingClaim("cnf.jwk"))?;
    let key = PublicKey::from_jwk(jwk).map_err(|e| E::InvalidKey(e.to_string()))?;
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
) -> Result<VerifiedClientAttestation, AttestationError> {
    use AttestationError as E;
    const P: AttestationJwt = AttestationJwt::Pop;
    let (claims, key) = verify_attestation(attestation, trust, now)?;
    let sub = text(&claims, "sub").unwrap_or_default().to_owned();
    let parsed = jws::parse(pop.trim()).map_err(|e| E::Malformed(P, e.to_string()))?;
    let (header, pop_claims) = (parsed.header(), parsed.payload());
    if text(header, "typ") != Some(POP_TYP) {
        return Err(E::WrongTyp(P));
    }
    let alg = alg_of(header, P)?;
    key.verify(alg, parsed.signing_input().as_bytes(), parsed.signature())
        .map_err(|_| E::PopSignature)?;
    if let Some(iss) = text(pop_claims, "iss") {
        if iss != sub {
            return Err(E::PopIssuer);
        }
    }
    let aud_ok = match pop_claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(E::PopAudience(audience.to_owned()));
    }
    let jti = text(pop_claims, "jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(E::PopJti)?;
    let iat = pop_claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or(E::PopIatMissing)?;
    if iat > now.saturating_add(SKEW) || now > iat.saturating_add(trust.max_pop_age) {
        return Err(E::PopIatWindow);
    }
    jwt_time::check_validity(pop_claims, now, SKEW).map_err(|e| E::Validity(P, e.to_string()))?;
    if let Some(id) = client_id {
        if id != sub {
            return Err(E::ClientIdMismatch);
        }
    }
    Ok(VerifiedClientAttestation {
        client_id: sub,
        wallet_provider: text(&claims, "iss").unwrap_or_default().to_owned(),
        pop_jti: jti.to_owned(),
        pop_iat: iat,
        challenge: text(pop_claims, "challenge").map(str::to_owned),
    })
}

/// Verifies an attestation whose proof of possession is the request's DPoP proof (the "DPoP
/// combined mode" of OAuth 2.0 Attestation-Based Client Authentication): the proof, verified
/// by RFC 9449's rules on its own, must be signed by the attestation's `cnf` key, whose RFC 7638
/// thumbprint is `dpop_jkt`. `client_id`, when sent, must match the attestation's `sub`.
pub fn verify_combined(
    attestation: &str,
    dpop_jkt: &str,
    client_id: Option<&str>,
    trust: &WalletAttestationTrust,
    now: UnixTime,
) -> Result<String, AttestationError> {
    let (claims, key) = verify_attestation(attestation, trust, now)?;
    if key.thumbprint() != dpop_jkt {
        return Err(AttestationError::CombinedKeyMismatch);
    }
    let sub = text(&claims, "sub").unwrap_or_default().to_owned();
    if client_id.is_some_and(|id| id != sub) {
        return Err(AttestationError::ClientIdMismatch);
    }
    Ok(sub)
}
