//! `/metrics` parsed with the `prometheus_client` package's parsers: counters move after flows, refusals and replays; labels carry no secret.

use super::support::{python_tools, temp_dir, Server, ADMIN_TOKEN};
use super::token_form;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// What a parser made of `/metrics`: sample name → [(labels, value)], and family → type.
struct Parsed {
    samples: BTreeMap<String, Vec<(Value, f64)>>,
    types: BTreeMap<String, String>,
}

/// Parses `/metrics` with the `prometheus_client` package: its Prometheus text format parser
/// (`prometheus_client.parser`), or with `openmetrics` its OpenMetrics parser.
fn parse_with(bin: &std::path::Path, text: &str, openmetrics: bool) -> Parsed {
    let module = match openmetrics {
        true => "prometheus_client.openmetrics.parser",
        false => "prometheus_client.parser",
    };
    let script = format!(
        r#"
import json, sys
from {module} import text_string_to_metric_families
out, types = {{}}, {{}}
for family in text_string_to_metric_families(sys.stdin.read()):
    types[family.name] = family.type
    for s in family.samples:
        out.setdefault(s.name, []).append([s.labels, s.value])
print(json.dumps({{"samples": out, "types": types}}))
"#
    );
    let mut child = Command::new(bin.join("python"))
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("parse");
    assert!(
        out.status.success(),
        "the Prometheus parser refused the output: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    Parsed {
        samples: serde_json::from_value(v["samples"].clone()).expect("samples"),
        types: serde_json::from_value(v["types"].clone()).expect("types"),
    }
}

/// Parses the Prometheus text format (what `/metrics` answers a scraper that does not ask for
/// OpenMetrics) with `prometheus_client.parser`; no family may come out untyped.
fn parse_metrics(bin: &std::path::Path, text: &str) -> Parsed {
    let parsed = parse_with(bin, text, false);
    assert!(
        !parsed.types.values().any(|t| t == "unknown"),
        "an untyped family: {:?}",
        parsed.types
    );
    parsed
}

/// The families are typed as registered (counters are not read as untyped `_total` series).
fn assert_typed(parsed: &Parsed) {
    for (family, kind) in [
        ("oid4vci_http_requests", "counter"),
        ("oid4vci_http_request_duration_seconds", "histogram"),
        ("oid4vci_credentials_issued", "counter"),
        ("oid4vci_proof_refusals", "counter"),
        ("oid4vci_replays", "counter"),
        ("oid4vci_sessions", "gauge"),
        ("oid4vci_store_operation_duration_seconds", "histogram"),
        ("oid4vci_signing_duration_seconds", "histogram"),
    ] {
        assert_eq!(
            parsed.types.get(family).map(String::as_str),
            Some(kind),
            "{family} in {:?}",
            parsed.types
        );
    }
}

/// The value of the sample `name` whose labels include `labels` (0 when absent).
fn sample(m: &BTreeMap<String, Vec<(Value, f64)>>, name: &str, labels: &Value) -> f64 {
    let want = labels.as_object().expect("labels");
    (m.get(name).into_iter().flatten())
        .filter(|(l, _)| want.iter().all(|(k, v)| l.get(k) == Some(v)))
        .map(|(_, v)| *v)
        .sum()
}

