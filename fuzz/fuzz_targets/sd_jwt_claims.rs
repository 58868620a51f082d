#![no_main]
// Entry point shared with the corpus replay test: oid4vci_fuzzing::claims::sd_jwt_claims.
libfuzzer_sys::fuzz_target!(|data: &[u8]| oid4vci_fuzzing::claims::sd_jwt_claims(data));
