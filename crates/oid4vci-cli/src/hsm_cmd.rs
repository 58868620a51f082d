//! `oid4vci hsm …`: issuer keys in a PKCS#11 token — make one inside the token, or show one.
//! The PIN comes from an environment variable or a file, never from the command line.

use clap::{Args, Subcommand};
use oid4vci_pkcs11::{generate_p256_key, PinSource, Pkcs11Config, Pkcs11Signer};
use oid4vci_proof::PublicKey;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// `oid4vci hsm …`
#[derive(Debug, Subcommand)]
pub enum HsmCommand {
    /// Generate a P-256 key pair inside the token (private key sensitive, not extractable,
    /// sign-only) and print its public key: JWK and SubjectPublicKeyInfo PEM, to be certified.
    GenerateKey(KeyArgs),
    /// Print a key's public key and what the token says of it (extractable, sensitive), and
    /// sign a test message with it.
    Show(KeyArgs),
}

/// Where the key is.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The PKCS#11 module (shared library), e.g. /usr/lib/softhsm/libsofthsm2.so.
    #[arg(long)]
    module: PathBuf,
    /// The token's label.
    #[arg(long)]
    token: String,
    /// The key pair's label.
    #[arg(long)]
    label: String,
    /// The environment variable holding the user PIN.
    #[arg(
        long,
        conflicts_with = "pin_file",
        required_unless_present = "pin_file"
    )]
    pin_env: Option<String>,
    /// A file holding the user PIN (first line).
    #[arg(long)]
    pin_file: Option<PathBuf>,
}

fn public_key_output(key: &PublicKey) -> serde_json::Value {
    let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", key.to_spki_der()));
    json!({"jwk": key.to_jwk(), "thumbprint": key.thumbprint(), "public_key_pem": pem})
}

/// Runs an `hsm` subcommand: exit 0 on success, 1 when the token refuses, 2 for usage errors.
pub fn run(cmd: HsmCommand) -> ExitCode {
    let (
        KeyArgs {
            module,
            token,
            label,
            pin_env,
            pin_file,
        },
        generate,
    ) = match cmd {
        HsmCommand::GenerateKey(args) => (args, true),
        HsmCommand::Show(args) => (args, false),
    };
    let source = match (pin_env, pin_file) {
        (Some(name), None) => PinSource::Env(name),
        (None, Some(path)) => PinSource::File(path),
        _ => {
            eprintln!("error: give one of --pin-env and --pin-file");
            return ExitCode::from(crate::exit_code::EXIT_USAGE);
        }
    };
    let result = source.read().and_then(|pin| {
        let config = Pkcs11Config::new(module, token, label);
        if generate {
            let key = generate_p256_key(&config, &pin)?;
            return Ok(public_key_output(&key));
        }
        let signer = Pkcs11Signer::open(&config, &pin)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| oid4vci_pkcs11::Pkcs11Error::Module {
                module: config.module.display().to_string(),
                reason: e.to_string(),
            })?;
        let signed = runtime.block_on(signer.sign_es256(b"oid4vci hsm show"));
        let key = oid4vci_issuer::IssuerSigner::public_key(&signer);
        let verified = signed.as_ref().is_ok_and(|sig| {
            key.verify(oid4vci_proof::Alg::Es256, b"oid4vci hsm show", sig)
                .is_ok()
        });
        let facts = signer.key_facts();
        let mut out = public_key_output(key);
        out["extractable"] = json!(facts.extractable);
        out["sensitive"] = json!(facts.sensitive);
        out["never_extractable"] = json!(facts.never_extractable);
        out["signs"] = json!(verified);
        Ok(out)
    });
    match result {
        Ok(out) => {
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
