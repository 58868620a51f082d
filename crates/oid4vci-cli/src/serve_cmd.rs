//! `oid4vci serve`: a complete demo issuer.

use crate::format_minter::FormatMinter;
use crate::serve_config::{example_claims, metadata, ServeConfig};
use crate::serve_limits::ConnectionLimits;
use axum::http::header;
use clap::Args;
use oid4vci_issuer::{Issuer, IssuerConfig, OfferSpec, SessionStore, StatusListConfig};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_store_sqlite::Synchronous;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Options of `oid4vci serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one) [default: 8080].
    #[arg(long)]
    port: Option<u16>,
    /// Address to bind [default: 127.0.0.1].
    #[arg(long)]
    host: Option<String>,
    /// Credential Issuer Identifier (default: the listening URL).
    #[arg(long)]
    issuer_url: Option<String>,
    /// SQLite database of sessions; the issuer keys are kept beside it in `<db>.keys` so
    /// sessions, offers and nonces survive restarts [default: oid4vci-demo.db].
    #[arg(long, conflicts_with = "store")]
    db: Option<PathBuf>,
    /// PostgreSQL store instead of SQLite (`postgres://user@host:port/database`): any number of
    /// instances given the same database and the same `--keys` file behave as one issuer.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// The issuer and server keys file, created on first start when missing, never overwritten
    /// [default: `<db>.keys`, or `oid4vci-demo.keys` with --store].
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// SQLite durability: `full` syncs every commit (default), `normal` syncs at WAL checkpoints
    /// (faster; the last commits may be lost on power loss, not on a process crash).
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    sqlite_sync: String,
    /// PEM file with trust anchor certificate(s) of wallet providers (repeatable): enables
    /// wallet attestation (Appendix E) and offers with `require_wallet_attestation`.
    #[arg(long, value_name = "PEM_FILE")]
    trust_wallet_provider: Vec<PathBuf>,
    /// `haip`: the HAIP 1.0 profile — every access token DPoP-bound, server DPoP nonces (300 s
    /// unless --dpop-nonce-ttl says otherwise), refresh tokens (24 h unless --refresh-token-ttl
    /// says otherwise), and wallet attestation from every client at PAR and the token endpoint
    /// (needs --trust-wallet-provider).
    #[arg(long, value_parser = ["haip"])]
    profile: Option<String>,
    /// Require server-provided DPoP nonces (RFC 9449 §8, §9) at the token, PAR, credential,
    /// deferred and notification endpoints, valid this many seconds (HAIP; e.g. 300).
    #[arg(long, value_name = "SECONDS")]
    dpop_nonce_ttl: Option<u64>,
    /// Require server-provided challenges in wallet attestation PoPs (the PoP's `challenge`
    /// claim, from `POST /challenge` or the `OAuth-Client-Attestation-Challenge` header), each
    /// valid this many seconds.
    #[arg(long, value_name = "SECONDS")]
    attestation_challenge_ttl: Option<u64>,
    /// Issue refresh tokens with the authorization-code grant, the family valid this many
    /// seconds (rotated on every use, DPoP-bound, a replay revokes them; HAIP: 86400 unless set).
    #[arg(long, value_name = "SECONDS")]
    refresh_token_ttl: Option<u64>,
    /// TOML file with issuer URL, port, keys and credential configurations (flags win).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Bearer token protecting /admin (generated when absent).
    #[arg(long)]
    admin_token: Option<String>,
    /// Wallet debugging mode: the console's "Refused requests" page shows every refused wallet
    /// request (what arrived, secrets redacted, and why), even when it cannot be tied to a
    /// session (an unknown token, a malformed body).
    #[arg(long)]
    wallet_debug: bool,
    /// Serve HTTPS with a freshly generated self-signed certificate for 127.0.0.1 and localhost.
    #[arg(long)]
    tls_self_signed: bool,
    /// Where to write that certificate (PEM), so clients can trust it.
    #[arg(long, requires = "tls_self_signed")]
    tls_cert_out: Option<PathBuf>,
    /// Behind a reverse proxy: take the client's address from the last entry of this header
    /// (e.g. `X-Forwarded-For`), for login throttling and the PAR rate limit. Only with a proxy
    /// that sets it; without this flag the connection's peer address counts.
    #[arg(long, value_name = "HEADER")]
    client_address_header: Option<String>,
    #[command(flatten)]
    limits: crate::serve_limits::LimitArgs,
    #[command(flatten)]
    ops: crate::serve_ops::OpsArgs,
}

