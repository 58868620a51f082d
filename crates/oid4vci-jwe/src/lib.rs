//! # oid4vci-jwe
//!
//! Encrypted Credential Requests and Responses (OpenID for Verifiable Credential Issuance 1.0
//! Sections 8.2 and 10; HAIP) for [`oid4vci_issuer`]: [`JweEncryption`] implements
//! [`MessageEncryption`] with [josekit](https://docs.rs/josekit).
//!
//! - Requests: compact JWEs with `alg` `ECDH-ES` to one of the issuer's P-256 keys (chosen by
//!   `kid`), `enc` `A128GCM` or `A256GCM`; compression (`zip`) is refused.
//! - Responses: encrypted to the wallet's `credential_response_encryption.jwk` with its `alg`
//!   (`ECDH-ES`, `ECDH-ES+A128KW` or `ECDH-ES+A256KW`; EC P-256/P-384/P-521 or X25519 keys) and
//!   `enc` (`A128GCM`, `A256GCM`).
//! - Either direction can be required (`encryption_required` in the metadata).
//!
//! ```
//! use oid4vci_jwe::JweEncryption;
//! use oid4vci_issuer::MessageEncryption;
//! use oid4vci_types::CredentialResponseEncryption;
//!
//! let issuer_side = JweEncryption::generate()?;
//! let metadata = issuer_side.request_metadata().expect("requests can be encrypted");
//! assert_eq!(metadata["jwks"]["keys"][0]["alg"], "ECDH-ES");
//!
//! // A wallet key for the response.
//! let wallet = josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256)?;
//! let mut public = wallet.to_public_key()?;
//! public.set_algorithm("ECDH-ES");
//! let parameters = CredentialResponseEncryption {
//!     jwk: serde_json::from_str(&public.to_string())?,
//!     enc: "A128GCM".into(),
//!     zip: None,
//!     alg: None,
//!     extra: Default::default(),
//! };
//! issuer_side.check_response_parameters(&parameters)?;
//! let jwe = issuer_side.encrypt_response(br#"{"credentials":[]}"#, &parameters)?;
//! let decrypter = josekit::jwe::ECDH_ES.decrypter_from_jwk(&wallet)?;
//! let (plaintext, _) = josekit::jwe::deserialize_compact(&jwe, &decrypter)?;
//! assert_eq!(plaintext, br#"{"credentials":[]}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod header;

use josekit::jwe::{JweDecrypter, JweHeader, ECDH_ES, ECDH_ES_A128KW, ECDH_ES_A256KW};
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use oid4vci_issuer::{EncryptionError, MessageEncryption};
use oid4vci_types::CredentialResponseEncryption;
use serde_json::{json, Value};

/// Largest compact JWE request accepted (the HTTP adapters cap bodies at 64 KiB as well).
pub const MAX_JWE_LEN: usize = 64 * 1024;

/// Content encryption algorithms accepted and offered.
pub const ENC_VALUES: [&str; 2] = ["A128GCM", "A256GCM"];

/// Key management algorithms a wallet may ask for in `credential_response_encryption`.
pub const RESPONSE_ALG_VALUES: [&str; 3] = ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"];

fn err(reason: impl Into<String>) -> EncryptionError {
    EncryptionError(reason.into())
}

/// One of the issuer's request decryption keys.
struct RequestKey {
    kid: String,
    private: Jwk,
    decrypter: Box<dyn JweDecrypter>,
}

/// The issuer's encryption settings and keys.
pub struct JweEncryption {
    keys: Vec<RequestKey>,
    request_required: bool,
    response_required: bool,
}

impl std::fmt::Debug for JweEncryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JweEncryption")
            .field(
                "kids",
                &self.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
            )
            .field("request_required", &self.request_required)
            .field("response_required", &self.response_required)
            .finish()
    }
}

fn jose(e: josekit::JoseError) -> EncryptionError {
    err(e.to_string())
}

/// A response key the library cannot encrypt to, in our words (its own text, with source paths
/// of the crypto library, stays off the wire: CWE-209).
fn unusable_key() -> EncryptionError {
    err("jwk is not a usable public key for this alg: an EC P-256 key on its curve (kty EC, crv P-256, x, y) or an X25519 key (kty OKP, crv X25519, x) that is not of low order")
}

