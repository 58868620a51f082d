//! `oid4vci offer decode`: what a credential offer URI (or QR code text) says.

use clap::Subcommand;
use oid4vci_types::{CredentialOfferRequest, InputMode};
use serde_json::json;
use std::process::ExitCode;

/// `oid4vci offer …`
#[derive(Debug, Subcommand)]
pub enum OfferCommand {
    /// Decode an `openid-credential-offer://` URI (or a wallet offer-endpoint URL) and print the
    /// offer as JSON, with a validation verdict. Offers by reference print the URL to fetch.
    Decode {
        /// The offer URI, or `-` to read it from standard input.
        uri: String,
    },
}

/// Runs an `offer` subcommand. Exit 0 for a valid offer, 1 for an invalid one, 2 for usage errors.
pub fn run(cmd: OfferCommand) -> ExitCode {
    let OfferCommand::Decode { uri } = cmd;
    let uri = if uri == "-" {
        let mut text = String::new();
        if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            eprintln!("error: cannot read standard input: {e}");
            return ExitCode::from(crate::exit_code::EXIT_USAGE);
        }
        text.trim().to_owned()
    } else {
        uri
    };
    let (code, out) = match CredentialOfferRequest::from_uri(&uri) {
        Ok(CredentialOfferRequest::ByValue(offer)) => {
            let grant = offer.pre_authorized_code_grant();
            let tx = grant.and_then(|g| g.tx_code.as_ref());
            let summary = json!({
                "valid": true,
                "by": "value",
                "credential_issuer": offer.credential_issuer,
                "credential_configuration_ids": offer.credential_configuration_ids,
                "pre_authorized_code": grant.is_some(),
                "tx_code_required": tx.is_some(),
                "tx_code_input_mode": tx.map(|t| match t.effective_input_mode() { InputMode::Numeric => "numeric".to_owned(), other => other.as_str().to_owned() }),
                "authorization_code": offer.grants.as_ref().is_some_and(|g| g.authorization_code.is_some()),
                "metadata_url": oid4vci_types::metadata_url(&offer.credential_issuer),
                "credential_offer": offer,
            });
            (ExitCode::SUCCESS, summary)
        }
        Ok(CredentialOfferRequest::ByReference(reference)) => (
            ExitCode::SUCCESS,
            json!({"valid": true, "by": "reference", "credential_offer_uri": reference,
                   "next": "GET this URL (Accept: application/json) to obtain the offer"}),
        ),
        Err(e) => (
            ExitCode::from(1),
            json!({"valid": false, "error": e.code.as_str(), "reason": e.kind.to_string(), "spec_ref": "OID4VCI 1.0 Section 4.1"}),
        ),
    };
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    code
}
