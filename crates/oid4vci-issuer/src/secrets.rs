//! Secrets: where random bytes come from ([`SecretSource`]), and how secrets are kept
//! ([`SecretHash`]: SHA-256, compared in constant time, never printed).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use std::fmt;
use subtle::ConstantTimeEq;

/// A source of cryptographically secure random bytes.
pub trait SecretSource: Send + Sync + 'static {
    /// Fills `out` with random bytes.
    fn fill(&self, out: &mut [u8]);
}

/// The operating system's CSPRNG.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsSecretSource;

impl SecretSource for OsSecretSource {
    fn fill(&self, out: &mut [u8]) {
        OsRng.fill_bytes(out);
    }
}

/// A random, URL-safe secret of `bytes` random bytes (base64url, no padding).
pub fn random_token(source: &dyn SecretSource, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    source.fill(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A random numeric code of `digits` digits (for transaction codes), without modulo bias.
pub fn random_digits(source: &dyn SecretSource, digits: usize) -> String {
    let mut out = String::with_capacity(digits);
    while out.len() < digits {
        let mut b = [0u8; 1];
        source.fill(&mut b);
        if b[0] < 250 {
            out.push(char::from(b'0' + b[0] % 10));
        }
    }
    out
}

/// The SHA-256 hash of a secret: what sessions store and stores index, never the secret itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// Hashes a secret.
    pub fn of(secret: &str) -> Self {
        SecretHash(oid4vci_proof::crypto::sha256(secret.as_bytes()))
    }

    /// True when `secret` hashes to this value; the comparison takes constant time.
    pub fn matches(&self, secret: &str) -> bool {
        self.ct_eq(&SecretHash::of(secret))
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// Lower-case hex, for storage columns.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses lower- or upper-case hex.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, slot) in out.iter_mut().enumerate() {
            let pair = hex.get(i * 2..i * 2 + 2)?;
            *slot = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(SecretHash(out))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A short prefix of the hash identifies it in logs without helping anyone guess the secret.
        write!(
            f,
            "SecretHash({}…)",
            self.to_hex().get(..8).unwrap_or_default()
        )
    }
}

impl Serialize for SecretHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SecretHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SecretHash::from_hex(&s).ok_or_else(|| serde::de::Error::custom("invalid secret hash"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_only_their_secret_and_hide_in_debug() {
        let h = SecretHash::of("code-123");
        assert!(h.matches("code-123"));
        assert!(!h.matches("code-124"));
        assert_eq!(SecretHash::from_hex(&h.to_hex()), Some(h));
        assert!(!format!("{h:?}").contains(&h.to_hex()));
    }

    #[test]
    fn random_values_have_the_requested_shape() {
        let t = random_token(&OsSecretSource, 32);
        assert_eq!(t.len(), 43);
        assert_ne!(t, random_token(&OsSecretSource, 32));
        let d = random_digits(&OsSecretSource, 6);
        assert!(d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit()));
    }
}
