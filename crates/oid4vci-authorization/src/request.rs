//! The authorization request a wallet pushes (RFC 9126 §2.1 over RFC 6749 §4.1.1, OID4VCI 1.0
//! Section 5.1): parsing with size limits, then checking against the issuer's metadata and rules.

use crate::pkce::CodeChallenge;
use crate::redirect::RedirectRules;
use oid4vci_types::parse::parse_form;
use oid4vci_types::{
    AuthorizationDetail, CredentialIssuerMetadata, ErrorCode, ErrorResponse, OPENID_CREDENTIAL,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest `client_id`, `state`, `issuer_state`, `user_hint` and `wallet_issuer` accepted.
pub const MAX_PARAM_LEN: usize = 512;
/// Longest `scope` accepted.
pub const MAX_SCOPE_LEN: usize = 1024;
/// Most scope values in one request.
pub const MAX_SCOPES: usize = 16;

fn invalid(code: ErrorCode, text: impl AsRef<str>) -> ErrorResponse {
    ErrorResponse::new(code).with_description(text)
}

/// An authorization request whose every parameter is checked: what the issuer stores behind a
/// `request_uri`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client (the wallet) as it named itself, or as its attestation authenticated it.
    pub client_id: String,
    /// Where the response goes (checked against [`RedirectRules`]).
    pub redirect_uri: String,
    /// Echoed back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The PKCE challenge (S256).
    pub code_challenge: CodeChallenge,
    /// The scope as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The `authorization_details` as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// Binds the request to an offer (Section 5.1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_state: Option<String>,
    /// The wallet's issuer identifier (Section 5.1.2), passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_issuer: Option<String>,
    /// A hint about the user (Section 5.1.2), passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_hint: Option<String>,
    /// RFC 9449 §10: the DPoP key the authorization code is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

fn bounded(
    params: &mut BTreeMap<String, String>,
    name: &str,
    limit: usize,
) -> Result<Option<String>, ErrorResponse> {
    match params.remove(name) {
        Some(v) if v.len() > limit => Err(invalid(
            ErrorCode::InvalidRequest,
            format!("{name} is longer than {limit} characters"),
        )),
        Some(v) if v.chars().any(char::is_control) => Err(invalid(
            ErrorCode::InvalidRequest,
            format!("{name} contains control characters"),
        )),
        other => Ok(other),
    }
}

impl AuthorizationRequest {
    /// Parses and checks a pushed authorization request body (`application/x-www-form-urlencoded`).
    ///
    /// Errors: `invalid_request` for a missing or malformed parameter, `plain` or missing PKCE, a
    /// `request_uri` or `request` parameter, a `response_type` other than `code`, a refused
    /// `redirect_uri`; `invalid_authorization_details` for malformed details.
    pub fn from_form(body: &[u8], rules: &RedirectRules) -> Result<Self, ErrorResponse> {
        let mut params =
            parse_form(body, ErrorCode::InvalidRequest).map_err(|e| e.to_error_response())?;
        if params.contains_key("request_uri") {
            return Err(invalid(
                ErrorCode::InvalidRequest,
                "request_uri must not be sent to the pushed authorization request endpoint (RFC 9126 Section 2.1)",
            ));
        }
        if params.contains_key("request") {
            return Err(invalid(
                ErrorCode::InvalidRequest,
                "request objects (JAR) are not supported; send the parameters in the form",
            ));
        }
        match params.remove("response_type").as_deref() {
            Some("code") => {}
            None => {
                return Err(invalid(
                    ErrorCode::InvalidRequest,
                    "response_type is required (code)",
                ))
            }
            Some(_) => {
                return Err(invalid(
                    ErrorCode::Other("unsupported_response_type".into()),
                    "only response_type=code is supported",
                ))
            }
        }
        let client_id = bounded(&mut params, "client_id", MAX_PARAM_LEN)?
            .ok_or_else(|| invalid(ErrorCode::InvalidRequest, "client_id is required"))?;
        let redirect_uri = params.remove("redirect_uri").ok_or_else(|| {
            invalid(
                ErrorCode::InvalidRequest,
                "redirect_uri is required (wallets are public clients without registered redirect URIs)",
            )
        })?;
        rules
            .check(&redirect_uri)
            .map_err(|why| invalid(ErrorCode::InvalidRequest, why))?;
        let code_challenge = CodeChallenge::from_request(
            params.remove("code_challenge").as_deref(),
            params.remove("code_challenge_method").as_deref(),
        )?;
        let state = bounded(&mut params, "state", MAX_PARAM_LEN)?;
        let scope = bounded(&mut params, "scope", MAX_SCOPE_LEN)?;
        let authorization_details = params
            .remove("authorization_details")
            .map(|json| AuthorizationDetail::parse_list(&json))
            .transpose()
            .map_err(|e| e.to_error_response())?;
        let dpop_jkt = bounded(&mut params, "dpop_jkt", 128)?;
        Ok(AuthorizationRequest {
            client_id,
            redirect_uri,
            state,
            code_challenge,
            scope,
            authorization_details,
            issuer_state: bounded(&mut params, "issuer_state", MAX_PARAM_LEN)?,
            wallet_issuer: bounded(&mut params, "wallet_issuer", MAX_PARAM_LEN)?,
            user_hint: bounded(&mut params, "user_hint", MAX_PARAM_LEN)?,
            dpop_jkt,
        })
    }

    /// Binds the request to the key of a DPoP proof sent with it (RFC 9449 §10.1): a `dpop_jkt`
    /// parameter must equal the proof's thumbprint (`invalid_dpop_proof` otherwise).
    pub fn bind_dpop(&mut self, proof_jkt: &str) -> Result<(), ErrorResponse> {
        match &self.dpop_jkt {
            Some(given) if given != proof_jkt => Err(invalid(
                ErrorCode::InvalidDpopProof,
                "dpop_jkt differs from the thumbprint of the DPoP proof sent with the request (RFC 9449 Section 10.1)",
            )),
            _ => {
                self.dpop_jkt = Some(proof_jkt.to_owned());
                Ok(())
            }
        }
    }

    /// The URL the browser is sent back to: `redirect_uri` with `params` added to its query
    /// (RFC 6749 §4.1.2), always with `iss` (RFC 9207) and, when the request had one, `state`.
    pub fn redirect_with(&self, issuer: &str, params: &[(&str, &str)]) -> String {
        let mut url = match url::Url::parse(&self.redirect_uri) {
            Ok(u) => u,
            Err(_) => return self.redirect_uri.clone(),
        };
        {
            let mut query = url.query_pairs_mut();
            for (k, v) in params {
                query.append_pair(k, v);
            }
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", issuer);
        }
        url.into()
    }

    /// The configurations the request asks for, from `scope` (matched against each
    /// configuration's `scope` in the metadata) and `authorization_details`, in request order
    /// without repeats. Empty when the request names none (an `issuer_state` then decides).
    ///
    /// Unknown scope values are ignored (Section 5.1.2). Errors: `invalid_scope` when no scope
    /// value names a configuration and there are no `authorization_details`; `invalid_authorization_details`
    /// for an unknown configuration, a wrong `type`, or `locations` without this issuer.
    pub fn configurations(
        &self,
        metadata: &CredentialIssuerMetadata,
    ) -> Result<Vec<String>, ErrorResponse> {
        let mut ids: Vec<String> = Vec::new();
        let mut add = |id: String| {
            if !ids.contains(&id) {
                ids.push(id);
            }
        };
        if let Some(scope) = &self.scope {
            let values: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
            if values.len() > MAX_SCOPES {
                return Err(invalid(
                    ErrorCode::InvalidScope,
                    format!("at most {MAX_SCOPES} scope values"),
                ));
            }
            // Section 5.1.2: unknown scope values are ignored (wallets send `openid` and the
            // like beside their credential scopes).
            let known: Vec<String> = values
                .iter()
                .filter_map(|value| {
                    metadata
                        .credential_configurations_supported
                        .iter()
                        .find(|(_, c)| c.scope.as_deref() == Some(*value))
                        .map(|(id, _)| id.clone())
                })
                .collect();
            // A scope that names no credential at all, with nothing else to go by, is refused.
            if known.is_empty() && self.authorization_details.is_none() {
                let shown = values.join(" ");
                return Err(invalid(
                    ErrorCode::InvalidScope,
                    format!("no credential configuration has any of the scope values {shown:?} (see scope in the issuer metadata)"),
                ));
            }
            for id in known {
                add(id);
            }
        }
        for detail in self.authorization_details.iter().flatten() {
            add(configuration_of(detail, metadata)?);
        }
        Ok(ids)
    }

    /// Keeps of `authorization_details` only what the issuer uses later: each entry becomes
    /// `{"type": "openid_credential", "credential_configuration_id": …}` for the configuration it
    /// named (draft 13's `format` entries resolved), so what a pushed request stores until it
    /// expires is bounded whatever members were sent. Errors as [`Self::configurations`].
    pub fn trim_details(
        &mut self,
        metadata: &CredentialIssuerMetadata,
    ) -> Result<(), ErrorResponse> {
        if let Some(details) = &self.authorization_details {
            let trimmed = details
                .iter()
                .map(|d| configuration_of(d, metadata).map(AuthorizationDetail::for_configuration))
                .collect::<Result<Vec<_>, _>>()?;
            self.authorization_details = Some(trimmed);
        }
        Ok(())
    }
}

fn configuration_of(
    detail: &AuthorizationDetail,
    metadata: &CredentialIssuerMetadata,
) -> Result<String, ErrorResponse> {
    let bad = |text: String| invalid(ErrorCode::InvalidAuthorizationDetails, text);
    if detail.detail_type != OPENID_CREDENTIAL {
        return Err(bad(format!("unsupported type {}", detail.detail_type)));
    }
    if let Some(locations) = &detail.locations {
        if !locations.iter().any(|l| l == &metadata.credential_issuer) {
            return Err(bad(
                "locations must contain this Credential Issuer Identifier (OID4VCI 1.0 Section 5.1.1)"
                    .into(),
            ));
        }
    }
    match (&detail.credential_configuration_id, &detail.format) {
        (Some(id), _) => {
            if metadata
                .credential_configurations_supported
                .contains_key(id)
            {
                Ok(id.clone())
            } else {
                Err(bad(format!(
                    "unknown credential_configuration_id {id:?} (see credential_configurations_supported)"
                )))
            }
        }
        (None, Some(_)) => {
            let selector: Option<oid4vci_types::FormatSelector> = serde_json::to_value(detail)
                .ok()
                .and_then(|v| serde_json::from_value(v).ok());
            selector
                .as_ref()
                .and_then(|s| metadata.find_by_format(s))
                .map(str::to_owned)
                .ok_or_else(|| bad("no credential configuration matches this format".into()))
        }
        (None, None) => Err(bad("credential_configuration_id is required".into())),
    }
}
