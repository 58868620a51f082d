//! The wallet's and the operator's messages as the types crate parses them. Where a message
//! can be written back, a parsed message must survive writing and parsing again unchanged.

use oid4vci_authorization::{AuthorizationRequest, RedirectRules};
use oid4vci_types::parse::parse_form;
use oid4vci_types::{
    AuthorizationDetail, CredentialConfiguration, CredentialIssuerMetadata, CredentialOffer,
    CredentialOfferRequest, CredentialRequest, DeferredCredentialRequest, ErrorCode,
    NotificationRequest, TokenRequest,
};

/// Any `application/x-www-form-urlencoded` body (token, PAR and login forms start here).
pub fn form(data: &[u8]) {
    let _ = parse_form(data, ErrorCode::InvalidRequest);
}

/// `POST /token`: a parsed request survives `to_form` and parsing again.
pub fn token_form(data: &[u8]) {
    if let Ok(request) = TokenRequest::from_form(data) {
        let again = TokenRequest::from_form(request.to_form().as_bytes());
        assert_eq!(
            again.ok().as_ref(),
            Some(&request),
            "token request round trip"
        );
    }
}

/// `POST /credential` (1.0 and draft 13): a parsed request survives serialising and parsing.
pub fn credential_request(data: &[u8]) {
    if let Ok((request, _form)) = CredentialRequest::from_json_with_form(data) {
        let json = serde_json::to_vec(&request).unwrap_or_default();
        let again = CredentialRequest::from_json_with_form(&json).map(|(r, _)| r);
        assert_eq!(
            again.ok().as_ref(),
            Some(&request),
            "credential request round trip"
        );
    }
}

/// `POST /deferred_credential`: a parsed request survives serialising and parsing.
pub fn deferred_request(data: &[u8]) {
    if let Ok(request) = DeferredCredentialRequest::from_json(data) {
        let json = serde_json::to_vec(&request).unwrap_or_default();
        let again = DeferredCredentialRequest::from_json(&json);
        assert_eq!(
            again.ok().as_ref(),
            Some(&request),
            "deferred request round trip"
        );
    }
}

/// `POST /notification`: a parsed request survives serialising and parsing.
pub fn notification_request(data: &[u8]) {
    if let Ok(request) = NotificationRequest::from_json(data) {
        let json = serde_json::to_vec(&request).unwrap_or_default();
        let again = NotificationRequest::from_json(&json);
        assert_eq!(
            again.ok().as_ref(),
            Some(&request),
            "notification round trip"
        );
    }
}

/// A credential offer URI (by value or by reference) and an offer's JSON: a parsed offer
/// survives encoding and decoding.
pub fn offer_uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(offer) = CredentialOfferRequest::from_uri(text) {
        let again = CredentialOfferRequest::from_uri(&offer.to_uri());
        assert_eq!(again.ok().as_ref(), Some(&offer), "offer URI round trip");
    }
    if let Ok(offer) = CredentialOffer::from_json(data) {
        let json = serde_json::to_vec(&offer).unwrap_or_default();
        let again = CredentialOffer::from_json(&json);
        assert_eq!(again.ok().as_ref(), Some(&offer), "offer JSON round trip");
    }
}

/// Credential issuer metadata (as a wallet or a `--config` reads it): a parsed document
/// survives serialising and parsing.
pub fn issuer_metadata(data: &[u8]) {
    if let Ok(metadata) = CredentialIssuerMetadata::from_json(data) {
        let json = serde_json::to_vec(&metadata).unwrap_or_default();
        let again = CredentialIssuerMetadata::from_json(&json);
        assert_eq!(again.ok().as_ref(), Some(&metadata), "metadata round trip");
    }
}

/// `authorization_details` (PAR and token requests): a parsed list survives serialising and
/// parsing.
pub fn authorization_details(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(list) = AuthorizationDetail::parse_list(text) {
        let json = serde_json::to_string(&list).unwrap_or_default();
        let again = AuthorizationDetail::parse_list(&json);
        assert_eq!(
            again.ok().as_ref(),
            Some(&list),
            "authorization_details round trip"
        );
    }
}

/// `POST /par`: the authorization request, what it asks for against a metadata document, and
/// the trimmed form that is stored.
pub fn par_form(data: &[u8]) {
    let Ok(mut request) = AuthorizationRequest::from_form(data, &RedirectRules::default()) else {
        return;
    };
    let metadata = crate::http::metadata();
    if let Ok(ids) = request.configurations(&metadata) {
        assert!(
            request.trim_details(&metadata).is_ok(),
            "details accepted by configurations() must trim"
        );
        for id in ids {
            assert!(metadata
                .credential_configurations_supported
                .contains_key(&id));
        }
    }
}

/// A configuration as `--config` or the metadata carries it.
pub fn credential_configuration(data: &[u8]) {
    if let Ok(c) = serde_json::from_slice::<CredentialConfiguration>(data) {
        let json = serde_json::to_vec(&c).unwrap_or_default();
        let again = serde_json::from_slice::<CredentialConfiguration>(&json);
        assert_eq!(again.ok().as_ref(), Some(&c), "configuration round trip");
    }
}
