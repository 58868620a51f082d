//! The `--config FILE` (TOML) of `oid4vci serve`, merged with command-line flags.

use oid4vci_types::{
    ClaimDescription, CredentialConfiguration, CredentialIssuerMetadata, CredentialMetadata,
    Display,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The file's shape. Every field is optional; flags win over the file.
///
/// ```toml
/// issuer_url = "https://issuer.example.com"
/// host = "0.0.0.0"
/// port = 8443
/// db = "issuer.db"                # or: store = "postgres://issuer@db.internal/issuer"
/// keys_file = "issuer.keys"        # {"signing_key": "<hex P-256 scalar>", "server_key": "<hex 32 bytes>"}
/// admin_token = "change-me"
/// # dpop_nonce_ttl = 300             # require server-provided DPoP nonces (RFC 9449 §8)
/// # refresh_token_ttl = 86400        # refresh tokens with the authorization-code grant
/// # profile = "haip"                 # DPoP-bound tokens with nonces, wallet attestation for all
/// # issuer_key_pem = "issuer-key.pem"   # bring your own key and chain (both or neither)
/// # issuer_chain_pem = "issuer-chain.pem"
///
/// [[credential]]
/// id = "eu.europa.ec.av.1"
/// format = "mso_mdoc"              # or "dc+sd-jwt" (default, with vct)
/// doctype = "eu.europa.ec.av.1"
/// name = "Age over 18"
/// claims = ["age_over_18"]
/// example_claims = { age_over_18 = true }
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Credential Issuer Identifier.
    pub issuer_url: Option<String>,
    /// Address to bind.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// SQLite database file.
    pub db: Option<PathBuf>,
    /// PostgreSQL store URL (`postgres://…`) instead of `db`, for several instances.
    pub store: Option<String>,
    /// Key file (default `<db>.keys`, created when missing).
    pub keys_file: Option<PathBuf>,
    /// The operator's own ES256 issuer key (PEM, PKCS#8 or SEC1); needs `issuer_chain_pem`.
    pub issuer_key_pem: Option<PathBuf>,
    /// The certificate chain of `issuer_key_pem` (PEM, the key's certificate first).
    pub issuer_chain_pem: Option<PathBuf>,
    /// Admin bearer token.
    pub admin_token: Option<String>,
    /// Require server-provided DPoP nonces (RFC 9449 §8, §9), each valid this many seconds.
    pub dpop_nonce_ttl: Option<u64>,
    /// Require server-provided challenges in wallet attestation PoPs, each valid this many
    /// seconds.
    pub attestation_challenge_ttl: Option<u64>,
    /// Issue refresh tokens with the authorization-code grant, the family valid this many seconds.
    pub refresh_token_ttl: Option<u64>,
    /// `"haip"`: the HAIP 1.0 issuer profile (see `oid4vci serve --profile`).
    pub profile: Option<String>,
    /// Connection and request limits (flags win).
    pub limits: Option<crate::serve_limits::LimitsConfig>,
    /// Credential configurations (default: the two demo credentials).
    #[serde(default)]
    pub credential: Vec<CredentialEntry>,
    /// Signing keys: in-process or PKCS#11, rotation, a key per configuration
    /// (see `serve_signing`).
    #[serde(default)]
    pub signing_key: Vec<SigningKeyEntry>,
    /// `[proofs]`: what key proofs must show (trust anchors, key attesters, required key
    /// storage); see `serve_proofs`.
    #[serde(default)]
    pub proofs: Option<ProofsEntry>,
    /// The embedded authorization server (authorization code flow).
    #[serde(default)]
    pub authorization: AuthorizationEntry,
    /// An external authorization server whose JWT access tokens (RFC 9068) are accepted.
    #[serde(default)]
    pub external_authorization: Option<ExternalAuthorizationEntry>,
}

/// `[external_authorization]`: a trusted external authorization server.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalAuthorizationEntry {
    /// Its issuer identifier (the tokens' `iss`).
    pub issuer: String,
    /// A file with its JWKS (`{"keys": [...]}`); restart to pick up new keys.
    pub jwks_file: PathBuf,
}

