//! Every route `oid4vci serve` answers, and the layers around them: the wallet endpoints, the
//! console, `/admin` and `/metrics` behind the admin token, the probes, the demo IACA's CRL, the
//! proof checker and the OpenAPI description.

use crate::serve_args::ServeArgs;
use crate::serve_issuer::ServedIssuer;
use crate::serve_limits::ConnectionLimits;
use axum::http::header;
use axum::Router;
use oid4vci_axum::Readiness;
use std::path::Path;
use std::sync::Arc;

/// The application and the readiness it reports (shutdown turns it off first).
pub struct Routes {
    /// Every route, with the time limit, request metrics and request log around them.
    pub app: Router,
    /// What `/readyz` reports: the store and the signing keys.
    pub readiness: Arc<Readiness>,
}

/// The routes of `served` at `issuer_url`; `/metrics` on its own listener when `--metrics-listen`
/// names one.
pub async fn routes(
    args: &ServeArgs,
    served: &ServedIssuer,
    admin_token: &Arc<String>,
    issuer_url: &str,
    keys_file: &Path,
    limits: ConnectionLimits,
) -> Result<Routes, String> {
    let issuer = &served.issuer;
    let admin = crate::serve_admin::behind_admin_token(
        oid4vci_axum::admin_router(issuer.clone()),
        admin_token,
    );
    let readiness = Arc::new(Readiness::new().with_store(issuer.clone()).with_check(
        "keys",
        Arc::new({
            let keys = served.keys.clone();
            move || {
                let keys = keys.clone();
                Box::pin(async move { keys.ready().await.map_err(|e| e.to_string()) })
            }
        }),
    ));
    let wallet_debug = args
        .wallet_debug
        .then(|| Arc::new(oid4vci_axum::WalletDebugLog::new()));
    let console = crate::serve_console::router(
        issuer.clone(),
        admin_token,
        args.tls_self_signed || issuer_url.starts_with("https://"),
        served.console_feed.clone(),
        wallet_debug.clone(),
    );
    let mut app =
        crate::serve_console::wallet_router(issuer.clone(), served.jwks.clone(), wallet_debug)
            .merge(console)
            .merge(admin)
            .merge(oid4vci_axum::probes_router(readiness.clone()))
            .merge(crl_route(&crate::serve_certs::crl_path(keys_file)))
            .merge(crate::serve_tools::router())
            .merge(oid4vci_axum::openapi_router(Some(issuer_url)));
    if let Some(name) = &args.client_address_header {
        let name = axum::http::HeaderName::try_from(name.as_str())
            .map_err(|e| format!("--client-address-header {name:?}: {e}"))?;
        app = app.layer(axum::middleware::from_fn_with_state(
            name,
            oid4vci_axum::client_address_from_header,
        ));
    }
    let metrics = &served.metrics;
    match args.ops.metrics_listen {
        Some(addr) => {
            let bound =
                crate::serve_ops::spawn_metrics_listener(addr, metrics.clone(), readiness.clone())
                    .await?;
            println!("metrics:           http://{bound}/metrics");
        }
        None => {
            let metrics_route = oid4vci_axum::metrics_router(metrics.clone());
            app = app.merge(crate::serve_admin::behind_admin_token(
                metrics_route,
                admin_token,
            ));
        }
    }
    let app = app
        .layer(axum::middleware::from_fn(move |req, next| {
            limits.time_limit(req, next)
        }))
        .layer(axum::middleware::from_fn_with_state(
            metrics.clone(),
            oid4vci_axum::record_requests,
        ))
        .layer(axum::middleware::from_fn(crate::serve_ops::log_requests));
    Ok(Routes { app, readiness })
}

/// `GET /iaca.crl`: the demo IACA's CRL (`application/pkix-crl`), when the demo chain was made
/// here (an operator's own chain names its own CRL).
fn crl_route(path: &Path) -> Router {
    let Ok(crl) = std::fs::read(path) else {
        return Router::new();
    };
    let crl = axum::body::Bytes::from(crl);
    Router::new().route(
        crate::serve_certs::CRL_PATH,
        axum::routing::get(move || {
            let crl = crl.clone();
            async move { ([(header::CONTENT_TYPE, "application/pkix-crl")], crl) }
        }),
    )
}
