//! [`Presented`]: what a wallet request presented besides its body — an access token with its
//! scheme, a DPoP proof, a wallet attestation and its PoP — as values. The HTTP adapter reads
//! them from headers (`oid4vci-axum`); the core parses no header syntax.

use crate::refusal::{Cause, Refusal};
use oid4vci_types::RequestForm;

/// How an access token was presented (the `Authorization` scheme, RFC 6750 §2.1, RFC 9449 §7.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenScheme {
    /// `Bearer`.
    Bearer,
    /// `DPoP`.
    DPoP,
    /// Any other scheme (refused: an access token goes with `Bearer` or `DPoP`).
    Other(String),
}

/// An access token as presented. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The scheme it came with.
    pub scheme: TokenScheme,
    /// The token.
    pub value: String,
}

impl AccessToken {
    /// A `Bearer` token.
    pub fn bearer(token: &str) -> Self {
        AccessToken {
            scheme: TokenScheme::Bearer,
            value: token.to_owned(),
        }
    }

    /// A token sent with the `DPoP` scheme.
    pub fn dpop(token: &str) -> Self {
        AccessToken {
            scheme: TokenScheme::DPoP,
            value: token.to_owned(),
        }
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("scheme", &self.scheme)
            .field("value", &"[redacted]")
            .finish()
    }
}

/// What a request presented besides its body.
#[derive(Clone, Debug, Default)]
pub struct Presented {
    /// The access token, if any.
    pub access_token: Option<AccessToken>,
    /// The DPoP proof (RFC 9449), if any.
    pub dpop: Option<String>,
    /// The wallet attestation (client authentication, Appendix E), if any.
    pub client_attestation: Option<String>,
    /// The wallet attestation's proof of possession, if any.
    pub client_attestation_pop: Option<String>,
    /// Which spec version the credential request body was written against (see
    /// [`CredentialRequest::from_json_with_form`](oid4vci_types::CredentialRequest::from_json_with_form)).
    /// Draft-13 wallets also get a singular `credential` and a fresh `c_nonce` in the response.
    pub request_form: RequestForm,
    /// The address the request came from (the connection's peer, or what a proxy you trust
    /// says), when known: pushed authorization requests are rate-limited per address.
    pub client_address: Option<std::net::IpAddr>,
}

/// [`Presented`] under its former name.
pub type HttpFacts = Presented;

impl Presented {
    /// A `Bearer` token.
    pub fn bearer(token: &str) -> Self {
        Presented {
            access_token: Some(AccessToken::bearer(token)),
            ..Presented::default()
        }
    }

    /// A DPoP-bound token and its DPoP proof.
    pub fn dpop(token: &str, proof: &str) -> Self {
        Presented {
            access_token: Some(AccessToken::dpop(token)),
            dpop: Some(proof.to_owned()),
            ..Presented::default()
        }
    }

    /// The access token and whether it was sent with the `DPoP` scheme (else `Bearer`).
    pub(crate) fn access_token(&self) -> Result<(&str, bool), Refusal> {
        let token = self.access_token.as_ref().ok_or_else(|| {
            Refusal::new(
                Cause::AccessTokenMissing,
                "missing Authorization header with a Bearer (or DPoP) access token",
            )
        })?;
        let dpop = match token.scheme {
            TokenScheme::Bearer => false,
            TokenScheme::DPoP => true,
            TokenScheme::Other(_) => {
                return Err(Refusal::new(
                    Cause::AccessTokenMalformed,
                    "the access token must be sent with the Bearer or DPoP scheme",
                ))
            }
        };
        let value = token.value.as_str();
        if value.is_empty() || value.len() > crate::external_as::MAX_TOKEN_LEN {
            return Err(Refusal::new(
                Cause::AccessTokenMalformed,
                "malformed access token",
            ));
        }
        Ok((value, dpop))
    }
}
