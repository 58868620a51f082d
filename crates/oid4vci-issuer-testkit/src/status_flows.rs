//! Revocation scenarios run against any store that is both a [`SessionStore`] and a
//! [`StatusListStore`]: credentials carry distinct status-list entries, the served Status List
//! Token is signed and decodes to the revoked bits, revocation is idempotent and logged, lists
//! roll over when full, deferred credentials carry a status, credentials outlive their sessions,
//! and concurrent issuance and revocation lose nothing.
//!
//! ```
//! oid4vci_issuer_testkit::status_flows::run_status_flows(oid4vci_issuer::MemoryStore::new);
//! ```

use super::flows::{
    event_types, jwt_request, offer, redeem, request_credentials, scenario_issuer, ISSUER, T0,
};
use super::TestWallet;
use crate::scenario::block;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer::status_list::{StatusListConfig, STATUS_LIST_TYP};
use oid4vci_issuer::{
    HttpFacts, Issuer, IssuerError, ManualClock, SessionStore, StatusListStore, StatusReference,
};
use oid4vci_sd_jwt::SdJwtVcMinter;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;

/// Entries per list in the scenarios (the smallest allowed).
pub const CAPACITY: u32 = 1024;

/// A scenario issuer (see [`scenario_issuer`]) keeping status lists of [`CAPACITY`] entries in
/// `store`, filled up to `fill_limit`; also returns the key that signs the lists.
pub fn status_issuer<S: SessionStore + StatusListStore + Clone>(
    store: S,
    fill_limit: u32,
) -> (Issuer<S, SdJwtVcMinter>, ManualClock, Arc<SdJwtVcMinter>) {
    let signer = Arc::new(SdJwtVcMinter::generate());
    let (issuer, clock) = status_issuer_signed_by(store, fill_limit, signer.clone());
    (issuer, clock, signer)
}

/// [`status_issuer`] with lists signed by `signer`.
fn status_issuer_signed_by<S: SessionStore + StatusListStore + Clone>(
    store: S,
    fill_limit: u32,
    signer: Arc<SdJwtVcMinter>,
) -> (Issuer<S, SdJwtVcMinter>, ManualClock) {
    let (issuer, clock) = scenario_issuer(store);
    let mut config = StatusListConfig::new(ISSUER, signer);
    config.capacity = CAPACITY;
    config.fill_limit = fill_limit;
    let issuer = issuer
        .with_status_lists(config)
        .expect("valid status-list configuration");
    (issuer, clock)
}

/// Runs every scenario with fresh stores from `make_store`.
pub fn run_status_flows<S, F>(make_store: F)
where
    S: SessionStore + StatusListStore + Clone,
    F: Fn() -> S,
{
    revocation_shows_in_the_served_list(make_store());
    bad_revocations_are_refused(make_store());
    lists_roll_over_when_full(make_store());
    deferred_credentials_carry_a_status(make_store());
    credentials_outlive_their_sessions(make_store());
    concurrent_issuance_and_revocation_lose_nothing(make_store());
}

/// The payload of the issuer-signed JWT of an SD-JWT VC.
pub fn sd_jwt_payload(credential: &str) -> Value {
    let jws = credential.split('~').next().unwrap_or_default();
    let payload = jws.split('.').nth(1).expect("a JWS payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// The credential's `status.status_list` entry, checked to be well-formed.
pub fn status_of(credential: &str) -> (String, u32) {
    let payload = sd_jwt_payload(credential);
    let entry = &payload["status"]["status_list"];
    let uri = entry["uri"].as_str().expect("status_list.uri").to_owned();
    let idx = entry["idx"].as_u64().expect("status_list.idx");
    (uri, u32::try_from(idx).expect("idx fits"))
}

/// Verifies a Status List Token as a relying party would (signature by `key`, `typ`, `sub`,
/// `iat`/`exp`/`ttl`) and returns its decompressed statuses, one per entry.
pub fn decode_status_list(jwt: &str, key: &oid4vci_proof::PublicKey, uri: &str) -> Vec<u8> {
    let segments: Vec<&str> = jwt.split('.').collect();
    assert_eq!(segments.len(), 3, "a compact JWS");
    let signature = URL_SAFE_NO_PAD.decode(segments[2]).expect("signature");
    key.verify(
        key.alg(),
        format!("{}.{}", segments[0], segments[1]).as_bytes(),
        &signature,
    )
    .expect("the issuer key signed the status list");
    let decode = |s: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).expect("base64url")).expect("JSON")
    };
    let header = decode(segments[0]);
    assert_eq!(header["typ"], STATUS_LIST_TYP);
    let claims = decode(segments[1]);
    assert_eq!(claims["sub"], uri, "sub is the list's URI");
    let iat = claims["iat"].as_u64().expect("iat");
    assert!(claims["exp"].as_u64().expect("exp") > iat);
    assert!(claims["ttl"].as_u64().expect("ttl") > 0);
    assert_eq!(claims["status_list"]["bits"], 1);
    let lst = claims["status_list"]["lst"].as_str().expect("lst");
    let compressed = URL_SAFE_NO_PAD.decode(lst).expect("lst is base64url");
    let mut bytes = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .read_to_end(&mut bytes)
        .expect("lst is ZLIB");
    bytes
        .iter()
        .flat_map(|byte| (0..8).map(move |bit| (byte >> bit) & 1))
        .collect()
}

