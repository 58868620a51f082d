//! The issuer's signing keys for `oid4vci serve`: `[[signing_key]]` entries in `--config`, each
//! an in-process PEM key or a key in a PKCS#11 token, with its certificate chain, the time it
//! starts signing, and the credential configurations it signs (none: the default ring).
//!
//! ```toml
//! [[signing_key]]
//! kid = "ds-2026"
//! key_pem = "keys/ds-2026.key.pem"          # an in-process P-256 key (PKCS#8 or SEC1 PEM)
//! chain_pem = "keys/ds-2026.chain.pem"      # its chain, leaf first (required)
//!
//! [[signing_key]]
//! kid = "ds-2027"
//! pkcs11 = { module = "/usr/lib/softhsm/libsofthsm2.so", token = "issuer", key = "ds-2027", pin_env = "OID4VCI_HSM_PIN" }
//! chain_pem = "keys/ds-2027.chain.pem"
//! signs_from = 2027-01-01T00:00:00Z         # rotation: signs from then on (or Unix seconds)
//!
//! [[signing_key]]
//! kid = "age-ds"
//! key_pem = "keys/age-ds.key.pem"
//! chain_pem = "keys/age-ds.chain.pem"
//! configurations = ["eu.europa.ec.av.1"]    # a key of its own for these configurations
//! ```
//!
//! Without entries for the default ring, the keys file's key (or `issuer_key_pem`) with its
//! chain signs everything not named, as before.

use crate::serve_certs::IssuerChain;
use crate::serve_config::{SigningKeyEntry, SignsFrom};
use oid4vci_issuer::{IssuerKey, IssuerKeys, IssuerSigner, KeyRing};
use oid4vci_pkcs11::{PinSource, Pkcs11Config, Pkcs11Signer};
use std::collections::BTreeMap;
use std::sync::Arc;

impl SignsFrom {
    fn unix(&self, kid: &str) -> Result<u64, String> {
        match self {
            SignsFrom::Unix(t) => Ok(*t),
            SignsFrom::DateTime(dt) => {
                let text = dt.to_string();
                let parsed = time::OffsetDateTime::parse(
                    &text,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|e| {
                    format!("[[signing_key]] {kid}: signs_from {text}: {e} (give a time zone)")
                })?;
                u64::try_from(parsed.unix_timestamp())
                    .map_err(|_| format!("[[signing_key]] {kid}: signs_from before 1970"))
            }
        }
    }
}

fn signer(entry: &SigningKeyEntry) -> Result<Arc<dyn IssuerSigner>, String> {
    let kid = &entry.kid;
    match (&entry.key_pem, &entry.pkcs11) {
        (Some(path), None) => {
            let key = crate::serve_certs::load_key(path)?;
            let key =
                oid4vci_proof::SigningKey::from_raw(oid4vci_proof::Alg::Es256, &key.to_bytes())
                    .map_err(|e| format!("[[signing_key]] {kid}: {e}"))?;
            Ok(Arc::new(key))
        }
        (None, Some(hsm)) => {
            let pin = match (&hsm.pin_env, &hsm.pin_file) {
                (Some(name), None) => PinSource::Env(name.clone()),
                (None, Some(path)) => PinSource::File(path.clone()),
                _ => {
                    return Err(format!(
                        "[[signing_key]] {kid}: pkcs11 needs exactly one of pin_env and pin_file"
                    ))
                }
            };
            let pin = pin
                .read()
                .map_err(|e| format!("[[signing_key]] {kid}: {e}"))?;
            let mut config = Pkcs11Config::new(&hsm.module, &hsm.token, &hsm.key);
            config.sessions = hsm.sessions.unwrap_or(config.sessions).max(1);
            let signer = Pkcs11Signer::open(&config, &pin)
                .map_err(|e| format!("[[signing_key]] {kid}: {e}"))?;
            if signer.key_facts().extractable != Some(false) {
                eprintln!(
                    "warning: [[signing_key]] {kid}: the token does not say the key is non-extractable (CKA_EXTRACTABLE)"
                );
            }
            Ok(Arc::new(signer))
        }
        _ => Err(format!(
            "[[signing_key]] {kid}: give exactly one of key_pem and pkcs11"
        )),
    }
}

/// Wraps a signer (the metrics time each signature); `kid` names it.
pub type WrapSigner<'a> = &'a dyn Fn(Arc<dyn IssuerSigner>, &str) -> Arc<dyn IssuerSigner>;

fn issuer_key(entry: &SigningKeyEntry, wrap: WrapSigner<'_>) -> Result<IssuerKey, String> {
    let signer = wrap(signer(entry)?, &entry.kid);
    let point = signer.public_key().to_bytes();
    let chain = crate::serve_certs::load_chain_for(&entry.chain_pem, &point)
        .map_err(|e| format!("[[signing_key]] {}: {e}", entry.kid))?;
    let mut key =
        IssuerKey::new(signer, entry.kid.clone()).with_chain(chain.without_trust_anchor());
    if let Some(from) = &entry.signs_from {
        key = key.signing_from(from.unix(&entry.kid)?);
    }
    Ok(key)
}

/// The issuer keys: the configured entries in their rings; the default ring is the entries
/// naming no configuration, or else `fallback` (the keys file's key with its chain, kid
/// `issuer-key-1`). Configurations named by an entry but not offered are refused.
pub fn issuer_keys(
    entries: &[SigningKeyEntry],
    fallback: (oid4vci_proof::SigningKey, &IssuerChain),
    configurations: &[String],
    wrap: WrapSigner<'_>,
) -> Result<IssuerKeys, String> {
    let mut default = Vec::new();
    let mut by_configuration: BTreeMap<String, Vec<IssuerKey>> = BTreeMap::new();
    for entry in entries {
        let key = issuer_key(entry, wrap)?;
        if entry.configurations.is_empty() {
            default.push(key.clone());
        }
        for id in &entry.configurations {
            if !configurations.contains(id) {
                return Err(format!(
                    "[[signing_key]] {}: no credential configuration {id:?}",
                    entry.kid
                ));
            }
            by_configuration
                .entry(id.clone())
                .or_default()
                .push(key.clone());
        }
    }
    if default.is_empty() {
        let (key, chain) = fallback;
        let signer = wrap(Arc::new(key), "issuer-key-1");
        default
            .push(IssuerKey::new(signer, "issuer-key-1").with_chain(chain.without_trust_anchor()));
    }
    let ring = |keys| KeyRing::new(keys).map_err(|e| format!("[[signing_key]]: {e}"));
    let mut keys = IssuerKeys::new(ring(default)?);
    for (id, list) in by_configuration {
        keys = keys.with_configuration(id, ring(list)?);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_from_takes_dates_and_seconds() {
        #[derive(serde::Deserialize)]
        struct T {
            a: SignsFrom,
            b: SignsFrom,
        }
        let t: T = toml::from_str("a = 2027-01-01T00:00:00Z\nb = 1798761600").expect("toml");
        assert_eq!(t.a.unix("k"), Ok(1_798_761_600));
        assert_eq!(t.b.unix("k"), Ok(1_798_761_600));
        let local: T = toml::from_str("a = 2027-01-01T00:00:00\nb = 0").expect("toml");
        assert!(
            local.a.unix("k").is_err(),
            "a time without a zone is ambiguous"
        );
    }
}
