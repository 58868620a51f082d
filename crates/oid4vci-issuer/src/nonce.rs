//! Stateless `c_nonce` values (Section 7, 13.8): answering the public Nonce Endpoint allocates
//! nothing. A nonce is `base64url(issued_at ‖ random ‖ HMAC-SHA-256(key, issued_at ‖ random)[..16])`;
//! it is authentic if the MAC verifies and fresh if `issued_at` is within its lifetime. Single use
//! is enforced when a nonce is consumed, by the store's nonce ledger.

use crate::clock::UnixTime;
use crate::secrets::SecretSource;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_proof::crypto;
use oid4vci_proof::{NonceRejection, NonceVerifier};
use std::fmt;
use subtle::ConstantTimeEq;

const RANDOM_LEN: usize = 16;
const MAC_LEN: usize = 16;
const NONCE_LEN: usize = 8 + RANDOM_LEN + MAC_LEN;

/// The issuer's server-side secret: mints and checks stateless nonces, and derives
/// pre-authorized codes from offer ids so neither is ever stored in the clear.
#[derive(Clone)]
pub struct ServerKey {
    key: [u8; 32],
    /// How long a nonce stays valid, in seconds.
    pub lifetime: u64,
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKey")
            .field("key", &"<redacted>")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl ServerKey {
    /// A key from 32 secret bytes (persist them to keep nonces valid across restarts).
    pub fn new(key: [u8; 32], lifetime: u64) -> Self {
        ServerKey { key, lifetime }
    }

    /// A fresh random key.
    pub fn generate(source: &dyn SecretSource, lifetime: u64) -> Self {
        let mut key = [0u8; 32];
        source.fill(&mut key);
        ServerKey::new(key, lifetime)
    }

    fn mac(&self, data: &[u8]) -> [u8; MAC_LEN] {
        let mut out = [0u8; MAC_LEN];
        let full = crypto::hmac_sha256(&self.key, data);
        out.copy_from_slice(full.get(..MAC_LEN).unwrap_or(&[0u8; MAC_LEN]));
        out
    }

    /// A key for another kind of stateless nonce (for example DPoP nonces): derived from this
    /// one under `label`, so a nonce of one kind is never accepted as the other.
    pub fn subkey(&self, label: &str, lifetime: u64) -> ServerKey {
        let mut data = Vec::with_capacity(label.len() + 8);
        data.extend_from_slice(b"subkey\0");
        data.extend_from_slice(label.as_bytes());
        ServerKey::new(crypto::hmac_sha256(&self.key, &data), lifetime)
    }

    /// Derives a secret from `input` under a purpose `label` (base64url of an HMAC-SHA-256).
    pub fn derive(&self, label: &str, input: &str) -> String {
        let mut data = Vec::with_capacity(label.len() + 1 + input.len());
        data.extend_from_slice(label.as_bytes());
        data.push(0);
        data.extend_from_slice(input.as_bytes());
        URL_SAFE_NO_PAD.encode(crypto::hmac_sha256(&self.key, &data))
    }

    /// Mints a nonce issued at `now`.
    pub fn mint(&self, source: &dyn SecretSource, now: UnixTime) -> String {
        let mut raw = [0u8; NONCE_LEN];
        raw[..8].copy_from_slice(&now.to_be_bytes());
        source.fill(&mut raw[8..8 + RANDOM_LEN]);
        let mac = self.mac(&raw[..8 + RANDOM_LEN]);
        raw[8 + RANDOM_LEN..].copy_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// When a nonce was issued, if it is one of ours (MAC verifies).
    pub fn issued_at(&self, nonce: &str) -> Option<UnixTime> {
        if nonce.len() > 64 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        if raw.len() != NONCE_LEN {
            return None;
        }
        let (data, mac) = raw.split_at(8 + RANDOM_LEN);
        if !bool::from(self.mac(data).ct_eq(mac)) {
            return None;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(data.get(..8)?);
        Some(u64::from_be_bytes(ts))
    }

    /// When the nonce stops being valid.
    pub fn expires_at(&self, nonce: &str) -> Option<UnixTime> {
        self.issued_at(nonce)
            .map(|t| t.saturating_add(self.lifetime))
    }

    /// A [`NonceVerifier`] for proofs checked at `now`.
    pub fn verifier(&self, now: UnixTime) -> NonceCheckAt<'_> {
        NonceCheckAt { key: self, now }
    }
}

/// Checks nonces against a [`ServerKey`] at a fixed time.
#[derive(Debug)]
pub struct NonceCheckAt<'a> {
    key: &'a ServerKey,
    now: UnixTime,
}

/// Nonces minted up to this many seconds "in the future" (clock steps) are still accepted.
const FUTURE_SKEW: u64 = 60;

impl NonceVerifier for NonceCheckAt<'_> {
    fn verify(&self, nonce: &str) -> Result<(), NonceRejection> {
        let issued = self.key.issued_at(nonce).ok_or(NonceRejection::Unknown)?;
        if issued > self.now.saturating_add(FUTURE_SKEW) {
            return Err(NonceRejection::Unknown);
        }
        if self.now > issued.saturating_add(self.key.lifetime) {
            return Err(NonceRejection::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::OsSecretSource;

    #[test]
    fn nonces_verify_expire_and_resist_forgery() {
        let key = ServerKey::generate(&OsSecretSource, 300);
        let n = key.mint(&OsSecretSource, 1_000);
        assert_eq!(key.verifier(1_100).verify(&n), Ok(()));
        assert_eq!(key.verifier(1_301).verify(&n), Err(NonceRejection::Expired));
        let other = ServerKey::generate(&OsSecretSource, 300);
        assert_eq!(
            other.verifier(1_100).verify(&n),
            Err(NonceRejection::Unknown)
        );
        let mut tampered = n.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert_eq!(
            key.verifier(1_100).verify(&tampered),
            Err(NonceRejection::Unknown)
        );
        assert_eq!(
            key.verifier(1_100).verify("short"),
            Err(NonceRejection::Unknown)
        );
        assert_ne!(n, key.mint(&OsSecretSource, 1_000));
    }
}