/// `[authorization]`: the demo user who signs in on the login page, the redirect URIs, and
/// the limits.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationEntry {
    /// The demo user's name (default `erika`); prefilled on the login page.
    pub username: Option<String>,
    /// The demo user's password (default `mustermann`); prefilled on the login page.
    pub password: Option<String>,
    /// When set, the only `redirect_uri`s accepted (exact match); otherwise any https,
    /// private-use-scheme or loopback redirect URI.
    pub redirect_uris: Option<Vec<String>>,
    /// `[authorization.throttle]`: failed sign-ins and pushed requests (defaults when absent).
    pub throttle: Option<ThrottleEntry>,
}

/// `[authorization.throttle]`: how failed sign-ins back off (per account and per client
/// address) and how many pushed authorization requests one client address may make. Every key
/// is optional; the defaults are those of `oid4vci_authorization::AuthorizationPolicy`. The
/// counts live in the memory of each `serve` process.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleEntry {
    /// Failed sign-ins of one account (known or not) before it must wait (default 5).
    pub account_free_failures: Option<u32>,
    /// Failed sign-ins from one client address, over any accounts, before it must wait
    /// (default 20).
    pub address_free_failures: Option<u32>,
    /// The first wait in seconds; each further failure doubles it (default 1).
    pub first_delay: Option<u64>,
    /// The longest wait in seconds: how long a deliberate lock-out can keep the real user out
    /// (default 300).
    pub max_delay: Option<u64>,
    /// Seconds without a failure after which failures are forgotten (default 3600).
    pub forget_after: Option<u64>,
    /// Pushed authorization requests one client address may make at once (default 60; 0 turns
    /// the limit off).
    pub par_burst: Option<u32>,
    /// Pushed authorization requests per minute once the burst is spent (default 60).
    pub par_per_minute: Option<u32>,
}

/// The format of a `[[credential]]` entry.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum EntryFormat {
    /// An SD-JWT VC (`dc+sd-jwt`, the default); needs `vct`.
    #[default]
    #[serde(rename = "dc+sd-jwt")]
    SdJwtVc,
    /// An ISO mdoc (`mso_mdoc`); needs `doctype`.
    #[serde(rename = "mso_mdoc")]
    MsoMdoc,
}

/// One credential configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialEntry {
    /// Configuration id.
    pub id: String,
    /// `dc+sd-jwt` (default) or `mso_mdoc`.
    #[serde(default)]
    pub format: EntryFormat,
    /// SD-JWT VC type (`dc+sd-jwt`).
    #[serde(default)]
    pub vct: Option<String>,
    /// mdoc document type (`mso_mdoc`); its data elements go in the namespace of the same name.
    #[serde(default)]
    pub doctype: Option<String>,
    /// Display name.
    pub name: String,
    /// Claim names (mdoc: element identifiers in the doctype's namespace), for the metadata.
    #[serde(default)]
    pub claims: Vec<String>,
    /// Claims the startup offer issues (mdoc: flat, or `{namespace = {element = value}}`).
    #[serde(default)]
    pub example_claims: Option<toml::Table>,
    /// OAuth scope that requests this credential (default: the id).
    #[serde(default)]
    pub scope: Option<String>,
}

