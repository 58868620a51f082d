//! `oid4vci proof check` and `oid4vci proof make`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use clap::{Args, Subcommand, ValueEnum};
use oid4vci_proof::report::{check_proof, CheckOptions};
use oid4vci_proof::{Alg, SigningKey};
use oid4vci_proof::{PublicKey, PROOF_TYP};
use serde_json::{json, Value};

use crate::exit_code::EXIT_USAGE;

/// `oid4vci proof …`
#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    /// Validate a key proof and print a JSON verdict (exit 0 valid, 1 invalid, 2 usage error).
    Check(CheckArgs),
    /// Print a valid key proof made with a fresh (or given) key.
    Make(MakeArgs),
}

/// Arguments of `proof check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Credential Issuer Identifier the proof must be addressed to (`aud`). Without it the
    /// audience is not compared (reported in `skipped`).
    #[arg(long, value_name = "URL")]
    aud: Option<String>,
    /// Expected `c_nonce`. Without it the nonce is not checked (reported in `skipped`).
    #[arg(long, value_name = "N")]
    nonce: Option<String>,
    /// client_id the access token was issued to: `iss`, if present, must equal it.
    #[arg(long, value_name = "ID", conflicts_with = "anonymous")]
    client_id: Option<String>,
    /// The token came from anonymous pre-authorized access: `iss` must be absent.
    #[arg(long)]
    anonymous: bool,
    /// Validation time in unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<u64>,
    /// Maximum age of `iat` in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    max_age: u64,
    /// Maximum clock skew for an `iat` in the future, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    max_skew: u64,
    /// PEM file with trust anchor certificate(s) for `x5c` proofs (repeatable).
    #[arg(long, value_name = "PEM_FILE")]
    trust_anchor: Vec<PathBuf>,
    /// Accept a single self-signed `x5c` certificate.
    #[arg(long)]
    allow_self_signed: bool,
    /// PEM file with trust anchor certificate(s) for key attestations (repeatable).
    #[arg(long, value_name = "PEM_FILE")]
    attester_trust_anchor: Vec<PathBuf>,
    /// JSON file with a trusted key attester's public JWK (repeatable).
    #[arg(long, value_name = "JWK_FILE")]
    attester_jwk: Vec<PathBuf>,
    /// The proof JWT, or `-` to read it from standard input. A `key-attestation+jwt` is
    /// checked as an `attestation` proof.
    #[arg(value_name = "JWT|-")]
    jwt: String,
}

/// How `proof make` conveys the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeySourceArg {
    /// `jwk` header parameter.
    Jwk,
    /// `kid` = `did:key` DID URL.
    #[value(name = "did:key")]
    DidKey,
    /// `x5c` with a self-signed certificate.
    X5c,
}

/// Signature algorithm for `proof make`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgArg {
    /// ECDSA P-256.
    #[value(name = "ES256")]
    Es256,
    /// Ed25519.
    #[value(name = "EdDSA")]
    EdDsa,
}

/// Arguments of `proof make`.
#[derive(Debug, Args)]
pub struct MakeArgs {
    /// Credential Issuer Identifier (`aud`).
    #[arg(long, value_name = "URL")]
    aud: String,
    /// `c_nonce` from the issuer's Nonce Endpoint.
    #[arg(long, value_name = "N")]
    nonce: Option<String>,
    /// How to convey the public key.
    #[arg(long, value_enum, default_value = "jwk")]
    key_source: KeySourceArg,
    /// Signature algorithm (ignored with --key, which decides it).
    #[arg(long, value_enum, default_value = "ES256")]
    alg: AlgArg,
    /// Private JWK file to sign with (default: a freshly generated key).
    #[arg(long, value_name = "JWK_FILE")]
    key: Option<PathBuf>,
    /// Write the private JWK of the generated key here (mode 0600), to reuse it later.
    #[arg(long, value_name = "FILE", conflicts_with = "key")]
    save_key: Option<PathBuf>,
    /// `iss` claim (your client_id); omitted by default.
    #[arg(long, value_name = "CLIENT_ID")]
    iss: Option<String>,
    /// `iat` in unix seconds (default: now).
    #[arg(long, value_name = "UNIX_SECONDS")]
    iat: Option<u64>,
}

/// Runs a `proof` subcommand.
pub fn run(cmd: ProofCommand) -> ExitCode {
    let result = match cmd {
        ProofCommand::Check(args) => check(&args),
        ProofCommand::Make(args) => make(&args).map(|jwt| {
            println!("{jwt}");
            ExitCode::SUCCESS
        }),
    };
    result.unwrap_or_else(|msg| {
        eprintln!("oid4vci: {msg}");
        ExitCode::from(EXIT_USAGE)
    })
}

fn now_or(now: Option<u64>) -> Result<u64, String> {
    match now {
        Some(n) => Ok(n),
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|e| format!("system clock before 1970: {e}")),
    }
}

fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Every `CERTIFICATE` block of a PEM file, as DER.
pub(crate) fn pem_certificates(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let text = read_file(path)?;
    let mut certs = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        match (line, &mut current) {
            ("-----BEGIN CERTIFICATE-----", None) => current = Some(String::new()),
            ("-----END CERTIFICATE-----", Some(b64)) => {
                let der = STANDARD
                    .decode(b64.as_bytes())
                    .map_err(|e| format!("{}: bad base64 in certificate: {e}", path.display()))?;
                certs.push(der);
                current = None;
            }
            (l, Some(b64)) => b64.push_str(l),
            _ => {}
        }
    }
    if certs.is_empty() {
        return Err(format!(
            "{}: no PEM CERTIFICATE block found",
            path.display()
        ));
    }
    Ok(certs)
}

