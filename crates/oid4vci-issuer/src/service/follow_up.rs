//! What follows issuance: the deferred credential endpoint (Section 9) and the notification
//! endpoint (Section 11). Each is one read (the session, by its access token) and one write.

use super::commit::{CommitFailure, Load};
use super::issuance::gone;
use super::*;
use crate::body::NotificationBody;
use crate::machine::deferred::{self, Collect};
use crate::machine::notification::Notify;

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// The deferred credential endpoint's work on a parsed request (Section 9).
    pub(super) async fn collect_deferred(
        &self,
        request: DeferredCredentialRequest,
        authorized: super::commit::Authorized,
        now: u64,
    ) -> Outcome<CredentialResponse> {
        let (session, token_hash, mut effects) = authorized;
        let refused = EventKind::DeferredRejected;
        let tx_hash = SecretHash::of(&request.transaction_id);
        let entry = match deferred::pending_issuance(&session, &tx_hash) {
            Ok(e) => e.clone(),
            Err(e) => {
                return Err(self
                    .refuse(&session, refused, e, json!({}), &effects, now)
                    .await)
            }
        };
        let pending = |reason: &str| machine::Log {
            kind: EventKind::DeferredPending,
            details: json!({
                "credential_configuration_id": entry.configuration_id,
                "reason": reason,
            }),
        };
        let Some(claims) = session.claims.get(&entry.configuration_id) else {
            let log = pending("claims not yet submitted");
            self.log(Some(&session), &session.id, log, &effects, now)
                .await?;
            return Ok(self.still_pending(&request));
        };
        let job = mint::MintJob {
            configuration_id: &entry.configuration_id,
            claims,
            holder_keys: &entry.holder_keys,
            refusal: refused,
        };
        let mut after_collision = false;
        for _ in 0..mint::MAX_MINT_ROUNDS {
            let (minted, statuses) = self
                .mint(&session, &job, after_collision, &effects, now)
                .await?;
            let MintOutcome::Issued(credentials) = minted else {
                let log = pending("minter deferred issuance");
                self.log(Some(&session), &session.id, log, &effects, now)
                    .await?;
                return Ok(self.still_pending(&request));
            };
            effects.statuses = mint::entries(&statuses);
            let notification_id = random_token(self.secrets.as_ref(), 16);
            let mut step = Collect {
                token_hash,
                transaction_hash: tx_hash,
                notification_hash: SecretHash::of(&notification_id),
                count: credentials.len(),
                statuses,
            };
            let committed = self
                .commit(
                    Some(&session),
                    Load::Id(&session.id),
                    &mut step,
                    &effects,
                    now,
                )
                .await;
            match committed {
                Ok(Some(Ok(()))) => {
                    self.note_reserved(effects.statuses.len());
                    let response = CredentialResponse::issued(credentials, Some(notification_id));
                    return Ok(response);
                }
                Ok(Some(Err(refusal))) => return Err(refusal),
                Ok(None) => return Err(gone()),
                Err(CommitFailure::StatusTaken) => after_collision = true,
                Err(failure) => return Err(failure.into_response()),
            }
        }
        Err(CommitFailure::StatusTaken.into_response())
    }

    /// The answer while a deferred credential is not ready (Section 9.2).
    fn still_pending(&self, request: &DeferredCredentialRequest) -> CredentialResponse {
        CredentialResponse::deferred(
            request.transaction_id.clone(),
            self.config.deferred_interval,
        )
    }

    /// `POST /notification` (Section 11): the body as it arrived, or a parsed request.
    pub async fn notification<'a>(
        &self,
        body: impl Into<NotificationBody<'a>>,
        facts: HttpFacts,
    ) -> Outcome<()> {
        let request = match body.into() {
            NotificationBody::Parsed(request) => request,
            NotificationBody::Json(json) => {
                NotificationRequest::from_json(json).map_err(|e| Refusal::malformed(&e))?
            }
        };
        let now = self.clock.now();
        let url = self
            .config
            .metadata
            .notification_endpoint
            .clone()
            .unwrap_or_default();
        let (session, token_hash, effects) = self
            .session_for_token(&facts, &url, credential::TokenUse::FollowUp, now)
            .await?;
        let mut step = Notify {
            token_hash,
            id_hash: SecretHash::of(&request.notification_id),
            request: &request,
        };
        let load = Load::Id(&session.id);
        self.step(Some(&session), load, gone, &mut step, &effects, now)
            .await
    }
}