impl CredentialEntry {
    /// The metadata entry, or why the entry is incomplete.
    pub fn configuration(&self) -> Result<CredentialConfiguration, String> {
        let missing = |what: &str| format!("[[credential]] {}: {what} is required", self.id);
        // mdoc claims are addressed as [namespace, element], SD-JWT VC claims by name.
        let (mut c, namespace) = match self.format {
            EntryFormat::SdJwtVc => {
                let vct = self.vct.clone().ok_or_else(|| missing("vct"))?;
                (CredentialConfiguration::sd_jwt_vc(vct), None)
            }
            EntryFormat::MsoMdoc => {
                let doctype = self
                    .doctype
                    .clone()
                    .ok_or_else(|| missing("doctype (format mso_mdoc)"))?;
                (
                    CredentialConfiguration::mso_mdoc(doctype.clone()),
                    Some(doctype),
                )
            }
        };
        let path = |claim: &str| match &namespace {
            Some(ns) => vec![json!(ns), json!(claim)],
            None => vec![json!(claim)],
        };
        // HAIP: every configuration can be requested by scope.
        c.scope = Some(self.scope.clone().unwrap_or_else(|| self.id.clone()));
        c.credential_metadata = Some(CredentialMetadata {
            display: Some(vec![Display {
                name: Some(self.name.clone()),
                locale: Some("en".into()),
                ..Display::default()
            }]),
            claims: Some(
                self.claims
                    .iter()
                    .map(|c| ClaimDescription {
                        path: path(c),
                        ..ClaimDescription::default()
                    })
                    .collect(),
            ),
            extra: Default::default(),
        });
        Ok(c)
    }
}

impl ServeConfig {
    /// Reads and parses a TOML file.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The configured credentials, or the demo's two.
    pub fn credentials(&self) -> Vec<CredentialEntry> {
        if !self.credential.is_empty() {
            return self.credential.clone();
        }
        let table = |v: Value| toml::Table::try_from(v).ok();
        let today = time::OffsetDateTime::now_utc().date();
        let in_a_year = today.saturating_add(time::Duration::days(365));
        let date =
            |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
        vec![
            CredentialEntry {
                id: "eu.europa.ec.av.1".into(),
                format: EntryFormat::MsoMdoc,
                vct: None,
                doctype: Some("eu.europa.ec.av.1".into()),
                name: "Age over 18".into(),
                claims: [
                    "age_over_18",
                    "issuing_country",
                    "issuing_authority",
                    "issuance_date",
                    "expiry_date",
                ]
                .map(String::from)
                .to_vec(),
                example_claims: table(json!({
                    "age_over_18": true,
                    "issuing_country": "UT",
                    "issuing_authority": "oid4vci-rs demo issuer",
                    "issuance_date": date(today),
                    "expiry_date": date(in_a_year),
                })),
                scope: None,
            },
            CredentialEntry {
                id: "identity_credential".into(),
                format: EntryFormat::SdJwtVc,
                vct: Some("urn:oid4vci-rs:identity_credential".into()),
                doctype: None,
                name: "Identity credential".into(),
                claims: vec![
                    "given_name".into(),
                    "family_name".into(),
                    "birthdate".into(),
                ],
                example_claims: table(
                    json!({"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1984-01-26"}),
                ),
                scope: None,
            },
        ]
    }
}

/// Issuer metadata for the configured credentials, or which entry is incomplete.
pub fn metadata(
    issuer: &str,
    credentials: &[CredentialEntry],
) -> Result<CredentialIssuerMetadata, String> {
    let mut metadata = CredentialIssuerMetadata::new(issuer);
    metadata.batch_credential_issuance =
        Some(oid4vci_types::BatchCredentialIssuance { batch_size: 5 });
    metadata.display = Some(vec![Display {
        name: Some("oid4vci-rs demo issuer".into()),
        locale: Some("en".into()),
        ..Display::default()
    }]);
    for entry in credentials {
        metadata
            .credential_configurations_supported
            .insert(entry.id.clone(), entry.configuration()?);
    }
    Ok(metadata)
}

/// The example claims of an entry as JSON (an empty object when none are configured).
pub fn example_claims(entry: &CredentialEntry) -> Value {
    entry
        .example_claims
        .as_ref()
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or_else(|| json!({}))
}

