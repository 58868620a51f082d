//! The steps every module shares: from a variant to an access token, and from a token to a
//! credential response, as the OIDF wallet takes them.

use super::verify::{self, Facts};
use super::wallet::{expect_eq, ResponseKey, Wallet};
use super::{Encryption, Env, Flow, Format, Variant};
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};

/// An access token and what its response said.
pub struct Granted {
    pub token: String,
    pub response: Value,
}

impl Granted {
    /// The credential identifier granted for the configuration, if the response has one.
    pub fn identifier(&self) -> Option<String> {
        self.response["authorization_details"][0]["credential_identifiers"][0]
            .as_str()
            .map(str::to_owned)
    }
}

/// PAR (with `extra` parameters), login, token; or the pre-authorized code.
pub fn grant(env: &Env, wallet: &Wallet, v: Variant) -> Result<Granted, String> {
    let config = env.config_id(v.format);
    let response = match v.flow {
        Flow::PreAuthorized => {
            let offer = env.admin_offer(&json!({"credential_configuration_ids": [config],
                "claims": env.claims(v.format)}))?;
            let code = offer["credential_offer"]["grants"]
                ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
                .as_str()
                .ok_or("no pre-authorized code")?
                .to_owned();
            wallet.token(
                &[
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                    ),
                    ("pre-authorized_code", &code),
                ],
                Some(&wallet.attestation()),
            )
        }
        Flow::WalletInitiated | Flow::IssuerInitiated => {
            let pushed = push(env, wallet, v)?;
            let code = wallet.authorize(&pushed)?;
            wallet.redeem_code(&code)
        }
    };
    if response.status != 200 {
        return Err(format!(
            "token endpoint: {} {}",
            response.status,
            response.text()
        ));
    }
    let body = response.json();
    expect_eq(
        body["token_type"].as_str(),
        Some("DPoP"),
        "token_type (HAIP: DPoP)",
    )?;
    Ok(Granted {
        token: body["access_token"]
            .as_str()
            .ok_or("no access_token")?
            .to_owned(),
        response: body,
    })
}

/// The pushed authorization request of a variant; its `request_uri`.
pub fn push(env: &Env, wallet: &Wallet, v: Variant) -> Result<String, String> {
    let config = env.config_id(v.format);
    let details =
        json!([{"type": "openid_credential", "credential_configuration_id": config}]).to_string();
    let state;
    let mut params: Vec<(&str, &str)> = Vec::new();
    match v.flow {
        Flow::IssuerInitiated => {
            let offer = env.admin_offer(&json!({"credential_configuration_ids": [config],
                "pre_authorized": false, "authorization_code": {}, "claims": env.claims(v.format)}))?;
            state = offer["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
                .as_str()
                .ok_or("no issuer_state in the offer")?
                .to_owned();
            params.push(("issuer_state", &state));
            params.push(("scope", config));
        }
        _ => params.push(("authorization_details", &details)),
    }
    let pushed = wallet.par(&params, Some(&wallet.attestation()));
    if pushed.status != 201 {
        return Err(format!("PAR: {} {}", pushed.status, pushed.text()));
    }
    pushed.json()["request_uri"]
        .as_str()
        .map(str::to_owned)
        .ok_or("no request_uri".into())
}

/// A credential request of the variant: its body (before `edit`) and what came back, decrypted
/// when encrypted.
pub struct Requested {
    pub status: u16,
    pub body: Value,
    /// The response's JWE protected header, when encrypted.
    pub jwe_header: Option<Value>,
}

/// Requests the variant's credential with one proof by `key` (or `proofs` when given).
pub fn request(
    env: &Env,
    wallet: &Wallet,
    granted: &Granted,
    v: Variant,
    proofs: Option<Value>,
    edit: impl FnOnce(&mut Value),
) -> Result<Requested, String> {
    let key = TestWallet::new();
    let proofs = match proofs {
        Some(p) => p,
        None => json!({"jwt": [wallet.proof(&key, &wallet.c_nonce())]}),
    };
    let mut body = match granted.identifier() {
        Some(id) => json!({"credential_identifier": id, "proofs": proofs}),
        None => json!({"credential_configuration_id": env.config_id(v.format), "proofs": proofs}),
    };
    let response_key = ResponseKey::new();
    let encrypt_to = match v.encryption {
        Encryption::Plain => None,
        Encryption::Encrypted => {
            body["credential_response_encryption"] =
                json!({"jwk": response_key.public, "enc": "A128GCM"});
            Some(env.request_encryption_key()?)
        }
    };
    edit(&mut body);
    let answer = wallet.credential(&granted.token, &body, encrypt_to.as_ref());
    let encrypted = answer
        .header("Content-Type")
        .is_some_and(|c| c.starts_with("application/jwt"));
    if encrypted {
        let (json, header) = response_key.open(&answer.body)?;
        return Ok(Requested {
            status: answer.status,
            body: json,
            jwe_header: Some(header),
        });
    }
    if v.encryption == Encryption::Encrypted && answer.status == 200 {
        return Err("an encrypted request's response came back unencrypted".into());
    }
    Ok(Requested {
        status: answer.status,
        body: answer.json(),
        jwe_header: None,
    })
}

/// Checks every credential of a 200 response against `holders` (in order); their facts.
pub fn check_issued(
    env: &Env,
    v: Variant,
    response: &Value,
    holders: &[Value],
) -> Result<Vec<Facts>, String> {
    let credentials = response["credentials"]
        .as_array()
        .ok_or(format!("no credentials: {response}"))?;
    if credentials.is_empty() || credentials.len() > holders.len() {
        return Err(format!(
            "{} credentials for {} proofs",
            credentials.len(),
            holders.len()
        ));
    }
    let mut all = Vec::new();
    for c in credentials {
        let text = c["credential"]
            .as_str()
            .ok_or("credential is not a string")?;
        // Bound to one of the proof keys (the issuer may order them as it likes).
        let mut found = Err("bound to none of the proof keys".to_owned());
        for holder in holders {
            let facts = match v.format {
                Format::SdJwtVc => verify::sd_jwt(text, &env.issuer, holder),
                Format::Mdoc => verify::mdoc(text, env.config_id(v.format), holder),
            };
            match facts {
                Ok(f) => {
                    found = Ok(f);
                    break;
                }
                Err(e) if e.contains("proof's key") => {}
                Err(e) => {
                    found = Err(e);
                    break;
                }
            }
        }
        all.push(found?);
    }
    Ok(all)
}

/// The happy path: a token, one credential, checked; the grant, the response and its facts.
pub fn obtain(env: &Env, wallet: &Wallet, v: Variant) -> Result<(Granted, Value), String> {
    let granted = grant(env, wallet, v)?;
    let key = TestWallet::new();
    let nonce = wallet.c_nonce();
    let proofs = json!({"jwt": [wallet.proof(&key, &nonce)]});
    let answer = request(env, wallet, &granted, v, Some(proofs), |_| {})?;
    if answer.status != 200 {
        return Err(format!(
            "credential endpoint: {} {}",
            answer.status, answer.body
        ));
    }
    check_issued(env, v, &answer.body, &[key.public_jwk()])?;
    Ok((granted, answer.body))
}

/// Expects an OAuth error response with `status` and one of `errors`.
pub fn expect_error(
    status: u16,
    body: &Value,
    statuses: &[u16],
    errors: &[&str],
) -> Result<(), String> {
    let error = body["error"].as_str().unwrap_or_default();
    if statuses.contains(&status) && errors.contains(&error) {
        Ok(())
    } else {
        Err(format!(
            "expected {statuses:?} with one of {errors:?}, got {status} {body}"
        ))
    }
}
