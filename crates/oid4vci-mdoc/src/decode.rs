//! [`DecodedMdoc`]: an issued mdoc (`IssuerSigned`, ISO/IEC 18013-5 §8.3.2.1.2.2, base64url as
//! OID4VCI 1.0 Appendix A.2 delivers it) decoded: the namespaces with their
//! `IssuerSignedItem`s, each digest recomputed and compared with the MSO's `valueDigests`, the
//! `MobileSecurityObject` (docType, validityInfo, deviceKeyInfo, digestAlgorithm), and the
//! `issuerAuth` COSE_Sign1 verified with a key or against a certificate
//! ([`oid4vci_proof::issuer_signature`]).
//!
//! Every input is bounded ([`MdocLimits`]); failures are [`DecodeError`]s. CBOR and COSE are
//! `ciborium` and `coset`.

use crate::limits::MdocLimits;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use coset::{AsCborValue, CoseSign1, Label, RegisteredLabelWithPrivate};
use oid4vci_proof::issuer_signature::{verify_issuer_signature, IssuerSignature};
use oid4vci_proof::{crypto, Alg, PublicKey, SignatureError};
use serde_json::{json, Map, Value};

/// CBOR tag 24: encoded CBOR data item.
const TAG_ENCODED_CBOR: u64 = 24;
/// COSE header parameter `x5chain` (RFC 9360).
const X5CHAIN: i64 = 33;
/// Deepest CBOR nesting shown as JSON.
const MAX_DEPTH: usize = 32;

/// Why an mdoc could not be decoded or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Empty input.
    #[error("the mdoc is empty")]
    Empty,
    /// Not base64url.
    #[error("the mdoc is not base64url (IssuerSigned CBOR, OID4VCI 1.0 Appendix A.2)")]
    Base64,
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
    /// The CBOR does not have the structure of an `IssuerSigned`.
    #[error("{0}")]
    Malformed(String),
    /// The COSE algorithm is not ES256 (-7) or EdDSA (-8).
    #[error("the issuerAuth algorithm is {0}; ES256 (-7) and EdDSA (-8) are supported")]
    UnsupportedAlg(String),
    /// The MSO's `digestAlgorithm` is not `SHA-256`.
    #[error("the MSO digestAlgorithm is {0}; only SHA-256 is supported")]
    UnsupportedDigest(String),
    /// An element's digest is not the one the MSO lists for its digest ID.
    #[error("the digest of {namespace}/{element} (digestID {digest_id}) does not match the MSO's valueDigests: the element was altered")]
    DigestMismatch {
        /// Its namespace.
        namespace: String,
        /// Its elementIdentifier.
        element: String,
        /// Its digestID.
        digest_id: u64,
    },
    /// The issuer signature does not verify with the key given.
    #[error("the issuer signature: {0}")]
    Signature(SignatureError),
}

impl DecodeError {
    /// A stable code for reports (`malformed`, `too_large`, `unsupported_alg`,
    /// `digest_mismatch`, `invalid_signature`).
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Empty | DecodeError::Base64 | DecodeError::Malformed(_) => "malformed",
            DecodeError::TooLarge { .. } => "too_large",
            DecodeError::UnsupportedAlg(_) | DecodeError::UnsupportedDigest(_) => "unsupported_alg",
            DecodeError::DigestMismatch { .. } => "digest_mismatch",
            DecodeError::Signature(_) => "invalid_signature",
        }
    }
}

/// One `IssuerSignedItem`.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// `digestID`.
    pub digest_id: u64,
    /// `elementIdentifier`.
    pub identifier: String,
    /// `elementValue`.
    pub value: Cbor,
    /// `random` (the salt).
    pub random: Vec<u8>,
    /// Whether SHA-256 of the tag-24 item is the digest the MSO lists for `digest_id` in this
    /// namespace.
    pub digest_valid: bool,
}

