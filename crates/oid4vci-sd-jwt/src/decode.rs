//! [`DecodedSdJwt`]: an issued SD-JWT VC decoded (RFC 9901 §7.1): the issuer-signed JWT, every
//! disclosure matched to exactly one digest (`_sd` members of objects at any depth, `{"...":
//! digest}` array elements), the processed claims, the Key Binding JWT if present; and the
//! issuer signature verified with a key or against a certificate
//! ([`oid4vci_proof::issuer_signature`]).
//!
//! Every input is bounded ([`SdJwtLimits`]); JSON is parsed strictly (duplicate member names
//! refused, nesting bounded: [`oid4vci_proof::json`]); failures are [`DecodeError`]s.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_proof::issuer_signature::{verify_issuer_signature, IssuerSignature};
use oid4vci_proof::{crypto, json, Alg, PublicKey, SignatureError};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Bounds on what [`DecodedSdJwt::decode_with`] accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdJwtLimits {
    /// Bytes of the whole SD-JWT (issuer JWT, disclosures, KB-JWT).
    pub max_len: usize,
    /// Number of disclosures.
    pub max_disclosures: usize,
    /// Number of certificates in `x5c`.
    pub max_chain: usize,
}

impl Default for SdJwtLimits {
    fn default() -> Self {
        SdJwtLimits {
            max_len: 256 * 1024,
            max_disclosures: 1024,
            max_chain: oid4vci_proof::x5c::MAX_CHAIN_LEN,
        }
    }
}

/// Why an SD-JWT could not be decoded or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Empty input.
    #[error("the SD-JWT is empty")]
    Empty,
    /// A limit was exceeded.
    #[error("{what} is {found}, more than the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The size found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// The issuer-signed JWT is not a compact JWS with JSON object header and payload.
    #[error("the issuer-signed JWT: {0}")]
    Jwt(String),
    /// The header's `alg` is not ES256 or EdDSA.
    #[error("the issuer-signed JWT's alg is {0}; ES256 and EdDSA are supported")]
    UnsupportedAlg(String),
    /// `_sd_alg` is not `sha-256`.
    #[error("_sd_alg is {0}; only sha-256 is supported")]
    UnsupportedSdAlg(String),
    /// The header's `x5c` cannot be decoded.
    #[error("x5c: {0}")]
    X5c(String),
    /// A disclosure is not base64url of a JSON array `[salt, name, value]` or `[salt, value]`.
    #[error("disclosure {index}: {reason}")]
    Disclosure {
        /// Its position after the issuer JWT (0-based).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A disclosure's digest is not in the payload (tampered, or from another credential).
    #[error("disclosure {index} (digest {digest}) is not referenced by any _sd digest or array element of the payload: it was altered or belongs to another credential")]
    UnreferencedDisclosure {
        /// Its position.
        index: usize,
        /// Its digest (base64url SHA-256 of its encoding).
        digest: String,
    },
    /// The same digest occurs twice in the payload, or two disclosures have the same digest.
    #[error("the digest {0} occurs more than once (RFC 9901 Section 7.1)")]
    DuplicateDigest(String),
    /// A disclosure would overwrite a claim, is of the wrong kind for where its digest is, or
    /// discloses a reserved name.
    #[error("disclosure {index}: {reason}")]
    Misplaced {
        /// Its position.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// `_sd` is not an array of strings, or `...` is not a string.
    #[error("{0}")]
    BadDigests(String),
    /// The processed claims nest too deeply.
    #[error("the claims nest deeper than {0} levels")]
    TooDeep(usize),
    /// The Key Binding JWT is malformed.
    #[error("the key binding JWT: {0}")]
    KeyBinding(String),
    /// The issuer signature does not verify with the key given.
    #[error("the issuer signature: {0}")]
    Signature(SignatureError),
}

impl DecodeError {
    /// A stable code for reports (`malformed`, `too_large`, `unsupported_alg`,
    /// `disclosure_not_referenced`, `duplicate_digest`, `invalid_signature`, …).
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Empty | DecodeError::Jwt(_) | DecodeError::BadDigests(_) => "malformed",
            DecodeError::TooLarge { .. } | DecodeError::TooDeep(_) => "too_large",
            DecodeError::UnsupportedAlg(_) | DecodeError::UnsupportedSdAlg(_) => "unsupported_alg",
            DecodeError::X5c(_) => "bad_certificate",
            DecodeError::Disclosure { .. } => "malformed_disclosure",
            DecodeError::UnreferencedDisclosure { .. } => "disclosure_not_referenced",
            DecodeError::DuplicateDigest(_) => "duplicate_digest",
            DecodeError::Misplaced { .. } => "misplaced_disclosure",
            DecodeError::KeyBinding(_) => "malformed_key_binding",
            DecodeError::Signature(_) => "invalid_signature",
        }
    }
}

