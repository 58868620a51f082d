//! The OID4VCI key proof checker in the browser: `oid4vci-proof` (pure-Rust backend) compiled to
//! WebAssembly. [`check_proof`] gives the report `oid4vci proof check` prints, from the same
//! code (`oid4vci_proof::report`); [`decode_offer`] the one `oid4vci offer decode` prints
//! (`oid4vci_types::offer_report`); [`decode_credential`] the one `oid4vci credential decode`
//! prints (`oid4vci_sd_jwt::decode::report`, `oid4vci_mdoc::decode::report`). Nothing leaves
//! the browser.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use oid4vci_proof::report::{self, CheckOptions};
use oid4vci_proof::PublicKey;
use serde_json::{json, Value};
use wasm_bindgen::prelude::wasm_bindgen;

/// Largest proof, options or offer text accepted (the page's inputs come from a paste).
const MAX_INPUT: usize = 256 * 1024;

/// The certificates (DER) of a PEM text; an error names what is wrong.
fn certificates(pem_text: &str, what: &str) -> Result<Vec<Vec<u8>>, String> {
    if pem_text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let blocks = pem::parse_many(pem_text).map_err(|e| format!("{what}: {e}"))?;
    let certs: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(pem::Pem::into_contents)
        .collect();
    match certs.is_empty() {
        true => Err(format!("{what}: no PEM CERTIFICATE block")),
        false => Ok(certs),
    }
}

fn text(options: &Value, name: &str) -> Option<String> {
    (options.get(name))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn number(options: &Value, name: &str) -> Result<Option<u64>, String> {
    match options.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{name} must be a whole number of seconds")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => (s.trim().parse().map(Some))
            .map_err(|_| format!("{name} must be a whole number of seconds")),
        Some(_) => Err(format!("{name} must be a number")),
    }
}

/// The options of `oid4vci proof check` from the page's JSON: `aud`, `nonce`, `client_id`,
/// `anonymous`, `now`, `max_age`, `max_skew`, `trust_anchors` (PEM), `allow_self_signed`,
/// `attester_trust_anchors` (PEM), `attester_jwks` (an array of JWKs). `now` is required: the
/// page passes the browser's clock unless the user sets a time.
fn options(json_text: &str) -> Result<CheckOptions, String> {
    let o: Value = serde_json::from_str(json_text).map_err(|e| format!("options: {e}"))?;
    let now = number(&o, "now")?.ok_or("now is required")?;
    let mut options = CheckOptions::at(now);
    options.audience = text(&o, "aud");
    options.nonce = text(&o, "nonce");
    options.client_id = text(&o, "client_id");
    options.anonymous = o.get("anonymous").and_then(Value::as_bool).unwrap_or(false);
    options.max_age = number(&o, "max_age")?.unwrap_or(options.max_age);
    options.max_skew = number(&o, "max_skew")?.unwrap_or(options.max_skew);
    options.allow_self_signed =
        (o.get("allow_self_signed").and_then(Value::as_bool)).unwrap_or(false);
    let pem_of = |name| text(&o, name).unwrap_or_default();
    options.trust_anchors = certificates(&pem_of("trust_anchors"), "trust anchors")?;
    options.attester_trust_anchors =
        certificates(&pem_of("attester_trust_anchors"), "attester trust anchors")?;
    if let Some(jwks) = o.get("attester_jwks").and_then(Value::as_array) {
        for jwk in jwks {
            let key = PublicKey::from_jwk_value(jwk).map_err(|e| format!("attester JWK: {e}"))?;
            options.attester_keys.push(key);
        }
    }
    if options.client_id.is_some() && options.anonymous {
        return Err("client_id and anonymous exclude each other".into());
    }
    Ok(options)
}

/// Checks the proof `jwt` with the options (JSON, see the page) and returns the report as
/// pretty JSON: exactly what `oid4vci proof check` prints for the same input. Options that
/// cannot be read give `{"valid": false, "error": "invalid_options", "reason": …}`.
#[wasm_bindgen]
pub fn check_proof(jwt: &str, options_json: &str) -> String {
    if jwt.len() > MAX_INPUT || options_json.len() > MAX_INPUT {
        return usage("the input is larger than 256 KiB");
    }
    match options(options_json) {
        Ok(options) => report::check_proof(jwt.trim(), &options).text,
        Err(why) => usage(&why),
    }
}

