//! The thread's last error: `gw_last_error` and `gw_last_error_field`.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::ptr;

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

/// Stores `err` as this thread's last error and returns its status.
pub(crate) fn record(err: Error) -> gw_status {
    let to_c = |text: &str| CString::new(text.replace('\0', " ")).unwrap_or_default();
    let last = LastError {
        message: to_c(err.message()),
        field: err.field().map(to_c),
        http_status: err.http_status().unwrap_or(0),
    };
    LAST_ERROR.with(|cell| *cell.borrow_mut() = Some(last));
    err.status()
}

/// A message about this thread's last failing `gw_` call: which field and
/// rule, which host, which cause. Never contains the API password or card
/// data. An empty string when no call has failed on this thread yet; never
/// NULL.
///
/// The string belongs to gw and stays valid until the next failing `gw_`
/// call on the same thread. Each thread has its own last error.
#[no_mangle]
pub extern "C" fn gw_last_error() -> *const c_char {
    LAST_ERROR.with(|cell| match &*cell.borrow() {
        Some(last) => last.message.as_ptr(),
        None => c"".as_ptr(),
    })
}

/// The NVP field named by this thread's last failing call: the field that
/// failed local validation (`GW_ERR_INVALID_FIELD`) or the gateway's
/// `error.field`. NULL when that failure named no field.
///
/// Owned and valid as for `gw_last_error`.
#[no_mangle]
pub extern "C" fn gw_last_error_field() -> *const c_char {
    LAST_ERROR.with(|cell| match &*cell.borrow() {
        Some(LastError { field: Some(field), .. }) => field.as_ptr(),
        _ => ptr::null(),
    })
}

/// The HTTP status of the answer to this thread's last failing call, 0 when
/// no answer came (nothing sent, connection failed, local validation). It is
/// also set when the answer was not an NVP answer (`GW_ERR_PROTOCOL`, e.g. an
/// HTML error page with HTTP 502), where no response is handed out.
#[no_mangle]
pub extern "C" fn gw_last_error_http_status() -> u16 {
    LAST_ERROR.with(|cell| cell.borrow().as_ref().map_or(0, |last| last.http_status))
}
