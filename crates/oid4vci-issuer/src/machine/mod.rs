//! The session state machine: the one table of which step a session admits in which state, and
//! the steps themselves.
//!
//! A step is a value ([`Step`]) carrying the request and what the service generated for it
//! (random tokens, verified DPoP and attestation facts, minted credentials). [`apply`] runs it
//! on a working copy of the session: its first act is the lookup in [`admission`], the match on
//! (state, step) that is the only list of allowed pairs; then the step's own rules run (codes,
//! hashes, expiry), record an event and return the output or the refusal. No I/O, no clock, no
//! randomness. The service's commit loop re-runs the whole step — table and guards included —
//! on the freshly loaded session after every version conflict, so a concurrent change (a
//! revocation, a lock-out) is never overwritten by a step admitted against an older state.
//!
//! The states, their steps and the edges between them are drawn in `states.md` beside this file
//! (shown in the crate docs); a test checks the drawing against [`admission`].

pub(crate) mod authorization;
pub(crate) mod code;
pub(crate) mod credential;
pub(crate) mod deferred;
pub(crate) mod grant;
pub(crate) mod notification;
pub(crate) mod offer;
pub(crate) mod par;
pub(crate) mod refresh;
pub(crate) mod token;

use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::session::{Session, SessionState};
use serde_json::Value;

/// The steps a session can take, one per endpoint or operator action that changes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum StepKind {
    /// `GET credential_offer_uri`: the offer by reference.
    RetrieveOffer,
    /// `POST /par` with the `issuer_state` of this session's offer (or a fresh request).
    PushAuthorization,
    /// `GET /authorize`: the login page of the pushed request.
    ServeLoginPage,
    /// `POST /authorize`: the user's decision.
    Decide,
    /// `POST /token`, pre-authorized code grant.
    RedeemPreAuthorizedCode,
    /// `POST /token`, authorization code grant.
    RedeemAuthorizationCode,
    /// `POST /token`, refresh token grant.
    Refresh,
    /// `POST /credential`: the outcome (issued or deferred) of a credential request.
    RequestCredential,
    /// `POST /deferred_credential`: collecting a deferred credential.
    CollectDeferred,
    /// `POST /notification`.
    Notify,
    /// Operator: claims for a configuration (deferred issuance).
    SubmitClaims,
    /// A log entry only (a refusal, a pending deferred request, a revocation).
    Log,
}

/// Every step kind, for the state diagram check.
#[cfg(test)]
pub(crate) const STEP_KINDS: [StepKind; 12] = [
    StepKind::RetrieveOffer,
    StepKind::PushAuthorization,
    StepKind::ServeLoginPage,
    StepKind::Decide,
    StepKind::RedeemPreAuthorizedCode,
    StepKind::RedeemAuthorizationCode,
    StepKind::Refresh,
    StepKind::RequestCredential,
    StepKind::CollectDeferred,
    StepKind::Notify,
    StepKind::SubmitClaims,
    StepKind::Log,
];

#[cfg(test)]
impl StepKind {
    /// The step's snake_case name (as in the state diagram).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StepKind::RetrieveOffer => "retrieve_offer",
            StepKind::PushAuthorization => "push_authorization",
            StepKind::ServeLoginPage => "serve_login_page",
            StepKind::Decide => "decide",
            StepKind::RedeemPreAuthorizedCode => "redeem_pre_authorized_code",
            StepKind::RedeemAuthorizationCode => "redeem_authorization_code",
            StepKind::Refresh => "refresh",
            StepKind::RequestCredential => "request_credential",
            StepKind::CollectDeferred => "collect_deferred",
            StepKind::Notify => "notify",
            StepKind::SubmitClaims => "submit_claims",
            StepKind::Log => "log",
        }
    }
}

/// How a step is admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The step runs as designed.
    Proceed,
    /// The step was taken before: an authorization code presented again after its exchange.
    /// It runs to detect the replay (RFC 6749 §4.1.2), never to repeat its effect.
    Replay,
}

