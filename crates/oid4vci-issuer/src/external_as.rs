//! External authorization server mode: the credential endpoint accepts JWT access tokens
//! (RFC 9068) issued by an authorization server the issuer trusts (Keycloak and the like),
//! instead of — or besides — its own tokens. The check is a small trait,
//! [`AccessTokenVerifier`]; [`JwtAccessTokenVerifier`] verifies RFC 9068 tokens against the
//! authorization server's JWKS (which the embedder fetches and refreshes: this crate does no I/O).

use crate::clock::UnixTime;
use oid4vci_proof::{jws, jwt_time, Alg, PublicKey};
use oid4vci_types::AuthorizationDetail;
use serde_json::{Map, Value};
use std::fmt;

/// Longest access token accepted.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// What a verified external access token grants.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalGrant {
    /// `sub`: the user.
    pub subject: String,
    /// `client_id`: the wallet.
    pub client_id: Option<String>,
    /// `scope`, space-separated.
    pub scope: Option<String>,
    /// `authorization_details` (RFC 9396), possibly with `credential_identifiers`.
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// `exp`.
    pub expires_at: UnixTime,
    /// `cnf.jkt`: the token is DPoP-bound to this key (RFC 9449 §6).
    pub dpop_jkt: Option<String>,
}

/// Verifies access tokens from an external authorization server.
pub trait AccessTokenVerifier: Send + Sync + 'static {
    /// The authorization server's issuer identifier (listed in the issuer metadata's
    /// `authorization_servers`).
    fn issuer(&self) -> &str;

    /// Checks `token` at `now`; the error says why it is refused.
    fn verify(&self, token: &str, now: UnixTime) -> Result<ExternalGrant, TokenRejected>;
}

/// Why an external access token was refused (RFC 9068). The text says what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRejected {
    /// Longer than 8 KiB.
    #[error("the access token is too long")]
    TooLong,
    /// Not a compact JWS with JSON header and claims.
    #[error("not a JWT: {0}")]
    Malformed(String),
    /// `typ` is not `at+jwt`.
    #[error("typ must be at+jwt (RFC 9068 Section 4)")]
    WrongTyp,
    /// `alg` is missing or not ES256 / EdDSA.
    #[error("alg must be ES256 or EdDSA")]
    UnsupportedAlg,
    /// No key of the authorization server's JWKS verifies the signature.
    #[error("not signed by a key of the authorization server's JWKS")]
    UnknownSigner,
    /// `iss` is not the authorization server.
    #[error("iss must be {0}")]
    WrongIssuer(String),
    /// `aud` does not contain the Credential Issuer Identifier.
    #[error("aud must contain {0}")]
    WrongAudience(String),
    /// A required claim is missing (RFC 9068 §2.2).
    #[error("{0} is missing (RFC 9068 Section 2.2)")]
    MissingClaim(&'static str),
    /// `exp` or `nbf` exclude now.
    #[error("{0}")]
    OutsideValidity(String),
    /// `authorization_details` do not parse.
    #[error("authorization_details: {0}")]
    InvalidAuthorizationDetails(String),
    /// Another verifier's reason (for example a refused token introspection).
    #[error("{0}")]
    Other(String),
}

/// Why a JWKS gave no verifier.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The document has no `keys` array.
    #[error("the JWKS has no keys array")]
    NoKeys,
    /// No key is a P-256 or Ed25519 signing key.
    #[error("the JWKS has no P-256 or Ed25519 signing key")]
    NoUsableKey,
}

/// RFC 9068 JWT access tokens signed with a key of the authorization server's JWKS (ES256 or
/// EdDSA): `typ` `at+jwt`, `iss` the authorization server, `aud` containing the Credential
/// Issuer Identifier, `exp` in the future, `iat`, `jti`, `sub` and `client_id` present.
#[derive(Clone)]
pub struct JwtAccessTokenVerifier {
    issuer: String,
    audience: String,
    keys: Vec<(Option<String>, PublicKey)>,
    leeway: u64,
}

