//! The issuer `oid4vci serve` runs, put together from its flags and its TOML file: signing keys
//! and certificate chains, the two minters, the session store, the issuer configuration (with
//! `--profile`), the authorization server and the event observers.

use crate::format_minter::FormatMinter;
use crate::serve_args::ServeArgs;
use crate::serve_authorization::ConfiguredUser;
use crate::serve_config::{metadata, CredentialEntry, EntryFormat, ServeConfig};
use crate::serve_metered::Metered;
use crate::serve_store::{ServeStore, StoreChoice};
use oid4vci_axum::{ConsoleFeed, IssuerMetrics};
use oid4vci_issuer::{Issuer, IssuerConfig, IssuerKeys, StandardProofCheck, StatusListConfig};
use oid4vci_mdoc::MdocMinter;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_store_sqlite::Synchronous;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// The issuer of `oid4vci serve`: its sessions counted by the metrics, its credentials minted
/// in either format.
pub type DemoIssuer = Issuer<Metered<ServeStore>, FormatMinter<SdJwtVcMinter, MdocMinter>>;

/// The issuer and what the routes and the banner need beside it.
pub struct ServedIssuer {
    /// The issuer.
    pub issuer: Arc<DemoIssuer>,
    /// The signing keys (readiness checks they can sign).
    pub keys: IssuerKeys,
    /// The metrics every part records into.
    pub metrics: Arc<IssuerMetrics>,
    /// The observer that wakes the console's live pages.
    pub console_feed: Arc<ConsoleFeed>,
    /// The JWK Set of the SD-JWT VC issuer keys (`/.well-known/jwt-vc-issuer`).
    pub jwks: Value,
    /// The login page's demo user.
    pub demo_user: ConfiguredUser,
    /// The credential configurations served.
    pub credentials: Vec<CredentialEntry>,
}

/// Builds the issuer at `issuer_url`, its keys in `keys_file` (created on first start), its
/// sessions in `store`.
pub async fn build(
    args: &ServeArgs,
    file: &ServeConfig,
    issuer_url: &str,
    keys_file: &Path,
    store: &StoreChoice,
) -> Result<ServedIssuer, String> {
    let (signing_key, server_key) = crate::serve_keys::load_or_create(keys_file)?;
    // The certificate code works on the P-256 key itself; the minters on the crypto backend's
    // key. Both are the same 32-byte scalar.
    let scalar = signing_key.to_raw().map_err(|e| e.to_string())?;
    let p256_key = p256::ecdsa::SigningKey::from_slice(&scalar)
        .map_err(|e| format!("the issuer key is not a P-256 key: {e}"))?;
    let (p256_key, chain) =
        crate::serve_certs::issuer_key_and_chain(file, keys_file, p256_key, issuer_url)?;
    let signing_key =
        oid4vci_proof::SigningKey::from_raw(oid4vci_proof::Alg::Es256, &p256_key.to_bytes())
            .map_err(|e| e.to_string())?;
    let encryption =
        crate::serve_encryption::load_or_create(&crate::serve_encryption::path_for(keys_file))?;
    let credentials = file.credentials();
    let ids: Vec<String> = credentials.iter().map(|c| c.id.clone()).collect();
    let formats = (credentials.iter())
        .map(|c| {
            let format = match c.format {
                EntryFormat::SdJwtVc => "dc+sd-jwt",
                EntryFormat::MsoMdoc => "mso_mdoc",
            };
            (c.id.clone(), format.to_owned())
        })
        .collect();
    let metrics = IssuerMetrics::new(formats);
    let keys = crate::serve_signing::issuer_keys(
        &file.signing_key,
        (signing_key, &chain),
        &ids,
        &|signer, kid| crate::serve_ops::MeteredSigner::wrap(signer, kid, &metrics),
    )?;
    let minter = FormatMinter {
        sd_jwt: SdJwtVcMinter::from_keys(keys.clone()),
        mdoc: MdocMinter::from_keys(keys.clone()).map_err(|e| e.to_string())?,
    };
    // The default ring signs the metadata (Section 12.2.3) and the status lists, each JWT with
    // the key current when it is signed.
    let metadata_signer = Arc::new(keys.default_ring().clone());
    let jwks = minter.sd_jwt.jwks(unix_now());
    let sync = if args.sqlite_sync == "normal" {
        Synchronous::Normal
    } else {
        Synchronous::Full
    };
    let sessions = Metered::new(store.open(sync).await?, metrics.clone());
    crate::serve_ops::count_sessions(sessions.clone(), &metrics);
    let (config, proofs) = issuer_config(args, file, issuer_url, &credentials)?;
    let (demo_user, policy) = crate::serve_authorization::demo_user_and_policy(file, &credentials)?;
    let external = crate::serve_authorization::external_verifier(file, issuer_url)?;
    let status_lists = StatusListConfig::new(issuer_url, metadata_signer.clone());
    let console_feed = Arc::new(ConsoleFeed::new());
    let mut built = Issuer::new(config, sessions, minter)
        .with_status_lists(status_lists)
        .map_err(|e| e.to_string())?
        .with_server_key(server_key)
        .with_encryption(Arc::new(encryption))
        .with_metadata_signer(metadata_signer, 24 * 3600)
        .with_event_observer(Arc::new(crate::serve_ops::Observers(vec![
            Arc::new(crate::serve_ops::LogEvents),
            metrics.clone(),
            console_feed.clone(),
        ])))
        .with_authorization_server(policy, Arc::new(demo_user.user.clone()));
    if let Some(check) = proofs {
        built = built.with_proof_check(check);
    }
    if let Some(verifier) = external {
        built = built.with_external_authorization_server(
            Arc::new(verifier),
            Arc::new(demo_user.user.clone()),
        );
    }
    Ok(ServedIssuer {
        issuer: Arc::new(built),
        keys,
        metrics,
        console_feed,
        jwks,
        demo_user,
        credentials,
    })
}

