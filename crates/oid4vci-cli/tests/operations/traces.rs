//! OpenTelemetry traces: the wallet's `traceparent` reaches the spans an OTLP receiver gets.

use super::support::{temp_dir, Server};
use super::token_form;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// The exported `request` span of `route` in trace `trace`, as the collector got it.
fn request_span(received: &[Value], route: &str, trace: &str) -> Option<Value> {
    let all = (received.iter())
        .flat_map(|e| e["resourceSpans"].as_array().into_iter().flatten())
        .flat_map(|r| r["scopeSpans"].as_array().into_iter().flatten())
        .flat_map(|s| s["spans"].as_array().into_iter().flatten());
    all.filter(|s| s["name"] == "request")
        .filter(|s| s["traceId"].as_str().map(str::to_lowercase).as_deref() == Some(trace))
        .find(|s| {
            (s["attributes"].as_array().into_iter().flatten())
                .any(|a| a["key"] == "route" && a["value"]["stringValue"] == route)
        })
        .cloned()
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
            ("tracestate", "wallet=t61rcWkgMzE"),
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
    // The token request's span is the child of the wallet's span, and keeps its tracestate.
    let token_span = request_span(&received.lock().expect("received"), "/token", trace)
        .expect("the token request's span");
    assert_eq!(
        (token_span["parentSpanId"].as_str()).map(str::to_lowercase),
        Some("eee19b7ec3c1b174".to_owned()),
        "{token_span}"
    );
    assert_eq!(
        token_span["traceState"], "wallet=t61rcWkgMzE",
        "{token_span}"
    );
    // Requests without a traceparent start traces of their own.
    assert!(spans.iter().any(|(t, n, _)| n == "request" && t != trace));
}
