//! The embedded authorization server's login and consent page: `GET /authorize` serves it for
//! a pushed request, `POST /authorize` takes the user's decision.

use super::authorization::{no_server, AuthorizationServer};
use super::commit::{Effects, Load};
use super::*;
use crate::machine::authorization::{Decide, Decision, DecisionInput, DecisionOutcome, ServePage};
use oid4vci_authorization::{request_uri, LoginPrefill};
use oid4vci_types::SecretString;
use std::net::IpAddr;

/// A credential the login page names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialChoice {
    /// The configuration id.
    pub id: String,
    /// Its display name (the id when the metadata has none).
    pub name: String,
}

/// Everything the login and consent page shows. Render every field escaped: `client_id`,
/// `wallet_issuer` and `user_hint` come from the wallet.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginPage {
    /// The Credential Issuer Identifier.
    pub issuer: String,
    /// The issuer's display name, if the metadata has one.
    pub issuer_name: Option<String>,
    /// The client asking (a name the wallet chose: shown, never trusted).
    pub client_id: String,
    /// Where the authorization goes: the origin (scheme, host and port) of the request's
    /// `redirect_uri`, or its scheme for a private-use URI. Shown prominently: a client can
    /// call itself anything, but not hide where the code is sent.
    pub redirect_origin: String,
    /// The client is verified: it authenticated with a wallet attestation, or its
    /// `redirect_uri` is on the operator's allow-list. Unverified clients are marked so.
    pub client_verified: bool,
    /// The credentials asked for.
    pub credentials: Vec<CredentialChoice>,
    /// The `request_uri` (a hidden form field).
    pub request_uri: String,
    /// The anti-CSRF token bound to this request (a hidden form field).
    pub form_token: String,
    /// Values to prefill the login form with.
    pub prefill: Option<LoginPrefill>,
    /// The wallet's `user_hint`, if any.
    pub user_hint: Option<String>,
    /// An error to show (wrong password).
    pub error: Option<String>,
}

impl std::fmt::Debug for LoginPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginPage")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("credentials", &self.credentials)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// What the user did with the login form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginAction {
    /// Log in and approve.
    Approve {
        /// User name.
        username: String,
        /// Password.
        password: SecretString,
    },
    /// Deny the request.
    Deny,
}

/// The submitted login form. `Debug` hides the `request_uri` (the token and password are
/// [`SecretString`]s).
#[derive(Clone, PartialEq, Eq)]
pub struct LoginForm {
    /// The hidden `request_uri`.
    pub request_uri: String,
    /// The hidden anti-CSRF token.
    pub form_token: SecretString,
    /// What the user did.
    pub action: LoginAction,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("request_uri", &"<redacted>")
            .field("form_token", &self.form_token)
            .field("action", &self.action)
            .finish()
    }
}

/// Where the browser goes after the form. `Debug` hides the redirect (it carries the code).
#[derive(Clone, PartialEq, Eq)]
pub enum AuthorizationOutcome {
    /// Redirect (303) to the wallet's `redirect_uri` with `code` (or `error`), `state` and `iss`.
    Redirect(String),
    /// Show the page again (wrong password).
    Retry(Box<LoginPage>),
    /// Show the page again with `429 Too Many Requests` and `Retry-After`: the account or the
    /// client address failed too often recently, and the password was not checked.
    Wait {
        /// The page, saying how long to wait.
        page: Box<LoginPage>,
        /// Seconds to wait.
        retry_after: u64,
    },
}

