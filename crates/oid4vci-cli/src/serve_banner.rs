//! What `oid4vci serve` prints when it starts: where everything is, the admin token, and two
//! offers to scan (pre-authorized, with a QR code, and by the login page).

use crate::serve_config::{example_claims, CredentialEntry, EntryFormat};
use crate::serve_issuer::ServedIssuer;
use oid4vci_issuer::{CredentialMinter, Issuer, OfferSpec, SessionStore};
use std::path::Path;

/// Where the banner's facts come from beside the issuer.
pub struct Banner<'a> {
    /// The Credential Issuer Identifier.
    pub issuer_url: &'a str,
    /// How the sessions are stored.
    pub sessions: String,
    /// The token of `/admin`, `/metrics` and the console.
    pub admin_token: &'a str,
    /// Whether wallet debugging mode is on.
    pub wallet_debug: bool,
    /// The issuer's certificate chain (PEM).
    pub chain_file: &'a Path,
}

/// Creates the startup offers and prints the banner.
pub async fn print(served: &ServedIssuer, banner: Banner<'_>) -> Result<(), String> {
    let issuer = &served.issuer;
    let created = startup_offer(issuer, &served.credentials).await?;
    println!("oid4vci-rs demo issuer");
    println!("credential issuer: {}", banner.issuer_url);
    println!("sessions:          {}", banner.sessions);
    println!("admin token:       {}", banner.admin_token);
    println!(
        "console:           {}/console (sign in with the admin token{})",
        banner.issuer_url,
        if banner.wallet_debug {
            "; wallet debugging mode: /console/refused"
        } else {
            ""
        }
    );
    if let Some(lists) = issuer.status_list_config() {
        println!(
            "status lists:      {} (revoke: POST /admin/sessions/{{id}}/revoke)",
            lists.uri(1)
        );
    }
    println!(
        "issuer chain:      {} (PEM, leaf first)",
        banner.chain_file.display()
    );
    println!(
        "offer (scan with a wallet, valid {} s):",
        issuer.config().offer_ttl
    );
    println!("{}", created.credential_offer_uri);
    print_qr(&created.credential_offer_uri);
    // The sign-in offer is for the first SD-JWT VC configuration (what the npm wallet takes), else
    // the first one.
    let first = (served.credentials.iter())
        .find(|c| c.format == EntryFormat::SdJwtVc)
        .or(served.credentials.first())
        .ok_or("no credential configurations")?;
    let by_login = crate::serve_authorization::authorization_code_offer(issuer, first).await?;
    println!(
        "authorization code offer (sign in as {} / {}): {by_login}",
        served.demo_user.username, served.demo_user.password
    );
    Ok(())
}

/// The offer printed at startup: every configured credential, each with its example claims
/// (a configuration without example claims is issued once claims are submitted).
async fn startup_offer<S: SessionStore, M: CredentialMinter>(
    issuer: &Issuer<S, M>,
    credentials: &[CredentialEntry],
) -> Result<oid4vci_issuer::OfferCreated, String> {
    let fail = |e: oid4vci_issuer::IssuerError| format!("cannot create the startup offer: {e}");
    let created = issuer
        .create_offer(OfferSpec {
            credential_configuration_ids: credentials.iter().map(|c| c.id.clone()).collect(),
            pre_authorized: true,
            claims: None,
            ..OfferSpec::default()
        })
        .await
        .map_err(fail)?;
    for entry in credentials.iter().filter(|c| c.example_claims.is_some()) {
        issuer
            .submit_claims(&created.session_id, &entry.id, example_claims(entry))
            .await
            .map_err(fail)?;
    }
    Ok(created)
}

fn print_qr(text: &str) {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let rendered = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .build();
            println!("{rendered}");
        }
        Err(e) => println!("(offer too long for a QR code: {e})"),
    }
}