impl JweEncryption {
    /// A fresh P-256 request key (random `kid`); nothing required.
    pub fn generate() -> Result<Self, EncryptionError> {
        let mut key = Jwk::generate_ec_key(EcCurve::P256).map_err(jose)?;
        let kid = kid_of(&key)?;
        key.set_key_id(kid);
        let value = serde_json::to_value(&key).map_err(|e| err(e.to_string()))?;
        Self::from_private_jwks(&json!({ "keys": [value] }))
    }

    /// Loads request keys from a private JWK Set (each EC key with a unique `kid`), as written
    /// by [`private_jwks`](Self::private_jwks).
    pub fn from_private_jwks(jwks: &Value) -> Result<Self, EncryptionError> {
        let list = jwks
            .get("keys")
            .and_then(Value::as_array)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| err("the JWK Set has no keys"))?;
        let mut keys: Vec<RequestKey> = Vec::new();
        for value in list {
            let private = Jwk::from_bytes(value.to_string()).map_err(jose)?;
            let kid = private
                .key_id()
                .filter(|k| !k.is_empty())
                .ok_or_else(|| err("every request key needs a kid"))?
                .to_owned();
            if keys.iter().any(|k| k.kid == kid) {
                return Err(err(format!("the kid {kid} is used twice")));
            }
            let decrypter = Box::new(ECDH_ES.decrypter_from_jwk(&private).map_err(jose)?);
            keys.push(RequestKey {
                kid,
                private,
                decrypter,
            });
        }
        Ok(JweEncryption {
            keys,
            request_required: false,
            response_required: false,
        })
    }

    /// The private JWK Set, to persist the keys.
    pub fn private_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter_map(|k| serde_json::to_value(&k.private).ok())
            .collect();
        json!({ "keys": keys })
    }

    /// Requires encrypted requests (`credential_request_encryption.encryption_required`).
    pub fn require_encrypted_requests(mut self, required: bool) -> Self {
        self.request_required = required;
        self
    }

    /// Requires encrypted responses (`credential_response_encryption.encryption_required`).
    pub fn require_encrypted_responses(mut self, required: bool) -> Self {
        self.response_required = required;
        self
    }

    fn public_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter_map(|k| {
                let mut public = k.private.to_public_key().ok()?;
                public.set_key_id(k.kid.clone());
                public.set_key_use("enc");
                public.set_algorithm("ECDH-ES");
                serde_json::to_value(&public).ok()
            })
            .collect();
        json!({ "keys": keys })
    }

    fn request_key(&self, kid: Option<&str>) -> Result<&RequestKey, EncryptionError> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
                err(format!(
                    "kid {} is not one of this issuer's credential_request_encryption keys",
                    header::clip(kid)
                ))
            }),
            None if self.keys.len() == 1 => self.keys.first().ok_or_else(|| err("no key")),
            None => Err(err(
                "the JWE header has no kid; name the credential_request_encryption key it is encrypted to",
            )),
        }
    }
}

/// A kid derived from the public key (not secret, stable for the key).
fn kid_of(key: &Jwk) -> Result<String, EncryptionError> {
    let x = key
        .parameter("x")
        .and_then(Value::as_str)
        .ok_or_else(|| err("the generated key has no x coordinate"))?;
    Ok(format!("enc-{}", x.chars().take(16).collect::<String>()))
}

impl MessageEncryption for JweEncryption {
    fn request_metadata(&self) -> Option<Value> {
        Some(json!({
            "jwks": self.public_jwks(),
            "enc_values_supported": ENC_VALUES,
            "encryption_required": self.request_required,
        }))
    }

    fn response_metadata(&self) -> Option<Value> {
        Some(json!({
            "alg_values_supported": RESPONSE_ALG_VALUES,
            "enc_values_supported": ENC_VALUES,
            "encryption_required": self.response_required,
        }))
    }

