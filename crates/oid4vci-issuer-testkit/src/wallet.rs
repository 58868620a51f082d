//! [`TestWallet`]: a minimal wallet for tests, examples and benchmarks: holds a P-256 (or
//! Ed25519) key and makes `openid4vci-proof+jwt` key proofs with it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_proof::crypto::SigningKey;
use oid4vci_proof::Alg;
use rand_core::OsRng;
use serde_json::{json, Value};

/// A wallet key that signs ES256 (or EdDSA) proofs with a `jwk` header.
#[derive(Clone)]
pub struct TestWallet {
    key: SigningKey,
}

impl std::fmt::Debug for TestWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestWallet")
            .field("jwk", &self.public_jwk())
            .finish()
    }
}

impl Default for TestWallet {
    fn default() -> Self {
        TestWallet::new()
    }
}

impl TestWallet {
    /// A wallet with a fresh P-256 key.
    ///
    /// # Panics
    /// Only if the operating system's random number generator fails.
    pub fn new() -> Self {
        match SigningKey::generate(Alg::Es256) {
            Ok(key) => TestWallet { key },
            Err(e) => panic!("cannot generate a wallet key: {e}"),
        }
    }

    /// A wallet signing with `key`.
    pub fn from_key(key: SigningKey) -> Self {
        TestWallet { key }
    }

    /// The key it signs with.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> Value {
        Value::Object(self.key.public_jwk())
    }

    /// Signs a JWS with the given header and payload.
    pub fn sign(&self, header: &Value, payload: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        // Signing fails only if the backend's RNG does; an empty signature then never verifies.
        let sig = self.key.sign(input.as_bytes()).unwrap_or_default();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// A DPoP proof (RFC 9449) for `POST url`, with `ath` when `access_token` is given.
    pub fn dpop_proof(&self, url: &str, access_token: Option<&str>, iat: u64) -> String {
        self.dpop_proof_with_nonce(url, access_token, iat, None)
    }

    /// A DPoP proof carrying the server's `nonce` (RFC 9449 §8) when given.
    pub fn dpop_proof_with_nonce(
        &self,
        url: &str,
        access_token: Option<&str>,
        iat: u64,
        nonce: Option<&str>,
    ) -> String {
        let header =
            json!({"typ": "dpop+jwt", "alg": self.key.alg().as_str(), "jwk": self.public_jwk()});
        let mut jti = [0u8; 12];
        rand_core::RngCore::fill_bytes(&mut OsRng, &mut jti);
        let mut claims =
            json!({"htm": "POST", "htu": url, "iat": iat, "jti": URL_SAFE_NO_PAD.encode(jti)});
        if let (Some(token), Value::Object(m)) = (access_token, &mut claims) {
            m.insert(
                "ath".into(),
                json!(oid4vci_issuer::dpop::access_token_hash(token)),
            );
        }
        if let (Some(nonce), Value::Object(m)) = (nonce, &mut claims) {
            m.insert("nonce".into(), json!(nonce));
        }
        self.sign(&header, &claims)
    }

    /// A valid `jwt` key proof for `audience` with `nonce`, issued at `iat`.
    pub fn proof(&self, audience: &str, nonce: Option<&str>, iat: u64) -> String {
        let header = json!({"typ": "openid4vci-proof+jwt", "alg": self.key.alg().as_str(), "jwk": self.public_jwk()});
        let mut payload = json!({"aud": audience, "iat": iat});
        if let (Some(n), Value::Object(m)) = (nonce, &mut payload) {
            m.insert("nonce".into(), json!(n));
        }
        self.sign(&header, &payload)
    }
}
