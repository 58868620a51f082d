//! The demo issuer's credential request encryption key: created on first start beside the issuer
//! keys (`<keys file>.enc.json`, a private JWK Set), never overwritten, loaded on restart — so
//! wallets that cached the metadata can still encrypt to it.

use oid4vci_jwe::JweEncryption;
use std::path::{Path, PathBuf};

/// Where the encryption keys of `keys_file` live.
pub fn path_for(keys_file: &Path) -> PathBuf {
    keys_file.with_extension("enc.json")
}

/// Loads the keys at `path`, or creates and stores new ones when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<JweEncryption, String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let jwks: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| format!("{}: not a JWK Set: {e}", path.display()))?;
            JweEncryption::from_private_jwks(&jwks).map_err(|e| format!("{}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let created = JweEncryption::generate().map_err(|e| e.to_string())?;
            let text =
                serde_json::to_vec_pretty(&created.private_jwks()).map_err(|e| e.to_string())?;
            // Two instances starting together never overwrite each other's key, and the loser
            // never reads a half-written file: it reads the winner's, whole.
            if crate::serve_keys::create_once(path, &text)? {
                Ok(created)
            } else {
                load_or_create(path)
            }
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oid4vci_issuer::MessageEncryption;

    #[test]
    fn the_key_is_created_once_and_then_loaded() {
        let dir = tempfile::tempdir().expect("dir");
        let path = path_for(&dir.path().join("issuer.keys"));
        let first = load_or_create(&path).expect("created");
        let second = load_or_create(&path).expect("loaded");
        assert_eq!(first.request_metadata(), second.request_metadata());
        std::fs::write(&path, b"garbage").expect("write");
        assert!(
            load_or_create(&path).is_err(),
            "a broken key file is an error, not replaced"
        );
    }
}
