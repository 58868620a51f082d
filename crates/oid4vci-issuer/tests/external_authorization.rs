//! External authorization server mode: RFC 9068 JWT access tokens of a trusted authorization
//! server (a test server with its own key and JWKS) are accepted at the credential endpoint;
//! every way a token can be wrong is refused with `invalid_token`.

use oid4vci_authorization::DemoUser;
use oid4vci_issuer::JwtAccessTokenVerifier;
use oid4vci_issuer::{HttpFacts, Issuer, MemoryStore};
use oid4vci_issuer_testkit::{flows, TestAuthorizationServer, TestWallet};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialRequest, CredentialSelector, ErrorCode, Proofs};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const AS: &str = "https://login.example.com/realms/wallets";

fn issuer(server: &TestAuthorizationServer) -> Issuer<MemoryStore, SdJwtVcMinter> {
    let (base, _clock) = flows::scenario_issuer(MemoryStore::new());
    let verifier =
        JwtAccessTokenVerifier::from_jwks(AS, flows::ISSUER, &server.jwks()).expect("verifier");
    let claims = BTreeMap::from([(flows::CONFIG.to_owned(), json!({"age_over_18": true}))]);
    base.with_external_authorization_server(
        Arc::new(verifier),
        Arc::new(DemoUser::new("erika", "unused", claims)),
    )
}

fn request(
    issuer: &Issuer<MemoryStore, SdJwtVcMinter>,
    selector: CredentialSelector,
) -> CredentialRequest {
    let proof = TestWallet::new().proof(flows::ISSUER, Some(&issuer.nonce().c_nonce), flows::T0);
    CredentialRequest {
        credential: selector,
        proofs: Some(Proofs::Jwt(vec![proof])),
        credential_response_encryption: None,
        extra: Default::default(),
    }
}

fn by_config(issuer: &Issuer<MemoryStore, SdJwtVcMinter>) -> CredentialRequest {
    request(
        issuer,
        CredentialSelector::ConfigurationId(flows::CONFIG.into()),
    )
}

#[test]
fn a_valid_external_token_issues_a_credential() {
    pollster::block_on(async {
        let server = TestAuthorizationServer::new(AS);
        let issuer = issuer(&server);
        assert_eq!(
            issuer.metadata().authorization_servers,
            Some(vec![AS.to_owned()])
        );
        let token = server.sign(
            "at+jwt",
            &server.claims(flows::ISSUER, flows::T0, json!({"scope": "openid age"})),
        );
        // Without a scope mapping the token grants nothing of this issuer.
        let refused = issuer
            .credential(by_config(&issuer), HttpFacts::bearer(&token))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::InsufficientScope);

        let details = json!({"authorization_details": [{"type": "openid_credential",
            "credential_configuration_id": flows::CONFIG}]});
        let token = server.sign("at+jwt", &server.claims(flows::ISSUER, flows::T0, details));
        let issued = issuer
            .credential(by_config(&issuer), HttpFacts::bearer(&token))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("credential");
        assert_eq!(issued.credentials.as_ref().map(Vec::len), Some(1));
        // The same token again: its session is found, not created twice.
        issuer
            .credential(by_config(&issuer), HttpFacts::bearer(&token))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("second credential with the same token");
    });
}

#[test]
fn credential_identifiers_from_the_authorization_server_are_honoured() {
    pollster::block_on(async {
        let server = TestAuthorizationServer::new(AS);
        let issuer = issuer(&server);
        let details = json!({"authorization_details": [{"type": "openid_credential",
            "credential_configuration_id": flows::CONFIG, "credential_identifiers": ["av-1"]}]});
        let token = server.sign("at+jwt", &server.claims(flows::ISSUER, flows::T0, details));
        let unknown = issuer
            .credential(
                request(&issuer, CredentialSelector::Identifier("other".into())),
                HttpFacts::bearer(&token),
            )
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err();
        assert_eq!(unknown.error_code(), ErrorCode::UnknownCredentialIdentifier);
        issuer
            .credential(
                request(&issuer, CredentialSelector::Identifier("av-1".into())),
                HttpFacts::bearer(&token),
            )
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("credential by identifier");
    });
}

#[test]
fn every_wrong_external_token_is_invalid_token() {
    pollster::block_on(async {
        let server = TestAuthorizationServer::new(AS);
        let issuer = issuer(&server);
        let t0 = flows::T0;
        let scope = json!({"authorization_details": [{"type": "openid_credential",
            "credential_configuration_id": flows::CONFIG}]});
        let with = |extra: Value| {
            let mut c = server.claims(flows::ISSUER, t0, scope.clone());
            if let (Some(map), Value::Object(more)) = (c.as_object_mut(), extra) {
                map.extend(more);
            }
            c
        };
        let mut no_sub = with(json!({}));
        no_sub.as_object_mut().map(|m| m.remove("sub"));
        let cases: Vec<(&str, String)> = vec![
            ("wrong typ", server.sign("JWT", &with(json!({})))),
            (
                "wrong aud",
                server.sign("at+jwt", &with(json!({"aud": "https://other.example"}))),
            ),
            (
                "wrong iss",
                server.sign("at+jwt", &with(json!({"iss": "https://evil.example"}))),
            ),
            (
                "expired",
                server.sign("at+jwt", &with(json!({"exp": t0 - 1}))),
            ),
            ("no sub", server.sign("at+jwt", &no_sub)),
            (
                "other key",
                TestAuthorizationServer::new(AS).sign("at+jwt", &with(json!({}))),
            ),
            ("not a JWT", "opaque-token-value".to_owned()),
        ];
        for (what, token) in cases {
            let err = issuer
                .credential(by_config(&issuer), HttpFacts::bearer(&token))
                .await
                .map(|r| r.into_json().expect("a plain response"))
                .unwrap_err();
            assert_eq!(err.error_code(), ErrorCode::InvalidToken, "{what}: {err:?}");
            assert!(
                err.to_error_response()
                    .error_description
                    .as_deref()
                    .is_some_and(|d| d.starts_with("access token refused")),
                "{what}: refused by the verifier, not before: {err:?}"
            );
        }
    });
}

#[test]
fn a_cnf_jkt_token_needs_dpop_by_that_key() {
    pollster::block_on(async {
        let server = TestAuthorizationServer::new(AS);
        let issuer = issuer(&server);
        let wallet = TestWallet::new();
        let jkt = oid4vci_proof::jws::b64url_encode(&{
            use sha2::Digest;
            let jwk = wallet.public_jwk();
            let canonical = format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                jwk["x"].as_str().expect("x"),
                jwk["y"].as_str().expect("y")
            );
            sha2::Sha256::digest(canonical.as_bytes())
        });
        let claims = server.claims(
            flows::ISSUER,
            flows::T0,
            json!({"cnf": {"jkt": jkt}, "authorization_details": [{"type": "openid_credential",
                "credential_configuration_id": flows::CONFIG}]}),
        );
        let token = server.sign("at+jwt", &claims);
        let bearer = issuer
            .credential(by_config(&issuer), HttpFacts::bearer(&token))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err();
        assert_eq!(
            bearer.error_code(),
            ErrorCode::InvalidToken,
            "a DPoP-bound token sent as Bearer"
        );
        let endpoint = issuer.metadata().credential_endpoint.clone();
        let proof = wallet.dpop_proof(&endpoint, Some(&token), flows::T0);
        issuer
            .credential(by_config(&issuer), HttpFacts::dpop(&token, &proof))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("DPoP-bound credential request");
    });
}
