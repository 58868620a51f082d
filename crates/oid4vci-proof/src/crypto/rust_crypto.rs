//! The `rustcrypto` backend: `p256`, `ed25519-dalek`, `sha2` and `hmac`, all pure Rust.

use hmac::{Hmac, Mac as _};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use sha2::{Digest as _, Sha256};

use super::signing::SignError;
use crate::key::Alg;

pub(crate) const NAME: &str = "rustcrypto";

/// A parsed P-256 verification key.
#[derive(Clone)]
pub(crate) struct P256Key(p256::ecdsa::VerifyingKey);

/// Parses a SEC1 point (33 or 65 bytes); returns the key and its uncompressed encoding.
pub(crate) fn p256_parse(sec1: &[u8]) -> Option<(P256Key, [u8; 65])> {
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(sec1).ok()?;
    let uncompressed: [u8; 65] = key.to_encoded_point(false).as_bytes().try_into().ok()?;
    Some((P256Key(key), uncompressed))
}

/// ES256 verification of a 64-byte `r || s` (high-S accepted).
pub(crate) fn p256_verify(key: &P256Key, msg: &[u8], sig: &[u8]) -> bool {
    p256::ecdsa::Signature::from_slice(sig)
        .map(|s| key.0.verify(msg, &s).is_ok())
        .unwrap_or(false)
}

/// A parsed Ed25519 verification key (a curve point of large order).
#[derive(Clone)]
pub(crate) struct Ed25519Key(ed25519_dalek::VerifyingKey);

/// Why 32 bytes are not an acceptable Ed25519 public key.
pub(crate) enum Ed25519Reject {
    NotAPoint,
    SmallOrder,
}

pub(crate) fn ed25519_parse(bytes: &[u8; 32]) -> Result<Ed25519Key, Ed25519Reject> {
    let vk =
        ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| Ed25519Reject::NotAPoint)?;
    if vk.is_weak() {
        return Err(Ed25519Reject::SmallOrder);
    }
    Ok(Ed25519Key(vk))
}

/// Strict Ed25519 verification (`verify_strict`).
pub(crate) fn ed25519_verify(key: &Ed25519Key, msg: &[u8], sig: &[u8]) -> bool {
    ed25519_dalek::Signature::from_slice(sig)
        .map(|s| key.0.verify_strict(msg, &s).is_ok())
        .unwrap_or(false)
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; new_from_slice cannot fail.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0u8; 32],
    }
}

/// A private key.
#[derive(Clone)]
pub(crate) enum Secret {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl Secret {
    pub(crate) fn generate(alg: Alg) -> Result<Secret, SignError> {
        let mut rng = rand_core::OsRng;
        Ok(match alg {
            Alg::Es256 => Secret::P256(p256::ecdsa::SigningKey::random(&mut rng)),
            Alg::EdDsa => Secret::Ed25519(ed25519_dalek::SigningKey::generate(&mut rng)),
        })
    }

    pub(crate) fn from_raw(alg: Alg, bytes: &[u8]) -> Result<Secret, SignError> {
        match alg {
            Alg::Es256 => p256::ecdsa::SigningKey::from_slice(bytes)
                .map(Secret::P256)
                .map_err(|_| SignError::InvalidKey("not a P-256 private scalar".into())),
            Alg::EdDsa => {
                let seed: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| SignError::InvalidKey("not an Ed25519 seed".into()))?;
                Ok(Secret::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                    &seed,
                )))
            }
        }
    }

    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<Secret, SignError> {
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(Secret::P256(k));
        }
        ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .map(Secret::Ed25519)
            .map_err(|_| SignError::InvalidKey("not a PKCS#8 P-256 or Ed25519 private key".into()))
    }

    pub(crate) fn alg(&self) -> Alg {
        match self {
            Secret::P256(_) => Alg::Es256,
            Secret::Ed25519(_) => Alg::EdDsa,
        }
    }

    pub(crate) fn public_bytes(&self) -> Vec<u8> {
        match self {
            Secret::P256(k) => k
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            Secret::Ed25519(k) => k.verifying_key().as_bytes().to_vec(),
        }
    }

    pub(crate) fn to_raw(&self) -> Result<Vec<u8>, SignError> {
        Ok(match self {
            Secret::P256(k) => k.to_bytes().to_vec(),
            Secret::Ed25519(k) => k.to_bytes().to_vec(),
        })
    }

    pub(crate) fn to_pkcs8(&self) -> Result<Vec<u8>, SignError> {
        match self {
            Secret::P256(k) => k.to_pkcs8_der().map(|d| d.as_bytes().to_vec()),
            Secret::Ed25519(k) => k.to_pkcs8_der().map(|d| d.as_bytes().to_vec()),
        }
        .map_err(|_| SignError::Backend("PKCS#8 encoding failed"))
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(match self {
            Secret::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_bytes().to_vec()
            }
            Secret::Ed25519(k) => ed25519_dalek::Signer::sign(k, message).to_bytes().to_vec(),
        })
    }
}
