//! [`TestAuthorizationServer`]: an external authorization server for tests, minting RFC 9068
//! JWT access tokens with its own key and publishing that key as a JWKS.

use super::TestWallet;
use serde_json::{json, Value};

/// An in-process authorization server: a P-256 key, its JWKS and a token minter.
#[derive(Clone)]
pub struct TestAuthorizationServer {
    /// Its issuer identifier.
    pub issuer: String,
    key: TestWallet,
}

impl std::fmt::Debug for TestAuthorizationServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAuthorizationServer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl TestAuthorizationServer {
    /// A server with a fresh key.
    pub fn new(issuer: &str) -> Self {
        TestAuthorizationServer {
            issuer: issuer.to_owned(),
            key: TestWallet::new(),
        }
    }

    /// `{"keys": [its public key, kid "as-key-1"]}`.
    pub fn jwks(&self) -> Value {
        let mut jwk = self.key.public_jwk();
        jwk["kid"] = json!("as-key-1");
        jwk["use"] = json!("sig");
        json!({ "keys": [jwk] })
    }

    /// The claims of a valid token for `audience` at `now`: `iss`, `aud`, `sub`, `client_id`,
    /// `iat`, `exp` (+300 s), `jti`, and `extra` merged over them.
    pub fn claims(&self, audience: &str, now: u64, extra: Value) -> Value {
        let mut claims = json!({
            "iss": self.issuer, "aud": audience, "sub": "erika", "client_id": "wallet-1",
            "iat": now, "exp": now + 300, "jti": format!("at-{now}-{}", rand_suffix()),
        });
        if let (Some(map), Value::Object(more)) = (claims.as_object_mut(), extra) {
            map.extend(more);
        }
        claims
    }

    /// Signs `claims` as an access token with header `typ` (normally `at+jwt`).
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        self.key.sign(
            &json!({"typ": typ, "alg": "ES256", "kid": "as-key-1"}),
            claims,
        )
    }
}

fn rand_suffix() -> String {
    oid4vci_issuer::random_token(&oid4vci_issuer::OsSecretSource, 8)
}
