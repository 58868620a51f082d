//! `/healthz` and `/readyz` against a throw-away PostgreSQL server that goes down and comes back.

use super::support::{temp_dir, Server, ADMIN_TOKEN};
use oid4vci_store_postgres::test_server::{report_skip, StartError, TestServer, FAST_SETTINGS};
use serde_json::{json, Value};
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