/// The revoked indices of list `list` as served now.
fn served_revoked<S: SessionStore, M: oid4vci_issuer::CredentialMinter>(
    issuer: &Issuer<S, M>,
    signer: &SdJwtVcMinter,
    list: u32,
) -> BTreeSet<u32> {
    let token = block(issuer.status_list_token(list))
        .expect("token")
        .expect("the list exists");
    let uri = format!("{ISSUER}/status-lists/{list}");
    let statuses = decode_status_list(&token.jwt, signer.public_key(), &uri);
    assert_eq!(statuses.len(), CAPACITY as usize, "one status per entry");
    (0u32..)
        .zip(statuses)
        .filter(|(_, s)| *s == 1)
        .map(|(i, _)| i)
        .collect()
}

/// Issues `count` credentials (one per fresh holder key) in a new session; returns the session
/// id and the credentials.
fn issue<S: SessionStore>(
    issuer: &Issuer<S, SdJwtVcMinter>,
    count: usize,
) -> (String, Vec<String>) {
    let (session, response) = request_credentials(issuer, json!({"age_over_18": true}), count);
    let credentials = response
        .expect("credentials")
        .credentials
        .expect("issued now")
        .iter()
        .map(|c| c.credential.as_str().expect("SD-JWT").to_owned())
        .collect();
    (session, credentials)
}

/// A batch of three gets three distinct entries of list 1; revoking one and then the session
/// flips exactly those bits in the signed list, once, and the log records each revocation.
pub fn revocation_shows_in_the_served_list<S: SessionStore + StatusListStore + Clone>(store: S) {
    let (issuer, _clock, signer) = status_issuer(store, 512);
    assert!(
        block(issuer.status_list_token(1)).expect("token").is_none(),
        "no list before the first credential"
    );
    let (session, credentials) = issue(&issuer, 3);
    let statuses: Vec<(String, u32)> = credentials.iter().map(|c| status_of(c)).collect();
    let uri = format!("{ISSUER}/status-lists/1");
    assert!(statuses.iter().all(|(u, _)| *u == uri), "{statuses:?}");
    let indices: BTreeSet<u32> = statuses.iter().map(|(_, i)| *i).collect();
    assert_eq!(indices.len(), 3, "every credential has its own entry");
    assert!(indices.iter().all(|i| *i < CAPACITY));
    assert!(served_revoked(&issuer, &signer, 1).is_empty(), "all valid");
    assert!(block(issuer.status_list_token(0)).expect("token").is_none());
    assert!(block(issuer.status_list_token(2)).expect("token").is_none());

    let summary = block(issuer.inspect(&session)).expect("inspect");
    assert_eq!(summary.credentials.len(), 3);
    assert!(summary.credentials.iter().all(|c| c.status == "valid"));

    let first = statuses[0].1;
    let one = block(issuer.revoke(&session, Some((1, first)), Some("key compromise")))
        .expect("revoke one");
    assert_eq!(one.revoked.len(), 1);
    assert_eq!(one.revoked[0].idx, first);
    assert!(one.logged);
    assert_eq!(
        served_revoked(&issuer, &signer, 1),
        BTreeSet::from([first]),
        "the revoked bit is served at once"
    );
    let again = block(issuer.revoke(&session, Some((1, first)), None)).expect("idempotent");
    assert!(again.revoked.is_empty());
    assert_eq!(again.already_revoked.len(), 1);

    let all = block(issuer.revoke(&session, None, None)).expect("revoke session");
    assert_eq!((all.revoked.len(), all.already_revoked.len()), (2, 1));
    assert_eq!(served_revoked(&issuer, &signer, 1), indices);
    let summary = block(issuer.inspect(&session)).expect("inspect");
    assert!(summary.credentials.iter().all(|c| c.status == "revoked"));
    let types = event_types(&issuer, &session);
    assert_eq!(
        types.iter().filter(|t| *t == "credential_revoked").count(),
        2,
        "a revocation that changed nothing is not logged: {types:?}"
    );
    let revoked_event = summary
        .events
        .iter()
        .find(|e| e.kind == oid4vci_issuer::EventKind::CredentialRevoked)
        .expect("revoked event");
    assert_eq!(revoked_event.details["reason"], "key compromise");
    assert_eq!(revoked_event.details["status_list"][0]["idx"], first);
    let issued = summary
        .events
        .iter()
        .find(|e| e.kind == oid4vci_issuer::EventKind::CredentialIssued)
        .expect("issued event");
    assert_eq!(
        issued.details["status_list"].as_array().map(Vec::len),
        Some(3),
        "the issued event names the entries"
    );
}

