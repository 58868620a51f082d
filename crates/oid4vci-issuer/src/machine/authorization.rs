//! The embedded authorization server's login page as steps: serving it for a pushed request
//! (`par.rs`), and the user's decision. The code it issues is redeemed in `code.rs`.
//!
//! States: `offered` (or a fresh session) → `authorization_requested` → `authorized` (or
//! `authorization_denied`) → `token_issued` → … ; a second redemption of a code → `revoked`.

use super::{Admission, Step, StepKind};
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::secrets::SecretHash;
use crate::session::{details, AuthorizationStep, Session, SessionState};
use oid4vci_authorization::AuthenticatedUser;
use serde_json::json;

fn fail(session: &mut Session, kind: EventKind, now: UnixTime, error: Refusal) -> Refusal {
    super::refuse(session, kind, error, now)
}

fn unknown_request_uri() -> Refusal {
    Refusal::new(
        Cause::RequestUriUnknown,
        "unknown, expired or already used request_uri: push the authorization request again",
    )
}

/// Serving the login page as a step; returns the session as it then stands (the page shows it).
pub(crate) struct ServePage<'a> {
    /// Hash of the `request_uri`.
    pub request_uri_hash: SecretHash,
    /// The `client_id` of the browser's request.
    pub client_id: Option<&'a str>,
    /// Hash of the form's fresh anti-CSRF token.
    pub form_token_hash: SecretHash,
    /// How long the user has to decide.
    pub login_ttl: u64,
}

impl Step for ServePage<'_> {
    type Output = Session;
    fn kind(&self) -> StepKind {
        StepKind::ServeLoginPage
    }
    fn run(
        &mut self,
        session: &mut Session,
        _: Admission,
        now: UnixTime,
    ) -> Result<Session, Refusal> {
        serve_page(
            session,
            &self.request_uri_hash,
            self.client_id,
            self.form_token_hash,
            self.login_ttl,
            now,
        )?;
        Ok(session.clone())
    }
}

/// Serves the login page for a `request_uri` (found by its hash), before it expires, to the
/// client that pushed it (RFC 9126 §4); another client gives the request up. Stores the hash of
/// the form's anti-CSRF token. Served again before the user decided (a reload, or a browser
/// that fetched it twice), a fresh form replaces the old one: one-time use is enforced when the
/// user decides (FAPI 2.0 Security Profile §5.3.2.2 note 3), after which the request is no
/// longer `Requested`.
fn serve_page(
    session: &mut Session,
    request_uri_hash: &SecretHash,
    client_id: Option<&str>,
    form_token_hash: SecretHash,
    login_ttl: u64,
    now: UnixTime,
) -> Result<(), Refusal> {
    let kind = EventKind::AuthorizationRejected;
    let Some(auth) = session.authorization.as_mut() else {
        return Err(unknown_request_uri());
    };
    let expected_client = auth.request.client_id.clone();
    let AuthorizationStep::Requested {
        request_uri_hash: stored,
        request_uri_expires_at,
        form_token_hash: served,
        login_expires_at,
        ..
    } = &mut auth.step
    else {
        // Decided (or given up): the request was used.
        let error = Refusal::new(Cause::RequestUriUsed, "this request_uri was already used (RFC 9126 Section 2.2: one-time use); push the authorization request again");
        return Err(fail(session, kind, now, error));
    };
    if !stored.ct_eq(request_uri_hash) {
        return Err(unknown_request_uri());
    }
    if now > *request_uri_expires_at {
        let error = Refusal::new(
            Cause::RequestUriExpired,
            "this request_uri has expired; push the authorization request again",
        );
        return Err(fail(session, kind, now, error));
    }
    if client_id != Some(expected_client.as_str()) {
        // The request is given up: a guessed client cannot retry it.
        auth.step = AuthorizationStep::Denied;
        let error = Refusal::new(
            Cause::ParClientMismatch,
            "client_id must be sent and be the client that pushed the request (RFC 9126 Section 4)",
        );
        return Err(fail(session, kind, now, error));
    }
    let reloaded = served.replace(form_token_hash).is_some();
    *login_expires_at = now.saturating_add(login_ttl);
    session.record(
        EventKind::AuthorizationRequested,
        now,
        details([
            ("client_id", json!(expected_client)),
            ("reloaded", json!(reloaded)),
        ]),
    );
    Ok(())
}

/// What the user did on the login page.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Submitted the login form; `Some` when the directory accepted the credentials.
    Approve(Option<AuthenticatedUser>),
    /// Pressed "Deny".
    Deny,
    /// Submitted the login form while the account or the client address had to wait: the
    /// password was not checked (seconds to wait).
    Throttled(u64),
}

/// What follows from the user's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DecisionOutcome {
    /// A code is out: redirect with it.
    Approved,
    /// Denied (by the user, or after too many wrong passwords): redirect with `access_denied`.
    Denied,
    /// Wrong credentials: show the page again.
    LoginFailed,
    /// Too many recent failures: show the page again, asking to wait.
    Throttled,
}

