//! Signed Credential Issuer Metadata (OID4VCI 1.0 Section 12.2.3): the metadata's members as the
//! claims of a JWT typed `openidvci-issuer-metadata+jwt`, with `iss` and `sub` the Credential
//! Issuer Identifier, `iat` and `exp`, signed by the issuer key (with its `x5c` chain).
//!
//! It is served as `application/jwt` to wallets that ask for it (`Accept: application/jwt`) and
//! as the `signed_metadata` member of the JSON metadata (the form draft-13 wallets read); the
//! plain members stay, as the spec requires.

use crate::clock::UnixTime;
use crate::signing::{MetadataSigner, SigningError};
use oid4vci_types::CredentialIssuerMetadata;
use serde_json::{Map, Value};

/// The `typ` of signed metadata (Section 12.2.3).
pub const SIGNED_METADATA_TYP: &str = "openidvci-issuer-metadata+jwt";

/// The claims of the signed metadata: every metadata member (except `signed_metadata`), `iss`,
/// `sub`, `iat` and `exp`.
pub fn claims(
    metadata: &CredentialIssuerMetadata,
    now: UnixTime,
    lifetime: u64,
) -> Result<Map<String, Value>, SigningError> {
    let mut claims = match serde_json::to_value(metadata) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            let why = "the metadata is not a JSON object";
            return Err(SigningError::Encoding(why.into()));
        }
        Err(e) => return Err(SigningError::Encoding(e.to_string())),
    };
    claims.remove("signed_metadata");
    let issuer = Value::String(metadata.credential_issuer.clone());
    claims.insert("iss".into(), issuer.clone());
    claims.insert("sub".into(), issuer);
    claims.insert("iat".into(), Value::from(now));
    claims.insert("exp".into(), Value::from(now.saturating_add(lifetime)));
    Ok(claims)
}

/// Signs `metadata` at `now`, valid for `lifetime` seconds.
pub async fn sign(
    metadata: &CredentialIssuerMetadata,
    signer: &dyn MetadataSigner,
    now: UnixTime,
    lifetime: u64,
) -> Result<String, SigningError> {
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(SIGNED_METADATA_TYP.into()));
    signer
        .sign_jwt(header, claims(metadata, now, lifetime)?, now)
        .await
}
