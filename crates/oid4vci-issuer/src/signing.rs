//! The issuer's signing keys: one port for everything the issuer signs (SD-JWT VCs, mdoc MSOs,
//! status-list tokens, signed metadata), a key with its certificate chain and the time from which
//! it signs, and the rings that rotate keys per credential configuration.
//!
//! [`IssuerSigner`] is the port. It may be remote or slow (an HSM, a cloud KMS), so signing
//! returns a future; the in-process [`SigningKey`] implements it, and `oid4vci-pkcs11`
//! implements it for PKCS#11 tokens. An [`IssuerKey`] names a signer (`kid`), carries its chain
//! (`x5c` / `x5chain`) and the time it starts signing. A [`KeyRing`] holds the keys of one
//! purpose over time: the newest key whose start has passed signs; the others stay published
//! while credentials they signed may still be valid. [`IssuerKeys`] maps credential
//! configurations to rings, with a default ring for the rest.
//!
//! ```
//! use std::sync::Arc;
//! use oid4vci_issuer::{IssuerKey, IssuerKeys, KeyRing, SigningKey};
//! use oid4vci_proof::Alg;
//!
//! let old = IssuerKey::new(Arc::new(SigningKey::generate(Alg::Es256)?), "2026-01");
//! let new = IssuerKey::new(Arc::new(SigningKey::generate(Alg::Es256)?), "2027-01")
//!     .signing_from(1_798_761_600); // 2027-01-01T00:00:00Z
//! let ring = KeyRing::new(vec![old, new])?;
//! assert_eq!(ring.current(1_790_000_000).kid(), "2026-01");
//! assert_eq!(ring.current(1_798_761_600).kid(), "2027-01");
//! // A year of credential validity: the old key stays published until a year after the switch.
//! assert_eq!(ring.published(1_800_000_000, 365 * 86_400).len(), 2);
//! let keys = IssuerKeys::new(ring);
//! assert_eq!(keys.for_configuration("pid").current(1_790_000_000).kid(), "2026-01");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::clock::UnixTime;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use oid4vci_proof::crypto::SigningKey;
use oid4vci_proof::{Alg, PublicKey};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Why a JWT could not be signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The claims could not be encoded.
    #[error("the claims could not be encoded: {0}")]
    Encoding(String),
    /// The key (or the device holding it) refused to sign.
    #[error("the issuer key could not sign: {0}")]
    Key(String),
}

/// Signs JWTs with the issuer key: signed metadata and status-list tokens. A
/// [`KeyRing`] signs with its key current at `now`.
pub trait MetadataSigner: Send + Sync + 'static {
    /// Signs a JWT with `header` (the issuer sets `typ`; the signer adds `alg`, `kid` and, when it
    /// has a certificate chain, `x5c`) and `claims` at `now`; returns the compact JWS.
    fn sign_jwt(
        &self,
        header: Map<String, Value>,
        claims: Map<String, Value>,
        now: UnixTime,
    ) -> Signing<'_, String>;
}

/// What a signer returns: a future, since the key may sit in an HSM or behind a network.
pub type Signing<'a, T> = Pin<Box<dyn Future<Output = Result<T, SigningError>> + Send + 'a>>;

/// A key the issuer signs with, wherever it lives.
pub trait IssuerSigner: Send + Sync + 'static {
    /// The public key (its algorithm is the JWS `alg`, or COSE ES256 for mdocs).
    fn public_key(&self) -> &PublicKey;

    /// Signs `message` and returns the signature in JOSE form: `r || s` (64 bytes) for ES256, the
    /// 64-byte signature for EdDSA. COSE_Sign1 uses the same form.
    fn sign<'a>(&'a self, message: &'a [u8]) -> Signing<'a, Vec<u8>>;

    /// Whether the key can sign now (a readiness probe: an HSM session that answers). The
    /// default is ready.
    fn ready(&self) -> Signing<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

impl IssuerSigner for SigningKey {
    fn public_key(&self) -> &PublicKey {
        SigningKey::public_key(self)
    }

    fn sign<'a>(&'a self, message: &'a [u8]) -> Signing<'a, Vec<u8>> {
        let signed = SigningKey::sign(self, message).map_err(|e| SigningError::Key(e.to_string()));
        Box::pin(async move { signed })
    }
}

