//! Running `oid4vci serve` in production:
//!
//! - `/metrics` parsed with the `prometheus_client` package's OpenMetrics parser: the counters
//!   move after flows, a refused proof, replays; on a separate listener and behind the admin
//!   token on the main port;
//! - `/healthz` and `/readyz`; `/readyz` turns 503 while PostgreSQL is down and 200 after;
//! - `--log-format json`: the request lines carry the wallet's `traceparent` trace id and the
//!   session id, and no secret;
//! - SIGTERM under load: the server stops within its grace period and no acknowledged flow is
//!   lost.

mod support;

use oid4vci_issuer_testkit::TestWallet;
use oid4vci_store_postgres::test_server::{report_skip, StartError, TestServer, FAST_SETTINGS};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::{python_tools, temp_dir, Server, ADMIN_TOKEN};

/// Parses OpenMetrics text with the `prometheus_client` package: sample name → [(labels, value)].
fn parse_metrics(bin: &std::path::Path, text: &str) -> BTreeMap<String, Vec<(Value, f64)>> {
    let script = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.setdefault(s.name, []).append([s.labels, s.value])
print(json.dumps(out))
"#;
    let mut child = Command::new(bin.join("python"))
        .args(["-c", script])
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
    let v: BTreeMap<String, Vec<(Value, f64)>> = serde_json::from_slice(&out.stdout).expect("json");
    v
}

/// The value of the sample `name` whose labels include `labels` (0 when absent).
fn sample(m: &BTreeMap<String, Vec<(Value, f64)>>, name: &str, labels: &Value) -> f64 {
    let want = labels.as_object().expect("labels");
    (m.get(name).into_iter().flatten())
        .filter(|(l, _)| want.iter().all(|(k, v)| l.get(k) == Some(v)))
        .map(|(_, v)| *v)
        .sum()
}

fn token_form(code: &str) -> String {
    format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
    )
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
    let scrape = || {
        let mut s = std::net::TcpStream::connect(&metrics_addr).expect("connect");
        write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("w");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut s, &mut text).expect("read");
        let (head, body) = text.split_once("\r\n\r\n").expect("response");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("application/openmetrics-text"), "{head}");
        parse_metrics(&bin, body)
    };
    let before = scrape();

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

    let after = scrape();
    let moved =
        |name: &str, labels: Value| sample(&after, name, &labels) - sample(&before, name, &labels);
    assert_eq!(
        moved(
            "oid4vci_credentials_issued_total",
            json!({"configuration": "identity_credential", "format": "dc+sd-jwt"})
        ),
        1.0
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
        moved(
            "oid4vci_http_requests_total",
            json!({"endpoint": "/credential", "method": "POST", "status": "200", "error": ""})
        ),
        2.0
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
    let first = parse_metrics(&bin, &text);
    assert_eq!(
        sample(&first, "oid4vci_sessions", &json!({"state": "issued"})),
        1.0
    );
}

#[test]
fn readyz_follows_postgresql_down_and_back() {
    const NAME: &str = "readyz_follows_postgresql_down_and_back";
    let pg = match TestServer::start(FAST_SETTINGS) {
        Ok(pg) => pg,
        Err(StartError::Unavailable(why)) => return report_skip(NAME, &why),
        Err(e) => panic!("{e}"),
    };
    let url = pg.create_database().expect("database");
    let dir = temp_dir();
    let server = Server::start_on_store(dir.path(), &url, &[]);
    let probe = |path: &str| {
        let (status, _, body) = server.request("GET", path, &[], "");
        (
            status,
            serde_json::from_str::<Value>(&body).unwrap_or(Value::Null),
        )
    };
    assert_eq!(probe("/healthz").0, 200);
    let (status, ready) = probe("/readyz");
    assert_eq!(
        (status, &ready["checks"]["store"]),
        (200, &json!("ok")),
        "{ready}"
    );
    assert_eq!(ready["checks"]["keys"], "ok");

    pg.stop();
    let (status, down) = probe("/readyz");
    assert_eq!(status, 503, "{down}");
    assert_ne!(down["checks"]["store"], "ok");
    assert_eq!(down["checks"]["keys"], "ok");
    assert_eq!(probe("/healthz").0, 200, "alive while the database is down");

    pg.restart().expect("restart");
    let mut status = 0;
    for _ in 0..100 {
        status = probe("/readyz").0;
        if status == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status, 200, "ready again once PostgreSQL is back");
}

#[test]
fn json_logs_carry_the_trace_id_and_the_session_and_no_secret() {
    let dir = temp_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args([
            "serve",
            "--port",
            "0",
            "--admin-token",
            ADMIN_TOKEN,
            "--log-format",
            "json",
        ])
        .arg("--db")
        .arg(dir.path().join("issuer.db"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let addr = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("listening on http://").map(str::to_owned))
        .expect("listening");
    let stderr = child.stderr.take().expect("stderr");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut l) = sink.lock() {
                l.push(line);
            }
        }
    });
    let server_for = |path: &str, headers: &[(&str, &str)], body: &str, method: &str| {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).expect("write");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut s, &mut text).expect("read");
        text.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default()
    };
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let offer = json!({"credential_configuration_ids": ["identity_credential"], "claims": {"given_name": "Erika"}});
    let created: Value = serde_json::from_str(&server_for(
        "/admin/offers",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        &offer.to_string(),
        "POST",
    ))
    .expect("created");
    let session = created["session_id"].as_str().expect("session").to_owned();
    let code = created["credential_offer"]["grants"]
        ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .expect("code")
        .to_owned();
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let traceparent = format!("00-{trace}-b7ad6b7169203331-01");
    let token: Value = serde_json::from_str(&server_for(
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("traceparent", &traceparent),
        ],
        &token_form(&code),
        "POST",
    ))
    .expect("token");
    let access = token["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    std::thread::sleep(Duration::from_millis(500)); // the log writer thread
    let _ = child.kill();
    let _ = child.wait();
    let lines = lines.lock().expect("lines").clone();
    let request_line = (lines.iter())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "request" && l["span"]["route"] == "/token")
        .unwrap_or_else(|| panic!("a JSON request line for /token in {lines:?}"));
    assert_eq!(request_line["span"]["trace_id"], trace, "{request_line}");
    assert_eq!(
        request_line["span"]["session_id"],
        session.as_str(),
        "{request_line}"
    );
    assert_eq!(request_line["status"], 200);
    let all = lines.join("\n");
    for secret in [&code, &access, &ADMIN_TOKEN.to_owned()] {
        assert!(!all.contains(secret.as_str()), "a secret in the logs");
    }
}

