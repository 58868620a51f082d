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
///
/// [[credential]]
/// id = "eu.europa.ec.av.1"
/// vct = "eu.europa.ec.av.1"
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
    /// Admin bearer token.
    pub admin_token: Option<String>,
    /// Connection and request limits (flags win).
    pub limits: Option<crate::serve_limits::LimitsConfig>,
    /// Credential configurations (default: the two demo credentials).
    #[serde(default)]
    pub credential: Vec<CredentialEntry>,
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

/// `[authorization]`: the demo user who signs in on the login page, and the redirect URIs.
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
}

/// One SD-JWT VC configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialEntry {
    /// Configuration id.
    pub id: String,
    /// SD-JWT VC type.
    pub vct: String,
    /// Display name.
    pub name: String,
    /// Claim names, for the metadata.
    #[serde(default)]
    pub claims: Vec<String>,
    /// Claims the startup offer issues (and the demo user has).
    #[serde(default)]
    pub example_claims: Option<toml::Table>,
    /// OAuth scope that requests this credential (default: the id).
    #[serde(default)]
    pub scope: Option<String>,
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
        vec![
            CredentialEntry {
                id: "eu.europa.ec.av.1".into(),
                vct: "eu.europa.ec.av.1".into(),
                name: "Age over 18".into(),
                claims: vec!["age_over_18".into()],
                example_claims: table(json!({"age_over_18": true})),
                scope: None,
            },
            CredentialEntry {
                id: "identity_credential".into(),
                vct: "urn:oid4vci-rs:identity_credential".into(),
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

/// Issuer metadata for the configured credentials.
pub fn metadata(issuer: &str, credentials: &[CredentialEntry]) -> CredentialIssuerMetadata {
    let mut metadata = CredentialIssuerMetadata::new(issuer);
    metadata.batch_credential_issuance =
        Some(oid4vci_types::BatchCredentialIssuance { batch_size: 5 });
    metadata.display = Some(vec![Display {
        name: Some("oid4vci-rs demo issuer".into()),
        locale: Some("en".into()),
        ..Display::default()
    }]);
    for entry in credentials {
        let mut c = CredentialConfiguration::sd_jwt_vc(entry.vct.clone());
        // HAIP: every configuration can be requested by scope.
        c.scope = Some(entry.scope.clone().unwrap_or_else(|| entry.id.clone()));
        c.credential_metadata = Some(CredentialMetadata {
            display: Some(vec![Display {
                name: Some(entry.name.clone()),
                locale: Some("en".into()),
                ..Display::default()
            }]),
            claims: Some(
                entry
                    .claims
                    .iter()
                    .map(|c| ClaimDescription {
                        path: vec![json!(c)],
                        ..ClaimDescription::default()
                    })
                    .collect(),
            ),
            extra: Default::default(),
        });
        metadata
            .credential_configurations_supported
            .insert(entry.id.clone(), c);
    }
    metadata
}

/// The example claims of an entry as JSON (an empty object when none are configured).
pub fn example_claims(entry: &CredentialEntry) -> Value {
    entry
        .example_claims
        .as_ref()
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or_else(|| json!({}))
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
        let meta = metadata("https://issuer.example.com", &creds);
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
        metadata("http://127.0.0.1:8080", &creds)
            .validate()
            .expect("valid");
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
