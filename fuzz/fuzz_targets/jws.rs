#![no_main]
//! Fuzz target `jws`: see `oid4vci_proof::fuzzing::jws` (also replayed by the stable corpus test).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oid4vci_proof::fuzzing::jws(data));
