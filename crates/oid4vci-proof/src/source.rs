//! Where the holder key comes from: `jwk`, `kid` (DID URL), `x5c` or `key_attestation`, and
//! the rules on which of them may appear together (OID4VCI 1.0 Appendix F.1).

use serde_json::{Map, Value};

use crate::attestation::{self, KeyAttestation};
use crate::checks::header_names;
use crate::did_key::{self, DidKeyError};
use crate::error::{detail, json_type, show, ProofError};
use crate::key::{Alg, PublicKey};
use crate::policy::{ProofContext, ProofPolicy};
use crate::x5c;

const F1: &str = "OID4VCI 1.0 Appendix F.1";

/// Where the holder key(s) of a validated proof came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySource {
    /// The `jwk` header parameter.
    Jwk,
    /// `kid` = a `did:key` DID URL (decoded locally).
    DidKey,
    /// `kid` = another DID URL (`did:jwk` built in, others through the [`crate::DidResolver`]).
    Did,
    /// The leaf certificate of the `x5c` chain.
    X5c,
    /// The `attested_keys` of a key attestation.
    KeyAttestation,
}

impl KeySource {
    /// `"jwk"`, `"did:key"`, `"did"`, `"x5c"` or `"key_attestation"`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::Jwk => "jwk",
            KeySource::DidKey => "did:key",
            KeySource::Did => "did",
            KeySource::X5c => "x5c",
            KeySource::KeyAttestation => "key_attestation",
        }
    }
}

/// The outcome of key resolution: who may have signed, and which keys to bind.
pub(crate) struct Resolved {
    pub source: KeySource,
    /// Keys the signature may verify under (one, except kid-less key attestations).
    pub candidates: Vec<PublicKey>,
    pub holder_keys: Vec<PublicKey>,
    pub attestation: Option<KeyAttestation>,
}

const EXAMPLE: &str = "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"...\",\"y\":\"...\"}}";

pub(crate) fn resolve(
    header: &Map<String, Value>,
    alg: Alg,
    policy: &ProofPolicy,
    ctx: &ProofContext<'_>,
) -> Result<Resolved, ProofError> {
    let present: Vec<&str> = ["kid", "jwk", "x5c"]
        .into_iter()
        .filter(|k| header.contains_key(*k))
        .collect();
    let ka = header.get("key_attestation");
    if present.len() > 1 {
        return Err(ProofError::ConflictingHolderKeys(detail(
            F1,
            format!(
                "the header has {} together; kid, jwk and x5c are mutually exclusive ({})",
                present.join(" and "),
                header_names(header)
            ),
            "exactly one of kid, jwk, x5c",
            present.join(", "),
            format!("keep only the one that carries the holder key, e.g. {EXAMPLE}"),
        )));
    }
    if present.is_empty() && ka.is_none() {
        return Err(ProofError::MissingHolderKey(detail(
            F1,
            format!("the header has no kid, jwk, x5c or key_attestation, so there is no key to verify the proof with ({})", header_names(header)),
            "one of kid (DID URL), jwk, x5c",
            header_names(header),
            format!("put the public key in the header: {EXAMPLE}"),
        )));
    }
    if ka.is_none() && policy.key_attestations_required.is_some() {
        return Err(ProofError::InvalidKeyAttestation(detail(
            "OID4VCI 1.0 Section 12.2.4 (key_attestations_required) and Appendix F.1",
            format!("this credential requires a key attestation, but the proof header has none ({})", header_names(header)),
            "a key_attestation header parameter (a key-attestation+jwt)",
            "key_attestation absent",
            "add the key attestation from your wallet provider as the key_attestation header parameter, and sign the proof with one of its attested_keys",
        )));
    }
    let direct = match present.first().copied() {
        Some("jwk") => Some((jwk_key(header, alg, policy)?, KeySource::Jwk)),
        Some("x5c") => Some((x5c_key(header, policy, ctx.now)?, KeySource::X5c)),
        Some(_) => kid_key(header, policy, ka.is_some())?,
        None => None,
    };
    let Some(ka) = ka else {
        let (key, source) =
            direct.ok_or_else(|| unresolvable("kid", "the kid could not be resolved"))?;
        check_alg(&key, alg)?;
        return Ok(Resolved {
            source,
            candidates: vec![key.clone()],
            holder_keys: vec![key],
            attestation: None,
        });
    };
    let Value::String(ka) = ka else {
        return Err(ProofError::InvalidKeyAttestation(detail(
            F1,
            format!("key_attestation is {}, not a JWT string", json_type(ka)),
            "a key-attestation+jwt compact JWS string",
            show(ka),
            "put the key attestation JWT (a string) in the key_attestation header parameter",
        )));
    };
    if !policy.accepts_binding("jwk") {
        return Err(binding_error("jwk (key attestation)", policy));
    }
    let att = attestation::validate(ka, policy, ctx, true).map_err(|e| match e {
        ProofError::InvalidNonce(_)
        | ProofError::MissingNonce(_)
        | ProofError::InvalidKeyAttestation(_) => e,
        other => {
            let d = other.detail();
            ProofError::InvalidKeyAttestation(detail(
                &d.spec_ref,
                format!("key_attestation: {}", d.reason),
                d.expected.clone(),
                d.found.clone(),
                d.help.clone(),
            ))
        }
    })?;
    let candidates = match direct {
        Some((key, _)) => {
            if !att.attested_keys.contains(&key) {
                return Err(ProofError::InvalidKeyAttestation(detail(
                    "OID4VCI 1.0 Appendix D.1",
                    format!("the proof's {} key is not one of the key attestation's attested_keys; the proof MUST be signed by an attested key", present.first().copied().unwrap_or("kid")),
                    format!("one of the {} attested key(s)", att.attested_keys.len()),
                    format!("key with thumbprint {}", key.thumbprint()),
                    "sign the proof with a key listed in attested_keys (and put that key in jwk, or omit jwk)",
                )));
            }
            vec![key]
        }
        None => att.attested_keys.clone(),
    };
    let compatible: Vec<PublicKey> = candidates.into_iter().filter(|k| k.alg() == alg).collect();
    if compatible.is_empty() {
        return Err(ProofError::AlgKeyMismatch(detail(
            F1,
            format!(
                "alg is {alg} but no attested key is a {} key",
                if alg == Alg::Es256 {
                    "P-256"
                } else {
                    "Ed25519"
                }
            ),
            format!("a key matching alg {alg}"),
            att.attested_keys
                .iter()
                .map(PublicKey::kind)
                .collect::<Vec<_>>()
                .join(", "),
            "set alg to match the attested key you sign with (ES256 for P-256, EdDSA for Ed25519)",
        )));
    }
    Ok(Resolved {
        source: KeySource::KeyAttestation,
        candidates: compatible,
        holder_keys: att.attested_keys.clone(),
        attestation: Some(att),
    })
}

