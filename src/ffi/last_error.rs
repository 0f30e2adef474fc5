//! The thread's last error: the one record the panic boundary writes
//! (`panic.rs`) and the `gw_last_error*` exports read (`error.rs`). It
//! imports nothing of the C skin, so nothing in the skin imports back.
//!
//! Kept in a thread-local, reached only through `try_with`/`try_borrow`: a
//! gw call made after the thread's storage is gone (from a thread-exit
//! destructor, e.g. a `pthread_key_create` destructor) still returns its
//! status; its last error then reads as a static fallback.

use std::cell::RefCell;
use std::ffi::{CStr, CString};

use crate::error::Error;

/// The last failing call's message, field and HTTP status, ready for C.
pub(crate) struct LastError {
    pub(crate) message: CString,
    pub(crate) field: Option<CString>,
    pub(crate) http_status: u16,
    pub(crate) in_doubt: bool,
    /// The transaction's `order.id` and `transaction.id` (a payment's call).
    pub(crate) ids: Option<(CString, CString)>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// What `gw_last_error` says when the thread's storage is gone.
pub(crate) const UNAVAILABLE: &CStr = c"the last error is not available: the thread is exiting";

/// Stores `err` as this thread's last error and returns its status (a
/// `gw_status` number). When the
/// thread's storage is gone, only the status remains.
pub(crate) fn record(err: Error) -> u32 {
    let to_c = |text: &str| CString::new(text.replace('\0', " ")).unwrap_or_default();
    let last = LastError {
        message: to_c(err.message()),
        field: err.field().map(to_c),
        http_status: err.http_status().unwrap_or(0),
        in_doubt: err.in_doubt(),
        ids: err.ids().map(|(order, transaction)| (to_c(order), to_c(transaction))),
    };
    let _ = LAST_ERROR.try_with(|cell| cell.try_borrow_mut().map(|mut slot| *slot = Some(last)));
    err.status()
}

/// Reads this thread's last error with `read`; `unavailable` when the
/// thread's storage is gone.
pub(crate) fn read_last<T>(unavailable: T, read: impl FnOnce(Option<&LastError>) -> T) -> T {
    LAST_ERROR
        .try_with(|cell| cell.try_borrow().ok().map(|last| read(last.as_ref())))
        .ok()
        .flatten()
        .unwrap_or(unavailable)
}
