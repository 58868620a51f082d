//! The `aws-lc-rs` backend. Ed25519 key decoding and the small-order checks that make
//! verification strict use `curve25519-dalek` (pure Rust point decompression), so that both
//! backends refuse exactly the same keys and signatures.

use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::{AsBigEndian as _, AsDer as _};
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING, ED25519,
};
use aws_lc_rs::{digest, hmac, rand::SystemRandom};
use curve25519_dalek::edwards::CompressedEdwardsY;

use super::signing::SignError;
use crate::key::Alg;

pub(crate) const NAME: &str = "aws-lc-rs";

/// A parsed P-256 verification key.
#[derive(Clone)]
pub(crate) struct P256Key(ParsedPublicKey);

/// Parses a SEC1 point (33 or 65 bytes); returns the key and its uncompressed encoding.
pub(crate) fn p256_parse(sec1: &[u8]) -> Option<(P256Key, [u8; 65])> {
    if !matches!(sec1.first(), Some(2..=4)) {
        return None;
    }
    let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, sec1).ok()?;
    let uncompressed: [u8; 65] = match sec1.try_into() {
        Ok(u) => u,
        Err(_) => {
            // Compressed: the SPKI encoding carries the uncompressed point at its end.
            let der = key.as_der().ok()?;
            let bytes = der.as_ref();
            bytes.get(bytes.len().checked_sub(65)?..)?.try_into().ok()?
        }
    };
    Some((P256Key(key), uncompressed))
}

/// ES256 verification of a 64-byte `r || s` (high-S accepted).
pub(crate) fn p256_verify(key: &P256Key, msg: &[u8], sig: &[u8]) -> bool {
    key.0.verify_sig(msg, sig).is_ok()
}

/// A parsed Ed25519 verification key (already checked: a curve point of large order).
#[derive(Clone)]
pub(crate) struct Ed25519Key(ParsedPublicKey);

/// Why 32 bytes are not an acceptable Ed25519 public key.
pub(crate) enum Ed25519Reject {
    NotAPoint,
    SmallOrder,
}

pub(crate) fn ed25519_parse(bytes: &[u8; 32]) -> Result<Ed25519Key, Ed25519Reject> {
    let point = CompressedEdwardsY(*bytes)
        .decompress()
        .ok_or(Ed25519Reject::NotAPoint)?;
    if point.is_small_order() {
        return Err(Ed25519Reject::SmallOrder);
    }
    ParsedPublicKey::new(&ED25519, bytes)
        .map(Ed25519Key)
        .map_err(|_| Ed25519Reject::NotAPoint)
}

/// The canonical encodings of the eight points of small order (the torsion subgroup).
fn small_order_encodings() -> &'static [[u8; 32]; 8] {
    static TABLE: OnceLock<[[u8; 32]; 8]> = OnceLock::new();
    TABLE
        .get_or_init(|| curve25519_dalek::constants::EIGHT_TORSION.map(|p| p.compress().to_bytes()))
}