fn read_jwt(arg: &str) -> Result<String, String> {
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(1 << 20)
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(s.trim().to_owned())
    } else {
        Ok(arg.trim().to_owned())
    }
}

/// The decoded header and payload, when the JWT parses (for `typ` and `aud` peeking).
fn check(args: &CheckArgs) -> Result<ExitCode, String> {
    let jwt = read_jwt(&args.jwt)?;
    let mut options = CheckOptions::at(now_or(args.now)?);
    options.audience = args.aud.clone();
    options.nonce = args.nonce.clone();
    options.client_id = args.client_id.clone();
    options.anonymous = args.anonymous;
    options.max_age = args.max_age;
    options.max_skew = args.max_skew;
    options.allow_self_signed = args.allow_self_signed;
    for p in &args.trust_anchor {
        options.trust_anchors.extend(pem_certificates(p)?);
    }
    for p in &args.attester_trust_anchor {
        options.attester_trust_anchors.extend(pem_certificates(p)?);
    }
    for p in &args.attester_jwk {
        let v: Value =
            serde_json::from_str(&read_file(p)?).map_err(|e| format!("{}: {e}", p.display()))?;
        let key = PublicKey::from_jwk_value(&v).map_err(|e| format!("{}: {e}", p.display()))?;
        options.attester_keys.push(key);
    }
    let report = check_proof(&jwt, &options);
    println!("{}", report.text);
    Ok(match report.valid {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    })
}

/// A signing key for `proof make` (backend-neutral: `oid4vci_proof::crypto::SigningKey`).
struct Signer(SigningKey);

impl Signer {
    fn generate(alg: AlgArg) -> Result<Signer, String> {
        let alg = match alg {
            AlgArg::Es256 => Alg::Es256,
            AlgArg::EdDsa => Alg::EdDsa,
        };
        SigningKey::generate(alg)
            .map(Signer)
            .map_err(|e| e.to_string())
    }

    fn from_private_jwk(text: &str) -> Result<Signer, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("key file is not JSON: {e}"))?;
        let m = v
            .as_object()
            .ok_or("key file must be a JSON object (a private JWK)")?;
        // Covers: d present and base64url, kty/crv supported, d valid, x/y (if given) match d.
        SigningKey::from_jwk(m)
            .map(Signer)
            .map_err(|e| format!("key file: {e}"))
    }

    fn public(&self) -> PublicKey {
        self.0.public_key().clone()
    }

    fn private_jwk(&self) -> Result<Value, String> {
        self.0
            .to_private_jwk()
            .map(Value::Object)
            .map_err(|e| e.to_string())
    }

    fn sign(&self, input: &[u8]) -> Result<Vec<u8>, String> {
        self.0.sign(input).map_err(|e| e.to_string())
    }

    /// PKCS#8 DER of the private key, for rcgen.
    fn pkcs8(&self) -> Result<Vec<u8>, String> {
        self.0.to_pkcs8().map_err(|e| e.to_string())
    }

    /// A self-signed certificate for this key (valid from one day ago for one year).
    fn self_signed_cert(&self, now: u64) -> Result<Vec<u8>, String> {
        let alg = match self.0.alg() {
            Alg::Es256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Alg::EdDsa => &rcgen::PKCS_ED25519,
        };
        let der = self.pkcs8()?;
        let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der.into(), alg)
            .map_err(|e| e.to_string())?;
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            "oid4vci proof make (self-signed test key)",
        );
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let now = i64::try_from(now).map_err(|e| e.to_string())?;
        let ts = |t: i64| {
            rcgen::date_time_ymd(1970, 1, 1)
                + std::time::Duration::from_secs(t.max(0).unsigned_abs())
        };
        params.not_before = ts(now - 86_400);
        params.not_after = ts(now + 365 * 86_400);
        let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
        Ok(cert.der().to_vec())
    }
}

fn make(args: &MakeArgs) -> Result<String, String> {
    let signer = match &args.key {
        Some(path) => Signer::from_private_jwk(&read_file(path)?)?,
        None => Signer::generate(args.alg)?,
    };
    if let Some(path) = &args.save_key {
        write_private(path, &signer.private_jwk()?.to_string())?;
    }
    let public = signer.public();
    let iat = now_or(args.iat)?;
    let mut header = json!({"typ": PROOF_TYP, "alg": public.alg().as_str()});
    match args.key_source {
        KeySourceArg::Jwk => header["jwk"] = Value::Object(public.to_jwk()),
        KeySourceArg::DidKey => {
            let did = oid4vci_proof::did_key::encode_did_key(&public);
            let id = did.trim_start_matches("did:key:").to_owned();
            header["kid"] = json!(format!("{did}#{id}"));
        }
        KeySourceArg::X5c => {
            header["x5c"] = json!([STANDARD.encode(signer.self_signed_cert(iat)?)]);
            eprintln!("oid4vci: the x5c certificate is self-signed; check it with `proof check --allow-self-signed`");
        }
    }
    let mut claims = json!({"aud": args.aud, "iat": iat});
    if let Some(n) = &args.nonce {
        claims["nonce"] = json!(n);
    }
    if let Some(iss) = &args.iss {
        claims["iss"] = json!(iss);
    }
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = signer.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        format!(
            "cannot create {} (it must not exist yet): {e}",
            path.display()
        )
    })?;
    std::io::Write::write_all(&mut f, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
