//! [`SdJwtVcMinter`]: the `CredentialMinter` for `dc+sd-jwt` configurations (feature `minter`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer::{
    CredentialMinter, IssuerKey, IssuerKeys, KeyRing, MetadataSigner, MintError, MintOutcome,
    MintRequest, Signing, StatusReference,
};
use oid4vci_proof::crypto::{self, SigningKey};
use oid4vci_proof::{Alg, PublicKey};
use rand_core::{OsRng, RngCore};
use serde_json::{json, Map, Value};
use std::fmt;
use std::sync::Arc;

/// Claims that are never made selectively disclosable (SD-JWT VC registered claims).
const ALWAYS_DISCLOSED: [&str; 9] = [
    "iss", "iat", "nbf", "exp", "vct", "cnf", "status", "_sd", "_sd_alg",
];

/// Mints SD-JWT VCs with ES256 (P-256) or EdDSA (Ed25519) issuer keys: one key, or
/// [`IssuerKeys`] with rings that rotate and keys of their own for some configurations.
#[derive(Clone)]
pub struct SdJwtVcMinter {
    keys: IssuerKeys,
    /// Credential lifetime in seconds.
    pub validity: u64,
}

impl fmt::Debug for SdJwtVcMinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdJwtVcMinter")
            .field("keys", &self.keys)
            .field("validity", &self.validity)
            .finish()
    }
}

impl SdJwtVcMinter {
    /// A minter signing with `key` (its algorithm names the JWS `alg`); `kid` names it in the JWS
    /// header and the issuer's JWKS. Keys are loaded backend-neutrally, e.g. with
    /// [`SigningKey::from_pkcs8`] or [`SigningKey::from_raw`].
    pub fn new(key: SigningKey, kid: impl Into<String>) -> Self {
        let key = IssuerKey::new(Arc::new(key), kid);
        SdJwtVcMinter::from_keys(IssuerKeys::new(KeyRing::single(key)))
    }

    /// A minter signing with `keys`: each configuration with its ring's current key.
    pub fn from_keys(keys: IssuerKeys) -> Self {
        SdJwtVcMinter {
            keys,
            validity: 365 * 24 * 3600,
        }
    }

    /// Puts `chain` (DER certificates, the issuer key's certificate first, no trust anchor: HAIP)
    /// into every credential's JOSE header as `x5c`. For a minter made with [`new`](Self::new)
    /// (one key); give [`IssuerKey`]s their chains with [`IssuerKey::with_chain`] otherwise.
    pub fn with_x5c(mut self, chain: Vec<Vec<u8>>) -> Self {
        let key = self
            .keys
            .default_ring()
            .current(0)
            .clone()
            .with_chain(chain);
        self.keys = IssuerKeys::new(KeyRing::single(key));
        self
    }

    /// A minter with a freshly generated ES256 key.
    ///
    /// # Panics
    /// Only if the operating system's random number generator fails.
    pub fn generate() -> Self {
        match SigningKey::generate(Alg::Es256) {
            Ok(key) => SdJwtVcMinter::new(key, "issuer-key-1"),
            Err(e) => panic!("cannot generate an issuer key: {e}"),
        }
    }

    /// The default key's public JWK (with `kid`, `alg`, `use` and its `x5c` chain), as it signs
    /// now.
    pub fn public_jwk(&self) -> Value {
        self.keys.default_ring().current(unix_now()).public_jwk()
    }

    /// The default key's public key, as it signs now (to verify what the minter signed).
    pub fn public_key(&self) -> &PublicKey {
        self.keys.default_ring().current(unix_now()).public_key()
    }

    /// The issuer keys.
    pub fn keys(&self) -> &IssuerKeys {
        &self.keys
    }

    /// The JWK Set for `/.well-known/jwt-vc-issuer` at `now`: every key a verifier of this
    /// minter's credentials may need (see [`IssuerKeys::jwks`]).
    pub fn jwks(&self, now: u64) -> Value {
        self.keys.jwks(now, self.validity)
    }

    fn disclosure(name: &str, value: &Value) -> (String, String) {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let array = json!([URL_SAFE_NO_PAD.encode(salt), name, value]);
        let encoded = URL_SAFE_NO_PAD.encode(array.to_string());
        let digest = URL_SAFE_NO_PAD.encode(crypto::sha256(encoded.as_bytes()));
        (encoded, digest)
    }

