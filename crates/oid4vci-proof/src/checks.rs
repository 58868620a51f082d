//! Header (`typ`, `alg`, `crit`) and claim (`aud`, `iat`, `iss`, `nonce`) checks.

use serde_json::{Map, Value};

use crate::error::{detail, json_type, show, ProofError};
use crate::key::Alg;
use crate::policy::{ClientIdentity, ProofContext, ProofPolicy};

pub(crate) const PROOF_TYP: &str = "openid4vci-proof+jwt";
pub(crate) const KEY_ATTESTATION_TYP: &str = "key-attestation+jwt";
/// The key attestation `typ` of OID4VCI drafts 15 and 16, which wallet libraries still send
/// (oid4vc-ts 0.4 among them); accepted as a synonym of [`KEY_ATTESTATION_TYP`].
pub(crate) const KEY_ATTESTATION_TYP_DRAFT: &str = "keyattestation+jwt";

/// Whether `typ` names a key attestation (either spelling, with or without `application/`).
pub(crate) fn is_key_attestation_typ(typ: &str) -> bool {
    let t = typ.to_ascii_lowercase();
    let bare = t.trim_start_matches("application/");
    bare == KEY_ATTESTATION_TYP || bare == KEY_ATTESTATION_TYP_DRAFT
}

const F1: &str = "OID4VCI 1.0 Appendix F.1";

/// Names of the header parameters present, for reasons ("header has typ, alg, kid").
pub(crate) fn header_names(header: &Map<String, Value>) -> String {
    let names: Vec<&str> = header.keys().map(String::as_str).take(12).collect();
    if names.is_empty() {
        "the header is an empty object".into()
    } else {
        format!("header has {}", names.join(", "))
    }
}

/// `typ` per RFC 7515 §4.1.9: case-insensitive media type, `application/` prefix optional.
pub(crate) fn check_typ(
    header: &Map<String, Value>,
    expected: &str,
    spec_ref: &str,
    what: &str,
) -> Result<(), ProofError> {
    let help = || {
        format!(
        "set the JOSE header parameter typ to \"{expected}\", e.g. {{\"typ\":\"{expected}\",\"alg\":\"ES256\",\"jwk\":{{...}}}}"
    )
    };
    let found = match header.get("typ") {
        None => {
            return Err(ProofError::InvalidTyp(detail(
                spec_ref,
                format!(
                    "{what} has no typ header parameter ({})",
                    header_names(header)
                ),
                expected,
                "typ absent",
                help(),
            )))
        }
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(ProofError::InvalidTyp(detail(
                spec_ref,
                format!("{what} typ is {}, not a string", json_type(other)),
                expected,
                show(other),
                help(),
            )))
        }
    };
    let bare = match found.get(..12) {
        Some(p) if p.eq_ignore_ascii_case("application/") => found.get(12..).unwrap_or(""),
        _ => found.as_str(),
    };
    if bare.eq_ignore_ascii_case(expected) {
        return Ok(());
    }
    let normalized = bare.to_ascii_lowercase();
    let hint = match normalized.as_str() {
        "jwt" => " (a generic JWT; key proofs must be explicitly typed, RFC 8725 Section 3.11)",
        "dpop+jwt" => " (that is a DPoP proof, not a key proof)",
        "kb+jwt" => " (that is an SD-JWT key binding JWT, not a key proof)",
        "openid4vci-proof+jwt" | "key-attestation+jwt" => " (the other OID4VCI JWT type)",
        _ => "",
    };
    Err(ProofError::InvalidTyp(detail(
        spec_ref,
        format!("{what} typ is \"{}\"{hint}", crate::error::clip(found, 80)),
        expected,
        show(&Value::String(found.clone())),
        help(),
    )))
}