/// An mdoc, decoded: see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct DecodedMdoc {
    /// The MSO's `docType`.
    pub doc_type: String,
    /// The MSO's `digestAlgorithm`.
    pub digest_algorithm: String,
    /// The elements by namespace, in the order of the credential.
    pub namespaces: Vec<(String, Vec<Element>)>,
    /// The whole `MobileSecurityObject`.
    pub mso: Cbor,
    /// The device key (`deviceKeyInfo.deviceKey`) as a public JWK, when it is a P-256 or
    /// Ed25519 COSE_Key.
    pub device_key: Option<PublicKey>,
    /// The `x5chain` certificates (DER, document signer first), empty when there are none.
    pub x5chain: Vec<Vec<u8>>,
    alg: Alg,
    to_be_signed: Vec<u8>,
    signature: Vec<u8>,
}

fn malformed(what: impl Into<String>) -> DecodeError {
    DecodeError::Malformed(what.into())
}

fn get<'v>(map: &'v Cbor, key: &str) -> Option<&'v Cbor> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

fn require<'v>(map: &'v Cbor, key: &str, within: &str) -> Result<&'v Cbor, DecodeError> {
    get(map, key).ok_or_else(|| malformed(format!("{within} has no {key}")))
}

fn text(value: &Cbor, what: &str) -> Result<String, DecodeError> {
    value
        .as_text()
        .map(str::to_owned)
        .ok_or_else(|| malformed(format!("{what} is not text")))
}

fn encode(value: &Cbor) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| malformed(format!("CBOR: {e}")))?;
    Ok(out)
}

fn decode_cbor(bytes: &[u8], what: &str) -> Result<Cbor, DecodeError> {
    ciborium::from_reader(bytes).map_err(|e| malformed(format!("{what} is not CBOR: {e}")))
}

/// The CBOR inside `#6.24(bstr)`; also accepts a plain `bstr` of CBOR.
fn embedded(value: &Cbor, what: &str) -> Result<Cbor, DecodeError> {
    match value {
        Cbor::Tag(TAG_ENCODED_CBOR, inner) => match inner.as_ref() {
            Cbor::Bytes(b) => decode_cbor(b, what),
            _ => Err(malformed(format!("{what}: tag 24 without a byte string"))),
        },
        Cbor::Bytes(b) => decode_cbor(b, what),
        _ => Err(malformed(format!("{what} is not embedded CBOR (tag 24)"))),
    }
}

fn x5chain(sign1: &CoseSign1) -> Result<Vec<Vec<u8>>, DecodeError> {
    let headers = sign1
        .unprotected
        .rest
        .iter()
        .chain(&sign1.protected.header.rest);
    let Some((_, value)) = headers.into_iter().find(|(l, _)| *l == Label::Int(X5CHAIN)) else {
        return Ok(Vec::new());
    };
    let chain = match value {
        Cbor::Bytes(b) => vec![b.clone()],
        Cbor::Array(items) => items
            .iter()
            .map(|c| c.as_bytes().cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| malformed("x5chain has an element that is not a byte string"))?,
        _ => return Err(malformed("x5chain is not a byte string or an array")),
    };
    let limit = oid4vci_proof::x5c::MAX_CHAIN_LEN;
    if chain.len() > limit {
        return Err(DecodeError::TooLarge {
            what: "the number of x5chain certificates",
            found: chain.len(),
            limit,
        });
    }
    Ok(chain)
}

fn cose_alg(sign1: &CoseSign1) -> Result<Alg, DecodeError> {
    use coset::iana::Algorithm;
    match &sign1.protected.header.alg {
        Some(RegisteredLabelWithPrivate::Assigned(Algorithm::ES256)) => Ok(Alg::Es256),
        Some(RegisteredLabelWithPrivate::Assigned(Algorithm::EdDSA)) => Ok(Alg::EdDsa),
        Some(other) => Err(DecodeError::UnsupportedAlg(format!("{other:?}"))),
        None => Err(DecodeError::UnsupportedAlg(
            "absent from the protected header".into(),
        )),
    }
}