/// Why the table refuses a step in a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inadmissible {
    /// The pre-authorized code was locked after too many wrong transaction codes.
    CodeLocked,
    /// The session already issued its access token.
    CodeUsed,
    /// No authorization code of this session can be exchanged now.
    UnknownAuthorizationCode,
    /// The offer already went past its authorization request.
    OfferUsed,
    /// No pushed request is waiting for its login page.
    UnknownRequestUri,
    /// The user already decided.
    AlreadyDecided,
    /// The access token was revoked (its code was redeemed twice).
    TokenRevoked,
    /// The session has no valid access token.
    NoAccessToken,
    /// The session has no refresh token (no access token was issued).
    UnknownRefreshToken,
    /// The refresh token family was revoked.
    RefreshRevoked,
}

impl Inadmissible {
    /// A short snake_case name (the state table's cells).
    #[cfg(test)]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Inadmissible::CodeLocked => "code_locked",
            Inadmissible::CodeUsed => "code_used",
            Inadmissible::UnknownAuthorizationCode => "unknown_code",
            Inadmissible::OfferUsed => "offer_used",
            Inadmissible::UnknownRequestUri => "unknown_request_uri",
            Inadmissible::AlreadyDecided => "already_decided",
            Inadmissible::TokenRevoked => "token_revoked",
            Inadmissible::NoAccessToken => "no_access_token",
            Inadmissible::UnknownRefreshToken => "unknown_refresh_token",
            Inadmissible::RefreshRevoked => "refresh_revoked",
        }
    }

    /// The refusal the wallet receives.
    pub(crate) fn refusal(self) -> Refusal {
        use Inadmissible::*;
        let (cause, description) = match self {
            CodeLocked => (Cause::PreAuthorizedCodeLocked, "the pre-authorized code was invalidated after too many wrong transaction codes"),
            CodeUsed => (Cause::PreAuthorizedCodeUsed, "the pre-authorized code was already used"),
            UnknownAuthorizationCode => (Cause::AuthorizationCodeUnknown, "unknown or expired authorization code"),
            OfferUsed => (Cause::OfferUsed, "the offer this issuer_state belongs to was already used"),
            UnknownRequestUri => (Cause::RequestUriUnknown, "unknown, expired or already used request_uri: push the authorization request again"),
            AlreadyDecided => (Cause::AlreadyDecided, "this authorization request was already decided"),
            TokenRevoked => (Cause::AccessTokenRevoked, "the access token was revoked: the authorization code it came from was redeemed twice (RFC 6749 Section 4.1.2)"),
            NoAccessToken => (Cause::AccessTokenUnknown, "unknown access token"),
            UnknownRefreshToken => (Cause::RefreshTokenUnknown, "unknown refresh token"),
            RefreshRevoked => (Cause::RefreshTokenRevoked, "the refresh token was revoked: a copy of it was used, or its authorization code was redeemed twice (RFC 9700 Section 4.14.2, RFC 6749 Section 4.1.2)"),
        };
        Refusal::new(cause, description)
    }
}

