#![no_main]
//! Fuzz target `sd_jwt_decode`: see `oid4vci_fuzzing::credentials::sd_jwt_decode` (also replayed by the stable corpus test).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oid4vci_fuzzing::credentials::sd_jwt_decode(data));