/// A COSE_Key (EC2 P-256 or OKP Ed25519) as a [`PublicKey`].
fn cose_key(key: &Cbor) -> Option<PublicKey> {
    let int = |label: i64| {
        key.as_map()?
            .iter()
            .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(label))
            .map(|(_, v)| v)
    };
    let as_int = |v: &Cbor| v.as_integer().and_then(|i| i64::try_from(i).ok());
    match (int(1).and_then(as_int), int(-1).and_then(as_int)) {
        (Some(2), Some(1)) => {
            let x = int(-2)?.as_bytes()?;
            let y = int(-3)?.as_bytes()?;
            let point = [&[4u8][..], x, y].concat();
            PublicKey::p256_from_sec1(&point).ok()
        }
        (Some(1), Some(6)) => PublicKey::ed25519_from_bytes(int(-2)?.as_bytes()?).ok(),
        _ => None,
    }
}

/// CBOR as JSON for reading: byte strings as base64url text, tags as `{"tag", "value"}`,
/// map keys that are not text as their JSON text.
pub fn cbor_to_json(value: &Cbor) -> Value {
    to_json(value, 0)
}

fn to_json(value: &Cbor, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::String("(nested too deeply)".into());
    }
    match value {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Integer(i) => {
            let n = i128::from(*i);
            i64::try_from(n).map_or_else(|_| Value::String(n.to_string()), Value::from)
        }
        Cbor::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Cbor::Text(s) => Value::String(s.clone()),
        Cbor::Bytes(b) => Value::String(URL_SAFE_NO_PAD.encode(b)),
        Cbor::Array(items) => items.iter().map(|v| to_json(v, depth + 1)).collect(),
        Cbor::Map(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let key = match k {
                    Cbor::Text(s) => s.clone(),
                    other => to_json(other, depth + 1).to_string(),
                };
                out.insert(key, to_json(v, depth + 1));
            }
            Value::Object(out)
        }
        Cbor::Tag(tag, inner) => json!({"tag": tag, "value": to_json(inner, depth + 1)}),
        _ => Value::String(format!("{value:?}")),
    }
}

impl DecodedMdoc {
    /// Decodes a base64url `IssuerSigned` with the default limits. Digests are compared (see
    /// [`Element::digest_valid`] and [`verify_digests`](Self::verify_digests)); the issuer
    /// signature is *not* verified here: see [`verify_signature`](Self::verify_signature) and
    /// [`verify_with_certificate`](Self::verify_with_certificate).
    pub fn decode(mdoc: &str) -> Result<DecodedMdoc, DecodeError> {
        DecodedMdoc::decode_with(mdoc, &MdocLimits::default())
    }

