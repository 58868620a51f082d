//! Public keys (P-256 and Ed25519): parsing from JWK, SEC1, SPKI and multicodec, RFC 7638
//! thumbprints and signature verification.

use std::fmt;

use serde_json::{Map, Value};

use crate::crypto::imp;

use crate::jws::{b64url_decode, b64url_encode};

/// A JWS signature algorithm this crate can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// ECDSA on P-256 with SHA-256, signature = 64-byte `r || s` (RFC 7518 §3.4).
    Es256,
    /// EdDSA with Ed25519 (RFC 8037).
    EdDsa,
}

impl Alg {
    /// All algorithms this crate implements.
    pub const ALL: [Alg; 2] = [Alg::Es256, Alg::EdDsa];

    /// The JOSE name (`"ES256"`, `"EdDSA"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }

    /// Parses a JOSE algorithm name (case-sensitive, RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Alg> {
        match name {
            "ES256" => Some(Alg::Es256),
            "EdDSA" => Some(Alg::EdDsa),
            _ => None,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why key material could not be turned into a [`PublicKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The JWK carries private key members.
    #[error("the JWK contains the private key member(s) {0}; send only the public key")]
    PrivateMembers(String),
    /// `kty`/`crv` not supported (with what was found).
    #[error("unsupported key type {0}; supported: EC P-256, OKP Ed25519")]
    Unsupported(String),
    /// A required member is missing or not a string.
    #[error("the JWK member {0} is missing or not a string")]
    MissingMember(&'static str),
    /// A coordinate is not base64url or has the wrong length.
    #[error("the JWK member {0} is not base64url of exactly {1} bytes")]
    BadCoordinate(&'static str, usize),
    /// The point is not on the curve / not a valid encoding.
    #[error("the key is not a valid point on {0}")]
    InvalidPoint(&'static str),
    /// `use` is present and not `sig`.
    #[error("the JWK member use is {0:?}; a signing key must have use \"sig\" or none")]
    WrongUse(String),
    /// Generic malformed input (SPKI, SEC1, multicodec).
    #[error("{0}")]
    Malformed(String),
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The key cannot be used with this algorithm.
    #[error("a {key} key cannot verify {alg} signatures")]
    AlgMismatch {
        /// The algorithm asked for.
        alg: Alg,
        /// The key type found.
        key: &'static str,
    },
    /// The signature has the wrong length (ES256 and EdDSA are 64 bytes).
    #[error("the {alg} signature is {len} bytes; it must be exactly 64")]
    Length {
        /// The algorithm.
        alg: Alg,
        /// The length found.
        len: usize,
    },
    /// The signature is well-formed but does not verify.
    #[error("the signature does not verify")]
    Mismatch,
}

/// A holder or issuer public key (P-256 or Ed25519), parsed once and verified through the active
/// crypto backend (see [`crate::crypto`]). It never exposes a backend type: keys go in and out
/// as JWK, SEC1, SPKI DER and multicodec bytes.
#[derive(Clone)]
pub struct PublicKey(Inner);

#[derive(Clone)]
enum Inner {
    P256 {
        uncompressed: [u8; 65],
        key: imp::P256Key,
    },
    Ed25519 {
        bytes: [u8; 32],
        key: imp::Ed25519Key,
    },
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &PublicKey) -> bool {
        match (&self.0, &other.0) {
            (
                Inner::P256 {
                    uncompressed: a, ..
                },
                Inner::P256 {
                    uncompressed: b, ..
                },
            ) => a == b,
            (Inner::Ed25519 { bytes: a, .. }, Inner::Ed25519 { bytes: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match &self.0 {
            Inner::P256 { uncompressed, .. } => uncompressed.hash(state),
            Inner::Ed25519 { bytes, .. } => bytes.hash(state),
        }
    }
}

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

impl PublicKey {
    /// Parses a public JWK (RFC 7517): `{"kty":"EC","crv":"P-256","x","y"}` or
    /// `{"kty":"OKP","crv":"Ed25519","x"}`. Private members (`d`, …) are refused, the point must
    /// be on the curve, `use` (if present) must be `sig`. Other members (`kid`, `alg`, …) are
    /// ignored here.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<PublicKey, KeyError> {
        let private: Vec<&str> = PRIVATE_MEMBERS
            .iter()
            .copied()
            .filter(|m| jwk.contains_key(*m))
            .collect();
        if !private.is_empty() {
            return Err(KeyError::PrivateMembers(private.join(", ")));
        }
        if let Some(u) = jwk.get("use") {
            if u.as_str() != Some("sig") {
                return Err(KeyError::WrongUse(short(u)));
            }
        }
        let kty = jwk.get("kty").and_then(Value::as_str);
        let crv = jwk.get("crv").and_then(Value::as_str);
        match (kty, crv) {
            (Some("EC"), Some("P-256")) => {
                let x = coordinate(jwk, "x", 32)?;
                let y = coordinate(jwk, "y", 32)?;
                let mut sec1 = [4u8; 65];
                sec1[1..33].copy_from_slice(&x);
                sec1[33..].copy_from_slice(&y);
                Self::p256_from_sec1(&sec1)
            }
            (Some("OKP"), Some("Ed25519")) => {
                let x = coordinate(jwk, "x", 32)?;
                Self::ed25519_from_bytes(&x)
            }
            (None, _) => Err(KeyError::MissingMember("kty")),
            (Some(k), c) => Err(KeyError::Unsupported(format!(
                "kty {k:?}{}",
                c.map(|c| format!(" crv {c:?}")).unwrap_or_default()
            ))),
        }
    }

    /// Parses a JWK from a JSON value (must be an object).
    pub fn from_jwk_value(jwk: &Value) -> Result<PublicKey, KeyError> {
        match jwk {
            Value::Object(m) => Self::from_jwk(m),
            other => Err(KeyError::Malformed(format!(
                "a JWK must be a JSON object, found {}",
                crate::error::json_type(other)
            ))),
        }
    }

    /// P-256 key from SEC1 bytes (33-byte compressed or 65-byte uncompressed).
    pub fn p256_from_sec1(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        if !matches!(bytes.len(), 33 | 65) {
            return Err(KeyError::Malformed(format!(
                "a SEC1 P-256 point is 33 or 65 bytes, found {}",
                bytes.len()
            )));
        }
        imp::p256_parse(bytes)
            .map(|(key, uncompressed)| PublicKey(Inner::P256 { uncompressed, key }))
            .ok_or(KeyError::InvalidPoint("P-256"))
    }

    /// Ed25519 key from its 32-byte encoding. Small-order ("weak") keys are refused.
    pub fn ed25519_from_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            KeyError::Malformed(format!(
                "an Ed25519 public key is 32 bytes, found {}",
                bytes.len()
            ))
        })?;
        match imp::ed25519_parse(&arr) {
            Ok(key) => Ok(PublicKey(Inner::Ed25519 { bytes: arr, key })),
            Err(imp::Ed25519Reject::NotAPoint) => Err(KeyError::InvalidPoint("Ed25519")),
            Err(imp::Ed25519Reject::SmallOrder) => {
                Err(KeyError::InvalidPoint("Ed25519 (small-order point)"))
            }
        }
    }

    /// Parses a DER `SubjectPublicKeyInfo` (id-ecPublicKey/prime256v1 or id-Ed25519).
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        use x509_parser::prelude::FromDer as _;
        let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| KeyError::Malformed(format!("not a DER SubjectPublicKeyInfo: {e}")))?;
        if !rest.is_empty() {
            return Err(KeyError::Malformed(
                "trailing bytes after the SubjectPublicKeyInfo".into(),
            ));
        }
        Self::from_spki(&spki)
    }

    pub(crate) fn from_spki(
        spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>,
    ) -> Result<PublicKey, KeyError> {
        use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ED25519};
        let alg = &spki.algorithm;
        let key = spki.subject_public_key.data.as_ref();
        if alg.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = alg
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .ok_or_else(|| KeyError::Malformed("EC key without a named curve".into()))?;
            if curve != OID_EC_P256 {
                return Err(KeyError::Unsupported(format!("EC curve {curve}")));
            }
            Self::p256_from_sec1(key)
        } else if alg.algorithm == OID_SIG_ED25519 {
            Self::ed25519_from_bytes(key)
        } else {
            Err(KeyError::Unsupported(format!(
                "public key algorithm {}",
                alg.algorithm
            )))
        }
    }

    /// The key type name used in diagnostics (`"P-256"`, `"Ed25519"`).
    pub fn kind(&self) -> &'static str {
        match self.0 {
            Inner::P256 { .. } => "P-256",
            Inner::Ed25519 { .. } => "Ed25519",
        }
    }

    /// The one algorithm this key verifies.
    pub fn alg(&self) -> Alg {
        match self.0 {
            Inner::P256 { .. } => Alg::Es256,
            Inner::Ed25519 { .. } => Alg::EdDsa,
        }
    }

    /// The SEC1 encoding: 65-byte uncompressed P-256 point, or for Ed25519 its 32-byte
    /// encoding (RFC 8032 §5.1.2).
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.0 {
            Inner::P256 { uncompressed, .. } => uncompressed.to_vec(),
            Inner::Ed25519 { bytes, .. } => bytes.to_vec(),
        }
    }

    /// The 33-byte compressed SEC1 encoding of a P-256 key (`None` for Ed25519).
    pub fn to_sec1_compressed(&self) -> Option<[u8; 33]> {
        match &self.0 {
            Inner::P256 { uncompressed, .. } => {
                let mut out = [0u8; 33];
                out[0] = 2 | (uncompressed[64] & 1);
                out[1..].copy_from_slice(&uncompressed[1..33]);
                Some(out)
            }
            Inner::Ed25519 { .. } => None,
        }
    }

    /// The DER `SubjectPublicKeyInfo` (RFC 5480 for P-256, RFC 8410 for Ed25519).
    pub fn to_spki_der(&self) -> Vec<u8> {
        // Fixed AlgorithmIdentifier prefixes: id-ecPublicKey + prime256v1, and id-Ed25519.
        const P256_PREFIX: [u8; 26] = [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        const ED25519_PREFIX: [u8; 12] = [
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        let (prefix, key): (&[u8], &[u8]) = match &self.0 {
            Inner::P256 { uncompressed, .. } => (&P256_PREFIX, uncompressed),
            Inner::Ed25519 { bytes, .. } => (&ED25519_PREFIX, bytes),
        };
        [prefix, key].concat()
    }

    /// The public JWK with only the required members (`kty`, `crv`, `x`[, `y`]).
    pub fn to_jwk(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match &self.0 {
            Inner::P256 { uncompressed, .. } => {
                m.insert("kty".into(), "EC".into());
                m.insert("crv".into(), "P-256".into());
                m.insert("x".into(), b64url_encode(&uncompressed[1..33]).into());
                m.insert("y".into(), b64url_encode(&uncompressed[33..]).into());
            }
            Inner::Ed25519 { bytes, .. } => {
                m.insert("kty".into(), "OKP".into());
                m.insert("crv".into(), "Ed25519".into());
                m.insert("x".into(), b64url_encode(bytes).into());
            }
        }
        m
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url).
    pub fn thumbprint(&self) -> String {
        // Required members in lexicographic order, no whitespace (RFC 7638 §3.2). Built by hand
        // so it does not depend on serde_json's map ordering (`preserve_order`).
        let canonical = match &self.0 {
            Inner::P256 { uncompressed, .. } => {
                let x = b64url_encode(&uncompressed[1..33]);
                let y = b64url_encode(&uncompressed[33..]);
                format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#)
            }
            Inner::Ed25519 { bytes, .. } => {
                let x = b64url_encode(bytes);
                format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#)
            }
        };
        b64url_encode(&crate::crypto::sha256(canonical.as_bytes()))
    }

    /// Verifies a JWS signature over `signing_input`. ES256 signatures must be exactly 64
    /// bytes `r || s` (high-S is valid); Ed25519 uses strict verification (RFC 8032 §5.1.7).
    pub fn verify(
        &self,
        alg: Alg,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        if alg != self.alg() {
            return Err(SignatureError::AlgMismatch {
                alg,
                key: self.kind(),
            });
        }
        if signature.len() != 64 {
            return Err(SignatureError::Length {
                alg,
                len: signature.len(),
            });
        }
        let ok = match &self.0 {
            Inner::P256 { key, .. } => imp::p256_verify(key, signing_input, signature),
            Inner::Ed25519 { key, .. } => imp::ed25519_verify(key, signing_input, signature),
        };
        if ok {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey::{}({})", self.kind(), self.thumbprint())
    }
}

fn coordinate(
    jwk: &Map<String, Value>,
    name: &'static str,
    len: usize,
) -> Result<Vec<u8>, KeyError> {
    let s = jwk
        .get(name)
        .and_then(Value::as_str)
        .ok_or(KeyError::MissingMember(name))?;
    match b64url_decode(s) {
        Some(b) if b.len() == len => Ok(b),
        _ => Err(KeyError::BadCoordinate(name, len)),
    }
}

fn short(v: &Value) -> String {
    crate::error::clip(&v.to_string(), 40)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer as _;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn p256_roundtrip_sign_verify() {
        let sk = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let pk = PublicKey::p256_from_sec1(sk.verifying_key().to_encoded_point(false).as_bytes())
            .unwrap();
        let jwk = pk.to_jwk();
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), pk);
        let sig: p256::ecdsa::Signature = sk.sign(b"hello");
        assert!(pk.verify(Alg::Es256, b"hello", &sig.to_bytes()).is_ok());
        assert_eq!(
            pk.verify(Alg::Es256, b"hellO", &sig.to_bytes()),
            Err(SignatureError::Mismatch)
        );
        let der = sig.to_der();
        assert!(matches!(
            pk.verify(Alg::Es256, b"hello", der.as_bytes()),
            Err(SignatureError::Length { .. })
        ));
        assert!(matches!(
            pk.verify(Alg::EdDsa, b"hello", &sig.to_bytes()),
            Err(SignatureError::AlgMismatch { .. })
        ));
        let compressed = sk.verifying_key().to_encoded_point(true);
        assert_eq!(
            PublicKey::p256_from_sec1(compressed.as_bytes()).unwrap(),
            pk
        );
    }

    #[test]
    fn ed25519_roundtrip_and_weak_keys() {
        let sk = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        let pk = PublicKey::ed25519_from_bytes(sk.verifying_key().as_bytes()).unwrap();
        assert_eq!(PublicKey::from_jwk(&pk.to_jwk()).unwrap(), pk);
        let sig = ed25519_dalek::Signer::sign(&sk, b"m");
        assert!(pk.verify(Alg::EdDsa, b"m", &sig.to_bytes()).is_ok());
        // The identity point (small order) is refused as a key.
        let mut ident = [0u8; 32];
        ident[0] = 1;
        assert!(PublicKey::ed25519_from_bytes(&ident).is_err());
    }

    #[test]
    fn jwk_rejections() {
        let sk = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let mut jwk =
            PublicKey::p256_from_sec1(sk.verifying_key().to_encoded_point(false).as_bytes())
                .unwrap()
                .to_jwk();
        jwk.insert("d".into(), b64url_encode(&sk.to_bytes()).into());
        assert!(matches!(PublicKey::from_jwk(&jwk), Err(KeyError::PrivateMembers(m)) if m == "d"));
        jwk.remove("d");
        jwk.insert("use".into(), "enc".into());
        assert!(matches!(
            PublicKey::from_jwk(&jwk),
            Err(KeyError::WrongUse(_))
        ));
        jwk.remove("use");
        // Off-curve point: flip y.
        let mut bad = jwk.clone();
        bad.insert("y".into(), b64url_encode(&[7u8; 32]).into());
        assert_eq!(
            PublicKey::from_jwk(&bad),
            Err(KeyError::InvalidPoint("P-256"))
        );
        let mut short_x = jwk.clone();
        short_x.insert("x".into(), b64url_encode(&[1u8; 31]).into());
        assert_eq!(
            PublicKey::from_jwk(&short_x),
            Err(KeyError::BadCoordinate("x", 32))
        );
        assert!(matches!(
            PublicKey::from_jwk(&obj(
                serde_json::json!({"kty":"EC","crv":"P-384","x":"AA","y":"AA"})
            )),
            Err(KeyError::Unsupported(_))
        ));
        assert!(matches!(
            PublicKey::from_jwk(&obj(serde_json::json!({"kty":"RSA","n":"AA","e":"AQAB"}))),
            Err(KeyError::Unsupported(_))
        ));
        assert_eq!(
            PublicKey::from_jwk(&obj(serde_json::json!({"crv":"P-256"}))),
            Err(KeyError::MissingMember("kty"))
        );
    }

    #[test]
    fn spki_der_roundtrip() {
        // P-256 SPKI from Wycheproof's first ECDSA group (publicKeyDer).
        let der = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200042927b10512bae3eddcfe467828128bad2903269919f7086069c8c4df6c732838c7787964eaac00e5921fb1498a60f4606766b3d9685001558d1a974e7341513e");
        let pk = PublicKey::from_spki_der(&der).unwrap();
        assert_eq!(pk.kind(), "P-256");
        let ed = hex("302a300506032b65700321007d4d0e7f6153a69b6242b522abbee685fda4420f8834b108c3bdae369ef549fa");
        assert_eq!(PublicKey::from_spki_der(&ed).unwrap().kind(), "Ed25519");
        assert!(PublicKey::from_spki_der(&der[..40]).is_err());
    }

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
