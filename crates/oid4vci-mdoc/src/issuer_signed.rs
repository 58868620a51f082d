//! Builds ISO/IEC 18013-5 §8.3.2.1.2.2 `IssuerSigned`: the namespaces of tag-24
//! `IssuerSignedItem`s and `issuerAuth`, a COSE_Sign1 over the tag-24 `MobileSecurityObject`.

use crate::claims::Namespace;
use crate::error::MdocError;
use crate::limits::MdocLimits;
use ciborium::Value as Cbor;
use coset::{iana, AsCborValue, CoseKey, CoseSign1Builder, HeaderBuilder};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// CBOR tag 24: encoded CBOR data item (RFC 8949 §3.4.5.1).
pub const TAG_ENCODED_CBOR: u64 = 24;
/// CBOR tag 0: RFC 3339 date/time string (`tdate`).
const TAG_TDATE: u64 = 0;
/// COSE header parameter `x5chain` (RFC 9360).
const X5CHAIN: i64 = 33;
/// Bytes of random salt per `IssuerSignedItem` (ISO 18013-5 §9.1.2.5 asks for at least 16).
pub const SALT_LEN: usize = 32;

/// Everything one `IssuerSigned` is made of, apart from the key that signs it.
pub struct MdocContent<'a> {
    /// `docType`.
    pub doctype: &'a str,
    /// The data elements by namespace.
    pub namespaces: &'a [Namespace],
    /// The holder's device key.
    pub device_key: CoseKey,
    /// `validityInfo.signed` and `validFrom` (Unix seconds).
    pub signed: u64,
    /// `validityInfo.validUntil` (Unix seconds).
    pub valid_until: u64,
    /// The DER certificates for `x5chain`, the document signer first.
    pub x5chain: &'a [Vec<u8>],
    /// The status-list entry (`uri`, `idx`) for the MSO's `status`, if any.
    pub status: Option<(&'a str, u32)>,
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

/// CBOR-encodes a value.
pub fn encode(value: &Cbor) -> Result<Vec<u8>, MdocError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| MdocError::Encoding(e.to_string()))?;
    Ok(out)
}

/// `#6.24(bstr .cbor value)`.
fn tag24(value: &Cbor) -> Result<Cbor, MdocError> {
    Ok(Cbor::Tag(
        TAG_ENCODED_CBOR,
        Box::new(Cbor::Bytes(encode(value)?)),
    ))
}

/// A `tdate` (`#6.0(tstr)`) for Unix time `secs`, in UTC without fractional seconds.
fn tdate(secs: u64) -> Result<Cbor, MdocError> {
    let secs = i64::try_from(secs).map_err(|e| MdocError::Time(e.to_string()))?;
    let at = time::OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|e| MdocError::Time(e.to_string()))?;
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let s = at
        .format(&format)
        .map_err(|e| MdocError::Time(e.to_string()))?;
    Ok(Cbor::Tag(TAG_TDATE, Box::new(Cbor::Text(s))))
}

/// Digest IDs `0..n` in a random order, so their order reveals nothing about the elements.
fn shuffled_ids(n: usize) -> Vec<u64> {
    let mut ids: Vec<u64> = (0..n as u64).collect();
    for i in (1..ids.len()).rev() {
        let j = (OsRng.next_u64() % (i as u64 + 1)) as usize;
        ids.swap(i, j);
    }
    ids
}

/// Builds and signs an `IssuerSigned`; `sign` turns the COSE `Sig_structure` bytes into a
/// 64-byte ES256 signature. Returns the encoded CBOR.
pub fn issuer_signed(
    content: MdocContent<'_>,
    limits: &MdocLimits,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, MdocError>,
) -> Result<Vec<u8>, MdocError> {
    let unsigned = UnsignedMdoc::prepare(content, limits)?;
    let signature = sign(&unsigned.to_be_signed())?;
    unsigned.finish(signature)
}

/// An `IssuerSigned` built but not yet signed: sign [`to_be_signed`](Self::to_be_signed) with
/// ES256 (by any means, an HSM too), then [`finish`](Self::finish).
pub struct UnsignedMdoc {
    name_spaces: Vec<(Cbor, Cbor)>,
    sign1: coset::CoseSign1,
    max_credential_bytes: usize,
}

impl UnsignedMdoc {
    /// The COSE `Sig_structure` to sign (RFC 9052 §4.4, no external AAD).
    pub fn to_be_signed(&self) -> Vec<u8> {
        self.sign1.tbs_data(b"")
    }

