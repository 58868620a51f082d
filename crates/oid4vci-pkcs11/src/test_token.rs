//! A throw-away SoftHSM2 token for tests and benches (feature `test-token`).
//!
//! [`TestToken::create`] runs `scripts/softhsm-token.sh`, which installs the Debian `softhsm2`
//! package when it is missing (as root) and initialises a token in a temporary directory with a
//! random PIN. SoftHSM finds its configuration through the `SOFTHSM2_CONF` environment variable:
//! pass [`TestToken::env`] to child processes, or call [`shared_or_skip`], which sets it for
//! this process once, before the module is first loaded. Keys are generated inside the token
//! with [`generate_p256_key`](crate::generate_p256_key).
//!
//! Where no token can be had (not root and no package), [`shared_or_skip`] prints
//! `SKIPPED: <test name>: <reason>` to standard error and returns `None`; CI fails on that
//! marker.

use crate::{Pin, Pkcs11Config};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The marker a skipped test prints first on its line.
pub const SKIP_MARKER: &str = "SKIPPED:";

/// The token script, run with `bash`.
pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/softhsm-token.sh");

/// An initialised SoftHSM2 token in a temporary directory (removed on drop).
#[derive(Debug)]
pub struct TestToken {
    dir: tempfile::TempDir,
    conf: PathBuf,
    module: PathBuf,
    label: String,
    pin: String,
}

/// Why a token could not be made: `Unavailable` (skip, with the reason) or a real failure.
#[derive(Debug)]
pub enum TokenError {
    /// SoftHSM cannot be had on this machine.
    Unavailable(String),
    /// It should have worked.
    Failed(String),
}

impl TestToken {
    /// Installs SoftHSM2 if needed and initialises token `label` with a random PIN.
    pub fn create(label: &str) -> Result<Self, TokenError> {
        let module = run(&["ensure"], None)?;
        let dir = tempfile::tempdir().map_err(|e| TokenError::Failed(e.to_string()))?;
        let mut random = [0u8; 8];
        getrandom(&mut random);
        let pin: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let dir_arg = dir.path().display().to_string();
        let conf = run(&["init", &dir_arg, label], Some(&pin))?;
        Ok(TestToken {
            dir,
            conf: PathBuf::from(conf),
            module: PathBuf::from(module),
            label: label.to_owned(),
            pin,
        })
    }

    /// Initialises one more token, `label`, beside this one (same directory and PIN): a token
    /// no session has logged in to. Do it before the module is loaded in this process.
    pub fn add_token(&self, label: &str) -> Result<(), TokenError> {
        let dir_arg = self.dir.path().display().to_string();
        run(&["init", &dir_arg, label], Some(&self.pin)).map(|_| ())
    }

    /// The module's path.
    pub fn module(&self) -> &Path {
        &self.module
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The user PIN.
    pub fn pin(&self) -> Pin {
        Pin::new(self.pin.clone())
    }

    /// The PIN as text (to hand to a child process through its environment or a file).
    pub fn pin_text(&self) -> &str {
        &self.pin
    }

    /// The directory holding the token.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `("SOFTHSM2_CONF", path)`: the environment a process needs to see this token.
    pub fn env(&self) -> (&'static str, &Path) {
        ("SOFTHSM2_CONF", &self.conf)
    }

    /// The configuration for key `key_label` in this token.
    pub fn config(&self, key_label: &str) -> Pkcs11Config {
        Pkcs11Config::new(&self.module, &self.label, key_label)
    }
}

fn getrandom(out: &mut [u8]) {
    use std::io::Read;
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(out);
    }
}

fn run(args: &[&str], stdin: Option<&str>) -> Result<String, TokenError> {
    let mut child = Command::new("bash")
        .arg(SCRIPT)
        .args(args)
        .stdin(match stdin {
            Some(_) => Stdio::piped(),
            None => Stdio::null(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| TokenError::Unavailable(format!("cannot run bash: {e}")))?;
    if let (Some(mut input), Some(text)) = (child.stdin.take(), stdin) {
        // A script that exits early closes the pipe: its exit status tells what happened.
        match input.write_all(format!("{text}\n").as_bytes()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => return Err(TokenError::Failed(e.to_string())),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| TokenError::Failed(e.to_string()))?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    match out.status.code() {
        Some(0) => Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned()),
        Some(3) => Err(TokenError::Unavailable(stderr)),
        _ => Err(TokenError::Failed(format!(
            "softhsm-token.sh {}: {stderr}",
            args.first().unwrap_or(&"")
        ))),
    }
}

/// The label of a second token [`shared_or_skip`] makes, never logged in to by anything: for
/// tests of the login itself (PKCS#11 keeps one login per token and process).
pub const SPARE_TOKEN: &str = "oid4vci-spare";

/// One token for this test binary, made on first use, with `SOFTHSM2_CONF` set for the process
/// before the module is loaded. `Ok(None)` after printing the skip marker when SoftHSM cannot be
/// had; `Err` when it should have worked.
pub fn shared_or_skip(test: &str) -> Result<Option<&'static TestToken>, String> {
    static TOKEN: OnceLock<Result<TestToken, String>> = OnceLock::new();
    let token = TOKEN.get_or_init(|| match TestToken::create("oid4vci-test") {
        Ok(token) => {
            if let Err(e) = token.add_token(SPARE_TOKEN) {
                return Err(format!("failed: {e:?}"));
            }
            // Set once, before any PKCS#11 call of this process.
            std::env::set_var("SOFTHSM2_CONF", &token.conf);
            Ok(token)
        }
        Err(TokenError::Unavailable(why)) => Err(format!("unavailable: {why}")),
        Err(TokenError::Failed(why)) => Err(format!("failed: {why}")),
    });
    match token {
        Ok(token) => Ok(Some(token)),
        Err(why) if why.starts_with("unavailable: ") => {
            eprintln!("{SKIP_MARKER} {test}: SoftHSM2 {why}");
            Ok(None)
        }
        Err(why) => Err(why.clone()),
    }
}

/// Tries to read the private key's value (`CKA_VALUE`) out of the token: `Ok(None)` when the
/// token refuses, as it must for a sensitive key; `Ok(Some(bytes))` would mean the key leaks.
pub fn private_value(
    config: &Pkcs11Config,
    pin: &Pin,
) -> Result<Option<Vec<u8>>, crate::Pkcs11Error> {
    use cryptoki::object::{Attribute, AttributeType, ObjectClass};
    let opener = crate::pool::Opener::new(config, pin)?;
    let session = opener.session(false)?;
    let key = opener.find(&session, ObjectClass::PRIVATE_KEY)?;
    match session.get_attributes(key, &[AttributeType::Value]) {
        Ok(attributes) => Ok(attributes.into_iter().find_map(|a| match a {
            Attribute::Value(v) => Some(v),
            _ => None,
        })),
        Err(_) => Ok(None),
    }
}
