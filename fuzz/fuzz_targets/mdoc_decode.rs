#![no_main]
//! Fuzz target `mdoc_decode`: see `oid4vci_fuzzing::credentials::mdoc_decode` (also replayed by the stable corpus test).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oid4vci_fuzzing::credentials::mdoc_decode(data));
