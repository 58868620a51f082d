//! [`Pkcs11Signer`]: the issuer signing port over a key in the token, and key generation.

use crate::pool::{Opener, SessionPool};
use crate::{Pin, Pkcs11Config, Pkcs11Error};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use oid4vci_issuer::{IssuerSigner, Signing, SigningError};
use oid4vci_proof::PublicKey;
use sha2::{Digest, Sha256};
use std::fmt;

/// DER of the P-256 curve's OID (1.2.840.10045.3.1.7), the `CKA_EC_PARAMS` of a P-256 key.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// What the token says of the private key (`None`: the token did not say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// `CKA_EXTRACTABLE`: whether the key may be wrapped out of the token.
    pub extractable: Option<bool>,
    /// `CKA_SENSITIVE`: whether its value is hidden from reads.
    pub sensitive: Option<bool>,
    /// `CKA_NEVER_EXTRACTABLE`: never extractable since it was made.
    pub never_extractable: Option<bool>,
    /// `CKA_ALWAYS_SENSITIVE`: always sensitive since it was made.
    pub always_sensitive: Option<bool>,
}

/// An ES256 key in a PKCS#11 token, signing through a session pool.
pub struct Pkcs11Signer {
    pool: SessionPool,
    public: PublicKey,
    facts: KeyFacts,
    config: Pkcs11Config,
}

impl fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("module", &self.config.module)
            .field("token_label", &self.config.token_label)
            .field("key_label", &self.config.key_label)
            .field("sessions", &self.config.sessions)
            .field("public_key", &self.public.thumbprint())
            .finish()
    }
}

impl Pkcs11Signer {
    /// Opens the key `config.key_label` in token `config.token_label`, logging in with `pin`.
    /// Blocking (it talks to the token): call it at startup.
    pub fn open(config: &Pkcs11Config, pin: &Pin) -> Result<Self, Pkcs11Error> {
        let pool = SessionPool::new(Opener::new(config, pin)?, config.sessions)?;
        let opener = pool.opener();
        let session = opener.session(false)?;
        let public = public_key(&session, opener.find(&session, ObjectClass::PUBLIC_KEY)?)?;
        let private = opener.find(&session, ObjectClass::PRIVATE_KEY)?;
        let facts = key_facts(&session, private)?;
        Ok(Pkcs11Signer {
            pool,
            public,
            facts,
            config: config.clone(),
        })
    }

    /// What the token says of the private key.
    pub fn key_facts(&self) -> KeyFacts {
        self.facts
    }

    /// Where the key is.
    pub fn config(&self) -> &Pkcs11Config {
        &self.config
    }

    /// Signs the SHA-256 digest of `message` in the token (`CKM_ECDSA`); `r || s`.
    pub async fn sign_es256(&self, message: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let digest = Sha256::digest(message).to_vec();
        let signature = self
            .pool
            .run(
                move |p| p.session.sign(&Mechanism::Ecdsa, p.key, &digest),
                "C_Sign",
            )
            .await?;
        if signature.len() != 64 {
            return Err(Pkcs11Error::Token {
                operation: "C_Sign",
                reason: format!(
                    "a P-256 signature is 64 bytes, the token gave {}",
                    signature.len()
                ),
            });
        }
        Ok(signature)
    }

    /// Whether a pooled session answers (`C_GetSessionInfo`) and is logged in.
    pub async fn check(&self) -> Result<(), Pkcs11Error> {
        self.pool
            .run(
                |p| p.session.get_session_info().map(|_| ()),
                "C_GetSessionInfo",
            )
            .await
    }
}

impl IssuerSigner for Pkcs11Signer {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign<'a>(&'a self, message: &'a [u8]) -> Signing<'a, Vec<u8>> {
        Box::pin(async move {
            (self.sign_es256(message).await).map_err(|e| SigningError::Key(e.to_string()))
        })
    }

    fn ready(&self) -> Signing<'_, ()> {
        Box::pin(async move {
            self.check()
                .await
                .map_err(|e| SigningError::Key(e.to_string()))
        })
    }
}

/// The public key of the pair: `CKA_EC_PARAMS` must name P-256; `CKA_EC_POINT` is the
/// uncompressed point, DER-wrapped in an OCTET STRING (PKCS#11 2.40) or bare (some tokens).
fn public_key(session: &Session, handle: ObjectHandle) -> Result<PublicKey, Pkcs11Error> {
    let attributes = session
        .get_attributes(handle, &[AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(|e| Pkcs11Error::token("C_GetAttributeValue", e))?;
    let mut params = None;
    let mut point = None;
    for attribute in attributes {
        match attribute {
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    if params.as_deref() != Some(&P256_PARAMS[..]) {
        return Err(Pkcs11Error::KeyUnsupported(
            "CKA_EC_PARAMS is not the P-256 curve (ES256 needs a P-256 key)".into(),
        ));
    }
    let point = point.unwrap_or_default();
    let bare = match point.as_slice() {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest,
        raw => raw,
    };
    PublicKey::p256_from_sec1(bare).map_err(|e| Pkcs11Error::KeyUnsupported(e.to_string()))
}

fn key_facts(session: &Session, handle: ObjectHandle) -> Result<KeyFacts, Pkcs11Error> {
    let wanted = [
        AttributeType::Extractable,
        AttributeType::Sensitive,
        AttributeType::NeverExtractable,
        AttributeType::AlwaysSensitive,
    ];
    let attributes = session
        .get_attributes(handle, &wanted)
        .map_err(|e| Pkcs11Error::token("C_GetAttributeValue", e))?;
    let mut facts = KeyFacts::default();
    for attribute in attributes {
        match attribute {
            Attribute::Extractable(b) => facts.extractable = Some(b),
            Attribute::Sensitive(b) => facts.sensitive = Some(b),
            Attribute::NeverExtractable(b) => facts.never_extractable = Some(b),
            Attribute::AlwaysSensitive(b) => facts.always_sensitive = Some(b),
            _ => {}
        }
    }
    Ok(facts)
}

/// Generates a P-256 key pair labelled `config.key_label` inside the token: the private key is
/// a token object, private, sensitive and not extractable, usable only to sign. Refuses when a
/// key with the label exists. Returns the public key.
pub fn generate_p256_key(config: &Pkcs11Config, pin: &Pin) -> Result<PublicKey, Pkcs11Error> {
    let opener = Opener::new(config, pin)?;
    let session = opener.session(true)?;
    for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
        match opener.find(&session, class) {
            Err(Pkcs11Error::KeyNotFound { .. }) => {}
            Ok(_) | Err(Pkcs11Error::KeyAmbiguous { .. }) => {
                return Err(Pkcs11Error::KeyExists(config.key_label.clone()))
            }
            Err(e) => return Err(e),
        }
    }
    let label = Attribute::Label(config.key_label.as_bytes().to_vec());
    let id = Attribute::Id(Sha256::digest(config.key_label.as_bytes()).to_vec());
    let public_template = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::EcParams(P256_PARAMS.to_vec()),
        label.clone(),
        id.clone(),
    ];
    let private_template = [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        label,
        id,
    ];
    let (public, _) = session
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &public_template,
            &private_template,
        )
        .map_err(|e| Pkcs11Error::token("C_GenerateKeyPair", e))?;
    public_key(&session, public)
}
