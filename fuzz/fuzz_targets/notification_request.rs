#![no_main]
// Entry point shared with the corpus replay test: oid4vci_fuzzing::messages::notification_request.
libfuzzer_sys::fuzz_target!(|data: &[u8]| oid4vci_fuzzing::messages::notification_request(data));
