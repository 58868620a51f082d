//! `x5c` certificate chains (RFC 7515 §4.1.6): DER parsing with x509-parser, validity at `now`,
//! chain signatures, basic constraints and path length, up to a configured trust anchor.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer as _;
use x509_parser::time::ASN1Time;

use crate::key::PublicKey;

/// Maximum number of certificates in an `x5c` chain.
pub const MAX_CHAIN_LEN: usize = 8;
/// Maximum size of one DER certificate.
pub const MAX_CERT_LEN: usize = 8 * 1024;

/// Why an `x5c` chain was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum X5cError {
    /// The chain itself is broken (encoding, validity period, signatures, constraints, key type).
    Invalid(String),
    /// The chain is well-formed but does not end at a configured trust anchor.
    Untrusted(String),
}

/// How a chain was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X5cTrust {
    /// It chains to (or contains) a configured trust anchor.
    Anchor,
    /// A single self-signed certificate, accepted because the policy allows it.
    SelfSigned,
}

/// The `notBefore` of a DER certificate, in seconds since the Unix epoch (`None` when it does not
/// parse or predates the epoch).
pub fn not_before(der: &[u8]) -> Option<u64> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    u64::try_from(cert.validity().not_before.timestamp()).ok()
}

/// Decodes an `x5c` JSON array value into DER certificates (standard base64 with padding, per
/// RFC 7515 §4.1.6), enforcing the limits.
pub fn decode_x5c(value: &serde_json::Value) -> Result<Vec<Vec<u8>>, X5cError> {
    let arr = value.as_array().ok_or_else(|| {
        X5cError::Invalid(format!(
            "x5c is {}, not an array of base64 DER certificates",
            crate::error::json_type(value)
        ))
    })?;
    if arr.is_empty() {
        return Err(X5cError::Invalid("x5c is an empty array".into()));
    }
    if arr.len() > MAX_CHAIN_LEN {
        return Err(X5cError::Invalid(format!(
            "x5c has {} certificates; the limit is {MAX_CHAIN_LEN}",
            arr.len()
        )));
    }
    arr.iter()
        .enumerate()
        .map(|(i, v)| {
            let s = v
                .as_str()
                .ok_or_else(|| X5cError::Invalid(format!("x5c[{i}] is not a string")))?;
            if s.len() > MAX_CERT_LEN.div_ceil(3) * 4 {
                return Err(X5cError::Invalid(format!("x5c[{i}] is larger than {MAX_CERT_LEN} bytes")));
            }
            STANDARD.decode(s).map_err(|_| {
                X5cError::Invalid(format!(
                    "x5c[{i}] is not standard base64 (with padding) of a DER certificate; x5c uses base64, not base64url (RFC 7515 Section 4.1.6)"
                ))
            })
        })
        .collect()
}

fn parse(der: &[u8], i: usize) -> Result<X509Certificate<'_>, X5cError> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(X5cError::Invalid(format!(
            "x5c[{i}] has trailing bytes after the certificate"
        ))),
        Err(e) => Err(X5cError::Invalid(format!(
            "x5c[{i}] is not a DER X.509 certificate: {e}"
        ))),
    }
}

fn check_extensions(cert: &X509Certificate<'_>, i: usize) -> Result<(), X5cError> {
    for ext in cert.extensions() {
        if ext.critical
            && matches!(
                ext.parsed_extension(),
                ParsedExtension::UnsupportedExtension { .. }
            )
        {
            return Err(X5cError::Invalid(format!(
                "x5c[{i}] has an unsupported critical extension {}",
                ext.oid
            )));
        }
        if let ParsedExtension::ParseError { error } = ext.parsed_extension() {
            return Err(X5cError::Invalid(format!(
                "x5c[{i}] has a malformed extension {}: {error}",
                ext.oid
            )));
        }
    }
    Ok(())
}