/// Unknown sessions and credentials, over-long reasons, and issuers without status lists.
pub fn bad_revocations_are_refused<S: SessionStore + StatusListStore + Clone>(store: S) {
    let (plain, _clock) = scenario_issuer(store.clone());
    assert!(matches!(
        block(plain.revoke("any", None, None)),
        Err(IssuerError::Unsupported(_))
    ));
    assert!(block(plain.status_list_token(1)).expect("token").is_none());
    let (issuer, _clock, _signer) = status_issuer(store, 512);
    assert!(matches!(
        block(issuer.revoke("no-such-session", None, None)),
        Err(IssuerError::NotFound)
    ));
    let (session, credentials) = issue(&issuer, 1);
    let (_, idx) = status_of(&credentials[0]);
    let other = (idx + 1) % CAPACITY;
    assert!(matches!(
        block(issuer.revoke(&session, Some((1, other)), None)),
        Err(IssuerError::UnknownCredential(_))
    ));
    assert!(matches!(
        block(issuer.revoke(&session, Some((2, idx)), None)),
        Err(IssuerError::UnknownCredential(_))
    ));
    let long = "x".repeat(oid4vci_issuer::MAX_REASON_LEN + 1);
    assert!(matches!(
        block(issuer.revoke(&session, None, Some(&long))),
        Err(IssuerError::InvalidRevocation(_))
    ));
    // A session with no credentials yet: nothing to revoke, and no error.
    let created = block(issuer.create_offer(offer(None, None))).expect("offer");
    let nothing = block(issuer.revoke(&created.session_id, None, None)).expect("empty");
    assert!(nothing.revoked.is_empty() && nothing.already_revoked.is_empty());
    let credential = block(issuer.credential_statuses(&session)).expect("statuses");
    assert_eq!(credential.len(), 1);
    assert_eq!(credential[0].status, "valid", "refusals changed nothing");
}

/// With a fill limit of 8, sixty credentials fill one list after another, each index used once.
pub fn lists_roll_over_when_full<S: SessionStore + StatusListStore + Clone>(store: S) {
    let (issuer, _clock, signer) = status_issuer(store, 8);
    let mut seen = BTreeSet::new();
    for _ in 0..20 {
        let (_, credentials) = issue(&issuer, 3);
        for c in credentials {
            assert!(seen.insert(status_of(&c)), "an entry is handed out once");
        }
    }
    let lists: BTreeSet<String> = seen.iter().map(|(uri, _)| uri.clone()).collect();
    // A list takes reservations until it holds 8: at most 8 + (3 - 1) entries each.
    assert!(lists.len() >= 6, "the lists filled up in turn: {lists:?}");
    for list in &lists {
        let held = seen.iter().filter(|(uri, _)| uri == list).count();
        assert!(
            (8..=10).contains(&held) || list == lists.last().expect("a list"),
            "{list}: {held}"
        );
    }
    for list in 1..=u32::try_from(lists.len()).expect("few lists") {
        assert!(served_revoked(&issuer, &signer, list).is_empty());
    }
}