/// One disclosure, decoded and matched to its digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    /// The disclosure as it was (base64url).
    pub encoded: String,
    /// Its digest: base64url SHA-256 of `encoded`, as listed in the payload.
    pub digest: String,
    /// The salt.
    pub salt: String,
    /// The claim name; `None` for an array element.
    pub name: Option<String>,
    /// The disclosed value (as disclosed: digests inside it are resolved in
    /// [`DecodedSdJwt::claims`]).
    pub value: Value,
    /// Where its digest was found, a JSON Pointer into the payload: the object holding the
    /// `_sd` array, or the array element holding `{"...": digest}`.
    pub digest_at: String,
    /// Where the disclosed claim or element is in [`DecodedSdJwt::claims`] (JSON Pointer).
    pub path: String,
}

impl Disclosure {
    /// `{"digest", "salt", "name" (absent for array elements), "value", "digest_at", "path"}`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("digest".into(), self.digest.clone().into());
        out.insert("salt".into(), self.salt.clone().into());
        if let Some(name) = &self.name {
            out.insert("name".into(), name.clone().into());
        }
        out.insert("value".into(), self.value.clone());
        out.insert("digest_at".into(), self.digest_at.clone().into());
        out.insert("path".into(), self.path.clone().into());
        Value::Object(out)
    }
}

/// The Key Binding JWT (RFC 9901 §4.3), decoded and checked against the holder key in `cnf.jwk`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyBindingJwt {
    /// Its header.
    pub header: Map<String, Value>,
    /// Its payload.
    pub payload: Map<String, Value>,
    /// Whether `sd_hash` is the base64url SHA-256 of the SD-JWT it is appended to.
    pub sd_hash_matches: bool,
    /// Its signature with `cnf.jwk`: `Ok` when it verifies, or why not.
    pub signature: Result<(), String>,
}

/// An SD-JWT VC, decoded: see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct DecodedSdJwt {
    /// The issuer-signed JWT's header.
    pub header: Map<String, Value>,
    /// The issuer-signed JWT's payload, as signed (digests, `_sd_alg`).
    pub payload: Map<String, Value>,
    /// The disclosures in the order given.
    pub disclosures: Vec<Disclosure>,
    /// The processed claims: the payload with every disclosure put in place, `_sd`, `_sd_alg`
    /// and undisclosed array elements removed.
    pub claims: Map<String, Value>,
    /// The Key Binding JWT, if one is appended.
    pub key_binding: Option<KeyBindingJwt>,
    /// The header's `x5c` certificates (DER, leaf first), empty when it has none.
    pub x5c: Vec<Vec<u8>>,
    alg: Alg,
    signing_input: String,
    signature: Vec<u8>,
}

fn b64_json(part: &str, what: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| format!("the {what} is not base64url without padding"))?;
    json::parse_value(&bytes).map_err(|e| format!("the {what}: {e}"))
}

fn b64_object(part: &str, what: &str) -> Result<Map<String, Value>, String> {
    match b64_json(part, what)? {
        Value::Object(map) => Ok(map),
        _ => Err(format!("the {what} is not a JSON object")),
    }
}

/// Splits a compact JWS: header, payload, signature, signing input.
type Jws<'a> = (Map<String, Value>, Map<String, Value>, Vec<u8>, &'a str);

fn split_jws(jwt: &str) -> Result<Jws<'_>, String> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!(
            "{} dot-separated parts; a compact JWS has 3",
            jwt.split('.').count()
        ));
    };
    let header = b64_object(h, "header")?;
    let payload = b64_object(p, "payload")?;
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| "the signature is not base64url without padding".to_owned())?;
    let input = jwt.get(..h.len() + 1 + p.len()).unwrap_or_default();
    Ok((header, payload, signature, input))
}

fn digest_of(encoded: &str) -> String {
    URL_SAFE_NO_PAD.encode(crypto::sha256(encoded.as_bytes()))
}

/// Reserved names a disclosure cannot disclose (RFC 9901 §4.2.1).
const RESERVED: [&str; 3] = ["_sd", "_sd_alg", "..."];
/// Deepest nesting of the processed claims.
const MAX_DEPTH: usize = 32;

/// Appends a JSON Pointer reference token (RFC 6901 escaping).
fn pointer(base: &str, token: &str) -> String {
    format!("{base}/{}", token.replace('~', "~0").replace('/', "~1"))
}