/// A signer with its name (`kid`), its certificate chain and the time from which it signs.
#[derive(Clone)]
pub struct IssuerKey {
    signer: Arc<dyn IssuerSigner>,
    kid: String,
    chain: Vec<Vec<u8>>,
    signs_from: UnixTime,
    not_before: Option<UnixTime>,
}

impl fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg())
            .field("chain_len", &self.chain.len())
            .field("signs_from", &self.signs_from)
            .finish_non_exhaustive()
    }
}

impl IssuerKey {
    /// `signer` named `kid`, without a chain, signing from the start of time.
    pub fn new(signer: Arc<dyn IssuerSigner>, kid: impl Into<String>) -> Self {
        IssuerKey {
            signer,
            kid: kid.into(),
            chain: Vec::new(),
            signs_from: 0,
            not_before: None,
        }
    }

    /// The key's certificate chain (DER, its own certificate first, no trust anchor), sent as
    /// `x5c` in JWS headers and as the mdoc `x5chain`. Nothing is signed with a time earlier
    /// than the leaf's `notBefore`.
    pub fn with_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.not_before = chain
            .first()
            .and_then(|leaf| oid4vci_proof::x5c::not_before(leaf));
        self.chain = chain;
        self
    }

    /// The key signs from `time` (Unix seconds) on; until then the ring's previous key does.
    pub fn signing_from(mut self, time: UnixTime) -> Self {
        self.signs_from = time;
        self
    }

    /// The key's name (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The signature algorithm.
    pub fn alg(&self) -> Alg {
        self.signer.public_key().alg()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        self.signer.public_key()
    }

    /// The certificate chain (DER, leaf first), empty when none.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// When the key starts signing.
    pub fn signs_from(&self) -> UnixTime {
        self.signs_from
    }

    /// The leaf certificate's `notBefore`, when there is a chain.
    pub fn not_before(&self) -> Option<UnixTime> {
        self.not_before
    }

    /// The signer itself.
    pub fn signer(&self) -> &Arc<dyn IssuerSigner> {
        &self.signer
    }

    /// The public key as a JWK with `kid`, `alg` and `use`, plus `x5c` when there is a chain.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.public_key().to_jwk();
        jwk.insert("kid".into(), json!(self.kid));
        jwk.insert("alg".into(), json!(self.alg().as_str()));
        jwk.insert("use".into(), json!("sig"));
        if !self.chain.is_empty() {
            jwk.insert("x5c".into(), self.x5c());
        }
        Value::Object(jwk)
    }

    fn x5c(&self) -> Value {
        Value::Array(
            self.chain
                .iter()
                .map(|c| json!(STANDARD.encode(c)))
                .collect(),
        )
    }

    /// Signs `message` (the raw signature, see [`IssuerSigner::sign`]).
    pub async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        self.signer.sign(message).await
    }

    /// Signs a compact JWS: `header` gains `alg`, `kid` and, with a chain, `x5c`.
    pub async fn sign_jws(
        &self,
        mut header: Map<String, Value>,
        payload: &Map<String, Value>,
    ) -> Result<String, SigningError> {
        header.insert("alg".into(), json!(self.alg().as_str()));
        header.insert("kid".into(), json!(self.kid));
        if !self.chain.is_empty() {
            header.insert("x5c".into(), self.x5c());
        }
        let encode = |v: &Map<String, Value>| {
            serde_json::to_vec(v).map_err(|e| SigningError::Encoding(e.to_string()))
        };
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(encode(&header)?),
            URL_SAFE_NO_PAD.encode(encode(payload)?)
        );
        let signature = self.sign(signing_input.as_bytes()).await?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// Why a key ring cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRingError {
    /// A ring needs at least one key.
    #[error("a key ring needs at least one key")]
    Empty,
    /// Two keys of a ring share a `kid`.
    #[error("two keys are named {0:?}; every kid must be unique")]
    DuplicateKid(String),
    /// Two keys of a ring start signing at the same time.
    #[error("keys {0:?} and {1:?} start signing at the same time")]
    SameStart(String, String),
}

/// The keys of one purpose over time, ordered by the time each starts signing. Never empty.
#[derive(Clone, Debug)]
pub struct KeyRing {
    /// The key that starts first.
    first: IssuerKey,
    /// The others, by start time.
    later: Vec<IssuerKey>,
}

