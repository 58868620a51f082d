//! Writes the seed inputs of every fuzz target into `fuzz/corpus/<target>/seed-<n>`: valid
//! messages of each kind, so that fuzzing starts from inputs that reach deep into the checks.
//! `cargo run -p oid4vci-fuzzing --example seeds` (idempotent but for the minted credentials of
//! `sd_jwt_decode` and `mdoc_decode`; the fuzzers add their finds beside them, minimised with
//! `cargo fuzz cmin`).

use oid4vci_fuzzing::http::{metadata, par_body, provider_key, CLIENT, CONFIG, ISSUER, T0};
use oid4vci_issuer_testkit::TestWallet;
use serde_json::json;
use std::path::Path;

fn main() -> std::io::Result<()> {
    let wallet = TestWallet::new();
    let proof = wallet.proof(ISSUER, Some("nonce"), T0);
    let offer = json!({"credential_issuer": ISSUER, "credential_configuration_ids": [CONFIG],
        "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code":
            {"pre-authorized_code": "code", "tx_code": {"length": 4, "input_mode": "numeric"}}}});
    let offer_uri = format!(
        "openid-credential-offer://?credential_offer={}",
        form_encode(&offer.to_string())
    );
    let details = json!([{"type": "openid_credential", "credential_configuration_id": CONFIG}]);
    let instance = TestWallet::new();
    let attestation = provider_key().sign(
        &json!({"typ": "oauth-client-attestation+jwt", "alg": "ES256"}),
        &json!({"iss": "https://provider.example", "sub": CLIENT, "exp": T0 + 3600,
                "cnf": {"jwk": instance.public_jwk()}}),
    );
    let pop = instance.sign(
        &json!({"typ": "oauth-client-attestation-pop+jwt", "alg": "ES256"}),
        &json!({"iss": CLIENT, "aud": ISSUER, "jti": "j1", "iat": T0}),
    );
    let epk = TestWallet::new().public_jwk();
    let jwe_header = json!({"alg": "ECDH-ES", "enc": "A128GCM", "epk": epk, "kid": "k"});
    let jwe = format!(
        "{}..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        b64(jwe_header.to_string().as_bytes())
    );
    // Minted with keys made for this run: these two targets' seeds differ from run to run.
    let (sd_jwts, mdocs) = oid4vci_fuzzing::claims::minted_samples();
    let seeds: Vec<(&str, Vec<String>)> = vec![
        ("sd_jwt_decode", sd_jwts),
        ("mdoc_decode", mdocs),
        ("form", vec!["a=1&b=%20x&c=".into(), "x=%E2%82%AC&x=2".into()]),
        ("token_form", vec![
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=abc&tx_code=1234".into(),
            "grant_type=authorization_code&code=c&code_verifier=v&redirect_uri=https%3A%2F%2Fw.example%2Fcb&client_id=w".into(),
            format!("grant_type=refresh_token&refresh_token=r&authorization_details={}", form_encode(&details.to_string())),
        ]),
        ("credential_request", vec![
            json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}}).to_string(),
            json!({"credential_identifier": "id-1", "proofs": {"jwt": [proof, proof]}}).to_string(),
            json!({"format": "vc+sd-jwt", "vct": CONFIG, "proof": {"proof_type": "jwt", "jwt": proof}}).to_string(),
            json!({"credential_configuration_id": CONFIG, "credential_response_encryption":
                {"jwk": epk, "enc": "A128GCM"}}).to_string(),
        ]),
        ("deferred_request", vec![json!({"transaction_id": "t-1"}).to_string()]),
        ("notification_request", vec![
            json!({"notification_id": "n-1", "event": "credential_accepted"}).to_string(),
            json!({"notification_id": "n-1", "event": "credential_failure", "event_description": "no"}).to_string(),
        ]),
        ("offer_uri", vec![
            offer_uri,
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.com%2Fo%2F1".into(),
            offer.to_string(),
        ]),
        ("issuer_metadata", vec![serde_json::to_string(&metadata()).unwrap_or_default()]),
        ("authorization_details", vec![
            details.to_string(),
            json!([{"type": "openid_credential", "format": "vc+sd-jwt", "vct": CONFIG,
                    "locations": [ISSUER]}]).to_string(),
        ]),
        ("par_form", vec![
            par_body(),
            format!("{}&authorization_details={}&issuer_state=s&dpop_jkt=abc", par_body(), form_encode(&details.to_string())),
        ]),
        ("credential_configuration", vec![
            serde_json::to_string(&oid4vci_types::CredentialConfiguration::sd_jwt_vc(CONFIG)).unwrap_or_default(),
            serde_json::to_string(&oid4vci_types::CredentialConfiguration::mso_mdoc("org.iso.18013.5.1.mDL")).unwrap_or_default(),
        ]),
        ("dpop_header", vec![wallet.dpop_proof(&format!("{ISSUER}/par"), None, T0)]),
        ("client_attestation", vec![format!("{attestation}\n{pop}")]),
        ("credential_endpoint", vec![
            json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}}).to_string(),
        ]),
        ("jwe_request", vec![jwe]),
        ("login_form", vec![
            "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc&form_token=t&username=erika&password=pw&action=approve".into(),
            "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc&form_token=t&action=deny".into(),
        ]),
        ("admin_offer", vec![
            json!({"credential_configuration_ids": [CONFIG], "claims": {"age_over_18": true}}).to_string(),
            json!({"credential_configuration_ids": [CONFIG], "claims": null, "tx_code": {"length": 4},
                   "by_reference": true}).to_string(),
            json!({"credential_configuration_ids": [CONFIG], "pre_authorized": false,
                   "authorization_code": {}, "claims": {"a": [1, 2]}}).to_string(),
        ]),
        ("admin_revoke", vec![
            json!({"reason": "lost"}).to_string(),
            json!({"credential_configuration_id": CONFIG, "claims": {"age_over_18": false}}).to_string(),
        ]),
        ("status_list_path", vec!["1".into(), "list-1/7".into(), "../1".into()]),
        ("sd_jwt_claims", vec![
            json!({"given_name": "Erika", "address": {"street_address": "Heidestr. 17"},
                   "nationalities": ["DE"], "age_over_18": true}).to_string(),
        ]),
        ("mdoc_claims", vec![
            json!({"org.iso.18013.5.1": {"family_name": "Mustermann", "age_over_18": true,
                   "birth_date": "1964-08-12", "portrait": [1, 2, 3]}}).to_string(),
            json!({"family_name": "Mustermann"}).to_string(),
        ]),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for (target, inputs) in seeds {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        for (n, input) in inputs.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{n}")), input)?;
        }
    }
    Ok(())
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
