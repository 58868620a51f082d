#![no_main]
// Entry point shared with the corpus replay test: oid4vci_fuzzing::http::login_form.
libfuzzer_sys::fuzz_target!(|data: &[u8]| oid4vci_fuzzing::http::login_form(data));
