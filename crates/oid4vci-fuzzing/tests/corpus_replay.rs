//! Replays the committed cargo-fuzz corpus (`fuzz/corpus/<target>/*`: seeds, finds and the
//! inputs of past crashes) through the same entry points the fuzz targets call: every target
//! has a corpus, and nothing in it panics.

use std::path::Path;

#[test]
fn every_target_replays_its_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut total = 0;
    for (target, run) in oid4vci_fuzzing::TARGETS {
        let dir = root.join(target);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("no corpus for {target} at {}: {e}", dir.display()));
        let mut n = 0;
        for entry in entries {
            let path = entry.expect("corpus entry").path();
            let data = std::fs::read(&path).expect("corpus file");
            run(&data);
            n += 1;
        }
        assert!(n > 0, "empty corpus for {target}");
        total += n;
    }
    assert!(total >= oid4vci_fuzzing::TARGETS.len());
}