struct Resolver {
    /// Digest → index of its disclosure.
    by_digest: HashMap<String, usize>,
    disclosures: Vec<Disclosure>,
    seen: std::collections::HashSet<String>,
}

impl Resolver {
    /// Takes the disclosure of `digest`, once: `None` when no disclosure has it (a decoy, or
    /// an undisclosed claim).
    fn take(&mut self, digest: &str) -> Result<Option<usize>, DecodeError> {
        if !self.seen.insert(digest.to_owned()) {
            return Err(DecodeError::DuplicateDigest(digest.to_owned()));
        }
        Ok(self.by_digest.get(digest).copied())
    }

    fn value(&mut self, value: Value, path: &str, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep(MAX_DEPTH));
        }
        match value {
            Value::Object(map) => Ok(Value::Object(self.object(map, path, depth)?)),
            Value::Array(items) => self.array(items, path, depth),
            other => Ok(other),
        }
    }

    fn object(
        &mut self,
        mut map: Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<Map<String, Value>, DecodeError> {
        let digests = match map.remove("_sd") {
            None => Vec::new(),
            Some(Value::Array(d)) => d,
            Some(_) => {
                return Err(DecodeError::BadDigests(format!(
                    "_sd at {path:?} is not an array"
                )))
            }
        };
        if depth == 0 {
            map.remove("_sd_alg");
        }
        let mut out = Map::new();
        for (name, value) in map {
            let at = pointer(path, &name);
            out.insert(name, self.value(value, &at, depth + 1)?);
        }
        for digest in digests {
            let Value::String(digest) = digest else {
                return Err(DecodeError::BadDigests(format!(
                    "_sd at {path:?} has an element that is not a digest string"
                )));
            };
            let Some(index) = self.take(&digest)? else {
                continue;
            };
            let Some(d) = self.disclosures.get_mut(index) else {
                continue;
            };
            let Some(name) = d.name.clone() else {
                return Err(DecodeError::Misplaced {
                    index,
                    reason: "an array-element disclosure's digest is in an _sd array".into(),
                });
            };
            if RESERVED.contains(&name.as_str()) {
                return Err(DecodeError::Misplaced {
                    index,
                    reason: format!("it discloses the reserved name {name:?}"),
                });
            }
            if out.contains_key(&name) {
                return Err(DecodeError::Misplaced {
                    index,
                    reason: format!("the claim {name:?} already exists at {path:?}"),
                });
            }
            let at = pointer(path, &name);
            d.digest_at = path.to_owned();
            d.path = at.clone();
            let value = d.value.clone();
            out.insert(name, self.value(value, &at, depth + 1)?);
        }
        Ok(out)
    }

    fn array(&mut self, items: Vec<Value>, path: &str, depth: usize) -> Result<Value, DecodeError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let digest = match &item {
                Value::Object(m) if m.len() == 1 => m.get("...").cloned(),
                _ => None,
            };
            let Some(digest) = digest else {
                let at = pointer(path, &out.len().to_string());
                out.push(self.value(item, &at, depth + 1)?);
                continue;
            };
            let Value::String(digest) = digest else {
                return Err(DecodeError::BadDigests(format!(
                    "the \"...\" of the array element {path}/{i} is not a digest string"
                )));
            };
            let Some(index) = self.take(&digest)? else {
                continue;
            };
            let Some(d) = self.disclosures.get_mut(index) else {
                continue;
            };
            if d.name.is_some() {
                return Err(DecodeError::Misplaced {
                    index,
                    reason: "an object-property disclosure's digest is an array element".into(),
                });
            }
            let at = pointer(path, &out.len().to_string());
            d.digest_at = pointer(path, &i.to_string());
            d.path = at.clone();
            let value = d.value.clone();
            out.push(self.value(value, &at, depth + 1)?);
        }
        Ok(Value::Array(out))
    }
}

fn disclosure(index: usize, encoded: &str) -> Result<Disclosure, DecodeError> {
    let bad = |reason: String| DecodeError::Disclosure { index, reason };
    let items = match b64_json(encoded, "disclosure").map_err(bad)? {
        Value::Array(items) => items,
        _ => return Err(bad("not a JSON array".into())),
    };
    let (salt, name, value) = match items.as_slice() {
        [Value::String(salt), Value::String(name), value] => {
            (salt.clone(), Some(name.clone()), value.clone())
        }
        [Value::String(salt), value] => (salt.clone(), None, value.clone()),
        [_, Value::String(_), _] | [_, _] => return Err(bad("the salt is not a string".into())),
        [_, _, _] => return Err(bad("the claim name is not a string".into())),
        other => {
            return Err(bad(format!(
                "{} elements; [salt, name, value] or [salt, value] expected",
                other.len()
            )))
        }
    };
    Ok(Disclosure {
        encoded: encoded.to_owned(),
        digest: digest_of(encoded),
        salt,
        name,
        value,
        digest_at: String::new(),
        path: String::new(),
    })
}

