//! Minting inside a request: draw the credentials' status-list entries, mint, check what the
//! minter returned. The entries are reserved only by the request's commit; a collision there
//! makes the request draw and mint again ([`MAX_MINT_ROUNDS`]).

use super::commit::Effects;
use super::*;
use crate::status_list::StatusReference;

/// Rounds of drawing, minting and committing before a request gives up on finding free
/// status-list entries (a list takes credentials until half full, so below that limit a draw
/// of one entry collides less than one time in two).
pub(super) const MAX_MINT_ROUNDS: usize = 32;

/// What to mint.
pub(super) struct MintJob<'a> {
    /// The configuration.
    pub configuration_id: &'a str,
    /// The claims.
    pub claims: &'a Value,
    /// The holder keys to bind.
    pub holder_keys: &'a [Value],
    /// The event a minter failure is logged as.
    pub refusal: EventKind,
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// Draws status-list entries for the credentials (when status lists are on; the list's fill
    /// is read afresh when `after_collision`) and mints them. A minter failure is logged as
    /// `job.refusal`, consuming the request's single-use values, and answered
    /// `credential_request_denied` (the minter's message stays in the log).
    pub(super) async fn mint(
        &self,
        session: &Session,
        job: &MintJob<'_>,
        after_collision: bool,
        effects: &Effects,
        now: u64,
    ) -> Outcome<(MintOutcome, Vec<StatusReference>)> {
        let Some(configuration) = self
            .config
            .metadata
            .credential_configurations_supported
            .get(job.configuration_id)
        else {
            return Err(Refusal::new(
                Cause::CredentialDenied,
                "the credential configuration no longer exists",
            ));
        };
        let statuses = self
            .draw_statuses(job.holder_keys.len().max(1), after_collision)
            .await?;
        let request = MintRequest {
            issuer: self.issuer_id(),
            configuration_id: job.configuration_id,
            configuration,
            claims: job.claims,
            holder_keys: job.holder_keys,
            statuses: &statuses,
            subject_id: session.subject_id.as_deref(),
            now,
        };
        let minted = self.minter.mint(request).await.and_then(|outcome| {
            check_minted(
                &outcome,
                job.holder_keys.len(),
                self.config.max_credential_bytes,
            )
            .map(|()| outcome)
        });
        match minted {
            Ok(outcome) => Ok((outcome, statuses)),
            Err(e) => {
                let error = Refusal::new(
                    Cause::CredentialDenied,
                    "the credential could not be issued",
                );
                let extra = json!({"minter": e.0});
                Err(self
                    .refuse(session, job.refusal, error, extra, effects, now)
                    .await)
            }
        }
    }
}

/// The entries as a commit reserves them.
pub(super) fn entries(statuses: &[StatusReference]) -> Vec<(u32, u32)> {
    statuses.iter().map(|r| (r.list, r.idx)).collect()
}

/// What a minter hands back must be what the issuer can send: at least one credential, at most
/// one per holder key (one without keys), each a string or a JSON object of at most
/// `max_bytes`.
fn check_minted(outcome: &MintOutcome, keys: usize, max_bytes: usize) -> Result<(), MintError> {
    let MintOutcome::Issued(credentials) = outcome else {
        return Ok(());
    };
    let most = keys.max(1);
    if credentials.is_empty() || credentials.len() > most {
        return Err(MintError(format!(
            "the minter returned {} credentials for {keys} holder key(s); expected 1 to {most}",
            credentials.len()
        )));
    }
    for (i, credential) in credentials.iter().enumerate() {
        let size = match credential {
            Value::String(s) => s.len(),
            Value::Object(_) => serde_json::to_vec(credential).map_or(usize::MAX, |v| v.len()),
            _ => {
                return Err(MintError(format!(
                    "credential {i} from the minter is neither a string nor a JSON object"
                )))
            }
        };
        if size > max_bytes {
            return Err(MintError(format!(
                "credential {i} from the minter is {size} bytes, over max_credential_bytes ({max_bytes})"
            )));
        }
    }
    Ok(())
}