fn check_alg(key: &PublicKey, alg: Alg) -> Result<(), ProofError> {
    if key.alg() == alg {
        return Ok(());
    }
    Err(ProofError::AlgKeyMismatch(detail(
        "OID4VCI 1.0 Appendix F.4; RFC 7518 Section 3.1",
        format!("alg is {alg} but the holder key is a {} key", key.kind()),
        format!("alg {} for a {} key", key.alg(), key.kind()),
        format!("alg {alg}, {} key", key.kind()),
        format!(
            "set alg to {} (the algorithm of your key), or sign with a {} key",
            key.alg(),
            if alg == Alg::Es256 {
                "P-256"
            } else {
                "Ed25519"
            }
        ),
    )))
}

fn jwk_key(
    header: &Map<String, Value>,
    alg: Alg,
    policy: &ProofPolicy,
) -> Result<PublicKey, ProofError> {
    let v = header.get("jwk").unwrap_or(&Value::Null);
    let help = "send the public key only, e.g. {\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"<32 bytes base64url>\",\"y\":\"<32 bytes base64url>\"} or {\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"<32 bytes base64url>\"}";
    let key = PublicKey::from_jwk_value(v).map_err(|e| {
        let spec = if matches!(e, crate::key::KeyError::PrivateMembers(_)) {
            "OID4VCI 1.0 Appendix F.4"
        } else {
            "OID4VCI 1.0 Appendix F.1; RFC 7517"
        };
        let found = match v.as_object() {
            Some(m) => format!(
                "jwk with members {}",
                m.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
            ),
            None => json_type(v).to_owned(),
        };
        ProofError::InvalidJwk(detail(
            spec,
            format!("the jwk header parameter is not a usable public key: {e}"),
            "a public EC P-256 or OKP Ed25519 JWK",
            found,
            help,
        ))
    })?;
    if let Some(a) = v.get("alg") {
        if a.as_str() != Some(alg.as_str()) {
            return Err(ProofError::AlgKeyMismatch(detail(
                "RFC 7517 Section 4.4",
                format!(
                    "the jwk's own alg member is {} but the header alg is {alg}",
                    show(a)
                ),
                format!("jwk alg absent or \"{alg}\""),
                show(a),
                "remove alg from the jwk or make it equal to the header alg",
            )));
        }
    }
    if !policy.accepts_binding("jwk") {
        return Err(binding_error("jwk", policy));
    }
    Ok(key)
}

