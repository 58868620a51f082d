//! Revocation in `oid4vci serve`: SD-JWT VCs and mdocs carry a status-list entry, the list is
//! served signed by the issuer key with caching headers, the admin API revokes a credential or
//! a whole session, and the revoked bits survive a restart.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use oid4vci_issuer_testkit::status_flows::{decode_status_list, status_of};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_proof::PublicKey;
use serde_json::{json, Value};
use support::{map_get, temp_dir, Server, ADMIN_TOKEN};

const ACCEPT_JWT: (&str, &str) = ("Accept", "application/statuslist+jwt");

fn issuer_key(server: &Server) -> PublicKey {
    let meta = server.get("/.well-known/jwt-vc-issuer");
    PublicKey::from_jwk_value(&meta["jwks"]["keys"][0]).expect("issuer JWK")
}

/// The served list 1, verified; returns its revoked indices and the response head.
fn served(server: &Server) -> (Vec<u32>, String) {
    let (status, head, body) = server.request("GET", "/status-lists/1", &[ACCEPT_JWT], "");
    assert_eq!(status, 200, "{head}\n{body}");
    let uri = format!("{}/status-lists/1", server.url());
    let statuses = decode_status_list(body.trim(), &issuer_key(server), &uri);
    let revoked = (0u32..)
        .zip(statuses)
        .filter(|(_, s)| *s == 1)
        .map(|(i, _)| i)
        .collect();
    (revoked, head)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn admin(server: &Server, path: &str, body: &str) -> (u16, Value) {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    server.json(
        "POST",
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    )
}

/// The `status.status_list` of an mdoc's MSO: `(uri, idx)`.
fn mdoc_status(credential: &str) -> (String, u32) {
    let bytes = URL_SAFE_NO_PAD.decode(credential).expect("base64url");
    let issuer_signed: Cbor = ciborium::from_reader(bytes.as_slice()).expect("CBOR");
    let payload = map_get(&issuer_signed, "issuerAuth")
        .and_then(Cbor::as_array)
        .and_then(|a| a.get(2))
        .and_then(Cbor::as_bytes)
        .expect("COSE_Sign1 payload");
    // MobileSecurityObjectBytes: #6.24(bstr .cbor MobileSecurityObject).
    let tagged: Cbor = ciborium::from_reader(payload.as_slice()).expect("CBOR");
    let Cbor::Tag(24, inner) = tagged else {
        panic!("the MSO is tag 24")
    };
    let mso: Cbor = ciborium::from_reader(inner.as_bytes().expect("bstr").as_slice()).expect("MSO");
    let entry = map_get(&mso, "status")
        .and_then(|s| map_get(s, "status_list"))
        .expect("MSO status.status_list");
    let uri = map_get(entry, "uri")
        .and_then(Cbor::as_text)
        .expect("uri")
        .to_owned();
    let idx = map_get(entry, "idx")
        .and_then(Cbor::as_integer)
        .and_then(|i| u32::try_from(i).ok())
        .expect("idx");
    (uri, idx)
}

#[test]
fn credentials_are_revoked_through_the_admin_api_and_the_list_shows_it() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    assert!(
        server.banner.iter().any(|l| l.contains("/status-lists/1")),
        "{:?}",
        server.banner
    );
    let list_uri = format!("{}/status-lists/1", server.url());
    let (session, status, body) = server.obtain_in_session(
        "identity_credential",
        &json!({"given_name": "Erika"}),
        &TestWallet::new(),
    );
    assert_eq!(status, 200, "{body}");
    let sd_jwt = body["credentials"][0]["credential"]
        .as_str()
        .expect("SD-JWT");
    let (uri, idx) = status_of(sd_jwt);
    assert_eq!(uri, list_uri);
    let (mdoc_session, status, body) = server.obtain_in_session(
        "eu.europa.ec.av.1",
        &json!({"age_over_18": true}),
        &TestWallet::new(),
    );
    assert_eq!(status, 200, "{body}");
    let (mdoc_uri, mdoc_idx) =
        mdoc_status(body["credentials"][0]["credential"].as_str().expect("mdoc"));
    assert_eq!(mdoc_uri, list_uri);
    assert_ne!(mdoc_idx, idx, "every credential has its own entry");

    let (revoked, head) = served(&server);
    assert!(revoked.is_empty(), "{revoked:?}");
    assert_eq!(
        header(&head, "content-type"),
        Some("application/statuslist+jwt")
    );
    let cache = header(&head, "cache-control").expect("Cache-Control");
    assert!(cache.contains("max-age="), "{cache}");
    let etag = header(&head, "etag").expect("ETag").to_owned();
    let (status, _, _) = server.request(
        "GET",
        "/status-lists/1",
        &[ACCEPT_JWT, ("If-None-Match", &etag)],
        "",
    );
    assert_eq!(status, 304, "an unchanged list is not sent again");
    let (status, _, _) = server.request(
        "GET",
        "/status-lists/1",
        &[("Accept", "application/json")],
        "",
    );
    assert_eq!(status, 406);
    for missing in [
        "/status-lists/0",
        "/status-lists/2",
        "/status-lists/01",
        "/status-lists/x",
    ] {
        let (status, _, _) = server.request("GET", missing, &[ACCEPT_JWT], "");
        assert_eq!(status, 404, "{missing}");
    }

    // The admin API: authenticated, typed refusals, then the revocations.
    let (status, _) = server.json(
        "POST",
        &format!("/admin/sessions/{session}/revoke"),
        &[],
        "",
    );
    assert_eq!(status, 401, "revocation needs the admin token");
    let (status, _) = admin(&server, "/admin/sessions/no-such-session/revoke", "");
    assert_eq!(status, 404);
    let other = (idx + 1) % 1024;
    let (status, err) = admin(
        &server,
        &format!("/admin/sessions/{session}/credentials/1/{other}/revoke"),
        "",
    );
    assert_eq!(status, 404, "{err}");
    let (status, err) = admin(
        &server,
        &format!("/admin/sessions/{session}/revoke"),
        &json!({"reason": "x".repeat(300)}).to_string(),
    );
    assert_eq!(status, 400, "{err}");
    let (status, done) = admin(
        &server,
        &format!("/admin/sessions/{session}/credentials/1/{idx}/revoke"),
        &json!({"reason": "lost device"}).to_string(),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["revoked"][0]["idx"], idx);
    let (revoked, _) = served(&server);
    assert_eq!(revoked, [idx]);
    let (status, again) = admin(&server, &format!("/admin/sessions/{session}/revoke"), "");
    assert_eq!(status, 200);
    assert_eq!(again["revoked"], json!([]), "{again}");
    assert_eq!(again["already_revoked"][0]["idx"], idx);
    let (status, done) = admin(
        &server,
        &format!("/admin/sessions/{mdoc_session}/revoke"),
        "",
    );
    assert_eq!(status, 200, "{done}");
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let (status, summary) = server.json(
        "GET",
        &format!("/admin/sessions/{session}"),
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(status, 200);
    assert_eq!(summary["credentials"][0]["status"], "revoked", "{summary}");
    let logged = summary["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "credential_revoked")
        .expect("the log records the revocation");
    assert_eq!(logged["details"]["reason"], "lost device");

    let mut expected = vec![idx, mdoc_idx];
    expected.sort_unstable();
    let (revoked, _) = served(&server);
    assert_eq!(revoked, expected);
    drop(server);
    let server = Server::start(dir.path(), &[]);
    let (revoked, _) = served(&server);
    assert_eq!(revoked, expected, "revocations survive a restart");
}
