//! The session machine against a model: random sequences of wallet and operator operations on
//! a few pre-authorized sessions — offers with and without claims and transaction codes, token
//! requests with right and wrong codes (and two wallets redeeming one code at once), credential
//! requests with good and bad proofs and batches up to and past the limit, deferred
//! collections, claims submissions, notifications, and the clock moving past the lifetimes —
//! run through the [`Issuer`] and through a small reference model of what OID4VCI 1.0 allows.
//! After every operation the response (accepted or refused, and how) and the stored state must
//! be what the model says.
//!
//! The model knows only the rules, not the code: an offer's code redeems once, within the
//! offer's lifetime, with its transaction code (five wrong ones lock it); the access token
//! serves new credential requests for its lifetime and follow-ups (deferred collection,
//! notifications) for the session's; a configuration without claims defers; batches hold at
//! most `batch_size` proofs; a notification needs an id the session handed out.

use crate::scenario::{block, scenario_issuer, CONFIG, ISSUER};
use crate::TestWallet;
use oid4vci_issuer::{
    Clock, HttpFacts, Issuer, ManualClock, OfferSpec, SessionState, SessionStore, TxCodeSpec,
};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

/// Offer lifetime, access token lifetime and wrong transaction codes allowed: the issuer's
/// defaults, which the scenario issuer keeps.
const OFFER_TTL: u64 = 600;
const TOKEN_TTL: u64 = 300;
const TX_ATTEMPTS: u32 = 5;
/// The scenario issuer's `batch_size`.
const BATCH: usize = 3;

/// One operation of a wallet or the operator. Sessions are named by their creation index
/// (modulo the sessions created so far; an operation before any offer does nothing).
#[derive(Clone, Debug)]
pub enum Op {
    /// The operator creates an offer, with claims or without (deferred), with a `tx_code`
    /// or without.
    Offer {
        /// Claims given at once.
        claims: bool,
        /// A transaction code is required.
        tx: bool,
    },
    /// A token request with the session's code; `right_tx` sends the right transaction code
    /// (when the offer has one), else a wrong one.
    Token {
        /// Which session.
        s: usize,
        /// Send the right transaction code.
        right_tx: bool,
    },
    /// Two wallets redeem the session's code at the same moment.
    TwoTokens {
        /// Which session.
        s: usize,
    },
    /// A credential request with `proofs` proofs under a fresh `c_nonce`; `good` proofs name
    /// the issuer, bad ones another audience.
    Credential {
        /// Which session.
        s: usize,
        /// How many proofs.
        proofs: usize,
        /// Whether they are good.
        good: bool,
    },
    /// A deferred request for one of the session's transaction ids (or an unknown one).
    Deferred {
        /// Which session.
        s: usize,
        /// Which transaction id (modulo those handed out; none known → an unknown id).
        which: usize,
    },
    /// The operator submits the claims.
    SubmitClaims {
        /// Which session.
        s: usize,
    },
    /// A `credential_accepted` notification with one of the session's notification ids.
    Notify {
        /// Which session.
        s: usize,
        /// Which notification id (modulo those handed out; none known → an unknown id).
        which: usize,
    },
    /// The clock moves on.
    Advance {
        /// Seconds.
        seconds: u64,
    },
    /// The clock moves to the last second a lifetime of the session allows (`past`: the first
    /// it does not), if that is still ahead: where off-by-one errors live.
    Boundary {
        /// Which session.
        s: usize,
        /// The access token's lifetime, else the offer's.
        token: bool,
        /// One second past it.
        past: bool,
    },
    /// `n` token requests in a row with a wrong transaction code (guessing, towards the
    /// lock-out).
    Guesses {
        /// Which session.
        s: usize,
        /// How many.
        n: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (any::<bool>(), any::<bool>()).prop_map(|(claims, tx)| Op::Offer { claims, tx }),
        3 => (0..3usize, prop::bool::weighted(0.5))
            .prop_map(|(s, right_tx)| Op::Token { s, right_tx }),
        1 => (0..3usize).prop_map(|s| Op::TwoTokens { s }),
        3 => (0..3usize, 1..=4usize, prop::bool::weighted(0.8))
            .prop_map(|(s, proofs, good)| Op::Credential { s, proofs, good }),
        2 => (0..3usize, 0..3usize).prop_map(|(s, which)| Op::Deferred { s, which }),
        1 => (0..3usize).prop_map(|s| Op::SubmitClaims { s }),
        1 => (0..3usize, 0..3usize).prop_map(|(s, which)| Op::Notify { s, which }),
        1 => prop_oneof![1..=60u64, 200..=700u64].prop_map(|seconds| Op::Advance { seconds }),
        1 => (0..3usize, any::<bool>(), any::<bool>())
            .prop_map(|(s, token, past)| Op::Boundary { s, token, past }),
        1 => (0..3usize, 1..=6u32).prop_map(|(s, n)| Op::Guesses { s, n }),
    ]
}

