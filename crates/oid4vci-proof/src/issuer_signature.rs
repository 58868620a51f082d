//! The issuer signature of an issued credential (an SD-JWT VC's JWS, an mdoc's COSE_Sign1),
//! checked against a certificate the verifier holds, and compared with the certificate chain the
//! credential carries itself (`x5c`, `x5chain`).
//!
//! [`verify_issuer_signature`] accepts the signature when the given certificate's key verifies
//! it, or when the credential's own chain leads (valid at `now`, each certificate signed by the
//! next) to the given certificate and its leaf key verifies it: the given certificate may be the
//! document signer itself or the CA (an IACA root) that issued it. `oid4vci-sd-jwt` and
//! `oid4vci-mdoc` decode the credentials and call this.

use serde_json::{json, Value};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer as _;

use crate::key::{Alg, PublicKey, SignatureError};
use crate::x5c::{validate_chain, X5cError, MAX_CERT_LEN, MAX_CHAIN_LEN};

/// What one certificate is, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject's distinguished name (RFC 4514 style).
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// The serial number, hexadecimal.
    pub serial: String,
    /// `notBefore`, Unix seconds (0 before the epoch).
    pub not_before: i64,
    /// `notAfter`, Unix seconds.
    pub not_after: i64,
    /// The RFC 7638 thumbprint of its public key (P-256 or Ed25519; `None` for other keys).
    pub key_thumbprint: Option<String>,
    /// Subject and issuer are the same name (a root, or a self-signed certificate).
    pub self_signed: bool,
}

impl CertificateInfo {
    /// The certificate as JSON: `subject`, `issuer`, `serial`, `not_before`, `not_after`,
    /// `key_thumbprint`, `self_signed`.
    pub fn to_json(&self) -> Value {
        json!({
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "key_thumbprint": self.key_thumbprint,
            "self_signed": self.self_signed,
        })
    }
}

/// Parses a DER certificate (at most [`MAX_CERT_LEN`] bytes, nothing after it): what it is, and
/// its public key when that is a P-256 or Ed25519 key.
pub fn certificate_info(
    der: &[u8],
) -> Result<(CertificateInfo, Result<PublicKey, String>), IssuerSignatureError> {
    if der.len() > MAX_CERT_LEN {
        return Err(IssuerSignatureError::BadCertificate(format!(
            "the certificate is {} bytes; the limit is {MAX_CERT_LEN}",
            der.len()
        )));
    }
    let cert = match X509Certificate::from_der(der) {
        Ok(([], cert)) => cert,
        Ok(_) => {
            return Err(IssuerSignatureError::BadCertificate(
                "trailing bytes after the certificate".into(),
            ))
        }
        Err(e) => {
            return Err(IssuerSignatureError::BadCertificate(format!(
                "not a DER X.509 certificate: {e}"
            )))
        }
    };
    let key = PublicKey::from_spki(cert.public_key()).map_err(|e| e.to_string());
    let validity = cert.validity();
    let info = CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial_as_string().replace(':', ""),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        key_thumbprint: key.as_ref().ok().map(PublicKey::thumbprint),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
    };
    Ok((info, key))
}

/// Why an issuer signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerSignatureError {
    /// The given certificate (or the credential's leaf) cannot be used.
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    /// No certificate was given and the credential carries none.
    #[error("no certificate to verify the issuer signature with: give the issuer's certificate (the credential carries no x5c/x5chain)")]
    NoCertificate,
    /// The signature does not verify with the given certificate's key, and the credential's
    /// chain does not lead to that certificate.
    #[error("the issuer signature does not verify with the given certificate: {reason}")]
    NotByCertificate {
        /// What was found instead.
        reason: String,
    },
    /// The signature does not verify with the key it names (the credential's own leaf).
    #[error("the issuer signature does not verify: {0}")]
    Signature(SignatureError),
}