/// `[proofs]`: the proof policy of the credential endpoint.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofsEntry {
    /// PEM files of the CAs whose `x5c` chains are trusted in `jwt` proofs.
    #[serde(default)]
    pub x5c_trust_anchors: Vec<PathBuf>,
    /// Accept a single self-signed `x5c` certificate.
    #[serde(default)]
    pub allow_self_signed_x5c: bool,
    /// PEM files of the CAs whose key attestations (`x5c`) are trusted.
    #[serde(default)]
    pub key_attester_trust_anchors: Vec<PathBuf>,
    /// JSON files, each a trusted key attester's public JWK (for attestations naming a `kid`).
    #[serde(default)]
    pub key_attester_jwks: Vec<PathBuf>,
    /// Every proof must carry a key attestation listing one of these values (OID4VCI 1.0
    /// Section 12.2.4), advertised in every configuration's proof types.
    pub key_attestations_required: Option<KeyAttestationsEntry>,
    /// Maximum age of a proof's `iat` in seconds (default 300).
    pub max_iat_age: Option<u64>,
}

/// `key_attestations_required = { key_storage = [...], user_authentication = [...] }`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAttestationsEntry {
    /// Accepted `key_storage` values (ISO 18045 levels such as `iso_18045_high`); empty: any.
    #[serde(default)]
    pub key_storage: Vec<String>,
    /// Accepted `user_authentication` values; empty: any.
    #[serde(default)]
    pub user_authentication: Vec<String>,
}

/// One `[[signing_key]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyEntry {
    /// The key's name (`kid` in JWS headers and the JWKS); unique.
    pub kid: String,
    /// An in-process P-256 key (PEM: PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    pub key_pem: Option<PathBuf>,
    /// A key in a PKCS#11 token.
    pub pkcs11: Option<Pkcs11Entry>,
    /// The key's certificate chain (PEM, its own certificate first; a self-signed root at the
    /// end is not sent).
    pub chain_pem: PathBuf,
    /// When the key starts signing: an RFC 3339 date-time or Unix seconds (default: always).
    pub signs_from: Option<SignsFrom>,
    /// The credential configurations this key signs; empty: the default ring.
    #[serde(default)]
    pub configurations: Vec<String>,
}

/// `pkcs11 = { … }`: where the key is and where its PIN comes from (never the command line).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkcs11Entry {
    /// The PKCS#11 module (shared library).
    pub module: PathBuf,
    /// The token's label.
    pub token: String,
    /// The key pair's label.
    pub key: String,
    /// The environment variable holding the user PIN.
    pub pin_env: Option<String>,
    /// A file holding the user PIN (first line), e.g. a mounted secret.
    pub pin_file: Option<PathBuf>,
    /// Sessions signing at once (default 4).
    pub sessions: Option<usize>,
}

