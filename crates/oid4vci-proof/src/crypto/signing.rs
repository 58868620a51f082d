//! [`SigningKey`]: a backend-neutral private key (ES256 or EdDSA).

use std::fmt;

use serde_json::{Map, Value};

use super::imp;
use crate::jws::{b64url_decode, b64url_encode};
use crate::key::{Alg, PublicKey};

/// Why a private key could not be made, read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key material is malformed or not a valid key for its algorithm.
    #[error("invalid private key: {0}")]
    InvalidKey(String),
    /// The backend failed (random number generator, encoding).
    #[error("the crypto backend failed: {0}")]
    Backend(&'static str),
}

/// A private signing key for ES256 (P-256) or EdDSA (Ed25519), independent of the backend.
///
/// Keys go in and out as PKCS#8 DER, raw bytes (the 32-byte P-256 scalar or Ed25519 seed) and
/// JWK; the secret never appears in `Debug` output.
#[derive(Clone)]
pub struct SigningKey {
    secret: imp::Secret,
    public: PublicKey,
}

impl SigningKey {
    fn wrap(secret: imp::Secret) -> Result<SigningKey, SignError> {
        let bytes = secret.public_bytes();
        let public = match secret.alg() {
            Alg::Es256 => PublicKey::p256_from_sec1(&bytes),
            Alg::EdDsa => PublicKey::ed25519_from_bytes(&bytes),
        }
        .map_err(|e| SignError::InvalidKey(e.to_string()))?;
        Ok(SigningKey { secret, public })
    }

    /// A fresh key from the OS random number generator.
    pub fn generate(alg: Alg) -> Result<SigningKey, SignError> {
        Self::wrap(imp::Secret::generate(alg)?)
    }

    /// From raw private bytes: the 32-byte big-endian P-256 scalar (ES256) or the 32-byte
    /// Ed25519 seed (EdDSA).
    pub fn from_raw(alg: Alg, bytes: &[u8]) -> Result<SigningKey, SignError> {
        if bytes.len() != 32 {
            return Err(SignError::InvalidKey(format!(
                "a {alg} private key is 32 bytes, found {}",
                bytes.len()
            )));
        }
        Self::wrap(imp::Secret::from_raw(alg, bytes)?)
    }

    /// The raw private bytes (see [`from_raw`](Self::from_raw)). Handle with care.
    pub fn to_raw(&self) -> Result<Vec<u8>, SignError> {
        self.secret.to_raw()
    }

    /// From an unencrypted PKCS#8 `PrivateKeyInfo` (RFC 5208 / RFC 5958 v1 or v2) holding a
    /// P-256 or Ed25519 key.
    pub fn from_pkcs8(der: &[u8]) -> Result<SigningKey, SignError> {
        Self::wrap(imp::Secret::from_pkcs8(der)?)
    }

    /// The key as PKCS#8 DER (v1 for Ed25519, with the public key for P-256).
    pub fn to_pkcs8(&self) -> Result<Vec<u8>, SignError> {
        self.secret.to_pkcs8()
    }

    /// From a private JWK (`{"kty":"EC","crv":"P-256","d",..}` or `{"kty":"OKP",
    /// "crv":"Ed25519","d",..}`); public members, when present, must belong to `d`.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<SigningKey, SignError> {
        let d = jwk
            .get("d")
            .and_then(Value::as_str)
            .and_then(b64url_decode)
            .ok_or_else(|| SignError::InvalidKey("no base64url private member d".into()))?;
        let alg = match (
            jwk.get("kty").and_then(Value::as_str),
            jwk.get("crv").and_then(Value::as_str),
        ) {
            (Some("EC"), Some("P-256")) => Alg::Es256,
            (Some("OKP"), Some("Ed25519")) => Alg::EdDsa,
            _ => {
                return Err(SignError::InvalidKey(
                    "must be an EC P-256 or OKP Ed25519 private JWK".into(),
                ))
            }
        };
        let key = Self::from_raw(alg, &d)?;
        let public = key.public.to_jwk();
        for m in ["x", "y"] {
            if let Some(given) = jwk.get(m) {
                if public.get(m) != Some(given) {
                    return Err(SignError::InvalidKey(format!(
                        "member {m} does not match the private key d"
                    )));
                }
            }
        }
        Ok(key)
    }

    /// The private JWK (public members plus `d`). Handle with care.
    pub fn to_private_jwk(&self) -> Result<Map<String, Value>, SignError> {
        let mut jwk = self.public.to_jwk();
        jwk.insert("d".into(), b64url_encode(&self.to_raw()?).into());
        Ok(jwk)
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Alg {
        self.secret.alg()
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The public JWK with only the required members (see [`PublicKey::to_jwk`]).
    pub fn public_jwk(&self) -> Map<String, Value> {
        self.public.to_jwk()
    }

    /// Signs `message`: a 64-byte `r || s` (ES256, randomised or RFC 6979 nonce depending on the
    /// backend) or a 64-byte Ed25519 signature.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.secret.sign(message)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey::{}({})",
            self.public.kind(),
            self.public.thumbprint()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_signs_for_both_algorithms() {
        for alg in Alg::ALL {
            let key = SigningKey::generate(alg).unwrap();
            assert_eq!(key.alg(), alg);
            let sig = key.sign(b"m").unwrap();
            assert_eq!(sig.len(), 64);
            assert!(key.public_key().verify(alg, b"m", &sig).is_ok());
            assert!(key.public_key().verify(alg, b"M", &sig).is_err());
            let from_pkcs8 = SigningKey::from_pkcs8(&key.to_pkcs8().unwrap()).unwrap();
            assert_eq!(from_pkcs8.public_key(), key.public_key());
            let from_raw = SigningKey::from_raw(alg, &key.to_raw().unwrap()).unwrap();
            assert_eq!(from_raw.public_key(), key.public_key());
            let jwk = key.to_private_jwk().unwrap();
            assert_eq!(
                SigningKey::from_jwk(&jwk).unwrap().public_key(),
                key.public_key()
            );
            let debug = format!("{key:?}");
            assert!(!debug.contains(jwk["d"].as_str().unwrap()));
        }
    }

    #[test]
    fn refuses_bad_private_keys() {
        // Zero and the group order (and above) are not P-256 scalars.
        assert!(SigningKey::from_raw(Alg::Es256, &[0u8; 32]).is_err());
        assert!(SigningKey::from_raw(Alg::Es256, &[0xff; 32]).is_err());
        assert!(SigningKey::from_raw(Alg::Es256, &[1u8; 31]).is_err());
        assert!(SigningKey::from_pkcs8(b"not der").is_err());
        let key = SigningKey::generate(Alg::Es256).unwrap();
        let mut jwk = key.to_private_jwk().unwrap();
        let other = SigningKey::generate(Alg::Es256).unwrap().public_jwk();
        jwk.insert("x".into(), other["x"].clone());
        assert!(SigningKey::from_jwk(&jwk).is_err());
    }
}