#[test]
fn sigterm_under_load_loses_no_acknowledged_flow() {
    let dir = temp_dir();
    let mut server = Server::start(dir.path(), &["--shutdown-grace", "5"]);
    let url = server.url();
    let addr = server.addr.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, acknowledged, addr, url) = (
                stop.clone(),
                acknowledged.clone(),
                addr.clone(),
                url.clone(),
            );
            std::thread::spawn(move || {
                let client = support::Client::new(&addr, &url);
                let wallet = TestWallet::new();
                while !stop.load(Ordering::Relaxed) {
                    match client.try_obtain(
                        "identity_credential",
                        &json!({"given_name": "E"}),
                        &wallet,
                    ) {
                        Some(session) => acknowledged.lock().expect("ack").push(session),
                        None => return, // the server is going away
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let kill = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(kill.success());
    let status = server
        .wait_exit(Duration::from_secs(5 + 5))
        .expect("stopped within the grace period");
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("worker");
    }
    assert!(status.success(), "a clean exit: {status:?}");
    let acknowledged = acknowledged.lock().expect("ack").clone();
    assert!(acknowledged.len() >= 4, "load ran: {}", acknowledged.len());

    // Every acknowledged flow is in the database after a restart.
    let again = Server::start(dir.path(), &[]);
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    for session in &acknowledged {
        let (status, summary) = again.json(
            "GET",
            &format!("/admin/sessions/{session}"),
            &[("Authorization", &bearer)],
            "",
        );
        assert_eq!(status, 200, "{session}: {summary}");
        assert_eq!(summary["state"], "issued", "{session}: {summary}");
    }
    println!(
        "SIGTERM under load: {} acknowledged flows, all kept",
        acknowledged.len()
    );
}

/// A minimal OTLP/HTTP (JSON) receiver: every body POSTed to it, parsed.
fn otlp_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let sink = sink.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    // Request line and headers.
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = l.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0u8; length];
                    if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
                        return;
                    }
                    if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                        sink.lock().expect("sink").push(v);
                    }
                    let reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
                    if reader.get_mut().write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, received)
}

/// Every exported span: (trace id, name, route attribute).
fn spans(received: &[Value]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for export in received {
        for resource in export["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    let route = (span["attributes"].as_array().into_iter().flatten())
                        .find(|a| a["key"] == "route")
                        .and_then(|a| a["value"]["stringValue"].as_str())
                        .unwrap_or_default();
                    out.push((
                        span["traceId"].as_str().unwrap_or_default().to_lowercase(),
                        span["name"].as_str().unwrap_or_default().to_owned(),
                        route.to_owned(),
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn traces_continue_the_wallets_traceparent_to_the_otlp_collector() {
    let (collector, received) = otlp_receiver();
    let dir = temp_dir();
    let mut server = Server::start_with_env(
        dir.path(),
        &["--otlp-endpoint", &collector],
        &[("OTEL_BSP_SCHEDULE_DELAY", "100")],
    );
    let trace = "5b8efff798038103d269b633813fc60c";
    let traceparent = format!("00-{trace}-eee19b7ec3c1b174-01");
    let code = server.offer("identity_credential", &json!({"given_name": "Erika"}));
    let (status, token) = server.json(
        "POST",
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("traceparent", &traceparent),
        ],
        &token_form(&code),
    );
    assert_eq!(status, 200, "{token}");
    let access = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    let (_, nonce) = server.json("POST", "/nonce", &[], "");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let proof = TestWallet::new().proof(&server.url(), nonce["c_nonce"].as_str(), now);
    let body =
        json!({"credential_configuration_id": "identity_credential", "proofs": {"jwt": [proof]}});
    let (status, reply) = server.json(
        "POST",
        "/credential",
        &[
            ("Authorization", &access),
            ("Content-Type", "application/json"),
            ("traceparent", &traceparent),
        ],
        &body.to_string(),
    );
    assert_eq!(status, 200, "{reply}");
    // A clean stop sends what is still buffered.
    Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill");
    server.wait_exit(Duration::from_secs(20)).expect("stopped");
    let spans = spans(&received.lock().expect("received"));
    let in_trace: Vec<&(String, String, String)> =
        spans.iter().filter(|(t, _, _)| t == trace).collect();
    let has = |name: &str, route: &str| {
        in_trace
            .iter()
            .any(|(_, n, r)| n == name && (route.is_empty() || r == route))
    };
    assert!(
        has("request", "/token"),
        "the token request in the wallet's trace: {spans:?}"
    );
    assert!(
        has("request", "/credential"),
        "the credential request too: {spans:?}"
    );
    assert!(
        has("store", ""),
        "its store calls are spans of the trace: {in_trace:?}"
    );
    assert!(has("sign", ""), "and its signature: {in_trace:?}");
    // Requests without a traceparent start traces of their own.
    assert!(spans.iter().any(|(t, n, _)| n == "request" && t != trace));
}
