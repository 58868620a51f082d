//! The emulated wallet of the mirrored OIDF modules: wallet attestation from a wallet provider
//! (x5c chain to the anchor `oid4vci serve --trust-wallet-provider` trusts), DPoP with the
//! server's nonces, PAR with PKCE, the login page, the token endpoint, key proofs carrying a key
//! attestation, encrypted requests and responses, notifications.

use super::https::{Https, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer_testkit::TestWallet;
pub use oid4vci_issuer_testkit::WalletProvider as Provider;
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::time::{SystemTime, UNIX_EPOCH};

pub const REDIRECT: &str = "https://wallet.example.com/cb";
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const KEY_STORAGE: &str = "iso_18045_high";

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// What a client sends to authenticate itself: the attestation and its proof of possession.
#[derive(Clone)]
pub struct Attestation {
    pub jwt: String,
    pub pop: String,
}

/// One wallet instance (one OAuth client).
pub struct Wallet<'a> {
    pub https: &'a Https,
    pub issuer: String,
    provider: &'a Provider,
    attester: &'a TestWallet,
    pub client_id: String,
    /// The key the wallet attestation binds (signs the PoP).
    pub instance: TestWallet,
    /// The DPoP key.
    pub dpop: TestWallet,
    dpop_nonce: RefCell<Option<String>>,
    /// Headers added to every request from now on.
    pub extra_headers: RefCell<Vec<(String, String)>>,
    /// Seconds added to the `iat` of DPoP proofs (clock skew modules).
    pub dpop_iat_offset: Cell<i64>,
}