impl IssuerSignatureError {
    /// A stable code for reports: `bad_certificate`, `no_certificate`,
    /// `not_signed_by_certificate`, `invalid_signature`.
    pub fn code(&self) -> &'static str {
        match self {
            IssuerSignatureError::BadCertificate(_) => "bad_certificate",
            IssuerSignatureError::NoCertificate => "no_certificate",
            IssuerSignatureError::NotByCertificate { .. } => "not_signed_by_certificate",
            IssuerSignatureError::Signature(_) => "invalid_signature",
        }
    }
}

/// How a signature was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedWith {
    /// The given certificate's key verifies it.
    Certificate,
    /// The credential's leaf key verifies it, and its chain leads to the given certificate.
    ChainToCertificate,
    /// No certificate was given: the credential's own leaf key verifies it (not a trust
    /// decision).
    CredentialCertificate,
}

impl VerifiedWith {
    /// `certificate`, `chain_to_certificate`, `credential_certificate`.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifiedWith::Certificate => "certificate",
            VerifiedWith::ChainToCertificate => "chain_to_certificate",
            VerifiedWith::CredentialCertificate => "credential_certificate",
        }
    }
}

/// How the credential's own leaf certificate relates to the given one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateMatch {
    /// The very same certificate.
    SameCertificate,
    /// A different certificate with the same public key.
    SameKey,
    /// The credential's chain leads to the given certificate (valid at the time given).
    IssuedByCertificate,
    /// None of these, with why.
    Unrelated(String),
}

impl CertificateMatch {
    /// `same_certificate`, `same_key`, `issued_by_certificate`, `unrelated`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CertificateMatch::SameCertificate => "same_certificate",
            CertificateMatch::SameKey => "same_key",
            CertificateMatch::IssuedByCertificate => "issued_by_certificate",
            CertificateMatch::Unrelated(_) => "unrelated",
        }
    }
}

/// The outcome of [`verify_issuer_signature`]: the verdict, and what both certificates are.
#[derive(Debug, Clone)]
pub struct IssuerSignature {
    /// The given certificate, if one was given and it parses.
    pub certificate: Option<CertificateInfo>,
    /// The credential's own leaf certificate (`x5c[0]`, `x5chain[0]`), if it carries one.
    pub credential_certificate: Option<Result<CertificateInfo, String>>,
    /// How the credential's leaf relates to the given certificate (both present).
    pub certificate_match: Option<CertificateMatch>,
    /// The verdict.
    pub result: Result<VerifiedWith, IssuerSignatureError>,
}

impl IssuerSignature {
    /// Whether the signature was accepted.
    pub fn is_valid(&self) -> bool {
        self.result.is_ok()
    }

    /// The report: `{"valid", "verified_with" | "error" + "reason", "certificate",
    /// "credential_certificate", "certificate_match", "certificate_match_reason"}`.
    pub fn to_json(&self) -> Value {
        let mut out = serde_json::Map::new();
        out.insert("valid".into(), self.is_valid().into());
        match &self.result {
            Ok(with) => {
                out.insert("verified_with".into(), with.as_str().into());
            }
            Err(e) => {
                out.insert("error".into(), e.code().into());
                out.insert("reason".into(), e.to_string().into());
            }
        }
        let info = |c: &Option<CertificateInfo>| c.as_ref().map_or(Value::Null, |c| c.to_json());
        out.insert("certificate".into(), info(&self.certificate));
        let credential = match &self.credential_certificate {
            None => Value::Null,
            Some(Ok(c)) => c.to_json(),
            Some(Err(e)) => json!({ "error": e }),
        };
        out.insert("credential_certificate".into(), credential);
        let matched = self.certificate_match.as_ref();
        out.insert(
            "certificate_match".into(),
            matched.map_or(Value::Null, |m| m.as_str().into()),
        );
        if let Some(CertificateMatch::Unrelated(why)) = matched {
            out.insert("certificate_match_reason".into(), why.as_str().into());
        }
        Value::Object(out)
    }
}

fn x5c_message(e: X5cError) -> String {
    match e {
        X5cError::Invalid(m) | X5cError::Untrusted(m) => m,
    }
}

