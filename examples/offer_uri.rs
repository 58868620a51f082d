//! Builds a credential offer with a pre-authorized code and a transaction code, and prints it as
//! an `openid-credential-offer://` URI by value and by reference.
//!
//! Run with `cargo run --example offer_uri`.

use oid4vci::types::{CredentialOffer, CredentialOfferRequest, InputMode, TxCode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let offer = CredentialOffer::new("https://issuer.example.com", ["eu.europa.ec.av.1"])
        .with_pre_authorized_code(
            "oaKazRN8I0IbtZ0C7JuMn5",
            Some(TxCode {
                input_mode: Some(InputMode::Numeric),
                length: Some(6),
                description: Some("Enter the code sent to your phone".into()),
                ..TxCode::default()
            }),
        );
    offer.validate()?;

    println!("{}", serde_json::to_string_pretty(&offer)?);
    println!();
    println!(
        "by value:     {}",
        CredentialOfferRequest::ByValue(offer).to_uri()
    );
    let by_reference = CredentialOfferRequest::ByReference(
        "https://issuer.example.com/credential-offer/3f9a".into(),
    );
    println!("by reference: {}", by_reference.to_uri());
    Ok(())
}
