//! `oid4vci offer decode`: what a credential offer URI (or QR code text) says.

use clap::Subcommand;
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
    let (valid, out) = oid4vci_types::offer_report::describe_offer(&uri);
    let code = match valid {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    };
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    code
}
