//! `oid4vci credential decode`: an issued SD-JWT VC or mdoc, decoded, its issuer signature
//! verified against a certificate (`oid4vci_sd_jwt::decode::report`,
//! `oid4vci_mdoc::decode::report`: the browser checker prints the same JSON).

use clap::Subcommand;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Largest credential read (an mdoc's `IssuerSigned` may be 256 KiB before base64url).
const MAX_CREDENTIAL: u64 = 512 * 1024;

/// `oid4vci credential …`
#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Decode an issued credential, an SD-JWT VC (`dc+sd-jwt`: issuer JWT, disclosures matched
    /// to their digests, KB-JWT) or an mdoc (`mso_mdoc`, base64url `IssuerSigned`: namespaces
    /// with digests checked, the MSO), verify its issuer signature against `--cert`, and print
    /// the report as JSON. Exit 0 when valid against the certificate, 1 otherwise.
    Decode {
        /// The credential, or `-` to read it from standard input.
        credential: String,
        /// PEM file with the issuer's certificate, or the CA (IACA) that issued it; the first
        /// certificate is used. Without it the credential's own x5c/x5chain leaf is reported,
        /// which is not a trust decision (exit 1).
        #[arg(long)]
        cert: Option<PathBuf>,
        /// `dc+sd-jwt` or `mso_mdoc` (default: told by the text).
        #[arg(long)]
        format: Option<String>,
        /// Unix time at which certificates must be valid (default: now).
        #[arg(long)]
        now: Option<u64>,
    },
}

fn usage(why: &str) -> ExitCode {
    eprintln!("error: {why}");
    ExitCode::from(crate::exit_code::EXIT_USAGE)
}

/// Runs a `credential` subcommand.
pub fn run(cmd: CredentialCommand) -> ExitCode {
    let CredentialCommand::Decode {
        credential,
        cert,
        format,
        now,
    } = cmd;
    let credential = if credential == "-" {
        let mut text = String::new();
        if let Err(e) = std::io::stdin()
            .take(MAX_CREDENTIAL)
            .read_to_string(&mut text)
        {
            return usage(&format!("cannot read standard input: {e}"));
        }
        text
    } else {
        credential
    };
    let certificate = match cert
        .map(|p| crate::proof_cmd::pem_certificates(&p))
        .transpose()
    {
        Ok(certs) => certs.and_then(|c| c.into_iter().next()),
        Err(why) => return usage(&why),
    };
    let now = now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let text = credential.trim();
    let sd_jwt = match format.as_deref() {
        Some("dc+sd-jwt") => true,
        Some("mso_mdoc") => false,
        None => oid4vci_sd_jwt::decode::is_sd_jwt(text),
        Some(other) => return usage(&format!("unknown format {other:?}: dc+sd-jwt or mso_mdoc")),
    };
    let report = match sd_jwt {
        true => oid4vci_sd_jwt::decode::report(text, certificate.as_deref(), now),
        false => oid4vci_mdoc::decode::report(text, certificate.as_deref(), now),
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    match report["valid"] == true {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    }
}
