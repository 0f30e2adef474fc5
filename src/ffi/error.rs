//! The thread's last error: `gw_last_error` and `gw_last_error_field`.
//!
//! Kept in a thread-local, reached only through `try_with`/`try_borrow`: a
//! gw call made after the thread's storage is gone (from a thread-exit
//! destructor, e.g. a `pthread_key_create` destructor) still returns its
//! status; its last error then reads as a static fallback.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::ptr;

use super::panic::guarded;
use super::status::gw_status;
use crate::error::Error;

struct LastError {
    message: CString,
    field: Option<CString>,
    http_status: u16,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// What `gw_last_error` says when the thread's storage is gone.
const UNAVAILABLE: &CStr = c"the last error is not available: the thread is exiting";

/// Stores `err` as this thread's last error and returns its status. When the
/// thread's storage is gone, only the status remains.
pub(crate) fn record(err: Error) -> gw_status {
    let to_c = |text: &str| CString::new(text.replace('\0', " ")).unwrap_or_default();
    let last = LastError {
        message: to_c(err.message()),
        field: err.field().map(to_c),
        http_status: err.http_status().unwrap_or(0),
    };
    let _ = LAST_ERROR.try_with(|cell| cell.try_borrow_mut().map(|mut slot| *slot = Some(last)));
    err.status()
}

/// Reads this thread's last error with `read`; `unavailable` when the
/// thread's storage is gone.
fn read_last<T>(unavailable: T, read: impl FnOnce(Option<&LastError>) -> T) -> T {
    LAST_ERROR
        .try_with(|cell| cell.try_borrow().ok().map(|last| read(last.as_ref())))
        .ok()
        .flatten()
        .unwrap_or(unavailable)
}

/// A message about this thread's last failing `gw_` call: which field and
/// rule, which host, which cause. Never contains the API password or card
/// data. An empty string when no call has failed on this thread yet; never
/// NULL (a call made from a thread-exit destructor reads a static text).
///
/// The string belongs to gw and stays valid until the next `gw_` call on the
/// same thread that sets the last error (a call returning a status other
/// than `GW_OK`); the calls that keep it are listed at the top of this
/// header. Each thread has its own last error.
#[no_mangle]
pub extern "C" fn gw_last_error() -> *const c_char {
    guarded(UNAVAILABLE.as_ptr(), || {
        read_last(UNAVAILABLE.as_ptr(), |last| last.map_or(c"".as_ptr(), |last| last.message.as_ptr()))
    })
}

/// The NVP field named by this thread's last failing call: the field that
/// failed local validation (`GW_ERR_INVALID_FIELD`) or the gateway's
/// `error.field`. NULL when that failure named no field.
///
/// Owned and valid as for `gw_last_error`.
#[no_mangle]
pub extern "C" fn gw_last_error_field() -> *const c_char {
    guarded(ptr::null(), || {
        read_last(ptr::null(), |last| last.and_then(|last| last.field.as_deref()).map_or(ptr::null(), CStr::as_ptr))
    })
}

/// The HTTP status of the answer to this thread's last failing call, 0 when
/// no answer came (nothing sent, connection failed, local validation). It is
/// also set when the answer was not an NVP answer (`GW_ERR_PROTOCOL`, e.g. an
/// HTML error page with HTTP 502), where no response is handed out.
#[no_mangle]
pub extern "C" fn gw_last_error_http_status() -> u16 {
    guarded(0, || read_last(0, |last| last.map_or(0, |last| last.http_status)))
}
