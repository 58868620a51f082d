//! DPoP (RFC 9449): sender-constrained access tokens, the protection Section 13.10 asks for.
//!
//! A wallet that sends a `DPoP` header to the token endpoint gets a `DPoP` token bound to the
//! thumbprint of its key (`jkt`); a session created with `dpop_required` refuses tokens without
//! one. Every later request with that token must carry `Authorization: DPoP <token>` and a fresh
//! DPoP proof for the same key whose `ath` is the token's hash. `jti` values are single-use
//! (through the store's nonce ledger).

use crate::clock::UnixTime;
use oid4vci_proof::{jws, jwt_time};
use oid4vci_proof::{Alg, PublicKey};
use serde_json::Value;

/// The `typ` of a DPoP proof JWT (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";

/// Algorithms accepted for DPoP proofs (advertised as `dpop_signing_alg_values_supported`).
pub const DPOP_ALGS: [&str; 2] = ["ES256", "EdDSA"];

/// Largest `jti` accepted.
const MAX_JTI_LEN: usize = 256;

/// What the request a DPoP proof accompanies looks like.
#[derive(Clone, Copy, Debug)]
pub struct DpopRequest<'a> {
    /// HTTP method (`POST`).
    pub method: &'a str,
    /// The endpoint URL (compared without query and fragment).
    pub url: &'a str,
    /// The access token, for resource requests (`ath` must be its hash).
    pub access_token: Option<&'a str>,
    /// Now.
    pub now: UnixTime,
    /// Oldest accepted `iat`, in seconds before now.
    pub max_age: u64,
    /// Accepted clock skew for `iat` in the future.
    pub max_skew: u64,
}

/// A verified DPoP proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedDpop {
    /// RFC 7638 thumbprint of the proof's key: what the token is bound to.
    pub jkt: String,
    /// The proof's unique id (consume it once).
    pub jti: String,
    /// When it was made.
    pub iat: UnixTime,
    /// The server-provided nonce it carries (RFC 9449 §8), if any.
    pub nonce: Option<String>,
}

fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

fn same_url(a: &str, b: &str) -> bool {
    let (a, b) = (strip_query(a), strip_query(b));
    // Scheme and host are case-insensitive; the path is not.
    let split = |u: &str| -> (String, String) {
        match u.split_once("://") {
            Some((scheme, rest)) => {
                let (authority, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
                (
                    format!(
                        "{}://{}",
                        scheme.to_ascii_lowercase(),
                        authority.to_ascii_lowercase()
                    ),
                    path.to_owned(),
                )
            }
            None => (String::new(), u.to_owned()),
        }
    };
    split(a) == split(b)
}

/// The `ath` value for an access token: base64url(SHA-256(token)).
pub fn access_token_hash(token: &str) -> String {
    jws::b64url_encode(&oid4vci_proof::crypto::sha256(token.as_bytes()))
}

/// Why a DPoP proof was refused (RFC 9449 §4.3). The text says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// The header carries more than one proof.
    #[error("exactly one DPoP proof is allowed")]
    Multiple,
    /// Not a compact JWS with JSON header and claims.
    #[error("the DPoP proof is not a compact JWS: {0}")]
    Malformed(String),
    /// `typ` is not `dpop+jwt`.
    #[error("typ must be {DPOP_TYP}")]
    WrongTyp,
    /// `alg` is missing.
    #[error("alg is missing")]
    MissingAlg,
    /// `alg` is not one of [`DPOP_ALGS`].
    #[error("alg {0} is not accepted; use one of ES256, EdDSA")]
    UnsupportedAlg(String),
    /// The header has no `jwk` object.
    #[error("the header must carry the public key as jwk")]
    MissingJwk,
    /// The `jwk` carries private key material.
    #[error("the jwk must not contain a private key")]
    PrivateJwk,
    /// The `jwk` is not a usable public key.
    #[error("invalid jwk: {0}")]
    InvalidJwk(String),
    /// The signature does not verify with the `jwk`.
    #[error("the DPoP proof signature does not verify: {0}")]
    BadSignature(String),
    /// `jti` is missing.
    #[error("jti is missing")]
    MissingJti,
    /// `jti` is empty or too long.
    #[error("jti must be a non-empty string of at most 256 characters")]
    BadJti,
    /// `htm` is not the request's method.
    #[error("htm must be {0}")]
    WrongMethod(String),
    /// `htu` is missing.
    #[error("htu is missing")]
    MissingHtu,
    /// `htu` is not the request's URL.
    #[error("htu must be {0}")]
    WrongUrl(String),
    /// `iat` is missing or not a number.
    #[error("iat is missing or not a number")]
    MissingIat,
    /// `iat` is beyond the accepted clock skew.
    #[error("iat is in the future")]
    FutureIat,
    /// `iat` is older than the accepted age.
    #[error("the DPoP proof is too old; make a new one for each request")]
    TooOld,
    /// `exp` or `nbf` exclude now.
    #[error("the DPoP proof is outside its validity: {0}")]
    OutsideValidity(String),
    /// `ath` is not the access token's hash.
    #[error("ath must be the base64url SHA-256 hash of the access token")]
    WrongAth,
    /// `nonce` is present but not a string of at most 256 characters.
    #[error("nonce must be the string of the DPoP-Nonce header")]
    BadNonce,
}