#[test]
fn metrics_count_flows_refusals_and_replays() {
    let Some(bin) = python_tools("metrics_count_flows_refusals_and_replays") else {
        return;
    };
    let dir = temp_dir();
    let server = Server::start(dir.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let metrics_url = (server.banner.iter())
        .find_map(|l| l.strip_prefix("metrics:").map(|u| u.trim().to_owned()))
        .expect("the banner names the metrics address");
    let metrics_addr = metrics_url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .to_owned();
    let scrape_as = |accept: &str| {
        let mut s = std::net::TcpStream::connect(&metrics_addr).expect("connect");
        write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{accept}\r\n"
        )
        .expect("w");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut s, &mut text).expect("read");
        let (head, body) = text.split_once("\r\n\r\n").expect("response");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        (head.to_owned(), body.to_owned())
    };
    // A scraper that does not ask for OpenMetrics gets the Prometheus text format.
    let scrape = || {
        let (head, body) = scrape_as("");
        assert!(head.contains("text/plain; version=0.0.4"), "{head}");
        parse_metrics(&bin, &body)
    };
    let before = scrape().samples;

    // Two credentials, one of each format.
    let wallet = TestWallet::new();
    for (configuration, claims) in [
        ("identity_credential", json!({"given_name": "Erika"})),
        ("eu.europa.ec.av.1", json!({"age_over_18": true})),
    ] {
        let (status, body) = server.obtain(configuration, &claims, &wallet);
        assert_eq!(status, 200, "{body}");
    }
    // A code redeemed twice.
    let code = server.offer("identity_credential", &json!({"given_name": "Erika"}));
    let form = token_form(&code);
    let headers = [("Content-Type", "application/x-www-form-urlencoded")];
    let (first, _) = server.json("POST", "/token", &headers, &form);
    let (second, refused) = server.json("POST", "/token", &headers, &form);
    assert_eq!((first, second), (200, 400), "{refused}");
    // A proof with the wrong audience.
    let code = server.offer("identity_credential", &json!({"given_name": "Erika"}));
    let (_, token) = server.json("POST", "/token", &headers, &token_form(&code));
    let access = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    let (_, nonce) = server.json("POST", "/nonce", &[], "");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let proof = wallet.proof(
        "https://not-this-issuer.example",
        nonce["c_nonce"].as_str(),
        now,
    );
    let body =
        json!({"credential_configuration_id": "identity_credential", "proofs": {"jwt": [proof]}});
    let (status, refused) = server.json(
        "POST",
        "/credential",
        &[
            ("Authorization", &access),
            ("Content-Type", "application/json"),
        ],
        &body.to_string(),
    );
    assert_eq!(status, 400, "{refused}");
    let code_of_refusal = refused["error"].as_str().unwrap_or_default().to_owned();
    // A c_nonce used twice: accepted in one session, refused as a replay in another.
    let nonce_proof = {
        let (_, nonce) = server.json("POST", "/nonce", &[], "");
        wallet.proof(&server.url(), nonce["c_nonce"].as_str(), now)
    };
    let mut replay_statuses = Vec::new();
    for _ in 0..2 {
        let code = server.offer("identity_credential", &json!({"given_name": "Erika"}));
        let (_, token) = server.json("POST", "/token", &headers, &token_form(&code));
        let access = format!("Bearer {}", token["access_token"].as_str().expect("token"));
        let body = json!({"credential_configuration_id": "identity_credential", "proofs": {"jwt": [&nonce_proof]}});
        let (status, reply) = server.json(
            "POST",
            "/credential",
            &[
                ("Authorization", &access),
                ("Content-Type", "application/json"),
            ],
            &body.to_string(),
        );
        replay_statuses.push((status, reply["error"].clone()));
    }
    assert_eq!(
        replay_statuses,
        [(200, Value::Null), (400, json!("invalid_nonce"))]
    );

    let after = scrape();
    assert_typed(&after);
    let after = after.samples;
    let moved =
        |name: &str, labels: Value| sample(&after, name, &labels) - sample(&before, name, &labels);
    assert_eq!(
        moved(
            "oid4vci_credentials_issued_total",
            json!({"configuration": "identity_credential", "format": "dc+sd-jwt"})
        ),
        2.0
    );
    assert_eq!(
        moved(
            "oid4vci_credentials_issued_total",
            json!({"configuration": "eu.europa.ec.av.1", "format": "mso_mdoc"})
        ),
        1.0
    );
    assert_eq!(
        moved(
            "oid4vci_proof_refusals_total",
            json!({"code": "invalid_audience"})
        ),
        1.0,
        "refusals by diagnostic code: {:?}",
        after.get("oid4vci_proof_refusals_total")
    );
    assert_eq!(
        moved(
            "oid4vci_replays_total",
            json!({"kind": "pre_authorized_code"})
        ),
        1.0
    );
    assert_eq!(
        moved("oid4vci_replays_total", json!({"kind": "c_nonce"})),
        1.0,
        "replays: {:?}",
        after.get("oid4vci_replays_total")
    );
    assert_eq!(
        moved(
            "oid4vci_http_requests_total",
            json!({"endpoint": "/credential", "method": "POST", "status": "200", "error": ""})
        ),
        3.0
    );
    assert_eq!(
        moved(
            "oid4vci_http_requests_total",
            json!({"endpoint": "/credential", "status": "400", "error": code_of_refusal})
        ),
        1.0
    );
    assert_eq!(
        moved(
            "oid4vci_http_requests_total",
            json!({"endpoint": "/token", "error": "invalid_grant"})
        ),
        1.0
    );
    assert!(
        moved(
            "oid4vci_http_request_duration_seconds_count",
            json!({"endpoint": "/credential"})
        ) >= 3.0
    );
    assert!(
        moved(
            "oid4vci_store_operation_duration_seconds_count",
            json!({"operation": "commit"})
        ) >= 3.0
    );
    assert!(
        moved(
            "oid4vci_signing_duration_seconds_count",
            json!({"kid": "issuer-key-1"})
        ) >= 2.0
    );
    // Sessions are counted when first read (then at most every 15 s): the startup offers.
    assert!(sample(&before, "oid4vci_sessions", &json!({"state": "offered"})) >= 1.0);
    for (name, samples) in &after {
        for (labels, _) in samples {
            let text = labels.to_string();
            assert!(!text.contains(&code), "no secret in {name} {text}");
        }
    }

    // Prometheus asks for OpenMetrics, and gets the same samples in it.
    let (head, body) = scrape_as("Accept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3\r\n");
    assert!(head.contains("application/openmetrics-text"), "{head}");
    let open = parse_with(&bin, &body, true);
    assert_eq!(
        open.types
            .get("oid4vci_credentials_issued")
            .map(String::as_str),
        Some("counter")
    );
    let issued = json!({"configuration": "identity_credential"});
    assert_eq!(
        sample(&open.samples, "oid4vci_credentials_issued_total", &issued),
        sample(&after, "oid4vci_credentials_issued_total", &issued)
    );

    // Without --metrics-listen, /metrics is on the main port behind the admin token.
    let other = temp_dir();
    let plain = Server::start(other.path(), &[]);
    let (status, _) = plain.obtain("identity_credential", &json!({"given_name": "E"}), &wallet);
    assert_eq!(status, 200);
    let (status, _, _) = plain.request("GET", "/metrics", &[], "");
    assert_eq!(status, 401);
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let (status, _, text) = plain.request("GET", "/metrics", &[("Authorization", &bearer)], "");
    assert_eq!(status, 200);
    let first = parse_metrics(&bin, &text).samples;
    assert_eq!(
        sample(&first, "oid4vci_sessions", &json!({"state": "issued"})),
        1.0
    );
}
