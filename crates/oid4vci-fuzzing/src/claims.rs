//! Operator claims into the minters: whatever `check_claims` accepts at offer creation must
//! mint at the credential request (the promise that a credential refused there is refused
//! with a reason up front, never at the wallet's request).

use oid4vci_issuer::{CredentialMinter, MintRequest};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_mdoc::MdocMinter;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::CredentialConfiguration;
use serde_json::Value;
use std::sync::OnceLock;

const DOCTYPE: &str = "org.iso.18013.5.1.mDL";

struct Minters {
    sd_jwt: SdJwtVcMinter,
    mdoc: MdocMinter,
    holder: Value,
}

fn minters() -> &'static Minters {
    static MINTERS: OnceLock<Minters> = OnceLock::new();
    MINTERS.get_or_init(|| {
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let mdoc = match MdocMinter::new(key, vec![b"stand-in DER certificate".to_vec()]) {
            Ok(m) => m,
            Err(e) => panic!("mdoc minter: {e}"),
        };
        Minters {
            sd_jwt: SdJwtVcMinter::generate(),
            mdoc,
            holder: TestWallet::new().public_jwk(),
        }
    })
}

fn check_then_mint<M: CredentialMinter>(
    minter: &M,
    id: &str,
    configuration: &CredentialConfiguration,
    data: &[u8],
) {
    let Ok(claims) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if minter.check_claims(id, configuration, &claims).is_err() {
        return;
    }
    let holder_keys = [minters().holder.clone()];
    let request = MintRequest {
        issuer: crate::http::ISSUER,
        configuration_id: id,
        configuration,
        claims: &claims,
        holder_keys: &holder_keys,
        statuses: &[],
        subject_id: None,
        now: crate::http::T0,
    };
    let minted = pollster_block(minter.mint(request));
    assert!(
        minted.is_ok(),
        "claims accepted at offer creation failed to mint: {:?}",
        minted.err()
    );
}

fn pollster_block<F: std::future::Future>(future: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime.block_on(future),
        Err(e) => panic!("runtime: {e}"),
    }
}

/// Operator claims into the SD-JWT VC minter.
pub fn sd_jwt_claims(data: &[u8]) {
    let configuration = CredentialConfiguration::sd_jwt_vc(crate::http::CONFIG);
    check_then_mint(&minters().sd_jwt, crate::http::CONFIG, &configuration, data);
}

/// Operator claims into the mdoc minter (CBOR data elements per namespace).
pub fn mdoc_claims(data: &[u8]) {
    let configuration = CredentialConfiguration::mso_mdoc(DOCTYPE);
    check_then_mint(&minters().mdoc, DOCTYPE, &configuration, data);
}
