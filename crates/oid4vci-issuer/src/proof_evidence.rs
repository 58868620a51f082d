//! What a `proof_rejected` event keeps of the refused proof, for the operator (and the wallet
//! developer looking over their shoulder): the full diagnostic and the decoded JOSE header and
//! claims of the failing proof. Secrets are kept out: the proof's `nonce` (a `c_nonce` that may
//! still be unspent) is redacted, the signature is never copied, and long values (certificate
//! chains, key attestations) are shortened so the session stays small.

use crate::refusal::Refusal;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_types::{CredentialRequest, Proofs};
use serde_json::{json, Map, Value};

/// Longest encoded header or payload decoded (longer ones are noted, not decoded).
const MAX_SEGMENT: usize = 16 * 1024;
/// Longest string value kept whole; longer ones keep their start and their length.
const MAX_VALUE: usize = 120;
/// What replaces a redacted value in [`describe_jwt`] (and the operator's other views).
pub const REDACTED: &str = "[redacted]";

/// The evidence for a refused proof of `request`: `{"diagnostic": …, "proof": {"header": …,
/// "claims": …}}`, whichever parts there are.
pub(crate) fn proof_evidence(request: &CredentialRequest, refusal: &Refusal) -> Value {
    let mut evidence = Map::new();
    let diagnostic = refusal
        .proof_failure()
        .and_then(|p| p.diagnostic.clone())
        .map(redact_diagnostic);
    let index = diagnostic
        .as_ref()
        .and_then(|d| d.get("index"))
        .and_then(Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(0);
    if let Some(diagnostic) = diagnostic {
        evidence.insert("diagnostic".into(), diagnostic);
    }
    let jwt = match &request.proofs {
        Some(Proofs::Jwt(jwts) | Proofs::Attestation(jwts)) => jwts.get(index),
        _ => None,
    };
    if let Some(jwt) = jwt {
        evidence.insert("proof".into(), describe_jwt(jwt));
    }
    Value::Object(evidence)
}

/// A diagnostic whose `found` names a nonce keeps its code and text, not the value.
fn redact_diagnostic(mut diagnostic: Value) -> Value {
    let about_nonce = diagnostic
        .get("code")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("nonce"));
    if let (true, Some(found)) = (about_nonce, diagnostic.get_mut("found")) {
        *found = json!(REDACTED);
    }
    diagnostic
}

/// The decoded JOSE header and claims of a compact JWS (a key proof, a DPoP proof, a wallet
/// attestation or its PoP), fit for an operator's log: the single-use values (`nonce`, `ath`,
/// `challenge` claims) are redacted, the signature is not copied, and long values are shortened
/// (a string keeps its first 48 characters and its length). Never fails: what cannot be decoded
/// is described as `{"undecodable": why}`.
pub fn describe_jwt(jwt: &str) -> Value {
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return json!({"undecodable": "not a compact JWS (three dot-separated parts)"});
    };
    json!({
        "header": decode_segment(header),
        "claims": redact_claims(decode_segment(payload)),
    })
}

fn decode_segment(segment: &str) -> Value {
    if segment.len() > MAX_SEGMENT {
        return json!({"undecodable": format!("{} bytes, longer than {MAX_SEGMENT}", segment.len())});
    }
    let decoded = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string()));
    match decoded {
        Ok(value) => shorten(value, 0),
        Err(e) => json!({"undecodable": e}),
    }
}

fn redact_claims(mut claims: Value) -> Value {
    for single_use in ["nonce", "ath", "challenge"] {
        if let Some(value) = claims.get_mut(single_use) {
            *value = json!(REDACTED);
        }
    }
    claims
}

/// Long strings keep their start and their length; nesting beyond 8 levels is cut.
fn shorten(value: Value, depth: usize) -> Value {
    match value {
        Value::String(s) if s.chars().count() > MAX_VALUE => {
            let start: String = s.chars().take(48).collect();
            json!(format!("{start}… ({} characters)", s.chars().count()))
        }
        Value::Array(items) if depth < 8 => Value::Array(
            items
                .into_iter()
                .take(16)
                .map(|v| shorten(v, depth + 1))
                .collect(),
        ),
        Value::Object(map) if depth < 8 => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, shorten(v, depth + 1)))
                .collect(),
        ),
        Value::Array(_) | Value::Object(_) => json!("…"),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::Cause;

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn the_failing_proof_is_decoded_with_its_nonce_redacted_and_long_values_shortened() {
        let header = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256",
            "x5c": ["A".repeat(900)]});
        let claims = json!({"aud": "https://issuer.example", "nonce": "live-c-nonce", "iat": 1});
        let good = format!("{}.{}.sig", b64(&json!({"alg": "ES256"})), b64(&json!({})));
        let bad = format!("{}.{}.c2lnbmF0dXJl", b64(&header), b64(&claims));
        let request: CredentialRequest = serde_json::from_value(json!({
            "credential_configuration_id": "pid",
            "proofs": {"jwt": [good, bad]}
        }))
        .expect("request");
        let diagnostic = json!({"error": "invalid_proof", "code": "invalid_signature",
            "reason": "r", "help": "h", "expected": "e", "found": "f", "spec_ref": "s", "index": 1});
        let refusal = Refusal::proof(
            Cause::ProofInvalid,
            "bad",
            "invalid_signature",
            Some(diagnostic.clone()),
        );
        let evidence = proof_evidence(&request, &refusal);
        assert_eq!(evidence["diagnostic"], diagnostic, "the whole diagnostic");
        assert_eq!(
            evidence["proof"]["header"]["typ"], "openid4vci-proof+jwt",
            "proof 1, not 0"
        );
        assert_eq!(evidence["proof"]["claims"]["nonce"], REDACTED);
        assert_eq!(evidence["proof"]["claims"]["aud"], "https://issuer.example");
        let x5c = evidence["proof"]["header"]["x5c"][0]
            .as_str()
            .unwrap_or_default();
        assert!(
            x5c.ends_with("… (900 characters)") && x5c.len() < 80,
            "{x5c}"
        );
        let text = evidence.to_string();
        assert!(
            !text.contains("live-c-nonce") && !text.contains("c2lnbmF0dXJl"),
            "{text}"
        );
    }

    #[test]
    fn a_nonce_diagnostic_keeps_its_code_but_not_the_value_found() {
        let diagnostic =
            json!({"error": "invalid_nonce", "code": "invalid_nonce", "found": "\"abc\""});
        let refusal = Refusal::proof(
            Cause::ProofNonceInvalid,
            "stale",
            "invalid_nonce",
            Some(diagnostic),
        );
        let request: CredentialRequest = serde_json::from_value(json!({
            "credential_configuration_id": "pid", "proofs": {"jwt": ["not-a-jws"]}
        }))
        .expect("request");
        let evidence = proof_evidence(&request, &refusal);
        assert_eq!(evidence["diagnostic"]["code"], "invalid_nonce");
        assert_eq!(evidence["diagnostic"]["found"], REDACTED);
        assert!(evidence["proof"]["undecodable"].is_string());
    }
}
