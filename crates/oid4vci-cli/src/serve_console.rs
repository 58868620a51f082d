//! The console of `oid4vci serve` (`/console`, signed in with the admin token) and wallet
//! debugging mode (`--wallet-debug`): the wallet router records its refused requests for the
//! console's "Refused requests" page.

use axum::Router;
use oid4vci_axum::{console, ConsoleConfig, ConsoleFeed, WalletDebugLog};
use oid4vci_issuer::{CredentialMinter, Issuer, SessionStore};
use serde_json::Value;
use std::sync::Arc;

/// `/console`: cookies `Secure` when `tls` (served over TLS here, or behind a proxy at an
/// `https://` issuer URL), live updates from `feed` (an event observer of the
/// issuer), the refused requests of `wallet_debug` when the mode is on.
pub fn router<S: SessionStore, M: CredentialMinter>(
    issuer: Arc<Issuer<S, M>>,
    admin_token: &str,
    tls: bool,
    feed: Arc<ConsoleFeed>,
    wallet_debug: Option<Arc<WalletDebugLog>>,
) -> Router {
    let mut config = ConsoleConfig::new(admin_token, feed)
        .secure_cookies(tls)
        .with_proof_checker(crate::serve_tools::PATH);
    if let Some(log) = wallet_debug {
        config = config.with_wallet_debug(log);
    }
    oid4vci_axum::console_router(issuer, config)
}

/// The wallet endpoints, recording every refused request in `wallet_debug` when the mode is on.
pub fn wallet_router<S: SessionStore, M: CredentialMinter>(
    issuer: Arc<Issuer<S, M>>,
    jwks: Value,
    wallet_debug: Option<Arc<WalletDebugLog>>,
) -> Router {
    let wallet = oid4vci_axum::router(issuer, Some(jwks));
    match wallet_debug {
        Some(log) => wallet.layer(axum::middleware::from_fn_with_state(
            log,
            console::record_refused_requests,
        )),
        None => wallet,
    }
}
