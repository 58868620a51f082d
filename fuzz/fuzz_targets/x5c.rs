#![no_main]
//! Fuzz target `x5c`: see `oid4vci_proof::fuzzing::x5c` (also replayed by the stable corpus test).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oid4vci_proof::fuzzing::x5c(data));