fn key_binding(
    jwt: &str,
    presented: &str,
    payload: &Map<String, Value>,
) -> Result<KeyBindingJwt, DecodeError> {
    let (header, kb_payload, signature, input) = split_jws(jwt).map_err(DecodeError::KeyBinding)?;
    let sd_hash_matches =
        kb_payload.get("sd_hash").and_then(Value::as_str) == Some(&digest_of(presented));
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Alg::from_name);
    let holder = payload.get("cnf").and_then(|c| c.get("jwk"));
    let signature = match (alg, holder) {
        (None, _) => Err("its alg is not ES256 or EdDSA".to_owned()),
        (_, None) => Err("the payload has no cnf.jwk to verify it with".to_owned()),
        (Some(alg), Some(jwk)) => PublicKey::from_jwk_value(jwk)
            .map_err(|e| format!("cnf.jwk: {e}"))
            .and_then(|key| {
                key.verify(alg, input.as_bytes(), &signature)
                    .map_err(|e| e.to_string())
            }),
    };
    Ok(KeyBindingJwt {
        header,
        payload: kb_payload,
        sd_hash_matches,
        signature,
    })
}

impl DecodedSdJwt {
    /// Decodes an SD-JWT (`<issuer JWT>~<disclosure>~…~[<KB-JWT>]`) with the default limits.
    /// The issuer signature is *not* verified here: see [`verify_signature`](Self::verify_signature)
    /// and [`verify_with_certificate`](Self::verify_with_certificate).
    pub fn decode(sd_jwt: &str) -> Result<DecodedSdJwt, DecodeError> {
        DecodedSdJwt::decode_with(sd_jwt, &SdJwtLimits::default())
    }

    /// [`decode`](Self::decode) with `limits`.
    pub fn decode_with(sd_jwt: &str, limits: &SdJwtLimits) -> Result<DecodedSdJwt, DecodeError> {
        let text = sd_jwt.trim();
        if text.is_empty() {
            return Err(DecodeError::Empty);
        }
        if text.len() > limits.max_len {
            return Err(DecodeError::TooLarge {
                what: "the SD-JWT (bytes)",
                found: text.len(),
                limit: limits.max_len,
            });
        }
        let mut parts: Vec<&str> = text.split('~').collect();
        let kb = match parts.pop() {
            Some(last) if !last.is_empty() && !parts.is_empty() => Some(last),
            _ => None,
        };
        let presented = text
            .get(..text.len() - kb.map_or(0, str::len))
            .unwrap_or(text);
        let mut parts = parts.into_iter();
        let jwt = parts.next().unwrap_or_default();
        let (header, payload, signature, signing_input) =
            split_jws(jwt).map_err(DecodeError::Jwt)?;
        let alg_name = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("(none)");
        let alg = Alg::from_name(alg_name)
            .ok_or_else(|| DecodeError::UnsupportedAlg(alg_name.to_owned()))?;
        match payload.get("_sd_alg") {
            None => {}
            Some(Value::String(s)) if s == "sha-256" => {}
            Some(other) => return Err(DecodeError::UnsupportedSdAlg(other.to_string())),
        }
        let x5c = match header.get("x5c") {
            None => Vec::new(),
            Some(value) => {
                let chain = oid4vci_proof::x5c::decode_x5c(value).map_err(|e| {
                    DecodeError::X5c(match e {
                        oid4vci_proof::x5c::X5cError::Invalid(m)
                        | oid4vci_proof::x5c::X5cError::Untrusted(m) => m,
                    })
                })?;
                if chain.len() > limits.max_chain {
                    return Err(DecodeError::TooLarge {
                        what: "the number of x5c certificates",
                        found: chain.len(),
                        limit: limits.max_chain,
                    });
                }
                chain
            }
        };
        let encoded: Vec<&str> = parts.collect();
        if encoded.len() > limits.max_disclosures {
            return Err(DecodeError::TooLarge {
                what: "the number of disclosures",
                found: encoded.len(),
                limit: limits.max_disclosures,
            });
        }
        let mut disclosures = Vec::with_capacity(encoded.len());
        let mut by_digest = HashMap::new();
        for (index, e) in encoded.into_iter().enumerate() {
            if e.is_empty() {
                return Err(DecodeError::Disclosure {
                    index,
                    reason: "empty (two ~ in a row)".into(),
                });
            }
            let d = disclosure(index, e)?;
            if by_digest.insert(d.digest.clone(), index).is_some() {
                return Err(DecodeError::DuplicateDigest(d.digest));
            }
            disclosures.push(d);
        }
        let mut resolver = Resolver {
            by_digest,
            disclosures,
            seen: Default::default(),
        };
        let claims = resolver.object(payload.clone(), "", 0)?;
        let disclosures = resolver.disclosures;
        if let Some((index, d)) = disclosures
            .iter()
            .enumerate()
            .find(|(_, d)| d.path.is_empty())
        {
            return Err(DecodeError::UnreferencedDisclosure {
                index,
                digest: d.digest.clone(),
            });
        }
        let key_binding = kb
            .map(|kb| key_binding(kb, presented, &payload))
            .transpose()?;
        Ok(DecodedSdJwt {
            header,
            payload,
            disclosures,
            claims,
            key_binding,
            x5c,
            alg,
            signing_input: signing_input.to_owned(),
            signature,
        })
    }

