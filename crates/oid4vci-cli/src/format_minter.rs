//! [`FormatMinter`]: one [`CredentialMinter`] per credential format, picked by the
//! configuration's `format`.

use oid4vci_issuer::{CredentialMinter, MintError, MintOutcome, MintRequest};
use oid4vci_types::CredentialFormat;

/// Dispatches `mso_mdoc` configurations to `mdoc` and every other format to `sd_jwt`.
#[derive(Debug)]
pub struct FormatMinter<S, M> {
    /// The minter for SD-JWT VCs (and any format other than `mso_mdoc`).
    pub sd_jwt: S,
    /// The minter for `mso_mdoc`.
    pub mdoc: M,
}

impl<S: CredentialMinter, M: CredentialMinter> CredentialMinter for FormatMinter<S, M> {
    async fn mint<'a>(&'a self, request: MintRequest<'a>) -> Result<MintOutcome, MintError> {
        if request.configuration.format == CredentialFormat::MsoMdoc {
            self.mdoc.mint(request).await
        } else {
            self.sd_jwt.mint(request).await
        }
    }

    fn check_claims(
        &self,
        configuration_id: &str,
        configuration: &oid4vci_types::CredentialConfiguration,
        claims: &serde_json::Value,
    ) -> Result<(), MintError> {
        if configuration.format == CredentialFormat::MsoMdoc {
            self.mdoc
                .check_claims(configuration_id, configuration, claims)
        } else {
            self.sd_jwt
                .check_claims(configuration_id, configuration, claims)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oid4vci_types::CredentialConfiguration;
    use serde_json::{json, Value};

    /// Answers with its own name, to see which one was asked.
    struct Named(&'static str);

    impl CredentialMinter for Named {
        async fn mint<'a>(&'a self, _: MintRequest<'a>) -> Result<MintOutcome, MintError> {
            Ok(MintOutcome::Issued(vec![json!(self.0)]))
        }
    }

    fn mint(minter: &FormatMinter<Named, Named>, config: &CredentialConfiguration) -> Value {
        let request = MintRequest {
            issuer: "https://issuer.example.com",
            configuration_id: "c",
            configuration: config,
            claims: &Value::Null,
            holder_keys: &[],
            statuses: &[],
            subject_id: None,
            now: 0,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        match runtime.block_on(minter.mint(request)) {
            Ok(MintOutcome::Issued(v)) => v.first().cloned().unwrap_or(Value::Null),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_format_goes_to_its_minter() {
        let minter = FormatMinter {
            sd_jwt: Named("sd-jwt"),
            mdoc: Named("mdoc"),
        };
        assert_eq!(
            mint(&minter, &CredentialConfiguration::mso_mdoc("d")),
            "mdoc"
        );
        assert_eq!(
            mint(&minter, &CredentialConfiguration::sd_jwt_vc("v")),
            "sd-jwt"
        );
    }
}
