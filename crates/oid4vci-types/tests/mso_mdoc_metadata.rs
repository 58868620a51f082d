//! `CredentialConfiguration::mso_mdoc` emits what the spec's Appendix A.2 metadata example has:
//! format, doctype, `cose_key` binding and COSE algorithm numbers.

use oid4vci_types::{
    AlgorithmId, CredentialConfiguration, CredentialFormat, CredentialIssuerMetadata,
};
use serde_json::Value;

fn spec_example() -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/messages/spec/1.0-final/credential_metadata_mso_mdoc.json");
    let text = std::fs::read_to_string(&path).expect("spec example");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn the_mso_mdoc_constructor_matches_the_spec_example_shape() {
    let example = &spec_example()["credential_configurations_supported"]["org.iso.18013.5.1.mDL"];
    let ours = serde_json::to_value(CredentialConfiguration::mso_mdoc("org.iso.18013.5.1.mDL"))
        .expect("serializes");
    for member in [
        "format",
        "doctype",
        "cryptographic_binding_methods_supported",
    ] {
        assert_eq!(ours[member], example[member], "{member}");
    }
    let example_algs = example["credential_signing_alg_values_supported"]
        .as_array()
        .expect("array");
    assert_eq!(
        ours["credential_signing_alg_values_supported"],
        serde_json::json!([-7])
    );
    assert!(
        example_algs.contains(&serde_json::json!(-7)),
        "ES256 is -7 in COSE"
    );
    assert_eq!(
        ours["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    let parsed: CredentialConfiguration = serde_json::from_value(ours).expect("round trip");
    assert_eq!(parsed.format, CredentialFormat::MsoMdoc);
    assert_eq!(
        parsed.credential_signing_alg_values_supported,
        Some(vec![AlgorithmId::Cose(-7)])
    );
    let mut meta = CredentialIssuerMetadata::new("https://issuer.example.com");
    meta.credential_configurations_supported
        .insert("mdl".into(), parsed);
    meta.validate().expect("valid metadata");
}