/// Checks that `issuer` may issue a certificate that has `below` CA certificates beneath it.
fn check_ca(issuer: &X509Certificate<'_>, below: usize, what: &str) -> Result<(), X5cError> {
    let bc = issuer
        .basic_constraints()
        .map_err(|e| X5cError::Invalid(format!("{what}: bad basicConstraints: {e}")))?;
    match bc {
        Some(bc) if bc.value.ca => {
            if let Some(max) = bc.value.path_len_constraint {
                if below > max as usize {
                    return Err(X5cError::Invalid(format!(
                        "{what}: pathLenConstraint {max} exceeded ({below} CA certificates below it)"
                    )));
                }
            }
        }
        _ => {
            return Err(X5cError::Invalid(format!(
                "{what} signs another certificate but is not a CA (basicConstraints cA is not true)"
            )))
        }
    }
    if let Ok(Some(ku)) = issuer.key_usage() {
        if !ku.value.key_cert_sign() {
            return Err(X5cError::Invalid(format!(
                "{what}: keyUsage lacks keyCertSign"
            )));
        }
    }
    Ok(())
}

/// Validates a chain (leaf first) at unix time `now` and returns the leaf's public key.
pub fn validate_chain(
    chain: &[Vec<u8>],
    anchors: &[Vec<u8>],
    allow_self_signed: bool,
    now: u64,
) -> Result<(PublicKey, X5cTrust), X5cError> {
    let at = i64::try_from(now)
        .ok()
        .and_then(|t| ASN1Time::from_timestamp(t).ok())
        .ok_or_else(|| X5cError::Invalid("the validation time is out of range".into()))?;
    let certs = chain
        .iter()
        .enumerate()
        .map(|(i, der)| parse(der, i))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(leaf) = certs.first() else {
        return Err(X5cError::Invalid("x5c is empty".into()));
    };
    for (i, c) in certs.iter().enumerate() {
        if !c.validity().is_valid_at(at) {
            return Err(X5cError::Invalid(format!(
                "x5c[{i}] ({}) is not valid at {now}: valid from {} to {}",
                c.subject(),
                c.validity().not_before,
                c.validity().not_after
            )));
        }
        check_extensions(c, i)?;
    }
    if let Ok(Some(ku)) = leaf.key_usage() {
        if !ku.value.digital_signature() {
            return Err(X5cError::Invalid(
                "x5c[0] keyUsage lacks digitalSignature".into(),
            ));
        }
    }
    let key = PublicKey::from_spki(leaf.public_key())
        .map_err(|e| X5cError::Invalid(format!("x5c[0] public key: {e}")))?;

    let parsed_anchors: Vec<(&Vec<u8>, X509Certificate<'_>)> = anchors
        .iter()
        .filter_map(|der| X509Certificate::from_der(der).ok().map(|(_, c)| (der, c)))
        .collect();

    for (i, cert) in certs.iter().enumerate() {
        if parsed_anchors
            .iter()
            .any(|(der, _)| Some(*der) == chain.get(i))
        {
            return Ok((key, X5cTrust::Anchor));
        }
        if let Some(issuer) = certs.get(i + 1) {
            if cert.issuer().as_raw() != issuer.subject().as_raw() {
                return Err(X5cError::Invalid(format!(
                    "x5c[{i}] is issued by {} but x5c[{}] is {}",
                    cert.issuer(),
                    i + 1,
                    issuer.subject()
                )));
            }
            check_ca(issuer, i, &format!("x5c[{}]", i + 1))?;
            cert.verify_signature(Some(issuer.public_key()))
                .map_err(|e| {
                    X5cError::Invalid(format!(
                        "x5c[{i}] signature does not verify with x5c[{}]'s key: {e}",
                        i + 1
                    ))
                })?;
            continue;
        }
        // Last certificate of the chain: look for an anchor that issued it.
        for (_, anchor) in &parsed_anchors {
            if anchor.subject().as_raw() == cert.issuer().as_raw()
                && anchor.validity().is_valid_at(at)
                && check_ca(anchor, i, "trust anchor").is_ok()
                && cert.verify_signature(Some(anchor.public_key())).is_ok()
            {
                return Ok((key, X5cTrust::Anchor));
            }
        }
        if allow_self_signed
            && certs.len() == 1
            && cert.issuer().as_raw() == cert.subject().as_raw()
            && cert.verify_signature(None).is_ok()
        {
            return Ok((key, X5cTrust::SelfSigned));
        }
        return Err(X5cError::Untrusted(format!(
            "the chain ends at {} (issued by {}), which is not a configured trust anchor",
            cert.subject(),
            cert.issuer()
        )));
    }
    Err(X5cError::Invalid("x5c is empty".into()))
}
