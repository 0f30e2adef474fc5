//! `gw_response`: the gateway's answer.

use std::ffi::{c_char, CStr};
use std::ptr;

use super::cast::{free_handle, out_arg, ref_arg, str_arg};
use super::panic::{guarded, status_boundary};
use super::status::gw_status;
use crate::error::{Error, Kind};
use crate::response::Response;

/// The gateway's answer to one call: its NVP fields, HTTP status and the
/// call's duration. Every string it returns is owned by it and valid until
/// `gw_response_free`. Belongs to one thread at a time (reading it from
/// several threads at once is safe: accessors do not modify it).
pub struct gw_response {
    response: Response,
}

impl From<Response> for gw_response {
    fn from(response: Response) -> gw_response {
        gw_response { response }
    }
}

/// The response behind the pointer a NULL-tolerant accessor got (None for NULL).
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
unsafe fn answer<'a>(response: *const gw_response) -> Option<&'a Response> {
    // SAFETY: the caller guarantees NULL or a live, aligned handle.
    unsafe { response.as_ref() }.map(|handle| &handle.response)
}

/// The value of field `name` (e.g. "session.id", "token", "error.cause"),
/// or NULL when the answer has no such field, `response` or `name` is NULL,
/// or `name` is not UTF-8. Keeps the thread's last error.
///
/// # Safety
/// `response` is NULL or a live `gw_response`; `name` NULL or a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gw_response_get(response: *const gw_response, name: *const c_char) -> *const c_char {
    guarded(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer.
        let Some(response) = (unsafe { answer(response) }) else { return ptr::null() };
        // SAFETY: the caller guarantees NULL or a NUL-terminated string.
        let Ok(name) = (unsafe { str_arg(name, "name") }) else { return ptr::null() };
        response.get_c(name).map_or(ptr::null(), CStr::as_ptr)
    })
}

/// The `result` field: "SUCCESS", "FAILURE", "PENDING", "UNKNOWN" or
/// "ERROR". Never NULL for a response gw handed out; NULL for NULL. Keeps
/// the thread's last error.
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
#[no_mangle]
pub unsafe extern "C" fn gw_response_result(response: *const gw_response) -> *const c_char {
    // SAFETY: passed on from the caller.
    unsafe { gw_response_get(response, c"result".as_ptr()) }
}

/// The HTTP status of the answer (200, 400, 401, 503, ...); 0 for NULL.
/// Keeps the thread's last error.
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
#[no_mangle]
pub unsafe extern "C" fn gw_response_http_status(response: *const gw_response) -> u16 {
    // SAFETY: the caller guarantees the pointer.
    guarded(0, || unsafe { answer(response) }.map_or(0, Response::http_status))
}

/// How long the call took in milliseconds, from the first attempt (retries
/// included) to the decoded answer; 0 for NULL. Keeps the thread's last
/// error.
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
#[no_mangle]
pub unsafe extern "C" fn gw_response_duration_ms(response: *const gw_response) -> u64 {
    guarded(0, || {
        // SAFETY: the caller guarantees the pointer.
        let millis = unsafe { answer(response) }.map_or(0, |response| response.duration().as_millis());
        u64::try_from(millis).unwrap_or(u64::MAX)
    })
}

/// The number of fields in the answer; 0 for NULL. Keeps the thread's last
/// error.
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
#[no_mangle]
pub unsafe extern "C" fn gw_response_len(response: *const gw_response) -> usize {
    // SAFETY: the caller guarantees the pointer.
    guarded(0, || unsafe { answer(response) }.map_or(0, Response::len))
}

/// The field at `index` (0 .. `gw_response_len` - 1, in the gateway's order):
/// `*name` and `*value` receive strings owned by the response. Both are
/// reset to NULL on entry (whatever else is wrong) and written only on
/// `GW_OK`; `GW_ERR_OUT_OF_RANGE` past the end. Sets the last error on
/// failure, like every call that returns a `gw_status`.
///
/// # Safety
/// `response` is a live `gw_response`; `name` and `value` point to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_response_field(
    response: *const gw_response,
    index: usize,
    name: *mut *const c_char,
    value: *mut *const c_char,
) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees the pointers. Both outputs are reset
        // before any argument is checked.
        let name_out = unsafe { out_arg(name as *mut *mut c_char, "name") };
        // SAFETY: as above.
        let value_out = unsafe { out_arg(value as *mut *mut c_char, "value") };
        let (name_out, value_out) = (name_out?, value_out?);
        // SAFETY: as above.
        let response = unsafe { ref_arg(response, "response") }?;
        let (field_name, field_value) = response.response.field_c(index).ok_or_else(|| {
            Error::new(Kind::OutOfRange, format!("field index {index} is past the last of {}", response.response.len()))
        })?;
        *name_out = field_name.as_ptr() as *mut c_char;
        *value_out = field_value.as_ptr() as *mut c_char;
        Ok(())
    })
}

/// Frees a response and every string it handed out. NULL is a no-op.
///
/// # Safety
/// `response` is NULL or came from a gw call and is not used again.
#[no_mangle]
pub unsafe extern "C" fn gw_response_free(response: *mut gw_response) {
    // SAFETY: the caller passes ownership of a handle gw handed out.
    guarded((), || unsafe { free_handle(response) })
}