/// Strict Ed25519 verification. AWS-LC checks `S < L` and compares the canonical encoding of
/// the recomputed `R` with the signature's; the one rule of `verify_strict` it lacks, a
/// small-order `R`, is added here (a non-canonical `R` can never match, so the canonical
/// encodings suffice).
pub(crate) fn ed25519_verify(key: &Ed25519Key, msg: &[u8], sig: &[u8]) -> bool {
    let Some(r) = sig.get(..32) else {
        return false;
    };
    if small_order_encodings().iter().any(|e| e.as_slice() == r) {
        return false;
    }
    key.0.verify_sig(msg, sig).is_ok()
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// A private key (shared: AWS-LC keys are immutable and thread-safe).
#[derive(Clone)]
pub(crate) enum Secret {
    P256(Arc<EcdsaKeyPair>),
    Ed25519(Arc<Ed25519KeyPair>),
}

/// RFC 5915 `ECPrivateKey` for a bare P-256 scalar: SEQUENCE { 1, OCTET STRING d,
/// [0] prime256v1 }; AWS-LC derives the public point.
fn rfc5915(d: &[u8]) -> Vec<u8> {
    let mut der = vec![0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20];
    der.extend_from_slice(d);
    der.extend_from_slice(&[
        0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ]);
    der
}

impl Secret {
    pub(crate) fn generate(alg: Alg) -> Result<Secret, SignError> {
        match alg {
            Alg::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .map(|k| Secret::P256(Arc::new(k)))
                .map_err(|_| SignError::Backend("P-256 key generation failed")),
            Alg::EdDsa => Ed25519KeyPair::generate()
                .map(|k| Secret::Ed25519(Arc::new(k)))
                .map_err(|_| SignError::Backend("Ed25519 key generation failed")),
        }
    }

    pub(crate) fn from_raw(alg: Alg, bytes: &[u8]) -> Result<Secret, SignError> {
        match alg {
            Alg::Es256 => EcdsaKeyPair::from_private_key_der(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &rfc5915(bytes),
            )
            .map(|k| Secret::P256(Arc::new(k)))
            .map_err(|_| SignError::InvalidKey("not a P-256 private scalar".into())),
            Alg::EdDsa => Ed25519KeyPair::from_seed_unchecked(bytes)
                .map(|k| Secret::Ed25519(Arc::new(k)))
                .map_err(|_| SignError::InvalidKey("not an Ed25519 seed".into())),
        }
    }

    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<Secret, SignError> {
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
            return Ok(Secret::P256(Arc::new(k)));
        }
        if let Ok(k) = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
            return Ok(Secret::P256(Arc::new(k)));
        }
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map(|k| Secret::Ed25519(Arc::new(k)))
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
            Secret::P256(k) => k.public_key().as_ref().to_vec(),
            Secret::Ed25519(k) => k.public_key().as_ref().to_vec(),
        }
    }

    pub(crate) fn to_raw(&self) -> Result<Vec<u8>, SignError> {
        match self {
            Secret::P256(k) => k
                .private_key()
                .as_be_bytes()
                .map(|b| b.as_ref().to_vec())
                .map_err(|_| SignError::Backend("cannot export the P-256 scalar")),
            Secret::Ed25519(k) => k
                .seed()
                .and_then(|s| s.as_be_bytes())
                .map(|b| b.as_ref().to_vec())
                .map_err(|_| SignError::Backend("cannot export the Ed25519 seed")),
        }
    }

    pub(crate) fn to_pkcs8(&self) -> Result<Vec<u8>, SignError> {
        match self {
            Secret::P256(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
            Secret::Ed25519(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|_| SignError::Backend("PKCS#8 encoding failed"))
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match self {
            Secret::P256(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SignError::Backend("ECDSA signing failed")),
            Secret::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::{EdwardsPoint, Scalar};
    use sha2::Digest as _;

    /// AWS-LC alone accepts a signature whose `R` is the identity (it satisfies the
    /// cofactorless equation); the explicit small-order check is what refuses it.
    #[test]
    fn the_small_order_r_check_is_load_bearing() {
        let a = Scalar::from_bytes_mod_order([0x5a; 32]);
        let public = EdwardsPoint::mul_base(&a).compress();
        let r = EdwardsPoint::default().compress();
        let msg = b"m";
        let mut h = sha2::Sha512::new();
        h.update(r.as_bytes());
        h.update(public.as_bytes());
        h.update(msg);
        let s = Scalar::from_bytes_mod_order_wide(&h.finalize().into()) * a;
        let sig = [r.as_bytes().as_slice(), s.as_bytes().as_slice()].concat();
        let Ok(key) = ed25519_parse(public.as_bytes()) else {
            panic!("a large-order key");
        };
        assert!(
            key.0.verify_sig(msg, &sig).is_ok(),
            "AWS-LC is lenient here"
        );
        assert!(!ed25519_verify(&key, msg, &sig));
    }
}
