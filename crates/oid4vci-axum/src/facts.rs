//! What the issuer needs from an HTTP request besides its body, read from its headers: the
//! access token and its scheme (`Authorization`), the DPoP proof, the wallet attestation and
//! its PoP; and the address the request came from.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use oid4vci_issuer::{AccessToken, CredentialMinter, Issuer, Presented, SessionStore, TokenScheme};
use std::net::{IpAddr, SocketAddr};

/// The address a request came from, as the login page's throttling sees it: insert one as a
/// request extension (from a middleware that reads a header your trusted proxy sets) to
/// override the connection's peer, which the router takes from axum's
/// [`ConnectInfo<SocketAddr>`] when the server provides it
/// (`into_make_service_with_connect_info::<SocketAddr>()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// Middleware that sets [`ClientAddress`] from the last entry of a header your reverse proxy
/// writes (`X-Forwarded-For` appends the peer it saw; `X-Real-IP` holds one), for
/// `axum::middleware::from_fn_with_state(name, client_address_from_header)`. Use it only
/// behind a proxy that sets that header: otherwise a client picks its own address. A header
/// that is absent or not an address leaves the connection's peer in force.
pub async fn client_address_from_header(
    State(name): State<HeaderName>,
    mut request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get_all(&name)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    if let Some(address) = given {
        request.extensions_mut().insert(ClientAddress(address));
    }
    next.run(request).await
}

pub(crate) fn client_address(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<ClientAddress>().map(|a| a.0).or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    })
}

/// The request's `Authorization`, `DPoP` and client attestation headers, for the issuer.
pub(crate) fn facts(headers: &HeaderMap) -> Presented {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Presented {
        access_token: text(header::AUTHORIZATION.as_str()).map(|h| access_token(&h)),
        dpop: dpop_proofs(headers),
        client_attestation: text("oauth-client-attestation"),
        client_attestation_pop: text("oauth-client-attestation-pop"),
        ..Presented::default()
    }
}

/// The `DPoP` header. Several are passed on joined by commas, which the issuer refuses: a
/// request carries exactly one proof (RFC 9449 §4.3, check 1).
fn dpop_proofs(headers: &HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all("dpop")
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Sends the next DPoP nonce (RFC 9449 §8) with the response to a request that carried a DPoP
/// proof, when the issuer requires nonces (a refusal asking for one already carries it).
pub(crate) fn with_next_dpop_nonce<S: SessionStore, M: CredentialMinter>(
    mut response: Response,
    issuer: &Issuer<S, M>,
    headers: &HeaderMap,
) -> Response {
    if headers.contains_key("dpop") && !response.headers().contains_key("dpop-nonce") {
        crate::reply::with_dpop_nonce(&mut response, issuer.dpop_nonce());
    }
    // Likewise the next attestation challenge to a client that authenticated with an
    // attestation, when the issuer requires challenges.
    if headers.contains_key("oauth-client-attestation")
        && !response
            .headers()
            .contains_key(crate::reply::ATTESTATION_CHALLENGE)
    {
        crate::reply::with_attestation_challenge(&mut response, issuer.attestation_challenge());
    }
    response
}

/// `Authorization: <scheme> <token>` (RFC 9110 §11.6.2; schemes are case-insensitive).
fn access_token(header: &str) -> AccessToken {
    let header = header.trim();
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        TokenScheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        TokenScheme::DPoP
    } else {
        TokenScheme::Other(scheme.to_owned())
    };
    AccessToken {
        scheme,
        value: token.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::access_token;
    use oid4vci_issuer::TokenScheme;

    #[test]
    fn the_authorization_header_is_split_into_scheme_and_token() {
        let bearer = access_token("bearer  abc ");
        assert_eq!(
            (bearer.scheme, bearer.value.as_str()),
            (TokenScheme::Bearer, "abc")
        );
        let dpop = access_token("DPoP xyz");
        assert_eq!(
            (dpop.scheme, dpop.value.as_str()),
            (TokenScheme::DPoP, "xyz")
        );
        let basic = access_token("Basic dXNlcjpwYXNz");
        assert_eq!(basic.scheme, TokenScheme::Other("Basic".into()));
        assert_eq!(
            access_token("Bearer").value,
            "",
            "no token: refused by the issuer"
        );
    }
}
