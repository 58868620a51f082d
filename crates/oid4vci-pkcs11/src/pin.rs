//! The token PIN: read from the environment or a file, kept secret, never printed.

use crate::Pkcs11Error;
use cryptoki::types::AuthPin;
use std::fmt;
use std::path::PathBuf;

/// Largest PIN file read (a PIN is short; anything larger is a mistake).
const MAX_PIN_FILE: u64 = 4096;

/// Where the PIN comes from. There is deliberately no way to pass it as a value on a command
/// line (visible to every user of the machine in the process list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinSource {
    /// The environment variable of this name.
    Env(String),
    /// The first line of this file (e.g. a mounted Kubernetes secret).
    File(PathBuf),
}

impl PinSource {
    /// Reads the PIN.
    pub fn read(&self) -> Result<Pin, Pkcs11Error> {
        let text = match self {
            PinSource::Env(name) => std::env::var(name)
                .map_err(|e| Pkcs11Error::Pin(format!("environment variable {name}: {e}")))?,
            PinSource::File(path) => {
                let size = std::fs::metadata(path)
                    .map_err(|e| Pkcs11Error::Pin(format!("{}: {e}", path.display())))?
                    .len();
                if size > MAX_PIN_FILE {
                    let why = format!("{}: {size} bytes is not a PIN file", path.display());
                    return Err(Pkcs11Error::Pin(why));
                }
                std::fs::read_to_string(path)
                    .map_err(|e| Pkcs11Error::Pin(format!("{}: {e}", path.display())))?
            }
        };
        let pin = text.lines().next().unwrap_or("").trim_end_matches('\r');
        if pin.is_empty() {
            return Err(Pkcs11Error::Pin(format!("{self:?} holds an empty PIN")));
        }
        Ok(Pin::new(pin))
    }
}

/// A token PIN. Its `Debug` form does not show it.
#[derive(Clone)]
pub struct Pin(String);

impl Pin {
    /// A PIN from its text (for tests and embedders that hold it already).
    pub fn new(pin: impl Into<String>) -> Self {
        Pin(pin.into())
    }

    pub(crate) fn auth(&self) -> AuthPin {
        AuthPin::from(self.0.clone())
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes before the memory is freed.
        let len = self.0.len();
        self.0.clear();
        self.0.extend(std::iter::repeat_n('\0', len));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_is_read_from_a_file_and_never_printed() {
        let dir = tempfile_dir();
        let path = dir.join("pin");
        std::fs::write(&path, "123456\nrest").expect("write");
        let pin = PinSource::File(path.clone()).read().expect("pin");
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
        assert_eq!(pin.0, "123456");
        std::fs::write(&path, "\n").expect("write");
        assert!(matches!(
            PinSource::File(path).read(),
            Err(Pkcs11Error::Pin(_))
        ));
        let missing = PinSource::Env("OID4VCI_PKCS11_NO_SUCH_VARIABLE".into()).read();
        assert!(matches!(missing, Err(Pkcs11Error::Pin(_))));
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("oid4vci-pin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }
}
