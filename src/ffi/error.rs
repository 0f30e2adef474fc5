//! The thread's last error, read from C: `gw_last_error`,
//! `gw_last_error_field`, `gw_last_error_http_status`,
//! `gw_last_error_in_doubt`. The record itself is
//! `last_error.rs`, which the panic boundary writes.

use std::ffi::{c_char, CStr};
use std::ptr;

use super::last_error::{read_last, UNAVAILABLE};
use super::panic::guarded;

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

/// Whether this thread's last failing call may have had an effect at the
/// gateway that gw could not learn: 1 when the request may have been
/// processed and no answer came (a connection that broke or timed out after
/// the request went out), or a cut or unreadable one (`GW_ERR_PROTOCOL`),
/// or an answer that says the outcome is not final (`GW_PENDING`,
/// `GW_UNKNOWN_RESULT`, `GW_ERR_GATEWAY` with `error.cause=SERVER_FAILED`),
/// or a bug in gw caught in a call that reaches the gateway
/// (`GW_ERR_INTERNAL`: it may have come after the request went out).
/// 0 when nothing was sent (local validation, a refused connection, a
/// NULL argument) or the gateway's answer says what happened (a decline,
/// `GW_ERR_GATEWAY` with another cause, `GW_ERR_AUTHENTICATION`); 0 when
/// no call has failed on this thread yet.
///
/// Set by every failing call, for every operation. For a payment in doubt
/// the till must not pay again with a new `transaction.id`: it resolves the
/// first with `gw_retrieve_transaction` (docs/payments.md). A status the
/// till can read without parsing the message. Thread-safe; each thread has
/// its own, kept by the same calls as `gw_last_error`.
#[no_mangle]
pub extern "C" fn gw_last_error_in_doubt() -> u32 {
    guarded(0, || read_last(0, |last| last.map_or(0, |last| u32::from(last.in_doubt))))
}

/// The `order.id` of the transaction this thread's last failing call was
/// about: a payment operation's (`gw_execute` of a PAY, AUTHORIZE,
/// CAPTURE, REFUND, VOID or VERIFY, `gw_pay_*`) or RETRIEVE_TRANSACTION's.
/// With `gw_last_error_transaction_id`, the ids a till keeps to resolve a
/// payment that is not final (`gw_last_error_in_doubt()` is 1) with
/// `gw_retrieve_transaction` later. NULL for other calls.
///
/// Owned and valid as for `gw_last_error`.
#[no_mangle]
pub extern "C" fn gw_last_error_order_id() -> *const c_char {
    guarded(ptr::null(), || {
        read_last(ptr::null(), |last| last.and_then(|last| last.ids.as_ref()).map_or(ptr::null(), |ids| ids.0.as_ptr()))
    })
}

/// The `transaction.id` of the transaction this thread's last failing call
/// was about; see `gw_last_error_order_id`. NULL for other calls.
///
/// Owned and valid as for `gw_last_error`.
#[no_mangle]
pub extern "C" fn gw_last_error_transaction_id() -> *const c_char {
    guarded(ptr::null(), || {
        read_last(ptr::null(), |last| last.and_then(|last| last.ids.as_ref()).map_or(ptr::null(), |ids| ids.1.as_ptr()))
    })
}
