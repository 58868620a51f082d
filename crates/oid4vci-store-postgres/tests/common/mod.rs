//! Shared helpers: the binary's test server and fresh stores on fresh databases.

#![allow(dead_code)]

use oid4vci_store_postgres::test_server::{shared_or_skip, TestServer};
use oid4vci_store_postgres::{PostgresOptions, PostgresStore};

pub fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// The shared server, or `None` (reported skipped under `test`).
pub fn server(test: &str) -> Option<&'static TestServer> {
    shared_or_skip(test).expect("the test PostgreSQL")
}

/// A store on a fresh database.
pub fn fresh_store(server: &TestServer) -> PostgresStore {
    let url = server.create_database().expect("create database");
    connect(&url)
}

pub fn connect(url: &str) -> PostgresStore {
    block(PostgresStore::connect_with(
        url,
        PostgresOptions::default().max_connections(8),
    ))
    .expect("connect")
}
