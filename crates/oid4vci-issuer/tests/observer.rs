//! The event observer sees exactly the stored log, in order, once each.

use oid4vci_issuer::{Event, EventObserver, HttpFacts, MemoryStore, OfferSpec};
use oid4vci_issuer_testkit::{flows, TestWallet};
use oid4vci_types::{CredentialRequest, TokenRequest};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Collect(Mutex<Vec<(String, Event)>>);

impl EventObserver for Collect {
    fn observe(&self, session_id: &str, event: &Event) {
        if let Ok(mut v) = self.0.lock() {
            v.push((session_id.to_owned(), event.clone()));
        }
    }
}

#[test]
fn observer_sees_every_stored_event_once() {
    pollster::block_on(async {
        let observed = Arc::new(Collect::default());
        let (issuer, _clock) = flows::scenario_issuer(MemoryStore::new());
        let issuer = issuer.with_event_observer(observed.clone());
        let created = issuer
            .create_offer(OfferSpec {
                credential_configuration_ids: vec![flows::CONFIG.into()],
                pre_authorized: true,
                claims: Some(serde_json::json!({"a": 1})),
                ..OfferSpec::default()
            })
            .await
            .expect("offer");
        let code = created
            .credential_offer
            .pre_authorized_code_grant()
            .expect("grant")
            .pre_authorized_code
            .clone();
        let token = issuer
            .token(
                TokenRequest::pre_authorized(code.clone(), None),
                HttpFacts::default(),
            )
            .await
            .expect("token");
        let _ = issuer
            .token(
                TokenRequest::pre_authorized(code, None),
                HttpFacts::default(),
            )
            .await;
        let nonce = issuer.nonce().c_nonce;
        let proof = TestWallet::new().proof(flows::ISSUER, Some(&nonce), flows::T0);
        let request = CredentialRequest::for_configuration(flows::CONFIG, vec![proof]);
        issuer
            .credential(request, HttpFacts::bearer(token.access_token.expose()))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("credential");

        let log = issuer
            .inspect(&created.session_id)
            .await
            .expect("inspect")
            .events;
        let seen = observed.0.lock().expect("lock").clone();
        assert!(seen.iter().all(|(id, _)| *id == created.session_id));
        let seen: Vec<Event> = seen.into_iter().map(|(_, e)| e).collect();
        assert_eq!(seen, log, "observed events equal the stored log");
        assert_eq!(seen.len(), 5);
    });
}
