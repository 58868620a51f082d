//! An existing axum application adds an OID4VCI issuer: metadata, offers, token, nonce,
//! credential, deferred and notification endpoints, plus its own admin route for offers.
//!
//! Run with `cargo run --example embed_in_axum`, then open http://127.0.0.1:3000/offer.

use axum::{extract::State, routing::get, Router};
use oid4vci::issuer::{Issuer, IssuerConfig, MemoryStore, OfferSpec};
use oid4vci::sd_jwt::SdJwtVcMinter;
use oid4vci::types::{CredentialConfiguration, CredentialIssuerMetadata};
use std::sync::Arc;

type MyIssuer = Issuer<MemoryStore, SdJwtVcMinter>;

/// The application's own route: makes an offer for the signed-in user (here: a fixed one).
async fn offer(State(issuer): State<Arc<MyIssuer>>) -> String {
    let spec = OfferSpec {
        credential_configuration_ids: vec!["eu.europa.ec.av.1".into()],
        pre_authorized: true,
        claims: Some(serde_json::json!({ "age_over_18": true })),
        ..OfferSpec::default()
    };
    match issuer.create_offer(spec).await {
        Ok(created) => created.credential_offer_uri,
        Err(e) => format!("could not create an offer: {e}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut metadata = CredentialIssuerMetadata::new("http://127.0.0.1:3000");
    metadata.credential_configurations_supported.insert(
        "eu.europa.ec.av.1".into(),
        CredentialConfiguration::sd_jwt_vc("eu.europa.ec.av.1"),
    );
    let minter = SdJwtVcMinter::generate();
    let jwks = serde_json::json!({ "keys": [minter.public_jwk()] });
    let issuer = Arc::new(Issuer::new(
        IssuerConfig::new(metadata),
        MemoryStore::new(),
        minter,
    ));

    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/offer", get(offer))
        .with_state(issuer.clone())
        .merge(oid4vci::axum::router(issuer, Some(jwks)));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000 (GET /offer makes a credential offer)");
    axum::serve(listener, app).await?;
    Ok(())
}
