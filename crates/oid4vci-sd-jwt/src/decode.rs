//! [`DecodedSdJwt`]: an issued SD-JWT VC decoded (RFC 9901 §7.1): the issuer-signed JWT, every
//! disclosure matched to exactly one digest (`_sd` members of objects at any depth, `{"...":
//! digest}` array elements), the processed claims, the Key Binding JWT if present; and the
//! issuer signature verified with a key or against a certificate
//! ([`oid4vci_proof::issuer_signature`]).
//!
//! Every input is bounded ([`SdJwtLimits`]); JSON is parsed strictly (duplicate member names
//! refused, nesting bounded: [`oid4vci_proof::json`]); failures are [`DecodeError`]s.

mod disclosures;
mod error;

pub use disclosures::Disclosure;
pub use error::{DecodeError, SdJwtLimits};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use disclosures::{b64_json, digest_of, disclosure, Resolver};
use oid4vci_proof::issuer_signature::{verify_issuer_signature, IssuerSignature};
use oid4vci_proof::{Alg, PublicKey};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

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
        let (claims, disclosures) = Resolver::resolve(payload.clone(), by_digest, disclosures)?;
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
