//! `docs/conformance.md`, written by a full run: module → test → variant → result.

use std::fmt::Write;

/// One module run.
pub struct Row {
    pub plan: &'static str,
    pub module: &'static str,
    pub test: &'static str,
    pub variant: String,
    pub outcome: Result<(), String>,
}

const HEADER: &str = "# The OIDF issuer test plans, mirrored

Written by `cargo test -p oid4vci-cli --test conformance` (the suite is
`crates/oid4vci-cli/tests/conformance/`); do not edit by hand. Each OIDF module of
`oid4vci-1_0-issuer-haip-test-plan` — its OID4VCI modules, and the FAPI 2.0 Security Profile
Final modules the plan selects (`vciFapi2SPFinalTestModules`: signed-request, OpenID Connect,
`private_key_jwt` and ecosystem modules excluded) — and the pre-authorized variants of
`oid4vci-1_0-issuer-test-plan`, is a function named after it that asserts what the module's
conditions assert (the FAPI modules use the credential endpoint as the protected resource), run against `oid4vci serve --profile haip --tls-self-signed` with a wallet
provider anchor (`--trust-wallet-provider`) and a trusted key attester requiring
`key_storage` `iso_18045_high` (`[proofs]`). The wallet is emulated: wallet attestation with
its proof of possession at PAR and the token endpoint, DPoP with the server's nonces, PKCE,
the login page, key proofs carrying a key attestation, encrypted requests and responses.

Choices where the modules and the specification leave room:

- **Multiple clients, issuer-initiated**: an `issuer_state` may be presented by more than one
  client until its offer expires (OID4VCI 1.0 §4.1.1 and §5.1.3 neither require nor forbid single
  use; the module presents it twice). The first authorization runs on the offer's session, each
  later one on a copy of the offer, linked from the offer's log (`offer_reused`).
- **`zip`**: responses are deflated when asked (`zip_values_supported: [\"DEF\"]` for responses);
  requests are never inflated (no `zip_values_supported` for requests).
- **`request_uri` reuse**: loading the login page again before the user decides serves a fresh
  form (FAPI 2.0 SP §5.3.2.2 note 3); the decision uses the request up.
- **Batch time claims**: `iat` rounded down and `exp` up to the hour (SD-JWT), MSO `signed` and
  `validFrom` down and `validUntil` up; the module classes hour-aligned values as rounded.

| Plan | Module | Test | Variant | Result |
|---|---|---|---|---|
";

/// Writes `docs/conformance.md`; `false` when the committed file said something else (the new
/// one is written all the same, to be committed).
pub fn write(rows: &[Row]) -> bool {
    let mut out = HEADER.to_owned();
    for r in rows {
        let result = match &r.outcome {
            Ok(()) => "pass".to_owned(),
            Err(e) => format!("**fail**: {}", e.replace('|', "\\|").replace('\n', " ")),
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | `{}` | {} | {result} |",
            r.plan, r.module, r.test, r.variant
        );
    }
    let passed = rows.iter().filter(|r| r.outcome.is_ok()).count();
    let _ = writeln!(out, "\n{passed} of {} module runs pass.", rows.len());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/conformance.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == out {
        return true;
    }
    std::fs::write(path, out).expect("write docs/conformance.md");
    false
}
