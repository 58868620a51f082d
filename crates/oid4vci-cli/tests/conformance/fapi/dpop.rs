//! DPoP: clock skew, `nbf`/`exp`, binding at PAR and by `dpop_jkt`, the scheme's case, and the
//! negative tests at the protected resource.

use super::*;

fn dpop_skew(env: &Env, v: Variant, seconds: i64) -> Outcome {
    let wallet = env.wallet(&format!("https://wallet.example.com/skew{seconds}"));
    wallet.dpop_iat_offset.set(seconds);
    let granted = grant(env, &wallet, v)?;
    expect_eq(
        credential_status(env, &wallet, &granted, v),
        200,
        "credential",
    )
}

/// `fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-before-succeeds`.
pub fn dpop_iat_10_seconds_before(env: &Env, v: Variant) -> Outcome {
    dpop_skew(env, v, -10)
}

/// `fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-after-succeeds`.
pub fn dpop_iat_10_seconds_after(env: &Env, v: Variant) -> Outcome {
    dpop_skew(env, v, 10)
}

/// `fapi2-security-profile-final-check-dpop-proof-nbf-exp`: a DPoP proof with `nbf` and `exp`
/// claims is accepted at the token endpoint.
pub fn dpop_proof_nbf_exp(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/nbf-exp");
    let code = code(env, &wallet, &[])?;
    let attestation = wallet.attestation();
    let body = crate::wallet::form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", REDIRECT),
        ("client_id", &wallet.client_id),
    ]);
    let (header, mut claims) = wallet.dpop_parts("/token", None);
    claims["nbf"] = json!(now() - 5);
    claims["exp"] = json!(now() + 60);
    let proof = wallet.dpop.sign(&header, &claims);
    let answer = wallet.post_form_raw("/token", &body, &attestation, Some(&proof));
    token_granted(&answer).map(|_| ())
}

fn thumbprint(key: &TestWallet) -> String {
    oid4vci_proof::PublicKey::from_jwk_value(&key.public_jwk())
        .map(|k| k.thumbprint())
        .unwrap_or_default()
}

/// `fapi2-security-profile-final-ensure-mismatched-dpop-jkt-fails`: `dpop_jkt` of another key
/// than the PAR's DPoP proof.
pub fn mismatched_dpop_jkt_fails(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/mismatched-jkt");
    let other = thumbprint(&TestWallet::new());
    let scope = env.config_id(crate::Format::SdJwtVc);
    let answer = wallet.par(
        &[("scope", scope), ("dpop_jkt", &other)],
        Some(&wallet.attestation()),
    );
    expect_oauth_error(&answer, &[400], &["invalid_request", "invalid_dpop_proof"])
}

/// `fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-proof-jkt`:
/// the code is bound to the PAR's DPoP key; the token request is signed by another.
pub fn token_fails_with_mismatched_dpop_proof_jkt(env: &Env, _: Variant) -> Outcome {
    let mut wallet = env.wallet("https://wallet.example.com/token-other-key");
    let code = code(env, &wallet, &[])?;
    wallet.dpop = TestWallet::new();
    let answer = wallet.redeem_code(&code);
    expect_oauth_error(
        &answer,
        &[400, 401],
        &["invalid_grant", "invalid_dpop_proof"],
    )
}