impl KeyRing {
    /// A ring of `keys`: at least one, distinct `kid`s and distinct start times.
    pub fn new(mut keys: Vec<IssuerKey>) -> Result<Self, KeyRingError> {
        keys.sort_by_key(|k| k.signs_from);
        for (i, key) in keys.iter().enumerate() {
            if let Some(twin) = keys.iter().skip(i + 1).find(|k| k.kid == key.kid) {
                return Err(KeyRingError::DuplicateKid(twin.kid.clone()));
            }
        }
        for pair in keys.windows(2) {
            if let [a, b] = pair {
                if a.signs_from == b.signs_from {
                    return Err(KeyRingError::SameStart(a.kid.clone(), b.kid.clone()));
                }
            }
        }
        let mut keys = keys.into_iter();
        let first = keys.next().ok_or(KeyRingError::Empty)?;
        Ok(KeyRing {
            first,
            later: keys.collect(),
        })
    }

    /// A ring of one key.
    pub fn single(key: IssuerKey) -> Self {
        KeyRing {
            first: key,
            later: Vec::new(),
        }
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &IssuerKey> {
        std::iter::once(&self.first).chain(self.later.iter())
    }

    /// The key that signs at `now`: the newest whose start has passed (the oldest when none has).
    pub fn current(&self, now: UnixTime) -> &IssuerKey {
        (self.later.iter().rev())
            .find(|k| k.signs_from <= now)
            .unwrap_or(&self.first)
    }

    /// The keys a verifier needs at `now` when credentials are valid for `validity` seconds:
    /// every key not yet signing (announced ahead), the current key, and each earlier key until
    /// `validity` has passed since its successor took over.
    pub fn published(&self, now: UnixTime, validity: u64) -> Vec<&IssuerKey> {
        let keys: Vec<&IssuerKey> = self.keys().collect();
        let mut out = Vec::with_capacity(keys.len());
        let successors = keys.iter().skip(1).map(Some).chain(std::iter::once(None));
        for (key, next) in keys.iter().zip(successors) {
            let retired_at = next
                .filter(|next| next.signs_from <= now)
                .map(|next| next.signs_from.saturating_add(validity));
            if retired_at.is_none_or(|t| now < t) {
                out.push(*key);
            }
        }
        out
    }

    /// Whether every key can sign now (readiness).
    pub async fn ready(&self) -> Result<(), SigningError> {
        for key in self.keys() {
            key.signer.ready().await?;
        }
        Ok(())
    }
}

/// The current key of the ring signs JWTs at the time it is asked (status lists and signed
/// metadata follow the current key).
impl MetadataSigner for KeyRing {
    fn sign_jwt(
        &self,
        header: Map<String, Value>,
        claims: Map<String, Value>,
        now: UnixTime,
    ) -> Signing<'_, String> {
        Box::pin(async move { self.current(now).sign_jws(header, &claims).await })
    }
}

/// The issuer's keys: a default ring, and rings of their own for some credential
/// configurations (an mdoc document signer for one doctype, another key for an SD-JWT VC).
#[derive(Clone, Debug)]
pub struct IssuerKeys {
    default: KeyRing,
    by_configuration: BTreeMap<String, KeyRing>,
}

impl IssuerKeys {
    /// Every configuration signs with `default`.
    pub fn new(default: KeyRing) -> Self {
        IssuerKeys {
            default,
            by_configuration: BTreeMap::new(),
        }
    }

    /// Configuration `id` signs with `ring` instead of the default.
    pub fn with_configuration(mut self, id: impl Into<String>, ring: KeyRing) -> Self {
        self.by_configuration.insert(id.into(), ring);
        self
    }

    /// The default ring.
    pub fn default_ring(&self) -> &KeyRing {
        &self.default
    }

    /// The ring that signs configuration `id`.
    pub fn for_configuration(&self, id: &str) -> &KeyRing {
        self.by_configuration.get(id).unwrap_or(&self.default)
    }