/// A non-blocking listening socket with `SO_REUSEADDR`, so a server restarted after a crash
/// gets its port back at once (connections of the dead process may linger in `TIME_WAIT`).
fn listen(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(1024)?.into_std()?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// `GET /iaca.crl`: the demo IACA's CRL (`application/pkix-crl`), when the demo chain was made
/// here (an operator's own chain names its own CRL).
fn crl_route(path: &std::path::Path) -> axum::Router {
    let Ok(crl) = std::fs::read(path) else {
        return axum::Router::new();
    };
    let crl = axum::body::Bytes::from(crl);
    axum::Router::new().route(
        crate::serve_certs::CRL_PATH,
        axum::routing::get(move || {
            let crl = crl.clone();
            async move { ([(header::CONTENT_TYPE, "application/pkix-crl")], crl) }
        }),
    )
}

/// Applies `--profile` (`haip`: DPoP-bound tokens with server nonces, wallet attestation from
/// every client, which needs trusted wallet providers).
fn apply_profile(
    config: &mut IssuerConfig,
    profile: Option<&str>,
    trusts_wallet_providers: bool,
) -> Result<(), String> {
    match profile {
        None => Ok(()),
        Some("haip") => {
            if !trusts_wallet_providers {
                return Err("--profile haip requires wallet attestation: name the wallet providers' trust anchors with --trust-wallet-provider".into());
            }
            config.require_dpop = true;
            config.require_wallet_attestation = true;
            config.dpop_nonce_ttl = config.dpop_nonce_ttl.or(Some(300));
            config.refresh_token_ttl = config.refresh_token_ttl.or(Some(24 * 3600));
            // HAIP: wallets are invoked with the `haip://` custom scheme.
            config.offer_scheme = "haip://".into();
            Ok(())
        }
        Some(other) => Err(format!("unknown profile {other:?}; the known one is haip")),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn print_qr(text: &str) {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let rendered = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .build();
            println!("{rendered}");
        }
        Err(e) => println!("(offer too long for a QR code: {e})"),
    }
}

/// Runs the demo issuer until Ctrl-C.
pub fn run(args: ServeArgs) -> ExitCode {
    let traces = match args
        .ops
        .otlp_endpoint
        .as_deref()
        .map(crate::serve_traces::provider)
    {
        None => None,
        Some(Ok(traces)) => Some(traces),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let tracer = traces.as_ref().map(|(_, tracer)| tracer.clone());
    let _flush_on_exit = crate::serve_ops::init_logging(args.ops.log_format, tracer);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let served = runtime.block_on(serve(args));
    if let Some((provider, _)) = &traces {
        crate::serve_traces::shutdown(provider);
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let file = match &args.config {
        Some(path) => ServeConfig::load(path)?,
        None => ServeConfig::default(),
    };
    let host = args
        .host
        .clone()
        .or(file.host.clone())
        .unwrap_or_else(|| "127.0.0.1".into());
    let port = args.port.or(file.port).unwrap_or(8080);
    let limits = ConnectionLimits::resolve(&args.limits, file.limits.as_ref())?;
    let store_choice = crate::serve_store::StoreChoice::resolve(
        args.store.as_deref(),
        args.db.as_deref(),
        file.store.as_deref(),
        file.db.as_deref(),
    )?;
    let keys_file = (args.keys.clone())
        .or(file.keys_file.clone())
        .unwrap_or_else(|| store_choice.default_keys_file());
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|e| format!("invalid --host/--port: {e}"))?;
    let listener = listen(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if args.tls_self_signed {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{bound}");
    let issuer_url = args
        .issuer_url
        .clone()
        .or(file.issuer_url.clone())
        .unwrap_or_else(|| url.clone());
    let (signing_key, server_key) = crate::serve_keys::load_or_create(&keys_file)?;
    // The certificate code works on the P-256 key itself; the minters on the crypto backend's
    // key. Both are the same 32-byte scalar.
    let scalar = signing_key.to_raw().map_err(|e| e.to_string())?;
    let p256_key = p256::ecdsa::SigningKey::from_slice(&scalar)
        .map_err(|e| format!("the issuer key is not a P-256 key: {e}"))?;
    let (p256_key, chain) =
        crate::serve_certs::issuer_key_and_chain(&file, &keys_file, p256_key, &issuer_url)?;
    let signing_key =
        oid4vci_proof::SigningKey::from_raw(oid4vci_proof::Alg::Es256, &p256_key.to_bytes())
            .map_err(|e| e.to_string())?;
    let encryption =
        crate::serve_encryption::load_or_create(&crate::serve_encryption::path_for(&keys_file))?;
    let credentials = file.credentials();
    let ids: Vec<String> = credentials.iter().map(|c| c.id.clone()).collect();
    let formats = (credentials.iter())
        .map(|c| {
            let format = match c.format {
                crate::serve_config::EntryFormat::SdJwtVc => "dc+sd-jwt",
                crate::serve_config::EntryFormat::MsoMdoc => "mso_mdoc",
            };
            (c.id.clone(), format.to_owned())
        })
        .collect();
    let metrics = oid4vci_axum::IssuerMetrics::new(formats);
    let keys = crate::serve_signing::issuer_keys(
        &file.signing_key,
        (signing_key, &chain),
        &ids,
        &|signer, kid| crate::serve_ops::MeteredSigner::wrap(signer, kid, &metrics),
    )?;
    let minter = FormatMinter {
        sd_jwt: SdJwtVcMinter::from_keys(keys.clone()),
        mdoc: oid4vci_mdoc::MdocMinter::from_keys(keys.clone()).map_err(|e| e.to_string())?,
    };
    // The default ring signs the metadata (Section 12.2.3) and the status lists, each JWT with
    // the key current when it is signed.
    let metadata_signer = Arc::new(keys.default_ring().clone());
    let jwks = minter.sd_jwt.jwks(unix_now());
    let sync = if args.sqlite_sync == "normal" {
        Synchronous::Normal
    } else {
        Synchronous::Full
    };
    let store = crate::serve_metered::Metered::new(store_choice.open(sync).await?, metrics.clone());
    crate::serve_ops::count_sessions(store.clone(), &metrics);
    let mut anchors = Vec::new();
    for path in &args.trust_wallet_provider {
        anchors.extend(crate::proof_cmd::pem_certificates(path)?);
    }
    let metadata = metadata(&issuer_url, &credentials)?;
    metadata
        .validate()
        .map_err(|e| format!("invalid issuer configuration: {e}"))?;
    let mut config = IssuerConfig::new(metadata);
    config.dpop_nonce_ttl = args.dpop_nonce_ttl.or(file.dpop_nonce_ttl);
    config.attestation_challenge_ttl = args
        .attestation_challenge_ttl
        .or(file.attestation_challenge_ttl);
    config.refresh_token_ttl = args.refresh_token_ttl.or(file.refresh_token_ttl);
    let profile = args.profile.as_deref().or(file.profile.as_deref());
    apply_profile(&mut config, profile, !anchors.is_empty())?;
    if !anchors.is_empty() {
        config.wallet_attestation =
            Some(oid4vci_issuer::client_attestation::WalletAttestationTrust::with_anchors(anchors));
    }
    let (demo_user, policy) =
        crate::serve_authorization::demo_user_and_policy(&file, &credentials)?;
    let external = crate::serve_authorization::external_verifier(&file, &issuer_url)?;
    let proofs = match &file.proofs {
        Some(entry) => Some(crate::serve_proofs::proof_check(
            entry,
            &mut config.metadata,
        )?),
        None => None,
    };
    let status_lists = StatusListConfig::new(&issuer_url, metadata_signer.clone());
    let console_feed = Arc::new(oid4vci_axum::ConsoleFeed::new());
    let mut built = Issuer::new(config, store, minter)
        .with_status_lists(status_lists)
        .map_err(|e| e.to_string())?
        .with_server_key(server_key)
        .with_encryption(Arc::new(encryption))
        .with_metadata_signer(metadata_signer, 24 * 3600)
        .with_event_observer(Arc::new(crate::serve_ops::Observers(vec![
            Arc::new(crate::serve_ops::LogEvents),
            metrics.clone(),
            console_feed.clone(),
        ])))
        .with_authorization_server(policy, Arc::new(demo_user.user.clone()));
    if let Some(check) = proofs {
        built = built.with_proof_check(check);
    }
    if let Some(verifier) = external {
        built = built.with_external_authorization_server(
            Arc::new(verifier),
            Arc::new(demo_user.user.clone()),
        );
    }
    let issuer = Arc::new(built);
    let admin_token = Arc::new(
        args.admin_token
            .clone()
            .or(file.admin_token.clone())
            .unwrap_or_else(|| oid4vci_issuer::random_token(&oid4vci_issuer::OsSecretSource, 24)),
    );
    let admin =
        oid4vci_axum::admin_router(issuer.clone()).route_layer(axum::middleware::from_fn({
            let token = admin_token.clone();
            move |req, next| crate::serve_admin::require_admin(token.clone(), req, next)
        }));
    let readiness = Arc::new(
        oid4vci_axum::Readiness::new()
            .with_store(issuer.clone())
            .with_check(
                "keys",
                Arc::new({
                    let keys = keys.clone();
                    move || {
                        let keys = keys.clone();
                        Box::pin(async move { keys.ready().await.map_err(|e| e.to_string()) })
                    }
                }),
            ),
    );
    let wallet_debug = args
        .wallet_debug
        .then(|| Arc::new(oid4vci_axum::WalletDebugLog::new()));
    let console = crate::serve_console::router(
        issuer.clone(),
        &admin_token,
        args.tls_self_signed || issuer_url.starts_with("https://"),
        console_feed,
        wallet_debug.clone(),
    );
    let mut app = crate::serve_console::wallet_router(issuer.clone(), jwks, wallet_debug)
        .merge(console)
        .merge(admin)
        .merge(oid4vci_axum::probes_router(readiness.clone()))
        .merge(crl_route(&crate::serve_certs::crl_path(&keys_file)))
        .merge(crate::serve_tools::router())
        .merge(oid4vci_axum::openapi_router(Some(&issuer_url)));
    if let Some(name) = &args.client_address_header {
        let name = axum::http::HeaderName::try_from(name.as_str())
            .map_err(|e| format!("--client-address-header {name:?}: {e}"))?;
        app = app.layer(axum::middleware::from_fn_with_state(
            name,
            oid4vci_axum::client_address_from_header,
        ));
    }
    match args.ops.metrics_listen {
        Some(addr) => {
            let bound =
                crate::serve_ops::spawn_metrics_listener(addr, metrics.clone(), readiness.clone())
                    .await?;
            println!("metrics:           http://{bound}/metrics");
        }
        None => {
            let token = admin_token.clone();
            app = app.merge(oid4vci_axum::metrics_router(metrics.clone()).route_layer(
                axum::middleware::from_fn(move |req, next| {
                    crate::serve_admin::require_admin(token.clone(), req, next)
                }),
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

    let created = startup_offer(&issuer, &credentials).await?;
    println!("oid4vci-rs demo issuer");
    println!("credential issuer: {issuer_url}");
    println!("sessions:          {}", store_choice.describe());
    println!("admin token:       {admin_token}");
    println!(
        "console:           {issuer_url}/console (sign in with the admin token{})",
        if args.wallet_debug {
            "; wallet debugging mode: /console/refused"
        } else {
            ""
        }
    );
    if let Some(lists) = issuer.status_list_config() {
        println!(
            "status lists:      {} (revoke: POST /admin/sessions/{{id}}/revoke)",
            lists.uri(1)
        );
    }
    let chain_file = (file.issuer_chain_pem.clone())
        .unwrap_or_else(|| crate::serve_certs::chain_path(&keys_file));
    println!(
        "issuer chain:      {} (PEM, leaf first)",
        chain_file.display()
    );
    println!(
        "offer (scan with a wallet, valid {} s):",
        issuer.config().offer_ttl
    );
    println!("{}", created.credential_offer_uri);
    print_qr(&created.credential_offer_uri);
    // The sign-in offer is for the first SD-JWT VC configuration (what the npm wallet takes), else
    // the first one.
    let first = credentials
        .iter()
        .find(|c| c.format == crate::serve_config::EntryFormat::SdJwtVc)
        .or(credentials.first())
        .ok_or("no credential configurations")?;
    let by_login = crate::serve_authorization::authorization_code_offer(&issuer, first).await?;
    println!(
        "authorization code offer (sign in as {} / {}): {by_login}",
        demo_user.username, demo_user.password
    );
    spawn_sweeper(issuer.clone());

    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(crate::serve_ops::shut_down_on(
        shutdown_signal(),
        readiness.clone(),
        shutdown,
        args.ops.clone(),
    ));
    let announce = handle.clone();
    let listening = url.clone();
    tokio::spawn(async move {
        if announce.listening().await.is_some() {
            println!("listening on {listening}");
        }
    });
    // The peer address reaches the handlers (the login page throttles per client address).
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    if args.tls_self_signed {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .map_err(|e| format!("cannot generate a certificate: {e}"))?;
        let cert_pem = cert.cert.pem();
        if let Some(out) = &args.tls_cert_out {
            std::fs::write(out, &cert_pem)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        }
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(
            cert_pem.into_bytes(),
            cert.signing_key.serialize_pem().into_bytes(),
        )
        .await
        .map_err(|e| format!("TLS configuration: {e}"))?;
        let tls = axum_server::tls_rustls::RustlsAcceptor::new(config)
            .handshake_timeout(limits.header_read_timeout);
        let mut server = axum_server::from_tcp(listener).acceptor(limits.acceptor(tls));
        limits.configure(&mut server);
        server
            .handle(handle)
            .serve(service)
            .await
            .map_err(|e| e.to_string())
    } else {
        let plain = axum_server::accept::DefaultAcceptor::new();
        let mut server = axum_server::from_tcp(listener).acceptor(limits.acceptor(plain));
        limits.configure(&mut server);
        server
            .handle(handle)
            .serve(service)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The offer printed at startup: every configured credential, each with its example claims
/// (a configuration without example claims is issued once claims are submitted).
async fn startup_offer<S: SessionStore, M: oid4vci_issuer::CredentialMinter>(
    issuer: &Issuer<S, M>,
    credentials: &[crate::serve_config::CredentialEntry],
) -> Result<oid4vci_issuer::OfferCreated, String> {
    let fail = |e: oid4vci_issuer::IssuerError| format!("cannot create the startup offer: {e}");
    let created = issuer
        .create_offer(OfferSpec {
            credential_configuration_ids: credentials.iter().map(|c| c.id.clone()).collect(),
            pre_authorized: true,
            claims: None,
            ..OfferSpec::default()
        })
        .await
        .map_err(fail)?;
    for entry in credentials.iter().filter(|c| c.example_claims.is_some()) {
        issuer
            .submit_claims(&created.session_id, &entry.id, example_claims(entry))
            .await
            .map_err(fail)?;
    }
    Ok(created)
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM (what service managers send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn spawn_sweeper<S: SessionStore, M: oid4vci_issuer::CredentialMinter>(issuer: Arc<Issuer<S, M>>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            match issuer.sweep_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "swept expired sessions"),
                Err(e) => tracing::warn!(error = %e, "sweeping failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::apply_profile;
    use oid4vci_issuer::IssuerConfig;
    use oid4vci_types::CredentialIssuerMetadata;

    fn config() -> IssuerConfig {
        IssuerConfig::new(CredentialIssuerMetadata::new("https://issuer.example.com"))
    }

    #[test]
    fn the_haip_profile_turns_on_its_policies_and_needs_trusted_wallet_providers() {
        let mut open = config();
        apply_profile(&mut open, None, false).expect("no profile");
        assert!(!open.require_dpop && !open.require_wallet_attestation);
        assert_eq!(open.dpop_nonce_ttl, None);

        let mut haip = config();
        apply_profile(&mut haip, Some("haip"), true).expect("haip");
        assert!(haip.require_dpop && haip.require_wallet_attestation);
        assert_eq!(haip.dpop_nonce_ttl, Some(300));
        assert_eq!(haip.refresh_token_ttl, Some(24 * 3600));
        assert_eq!(haip.offer_scheme, "haip://");

        let mut own_ttl = config();
        own_ttl.dpop_nonce_ttl = Some(60);
        apply_profile(&mut own_ttl, Some("haip"), true).expect("haip");
        assert_eq!(own_ttl.dpop_nonce_ttl, Some(60), "--dpop-nonce-ttl wins");

        let refused = apply_profile(&mut config(), Some("haip"), false).unwrap_err();
        assert!(refused.contains("--trust-wallet-provider"), "{refused}");
        assert!(apply_profile(&mut config(), Some("fapi"), true).is_err());
    }
}