    /// Issues one SD-JWT VC for one holder key (or none), with the `status` claim of its
    /// status-list entry when there is one, signed by the configuration's current key.
    pub async fn issue(
        &self,
        request: &MintRequest<'_>,
        holder_key: Option<&Value>,
        status: Option<&StatusReference>,
    ) -> Result<String, MintError> {
        let vct = request
            .configuration
            .vct
            .clone()
            .unwrap_or_else(|| request.configuration_id.to_owned());
        let claims = request
            .claims
            .as_object()
            .ok_or_else(|| MintError("claims must be a JSON object".into()))?;
        let key = (self.keys)
            .for_configuration(request.configuration_id)
            .current(request.now);
        let mut payload = Map::new();
        let mut disclosures = Vec::new();
        let mut digests = Vec::new();
        check_claim_names(claims)?;
        for (name, value) in claims {
            let (disclosure, digest) = Self::disclosure(name, value);
            disclosures.push(disclosure);
            digests.push(Value::String(digest));
        }
        digests.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        payload.insert("iss".into(), json!(request.issuer));
        // Rounded to the hour (RFC 9901 §10.1): the credentials of a batch share no precise time.
        let issued = oid4vci_issuer::rounded_issuance_time_within(request.now, key.not_before());
        payload.insert("iat".into(), json!(issued));
        payload.insert(
            "exp".into(),
            json!(oid4vci_issuer::rounded_expiry(issued, self.validity)),
        );
        payload.insert("vct".into(), json!(vct));
        if let Some(jwk) = holder_key {
            payload.insert("cnf".into(), json!({ "jwk": jwk }));
        }
        if let Some(status) = status {
            payload.insert("status".into(), status.claim());
        }
        payload.insert("_sd".into(), Value::Array(digests));
        payload.insert("_sd_alg".into(), json!("sha-256"));
        let mut header = Map::new();
        header.insert("typ".into(), json!("dc+sd-jwt"));
        let mut out = key
            .sign_jws(header, &payload)
            .await
            .map_err(|e| MintError(e.to_string()))?;
        for d in disclosures {
            out.push('~');
            out.push_str(&d);
        }
        out.push('~');
        Ok(out)
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The default ring signs the metadata and status lists (Section 12.2.3), with its current
/// key's `kid` and `x5c`.
impl MetadataSigner for SdJwtVcMinter {
    fn sign_jwt(
        &self,
        header: Map<String, Value>,
        claims: Map<String, Value>,
        now: u64,
    ) -> Signing<'_, String> {
        self.keys.default_ring().sign_jwt(header, claims, now)
    }
}

/// Claim names the issuer sets itself (`iss`, `vct`, `cnf`, `status`, …) or that SD-JWT
/// reserves (`_sd`, `_sd_alg`, and `...` for array elements, RFC 9901 §4.2.1) cannot come from
/// the operator: they are refused, never silently dropped.
fn check_claim_names(claims: &Map<String, Value>) -> Result<(), MintError> {
    for name in claims.keys() {
        if ALWAYS_DISCLOSED.contains(&name.as_str()) || name == "..." {
            return Err(MintError(format!(
                "the claim name {name:?} is reserved (set by the issuer, or by SD-JWT itself: RFC 9901 Section 4.2.1); rename it"
            )));
        }
    }
    Ok(())
}

impl CredentialMinter for SdJwtVcMinter {
    fn check_claims(
        &self,
        _: &str,
        configuration: &oid4vci_types::CredentialConfiguration,
        claims: &Value,
    ) -> Result<(), MintError> {
        if !configuration.format.is_sd_jwt_vc() {
            return Ok(());
        }
        let object = claims
            .as_object()
            .ok_or_else(|| MintError("claims must be a JSON object".into()))?;
        check_claim_names(object)
    }

    async fn mint<'a>(&'a self, request: MintRequest<'a>) -> Result<MintOutcome, MintError> {
        if !request.configuration.format.is_sd_jwt_vc() {
            return Err(MintError(format!(
                "SdJwtVcMinter issues dc+sd-jwt only, not {}",
                request.configuration.format
            )));
        }
        let count = request.holder_keys.len().max(1);
        let mut credentials = Vec::with_capacity(count);
        if request.holder_keys.is_empty() {
            let status = request.status(0, count)?;
            credentials.push(Value::String(self.issue(&request, None, status).await?));
        }
        for (i, key) in request.holder_keys.iter().enumerate() {
            let status = request.status(i, count)?;
            credentials.push(Value::String(
                self.issue(&request, Some(key), status).await?,
            ));
        }
        Ok(MintOutcome::Issued(credentials))
    }
}
