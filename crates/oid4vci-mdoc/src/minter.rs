//! [`MdocMinter`]: the [`CredentialMinter`] for `mso_mdoc` configurations.

use crate::claims::namespaces;
use crate::error::MdocError;
use crate::issuer_signed::{issuer_signed, MdocContent};
use crate::limits::MdocLimits;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use coset::{iana, CoseKey, CoseKeyBuilder};
use oid4vci_issuer::{CredentialMinter, MintError, MintOutcome, MintRequest, StatusReference};
use oid4vci_proof::{Alg, PublicKey};
use oid4vci_types::CredentialFormat;
use serde_json::Value;
use std::fmt;

/// The issuer key that signs the MSO: ES256, returning the 64-byte `r || s` signature.
pub trait MsoSigner: Send + Sync + 'static {
    /// Signs `message` (the COSE `Sig_structure`) with ES256.
    fn sign_es256(&self, message: &[u8]) -> Result<Vec<u8>, MdocError>;
}

impl MsoSigner for p256::ecdsa::SigningKey {
    fn sign_es256(&self, message: &[u8]) -> Result<Vec<u8>, MdocError> {
        use p256::ecdsa::signature::Signer;
        let signature: p256::ecdsa::Signature = self
            .try_sign(message)
            .map_err(|e| MdocError::Signing(e.to_string()))?;
        Ok(signature.to_bytes().to_vec())
    }
}

/// Mints ISO/IEC 18013-5 mdocs as OID4VCI 1.0 Appendix A.2 delivers them: the
/// base64url-encoded CBOR `IssuerSigned`, one per holder key, the key as the MSO's device key.
pub struct MdocMinter<K = p256::ecdsa::SigningKey> {
    key: K,
    x5chain: Vec<Vec<u8>>,
    /// Credential lifetime in seconds (`validUntil - validFrom`).
    pub validity: u64,
    /// Size limits.
    pub limits: MdocLimits,
    /// `notBefore` of the document-signer certificate: no MSO is signed earlier.
    not_before: Option<u64>,
}