    fn decrypt_request(&self, jwe: &str) -> Result<Vec<u8>, EncryptionError> {
        if jwe.len() > MAX_JWE_LEN {
            return Err(err(format!(
                "the JWE is {} bytes; at most {MAX_JWE_LEN} are accepted",
                jwe.len()
            )));
        }
        let protected = header::protected_header(jwe)?;
        let alg = header::text(&protected, "alg")?;
        if alg != "ECDH-ES" {
            return Err(err(format!(
                "alg {} is not supported for requests; use ECDH-ES",
                header::clip(alg)
            )));
        }
        let enc = header::text(&protected, "enc")?;
        if !ENC_VALUES.contains(&enc) {
            return Err(err(format!(
                "enc {} is not supported; use one of {}",
                header::clip(enc),
                ENC_VALUES.join(", ")
            )));
        }
        if protected.contains_key("zip") {
            return Err(err(
                "compressed (zip) requests are not accepted; zip_values_supported is empty",
            ));
        }
        if protected.contains_key("crit") {
            return Err(err(
                "the JWE header lists crit extensions; this issuer understands none (RFC 7516 Section 4.1.13)",
            ));
        }
        header::check_epk(&protected)?;
        // Every part is checked before the cipher sees it: the cipher is never handed an IV or
        // tag of the wrong size (an empty IV used to panic inside AES-GCM).
        header::check_parts(jwe)?;
        let kid = protected.get("kid").and_then(Value::as_str);
        let key = self.request_key(kid)?;
        let (plaintext, _header): (Vec<u8>, JweHeader) =
            josekit::jwe::deserialize_compact(jwe, key.decrypter.as_ref()).map_err(|_| {
                err(format!(
                    "it does not decrypt with key {}: the ciphertext or its authentication tag was altered, or it was encrypted to another key",
                    key.kid
                ))
            })?;
        Ok(plaintext)
    }

    fn check_response_parameters(
        &self,
        parameters: &CredentialResponseEncryption,
    ) -> Result<(), EncryptionError> {
        // A trial encryption, before anything is issued: a key that passes the parameter checks
        // but cannot be used (off its curve, an X25519 point of low order, RFC 7748 Section 6.1)
        // is refused here, not after the credential was minted.
        let (encrypter, header) = self.encrypter_for(parameters)?;
        josekit::jwe::serialize_compact(b"", &header, encrypter.as_ref())
            .map(|_| ())
            .map_err(|_| unusable_key())
    }

    fn encrypt_response(
        &self,
        plaintext: &[u8],
        parameters: &CredentialResponseEncryption,
    ) -> Result<String, EncryptionError> {
        let (encrypter, header) = self.encrypter_for(parameters)?;
        josekit::jwe::serialize_compact(plaintext, &header, encrypter.as_ref())
            .map_err(|_| unusable_key())
    }
}

impl JweEncryption {
    /// The encrypter and header for the wallet's parameters, or why they cannot be used.
    fn encrypter_for(
        &self,
        parameters: &CredentialResponseEncryption,
    ) -> Result<(Box<dyn josekit::jwe::JweEncrypter>, JweHeader), EncryptionError> {
        if !ENC_VALUES.contains(&parameters.enc.as_str()) {
            return Err(err(format!(
                "enc {} is not supported; use one of {}",
                header::clip(&parameters.enc),
                ENC_VALUES.join(", ")
            )));
        }
        if let Some(zip) = &parameters.zip {
            return Err(err(format!(
                "zip {} is not supported; omit zip",
                header::clip(zip)
            )));
        }
        let object = parameters
            .jwk
            .as_object()
            .ok_or_else(|| err("jwk must be a JSON object (the wallet's public key)"))?;
        if object.contains_key("d") {
            return Err(err(
                "jwk contains a private key (d); send only the public key",
            ));
        }
        let jwk_alg = object.get("alg").and_then(Value::as_str);
        let alg = match (jwk_alg, parameters.alg.as_deref()) {
            (Some(a), Some(b)) if a != b => {
                return Err(err("the jwk's alg and the request's alg differ"))
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => {
                return Err(err(
                    "the jwk has no alg; set it to ECDH-ES (OID4VCI 1.0 Section 10)",
                ))
            }
        };
        let jwk = Jwk::from_map(object.clone()).map_err(|_| unusable_key())?;
        let key = |e: josekit::JoseError| {
            let _ = e; // the library's text names its internals: keep it off the wire
            unusable_key()
        };
        let encrypter: Box<dyn josekit::jwe::JweEncrypter> = match alg {
            "ECDH-ES" => Box::new(ECDH_ES.encrypter_from_jwk(&jwk).map_err(key)?),
            "ECDH-ES+A128KW" => Box::new(ECDH_ES_A128KW.encrypter_from_jwk(&jwk).map_err(key)?),
            "ECDH-ES+A256KW" => Box::new(ECDH_ES_A256KW.encrypter_from_jwk(&jwk).map_err(key)?),
            other => {
                return Err(err(format!(
                    "alg {} is not supported; use one of {}",
                    header::clip(other),
                    RESPONSE_ALG_VALUES.join(", ")
                )))
            }
        };
        let mut header = JweHeader::new();
        header.set_content_encryption(parameters.enc.clone());
        if let Some(kid) = jwk.key_id() {
            header.set_key_id(kid);
        }
        Ok((encrypter, header))
    }
}