/// `fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-jkt`: the
/// PAR's `dpop_jkt` names a key the token request does not use.
pub fn token_fails_with_mismatched_dpop_jkt(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/token-other-jkt");
    let bound = TestWallet::new();
    let scope = env.config_id(crate::Format::SdJwtVc);
    // The PAR carries no DPoP proof here, only the binding.
    let pushed = {
        let body = crate::wallet::form(&[
            ("response_type", "code"),
            ("client_id", &wallet.client_id),
            ("redirect_uri", REDIRECT),
            ("state", "conformance-state"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("scope", scope),
            ("dpop_jkt", &thumbprint(&bound)),
        ]);
        wallet.post_form_raw("/par", &body, &wallet.attestation(), None)
    };
    expect_eq(
        pushed.status,
        201,
        &format!("PAR with dpop_jkt ({})", pushed.text()),
    )?;
    let uri = pushed.json()["request_uri"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let code = wallet.authorize(&uri)?;
    let answer = wallet.redeem_code(&code);
    expect_oauth_error(
        &answer,
        &[400, 401],
        &["invalid_grant", "invalid_dpop_proof"],
    )
}

/// `fapi2-security-profile-final-ensure-dpopproof-at-par-endpoint-binding-success`.
pub fn dpop_proof_at_par_binding_success(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/par-binding");
    let code = code(env, &wallet, &[])?;
    token_granted(&wallet.redeem_code(&code)).map(|_| ())
}

/// `fapi2-security-profile-final-ensure-dpop-auth-code-binding-success`.
pub fn dpop_auth_code_binding_success(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/jkt-binding");
    let jkt = thumbprint(&wallet.dpop);
    let code = code(env, &wallet, &[("dpop_jkt", &jkt)])?;
    token_granted(&wallet.redeem_code(&code)).map(|_| ())
}

/// `fapi2-security-profile-final-access-token-type-header-case-sensitivity`: `dPoP` works as
/// the scheme (RFC 9110 §11.1).
pub fn access_token_type_case_sensitivity(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/scheme-case");
    let granted = grant(env, &wallet, v)?;
    let key = TestWallet::new();
    let body = json!({"credential_configuration_id": env.config_id(v.format),
        "proofs": {"jwt": [wallet.proof(&key, &wallet.c_nonce())]}});
    let (header, claims) = wallet.dpop_parts("/credential", Some(&granted.token));
    let proof = wallet.dpop.sign(&header, &claims);
    let auth = format!("dPoP {}", granted.token);
    let answer = env.https.request(
        "POST",
        "/credential",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("DPoP", &proof),
        ],
        body.to_string().as_bytes(),
    );
    expect_eq(
        answer.status,
        200,
        &format!("scheme dPoP ({})", answer.text()),
    )
}

/// One credential request with a DPoP proof altered by `edit` (header, claims), or a raw
/// header value from `raw`; its status.
fn resource_with(
    env: &Env,
    wallet: &Wallet,
    granted: &Granted,
    v: Variant,
    scheme: &str,
    proof: DpopHeader,
) -> u16 {
    let key = TestWallet::new();
    let body = json!({"credential_configuration_id": env.config_id(v.format),
        "proofs": {"jwt": [wallet.proof(&key, &wallet.c_nonce())]}});
    let (header, claims) = wallet.dpop_parts("/credential", Some(&granted.token));
    let auth = format!("{scheme} {}", granted.token);
    let mut headers: Vec<(String, String)> = vec![
        ("Authorization".into(), auth),
        ("Content-Type".into(), "application/json".into()),
    ];
    match proof {
        DpopHeader::None => {}
        DpopHeader::Edited(edit) => {
            let (mut h, mut c) = (header, claims);
            edit(&mut h, &mut c);
            headers.push(("DPoP".into(), wallet.dpop.sign(&h, &c)));
        }
        DpopHeader::Raw(f) => {
            for (name, value) in f(wallet, &header, &claims) {
                headers.push((name, value));
            }
        }
    }
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.https
        .request("POST", "/credential", &refs, body.to_string().as_bytes())
        .status
}

type Edit = Box<dyn Fn(&mut Value, &mut Value)>;
type Raw = Box<dyn Fn(&Wallet, &Value, &Value) -> Vec<(String, String)>>;

enum DpopHeader {
    None,
    Edited(Edit),
    Raw(Raw),
}

fn edited(f: impl Fn(&mut Value, &mut Value) + 'static) -> DpopHeader {
    DpopHeader::Edited(Box::new(f))
}

fn remove(name: &'static str, in_header: bool) -> DpopHeader {
    edited(move |h, c| {
        let target = if in_header { h } else { c };
        target.as_object_mut().map(|m| m.remove(name));
    })
}

fn signed_with(
    edit: impl Fn(&mut Value, &mut Value) + 'static,
    sign: fn(&Wallet, &Value, &Value) -> String,
) -> DpopHeader {
    DpopHeader::Raw(Box::new(move |w, h, c| {
        let (mut h, mut c) = (h.clone(), c.clone());
        edit(&mut h, &mut c);
        vec![("DPoP".into(), sign(w, &h, &c))]
    }))
}

/// An unsigned JWS (`alg` `none`).
fn unsigned(_: &Wallet, h: &Value, c: &Value) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", enc(h), enc(c))
}