impl<K> fmt::Debug for MdocMinter<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MdocMinter")
            .field("x5chain_len", &self.x5chain.len())
            .field("validity", &self.validity)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<K: MsoSigner> MdocMinter<K> {
    /// A minter signing with `key`, whose certificate chain (DER, the document-signer
    /// certificate first, no trust anchor) goes into every MSO's `x5chain` header.
    pub fn new(key: K, x5chain: Vec<Vec<u8>>) -> Result<Self, MdocError> {
        if x5chain.is_empty() {
            return Err(MdocError::NoCertificate);
        }
        let not_before = x5chain
            .first()
            .and_then(|leaf| oid4vci_proof::x5c::not_before(leaf));
        Ok(MdocMinter {
            key,
            x5chain,
            validity: 365 * 24 * 3600,
            limits: MdocLimits::default(),
            not_before,
        })
    }

    /// Issues one mdoc of `doctype` with `claims` for the holder key `holder_jwk` (a P-256 JWK),
    /// signed at `now` (Unix seconds). The MSO's `signed` and `validFrom` are `now` rounded down
    /// to the hour and `validUntil` is rounded up to the hour, so mdocs issued in the same hour
    /// (a batch) carry no precise timestamp that links them (RFC 9901 §10.1). Returns the
    /// base64url (no padding) encoded `IssuerSigned`.
    pub fn issue(
        &self,
        doctype: &str,
        claims: &Value,
        holder_jwk: &Value,
        now: u64,
    ) -> Result<String, MdocError> {
        self.issue_with_status(doctype, claims, holder_jwk, None, now)
    }

    /// [`issue`](Self::issue) with the MSO's `status` naming a status-list entry
    /// (`{"status_list": {"idx": …, "uri": …}}`, draft-ietf-oauth-status-list; ISO/IEC
    /// 18013-5:2025 MSO `status`).
    pub fn issue_with_status(
        &self,
        doctype: &str,
        claims: &Value,
        holder_jwk: &Value,
        status: Option<&StatusReference>,
        now: u64,
    ) -> Result<String, MdocError> {
        let namespaces = namespaces(claims, doctype, &self.limits)?;
        let signed = oid4vci_issuer::rounded_issuance_time_within(now, self.not_before);
        let content = MdocContent {
            doctype,
            namespaces: &namespaces,
            device_key: device_key(holder_jwk)?,
            signed,
            valid_until: oid4vci_issuer::rounded_expiry(signed, self.validity),
            x5chain: &self.x5chain,
            status: status.map(|s| (s.uri.as_str(), s.idx)),
        };
        let bytes = issuer_signed(content, &self.limits, |m| self.key.sign_es256(m))?;
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// The holder key as an ISO 18013-5 device key: a COSE_Key with kty EC2, crv P-256, x and y.
pub fn device_key(holder_jwk: &Value) -> Result<CoseKey, MdocError> {
    let key =
        PublicKey::from_jwk_value(holder_jwk).map_err(|e| MdocError::HolderKey(e.to_string()))?;
    if key.alg() != Alg::Es256 {
        return Err(MdocError::HolderKey(format!(
            "{} keys cannot be mdoc device keys; use a P-256 key",
            key.kind()
        )));
    }
    let jwk = key.to_jwk();
    let coordinate = |name: &str| -> Result<Vec<u8>, MdocError> {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| MdocError::HolderKey(format!("P-256 key without a 32-byte {name}")))
    };
    Ok(CoseKeyBuilder::new_ec2_pub_key(
        iana::EllipticCurve::P_256,
        coordinate("x")?,
        coordinate("y")?,
    )
    .build())
}

impl<K: MsoSigner> CredentialMinter for MdocMinter<K> {
    async fn mint<'a>(&'a self, request: MintRequest<'a>) -> Result<MintOutcome, MintError> {
        let configuration = request.configuration;
        if configuration.format != CredentialFormat::MsoMdoc {
            return Err(MdocError::WrongFormat(configuration.format.to_string()).into());
        }
        let doctype = configuration
            .doctype
            .as_deref()
            .ok_or(MdocError::MissingDoctype)?;
        if request.holder_keys.is_empty() {
            return Err(MdocError::MissingHolderKey.into());
        }
        let count = request.holder_keys.len();
        let credentials = (request.holder_keys.iter().enumerate())
            .map(|(i, key)| {
                let status = request.status(i, count)?;
                self.issue_with_status(doctype, request.claims, key, status, request.now)
                    .map(Value::String)
                    .map_err(MintError::from)
            })
            .collect::<Result<_, _>>()?;
        Ok(MintOutcome::Issued(credentials))
    }

    fn check_claims(
        &self,
        _: &str,
        configuration: &oid4vci_types::CredentialConfiguration,
        claims: &Value,
    ) -> Result<(), MintError> {
        if configuration.format != CredentialFormat::MsoMdoc {
            return Ok(());
        }
        let doctype = configuration
            .doctype
            .as_deref()
            .ok_or(MdocError::MissingDoctype)?;
        // What minting will build: identifiers, counts and values are checked now, and every
        // value against the item and credential size limits.
        let mut total = 0usize;
        for (_, elements) in namespaces(claims, doctype, &self.limits)? {
            for (name, value) in elements {
                let mut encoded = Vec::new();
                ciborium::into_writer(&value, &mut encoded)
                    .map_err(|e| MdocError::Encoding(e.to_string()))?;
                let size = encoded.len().saturating_add(name.len());
                if size > self.limits.max_item_bytes {
                    return Err(MdocError::TooLarge {
                        what: "a data element",
                        found: size,
                        limit: self.limits.max_item_bytes,
                    }
                    .into());
                }
                total = total.saturating_add(size);
            }
        }
        if total > self.limits.max_credential_bytes {
            return Err(MdocError::TooLarge {
                what: "the data elements together",
                found: total,
                limit: self.limits.max_credential_bytes,
            }
            .into());
        }
        Ok(())
    }
}
