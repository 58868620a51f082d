//! The scenario issuer every flow runs against: its identifier, its one configuration, and a
//! manual clock.

use oid4vci_issuer::{Issuer, IssuerConfig, ManualClock, SessionStore};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{BatchCredentialIssuance, CredentialConfiguration, CredentialIssuerMetadata};
use std::sync::Arc;

/// The issuer identifier of the scenarios.
pub const ISSUER: &str = "https://issuer.example.com";
/// The configuration the scenarios issue.
pub const CONFIG: &str = "eu.europa.ec.av.1";
/// Start time of the scenario clock.
pub const T0: u64 = 1_780_000_000;

pub(crate) fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// A scenario issuer over `store` with a manual clock at [`T0`] and batch size 3.
pub fn scenario_issuer<S: SessionStore>(store: S) -> (Issuer<S, SdJwtVcMinter>, ManualClock) {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata.batch_credential_issuance = Some(BatchCredentialIssuance { batch_size: 3 });
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let clock = ManualClock::new(T0);
    let issuer = Issuer::new(
        IssuerConfig::new(metadata),
        store,
        SdJwtVcMinter::generate(),
    )
    .with_clock(Arc::new(clock.clone()));
    (issuer, clock)
}
