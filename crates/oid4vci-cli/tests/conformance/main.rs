//! The OIDF OID4VCI 1.0 issuer test plans (`oid4vci-1_0-issuer-haip-test-plan` and
//! `oid4vci-1_0-issuer-test-plan`, package `net.openid.conformance.vci10issuer`) mirrored in our
//! own suite (issue #21): one test per module, named after it, run against `oid4vci serve
//! --profile haip` over HTTPS for each certification variant (SD-JWT VC and mdoc, wallet- and
//! issuer-initiated, plain and encrypted, and the base plan's pre-authorized code), asserting
//! what the module's conditions assert. The suite learns from the OIDF modules' logic; it
//! shares no code with them.
//!
//! A custom harness: `cargo test -p oid4vci-cli --test conformance [-- FILTER]`. A run without a
//! filter writes `docs/conformance.md` (module → test → variant → result); CI checks that the
//! committed file is what the run wrote.

mod fapi;
mod flows;
mod https;
mod modules;
mod plan;
mod report;
mod verify;
mod wallet;

use https::Https;
use oid4vci_issuer_testkit::TestWallet;
use plan::{plan, Module, BASE, HAIP};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use wallet::{Provider, Wallet};

const ADMIN_TOKEN: &str = "conformance-admin-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    SdJwtVc,
    Mdoc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    WalletInitiated,
    IssuerInitiated,
    PreAuthorized,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encryption {
    Plain,
    Encrypted,
}

/// One certification variant.
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    pub format: Format,
    pub flow: Flow,
    pub encryption: Encryption,
}

impl Variant {
    fn label(&self) -> String {
        let format = match self.format {
            Format::SdJwtVc => "sd_jwt_vc",
            Format::Mdoc => "mdoc",
        };
        let flow = match self.flow {
            Flow::WalletInitiated => "authorization_code, wallet_initiated",
            Flow::IssuerInitiated => "authorization_code, issuer_initiated",
            Flow::PreAuthorized => "pre_authorization_code, issuer_initiated",
        };
        let encryption = match self.encryption {
            Encryption::Plain => "plain",
            Encryption::Encrypted => "encrypted",
        };
        format!("{format}, {flow}, {encryption}")
    }
}

/// The running issuer and what every module shares.
pub struct Env {
    pub https: Https,
    pub issuer: String,
    pub provider: Provider,
    pub attester: TestWallet,
    pub metadata: Value,
    server: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The `oid4vci serve` configuration the suite runs against (besides `--profile haip`): a
/// trusted key attester, key attestations required, and a PAR limit per address above what the
/// suite's hundred-odd authorizations from one address within seconds need.
const CONFIG: &str = "[proofs]
key_attester_jwks = [\"attester.jwk\"]
key_attestations_required = { key_storage = [\"iso_18045_high\"] }

[authorization.throttle]
par_burst = 1000
";

impl Env {
    fn start() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let provider = Provider::new("Conformance Wallet Provider");
        let attester = TestWallet::new();
        let path = |name: &str| dir.path().join(name).display().to_string();
        std::fs::write(path("provider.pem"), &provider.root_pem).expect("provider");
        std::fs::write(path("attester.jwk"), attester.public_jwk().to_string()).expect("jwk");
        std::fs::write(
            path("serve.toml"),
            CONFIG.replace("attester.jwk", &path("attester.jwk").replace('\\', "/")),
        )
        .expect("config");
        let mut server = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
            .args([
                "serve",
                "--port",
                "0",
                "--tls-self-signed",
                "--profile",
                "haip",
            ])
            .args(["--admin-token", ADMIN_TOKEN])
            .args(["--tls-cert-out", &path("tls.pem")])
            .args(["--trust-wallet-provider", &path("provider.pem")])
            .args(["--config", &path("serve.toml")])
            .args(["--db", &path("issuer.db")])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start oid4vci serve");
        let stdout = server.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .try_for_each(|l| tx.send(l))
        });
        let issuer = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(120))
                .expect("oid4vci serve prints `listening on` within 120 s");
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.trim().to_owned();
            }
        };
        let addr = issuer.trim_start_matches("https://").to_owned();
        let https = Https::new(&addr, &dir.path().join("tls.pem"));
        let metadata = https
            .request("GET", "/.well-known/openid-credential-issuer", &[], b"")
            .json();
        Env {
            https,
            issuer,
            provider,
            attester,
            metadata,
            server,
            _dir: dir,
        }
    }

    /// A new wallet instance with `client_id`.
    pub fn wallet(&self, client_id: &str) -> Wallet<'_> {
        Wallet::new(
            &self.https,
            &self.issuer,
            &self.provider,
            &self.attester,
            client_id,
        )
    }

    /// The demo configuration of a format.
    pub fn config_id(&self, format: Format) -> &'static str {
        match format {
            Format::SdJwtVc => "identity_credential",
            Format::Mdoc => "eu.europa.ec.av.1",
        }
    }

    /// Claims for an operator's offer of a format.
    pub fn claims(&self, format: Format) -> Value {
        match format {
            Format::SdJwtVc => {
                json!({"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1984-01-26"})
            }
            Format::Mdoc => json!({"age_over_18": true, "issuing_country": "UT",
                "issuing_authority": "conformance", "issuance_date": "2026-01-01",
                "expiry_date": "2036-01-01"}),
        }
    }

    /// An offer made through the admin API.
    pub fn admin_offer(&self, body: &Value) -> Result<Value, String> {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let answer = self.https.request(
            "POST",
            "/admin/offers",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        );
        if answer.status != 201 {
            return Err(format!("admin offer: {} {}", answer.status, answer.text()));
        }
        Ok(answer.json())
    }

    /// The issuer's key for encrypted requests.
    pub fn request_encryption_key(&self) -> Result<Value, String> {
        let key = &self.metadata["credential_request_encryption"]["jwks"]["keys"][0];
        if key.is_object() {
            Ok(key.clone())
        } else {
            Err("no credential_request_encryption key in the metadata".into())
        }
    }
}

