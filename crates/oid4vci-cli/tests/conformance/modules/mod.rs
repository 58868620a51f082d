//! One function per OIDF module (`net.openid.conformance.vci10issuer`), named after it, asserting
//! what the module's conditions assert. Each returns `Err` with what failed.

mod issuance;
mod metadata;
mod refusals;

pub use issuance::*;
pub use metadata::*;
pub use refusals::*;

use super::flows::{self, check_issued, expect_error, grant, obtain, request};
use super::wallet::{expect_eq, now, Attestation, Wallet};
use super::{Encryption, Env, Format, Variant};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::collections::HashSet;

pub(super) type Outcome = Result<(), String>;
