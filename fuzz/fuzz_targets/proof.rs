#![no_main]
//! Fuzz target `proof`: see `oid4vci_proof::fuzzing::proof` (also replayed by the stable corpus test).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oid4vci_proof::fuzzing::proof(data));
