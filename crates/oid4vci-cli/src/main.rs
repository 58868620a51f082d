//! `oid4vci`: command line tools for OpenID for Verifiable Credential Issuance 1.0.
//!
//! * `oid4vci proof check` — validate a key proof locally and explain any rejection.
//! * `oid4vci proof make` — make a valid key proof with a fresh (or given) key.
//! * `oid4vci serve` — run a complete demo issuer.
//! * `oid4vci offer decode` — print what a credential offer URI says.
//! * `oid4vci hsm generate-key` / `show` — issuer keys inside a PKCS#11 token.
//!
//! Each subcommand lives in its own module; add new ones to [`Command`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod credential_cmd;
mod exit_code;
mod format_minter;
mod hsm_cmd;
mod offer_cmd;
mod proof_cmd;
mod serve_admin;
mod serve_args;
mod serve_authorization;
mod serve_banner;
mod serve_certs;
mod serve_cmd;
mod serve_config;
mod serve_console;
mod serve_encryption;
mod serve_issuer;
mod serve_keys;
mod serve_limits;
mod serve_metered;
mod serve_ops;
mod serve_proofs;
mod serve_routes;
mod serve_signing;
mod serve_store;
mod serve_tools;
mod serve_traces;

/// The binary's allocator (see the `mimalloc` feature in Cargo.toml).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// OpenID for Verifiable Credential Issuance 1.0 tools.
#[derive(Debug, Parser)]
#[command(name = "oid4vci", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Top-level subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check or make OID4VCI key proofs (`jwt` and `attestation` proof types).
    #[command(subcommand)]
    Proof(proof_cmd::ProofCommand),
    /// Decode credential offers.
    #[command(subcommand)]
    Offer(offer_cmd::OfferCommand),
    /// Decode issued credentials (SD-JWT VC, mdoc) and verify their issuer signature.
    #[command(subcommand)]
    Credential(credential_cmd::CredentialCommand),
    /// Run a complete demo issuer (metadata, offers, token, nonce, credential, deferred, notification).
    Serve(Box<serve_args::ServeArgs>),
    /// Issuer keys in a PKCS#11 token (HSM): generate one inside the token, or show one.
    #[command(subcommand)]
    Hsm(hsm_cmd::HsmCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Proof(cmd) => proof_cmd::run(cmd),
        Command::Serve(args) => serve_cmd::run(*args),
        Command::Offer(cmd) => offer_cmd::run(cmd),
        Command::Credential(cmd) => credential_cmd::run(cmd),
        Command::Hsm(cmd) => hsm_cmd::run(cmd),
    }
}
