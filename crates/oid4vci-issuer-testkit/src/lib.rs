//! # oid4vci-issuer-testkit
//!
//! What every implementation of the issuer's ports runs in its own tests, and the scenarios the
//! issuer's users can reuse: a dev-dependency, never a normal one.
//!
//! - [`run_store_contract`]: the [`SessionStore`](oid4vci_issuer::SessionStore) rules the
//!   issuer relies on — insert-once, lookups by every secret kind, compare-and-swap updates
//!   with exactly one winner among [`CONCURRENT_CALLERS`] concurrent writers, re-indexing on
//!   update, single-use nonces, a `request_uri` and an authorization code each redeemed once,
//!   sweeping of expired sessions.
//! - [`run_commit_contract`]: a store's `commit` writes a request's session, nonces and status
//!   entries all or nothing.
//! - [`run_status_store_contract`]: the [`StatusListStore`](oid4vci_issuer::StatusListStore)
//!   rules.
//! - [`flows`], [`status_flows`], [`authorization_flows`]: whole issuance scenarios on any store,
//!   each asserting the session's event log; [`TestWallet`] makes proofs and DPoP proofs.
//! - [`model::run_session_model`]: random sequences of wallet and operator operations checked,
//!   response by response and state by state, against a reference model of the spec.
//!
//! Concurrency uses OS threads, so no async runtime is required.
//!
//! ```
//! use oid4vci_issuer::MemoryStore;
//!
//! oid4vci_issuer_testkit::run_store_contract(MemoryStore::new);
//! oid4vci_issuer_testkit::run_commit_contract(MemoryStore::new);
//! oid4vci_issuer_testkit::flows::pre_authorized_flow(MemoryStore::new());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod authorization_flows;
mod authorization_server;
mod commit_contract;
mod error_flows;
pub mod flows;
mod guarantee_flows;
mod listing_contract;
pub mod model;
mod samples;
mod scenario;
pub mod status_flows;
mod status_store;
mod steps;
mod store_contract;
mod wallet;
mod wallet_provider;

pub use authorization_server::TestAuthorizationServer;
pub use commit_contract::run_commit_contract;
pub use listing_contract::run_listing_contract;
pub use samples::{sample_authorization_session, sample_session};
pub use status_store::run_status_store_contract;
pub use store_contract::{count_successes, run_store_contract, CONCURRENT_CALLERS};
pub use wallet::TestWallet;
pub use wallet_provider::WalletProvider;
