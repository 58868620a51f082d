//! # oid4vci-jwe
//!
//! Encrypted Credential Requests and Responses (OpenID for Verifiable Credential Issuance 1.0
//! Sections 8.2 and 10; HAIP) for [`oid4vci_issuer`]: [`JweEncryption`] implements
//! [`MessageEncryption`] with [josekit](https://docs.rs/josekit).
//!
//! - Requests: compact JWEs with `alg` `ECDH-ES` to one of the issuer's P-256 keys (chosen by
//!   `kid`), `enc` `A128GCM` or `A256GCM`; compression (`zip`, never inflated) and any `crit` are refused. Every
//!   part is checked before the cipher sees it ([`JweEncryption::open_request`]).
//! - Responses: encrypted to the wallet's `credential_response_encryption.jwk` with its `alg`
//!   (`ECDH-ES`, `ECDH-ES+A128KW` or `ECDH-ES+A256KW`; EC P-256/P-384/P-521 or X25519 keys) and
//!   `enc` (`A128GCM`, `A256GCM`), compressed first with DEFLATE when it asks for `zip` `DEF`
//!   (the only value of `zip_values_supported`).
//! - Either direction can be required (`encryption_required` in the metadata).
//! - Refusals are [`JweError`]s: their `Display` (what the wallet reads) is in this crate's
//!   words; the crypto library's text is only their [`detail`](JweError::detail), which the
//!   [`MessageEncryption`] implementation logs with `tracing` and never returns (CWE-209).
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

mod error;
mod header;
mod params;

pub use error::{JweError, JwePart, LibraryDetail};
pub use params::{ENC_VALUES, MAX_JWE_LEN, RESPONSE_ALG_VALUES, RESPONSE_ZIP_VALUES};

use josekit::jwe::{JweDecrypter, JweHeader, ECDH_ES, ECDH_ES_A128KW, ECDH_ES_A256KW};
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use oid4vci_issuer::{EncryptionError, MessageEncryption};
use oid4vci_types::CredentialResponseEncryption;
use serde_json::{json, Value};

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

/// Errors of key setup (the operator's, not the wallet's): the library's text is kept.
fn jose(e: josekit::JoseError) -> EncryptionError {
    err(e.to_string())
}

/// A response key the library cannot encrypt to: in our words, with the library's text (which
/// names OpenSSL's functions and source paths) as the detail for the log only (CWE-209).
fn unusable_key(e: josekit::JoseError) -> JweError {
    JweError::UnusableKey {
        detail: LibraryDetail::of(&e),
    }
}

/// A refusal of wallet input, for the [`MessageEncryption`] port: the description for the
/// wallet; the library's text, where the library refused, goes to the log (`info`: the wallet's
/// input, not a fault of the issuer) and nowhere else.
fn refused(e: JweError) -> EncryptionError {
    if let Some(detail) = e.detail() {
        tracing::info!(error = %e, detail = %detail, "JWE refused");
    }
    e.into()
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
            let mut decrypter = ECDH_ES.decrypter_from_jwk(&private).map_err(jose)?;
            // The key is chosen by kid here (request_key); josekit would otherwise also demand
            // the kid in the header, refusing a request to the only key that omits it.
            decrypter.remove_key_id();
            let decrypter = Box::new(decrypter);
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

    fn request_key(&self, kid: Option<&str>) -> Result<&RequestKey, JweError> {
        match (kid, self.keys.as_slice()) {
            (Some(kid), keys) => {
                keys.iter()
                    .find(|k| k.kid == kid)
                    .ok_or_else(|| JweError::UnknownKid {
                        kid: header::clip(kid),
                    })
            }
            (None, [only]) => Ok(only),
            (None, _) => Err(JweError::KidRequired),
        }
    }

    /// Opens a compact JWE request; returns the plaintext (the JSON request). Every part is
    /// checked before the cipher sees it, in this order: the size ([`MAX_JWE_LEN`]); five
    /// parts; the protected header (base64url, a JSON object of at most 4096 characters);
    /// `alg` `ECDH-ES`; `enc` one of [`ENC_VALUES`]; no `zip`; no `crit` (RFC 7516 Section
    /// 4.1.13: a malformed one, and any extension, since none is understood); the `epk` a P-256
    /// key on its curve; an empty encrypted key; the IV and tag of the lengths `enc` needs (96
    /// and 128 bits for AES-GCM); the ciphertext base64url; then the key named by `kid` (or the
    /// only one). Only then is it decrypted.
    ///
    /// The [`MessageEncryption`] implementation calls this and hands the wallet the error's
    /// `Display`.
    pub fn open_request(&self, jwe: &str) -> Result<Vec<u8>, JweError> {
        if jwe.len() > MAX_JWE_LEN {
            return Err(JweError::TooLarge { len: jwe.len() });
        }
        let protected = header::protected_header(jwe)?;
        let alg = header::text(&protected, "alg")?;
        if alg != "ECDH-ES" {
            return Err(JweError::RequestAlgUnsupported {
                alg: header::clip(alg),
            });
        }
        let enc = header::text(&protected, "enc")?;
        if !ENC_VALUES.contains(&enc) {
            return Err(JweError::EncUnsupported {
                enc: header::clip(enc),
            });
        }
        if protected.contains_key("zip") {
            return Err(JweError::Compressed);
        }
        header::check_crit(&protected)?;
        header::check_epk(&protected)?;
        // The cipher is never handed an IV or tag of the wrong size (an empty IV used to panic
        // inside AES-GCM).
        header::check_parts(jwe, enc)?;
        let kid = protected.get("kid").and_then(Value::as_str);
        let key = self.request_key(kid)?;
        let (plaintext, _header): (Vec<u8>, JweHeader) =
            josekit::jwe::deserialize_compact(jwe, key.decrypter.as_ref()).map_err(|e| {
                JweError::Undecryptable {
                    kid: key.kid.clone(),
                    detail: LibraryDetail::of(&e),
                }
            })?;
        Ok(plaintext)
    }

    /// Checks the wallet's `credential_response_encryption` before anything is issued: `enc`
    /// one of [`ENC_VALUES`], `zip` absent or one of [`RESPONSE_ZIP_VALUES`], a public `jwk` with an `alg` of
    /// [`RESPONSE_ALG_VALUES`] (its own, or the request's, the same if both), and a trial
    /// encryption to it, so a key that parses but cannot be used (off its curve, or an X25519
    /// point of low order, RFC 7748 Section 6.1, whose shared secret is all zeros) is refused
    /// here and not after a credential was minted.
    pub fn check_response_key(
        &self,
        parameters: &CredentialResponseEncryption,
    ) -> Result<(), JweError> {
        self.seal_response(b"", parameters).map(|_| ())
    }

    /// Encrypts `plaintext` (the JSON response) to the wallet's `credential_response_encryption`;
    /// returns a compact JWE.
    pub fn seal_response(
        &self,
        plaintext: &[u8],
        parameters: &CredentialResponseEncryption,
    ) -> Result<String, JweError> {
        let (encrypter, header) = self.encrypter_for(parameters)?;
        josekit::jwe::serialize_compact(plaintext, &header, encrypter.as_ref())
            .map_err(unusable_key)
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
            "zip_values_supported": RESPONSE_ZIP_VALUES,
            "encryption_required": self.response_required,
        }))
    }

    fn decrypt_request(&self, jwe: &str) -> Result<Vec<u8>, EncryptionError> {
        self.open_request(jwe).map_err(refused)
    }

    fn check_response_parameters(
        &self,
        parameters: &CredentialResponseEncryption,
    ) -> Result<(), EncryptionError> {
        self.check_response_key(parameters).map_err(refused)
    }

    fn encrypt_response(
        &self,
        plaintext: &[u8],
        parameters: &CredentialResponseEncryption,
    ) -> Result<String, EncryptionError> {
        // The parameters passed check_response_key before anything was issued: a failure here
        // is the issuer's problem, logged as such.
        self.seal_response(plaintext, parameters).map_err(|e| {
            if let Some(detail) = e.detail() {
                tracing::warn!(error = %e, detail = %detail, "a checked response key could not be used");
            }
            e.into()
        })
    }
}