fn x5c_key(
    header: &Map<String, Value>,
    policy: &ProofPolicy,
    now: u64,
) -> Result<PublicKey, ProofError> {
    let v = header.get("x5c").unwrap_or(&Value::Null);
    let result = x5c::decode_x5c(v).and_then(|chain| {
        x5c::validate_chain(
            &chain,
            &policy.x5c_trust_anchors,
            policy.allow_self_signed_x5c,
            now,
        )
    });
    match result {
        Ok((key, _)) if policy.accepts_binding("jwk") => Ok(key),
        Ok(_) => Err(binding_error("x5c", policy)),
        Err(x5c::X5cError::Invalid(m)) => Err(ProofError::InvalidX5c(detail(
            "OID4VCI 1.0 Appendix F.1; RFC 7515 Section 4.1.6",
            format!("the x5c chain is invalid: {m}"),
            "a base64 DER certificate chain, leaf first, each certificate valid now and signed by the next",
            format!("x5c with {} element(s)", v.as_array().map_or(0, Vec::len)),
            "send the certificate chain leaf first as standard base64 (not base64url) DER strings; the leaf must hold the proof key",
        ))),
        Err(x5c::X5cError::Untrusted(m)) => Err(ProofError::UntrustedX5c(detail(
            "OID4VCI 1.0 Appendix F.1; RFC 5280 Section 6",
            format!("the x5c chain is not trusted: {m}"),
            "a chain to one of this issuer's configured trust anchors",
            format!("x5c with {} element(s)", v.as_array().map_or(0, Vec::len)),
            "use a certificate issued under a CA this Credential Issuer trusts, or send the key as jwk instead",
        ))),
    }
}

fn unresolvable(found: impl Into<String>, reason: impl Into<String>) -> ProofError {
    ProofError::UnresolvableKid(detail(
        F1,
        reason,
        "a DID URL identifying the key, e.g. did:key:zDn...#zDn... or did:jwk:...#0",
        found,
        format!("use a DID URL this issuer can resolve as kid, or send the public key itself in jwk: {EXAMPLE}"),
    ))
}

/// Resolves `kid`. With a key attestation a non-DID `kid` is only a hint: `Ok(None)`.
fn kid_key(
    header: &Map<String, Value>,
    policy: &ProofPolicy,
    with_attestation: bool,
) -> Result<Option<(PublicKey, KeySource)>, ProofError> {
    let kid = match header.get("kid") {
        Some(Value::String(s)) => s.as_str(),
        Some(v) => {
            return Err(unresolvable(
                show(v),
                format!("kid is {}, not a string", json_type(v)),
            ))
        }
        None => return Ok(None),
    };
    let shown = format!("kid \"{}\"", crate::error::clip(kid, 100));
    let Some(rest) = kid.strip_prefix("did:") else {
        if with_attestation {
            return Ok(None);
        }
        return Err(unresolvable(shown, "kid is not a DID URL, so the issuer cannot find the key it names (only DID URLs are resolvable; an opaque key id needs a jwk)"));
    };
    let method = rest.split([':', '#']).next().unwrap_or("");
    let binding = format!("did:{method}");
    if !policy.accepts_binding(&binding) {
        return Err(binding_error(&binding, policy));
    }
    match did_key::resolve_builtin(kid, policy.require_did_url_fragment) {
        Ok(key) => {
            let src = if method == "key" {
                KeySource::DidKey
            } else {
                KeySource::Did
            };
            return Ok(Some((key, src)));
        }
        Err(DidKeyError::NotBuiltIn) => {}
        Err(DidKeyError::Key(crate::key::KeyError::PrivateMembers(m))) => {
            return Err(ProofError::InvalidJwk(detail(
                "OID4VCI 1.0 Appendix F.4",
                format!("the JWK inside the did:key contains private key member(s) {m}"),
                "a DID encoding a public key only",
                shown,
                "derive the did:key from the public JWK (crv, kty, x, y) only",
            )))
        }
        Err(e) => {
            return Err(unresolvable(
                shown,
                format!("the DID URL in kid could not be decoded: {e}"),
            ))
        }
    }
    let Some(resolver) = &policy.did_resolver else {
        return Err(unresolvable(
            shown,
            format!(
                "DID method did:{} is not supported by this issuer (built in: did:key, did:jwk)",
                crate::error::clip(method, 40)
            ),
        ));
    };
    resolver
        .resolve(kid)
        .map(|k| Some((k, KeySource::Did)))
        .map_err(|e| {
            unresolvable(
                shown,
                format!("the DID URL in kid could not be resolved: {e}"),
            )
        })
}

fn binding_error(method: &str, policy: &ProofPolicy) -> ProofError {
    let accepted = policy.binding_methods.as_deref().unwrap_or(&[]).join(", ");
    ProofError::UnsupportedBindingMethod(detail(
        "OID4VCI 1.0 Section 12.2.4 (cryptographic_binding_methods_supported) and Appendix F.1",
        format!("the holder key is given as {method}, which this credential's cryptographic_binding_methods_supported does not list"),
        format!("one of {accepted}"),
        method.to_owned(),
        format!("bind the credential with a supported method: {accepted}"),
    ))
}
