//! The issuer's keys file (`--keys FILE`): an ES256 signing key and the 32-byte server key, as
//! `{"signing_key": "<hex>", "server_key": "<hex>"}`. Created on first start when missing and never
//! overwritten. Creation is race-safe: the keys are written to a private temporary file that is
//! then hard-linked into place, which fails if the file already exists, so when several instances
//! start together exactly one file appears, whole, and every instance uses it.

use oid4vci_proof::{Alg, SigningKey};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// The signing key and the server key.
pub type Keys = (SigningKey, [u8; 32]);

fn parse(path: &Path, text: &str) -> Result<Keys, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
    let field = |name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{}: no {name}", path.display()))
            .and_then(|s| hex::decode(s).map_err(|e| format!("{}: {name}: {e}", path.display())))
    };
    let key = SigningKey::from_raw(Alg::Es256, &field("signing_key")?)
        .map_err(|e| format!("{}: bad signing key: {e}", path.display()))?;
    let server: [u8; 32] = field("server_key")?
        .try_into()
        .map_err(|_| format!("{}: the server key must be 32 bytes", path.display()))?;
    Ok((key, server))
}

/// Loads the keys at `path`, creating them when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<Keys, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => return parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let key = SigningKey::generate(Alg::Es256).map_err(|e| e.to_string())?;
    let raw = key.to_raw().map_err(|e| e.to_string())?;
    let mut server = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut server);
    let text =
        json!({"signing_key": hex::encode(raw), "server_key": hex::encode(server)}).to_string();
    if create_once(path, text.as_bytes())? {
        Ok((key, server))
    } else {
        // Another instance won the race: use its keys.
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        parse(path, &text)
    }
}

/// Creates `path` with `contents` unless it exists, atomically: the bytes go to a private
/// temporary file beside it (mode 0600), which is then hard-linked into place. The link fails when
/// the file exists, so a file never appears half-written and is never overwritten. `Ok(false)`:
/// someone else created it first (read theirs).
pub fn create_once(path: &Path, contents: &[u8]) -> Result<bool, String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".oid4vci-keys-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    tmp.write_all(contents)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    match std::fs::hard_link(tmp.path(), path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_creating_the_file_at_once_all_get_the_same_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("issuer.keys");
        let servers: Vec<[u8; 32]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| load_or_create(&path).expect("keys").1))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("join"))
                .collect()
        });
        assert!(servers.windows(2).all(|w| w[0] == w[1]), "one winner");
        let files = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(files, 1, "no temporary files left behind");
        assert_eq!(load_or_create(&path).expect("again").1, servers[0]);
    }

    #[test]
    fn an_existing_file_is_never_overwritten_even_when_broken() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("issuer.keys");
        std::fs::write(&path, "not json").expect("write");
        assert!(load_or_create(&path).is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "not json");
    }
}
