//! Replays the checked-in cargo-fuzz corpus (fuzz/corpus/<target>/*) through the same entry
//! points the fuzz targets call, on stable Rust.

use std::path::PathBuf;

use oid4vci_proof::fuzzing;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_file() {
            run(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n > 0, "empty corpus for {target}");
    eprintln!("{target}: replayed {n} inputs");
}

#[test]
fn jws() {
    replay("jws", fuzzing::jws);
}

#[test]
fn jwk() {
    replay("jwk", fuzzing::jwk);
}

#[test]
fn did_key() {
    replay("did_key", fuzzing::did_key);
}

#[test]
fn x5c() {
    replay("x5c", fuzzing::x5c);
}

#[test]
fn proof() {
    replay("proof", fuzzing::proof);
}
