//! `oid4vci serve`: a complete demo issuer. This file resolves where it listens and runs it;
//! `serve_issuer` builds the issuer, `serve_routes` its routes, `serve_banner` what it prints.

use crate::serve_args::ServeArgs;
use crate::serve_config::ServeConfig;
use crate::serve_limits::ConnectionLimits;
use oid4vci_issuer::{CredentialMinter, Issuer, SessionStore};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

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

    let served =
        crate::serve_issuer::build(&args, &file, &issuer_url, &keys_file, &store_choice).await?;
    let admin_token = Arc::new(
        args.admin_token
            .clone()
            .or(file.admin_token.clone())
            .unwrap_or_else(|| oid4vci_issuer::random_token(&oid4vci_issuer::OsSecretSource, 24)),
    );
    let routes = crate::serve_routes::routes(
        &args,
        &served,
        &admin_token,
        &issuer_url,
        &keys_file,
        limits,
    )
    .await?;
    let chain_file = (file.issuer_chain_pem.clone())
        .unwrap_or_else(|| crate::serve_certs::chain_path(&keys_file));
    let banner = crate::serve_banner::Banner {
        issuer_url: &issuer_url,
        sessions: store_choice.describe(),
        admin_token: &admin_token,
        wallet_debug: args.wallet_debug,
        chain_file: &chain_file,
    };
    crate::serve_banner::print(&served, banner).await?;
    spawn_sweeper(served.issuer.clone());

    let handle = axum_server::Handle::new();
    tokio::spawn(crate::serve_ops::shut_down_on(
        shutdown_signal(),
        routes.readiness.clone(),
        handle.clone(),
        args.ops.clone(),
    ));
    let announce = handle.clone();
    tokio::spawn(async move {
        if announce.listening().await.is_some() {
            println!("listening on {url}");
        }
    });
    // The peer address reaches the handlers (the login page throttles per client address).
    let service = routes
        .app
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum_server::from_tcp(listener);
    if !args.tls_self_signed {
        let plain = axum_server::accept::DefaultAcceptor::new();
        let mut server = server.acceptor(limits.acceptor(plain));
        limits.configure(&mut server);
        return server
            .handle(handle)
            .serve(service)
            .await
            .map_err(|e| e.to_string());
    }
    let tls = self_signed_tls(args.tls_cert_out.as_deref(), &limits).await?;
    let mut server = server.acceptor(limits.acceptor(tls));
    limits.configure(&mut server);
    server
        .handle(handle)
        .serve(service)
        .await
        .map_err(|e| e.to_string())
}

/// `--tls-self-signed`: a fresh certificate for 127.0.0.1 and localhost, written to `cert_out`
/// (PEM) when given, and the acceptor that serves it.
async fn self_signed_tls(
    cert_out: Option<&std::path::Path>,
    limits: &ConnectionLimits,
) -> Result<axum_server::tls_rustls::RustlsAcceptor, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .map_err(|e| format!("cannot generate a certificate: {e}"))?;
    let cert_pem = cert.cert.pem();
    if let Some(out) = cert_out {
        std::fs::write(out, &cert_pem)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert_pem.into_bytes(),
        cert.signing_key.serialize_pem().into_bytes(),
    )
    .await
    .map_err(|e| format!("TLS configuration: {e}"))?;
    Ok(axum_server::tls_rustls::RustlsAcceptor::new(config)
        .handshake_timeout(limits.header_read_timeout))
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

/// Sweeps expired sessions every minute.
fn spawn_sweeper<S: SessionStore, M: CredentialMinter>(issuer: Arc<Issuer<S, M>>) {
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