fn usage(why: &str) -> String {
    let out = json!({"valid": false, "error": "invalid_options", "reason": why});
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

/// Decodes a credential offer URI (or QR code text): exactly what `oid4vci offer decode`
/// prints.
#[wasm_bindgen]
pub fn decode_offer(uri: &str) -> String {
    if uri.len() > MAX_INPUT {
        return usage("the input is larger than 256 KiB");
    }
    let (_, out) = oid4vci_types::offer_report::describe_offer(uri.trim());
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

/// Largest credential text accepted (an mdoc's `IssuerSigned` may be 256 KiB before base64url).
const MAX_CREDENTIAL: usize = 512 * 1024;

/// Decodes an issued credential, an SD-JWT VC (`dc+sd-jwt`) or an mdoc (`mso_mdoc`, base64url
/// `IssuerSigned`), and verifies its issuer signature against the first certificate of
/// `certificate_pem` (the issuer's certificate or the CA that issued it; none: the credential's
/// own `x5c`/`x5chain` leaf, not a trust decision) at `now` (Unix seconds): exactly what
/// `oid4vci credential decode` prints. `format` is `dc+sd-jwt`, `mso_mdoc`, or empty to tell by
/// the text (an SD-JWT has a `~` or starts with a JSON header).
#[wasm_bindgen]
pub fn decode_credential(
    credential: &str,
    certificate_pem: &str,
    format: &str,
    now: u64,
) -> String {
    if credential.len() > MAX_CREDENTIAL || certificate_pem.len() > MAX_INPUT {
        return usage("the credential is larger than 512 KiB or the certificate than 256 KiB");
    }
    let certificate = match certificates(certificate_pem, "certificate") {
        Ok(certs) => certs.into_iter().next(),
        Err(why) => return usage(&why),
    };
    let text = credential.trim();
    let sd_jwt = match format.trim() {
        "dc+sd-jwt" => true,
        "mso_mdoc" => false,
        "" | "auto" => oid4vci_sd_jwt::decode::is_sd_jwt(text),
        other => return usage(&format!("unknown format {other:?}: dc+sd-jwt or mso_mdoc")),
    };
    let out = match sd_jwt {
        true => oid4vci_sd_jwt::decode::report(text, certificate.as_deref(), now),
        false => oid4vci_mdoc::decode::report(text, certificate.as_deref(), now),
    };
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_and_refused_clearly() {
        let o = options(r#"{"now": "1780000000", "aud": " https://i.example ", "max_age": 60}"#)
            .expect("options");
        assert_eq!(o.now, 1_780_000_000);
        assert_eq!(o.audience.as_deref(), Some("https://i.example"));
        assert_eq!(o.max_age, 60);
        assert!(options("{}").is_err(), "now is required");
        assert!(options(r#"{"now": 1, "trust_anchors": "junk"}"#).is_err());
        let report: Value = serde_json::from_str(&check_proof("x", "not json")).expect("json");
        assert_eq!(report["error"], "invalid_options");
    }

    #[test]
    fn credentials_are_told_apart_and_bad_options_refused() {
        let sd_jwt: Value =
            serde_json::from_str(&decode_credential("eyJx.y.z~", "", "", 0)).expect("json");
        assert_eq!(sd_jwt["format"], "dc+sd-jwt");
        assert_eq!(sd_jwt["error"], "malformed");
        let mdoc: Value = serde_json::from_str(&decode_credential("oQ", "", "", 0)).expect("json");
        assert_eq!(mdoc["format"], "mso_mdoc");
        let pem: Value =
            serde_json::from_str(&decode_credential("x", "junk", "", 0)).expect("json");
        assert_eq!(pem["error"], "invalid_options");
        let format: Value =
            serde_json::from_str(&decode_credential("x", "", "jwt_vc", 0)).expect("json");
        assert_eq!(format["error"], "invalid_options");
    }
}