/// `signs_from`: a TOML date-time or Unix seconds.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum SignsFrom {
    /// Unix seconds.
    Unix(u64),
    /// An RFC 3339 date-time (TOML offset date-time).
    DateTime(toml::value::Datetime),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config_and_builds_valid_metadata() {
        let cfg: ServeConfig = toml::from_str(
            r#"
            issuer_url = "https://issuer.example.com"
            port = 8443
            admin_token = "t"
            [[credential]]
            id = "pid"
            vct = "urn:eu.europa.ec.eudi:pid:1"
            name = "PID"
            claims = ["given_name"]
            example_claims = { given_name = "Erika" }
            "#,
        )
        .expect("parses");
        assert_eq!(cfg.port, Some(8443));
        let creds = cfg.credentials();
        assert_eq!(creds.len(), 1);
        let meta = metadata("https://issuer.example.com", &creds).expect("complete");
        meta.validate().expect("valid metadata");
        assert_eq!(
            meta.credential_configurations_supported["pid"]
                .vct
                .as_deref(),
            Some("urn:eu.europa.ec.eudi:pid:1")
        );
        assert_eq!(example_claims(&creds[0]), json!({"given_name": "Erika"}));
        assert_eq!(
            meta.credential_configurations_supported["pid"]
                .scope
                .as_deref(),
            Some("pid"),
            "a configuration without a scope gets its id as scope"
        );
        let external: ServeConfig = toml::from_str(
            "[external_authorization]\nissuer = \"https://login.example.com\"\njwks_file = \"as.json\"\n[authorization]\nusername = \"max\"\nredirect_uris = [\"https://w.example/cb\"]",
        )
        .expect("authorization tables parse");
        assert_eq!(
            external.external_authorization.map(|e| e.issuer),
            Some("https://login.example.com".to_owned())
        );
        assert_eq!(external.authorization.username.as_deref(), Some("max"));
        assert!(
            toml::from_str::<ServeConfig>("unknown = 1").is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn defaults_are_the_two_demo_credentials() {
        let creds = ServeConfig::default().credentials();
        let ids: Vec<&str> = creds.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["eu.europa.ec.av.1", "identity_credential"]);
        let meta = metadata("http://127.0.0.1:8080", &creds).expect("complete");
        meta.validate().expect("valid");
        let av = &meta.credential_configurations_supported["eu.europa.ec.av.1"];
        let av = serde_json::to_value(av).expect("json");
        assert_eq!(av["format"], "mso_mdoc");
        assert_eq!(av["doctype"], "eu.europa.ec.av.1");
        assert_eq!(av["credential_signing_alg_values_supported"], json!([-7]));
        assert_eq!(
            av["cryptographic_binding_methods_supported"],
            json!(["cose_key"])
        );
        assert_eq!(
            av["credential_metadata"]["claims"][0]["path"],
            json!(["eu.europa.ec.av.1", "age_over_18"])
        );
        let id = &meta.credential_configurations_supported["identity_credential"];
        assert_eq!(
            id.vct.as_deref(),
            Some("urn:oid4vci-rs:identity_credential")
        );
        let expiry = example_claims(&creds[0])["expiry_date"].clone();
        assert_eq!(expiry.as_str().map(str::len), Some(10), "{expiry}");
    }

    #[test]
    fn entries_choose_their_format_and_need_its_type() {
        let cfg: ServeConfig = toml::from_str(
            r#"
            [[credential]]
            id = "mdl"
            format = "mso_mdoc"
            doctype = "org.iso.18013.5.1.mDL"
            name = "mDL"
            claims = ["family_name"]
            [[credential]]
            id = "plain"
            vct = "urn:x"
            name = "X"
            "#,
        )
        .expect("parses");
        let meta = metadata("https://i.example", &cfg.credentials()).expect("complete");
        let mdl = &meta.credential_configurations_supported["mdl"];
        assert_eq!(mdl.doctype.as_deref(), Some("org.iso.18013.5.1.mDL"));
        assert!(meta.credential_configurations_supported["plain"]
            .format
            .is_sd_jwt_vc());
        for (toml_text, missing) in [
            (
                "[[credential]]\nid = \"a\"\nname = \"A\"\n",
                "vct is required",
            ),
            (
                "[[credential]]\nid = \"a\"\nname = \"A\"\nformat = \"mso_mdoc\"\n",
                "doctype",
            ),
        ] {
            let cfg: ServeConfig = toml::from_str(toml_text).expect("parses");
            let err = metadata("https://i.example", &cfg.credentials()).expect_err("incomplete");
            assert!(err.contains(missing), "{err}");
        }
        assert!(toml::from_str::<ServeConfig>(
            "[[credential]]\nid = \"a\"\nname = \"A\"\nformat = \"jwt_vc_json\"\n"
        )
        .is_err());
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    #[test]
    fn the_shipped_example_config_loads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("issuer.example.toml");
        let cfg = ServeConfig::load(&path).expect("example config parses");
        assert_eq!(
            cfg.issuer_url.as_deref(),
            Some("https://issuer.example.com")
        );
        let creds = cfg.credentials();
        assert_eq!(creds.len(), 2);
        metadata("https://issuer.example.com", &creds)
            .expect("complete")
            .validate()
            .expect("valid metadata");
        assert_eq!(example_claims(&creds[1])["nationalities"], json!(["DE"]));
        let limits = crate::serve_limits::ConnectionLimits::resolve(
            &crate::serve_limits::LimitArgs::default(),
            cfg.limits.as_ref(),
        )
        .expect("valid limits");
        assert_eq!(limits.max_connections, 1024);
        assert_eq!(limits.idle_timeout.as_secs(), 60);
    }
}