/// A credential collected at the deferred endpoint carries its own entry.
pub fn deferred_credentials_carry_a_status<S: SessionStore + StatusListStore + Clone>(store: S) {
    let (issuer, _clock, signer) = status_issuer(store, 512);
    let created = block(issuer.create_offer(offer(None, None))).expect("offer");
    let token = redeem(&issuer, &created);
    let nonce = issuer.nonce().c_nonce;
    let proof = TestWallet::new().proof(ISSUER, Some(&nonce), T0);
    let pending = block(issuer.credential(jwt_request(vec![proof]), HttpFacts::bearer(&token)))
        .map(|r| r.into_json().expect("a plain response"))
        .expect("deferred");
    let tx = pending.transaction_id.expect("transaction id");
    block(issuer.submit_claims(
        &created.session_id,
        super::flows::CONFIG,
        json!({"age_over_18": true}),
    ))
    .expect("claims");
    let ready = block(issuer.deferred_credential(
        oid4vci_types::DeferredCredentialRequest::new(tx),
        HttpFacts::bearer(&token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect("ready");
    let credential = ready.credentials.expect("credentials")[0]
        .credential
        .as_str()
        .expect("SD-JWT")
        .to_owned();
    let (uri, idx) = status_of(&credential);
    assert_eq!(uri, format!("{ISSUER}/status-lists/1"));
    let revocation = block(issuer.revoke(&created.session_id, None, None)).expect("revoke");
    assert_eq!(
        revocation.revoked,
        vec![StatusReference { list: 1, idx, uri }]
    );
    assert_eq!(served_revoked(&issuer, &signer, 1), BTreeSet::from([idx]));
}

/// After the session is swept its credentials can still be revoked (not logged: no session).
pub fn credentials_outlive_their_sessions<S: SessionStore + StatusListStore + Clone>(store: S) {
    let (issuer, clock, signer) = status_issuer(store, 512);
    let (session, credentials) = issue(&issuer, 2);
    clock.advance(400 * 24 * 3600);
    assert!(block(issuer.sweep_expired()).expect("sweep") >= 1);
    assert!(matches!(
        block(issuer.inspect(&session)),
        Err(IssuerError::NotFound)
    ));
    assert_eq!(
        block(issuer.credential_statuses(&session))
            .expect("statuses")
            .len(),
        2
    );
    let revocation = block(issuer.revoke(&session, None, None)).expect("revoke");
    assert_eq!(revocation.revoked.len(), 2);
    assert!(
        !revocation.logged,
        "the session is gone, so nothing logged it"
    );
    let expected: BTreeSet<u32> = credentials.iter().map(|c| status_of(c).1).collect();
    assert_eq!(served_revoked(&issuer, &signer, 1), expected);
}

/// Sessions issuing at once get distinct entries; revoking them all at once loses no bit.
pub fn concurrent_issuance_and_revocation_lose_nothing<
    S: SessionStore + StatusListStore + Clone,
>(
    store: S,
) {
    let (issuer, _clock, signer) = status_issuer(store, 768);
    let callers = 16;
    let issued: Vec<(String, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..callers)
            .map(|_| scope.spawn(|| issue(&issuer, 3)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("issuance"))
            .collect()
    });
    let entries: BTreeSet<(String, u32)> = issued
        .iter()
        .flat_map(|(_, cs)| cs.iter().map(|c| status_of(c)))
        .collect();
    assert_eq!(entries.len(), callers * 3, "no entry handed out twice");
    let revoked: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = issued
            .iter()
            .map(|(session, _)| {
                let issuer = &issuer;
                scope.spawn(move || block(issuer.revoke(session, None, None)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("revocation")
                    .expect("revoked")
                    .revoked
                    .len()
            })
            .sum()
    });
    assert_eq!(revoked, callers * 3);
    let expected: BTreeSet<u32> = entries.iter().map(|(_, i)| *i).collect();
    assert_eq!(
        served_revoked(&issuer, &signer, 1),
        expected,
        "every concurrent revocation is in the served list"
    );
}

/// Revoked entries survive a restart: `open` opens the same durable store each time.
pub fn revocations_survive_a_restart<S, F>(open: F)
where
    S: SessionStore + StatusListStore + Clone,
    F: Fn() -> S,
{
    let (session, credentials, signer) = {
        let (issuer, _clock, signer) = status_issuer(open(), 512);
        let (session, credentials) = issue(&issuer, 2);
        let (_, idx) = status_of(&credentials[0]);
        block(issuer.revoke(&session, Some((1, idx)), None)).expect("revoke");
        (session, credentials, signer)
    };
    let (issuer, _clock) = status_issuer_signed_by(open(), 512, signer.clone());
    let first = status_of(&credentials[0]).1;
    assert_eq!(served_revoked(&issuer, &signer, 1), BTreeSet::from([first]));
    let statuses = block(issuer.credential_statuses(&session)).expect("statuses");
    assert_eq!(statuses.len(), 2);
    // New credentials after the restart never reuse a reserved entry.
    let (_, more) = issue(&issuer, 3);
    let before: BTreeSet<u32> = credentials.iter().map(|c| status_of(c).1).collect();
    assert!(more.iter().all(|c| !before.contains(&status_of(c).1)));
}