/// Verifies one DPoP header value (RFC 9449 §4.3).
pub fn verify(header_value: &str, request: &DpopRequest<'_>) -> Result<VerifiedDpop, DpopError> {
    let token = header_value.trim();
    if token.contains(',') {
        return Err(DpopError::Multiple);
    }
    let parsed = jws::parse(token).map_err(|e| DpopError::Malformed(e.to_string()))?;
    let header = parsed.header();
    let claims = parsed.payload();
    let text = |map: &serde_json::Map<String, Value>, name: &str| {
        map.get(name).and_then(Value::as_str).map(str::to_owned)
    };
    if text(header, "typ").as_deref() != Some(DPOP_TYP) {
        return Err(DpopError::WrongTyp);
    }
    let alg_name = text(header, "alg").ok_or(DpopError::MissingAlg)?;
    if !DPOP_ALGS.contains(&alg_name.as_str()) {
        return Err(DpopError::UnsupportedAlg(alg_name));
    }
    let alg = Alg::from_name(&alg_name).ok_or(DpopError::UnsupportedAlg(alg_name.clone()))?;
    let jwk = header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or(DpopError::MissingJwk)?;
    if jwk.contains_key("d") {
        return Err(DpopError::PrivateJwk);
    }
    let key = PublicKey::from_jwk(jwk).map_err(|e| DpopError::InvalidJwk(e.to_string()))?;
    key.verify(alg, parsed.signing_input().as_bytes(), parsed.signature())
        .map_err(|e| DpopError::BadSignature(e.to_string()))?;
    let jti = text(claims, "jti").ok_or(DpopError::MissingJti)?;
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(DpopError::BadJti);
    }
    if text(claims, "htm").as_deref() != Some(request.method) {
        return Err(DpopError::WrongMethod(request.method.to_owned()));
    }
    let htu = text(claims, "htu").ok_or(DpopError::MissingHtu)?;
    if !same_url(&htu, request.url) {
        return Err(DpopError::WrongUrl(strip_query(request.url).to_owned()));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or(DpopError::MissingIat)?;
    if iat > request.now.saturating_add(request.max_skew) {
        return Err(DpopError::FutureIat);
    }
    if request.now > iat.saturating_add(request.max_age) {
        return Err(DpopError::TooOld);
    }
    jwt_time::check_validity(claims, request.now, request.max_skew)
        .map_err(|e| DpopError::OutsideValidity(e.to_string()))?;
    if let Some(access_token) = request.access_token {
        if text(claims, "ath").as_deref() != Some(access_token_hash(access_token).as_str()) {
            return Err(DpopError::WrongAth);
        }
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(Value::String(n)) if !n.is_empty() && n.len() <= MAX_JTI_LEN => Some(n.clone()),
        Some(_) => return Err(DpopError::BadNonce),
    };
    Ok(VerifiedDpop {
        jkt: key.thumbprint(),
        jti,
        iat,
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_without_query_and_with_case_insensitive_host() {
        assert!(same_url(
            "https://Issuer.Example.com/token",
            "https://issuer.example.com/token?x=1"
        ));
        assert!(!same_url(
            "https://issuer.example.com/Token",
            "https://issuer.example.com/token"
        ));
        assert!(!same_url(
            "https://issuer.example.com/token",
            "https://other.example.com/token"
        ));
    }
}
