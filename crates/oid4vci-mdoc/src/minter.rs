//! [`MdocMinter`]: the [`CredentialMinter`] for `mso_mdoc` configurations.

use crate::claims::namespaces;
use crate::error::MdocError;
use crate::issuer_signed::{MdocContent, UnsignedMdoc};
use crate::limits::MdocLimits;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use coset::{iana, CoseKey, CoseKeyBuilder};
use oid4vci_issuer::{
    CredentialMinter, IssuerKey, IssuerKeys, KeyRing, MintError, MintOutcome, MintRequest,
    SigningKey, StatusReference,
};
use oid4vci_proof::{Alg, PublicKey};
use oid4vci_types::CredentialFormat;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;

/// Mints ISO/IEC 18013-5 mdocs as OID4VCI 1.0 Appendix A.2 delivers them: the
/// base64url-encoded CBOR `IssuerSigned`, one per holder key, the key as the MSO's device key.
/// Each configuration is signed by its ring's current key (a document signer per doctype if
/// wanted), with that key's chain as the `x5chain`.
#[derive(Clone)]
pub struct MdocMinter {
    keys: IssuerKeys,
    /// Credential lifetime in seconds (`validUntil - validFrom`).
    pub validity: u64,
    /// Size limits.
    pub limits: MdocLimits,
}

impl fmt::Debug for MdocMinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MdocMinter")
            .field("keys", &self.keys)
            .field("validity", &self.validity)
            .field("limits", &self.limits)
            .finish()
    }
}

impl MdocMinter {
    /// A minter signing with the in-process P-256 `key`, whose certificate chain (DER, the
    /// document-signer certificate first, no trust anchor) goes into every MSO's `x5chain`.
    pub fn new(key: p256::ecdsa::SigningKey, x5chain: Vec<Vec<u8>>) -> Result<Self, MdocError> {
        let key = SigningKey::from_raw(Alg::Es256, &key.to_bytes())
            .map_err(|e| MdocError::Signing(e.to_string()))?;
        let key = IssuerKey::new(Arc::new(key), "document-signer").with_chain(x5chain);
        MdocMinter::from_keys(IssuerKeys::new(KeyRing::single(key)))
    }

    /// A minter signing with `keys`. Every key must be ES256 (P-256) and carry its
    /// document-signer chain.
    pub fn from_keys(keys: IssuerKeys) -> Result<Self, MdocError> {
        for key in keys.rings().flat_map(KeyRing::keys) {
            if key.chain().is_empty() {
                return Err(MdocError::NoCertificate);
            }
            if key.alg() != Alg::Es256 {
                return Err(MdocError::Signing(format!(
                    "key {:?} is {}; mdocs are signed with ES256 (P-256)",
                    key.kid(),
                    key.alg().as_str()
                )));
            }
        }
        Ok(MdocMinter {
            keys,
            validity: 365 * 24 * 3600,
            limits: MdocLimits::default(),
        })
    }

    /// The issuer keys.
    pub fn keys(&self) -> &IssuerKeys {
        &self.keys
    }

    /// Issues one mdoc of `doctype` with `claims` for the holder key `holder_jwk` (a P-256 JWK),
    /// signed at `now` (Unix seconds) by the default ring's current key. The MSO's `signed` and
    /// `validFrom` are `now` rounded down to the hour and `validUntil` is rounded up to the hour,
    /// so mdocs issued in the same hour (a batch) carry no precise timestamp that links them
    /// (RFC 9901 §10.1). Returns the base64url (no padding) encoded `IssuerSigned`.
    pub async fn issue(
        &self,
        doctype: &str,
        claims: &Value,
        holder_jwk: &Value,
        now: u64,
    ) -> Result<String, MdocError> {
        let key = self.keys.default_ring().current(now);
        self.issue_with(key, doctype, claims, holder_jwk, None, now)
            .await
    }

    /// [`issue`](Self::issue) by `key`, with the MSO's `status` naming a status-list entry
    /// (`{"status_list": {"idx": …, "uri": …}}`, draft-ietf-oauth-status-list; ISO/IEC
    /// 18013-5:2025 MSO `status`).
    pub async fn issue_with(
        &self,
        key: &IssuerKey,
        doctype: &str,
        claims: &Value,
        holder_jwk: &Value,
        status: Option<&StatusReference>,
        now: u64,
    ) -> Result<String, MdocError> {
        let namespaces = namespaces(claims, doctype, &self.limits)?;
        let signed = oid4vci_issuer::rounded_issuance_time_within(now, key.not_before());
        let content = MdocContent {
            doctype,
            namespaces: &namespaces,
            device_key: device_key(holder_jwk)?,
            signed,
            valid_until: oid4vci_issuer::rounded_expiry(signed, self.validity),
            x5chain: key.chain(),
            status: status.map(|s| (s.uri.as_str(), s.idx)),
        };
        let unsigned = UnsignedMdoc::prepare(content, &self.limits)?;
        let signature = key
            .sign(&unsigned.to_be_signed())
            .await
            .map_err(|e| MdocError::Signing(e.to_string()))?;
        Ok(URL_SAFE_NO_PAD.encode(unsigned.finish(signature)?))
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

impl CredentialMinter for MdocMinter {
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
        let signer = (self.keys)
            .for_configuration(request.configuration_id)
            .current(request.now);
        let mut credentials = Vec::with_capacity(count);
        for (i, holder) in request.holder_keys.iter().enumerate() {
            let status = request.status(i, count)?;
            let mdoc = self
                .issue_with(signer, doctype, request.claims, holder, status, request.now)
                .await?;
            credentials.push(Value::String(mdoc));
        }
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