/// `alg`: present, asymmetric, implemented and allowed by policy.
pub(crate) fn check_alg(
    header: &Map<String, Value>,
    policy: &ProofPolicy,
    spec_ref: &str,
    what: &str,
) -> Result<Alg, ProofError> {
    let allowed = || {
        policy
            .algs
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expected = || format!("one of {}", allowed());
    let help = || {
        format!(
        "sign the {what} with an asymmetric algorithm this issuer accepts ({}) and put its name in the alg header parameter",
        allowed()
    )
    };
    let name = match header.get("alg") {
        Some(Value::String(s)) => s.as_str(),
        None => {
            return Err(ProofError::UnsupportedAlg(detail(
                spec_ref,
                format!(
                    "{what} has no alg header parameter ({})",
                    header_names(header)
                ),
                expected(),
                "alg absent",
                help(),
            )))
        }
        Some(other) => {
            return Err(ProofError::UnsupportedAlg(detail(
                spec_ref,
                format!("{what} alg is {}, not a string", json_type(other)),
                expected(),
                show(other),
                help(),
            )))
        }
    };
    if let Some(a) = Alg::from_name(name).filter(|a| policy.algs.contains(a)) {
        return Ok(a);
    }
    let why = if name.eq_ignore_ascii_case("none") {
        "alg none means the JWT is unsigned, which a key proof MUST NOT be".to_owned()
    } else if name.starts_with("HS") {
        format!("alg {name} is a symmetric MAC algorithm, which a key proof MUST NOT use")
    } else {
        // (An accepted alg returned above.)
        match Alg::from_name(name) {
            Some(a) => {
                format!("alg {a} is not in this issuer's proof_signing_alg_values_supported")
            }
            None => format!(
                "alg {} is not supported by this issuer",
                crate::error::clip(name, 40)
            ),
        }
    };
    Err(ProofError::UnsupportedAlg(detail(
        spec_ref,
        format!("{what}: {why}"),
        expected(),
        show(&Value::String(name.to_owned())),
        help(),
    )))
}

/// `crit` (RFC 7515 §4.1.11): we implement no extensions, so any listed name is refused.
pub(crate) fn check_crit(header: &Map<String, Value>, what: &str) -> Result<(), ProofError> {
    let Some(crit) = header.get("crit") else {
        return Ok(());
    };
    let help = "remove crit (and the extension it names); this issuer understands no JWS extensions, and a key proof needs none";
    let names = match crit.as_array() {
        Some(a) if !a.is_empty() && a.iter().all(Value::is_string) => a,
        _ => {
            return Err(ProofError::UnsupportedCrit(detail(
                "RFC 7515 Section 4.1.11",
                format!(
                    "{what} crit must be a non-empty array of header parameter names, found {}",
                    json_type(crit)
                ),
                "crit absent",
                show(crit),
                help,
            )))
        }
    };
    let listed: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
    let extra = if listed.contains(&"b64") {
        " (b64=false unencoded payloads, RFC 7797, are not valid for JWT key proofs)"
    } else {
        ""
    };
    Err(ProofError::UnsupportedCrit(detail(
        "RFC 7515 Section 4.1.11",
        format!(
            "{what} crit lists {} which this issuer does not understand{extra}",
            listed.join(", ")
        ),
        "crit absent",
        show(crit),
        help,
    )))
}

/// `aud`: a string equal to the Credential Issuer Identifier.
pub(crate) fn check_aud(
    claims: &Map<String, Value>,
    ctx: &ProofContext<'_>,
) -> Result<(), ProofError> {
    let expected = || format!("\"{}\"", ctx.audience);
    let help = || {
        format!(
        "set aud to the Credential Issuer Identifier exactly as in the issuer metadata's credential_issuer, as a string: \"aud\":\"{}\"",
        ctx.audience
    )
    };
    let found = match claims.get("aud") {
        Some(Value::String(s)) => s,
        None => {
            return Err(ProofError::InvalidAudience(detail(
                F1,
                "the proof has no aud claim",
                expected(),
                "aud absent",
                help(),
            )))
        }
        Some(other) => {
            return Err(ProofError::InvalidAudience(detail(
                F1,
                format!(
                    "aud is {}; OID4VCI requires a single string",
                    json_type(other)
                ),
                expected(),
                show(other),
                help(),
            )))
        }
    };
    if found == ctx.audience {
        return Ok(());
    }
    let hint = if found.trim_end_matches('/') == ctx.audience.trim_end_matches('/') {
        " (they differ only in a trailing slash; the identifier is compared as an exact string, OID4VCI 1.0 Section 12.2.1)"
    } else {
        ""
    };
    Err(ProofError::InvalidAudience(detail(
        F1,
        format!("aud is not this Credential Issuer's identifier{hint}"),
        expected(),
        show(&Value::String(found.clone())),
        help(),
    )))
}

pub(crate) use crate::jwt_time::numeric_date;

/// `exp` / `nbf` (RFC 7519 §4.1.4, §4.1.5), the policy's clock skew as `nbf` leeway; returns `exp`.
pub(crate) fn check_exp_nbf(
    claims: &Map<String, Value>,
    policy: &ProofPolicy,
    now: u64,
    what: &str,
    spec_ref: &str,
) -> Result<Option<u64>, ProofError> {
    use crate::jwt_time::{check_validity, TimeClaimError};
    let leeway = policy.max_future_skew;
    check_validity(claims, now, leeway).map_err(|e| {
        let reason = format!("{what}: {e}");
        match e {
            TimeClaimError::NotNumeric { claim, .. } => ProofError::MalformedJwt(detail(
                "RFC 7519 Section 2 and 4.1",
                reason,
                format!("{claim} absent or a NumericDate"),
                claims.get(claim).map(show).unwrap_or_default(),
                format!("set {claim} to seconds since 1970 as a JSON number, e.g. \"{claim}\":{now}"),
            )),
            TimeClaimError::Expired { exp, .. } => ProofError::ProofExpired(detail(
                &format!("RFC 7519 Section 4.1.4; {spec_ref}"),
                reason,
                format!("exp > {now}"),
                exp.to_string(),
                "create a fresh JWT right before the request, with exp in the future (or no exp)",
            )),
            TimeClaimError::NotYetValid { nbf, .. } => ProofError::NotYetValid(detail(
                &format!("RFC 7519 Section 4.1.5; {spec_ref}"),
                reason,
                format!("nbf <= {}", now.saturating_add(leeway)),
                nbf.to_string(),
                "set nbf to the current time or omit it; check the device clock (seconds, not milliseconds)",
            )),
        }
    })
}

/// `iat`: present, numeric, within `[now - max_age, now + skew]`.
pub(crate) fn check_iat(
    claims: &Map<String, Value>,
    policy: &ProofPolicy,
    now: u64,
) -> Result<u64, ProofError> {
    let example = || format!("\"iat\":{now}");
    let iat = match claims.get("iat") {
        Some(v) => numeric_date(v).ok_or_else(|| {
            ProofError::MissingIat(detail(
                F1,
                format!(
                    "iat is {}, not a NumericDate (seconds since 1970 as a JSON number)",
                    json_type(v)
                ),
                "a JSON number",
                show(v),
                format!(
                    "set iat to the current time in seconds as a number, not a string: {}",
                    example()
                ),
            ))
        })?,
        None => {
            return Err(ProofError::MissingIat(detail(
                F1,
                "the proof has no iat claim",
                "iat present (a JSON number)",
                "iat absent",
                format!("add the issuance time in seconds since 1970: {}", example()),
            )))
        }
    };
    let window = || {
        format!(
            "between {} and {} (now {now}, max age {}s, max skew {}s)",
            now.saturating_sub(policy.max_iat_age),
            now.saturating_add(policy.max_future_skew),
            policy.max_iat_age,
            policy.max_future_skew
        )
    };
    if iat > now.saturating_add(policy.max_future_skew) {
        return Err(ProofError::IatInFuture(detail(
            "OID4VCI 1.0 Appendix F.4 and Section 13.8",
            format!("iat {iat} is {}s in the future", iat - now),
            window(),
            iat.to_string(),
            "create the proof with the wallet's current time; check the device clock (and use seconds, not milliseconds)",
        )));
    }
    if iat < now.saturating_sub(policy.max_iat_age) {
        return Err(ProofError::ProofExpired(detail(
            "OID4VCI 1.0 Appendix F.4 and Section 13.8",
            format!("iat {iat} is {}s old; this issuer accepts proofs up to {}s old", now - iat, policy.max_iat_age),
            window(),
            iat.to_string(),
            "create a fresh proof right before the Credential Request (and fetch a fresh c_nonce from the Nonce Endpoint)",
        )));
    }
    Ok(iat)
}

/// `iss` (Appendix F.1): absent for anonymous pre-authorized access, else the client_id.
pub(crate) fn check_iss(
    claims: &Map<String, Value>,
    client: ClientIdentity<'_>,
) -> Result<Option<String>, ProofError> {
    let iss = match claims.get("iss") {
        None => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(ProofError::InvalidIss(detail(
                F1,
                format!("iss is {}, not a string", json_type(other)),
                "iss absent or the client_id string",
                show(other),
                "omit iss, or set it to your client_id as a string",
            )))
        }
    };
    match client {
        ClientIdentity::Unknown => Ok(Some(iss)),
        ClientIdentity::Anonymous => Err(ProofError::InvalidIss(detail(
            F1,
            "iss is present, but the access token was obtained through anonymous access to the token endpoint (Pre-Authorized Code Flow), where iss MUST be omitted",
            "iss absent",
            show(&Value::String(iss)),
            "remove the iss claim from the proof when the token request carried no client_id",
        ))),
        ClientIdentity::Known(id) if id == iss => Ok(Some(iss)),
        ClientIdentity::Known(id) => Err(ProofError::InvalidIss(detail(
            F1,
            "iss is not the client_id of the client the access token was issued to",
            format!("\"{id}\" (or iss absent)"),
            show(&Value::String(iss)),
            format!("set iss to your client_id (\"iss\":\"{id}\") or omit it"),
        ))),
    }
}