impl std::fmt::Debug for AuthorizationOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthorizationOutcome::Redirect(_) => f.write_str("Redirect(<redacted>)"),
            AuthorizationOutcome::Retry(page) => f.debug_tuple("Retry").field(page).finish(),
            AuthorizationOutcome::Wait { page, retry_after } => f
                .debug_struct("Wait")
                .field("page", page)
                .field("retry_after", retry_after)
                .finish(),
        }
    }
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// `GET /authorize?client_id=…&request_uri=…`: the login and consent page of a pushed
    /// request. The `request_uri` is used up by this call (RFC 9126 §2.2); requests without one
    /// are refused, since pushed authorization requests are required (HAIP).
    pub async fn authorization_page(
        &self,
        client_id: Option<&str>,
        request_uri: Option<&str>,
    ) -> Outcome<LoginPage> {
        let now = self.clock.now();
        let server = self.authorization.as_ref().ok_or_else(no_server)?;
        let Some(uri) = request_uri else {
            return Err(Refusal::new(Cause::ParRequired, format!("this authorization server requires pushed authorization requests: POST the request to {} and send the request_uri it returns (RFC 9126)", self.endpoint("/par"))));
        };
        let unknown = || {
            Refusal::new(Cause::RequestUriUnknown,
                "unknown, expired or already used request_uri: push the authorization request again",
            )
        };
        request_uri::secret_of(uri).ok_or_else(unknown)?;
        let form_token = random_token(self.secrets.as_ref(), 24);
        let hash = SecretHash::of(uri);
        let login_ttl = server.policy.login_ttl;
        let mut step = ServePage {
            request_uri_hash: hash,
            client_id,
            form_token_hash: SecretHash::of(&form_token),
            login_ttl,
        };
        let load = Load::Lookup(LookupKind::RequestUri, &hash);
        let session = self
            .step(None, load, unknown, &mut step, &Effects::default(), now)
            .await?;
        Ok(self.login_page(&session, uri, &form_token, server, None))
    }

    fn login_page(
        &self,
        session: &Session,
        request_uri: &str,
        form_token: &str,
        server: &AuthorizationServer,
        error: Option<String>,
    ) -> LoginPage {
        let metadata = &self.config.metadata;
        let auth = session.authorization.as_ref();
        let credentials = auth
            .map(|a| a.configuration_ids.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|id| {
                let name = metadata
                    .credential_configurations_supported
                    .get(&id)
                    .and_then(|c| c.credential_metadata.as_ref())
                    .and_then(|m| m.display.as_ref())
                    .and_then(|d| d.first())
                    .and_then(|d| d.name.clone())
                    .unwrap_or_else(|| id.clone());
                CredentialChoice { id, name }
            })
            .collect();
        LoginPage {
            issuer: self.issuer_id().to_owned(),
            issuer_name: metadata
                .display
                .as_ref()
                .and_then(|d| d.first())
                .and_then(|d| d.name.clone()),
            client_id: auth
                .map(|a| a.request.client_id.clone())
                .unwrap_or_default(),
            redirect_origin: auth
                .map(|a| redirect_origin(&a.request.redirect_uri))
                .unwrap_or_default(),
            client_verified: auth
                .is_some_and(|a| a.wallet_attested || server.policy.redirect.allow_list.is_some()),
            credentials,
            request_uri: request_uri.to_owned(),
            form_token: form_token.to_owned(),
            prefill: server.users.prefill(),
            user_hint: auth.and_then(|a| a.request.user_hint.clone()),
            error,
        }
    }

    /// `POST /authorize`: the user's decision on the login page. Approval redirects with a
    /// single-use `code` (valid `code_ttl` seconds); denial — or too many wrong passwords —
    /// with `error=access_denied`; a wrong password shows the page again. Every redirect carries
    /// `state` and `iss` (RFC 9207).
    ///
    /// `client_address` is where the form came from (the connection's peer, or what a proxy
    /// you trust says), `None` when unknown. Failed sign-ins back off per account and per
    /// address ([`oid4vci_authorization::LoginThrottle`]): while one must wait, the password is
    /// not checked and the page comes back as [`AuthorizationOutcome::Wait`].
    pub async fn authorization_decision(
        &self,
        form: LoginForm,
        client_address: Option<IpAddr>,
    ) -> Outcome<AuthorizationOutcome> {
        let now = self.clock.now();
        let server = self.authorization.as_ref().ok_or_else(no_server)?;
        let unknown = || {
            Refusal::new(
                Cause::RequestUriUnknown,
                "unknown or expired authorization request: start again from the wallet",
            )
        };
        request_uri::secret_of(&form.request_uri).ok_or_else(unknown)?;
        let throttle = &server.throttle;
        let decision = match &form.action {
            LoginAction::Approve { username, password } => {
                match throttle.check(username, client_address, now) {
                    Err(wait) => Decision::Throttled(wait.retry_after),
                    Ok(()) => {
                        Decision::Approve(server.users.authenticate(username, password.expose()))
                    }
                }
            }
            LoginAction::Deny => Decision::Deny,
        };
        let (wrong_password, retry_after) = match &decision {
            Decision::Approve(None) => (true, 0),
            Decision::Throttled(seconds) => (false, *seconds),
            _ => (false, 0),
        };
        let code = random_token(self.secrets.as_ref(), 32);
        let hash = SecretHash::of(&form.request_uri);
        let policy = &server.policy;
        let mut step = Decide {
            decision,
            input: DecisionInput {
                form_token: form.form_token.expose(),
                code_hash: SecretHash::of(&code),
                code_ttl: policy.code_ttl,
                session_ttl: self.config.session_ttl,
                max_login_attempts: policy.max_login_attempts,
                now,
            },
        };
        let load = Load::Lookup(LookupKind::RequestUri, &hash);
        let (outcome, session) = self
            .step(None, load, unknown, &mut step, &Effects::default(), now)
            .await?;
        let Some(request) = session.authorization.as_ref().map(|a| &a.request) else {
            return Err(unknown());
        };
        // The form was genuine (the step checked its token): count the sign-in.
        if let LoginAction::Approve { username, .. } = &form.action {
            if wrong_password {
                throttle.failed(username, client_address, now);
            } else if outcome == DecisionOutcome::Approved {
                throttle.succeeded(username);
            }
        }
        let issuer = self.authorization_server_metadata().issuer;
        Ok(match outcome {
            DecisionOutcome::Approved => {
                AuthorizationOutcome::Redirect(request.redirect_with(&issuer, &[("code", &code)]))
            }
            DecisionOutcome::Denied => AuthorizationOutcome::Redirect(request.redirect_with(
                &issuer,
                &[
                    ("error", "access_denied"),
                    ("error_description", "the user denied the request"),
                ],
            )),
            DecisionOutcome::LoginFailed => AuthorizationOutcome::Retry(Box::new(self.login_page(
                &session,
                &form.request_uri,
                form.form_token.expose(),
                server,
                Some("Wrong user name or password.".into()),
            ))),
            DecisionOutcome::Throttled => AuthorizationOutcome::Wait {
                page: Box::new(self.login_page(
                    &session,
                    &form.request_uri,
                    form.form_token.expose(),
                    server,
                    Some(format!(
                        "Too many failed sign-ins. Wait {retry_after} second{} before trying again.",
                        if retry_after == 1 { "" } else { "s" }
                    )),
                )),
                retry_after,
            },
        })
    }
}

/// The origin of a redirect URI as a user should see it (see
/// [`oid4vci_authorization::redirect::origin_of`]: internationalised hosts in ASCII form).
fn redirect_origin(redirect_uri: &str) -> String {
    oid4vci_authorization::redirect::origin_of(redirect_uri)
}

#[cfg(test)]
mod tests {
    use super::redirect_origin;

    #[test]
    fn the_origin_of_a_redirect_uri() {
        assert_eq!(
            redirect_origin("https://evil.example/steal?x=1"),
            "https://evil.example"
        );
        assert_eq!(
            redirect_origin("http://127.0.0.1:4000/cb"),
            "http://127.0.0.1:4000"
        );
        assert_eq!(
            redirect_origin("eu.europa.ec.eudi.wallet://authorized"),
            "eu.europa.ec.eudi.wallet:"
        );
        assert_eq!(
            redirect_origin("com.example.wallet:/cb"),
            "com.example.wallet:"
        );
        // A look-alike host shows as what it is.
        assert_eq!(
            redirect_origin("https://wället.example/cb"),
            "https://xn--wllet-gra.example"
        );
        assert_eq!(
            redirect_origin("https://WALLET.example:8443/cb"),
            "https://wallet.example:8443"
        );
    }
}
