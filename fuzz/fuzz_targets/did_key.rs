#![no_main]
//! Fuzz target `did_key`: see `oid4vci_proof::fuzzing::did_key` (also replayed by the stable corpus test).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oid4vci_proof::fuzzing::did_key(data));