/// The issuer configuration: the metadata of `credentials` (validated), the policy flags, then
/// `--profile`, then the trusted wallet providers; and the key-proof check of `[proofs]`, which
/// publishes its policy in the metadata.
fn issuer_config(
    args: &ServeArgs,
    file: &ServeConfig,
    issuer_url: &str,
    credentials: &[CredentialEntry],
) -> Result<(IssuerConfig, Option<StandardProofCheck>), String> {
    let mut anchors = Vec::new();
    for path in &args.trust_wallet_provider {
        anchors.extend(crate::proof_cmd::pem_certificates(path)?);
    }
    let metadata = metadata(issuer_url, credentials)?;
    metadata
        .validate()
        .map_err(|e| format!("invalid issuer configuration: {e}"))?;
    let mut config = IssuerConfig::new(metadata);
    config.dpop_nonce_ttl = args.dpop_nonce_ttl.or(file.dpop_nonce_ttl);
    config.attestation_challenge_ttl = args
        .attestation_challenge_ttl
        .or(file.attestation_challenge_ttl);
    config.refresh_token_ttl = args.refresh_token_ttl.or(file.refresh_token_ttl);
    let profile = args.profile.as_deref().or(file.profile.as_deref());
    apply_profile(&mut config, profile, !anchors.is_empty())?;
    if !anchors.is_empty() {
        config.wallet_attestation =
            Some(oid4vci_issuer::client_attestation::WalletAttestationTrust::with_anchors(anchors));
    }
    let proofs = match &file.proofs {
        Some(entry) => Some(crate::serve_proofs::proof_check(
            entry,
            &mut config.metadata,
        )?),
        None => None,
    };
    Ok((config, proofs))
}

/// Applies `--profile` (`haip`: DPoP-bound tokens with server nonces, wallet attestation from
/// every client, which needs trusted wallet providers).
fn apply_profile(
    config: &mut IssuerConfig,
    profile: Option<&str>,
    trusts_wallet_providers: bool,
) -> Result<(), String> {
    match profile {
        None => Ok(()),
        Some("haip") => {
            if !trusts_wallet_providers {
                return Err("--profile haip requires wallet attestation: name the wallet providers' trust anchors with --trust-wallet-provider".into());
            }
            config.require_dpop = true;
            config.require_wallet_attestation = true;
            config.dpop_nonce_ttl = config.dpop_nonce_ttl.or(Some(300));
            config.refresh_token_ttl = config.refresh_token_ttl.or(Some(24 * 3600));
            // HAIP: wallets are invoked with the `haip://` custom scheme.
            config.offer_scheme = "haip://".into();
            Ok(())
        }
        Some(other) => Err(format!("unknown profile {other:?}; the known one is haip")),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::apply_profile;
    use oid4vci_issuer::IssuerConfig;
    use oid4vci_types::CredentialIssuerMetadata;

    fn config() -> IssuerConfig {
        IssuerConfig::new(CredentialIssuerMetadata::new("https://issuer.example.com"))
    }

    #[test]
    fn the_haip_profile_turns_on_its_policies_and_needs_trusted_wallet_providers() {
        let mut open = config();
        apply_profile(&mut open, None, false).expect("no profile");
        assert!(!open.require_dpop && !open.require_wallet_attestation);
        assert_eq!(open.dpop_nonce_ttl, None);

        let mut haip = config();
        apply_profile(&mut haip, Some("haip"), true).expect("haip");
        assert!(haip.require_dpop && haip.require_wallet_attestation);
        assert_eq!(haip.dpop_nonce_ttl, Some(300));
        assert_eq!(haip.refresh_token_ttl, Some(24 * 3600));
        assert_eq!(haip.offer_scheme, "haip://");

        let mut own_ttl = config();
        own_ttl.dpop_nonce_ttl = Some(60);
        apply_profile(&mut own_ttl, Some("haip"), true).expect("haip");
        assert_eq!(own_ttl.dpop_nonce_ttl, Some(60), "--dpop-nonce-ttl wins");

        let refused = apply_profile(&mut config(), Some("haip"), false).unwrap_err();
        assert!(refused.contains("--trust-wallet-provider"), "{refused}");
        assert!(apply_profile(&mut config(), Some("fapi"), true).is_err());
    }
}