/// What the service supplies with a decision.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DecisionInput<'a> {
    /// The form's anti-CSRF token as submitted.
    pub form_token: &'a str,
    /// Hash of the freshly generated authorization code.
    pub code_hash: SecretHash,
    /// Code lifetime.
    pub code_ttl: u64,
    /// Session lifetime from approval.
    pub session_ttl: u64,
    /// Wrong passwords allowed.
    pub max_login_attempts: u32,
    /// Now.
    pub now: UnixTime,
}

/// The user's decision as a step; returns the outcome and the session as it then stands.
pub(crate) struct Decide<'a> {
    /// What the user did.
    pub decision: Decision,
    /// What the service supplies.
    pub input: DecisionInput<'a>,
}

impl Step for Decide<'_> {
    type Output = (DecisionOutcome, Session);
    fn kind(&self) -> StepKind {
        StepKind::Decide
    }
    fn run(
        &mut self,
        session: &mut Session,
        _: Admission,
        _: UnixTime,
    ) -> Result<(DecisionOutcome, Session), Refusal> {
        let decision = match &self.decision {
            Decision::Approve(user) => Decision::Approve(user.clone()),
            Decision::Deny => Decision::Deny,
            Decision::Throttled(seconds) => Decision::Throttled(*seconds),
        };
        let outcome = decide(session, decision, self.input)?;
        Ok((outcome, session.clone()))
    }
    fn refused(&mut self, session: &mut Session, error: Refusal, now: UnixTime) -> Refusal {
        fail(session, EventKind::AuthorizationRejected, now, error)
    }
}

/// Applies the user's decision to the request behind a served login page.
///
/// The form token must be the one served (`invalid_request` otherwise: a forged or replayed
/// form); the page must not have expired. Approval issues the code (single-use, `code_ttl`) and,
/// for requests not bound to an offer, takes the claims from the user directory.
fn decide(
    session: &mut Session,
    decision: Decision,
    input: DecisionInput<'_>,
) -> Result<DecisionOutcome, Refusal> {
    let now = input.now;
    let kind = EventKind::AuthorizationRejected;
    let Some(auth) = session.authorization.as_mut() else {
        return Err(unknown_request_uri());
    };
    let AuthorizationStep::Requested {
        form_token_hash,
        login_expires_at,
        failed_logins,
        ..
    } = &mut auth.step
    else {
        return Err(unknown_request_uri());
    };
    if !form_token_hash.is_some_and(|h| h.matches(input.form_token)) {
        let error = Refusal::new(
            Cause::LoginFormForged,
            "the login form token is wrong (forged or stale form); reload the page from the wallet",
        );
        return Err(fail(session, kind, now, error));
    }
    if now > *login_expires_at {
        let error = Refusal::new(
            Cause::LoginExpired,
            "the login page has expired; start again from the wallet",
        );
        return Err(fail(session, kind, now, error));
    }
    let user = match decision {
        Decision::Deny => {
            auth.step = AuthorizationStep::Denied;
            session.state = SessionState::AuthorizationDenied;
            session.record(
                EventKind::AuthorizationDenied,
                now,
                json!({"reason": "the user denied the request"}),
            );
            return Ok(DecisionOutcome::Denied);
        }
        Decision::Approve(None) => {
            *failed_logins = failed_logins.saturating_add(1);
            let failed = *failed_logins;
            session.record(
                EventKind::LoginFailed,
                now,
                json!({"failed_logins": failed}),
            );
            if failed >= input.max_login_attempts {
                if let Some(a) = session.authorization.as_mut() {
                    a.step = AuthorizationStep::Denied;
                }
                session.state = SessionState::AuthorizationDenied;
                session.record(
                    EventKind::AuthorizationDenied,
                    now,
                    json!({"reason": "too many wrong passwords"}),
                );
                return Ok(DecisionOutcome::Denied);
            }
            return Ok(DecisionOutcome::LoginFailed);
        }
        Decision::Throttled(retry_after) => {
            // Not a failed login (nothing was checked): logged, and the page is shown again.
            session.record(
                EventKind::LoginThrottled,
                now,
                json!({"retry_after": retry_after}),
            );
            return Ok(DecisionOutcome::Throttled);
        }
        Decision::Approve(Some(user)) => user,
    };
    let configuration_ids = auth.configuration_ids.clone();
    let from_offer = auth.from_offer;
    auth.step = AuthorizationStep::Authorized {
        code_hash: input.code_hash,
        code_expires_at: now.saturating_add(input.code_ttl),
    };
    if !from_offer {
        for id in &configuration_ids {
            if let Some(claims) = user.claims.get(id) {
                session.claims.insert(id.clone(), claims.clone());
            }
        }
        session.subject_id = Some(user.subject.clone());
    }
    session.expires_at = session
        .expires_at
        .max(now.saturating_add(input.session_ttl));
    session.state = SessionState::Authorized;
    session.record(
        EventKind::AuthorizationApproved,
        now,
        details([
            ("subject", json!(user.subject)),
            ("credential_configuration_ids", json!(configuration_ids)),
        ]),
    );
    Ok(DecisionOutcome::Approved)
}