/// Reads `nonce` per the context: `Ok(None)` when absent and not required. A non-string nonce
/// is always refused (Appendix F.1: "The value type of this claim MUST be a string").
pub(crate) fn extract_nonce(
    claims: &Map<String, Value>,
    ctx: &ProofContext<'_>,
    what: &str,
    spec_ref: &str,
) -> Result<Option<String>, ProofError> {
    use crate::policy::NonceCheck;
    let required = matches!(ctx.nonce, NonceCheck::Equals(_) | NonceCheck::Verify(_));
    match claims.get("nonce") {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ProofError::MissingNonce(detail(
            spec_ref,
            format!("{what} nonce is {}; it must be the c_nonce string", json_type(other)),
            "the c_nonce from the Nonce Endpoint, as a string",
            show(other),
            "copy the c_nonce value from the Nonce Endpoint response as a JSON string: \"nonce\":\"<c_nonce>\"",
        ))),
        None if required => Err(ProofError::MissingNonce(detail(
            "OID4VCI 1.0 Section 8.3.1.2 and Appendix F.1",
            format!("{what} has no nonce claim, but this Credential Issuer has a Nonce Endpoint"),
            "the c_nonce from the Nonce Endpoint",
            "nonce absent",
            "POST to the nonce_endpoint from the issuer metadata, then put the returned c_nonce in the proof: \"nonce\":\"<c_nonce>\"",
        ))),
        None => Ok(None),
    }
}