impl fmt::Debug for JwtAccessTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAccessTokenVerifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("keys", &self.keys.len())
            .finish()
    }
}

fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl JwtAccessTokenVerifier {
    /// A verifier for tokens of `issuer` meant for `audience` (the Credential Issuer
    /// Identifier), with the signing keys of `jwks` (`{"keys": [...]}`; keys that are not
    /// P-256 or Ed25519 signing keys are skipped). Fails when no key is usable.
    pub fn from_jwks(issuer: &str, audience: &str, jwks: &Value) -> Result<Self, JwksError> {
        let list = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksError::NoKeys)?;
        let keys: Vec<(Option<String>, PublicKey)> = list
            .iter()
            .filter(|k| {
                k.get("use")
                    .and_then(Value::as_str)
                    .is_none_or(|u| u == "sig")
            })
            .filter_map(|k| {
                let key = PublicKey::from_jwk_value(k).ok()?;
                Some((k.get("kid").and_then(Value::as_str).map(str::to_owned), key))
            })
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(JwtAccessTokenVerifier {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys,
            leeway: 60,
        })
    }
}

impl AccessTokenVerifier for JwtAccessTokenVerifier {
    fn issuer(&self) -> &str {
        &self.issuer
    }

    fn verify(&self, token: &str, now: UnixTime) -> Result<ExternalGrant, TokenRejected> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenRejected::TooLong);
        }
        let parsed = jws::parse(token).map_err(|e| TokenRejected::Malformed(e.to_string()))?;
        let (header, claims) = (parsed.header(), parsed.payload());
        let typ = text(header, "typ").unwrap_or_default().to_ascii_lowercase();
        if typ != "at+jwt" && typ != "application/at+jwt" {
            return Err(TokenRejected::WrongTyp);
        }
        let alg = text(header, "alg")
            .and_then(Alg::from_name)
            .ok_or(TokenRejected::UnsupportedAlg)?;
        let kid = text(header, "kid");
        let signed = self
            .keys
            .iter()
            .filter(|(k, _)| kid.is_none() || k.as_deref() == kid)
            .any(|(_, key)| {
                key.verify(alg, parsed.signing_input().as_bytes(), parsed.signature())
                    .is_ok()
            });
        if !signed {
            return Err(TokenRejected::UnknownSigner);
        }
        if text(claims, "iss") != Some(self.issuer.as_str()) {
            return Err(TokenRejected::WrongIssuer(self.issuer.clone()));
        }
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => *a == self.audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&self.audience)),
            _ => false,
        };
        if !aud_ok {
            return Err(TokenRejected::WrongAudience(self.audience.clone()));
        }
        for name in ["sub", "client_id", "jti"] {
            if text(claims, name).is_none() {
                return Err(TokenRejected::MissingClaim(name));
            }
        }
        for name in ["exp", "iat"] {
            if !claims.contains_key(name) {
                return Err(TokenRejected::MissingClaim(name));
            }
        }
        let expires_at = jwt_time::check_validity(claims, now, self.leeway)
            .map_err(|e| TokenRejected::OutsideValidity(e.to_string()))?
            .unwrap_or(now);
        let authorization_details = match claims.get("authorization_details") {
            None => None,
            Some(v) => Some(
                serde_json::from_value::<Vec<AuthorizationDetail>>(v.clone())
                    .map_err(|e| TokenRejected::InvalidAuthorizationDetails(e.to_string()))?,
            ),
        };
        Ok(ExternalGrant {
            subject: text(claims, "sub").unwrap_or_default().to_owned(),
            client_id: text(claims, "client_id").map(str::to_owned),
            scope: text(claims, "scope").map(str::to_owned),
            authorization_details,
            expires_at,
            dpop_jkt: claims
                .get("cnf")
                .and_then(|c| c.get("jkt"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}
