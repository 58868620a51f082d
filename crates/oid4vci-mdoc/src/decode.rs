//! [`DecodedMdoc`]: an issued mdoc (`IssuerSigned`, ISO/IEC 18013-5 §8.3.2.1.2.2, base64url as
//! OID4VCI 1.0 Appendix A.2 delivers it) decoded: the namespaces with their
//! `IssuerSignedItem`s, each digest recomputed and compared with the MSO's `valueDigests`, the
//! `MobileSecurityObject` (docType, validityInfo, deviceKeyInfo, digestAlgorithm), and the
//! `issuerAuth` COSE_Sign1 verified with a key or against a certificate
//! ([`oid4vci_proof::issuer_signature`]).
//!
//! Every input is bounded ([`MdocLimits`]); failures are [`DecodeError`]s. CBOR and COSE are
//! `ciborium` and `coset`.

mod cbor;
mod error;

pub use cbor::cbor_to_json;
pub use error::DecodeError;

use crate::limits::MdocLimits;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cbor::{
    cose_alg, cose_key, decode_cbor, embedded, encode, get, malformed, require, text, x5chain,
};
use ciborium::Value as Cbor;
use coset::{AsCborValue, CoseSign1};
use oid4vci_proof::issuer_signature::{verify_issuer_signature, IssuerSignature};
use oid4vci_proof::{crypto, Alg, PublicKey};
use serde_json::{json, Map, Value};

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