fn main() {
    // libtest's options may follow `--`; the first other argument filters modules.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let takes_value = [
        "--skip",
        "--test-threads",
        "--format",
        "--logfile",
        "--color",
        "-Z",
    ];
    let filter = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with('-') && (*i == 0 || !takes_value.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a.clone());
    let env = Env::start();
    let chosen: Vec<Module> = plan()
        .into_iter()
        .filter(|m| {
            filter
                .as_ref()
                .is_none_or(|f| m.name.contains(f.as_str()) || m.test.contains(f.as_str()))
        })
        .collect();
    let run = |modules: Vec<(usize, &Module)>| -> Vec<(usize, report::Row)> {
        let mut rows = Vec::new();
        for (index, module) in modules {
            for v in &module.variants {
                let outcome = (module.run)(&env, *v);
                let plan = if v.flow == Flow::PreAuthorized {
                    BASE
                } else {
                    HAIP
                };
                match &outcome {
                    Ok(()) => println!("test {} [{}] ... ok", module.name, v.label()),
                    Err(e) => println!("test {} [{}] ... FAILED: {e}", module.name, v.label()),
                }
                let row = report::Row {
                    plan,
                    module: module.name,
                    test: module.test,
                    variant: v.label(),
                    outcome,
                };
                rows.push((index, row));
            }
        }
        rows
    };
    type Indexed<'m> = Vec<(usize, &'m Module)>;
    let (slow, fast): (Indexed, Indexed) = chosen.iter().enumerate().partition(|(_, m)| m.slow);
    let mut rows = std::thread::scope(|s| {
        // Each slow module waits on a thread of its own.
        let waiting: Vec<_> = slow
            .into_iter()
            .map(|module| {
                let run = &run;
                s.spawn(move || run(vec![module]))
            })
            .collect();
        let mut rows = run(fast);
        for w in waiting {
            rows.extend(w.join().expect("a slow module"));
        }
        rows
    });
    // The table keeps the plan's order, whatever finished first.
    rows.sort_by_key(|(index, _)| *index);
    let results: Vec<report::Row> = rows.into_iter().map(|(_, r)| r).collect();
    let mut failed = results.iter().filter(|r| r.outcome.is_err()).count();
    println!(
        "\nconformance: {} module runs, {} passed, {failed} failed",
        results.len(),
        results.len() - failed
    );
    let current = filter.is_some() || report::write(&results);
    if !current {
        println!("docs/conformance.md was not what this run found; the run rewrote it: commit it");
        failed += 1;
    }
    // Stops the server (exit skips destructors).
    drop(env);
    if failed > 0 {
        std::process::exit(1);
    }
}