/// What an operation got back, as the model predicts it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    /// Refused.
    Refused,
    /// A token.
    Token,
    /// `n` credentials issued.
    Issued(usize),
    /// Deferred: a transaction id.
    Deferred,
    /// A deferred request answered "not yet".
    Pending,
    /// Done (claims submitted, notification received).
    Done,
}

/// The model of one session.
#[derive(Clone, Debug)]
struct Model {
    id: String,
    code: String,
    tx: Option<String>,
    state: SessionState,
    offer_expires_at: u64,
    failed_tx: u32,
    token: Option<(String, u64)>,
    claims: bool,
    /// Transaction ids, whether they were collected, and how many keys they were for.
    transactions: Vec<(String, bool, usize)>,
    notifications: Vec<String>,
}

impl Model {
    fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The wire outcome of a token request, and the model's new state.
    fn redeem(&mut self, right_tx: bool, now: u64, token: Option<String>) -> Answer {
        if self.state == SessionState::Locked || self.has_token() || now > self.offer_expires_at {
            return Answer::Refused;
        }
        if self.tx.is_some() && !right_tx {
            self.failed_tx += 1;
            if self.failed_tx >= TX_ATTEMPTS {
                self.state = SessionState::Locked;
            }
            return Answer::Refused;
        }
        match token {
            Some(t) => {
                self.token = Some((t, now + TOKEN_TTL));
                self.state = SessionState::TokenIssued;
                Answer::Token
            }
            None => Answer::Refused,
        }
    }
}

struct Run<S: SessionStore> {
    issuer: Issuer<S, SdJwtVcMinter>,
    clock: ManualClock,
    sessions: Vec<Model>,
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

impl<S: SessionStore> Run<S> {
    fn now(&self) -> u64 {
        self.clock.now()
    }

    fn pick(&self, s: usize) -> Option<usize> {
        (!self.sessions.is_empty()).then(|| s % self.sessions.len())
    }

    fn token_request(&self, m: &Model, right_tx: bool) -> TokenRequest {
        let tx = m.tx.as_ref().map(|right| {
            if right_tx {
                SecretString::from(right.as_str())
            } else {
                SecretString::from("wrong")
            }
        });
        TokenRequest::pre_authorized(m.code.as_str(), tx)
    }