    /// [`decode`](Self::decode) with `limits` (`max_credential_bytes`, `max_namespaces`,
    /// `max_elements`).
    pub fn decode_with(mdoc: &str, limits: &MdocLimits) -> Result<DecodedMdoc, DecodeError> {
        let input = mdoc.trim();
        if input.is_empty() {
            return Err(DecodeError::Empty);
        }
        let max_text = limits.max_credential_bytes.div_ceil(3).saturating_mul(4);
        if input.len() > max_text {
            return Err(DecodeError::TooLarge {
                what: "the base64url mdoc (bytes)",
                found: input.len(),
                limit: max_text,
            });
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(input.trim_end_matches('='))
            .map_err(|_| DecodeError::Base64)?;
        let issuer_signed = decode_cbor(&bytes, "the mdoc")?;
        let auth = require(&issuer_signed, "issuerAuth", "IssuerSigned")?;
        let sign1 = CoseSign1::from_cbor_value(auth.clone())
            .map_err(|e| malformed(format!("issuerAuth is not a COSE_Sign1: {e}")))?;
        let alg = cose_alg(&sign1)?;
        let x5chain = x5chain(&sign1)?;
        let payload = (sign1.payload.as_deref())
            .ok_or_else(|| malformed("issuerAuth has no payload (the MSO)"))?;
        let mso = embedded(&decode_cbor(payload, "the issuerAuth payload")?, "the MSO")?;
        let doc_type = text(require(&mso, "docType", "the MSO")?, "docType")?;
        let digest_algorithm = text(
            require(&mso, "digestAlgorithm", "the MSO")?,
            "digestAlgorithm",
        )?;
        if digest_algorithm != "SHA-256" {
            return Err(DecodeError::UnsupportedDigest(digest_algorithm));
        }
        let value_digests = require(&mso, "valueDigests", "the MSO")?;
        let device_key = get(&mso, "deviceKeyInfo")
            .and_then(|d| get(d, "deviceKey"))
            .and_then(cose_key);
        let namespaces = (get(&issuer_signed, "nameSpaces"))
            .map(|n| {
                n.as_map()
                    .ok_or_else(|| malformed("nameSpaces is not a map"))
            })
            .transpose()?
            .map(Vec::as_slice)
            .unwrap_or_default();
        if namespaces.len() > limits.max_namespaces {
            return Err(DecodeError::TooLarge {
                what: "the number of namespaces",
                found: namespaces.len(),
                limit: limits.max_namespaces,
            });
        }
        let mut out = Vec::with_capacity(namespaces.len());
        let mut total = 0usize;
        for (ns, items) in namespaces {
            let ns = text(ns, "a namespace name")?;
            let items = items
                .as_array()
                .ok_or_else(|| malformed(format!("the items of {ns} are not an array")))?;
            total = total.saturating_add(items.len());
            if total > limits.max_elements {
                return Err(DecodeError::TooLarge {
                    what: "the number of data elements",
                    found: total,
                    limit: limits.max_elements,
                });
            }
            let digests = get(value_digests, &ns).and_then(Cbor::as_map);
            let mut elements = Vec::with_capacity(items.len());
            for item in items {
                let decoded = embedded(item, &format!("an IssuerSignedItem of {ns}"))?;
                let within = format!("an IssuerSignedItem of {ns}");
                let digest_id = require(&decoded, "digestID", &within)?
                    .as_integer()
                    .and_then(|i| u64::try_from(i).ok())
                    .ok_or_else(|| {
                        malformed(format!("a digestID in {ns} is not an unsigned integer"))
                    })?;
                let identifier = text(
                    require(&decoded, "elementIdentifier", &within)?,
                    "elementIdentifier",
                )?;
                let value = require(&decoded, "elementValue", &within)?.clone();
                let random = require(&decoded, "random", &within)?
                    .as_bytes()
                    .cloned()
                    .ok_or_else(|| {
                        malformed(format!("random of {ns}/{identifier} is not bytes"))
                    })?;
                let computed = crypto::sha256(&encode(item)?);
                let listed = digests.and_then(|d| {
                    d.iter()
                        .find(|(k, _)| {
                            k.as_integer().and_then(|i| u64::try_from(i).ok()) == Some(digest_id)
                        })
                        .and_then(|(_, v)| v.as_bytes())
                });
                elements.push(Element {
                    digest_id,
                    identifier,
                    value,
                    random,
                    digest_valid: listed.is_some_and(|l| l.as_slice() == computed.as_slice()),
                });
            }
            out.push((ns, elements));
        }
        Ok(DecodedMdoc {
            doc_type,
            digest_algorithm,
            namespaces: out,
            mso,
            device_key,
            x5chain,
            alg,
            to_be_signed: sign1.tbs_data(b""),
            signature: sign1.signature,
        })
    }

    /// The issuerAuth algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The COSE `Sig_structure` the issuer signed.
    pub fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// The element `identifier` of `namespace`, if present.
    pub fn element(&self, namespace: &str, identifier: &str) -> Option<&Element> {
        self.namespaces
            .iter()
            .filter(|(ns, _)| ns == namespace)
            .flat_map(|(_, elements)| elements)
            .find(|e| e.identifier == identifier)
    }

    /// The MSO field `name` (`validityInfo`, `deviceKeyInfo`, `status`, …), if present.
    pub fn mso_field(&self, name: &str) -> Option<&Cbor> {
        get(&self.mso, name)
    }

    /// `Ok` when every element's digest is the one the MSO lists, else the first that is not.
    pub fn verify_digests(&self) -> Result<(), DecodeError> {
        for (ns, elements) in &self.namespaces {
            if let Some(e) = elements.iter().find(|e| !e.digest_valid) {
                return Err(DecodeError::DigestMismatch {
                    namespace: ns.clone(),
                    element: e.identifier.clone(),
                    digest_id: e.digest_id,
                });
            }
        }
        Ok(())
    }

    /// Verifies the issuer signature (the MSO's COSE_Sign1) with `key`.
    pub fn verify_signature(&self, key: &PublicKey) -> Result<(), DecodeError> {
        key.verify(self.alg, &self.to_be_signed, &self.signature)
            .map_err(DecodeError::Signature)
    }

    /// Verifies the issuer signature against `certificate` (DER: the document signer, or the
    /// IACA its `x5chain` leads to), comparing it with the `x5chain` leaf, at `now` (Unix
    /// seconds). Without a certificate, the `x5chain` leaf's key is used and the result says so.
    pub fn verify_with_certificate(&self, certificate: Option<&[u8]>, now: u64) -> IssuerSignature {
        verify_issuer_signature(
            self.alg,
            &self.to_be_signed,
            &self.signature,
            &self.x5chain,
            certificate,
            now,
        )
    }

    /// The decoded mdoc as JSON: `format`, `doc_type`, `namespaces` (`{namespace: [{digest_id,
    /// element_identifier, element_value, random, digest_valid}]}`), `mso` (CBOR as JSON, see
    /// [`cbor_to_json`]), `device_key` (a JWK or null), `alg`.
    pub fn to_json(&self) -> Value {
        let mut namespaces = Map::new();
        for (ns, elements) in &self.namespaces {
            let items: Vec<Value> = elements
                .iter()
                .map(|e| {
                    json!({
                        "digest_id": e.digest_id,
                        "element_identifier": e.identifier,
                        "element_value": cbor_to_json(&e.value),
                        "random": URL_SAFE_NO_PAD.encode(&e.random),
                        "digest_valid": e.digest_valid,
                    })
                })
                .collect();
            namespaces.insert(ns.clone(), Value::Array(items));
        }
        json!({
            "format": "mso_mdoc",
            "doc_type": self.doc_type,
            "alg": self.alg.as_str(),
            "digest_algorithm": self.digest_algorithm,
            "namespaces": namespaces,
            "mso": cbor_to_json(&self.mso),
            "device_key": self.device_key.as_ref().map(PublicKey::to_jwk),
        })
    }
}

/// The report `oid4vci credential decode` prints and the browser checker shows for an mdoc:
/// [`DecodedMdoc::to_json`] plus `valid`, `digests_valid` and `signature`
/// ([`IssuerSignature::to_json`]), or `{"format", "valid": false, "error", "reason"}` when it
/// does not decode. `valid` is true when the issuer signature is accepted against
/// `certificate` (a certificate is required for that) and every digest matches.
pub fn report(mdoc: &str, certificate: Option<&[u8]>, now: u64) -> Value {
    match DecodedMdoc::decode(mdoc) {
        Err(e) => json!({
            "format": "mso_mdoc",
            "valid": false,
            "error": e.code(),
            "reason": e.to_string(),
        }),
        Ok(decoded) => {
            let signature = decoded.verify_with_certificate(certificate, now);
            let digests = decoded.verify_digests();
            let mut out = decoded.to_json();
            let valid = certificate.is_some() && signature.is_valid() && digests.is_ok();
            if let Some(o) = out.as_object_mut() {
                o.insert("valid".into(), valid.into());
                o.insert("digests_valid".into(), digests.is_ok().into());
                if let Err(e) = digests {
                    o.insert("digest_error".into(), e.to_string().into());
                }
                o.insert("signature".into(), signature.to_json());
            }
            out
        }
    }
}
