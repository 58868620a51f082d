//! A wallet's whole pre-authorized code flow over HTTP, with reqwest, against an issuer started
//! in this process on a free loopback port: offer → metadata → token → nonce → credential (ES256
//! proof) → notification. Prints each step and the disclosed claims.
//!
//! Run with `cargo run --example wallet_flow`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use oid4vci::issuer::{Issuer, IssuerConfig, MemoryStore, OfferSpec};
use oid4vci::sd_jwt::SdJwtVcMinter;
use oid4vci::types::*;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The issuer, on a free port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut metadata = CredentialIssuerMetadata::new(base.clone());
    let config = CredentialConfiguration::sd_jwt_vc("eu.europa.ec.av.1");
    metadata
        .credential_configurations_supported
        .insert("eu.europa.ec.av.1".into(), config);
    let minter = SdJwtVcMinter::generate();
    let issuer = Arc::new(Issuer::new(
        IssuerConfig::new(metadata),
        MemoryStore::new(),
        minter,
    ));
    let spec = OfferSpec {
        credential_configuration_ids: vec!["eu.europa.ec.av.1".into()],
        pre_authorized: true,
        claims: Some(json!({"age_over_18": true, "nationality": "DE"})),
        ..OfferSpec::default()
    };
    let offer_uri = issuer.create_offer(spec).await?.credential_offer_uri;
    let app = oid4vci::axum::router(issuer, None);
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The wallet.
    let http = reqwest::Client::new();
    println!("offer:      {offer_uri}");
    let CredentialOfferRequest::ByReference(reference) =
        CredentialOfferRequest::from_uri(&offer_uri)?
    else {
        return Err("expected an offer by reference".into());
    };
    let offer: CredentialOffer = http.get(&reference).send().await?.json().await?;
    let metadata_url = format!(
        "{}/.well-known/openid-credential-issuer",
        offer.credential_issuer
    );
    let metadata: CredentialIssuerMetadata = http.get(metadata_url).send().await?.json().await?;
    println!(
        "metadata:   credential endpoint {}",
        metadata.credential_endpoint
    );

    let code = offer
        .pre_authorized_code_grant()
        .ok_or("no pre-authorized code")?
        .pre_authorized_code
        .clone();
    let form = TokenRequest::pre_authorized(code, None).to_form();
    let token: TokenResponse = http
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?
        .json()
        .await?;
    println!(
        "token:      {} token, expires in {:?} s",
        token.token_type, token.expires_in
    );

    let nonce_url = metadata.nonce_endpoint.clone().ok_or("no nonce endpoint")?;
    let nonce: NonceResponse = http.post(nonce_url).send().await?.json().await?;
    let wallet = TestWallet::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let proof = wallet.proof(&metadata.credential_issuer, Some(&nonce.c_nonce), now);
    let request = CredentialRequest::for_configuration("eu.europa.ec.av.1", vec![proof]);
    let response: CredentialResponse = http
        .post(&metadata.credential_endpoint)
        .bearer_auth(token.access_token.expose())
        .json(&request)
        .send()
        .await?
        .json()
        .await?;
    let credentials = response.credentials.clone().ok_or("no credentials")?;
    let sd_jwt = credentials[0].credential.as_str().ok_or("not a string")?;
    println!("credential: {}…", &sd_jwt[..60.min(sd_jwt.len())]);
    for disclosure in sd_jwt.split('~').skip(1).filter(|d| !d.is_empty()) {
        let decoded: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(disclosure)?)?;
        println!("  disclosed {} = {}", decoded[1], decoded[2]);
    }

    if let (Some(endpoint), Some(id)) = (&metadata.notification_endpoint, &response.notification_id)
    {
        let note = json!({"notification_id": id, "event": "credential_accepted"});
        let status = http
            .post(endpoint)
            .bearer_auth(token.access_token.expose())
            .json(&note)
            .send()
            .await?
            .status();
        println!("notified:   {status}");
    }
    Ok(())
}