impl<'a> Wallet<'a> {
    pub fn new(
        https: &'a Https,
        issuer: &str,
        provider: &'a Provider,
        attester: &'a TestWallet,
        client_id: &str,
    ) -> Wallet<'a> {
        Wallet {
            https,
            issuer: issuer.to_owned(),
            provider,
            attester,
            client_id: client_id.to_owned(),
            instance: TestWallet::new(),
            dpop: TestWallet::new(),
            dpop_nonce: RefCell::new(None),
            extra_headers: RefCell::new(Vec::new()),
            dpop_iat_offset: Cell::new(0),
        }
    }

    /// The attestation claims this wallet's provider signs.
    pub fn attestation_claims(&self) -> Value {
        json!({"iss": "https://wallet-provider.example.com", "sub": self.client_id,
            "iat": now(), "exp": now() + 3600, "cnf": {"jwk": self.instance.public_jwk()}})
    }

    /// The PoP claims for audience `aud`.
    pub fn pop_claims(&self, aud: &str) -> Value {
        let mut jti = [0u8; 12];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut jti);
        json!({"iss": self.client_id, "aud": aud, "jti": URL_SAFE_NO_PAD.encode(jti), "iat": now()})
    }

    pub fn sign_pop(&self, signer: &TestWallet, claims: &Value) -> String {
        signer.sign(
            &json!({"typ": "oauth-client-attestation-pop+jwt", "alg": "ES256"}),
            claims,
        )
    }

    /// A valid attestation for the authorization server.
    pub fn attestation(&self) -> Attestation {
        Attestation {
            jwt: self.provider.attest(&self.attestation_claims()),
            pop: self.sign_pop(&self.instance, &self.pop_claims(&self.issuer)),
        }
    }

    /// POST `path` with a DPoP proof (and `ath` for `access_token`), retrying once with the
    /// server's nonce when it asks for one (RFC 9449 §8, §9); remembers the next nonce.
    pub fn post_dpop(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        access_token: Option<&str>,
    ) -> Response {
        let url = format!("{}{path}", self.issuer);
        let mut answer = None;
        for _ in 0..2 {
            let nonce = self.dpop_nonce.borrow().clone();
            let iat = now().saturating_add_signed(self.dpop_iat_offset.get());
            let proof = self
                .dpop
                .dpop_proof_with_nonce(&url, access_token, iat, nonce.as_deref());
            let extra = self.extra_headers.borrow();
            let mut all: Vec<(&str, &str)> = headers.to_vec();
            all.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            all.push(("DPoP", &proof));
            let response = self.https.request("POST", path, &all, body);
            if let Some(next) = response.header("DPoP-Nonce") {
                *self.dpop_nonce.borrow_mut() = Some(next.to_owned());
            }
            let retry = response.error() == "use_dpop_nonce"
                || response
                    .header("WWW-Authenticate")
                    .is_some_and(|w| w.contains("use_dpop_nonce"));
            answer = Some(response);
            if !retry {
                break;
            }
        }
        answer.expect("an answer")
    }

    /// POST the form `body` to `path` with `attestation` and the DPoP proof `dpop` exactly as
    /// given (`None`: no DPoP header), without the nonce retry: for modules that build the proof
    /// themselves or send none.
    pub fn post_form_raw(
        &self,
        path: &str,
        body: &str,
        attestation: &Attestation,
        dpop: Option<&str>,
    ) -> Response {
        let mut headers = vec![
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("OAuth-Client-Attestation", attestation.jwt.as_str()),
            ("OAuth-Client-Attestation-PoP", attestation.pop.as_str()),
        ];
        if let Some(proof) = dpop {
            headers.push(("DPoP", proof));
        }
        self.https.request("POST", path, &headers, body.as_bytes())
    }

    /// The server's latest DPoP nonce, if it gave one.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.dpop_nonce.borrow().clone()
    }

    /// The header and claims of a DPoP proof for `POST path` (with `ath` for `token`), to be
    /// altered and signed by a module.
    pub fn dpop_parts(&self, path: &str, token: Option<&str>) -> (Value, Value) {
        let mut jti = [0u8; 12];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut jti);
        let mut claims = json!({"htm": "POST", "htu": format!("{}{path}", self.issuer),
            "iat": now(), "jti": URL_SAFE_NO_PAD.encode(jti)});
        if let Some(t) = token {
            claims["ath"] = json!(oid4vci_issuer::dpop::access_token_hash(t));
        }
        if let Some(n) = self.dpop_nonce() {
            claims["nonce"] = json!(n);
        }
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.dpop.public_jwk()});
        (header, claims)
    }

    /// A pushed authorization request with `params` (PKCE, redirect, client id added).
    pub fn par(&self, params: &[(&str, &str)], attestation: Option<&Attestation>) -> Response {
        let mut all = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("state", "conformance-state"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        // A module's parameters replace the defaults; "" leaves one out.
        for (k, v) in params {
            all.retain(|(name, _)| name != k);
            if !v.is_empty() {
                all.push((k, v));
            }
        }
        let body = form(&all);
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(a) = attestation {
            headers.push(("OAuth-Client-Attestation", &a.jwt));
            headers.push(("OAuth-Client-Attestation-PoP", &a.pop));
        }
        self.post_dpop("/par", &headers, body.as_bytes(), None)
    }

    /// The login page for `request_uri`, signed in and approved: the authorization code (the
    /// redirect's `iss` checked, RFC 9207).
    pub fn authorize(&self, request_uri: &str) -> Result<String, String> {
        let params = self.decide(request_uri, "approve")?;
        expect_eq(
            params.get("state").map(String::as_str),
            Some("conformance-state"),
            "state",
        )?;
        params
            .get("code")
            .cloned()
            .ok_or(format!("no code: {params:?}"))
    }

    /// The login page for `request_uri`, and the user's `action` (`approve`, signed in, or
    /// `deny`): the redirect's parameters (its `iss` checked, RFC 9207).
    pub fn decide(
        &self,
        request_uri: &str,
        action: &str,
    ) -> Result<std::collections::HashMap<String, String>, String> {
        self.decide_with(request_uri, action, &[])
    }

    /// [`Wallet::decide`] with `extra` parameters on the authorization endpoint URL.
    pub fn decide_with(
        &self,
        request_uri: &str,
        action: &str,
        extra: &[(&str, &str)],
    ) -> Result<std::collections::HashMap<String, String>, String> {
        let mut params = vec![
            ("client_id", self.client_id.as_str()),
            ("request_uri", request_uri),
        ];
        params.extend_from_slice(extra);
        let query = form(&params);
        let page = self
            .https
            .request("GET", &format!("/authorize?{query}"), &[], b"");
        if page.status != 200 {
            return Err(format!("login page: {} {}", page.status, page.text()));
        }
        let html = page.text();
        let field = |name: &str| -> Result<String, String> {
            let marker = format!("name=\"{name}\" value=\"");
            let start = html.find(&marker).ok_or(format!("no {name} field"))? + marker.len();
            let end = html[start..].find('"').ok_or("unterminated field")? + start;
            Ok(html[start..end].to_owned())
        };
        let body = form(&[
            ("request_uri", &field("request_uri")?),
            ("form_token", &field("form_token")?),
            ("username", "erika"),
            ("password", "mustermann"),
            ("action", action),
        ]);
        let done = self.https.request(
            "POST",
            "/authorize",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        );
        let location = done.header("Location").ok_or(format!(
            "no redirect: {} {}",
            done.status,
            done.text()
        ))?;
        let query = location
            .strip_prefix(&format!("{REDIRECT}?"))
            .ok_or(format!("redirect elsewhere: {location}"))?;
        let params: std::collections::HashMap<String, String> =
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
        expect_eq(
            params.get("iss").map(String::as_str),
            Some(self.issuer.as_str()),
            "iss",
        )?;
        Ok(params)
    }

    /// The token endpoint with `grant` parameters.
    pub fn token(&self, grant: &[(&str, &str)], attestation: Option<&Attestation>) -> Response {
        let mut all: Vec<(&str, &str)> = grant.to_vec();
        all.push(("client_id", &self.client_id));
        let body = form(&all);
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(a) = attestation {
            headers.push(("OAuth-Client-Attestation", &a.jwt));
            headers.push(("OAuth-Client-Attestation-PoP", &a.pop));
        }
        self.post_dpop("/token", &headers, body.as_bytes(), None)
    }

    /// Exchanges an authorization code.
    pub fn redeem_code(&self, code: &str) -> Response {
        self.token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", VERIFIER),
                ("redirect_uri", REDIRECT),
            ],
            Some(&self.attestation()),
        )
    }

    /// A fresh `c_nonce`.
    pub fn c_nonce(&self) -> String {
        let answer = self.https.request("POST", "/nonce", &[], b"");
        answer.json()["c_nonce"]
            .as_str()
            .expect("c_nonce")
            .to_owned()
    }

    /// A key attestation of `keys` by the trusted attester for `nonce`.
    pub fn key_attestation(&self, keys: &[&TestWallet], nonce: &str) -> String {
        let attested: Vec<Value> = keys.iter().map(|k| k.public_jwk()).collect();
        self.attester.sign(
            &json!({"typ": "key-attestation+jwt", "alg": "ES256", "kid": "conformance-attester"}),
            &json!({"iss": "https://wallet-provider.example.com", "iat": now(), "exp": now() + 600,
                "attested_keys": attested, "key_storage": [KEY_STORAGE], "nonce": nonce}),
        )
    }

    /// A `jwt` proof by `key` for `nonce`, carrying a key attestation of `key`.
    pub fn proof(&self, key: &TestWallet, nonce: &str) -> String {
        let header = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": key.public_jwk(),
            "key_attestation": self.key_attestation(&[key], nonce)});
        key.sign(
            &header,
            &json!({"iss": self.client_id, "aud": self.issuer, "iat": now(), "nonce": nonce}),
        )
    }

    /// A credential request with `body` under `token` (JSON, or a compact JWE to `encrypt_to`).
    pub fn credential(&self, token: &str, body: &Value, encrypt_to: Option<&Value>) -> Response {
        let auth = format!("DPoP {token}");
        match encrypt_to {
            None => self.post_dpop(
                "/credential",
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                body.to_string().as_bytes(),
                Some(token),
            ),
            Some(key) => {
                let jwe = encrypt(key, &body.to_string());
                self.post_dpop(
                    "/credential",
                    &[
                        ("Authorization", &auth),
                        ("Content-Type", "application/jwt"),
                    ],
                    jwe.as_bytes(),
                    Some(token),
                )
            }
        }
    }

    /// A notification.
    pub fn notify(&self, token: &str, body: &Value) -> Response {
        let auth = format!("DPoP {token}");
        self.post_dpop(
            "/notification",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
            Some(token),
        )
    }
}

