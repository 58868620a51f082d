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

/// Differential check of the two crypto backends over the corpus: the verdict on every input
/// of the proof, JWK, DID and certificate targets is the line recorded in `fuzz/verdicts.txt`.
/// This test runs in both backends' suites (CI runs this crate's tests with `aws-lc-rs` and
/// with `rustcrypto`), so a backend that disagrees on any input fails here.
/// `UPDATE_VERDICTS=1` rewrites the file (after a corpus change; review the diff).
#[test]
fn both_backends_give_the_recorded_verdicts() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut lines = Vec::new();
    for target in ["proof", "jwk", "did_key", "x5c"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("corpus").join(target))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let verdict = fuzzing::verdict(target, &std::fs::read(&path).unwrap());
            lines.push(format!("{target}/{name}: {verdict}"));
        }
    }
    let text = lines.join("\n") + "\n";
    let recorded = root.join("verdicts.txt");
    if std::env::var_os("UPDATE_VERDICTS").is_some() {
        std::fs::write(&recorded, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&recorded).unwrap_or_default();
    let differ: Vec<(&str, &str)> = expected
        .lines()
        .zip(text.lines())
        .filter(|(a, b)| a != b)
        .take(5)
        .collect();
    assert!(
        expected == text,
        "verdicts differ from fuzz/verdicts.txt ({} recorded, {} now); first differences \
         (recorded, now): {differ:#?}",
        expected.lines().count(),
        text.lines().count()
    );
}