    /// The configurations with rings of their own.
    pub fn configurations(&self) -> impl Iterator<Item = (&str, &KeyRing)> {
        self.by_configuration.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Every ring, the default first.
    pub fn rings(&self) -> impl Iterator<Item = &KeyRing> {
        std::iter::once(&self.default).chain(self.by_configuration.values())
    }

    /// The JWK Set of every key published at `now` (see [`KeyRing::published`]), each `kid`
    /// once: what `/.well-known/jwt-vc-issuer` serves.
    pub fn jwks(&self, now: UnixTime, validity: u64) -> Value {
        let mut seen = std::collections::BTreeSet::new();
        let keys: Vec<Value> = (self.rings())
            .flat_map(|ring| ring.published(now, validity))
            .filter(|key| seen.insert(key.kid.clone()))
            .map(IssuerKey::public_jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// Whether every key can sign now (readiness).
    pub async fn ready(&self) -> Result<(), SigningError> {
        for ring in self.rings() {
            ring.ready().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, from: UnixTime) -> IssuerKey {
        let signer = SigningKey::generate(Alg::Es256).expect("key");
        IssuerKey::new(Arc::new(signer), kid).signing_from(from)
    }

    #[test]
    fn the_newest_started_key_signs() {
        let ring = KeyRing::new(vec![key("b", 100), key("a", 0), key("c", 200)]).expect("ring");
        let kids = |now| ring.current(now).kid().to_owned();
        assert_eq!(kids(0), "a");
        assert_eq!(kids(99), "a");
        assert_eq!(kids(100), "b");
        assert_eq!(kids(199), "b");
        assert_eq!(kids(200), "c");
        let late = KeyRing::new(vec![key("x", 50)]).expect("ring");
        assert_eq!(
            late.current(0).kid(),
            "x",
            "no key started: the oldest signs"
        );
    }

    #[test]
    fn old_keys_stay_published_while_their_credentials_may_be_valid() {
        let ring = KeyRing::new(vec![key("a", 0), key("b", 100)]).expect("ring");
        let kids = |now| -> Vec<String> {
            (ring.published(now, 50).iter())
                .map(|k| k.kid().to_owned())
                .collect()
        };
        assert_eq!(kids(10), ["a", "b"], "the next key is announced ahead");
        assert_eq!(kids(149), ["a", "b"]);
        assert_eq!(kids(150), ["b"], "validity over: the old key is retired");
    }

    #[test]
    fn rings_refuse_twins_and_emptiness() {
        assert_eq!(KeyRing::new(vec![]).unwrap_err(), KeyRingError::Empty);
        assert!(matches!(
            KeyRing::new(vec![key("a", 0), key("a", 1)]),
            Err(KeyRingError::DuplicateKid(_))
        ));
        assert!(matches!(
            KeyRing::new(vec![key("a", 5), key("b", 5)]),
            Err(KeyRingError::SameStart(..))
        ));
    }

    #[test]
    fn a_jws_names_its_key_and_verifies() {
        let ring = KeyRing::new(vec![key("a", 0), key("b", 100)]).expect("ring");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let mut header = Map::new();
        header.insert("typ".into(), json!("test+jwt"));
        let jwt = runtime
            .block_on(ring.sign_jwt(header, Map::new(), 150))
            .expect("signed");
        let parts: Vec<&str> = jwt.split('.').collect();
        let decoded = URL_SAFE_NO_PAD.decode(parts[0]).expect("b64");
        let header: Value = serde_json::from_slice(&decoded).expect("json");
        assert_eq!(header["kid"], "b");
        assert_eq!(header["alg"], "ES256");
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        let input = format!("{}.{}", parts[0], parts[1]);
        let keys: Vec<&IssuerKey> = ring.keys().collect();
        let verify = |k: &IssuerKey| {
            k.public_key()
                .verify(Alg::Es256, input.as_bytes(), &signature)
        };
        assert!(verify(keys[1]).is_ok());
        assert!(verify(keys[0]).is_err());
    }

    #[test]
    fn configurations_use_their_ring_or_the_default() {
        let keys = IssuerKeys::new(KeyRing::single(key("d", 0)))
            .with_configuration("mdl", KeyRing::single(key("m", 0)));
        assert_eq!(keys.for_configuration("mdl").current(0).kid(), "m");
        assert_eq!(keys.for_configuration("pid").current(0).kid(), "d");
        let jwks = keys.jwks(0, 10);
        let kids: Vec<&str> = (jwks["keys"].as_array().expect("keys").iter())
            .filter_map(|k| k["kid"].as_str())
            .collect();
        assert_eq!(kids, ["d", "m"]);
    }
}