    /// Adds the 64-byte ES256 signature and encodes the `IssuerSigned`.
    pub fn finish(self, signature: Vec<u8>) -> Result<Vec<u8>, MdocError> {
        if signature.len() != 64 {
            return Err(MdocError::Signing(format!(
                "an ES256 signature is 64 bytes, the key gave {}",
                signature.len()
            )));
        }
        let mut sign1 = self.sign1;
        sign1.signature = signature;
        let issuer_auth = sign1
            .to_cbor_value()
            .map_err(|e| MdocError::Encoding(e.to_string()))?;
        let issuer_signed = Cbor::Map(vec![
            (text("nameSpaces"), Cbor::Map(self.name_spaces)),
            (text("issuerAuth"), issuer_auth),
        ]);
        let out = encode(&issuer_signed)?;
        if out.len() > self.max_credential_bytes {
            return Err(MdocError::TooLarge {
                what: "the encoded IssuerSigned",
                found: out.len(),
                limit: self.max_credential_bytes,
            });
        }
        Ok(out)
    }

    /// Builds everything but the signature: the items with fresh salts in a random digest
    /// order, and the MSO.
    pub fn prepare(content: MdocContent<'_>, limits: &MdocLimits) -> Result<Self, MdocError> {
        let mut name_spaces = Vec::with_capacity(content.namespaces.len());
        let mut value_digests = Vec::with_capacity(content.namespaces.len());
        for (ns, elements) in content.namespaces {
            let ids = shuffled_ids(elements.len());
            let mut items = Vec::with_capacity(elements.len());
            let mut digests = Vec::with_capacity(elements.len());
            for ((name, value), id) in elements.iter().zip(ids) {
                let mut salt = vec![0u8; SALT_LEN];
                OsRng.fill_bytes(&mut salt);
                let item = Cbor::Map(vec![
                    (text("digestID"), Cbor::Integer(id.into())),
                    (text("random"), Cbor::Bytes(salt)),
                    (text("elementIdentifier"), text(name)),
                    (text("elementValue"), value.clone()),
                ]);
                let item_bytes = tag24(&item)?;
                let encoded = encode(&item_bytes)?;
                if encoded.len() > limits.max_item_bytes {
                    return Err(MdocError::TooLarge {
                        what: "an encoded IssuerSignedItem",
                        found: encoded.len(),
                        limit: limits.max_item_bytes,
                    });
                }
                digests.push((
                    Cbor::Integer(id.into()),
                    Cbor::Bytes(Sha256::digest(&encoded).to_vec()),
                ));
                items.push(item_bytes);
            }
            name_spaces.push((text(ns), Cbor::Array(items)));
            value_digests.push((text(ns), Cbor::Map(digests)));
        }
        let device_key = content
            .device_key
            .to_cbor_value()
            .map_err(|e| MdocError::Encoding(e.to_string()))?;
        let mut mso = vec![
            (text("version"), text("1.0")),
            (text("digestAlgorithm"), text("SHA-256")),
            (text("valueDigests"), Cbor::Map(value_digests)),
            (
                text("deviceKeyInfo"),
                Cbor::Map(vec![(text("deviceKey"), device_key)]),
            ),
            (text("docType"), text(content.doctype)),
            (
                text("validityInfo"),
                Cbor::Map(vec![
                    (text("signed"), tdate(content.signed)?),
                    (text("validFrom"), tdate(content.signed)?),
                    (text("validUntil"), tdate(content.valid_until)?),
                ]),
            ),
        ];
        if let Some((uri, idx)) = content.status {
            let entry = Cbor::Map(vec![
                (text("idx"), Cbor::Integer(idx.into())),
                (text("uri"), text(uri)),
            ]);
            mso.push((
                text("status"),
                Cbor::Map(vec![(text("status_list"), entry)]),
            ));
        }
        let mso = Cbor::Map(mso);
        let payload = encode(&tag24(&mso)?)?;
        let x5chain = match content.x5chain {
            [] => return Err(MdocError::NoCertificate),
            [one] => Cbor::Bytes(one.clone()),
            many => Cbor::Array(many.iter().map(|c| Cbor::Bytes(c.clone())).collect()),
        };
        let sign1 = CoseSign1Builder::new()
            .protected(
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::ES256)
                    .build(),
            )
            .unprotected(HeaderBuilder::new().value(X5CHAIN, x5chain).build())
            .payload(payload)
            .build();
        Ok(UnsignedMdoc {
            name_spaces,
            sign1,
            max_credential_bytes: limits.max_credential_bytes,
        })
    }
}