pub fn expect_eq<T: PartialEq + std::fmt::Debug>(
    found: T,
    expected: T,
    what: &str,
) -> Result<(), String> {
    if found == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, found {found:?}"))
    }
}

/// Encrypts `plaintext` to the issuer's request key (`ECDH-ES`, `A128GCM`).
pub fn encrypt(key: &Value, plaintext: &str) -> String {
    let jwk = josekit::jwk::Jwk::from_map(key.as_object().expect("jwk").clone()).expect("jwk");
    let encrypter = josekit::jwe::ECDH_ES
        .encrypter_from_jwk(&jwk)
        .expect("encrypter");
    let mut header = josekit::jwe::JweHeader::new();
    header.set_content_encryption("A128GCM");
    if let Some(kid) = jwk.key_id() {
        header.set_key_id(kid);
    }
    josekit::jwe::serialize_compact(plaintext.as_bytes(), &header, &encrypter).expect("encrypt")
}

/// A key for encrypted responses: the private JWK and the public one to send.
pub struct ResponseKey {
    private: josekit::jwk::Jwk,
    pub public: Value,
}

impl ResponseKey {
    pub fn new() -> ResponseKey {
        let private =
            josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).expect("key");
        let mut public = private.to_public_key().expect("public");
        public.set_algorithm("ECDH-ES");
        public.set_key_id("conformance-response-key");
        ResponseKey {
            public: serde_json::from_str(&public.to_string()).expect("json"),
            private,
        }
    }

    /// Opens an encrypted response: the JSON inside and the protected header.
    pub fn open(&self, jwe: &[u8]) -> Result<(Value, Value), String> {
        let decrypter = josekit::jwe::ECDH_ES
            .decrypter_from_jwk(&self.private)
            .map_err(|e| e.to_string())?;
        let jwe = std::str::from_utf8(jwe).map_err(|e| e.to_string())?;
        let (plaintext, header) = josekit::jwe::deserialize_compact(jwe, &decrypter)
            .map_err(|e| format!("the response does not decrypt: {e}"))?;
        let json = serde_json::from_slice(&plaintext).map_err(|e| e.to_string())?;
        let header = serde_json::from_str(&header.to_string()).map_err(|e| e.to_string())?;
        Ok((json, header))
    }
}
