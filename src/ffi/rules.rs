//! The field-rule table's facts a binding needs: which fields are secret.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::rules;

/// 1 when values of the field `name` are secrets or card data (the API
/// password, card numbers, security codes, the P2PE payload, gift card
/// numbers and PINs, bank account numbers, `session.aes256Key`, ...), else 0.
/// The answer comes from gw's field-rule table, request and response fields
/// of every operation and API version alike: a binding that shows a field
/// (a log line, a `repr`, an exception text) shows `***` instead of its
/// value when this returns 1, whatever the value's length.
///
/// `name` NULL or not UTF-8 gives 1 (when in doubt, hide it). Never touches
/// the thread's last error. Thread-safe; no allocation kept.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gw_field_is_sensitive(name: *const c_char) -> u32 {
    if name.is_null() {
        return 1;
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination.
    let name = unsafe { CStr::from_ptr(name) };
    let sensitive = catch_unwind(AssertUnwindSafe(|| name.to_str().map_or(true, rules::is_sensitive)));
    u32::from(sensitive.unwrap_or(true))
}
