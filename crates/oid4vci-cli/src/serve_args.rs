//! The options of `oid4vci serve`: flags win over the TOML file of `--config`.

use clap::Args;
use std::path::PathBuf;

/// Options of `oid4vci serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one) [default: 8080].
    #[arg(long)]
    pub(crate) port: Option<u16>,
    /// Address to bind [default: 127.0.0.1].
    #[arg(long)]
    pub(crate) host: Option<String>,
    /// Credential Issuer Identifier (default: the listening URL).
    #[arg(long)]
    pub(crate) issuer_url: Option<String>,
    /// SQLite database of sessions; the issuer keys are kept beside it in `<db>.keys` so
    /// sessions, offers and nonces survive restarts [default: oid4vci-demo.db].
    #[arg(long, conflicts_with = "store")]
    pub(crate) db: Option<PathBuf>,
    /// PostgreSQL store instead of SQLite (`postgres://user@host:port/database`): any number of
    /// instances given the same database and the same `--keys` file behave as one issuer.
    #[arg(long, value_name = "URL")]
    pub(crate) store: Option<String>,
    /// The issuer and server keys file, created on first start when missing, never overwritten
    /// [default: `<db>.keys`, or `oid4vci-demo.keys` with --store].
    #[arg(long, value_name = "FILE")]
    pub(crate) keys: Option<PathBuf>,
    /// SQLite durability: `full` syncs every commit (default), `normal` syncs at WAL checkpoints
    /// (faster; the last commits may be lost on power loss, not on a process crash).
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub(crate) sqlite_sync: String,
    /// PEM file with trust anchor certificate(s) of wallet providers (repeatable): enables
    /// wallet attestation (Appendix E) and offers with `require_wallet_attestation`.
    #[arg(long, value_name = "PEM_FILE")]
    pub(crate) trust_wallet_provider: Vec<PathBuf>,
    /// `haip`: the HAIP 1.0 profile — every access token DPoP-bound, server DPoP nonces (300 s
    /// unless --dpop-nonce-ttl says otherwise), refresh tokens (24 h unless --refresh-token-ttl
    /// says otherwise), and wallet attestation from every client at PAR and the token endpoint
    /// (needs --trust-wallet-provider).
    #[arg(long, value_parser = ["haip"])]
    pub(crate) profile: Option<String>,
    /// Require server-provided DPoP nonces (RFC 9449 §8, §9) at the token, PAR, credential,
    /// deferred and notification endpoints, valid this many seconds (HAIP; e.g. 300).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) dpop_nonce_ttl: Option<u64>,
    /// Require server-provided challenges in wallet attestation PoPs (the PoP's `challenge`
    /// claim, from `POST /challenge` or the `OAuth-Client-Attestation-Challenge` header), each
    /// valid this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) attestation_challenge_ttl: Option<u64>,
    /// Issue refresh tokens with the authorization-code grant, the family valid this many
    /// seconds (rotated on every use, DPoP-bound, a replay revokes them; HAIP: 86400 unless set).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) refresh_token_ttl: Option<u64>,
    /// TOML file with issuer URL, port, keys and credential configurations (flags win).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Bearer token protecting /admin (generated when absent).
    #[arg(long)]
    pub(crate) admin_token: Option<String>,
    /// Wallet debugging mode: the console's "Refused requests" page shows every refused wallet
    /// request (what arrived, secrets redacted, and why), even when it cannot be tied to a
    /// session (an unknown token, a malformed body).
    #[arg(long)]
    pub(crate) wallet_debug: bool,
    /// Serve HTTPS with a freshly generated self-signed certificate for 127.0.0.1 and localhost.
    #[arg(long)]
    pub(crate) tls_self_signed: bool,
    /// Where to write that certificate (PEM), so clients can trust it.
    #[arg(long, requires = "tls_self_signed")]
    pub(crate) tls_cert_out: Option<PathBuf>,
    /// Behind a reverse proxy: take the client's address from the last entry of this header
    /// (e.g. `X-Forwarded-For`), for login throttling and the PAR rate limit. Only with a proxy
    /// that sets it; without this flag the connection's peer address counts.
    #[arg(long, value_name = "HEADER")]
    pub(crate) client_address_header: Option<String>,
    #[command(flatten)]
    pub(crate) limits: crate::serve_limits::LimitArgs,
    #[command(flatten)]
    pub(crate) ops: crate::serve_ops::OpsArgs,
}
