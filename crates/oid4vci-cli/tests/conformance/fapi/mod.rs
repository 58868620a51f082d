//! The FAPI 2.0 Security Profile modules the HAIP plan runs (`vciFapi2SPFinalTestModules`:
//! the FAPI2 SP Final plan without the signed-request, OpenID Connect, `private_key_jwt` and
//! ecosystem-specific modules), one function each, asserting what the module asserts. The
//! credential endpoint is the protected resource.

mod authorization;
mod dpop;
mod tokens;

pub use authorization::*;
pub use dpop::*;
pub use tokens::*;

use super::flows::{expect_error, grant, request, Granted};
use super::https::Response;
use super::wallet::{expect_eq, now, Wallet, CHALLENGE, REDIRECT, VERIFIER};
use super::{Env, Variant};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};

pub(super) type Outcome = Result<(), String>;

/// PAR (with `params` over the defaults) and the login page: the authorization code.
pub(super) fn code(env: &Env, wallet: &Wallet, params: &[(&str, &str)]) -> Result<String, String> {
    let uri = request_uri(env, wallet, params)?;
    wallet.authorize(&uri)
}

pub(super) fn request_uri(
    env: &Env,
    wallet: &Wallet,
    params: &[(&str, &str)],
) -> Result<String, String> {
    let mut all = vec![("scope", env.config_id(crate::Format::SdJwtVc))];
    all.extend_from_slice(params);
    let pushed = wallet.par(&all, Some(&wallet.attestation()));
    if pushed.status != 201 {
        return Err(format!("PAR: {} {}", pushed.status, pushed.text()));
    }
    pushed.json()["request_uri"]
        .as_str()
        .map(str::to_owned)
        .ok_or("no request_uri".into())
}

pub(super) fn token_granted(token: &Response) -> Result<Granted, String> {
    if token.status != 200 {
        return Err(format!("token: {} {}", token.status, token.text()));
    }
    Ok(Granted {
        token: token.json()["access_token"]
            .as_str()
            .ok_or("no access_token")?
            .to_owned(),
        response: token.json(),
    })
}

/// One credential request under `granted`; its status.
pub(super) fn credential_status(env: &Env, wallet: &Wallet, granted: &Granted, v: Variant) -> u16 {
    request(env, wallet, granted, v, None, |_| {}).map_or(0, |r| r.status)
}

pub(super) fn expect_oauth_error(answer: &Response, statuses: &[u16], errors: &[&str]) -> Outcome {
    expect_error(answer.status, &answer.json(), statuses, errors)
}