    /// The issuer JWT's signature algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The JWS signing input (`header.payload`).
    pub fn signing_input(&self) -> &str {
        &self.signing_input
    }

    /// The issuer JWT's signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Verifies the issuer signature with `key`.
    pub fn verify_signature(&self, key: &PublicKey) -> Result<(), DecodeError> {
        key.verify(self.alg, self.signing_input.as_bytes(), &self.signature)
            .map_err(DecodeError::Signature)
    }

    /// Verifies the issuer signature against `certificate` (DER: the issuer's certificate, or a
    /// CA its `x5c` chain leads to), comparing it with the `x5c` leaf, at `now` (Unix seconds).
    /// Without a certificate, the `x5c` leaf's key is used and the result says so.
    pub fn verify_with_certificate(&self, certificate: Option<&[u8]>, now: u64) -> IssuerSignature {
        verify_issuer_signature(
            self.alg,
            self.signing_input.as_bytes(),
            &self.signature,
            &self.x5c,
            certificate,
            now,
        )
    }

    /// The decoded credential as JSON: `format`, `header`, `payload`, `disclosures`,
    /// `claims`, `key_binding_jwt` (or null).
    pub fn to_json(&self) -> Value {
        let kb = self.key_binding.as_ref().map_or(Value::Null, |kb| {
            let mut out = json!({
                "header": kb.header,
                "payload": kb.payload,
                "sd_hash_matches": kb.sd_hash_matches,
                "signature_valid": kb.signature.is_ok(),
            });
            if let (Err(why), Some(o)) = (&kb.signature, out.as_object_mut()) {
                o.insert("signature_error".into(), why.clone().into());
            }
            out
        });
        json!({
            "format": "dc+sd-jwt",
            "header": self.header,
            "payload": self.payload,
            "disclosures": self.disclosures.iter().map(Disclosure::to_json).collect::<Vec<_>>(),
            "claims": self.claims,
            "key_binding_jwt": kb,
        })
    }
}

/// Whether `text` looks like an SD-JWT rather than a base64url mdoc: it has a `~`, or starts
/// like a JWS header (`eyJ`, base64url of `{"`). How `oid4vci credential decode` and the
/// browser checker tell the formats apart when none is given.
pub fn is_sd_jwt(text: &str) -> bool {
    let text = text.trim();
    text.contains('~') || text.starts_with("eyJ")
}

/// The report `oid4vci credential decode` prints and the browser checker shows for an SD-JWT
/// VC: [`DecodedSdJwt::to_json`] plus `valid` and `signature`
/// ([`IssuerSignature::to_json`]), or `{"format", "valid": false, "error", "reason"}` when it
/// does not decode. `valid` is true when the issuer signature is accepted against
/// `certificate` (a certificate is required for that) and every disclosure matched.
pub fn report(sd_jwt: &str, certificate: Option<&[u8]>, now: u64) -> Value {
    match DecodedSdJwt::decode(sd_jwt) {
        Err(e) => json!({
            "format": "dc+sd-jwt",
            "valid": false,
            "error": e.code(),
            "reason": e.to_string(),
        }),
        Ok(decoded) => {
            let signature = decoded.verify_with_certificate(certificate, now);
            let mut out = decoded.to_json();
            let valid = certificate.is_some() && signature.is_valid();
            if let Some(o) = out.as_object_mut() {
                o.insert("valid".into(), valid.into());
                o.insert("signature".into(), signature.to_json());
            }
            out
        }
    }
}
