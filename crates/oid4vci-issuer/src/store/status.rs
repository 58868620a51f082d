//! [`StatusListStore`]: where the entries of status lists live. Named after its rules: an index
//! of a list is reserved for one credential only, and a status changes only as a single atomic
//! write, so concurrent revocations and issuances never lose one another's bits.

use super::StoreError;
use std::future::Future;
use std::pin::Pin;

/// One reserved entry of a status list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatusEntry {
    /// The list's number.
    pub list: u32,
    /// The index in the list.
    pub idx: u32,
    /// Its status (`0` VALID, `1` INVALID; see [`crate::status_list`]).
    pub status: u8,
}

/// Durable home of status-list entries. Implementations make every method atomic; run
/// `oid4vci_issuer_testkit::run_status_store_contract` in their tests.
pub trait StatusListStore: Send + Sync + 'static {
    /// Reserves, as VALID and for a credential of `session_id`, each index of `candidates` that
    /// no credential holds yet in `list`, in one atomic write. Returns the reserved indices in
    /// the order of `candidates`; taken (and repeated) candidates are left out.
    fn reserve_statuses(
        &self,
        list: u32,
        candidates: &[u32],
        session_id: &str,
    ) -> impl Future<Output = Result<Vec<u32>, StoreError>> + Send;

    /// How many indices of `list` are reserved.
    fn reserved_count(&self, list: u32) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The highest list number with a reserved index, `0` when there is none.
    fn last_list(&self) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Sets the status of a reserved index. Returns its previous status, or `None` (changing
    /// nothing) when the index is not reserved.
    fn set_status(
        &self,
        list: u32,
        idx: u32,
        status: u8,
    ) -> impl Future<Output = Result<Option<u8>, StoreError>> + Send;

    /// The entries of `list` whose status is not VALID, by ascending index.
    fn non_valid_statuses(
        &self,
        list: u32,
    ) -> impl Future<Output = Result<Vec<StatusEntry>, StoreError>> + Send;

    /// The entries reserved for credentials of `session_id` (kept after the session itself is
    /// swept: credentials outlive their sessions), by list and index.
    fn session_statuses(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Result<Vec<StatusEntry>, StoreError>> + Send;
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// [`StatusListStore`] as a trait object, so the issuer holds any store without another type
/// parameter.
pub(crate) trait DynStatusListStore: Send + Sync + 'static {
    fn count(&self, list: u32) -> Boxed<'_, u64>;
    fn last(&self) -> Boxed<'_, u32>;
    fn set(&self, list: u32, idx: u32, status: u8) -> Boxed<'_, Option<u8>>;
    fn non_valid(&self, list: u32) -> Boxed<'_, Vec<StatusEntry>>;
    fn of_session<'a>(&'a self, session: &'a str) -> Boxed<'a, Vec<StatusEntry>>;
}

impl<T: StatusListStore> DynStatusListStore for T {
    fn count(&self, list: u32) -> Boxed<'_, u64> {
        Box::pin(self.reserved_count(list))
    }
    fn last(&self) -> Boxed<'_, u32> {
        Box::pin(self.last_list())
    }
    fn set(&self, list: u32, idx: u32, status: u8) -> Boxed<'_, Option<u8>> {
        Box::pin(self.set_status(list, idx, status))
    }
    fn non_valid(&self, list: u32) -> Boxed<'_, Vec<StatusEntry>> {
        Box::pin(self.non_valid_statuses(list))
    }
    fn of_session<'a>(&'a self, session: &'a str) -> Boxed<'a, Vec<StatusEntry>> {
        Box::pin(self.session_statuses(session))
    }
}