    /// Applies one operation to the issuer and the model; checks the answer and the state.
    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let now = self.now();
        let (session, expected, got) = match op {
            Op::Offer { claims, tx } => {
                let spec = OfferSpec {
                    credential_configuration_ids: vec![CONFIG.into()],
                    pre_authorized: true,
                    tx_code: tx.then(|| TxCodeSpec {
                        length: Some(6),
                        ..TxCodeSpec::default()
                    }),
                    claims: claims.then(|| json!({"age_over_18": true})),
                    ..OfferSpec::default()
                };
                let created = block(self.issuer.create_offer(spec))
                    .map_err(|e| fail(format!("offer refused: {e}")))?;
                let code = created
                    .pre_authorized_code()
                    .map(|c| c.expose().to_owned())
                    .unwrap_or_default();
                self.sessions.push(Model {
                    id: created.session_id.clone(),
                    code,
                    tx: created.tx_code.clone(),
                    state: SessionState::Offered,
                    offer_expires_at: now + OFFER_TTL,
                    failed_tx: 0,
                    token: None,
                    claims: *claims,
                    transactions: Vec::new(),
                    notifications: Vec::new(),
                });
                (self.sessions.len() - 1, Answer::Done, Answer::Done)
            }
            Op::Token { s, right_tx } => {
                let Some(i) = self.pick(*s) else {
                    return Ok(());
                };
                let request = self.token_request(&self.sessions[i], *right_tx);
                let result = block(self.issuer.token(request, HttpFacts::default()));
                let token = result
                    .as_ref()
                    .ok()
                    .map(|t| t.access_token.expose().to_owned());
                let got = if token.is_some() {
                    Answer::Token
                } else {
                    Answer::Refused
                };
                let expected = self.sessions[i].redeem(*right_tx, now, token);
                (i, expected, got)
            }
            Op::TwoTokens { s } => {
                let Some(i) = self.pick(*s) else {
                    return Ok(());
                };
                let request = self.token_request(&self.sessions[i], true);
                let issuer = &self.issuer;
                let results: Vec<Option<String>> = std::thread::scope(|scope| {
                    let calls: Vec<_> = (0..2)
                        .map(|_| {
                            let request = request.clone();
                            scope.spawn(move || {
                                block(issuer.token(request, HttpFacts::default()))
                                    .ok()
                                    .map(|t| t.access_token.expose().to_owned())
                            })
                        })
                        .collect();
                    calls.into_iter().map(|c| c.join().ok().flatten()).collect()
                });
                let winners: Vec<String> = results.into_iter().flatten().collect();
                if winners.len() > 1 {
                    return Err(fail(format!("one code redeemed {} times", winners.len())));
                }
                let got = if winners.is_empty() {
                    Answer::Refused
                } else {
                    Answer::Token
                };
                let expected = self.sessions[i].redeem(true, now, winners.into_iter().next());
                (i, expected, got)
            }
            Op::Credential { s, proofs, good } => {
                let Some(i) = self.pick(*s) else {
                    return Ok(());
                };
                let m = &self.sessions[i];
                let token = m.token.as_ref().map(|t| t.0.clone()).unwrap_or_default();
                let nonce = self.issuer.nonce().c_nonce;
                let audience = if *good {
                    ISSUER
                } else {
                    "https://elsewhere.example"
                };
                let jwts: Vec<String> = (0..*proofs)
                    .map(|_| TestWallet::new().proof(audience, Some(&nonce), now))
                    .collect();
                let request = CredentialRequest {
                    credential: CredentialSelector::ConfigurationId(CONFIG.into()),
                    proofs: Some(Proofs::Jwt(jwts)),
                    credential_response_encryption: None,
                    extra: Default::default(),
                };
                let reply = block(self.issuer.credential(request, HttpFacts::bearer(&token)))
                    .ok()
                    .and_then(|r| r.into_json());
                let got = match &reply {
                    None => Answer::Refused,
                    Some(r) => match (&r.credentials, &r.transaction_id) {
                        (Some(c), _) => Answer::Issued(c.len()),
                        (None, Some(_)) => Answer::Deferred,
                        (None, None) => return Err(fail("an empty credential response".into())),
                    },
                };
                let m = &mut self.sessions[i];
                let valid = m.token.as_ref().is_some_and(|t| now <= t.1);
                let expected = if !valid || *proofs > BATCH || !*good {
                    Answer::Refused
                } else if m.claims {
                    if let Some(id) = reply.as_ref().and_then(|r| r.notification_id.clone()) {
                        m.notifications.push(id);
                    }
                    if m.state != SessionState::Deferred {
                        m.state = SessionState::Issued;
                    }
                    Answer::Issued(*proofs)
                } else {
                    if let Some(id) = reply.as_ref().and_then(|r| r.transaction_id.clone()) {
                        m.transactions.push((id, false, *proofs));
                    }
                    m.state = SessionState::Deferred;
                    Answer::Deferred
                };
                (i, expected, got)
            }
            Op::Deferred { s, which } => {
                let Some(i) = self.pick(*s) else {
                    return Ok(());
                };
                let m = &self.sessions[i];
                let token = m.token.as_ref().map(|t| t.0.clone()).unwrap_or_default();
                let chosen = (!m.transactions.is_empty()).then(|| which % m.transactions.len());
                let id = chosen.map_or_else(
                    || "unknown-transaction".to_owned(),
                    |k| m.transactions[k].0.clone(),
                );
                let reply = block(self.issuer.deferred_credential(
                    DeferredCredentialRequest::new(id),
                    HttpFacts::bearer(&token),
                ))
                .ok()
                .and_then(|r| r.into_json());
                let got = match &reply {
                    None => Answer::Refused,
                    Some(r) => match &r.credentials {
                        Some(c) => Answer::Issued(c.len()),
                        None => Answer::Pending,
                    },
                };
                let m = &mut self.sessions[i];
                let expected = match chosen {
                    Some(k) if m.has_token() && !m.transactions[k].1 => {
                        if m.claims {
                            m.transactions[k].1 = true;
                            if let Some(id) = reply.as_ref().and_then(|r| r.notification_id.clone())
                            {
                                m.notifications.push(id);
                            }
                            if m.transactions.iter().all(|t| t.1) {
                                m.state = SessionState::Issued;
                            }
                            Answer::Issued(m.transactions[k].2)
                        } else {
                            Answer::Pending
                        }
                    }
                    _ => Answer::Refused,
                };
                (i, expected, got)
            }
            Op::SubmitClaims { s } => {
                let Some(i) = self.pick(*s) else {
                    return Ok(());
                };
                let id = self.sessions[i].id.clone();
                let done = block(self.issuer.submit_claims(
                    &id,
                    CONFIG,
                    json!({"age_over_18": true}),
                ));
                let got = if done.is_ok() {
                    Answer::Done
                } else {
                    Answer::Refused
                };
                self.sessions[i].claims = true;
                (i, Answer::Done, got)
            }
            Op::Notify { s, which } => {
                let Some(i) = self.pick(*s) else {
                    return Ok(());
                };
                let m = &self.sessions[i];
                let token = m.token.as_ref().map(|t| t.0.clone()).unwrap_or_default();
                let chosen = (!m.notifications.is_empty()).then(|| which % m.notifications.len());
                let id = chosen.map_or_else(
                    || "unknown-notification".to_owned(),
                    |k| m.notifications[k].clone(),
                );
                let note = NotificationRequest {
                    notification_id: id,
                    event: NotificationEvent::CredentialAccepted,
                    event_description: None,
                    extra: Default::default(),
                };
                let got = match block(self.issuer.notification(note, HttpFacts::bearer(&token))) {
                    Ok(_) => Answer::Done,
                    Err(_) => Answer::Refused,
                };
                let m = &mut self.sessions[i];
                let expected = if chosen.is_some() && m.has_token() {
                    m.state = SessionState::Notified;
                    Answer::Done
                } else {
                    Answer::Refused
                };
                (i, expected, got)
            }
            Op::Advance { seconds } => {
                self.clock.advance(*seconds);
                return Ok(());
            }
            Op::Boundary { s, token, past } => {
                let Some(i) = self.pick(*s) else {
                    return Ok(());
                };
                let m = &self.sessions[i];
                let end = if *token {
                    m.token.as_ref().map(|t| t.1)
                } else {
                    Some(m.offer_expires_at)
                };
                if let Some(target) = end.map(|e| e + u64::from(*past)) {
                    if target > now {
                        self.clock.set(target);
                    }
                }
                return Ok(());
            }
            Op::Guesses { s, n } => {
                let Some(i) = self.pick(*s) else {
                    return Ok(());
                };
                for _ in 0..*n {
                    self.apply(&Op::Token {
                        s: i,
                        right_tx: false,
                    })?;
                }
                return Ok(());
            }
        };
        if expected != got {
            return Err(fail(format!(
                "{op:?} on session {session}: the model says {expected:?}, the issuer {got:?}"
            )));
        }
        let m = &self.sessions[session];
        let stored = block(self.issuer.inspect(&m.id))
            .map_err(|e| fail(format!("inspect: {e}")))?
            .state;
        if stored != m.state {
            return Err(fail(format!(
                "after {op:?} session {session} is {stored:?}, the model says {:?}",
                m.state
            )));
        }
        Ok(())
    }
}

/// Runs `cases` random sequences of up to 40 operations, each against a fresh issuer over a
/// store from `make_store`; panics with the shrunk failing sequence on a mismatch. Returns the
/// number of operations applied.
pub fn run_session_model<S: SessionStore, F: Fn() -> S>(make_store: F, cases: u32) -> usize {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let applied = std::cell::Cell::new(0usize);
    let result = runner.run(&prop::collection::vec(op(), 1..40), |ops| {
        let (issuer, clock) = scenario_issuer(make_store());
        let mut run = Run {
            issuer,
            clock,
            sessions: Vec::new(),
        };
        for op in &ops {
            run.apply(op)?;
            applied.set(applied.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("the session machine left its model: {e}");
    }
    applied.get()
}