/// A JWS with a damaged signature.
fn bad_signature(w: &Wallet, h: &Value, c: &Value) -> String {
    let jws = w.dpop.sign(h, c);
    let (input, sig) = jws.rsplit_once('.').unwrap_or((&jws, ""));
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap_or_default();
    if let Some(b) = bytes.get_mut(3) {
        *b ^= 1;
    }
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `fapi2-security-profile-final-dpop-negative-tests` at the credential endpoint.
pub fn dpop_negative_tests(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/dpop-negative");
    let granted = grant(env, &wallet, v)?;
    let issuer = env.issuer.clone();
    let upper = issuer.replacen("https://", "HTTPS://", 1);
    let fixed_jti = URL_SAFE_NO_PAD.encode([5u8; 12]);
    let jti_a = fixed_jti.clone();
    let jti_b = fixed_jti;
    // (what, the proof, the scheme, accepted?)
    let cases: Vec<(&str, DpopHeader, &str, bool)> = vec![
        ("a correct proof", edited(|_, _| {}), "DPoP", true),
        (
            "DPOP header name in capitals",
            DpopHeader::Raw(Box::new(|w, h, c| vec![("DPOP".into(), w.dpop.sign(h, c))])),
            "DPoP",
            true,
        ),
        (
            "two DPoP headers",
            DpopHeader::Raw(Box::new(|w, h, c| {
                let p = w.dpop.sign(h, c);
                vec![("DPoP".into(), p.clone()), ("DPoP".into(), p)]
            })),
            "DPoP",
            false,
        ),
        (
            "not a JWT",
            DpopHeader::Raw(Box::new(|_, _, _| {
                vec![("DPoP".into(), "not.a.jwt".into())]
            })),
            "DPoP",
            false,
        ),
        ("no typ", remove("typ", true), "DPoP", false),
        (
            "no alg",
            signed_with(
                |h, _| {
                    h.as_object_mut().map(|m| m.remove("alg"));
                },
                |w, h, c| w.dpop.sign(h, c),
            ),
            "DPoP",
            false,
        ),
        ("no jwk", remove("jwk", true), "DPoP", false),
        ("no jti", remove("jti", false), "DPoP", false),
        ("no htm", remove("htm", false), "DPoP", false),
        ("no htu", remove("htu", false), "DPoP", false),
        ("no iat", remove("iat", false), "DPoP", false),
        ("no ath", remove("ath", false), "DPoP", false),
        (
            "typ jwt",
            edited(|h, _| h["typ"] = json!("jwt")),
            "DPoP",
            false,
        ),
        (
            "alg RS256",
            edited(|h, _| h["alg"] = json!("RS256")),
            "DPoP",
            false,
        ),
        (
            "alg none",
            signed_with(|h, _| h["alg"] = json!("none"), unsigned),
            "DPoP",
            false,
        ),
        (
            "a damaged signature",
            signed_with(|_, _| {}, bad_signature),
            "DPoP",
            false,
        ),
        (
            "a private jwk",
            edited(|h, _| h["jwk"]["d"] = json!(URL_SAFE_NO_PAD.encode([1u8; 32]))),
            "DPoP",
            false,
        ),
        (
            "htm PUT",
            edited(|_, c| c["htm"] = json!("PUT")),
            "DPoP",
            false,
        ),
        (
            "htu with query and fragment",
            edited(|_, c| {
                let u = format!("{}?a=b#c", c["htu"].as_str().unwrap_or_default());
                c["htu"] = json!(u);
            }),
            "DPoP",
            true,
        ),
        (
            "htu of another URL",
            edited(|_, c| {
                let u = c["htu"]
                    .as_str()
                    .unwrap_or_default()
                    .replace("/credential", "/other");
                c["htu"] = json!(u);
            }),
            "DPoP",
            false,
        ),
        (
            "iat an hour ahead",
            edited(|_, c| c["iat"] = json!(now() + 3600)),
            "DPoP",
            false,
        ),
        (
            "iat an hour ago",
            edited(|_, c| c["iat"] = json!(now() - 3600)),
            "DPoP",
            false,
        ),
        (
            "a fixed jti, first use",
            edited(move |_, c| c["jti"] = json!(jti_a)),
            "DPoP",
            true,
        ),
        (
            "the same jti again",
            edited(move |_, c| c["jti"] = json!(jti_b)),
            "DPoP",
            false,
        ),
        (
            "a wrong ath",
            edited(|_, c| c["ath"] = json!(URL_SAFE_NO_PAD.encode([0u8; 32]))),
            "DPoP",
            false,
        ),
        (
            "signed by another key",
            DpopHeader::Raw(Box::new(|_, h, c| {
                let other = TestWallet::new();
                let mut h = h.clone();
                h["jwk"] = other.public_jwk();
                vec![("DPoP".into(), other.sign(&h, c))]
            })),
            "DPoP",
            false,
        ),
        (
            "extra header and claims",
            edited(|h, c| {
                h["x-extra"] = json!(1);
                c["x-extra"] = json!(2);
            }),
            "DPoP",
            true,
        ),
        (
            "htu scheme and host in capitals",
            edited(move |_, c| {
                let u = c["htu"]
                    .as_str()
                    .unwrap_or_default()
                    .replacen(&issuer, &upper, 1);
                c["htu"] = json!(u);
            }),
            "DPoP",
            true,
        ),
        ("no DPoP proof", DpopHeader::None, "DPoP", false),
        (
            "no DPoP proof, scheme Bearer",
            DpopHeader::None,
            "Bearer",
            false,
        ),
        (
            "a correct proof still works",
            edited(|_, _| {}),
            "DPoP",
            true,
        ),
    ];
    for (what, proof, scheme, accepted) in cases {
        let status = resource_with(env, &wallet, &granted, v, scheme, proof);
        let ok = if accepted {
            status == 200
        } else {
            status == 400 || status == 401
        };
        if !ok {
            return Err(format!(
                "{what}: {status} (expected {})",
                if accepted { "200" } else { "400 or 401" }
            ));
        }
    }
    Ok(())
}