impl JweEncryption {
    /// The encrypter and header for the wallet's parameters, or why they cannot be used.
    fn encrypter_for(
        &self,
        parameters: &CredentialResponseEncryption,
    ) -> Result<(Box<dyn josekit::jwe::JweEncrypter>, JweHeader), JweError> {
        if !ENC_VALUES.contains(&parameters.enc.as_str()) {
            return Err(JweError::EncUnsupported {
                enc: header::clip(&parameters.enc),
            });
        }
        let zip = match parameters.zip.as_deref() {
            None => None,
            Some(zip) if RESPONSE_ZIP_VALUES.contains(&zip) => Some(zip),
            Some(zip) => {
                return Err(JweError::ZipUnsupported {
                    zip: header::clip(zip),
                })
            }
        };
        let object = parameters.jwk.as_object().ok_or(JweError::JwkNotObject)?;
        if object.contains_key("d") {
            return Err(JweError::PrivateJwk);
        }
        let jwk_alg = object.get("alg").and_then(Value::as_str);
        let alg = match (jwk_alg, parameters.alg.as_deref()) {
            (Some(a), Some(b)) if a != b => return Err(JweError::AlgMismatch),
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => return Err(JweError::AlgMissing),
        };
        if !RESPONSE_ALG_VALUES.contains(&alg) {
            // Before the key is parsed, so the wallet learns about the alg first.
            return Err(JweError::ResponseAlgUnsupported {
                alg: header::clip(alg),
            });
        }
        let jwk = Jwk::from_map(object.clone()).map_err(unusable_key)?;
        let encrypter: Box<dyn josekit::jwe::JweEncrypter> = match alg {
            "ECDH-ES+A128KW" => Box::new(
                ECDH_ES_A128KW
                    .encrypter_from_jwk(&jwk)
                    .map_err(unusable_key)?,
            ),
            "ECDH-ES+A256KW" => Box::new(
                ECDH_ES_A256KW
                    .encrypter_from_jwk(&jwk)
                    .map_err(unusable_key)?,
            ),
            "ECDH-ES" => Box::new(ECDH_ES.encrypter_from_jwk(&jwk).map_err(unusable_key)?),
            other => {
                return Err(JweError::ResponseAlgUnsupported {
                    alg: header::clip(other),
                })
            }
        };
        let mut header = JweHeader::new();
        header.set_content_encryption(parameters.enc.clone());
        if let Some(zip) = zip {
            // josekit deflates the plaintext before it encrypts it.
            header.set_compression(zip);
        }
        if let Some(kid) = jwk.key_id() {
            header.set_key_id(kid);
        }
        Ok((encrypter, header))
    }
}
