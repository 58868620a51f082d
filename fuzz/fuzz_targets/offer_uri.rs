#![no_main]
// Entry point shared with the corpus replay test: oid4vci_fuzzing::messages::offer_uri.
libfuzzer_sys::fuzz_target!(|data: &[u8]| oid4vci_fuzzing::messages::offer_uri(data));