/// The table: which step each state admits, and why the others are refused. This match is the
/// only place a step's admissibility is decided.
pub(crate) fn admission(state: SessionState, step: StepKind) -> Result<Admission, Inadmissible> {
    use Admission::*;
    use Inadmissible::*;
    use SessionState::*;
    use StepKind::*;
    match (state, step) {
        // Logging, offer retrieval and the operator's claims are admitted in every state.
        (_, Log | RetrieveOffer | SubmitClaims) => Ok(Proceed),

        // The embedded authorization server.
        (Offered | AuthorizationRequested, PushAuthorization) => Ok(Proceed),
        (_, PushAuthorization) => Err(OfferUsed),
        (AuthorizationRequested, ServeLoginPage) => Ok(Proceed),
        (_, ServeLoginPage) => Err(UnknownRequestUri),
        (AuthorizationRequested, Decide) => Ok(Proceed),
        (_, Decide) => Err(AlreadyDecided),

        // The token endpoint: one access token per session.
        (
            Offered | AuthorizationRequested | Authorized | AuthorizationDenied,
            RedeemPreAuthorizedCode,
        ) => Ok(Proceed),
        (Locked, RedeemPreAuthorizedCode) => Err(CodeLocked),
        (TokenIssued | Deferred | Issued | Notified | Revoked, RedeemPreAuthorizedCode) => {
            Err(CodeUsed)
        }
        (Authorized, RedeemAuthorizationCode) => Ok(Proceed),
        (TokenIssued | Deferred | Issued | Notified | Revoked, RedeemAuthorizationCode) => {
            Ok(Replay)
        }
        (
            Offered | Locked | AuthorizationRequested | AuthorizationDenied,
            RedeemAuthorizationCode,
        ) => Err(UnknownAuthorizationCode),

        // A refresh token: while the session has its token, rotated on every use.
        (TokenIssued | Deferred | Issued | Notified, Refresh) => Ok(Proceed),
        (Revoked, Refresh) => Err(RefreshRevoked),
        (Offered | Locked | AuthorizationRequested | Authorized | AuthorizationDenied, Refresh) => {
            Err(UnknownRefreshToken)
        }

        // What an access token allows.
        (
            TokenIssued | Deferred | Issued | Notified,
            RequestCredential | CollectDeferred | Notify,
        ) => Ok(Proceed),
        (Revoked, RequestCredential | CollectDeferred | Notify) => Err(TokenRevoked),
        (
            Offered | Locked | AuthorizationRequested | Authorized | AuthorizationDenied,
            RequestCredential | CollectDeferred | Notify,
        ) => Err(NoAccessToken),
    }
}

/// One step of a session, with everything it needs besides the session and `now`.
pub(crate) trait Step {
    /// What the step returns when it succeeds.
    type Output;
    /// Which step this is (the table's column).
    fn kind(&self) -> StepKind;
    /// The step's own rules, once the table admitted it. Records its event; a refusal it logs
    /// is kept (the commit loop stores the working copy whatever the outcome).
    fn run(
        &mut self,
        session: &mut Session,
        admission: Admission,
        now: UnixTime,
    ) -> Result<Self::Output, Refusal>;
    /// Called when the table refuses the step: logs the refusal where the step's endpoint
    /// does. The default logs nothing.
    fn refused(&mut self, session: &mut Session, error: Refusal, now: UnixTime) -> Refusal {
        let _ = (session, now);
        error
    }
}

/// Applies `step` to `session` (a working copy): the table first, then the step's rules.
pub(crate) fn apply<S: Step>(
    session: &mut Session,
    step: &mut S,
    now: UnixTime,
) -> Result<S::Output, Refusal> {
    match admission(session.state, step.kind()) {
        Ok(admission) => step.run(session, admission, now),
        Err(why) => Err(step.refused(session, why.refusal(), now)),
    }
}

/// A log entry as a step: admitted in every state.
pub(crate) struct Log {
    /// The event.
    pub kind: EventKind,
    /// Its details.
    pub details: Value,
}

impl Step for Log {
    type Output = ();
    fn kind(&self) -> StepKind {
        StepKind::Log
    }
    fn run(&mut self, session: &mut Session, _: Admission, now: UnixTime) -> Result<(), Refusal> {
        session.record(self.kind, now, self.details.clone());
        Ok(())
    }
}

/// The log entry of a refusal: the error code and reason, plus `extra` details.
pub(crate) fn refusal_log(kind: EventKind, error: &Refusal, extra: Value) -> Log {
    let mut details = crate::session::details([
        ("error", serde_json::json!(error.error_code().as_str())),
        ("cause", serde_json::json!(error.cause().code())),
        ("reason", serde_json::json!(error.description())),
    ]);
    if let (Value::Object(map), Some(proof)) = (&mut details, error.proof_failure()) {
        map.insert("code".into(), serde_json::json!(proof.code));
    }
    if let (Value::Object(map), Value::Object(more)) = (&mut details, extra) {
        map.extend(more);
    }
    Log { kind, details }
}

/// Records a refusal on `session` and returns it.
pub(crate) fn refuse(
    session: &mut Session,
    kind: EventKind,
    error: Refusal,
    now: UnixTime,
) -> Refusal {
    let mut log = refusal_log(kind, &error, Value::Object(Default::default()));
    let _ = log.run(session, Admission::Proceed, now);
    error
}

#[cfg(test)]
mod boundaries;
#[cfg(test)]
mod diagram;
