//! `/healthz` and `/readyz`: against a throw-away PostgreSQL server that goes down and comes
//! back, and on the metrics port while wallets fill the main port.

use super::support::{temp_dir, Server, ADMIN_TOKEN};
use oid4vci_store_postgres::test_server::{report_skip, StartError, TestServer, FAST_SETTINGS};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::Duration;

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
    // The failed reads are counted as store errors.
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let (status, _, text) = server.request("GET", "/metrics", &[("Authorization", &bearer)], "");
    assert_eq!(status, 200);
    let unavailable = (text.lines())
        .find(|l| {
            l.starts_with("oid4vci_store_errors_total{")
                && l.contains(r#"operation="get""#)
                && l.contains(r#"kind="unavailable""#)
        })
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
    assert!(unavailable >= Some(1.0), "store errors while down: {text}");

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

/// One `GET path` on a new connection to `addr`: the status, 0 when the connection was closed
/// without an answer.
fn get_status(addr: &str, path: &str) -> u16 {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let _ = s.write_all(request.as_bytes());
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    (reply.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn probes_answer_on_the_metrics_port_while_wallets_fill_the_main_port() {
    let dir = temp_dir();
    let server = Server::start(
        dir.path(),
        &[
            "--metrics-listen",
            "127.0.0.1:0",
            "--max-connections",
            "3",
            "--header-read-timeout",
            "30",
        ],
    );
    let ops = (server.banner.iter())
        .find_map(|l| l.strip_prefix("metrics:"))
        .map(|u| {
            u.trim()
                .trim_start_matches("http://")
                .trim_end_matches("/metrics")
        })
        .expect("the banner names the metrics address")
        .to_owned();
    assert_eq!(get_status(&server.addr, "/healthz"), 200);
    // Three idle wallets take every connection the main port allows.
    let mut held: Vec<std::net::TcpStream> = (0..3)
        .map(|_| std::net::TcpStream::connect(&server.addr).expect("connect"))
        .collect();
    // Until the server has accepted all three (later on a loaded machine), a probe still
    // gets through; then the main port is full and a probe there is closed unanswered. On a
    // loaded machine the first probe's connection may still count when an idle one arrives,
    // which is then closed on accept: while probes get through, another idle wallet comes.
    let mut status = 200;
    for _ in 0..100 {
        status = get_status(&server.addr, "/healthz");
        if status == 0 {
            break;
        }
        if held.len() < 8 {
            held.push(std::net::TcpStream::connect(&server.addr).expect("connect"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        status, 0,
        "the main port is full: a probe there is closed unanswered"
    );
    // The ops port still answers: a liveness probe there does not restart a busy process.
    assert_eq!(get_status(&ops, "/healthz"), 200);
    assert_eq!(get_status(&ops, "/readyz"), 200);
    assert_eq!(get_status(&ops, "/metrics"), 200);
}
