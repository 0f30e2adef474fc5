//! `gw_response`: the gateway's answer.

use std::ffi::c_char;
use std::ptr;

use super::cast::{free_handle, out_arg, ref_arg, str_arg};
use super::panic::{status_boundary, value_boundary};
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

/// The value of field `name` (e.g. "session.id", "token", "error.cause"),
/// or NULL when the answer has no such field (or an argument is NULL).
///
/// # Safety
/// `response` is a live `gw_response`; `name` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gw_response_get(response: *const gw_response, name: *const c_char) -> *const c_char {
    value_boundary(ptr::null(), || {
        // SAFETY: the caller guarantees `response`.
        let response = unsafe { ref_arg(response, "response") }?;
        // SAFETY: the caller guarantees `name`.
        let name = unsafe { str_arg(name, "name") }?;
        Ok(response.response.get_c(name).map_or(ptr::null(), |value| value.as_ptr()))
    })
}

/// The `result` field: "SUCCESS", "FAILURE", "PENDING", "UNKNOWN" or
/// "ERROR". Never NULL for a response gw handed out; NULL for NULL.
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
#[no_mangle]
pub unsafe extern "C" fn gw_response_result(response: *const gw_response) -> *const c_char {
    // SAFETY: passed on from the caller.
    unsafe { gw_response_get(response, c"result".as_ptr()) }
}

/// The HTTP status of the answer (200, 400, 401, 503, ...); 0 for NULL.
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
#[no_mangle]
pub unsafe extern "C" fn gw_response_http_status(response: *const gw_response) -> u16 {
    value_boundary(0, || {
        // SAFETY: the caller guarantees the pointer.
        Ok(unsafe { ref_arg(response, "response") }?.response.http_status())
    })
}

/// How long the call took in milliseconds, from the first attempt (retries
/// included) to the decoded answer; 0 for NULL.
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
#[no_mangle]
pub unsafe extern "C" fn gw_response_duration_ms(response: *const gw_response) -> u64 {
    value_boundary(0, || {
        // SAFETY: the caller guarantees the pointer.
        let millis = unsafe { ref_arg(response, "response") }?.response.duration().as_millis();
        Ok(u64::try_from(millis).unwrap_or(u64::MAX))
    })
}

/// The number of fields in the answer; 0 for NULL.
///
/// # Safety
/// `response` is NULL or a live `gw_response`.
#[no_mangle]
pub unsafe extern "C" fn gw_response_len(response: *const gw_response) -> usize {
    value_boundary(0, || {
        // SAFETY: the caller guarantees the pointer.
        Ok(unsafe { ref_arg(response, "response") }?.response.len())
    })
}

/// The field at `index` (0 .. `gw_response_len` - 1, in the gateway's order):
/// `*name` and `*value` receive strings owned by the response. Both are
/// written only on `GW_OK`; `GW_ERR_OUT_OF_RANGE` past the end.
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
        // SAFETY: the caller guarantees `response`.
        let response = unsafe { ref_arg(response, "response") }?;
        // SAFETY: the caller guarantees `name` (out_arg resets it to NULL first).
        let name_out = unsafe { out_arg(name as *mut *mut c_char, "name") }?;
        // SAFETY: the caller guarantees `value` (out_arg resets it to NULL first).
        let value_out = unsafe { out_arg(value as *mut *mut c_char, "value") }?;
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
    value_boundary((), || {
        // SAFETY: the caller passes ownership of a handle gw handed out.
        unsafe { free_handle(response) };
        Ok(())
    })
}