/// Verifies an issuer signature (`alg` over `message`) against `certificate` (DER; the
/// document signer, or a CA its chain leads to), with the credential's own `chain` (DER, leaf
/// first, as in `x5c`/`x5chain`; may be empty) checked at `now` (Unix seconds). Without a
/// certificate, the credential's leaf is used and the result says so
/// ([`VerifiedWith::CredentialCertificate`]).
pub fn verify_issuer_signature(
    alg: Alg,
    message: &[u8],
    signature: &[u8],
    chain: &[Vec<u8>],
    certificate: Option<&[u8]>,
    now: u64,
) -> IssuerSignature {
    let chain = chain.get(..MAX_CHAIN_LEN).unwrap_or(chain);
    let leaf = chain.first().map(|der| certificate_info(der));
    let credential_certificate = leaf.as_ref().map(|l| {
        l.as_ref()
            .map(|(i, _)| i.clone())
            .map_err(|e| e.to_string())
    });
    let leaf_key = match &leaf {
        Some(Ok((_, Ok(key)))) => Some(key.clone()),
        _ => None,
    };
    let leaf_verifies = leaf_key.as_ref().map(|k| k.verify(alg, message, signature));
    let mut out = IssuerSignature {
        certificate: None,
        credential_certificate,
        certificate_match: None,
        result: Err(IssuerSignatureError::NoCertificate),
    };
    let Some(der) = certificate else {
        out.result = match leaf_verifies {
            Some(Ok(())) => Ok(VerifiedWith::CredentialCertificate),
            Some(Err(e)) => Err(IssuerSignatureError::Signature(e)),
            None => match leaf {
                Some(Ok((_, Err(e)))) => Err(IssuerSignatureError::BadCertificate(format!(
                    "the credential's certificate: {e}"
                ))),
                Some(Err(e)) => Err(e),
                _ => Err(IssuerSignatureError::NoCertificate),
            },
        };
        return out;
    };
    let (info, key) = match certificate_info(der) {
        Ok(parsed) => parsed,
        Err(e) => {
            out.result = Err(e);
            return out;
        }
    };
    out.certificate = Some(info);
    if let Some(leaf_der) = chain.first() {
        let chained = validate_chain(chain, &[der.to_vec()], false, now);
        out.certificate_match = Some(if leaf_der.as_slice() == der {
            CertificateMatch::SameCertificate
        } else if leaf_key.is_some() && leaf_key.as_ref() == key.as_ref().ok() {
            CertificateMatch::SameKey
        } else {
            match chained {
                Ok(_) => CertificateMatch::IssuedByCertificate,
                Err(e) => CertificateMatch::Unrelated(x5c_message(e)),
            }
        });
    }
    let direct = match &key {
        Ok(key) => key.verify(alg, message, signature),
        Err(e) => {
            out.result = Err(IssuerSignatureError::BadCertificate(e.clone()));
            return out;
        }
    };
    out.result = match (direct, &out.certificate_match, leaf_verifies) {
        (Ok(()), _, _) => Ok(VerifiedWith::Certificate),
        (Err(_), Some(CertificateMatch::IssuedByCertificate), Some(Ok(()))) => {
            Ok(VerifiedWith::ChainToCertificate)
        }
        (
            Err(e),
            Some(CertificateMatch::SameCertificate | CertificateMatch::SameKey),
            _,
        ) => Err(IssuerSignatureError::Signature(e)),
        (Err(_), Some(CertificateMatch::IssuedByCertificate), Some(Err(e))) => {
            Err(IssuerSignatureError::Signature(e))
        }
        (Err(e), _, Some(Ok(()))) => Err(IssuerSignatureError::NotByCertificate {
            reason: format!(
                "{e} with its key; the credential's own certificate verifies it, but it is not the given certificate and does not chain to it"
            ),
        }),
        (Err(e), _, _) => Err(IssuerSignatureError::NotByCertificate {
            reason: format!("{e} with its key"),
        }),
    };
    out
}
