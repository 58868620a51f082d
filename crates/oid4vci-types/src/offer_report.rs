//! What a credential offer URI (or QR code text) says, as a report: what `oid4vci offer decode`
//! prints and the browser checker shows, from the same code.

use crate::{metadata_url, CredentialOfferRequest, InputMode};
use serde_json::{json, Value};

/// Decodes `uri` (an `openid-credential-offer://` URI or a wallet offer-endpoint URL) into a
/// report: `(valid, json)`. A valid offer by value lists the issuer, the configurations, the
/// grants, whether a `tx_code` is needed and the metadata URL, then the offer itself; an offer
/// by reference says which URL to fetch; an invalid one gives the error code and reason.
pub fn describe_offer(uri: &str) -> (bool, Value) {
    match CredentialOfferRequest::from_uri(uri) {
        Ok(CredentialOfferRequest::ByValue(offer)) => {
            let grant = offer.pre_authorized_code_grant();
            let tx = grant.and_then(|g| g.tx_code.as_ref());
            let mode = tx.map(|t| match t.effective_input_mode() {
                InputMode::Numeric => "numeric".to_owned(),
                other => other.as_str().to_owned(),
            });
            let authorization_code =
                (offer.grants.as_ref()).is_some_and(|g| g.authorization_code.is_some());
            (
                true,
                json!({
                    "valid": true,
                    "by": "value",
                    "credential_issuer": offer.credential_issuer,
                    "credential_configuration_ids": offer.credential_configuration_ids,
                    "pre_authorized_code": grant.is_some(),
                    "tx_code_required": tx.is_some(),
                    "tx_code_input_mode": mode,
                    "authorization_code": authorization_code,
                    "metadata_url": metadata_url(&offer.credential_issuer),
                    "credential_offer": offer,
                }),
            )
        }
        Ok(CredentialOfferRequest::ByReference(reference)) => (
            true,
            json!({"valid": true, "by": "reference", "credential_offer_uri": reference,
                   "next": "GET this URL (Accept: application/json) to obtain the offer"}),
        ),
        Err(e) => (
            false,
            json!({"valid": false, "error": e.code.as_str(), "reason": e.kind.to_string(),
                   "spec_ref": "OID4VCI 1.0 Section 4.1"}),
        ),
    }
}
