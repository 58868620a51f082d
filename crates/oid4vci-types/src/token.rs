//! Token Request and Response (OID4VCI 1.0 Section 6; RFC 6749 §4.1.3, §5.1).
//!
//! Requests arrive as `application/x-www-form-urlencoded` bodies; [`TokenRequest::from_form`]
//! parses them with the rules of RFC 6749 §3.1 (no repeated parameters, empty values are absent,
//! unknown parameters ignored) and decodes `authorization_details` from its JSON string.

use crate::authorization_details::AuthorizationDetail;
use crate::error::ErrorCode;
use crate::offer::PRE_AUTHORIZED_CODE_GRANT_TYPE;
use crate::parse::{parse_form, MessageError, MessageErrorKind};
use crate::secret::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The grant of a token request.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenGrant {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code` (Section 6.1).
    PreAuthorizedCode {
        /// The pre-authorized code from the offer.
        pre_authorized_code: SecretString,
        /// The transaction code the user entered, when the offer asked for one.
        tx_code: Option<SecretString>,
    },
    /// `authorization_code` (RFC 6749 §4.1.3, with PKCE RFC 7636).
    AuthorizationCode {
        /// The authorization code.
        code: SecretString,
        /// The redirect URI used in the authorization request.
        redirect_uri: Option<String>,
        /// The PKCE code verifier.
        code_verifier: Option<SecretString>,
    },
    /// `refresh_token` (RFC 6749 §6): a new access token for the same grant.
    RefreshToken {
        /// The refresh token.
        refresh_token: SecretString,
    },
}

impl TokenGrant {
    /// The `grant_type` value of this grant.
    pub fn grant_type(&self) -> &'static str {
        match self {
            TokenGrant::PreAuthorizedCode { .. } => PRE_AUTHORIZED_CODE_GRANT_TYPE,
            TokenGrant::AuthorizationCode { .. } => "authorization_code",
            TokenGrant::RefreshToken { .. } => "refresh_token",
        }
    }
}

/// A token request (Section 6.1).
#[derive(Clone, Debug, PartialEq)]
pub struct TokenRequest {
    /// The grant and its parameters.
    pub grant: TokenGrant,
    /// The client identifier, when the client sent one.
    pub client_id: Option<String>,
    /// Narrows the token to some of the offered configurations (Section 6.1.1).
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// OAuth scope.
    pub scope: Option<String>,
    /// Other parameters, kept so nothing is lost (the server ignores what it does not know).
    pub extra: BTreeMap<String, String>,
}

impl TokenRequest {
    /// A pre-authorized code request, as a wallet sends it after scanning an offer.
    pub fn pre_authorized(code: impl Into<SecretString>, tx_code: Option<SecretString>) -> Self {
        TokenRequest {
            grant: TokenGrant::PreAuthorizedCode {
                pre_authorized_code: code.into(),
                tx_code,
            },
            client_id: None,
            authorization_details: None,
            scope: None,
            extra: BTreeMap::new(),
        }
    }

    /// A refresh token request (RFC 6749 §6).
    pub fn refresh(refresh_token: impl Into<SecretString>) -> Self {
        TokenRequest {
            grant: TokenGrant::RefreshToken {
                refresh_token: refresh_token.into(),
            },
            client_id: None,
            authorization_details: None,
            scope: None,
            extra: BTreeMap::new(),
        }
    }

    /// Parses a form-encoded body.
    ///
    /// Errors: repeated or malformed parameters and missing required ones → `invalid_request`;
    /// an unknown `grant_type` → `unsupported_grant_type`; malformed `authorization_details` →
    /// `invalid_authorization_details`; `tx_code` with a grant other than pre-authorized code →
    /// `invalid_request` (Section 6.1: "MUST only be used if the grant_type is … pre-authorized_code").
    pub fn from_form(body: &[u8]) -> Result<Self, MessageError> {
        let code = ErrorCode::InvalidRequest;
        let mut params = parse_form(body, code.clone())?;
        let grant_type = params
            .remove("grant_type")
            .ok_or_else(|| MessageError::missing(code.clone(), "grant_type"))?;
        let grant = match grant_type.as_str() {
            PRE_AUTHORIZED_CODE_GRANT_TYPE => TokenGrant::PreAuthorizedCode {
                pre_authorized_code: params
                    .remove("pre-authorized_code")
                    .ok_or_else(|| MessageError::missing(code.clone(), "pre-authorized_code"))?
                    .into(),
                // Draft 13 and earlier wallets sent `user_pin`; treat it as `tx_code`. Some
                // clients send both with the same value for compatibility; differing values
                // are ambiguous and refused.
                tx_code: match (params.remove("tx_code"), params.remove("user_pin")) {
                    (Some(a), Some(b)) if a != b => {
                        return Err(MessageError::new(
                            code,
                            MessageErrorKind::Conflicting("tx_code".into(), "user_pin".into()),
                        ))
                    }
                    (a, b) => a.or(b).map(SecretString::from),
                },
            },
            "authorization_code" => {
                if params.contains_key("tx_code") {
                    return Err(MessageError::invalid(
                        code,
                        "tx_code",
                        "only allowed with the pre-authorized_code grant (OID4VCI 1.0 Section 6.1)",
                    ));
                }
                TokenGrant::AuthorizationCode {
                    code: params
                        .remove("code")
                        .ok_or_else(|| MessageError::missing(code.clone(), "code"))?
                        .into(),
                    redirect_uri: params.remove("redirect_uri"),
                    code_verifier: params.remove("code_verifier").map(SecretString::from),
                }
            }
            "refresh_token" => {
                if params.contains_key("tx_code") {
                    return Err(MessageError::invalid(
                        code,
                        "tx_code",
                        "only allowed with the pre-authorized_code grant (OID4VCI 1.0 Section 6.1)",
                    ));
                }
                TokenGrant::RefreshToken {
                    refresh_token: params
                        .remove("refresh_token")
                        .ok_or_else(|| MessageError::missing(code.clone(), "refresh_token"))?
                        .into(),
                }
            }
            other => {
                return Err(MessageError::new(
                    ErrorCode::UnsupportedGrantType,
                    MessageErrorKind::UnsupportedGrantType(other.to_owned()),
                ))
            }
        };
        let authorization_details = params
            .remove("authorization_details")
            .map(|json| AuthorizationDetail::parse_list(&json))
            .transpose()?;
        Ok(TokenRequest {
            grant,
            client_id: params.remove("client_id"),
            authorization_details,
            scope: params.remove("scope"),
            extra: params,
        })
    }

    /// Encodes the request as a form body (for clients and tests).
    pub fn to_form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", self.grant.grant_type());
        match &self.grant {
            TokenGrant::PreAuthorizedCode {
                pre_authorized_code,
                tx_code,
            } => {
                form.append_pair("pre-authorized_code", pre_authorized_code.expose());
                if let Some(tx) = tx_code {
                    form.append_pair("tx_code", tx.expose());
                }
            }
            TokenGrant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                form.append_pair("code", code.expose());
                if let Some(uri) = redirect_uri {
                    form.append_pair("redirect_uri", uri);
                }
                if let Some(v) = code_verifier {
                    form.append_pair("code_verifier", v.expose());
                }
            }
            TokenGrant::RefreshToken { refresh_token } => {
                form.append_pair("refresh_token", refresh_token.expose());
            }
        }
        if let Some(id) = &self.client_id {
            form.append_pair("client_id", id);
        }
        if let Some(details) = &self.authorization_details {
            let json = serde_json::to_string(details).unwrap_or_default();
            form.append_pair("authorization_details", &json);
        }
        if let Some(scope) = &self.scope {
            form.append_pair("scope", scope);
        }
        for (k, v) in &self.extra {
            form.append_pair(k, v);
        }
        form.finish()
    }
}

/// A successful token response (Section 6.2, RFC 6749 §5.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token. Redacted in `Debug`.
    pub access_token: SecretString,
    /// `Bearer` or `DPoP`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Refresh token. Redacted in `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<SecretString>,
    /// What the token grants, with `credential_identifiers` (REQUIRED when the request used
    /// `authorization_details`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// Draft 13 compatibility: a nonce for the first proof. 1.0 wallets use the Nonce Endpoint and
    /// ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce: Option<String>,
    /// Draft 13 compatibility: lifetime of `c_nonce` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce_expires_in: Option<u64>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TokenResponse {
    /// A bearer token response.
    pub fn bearer(access_token: impl Into<SecretString>, expires_in: u64) -> Self {
        TokenResponse {
            access_token: access_token.into(),
            token_type: "Bearer".into(),
            expires_in: Some(expires_in),
            scope: None,
            refresh_token: None,
            authorization_details: None,
            c_nonce: None,
            c_nonce_expires_in: None,
            extra: Map::new(),
        }
    }
}
