//! `gw_request`: a request of either operation, field by field.

use std::ffi::c_char;

use super::cast::{free_handle, into_handle, mut_arg, out_arg, str_arg};
use super::panic::{status_boundary, value_boundary};
use super::status::gw_status;
use crate::request::Request;

/// A request of one operation (CREATE_SESSION or TOKENIZE), for any field
/// the gateway's reference lists. Belongs to one thread at a time. Values
/// are zeroized when it is freed.
pub struct gw_request {
    request: Request,
}

impl gw_request {
    pub(crate) fn request(&self) -> &Request {
        &self.request
    }
}

/// Creates an empty request of `api_operation`: "CREATE_SESSION" or
/// "TOKENIZE". gw sets `apiOperation`, `merchant` and the authentication
/// fields itself. On success `*out` receives the request, to free with
/// `gw_request_free`; else `*out` is NULL (`GW_ERR_INVALID_FIELD` naming
/// `apiOperation` for another operation).
///
/// # Safety
/// `api_operation` is a NUL-terminated string; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_request_new(api_operation: *const c_char, out: *mut *mut gw_request) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees `out`.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: the caller guarantees `api_operation`.
        let name = unsafe { str_arg(api_operation, "api_operation") }?;
        *out = into_handle(gw_request { request: Request::for_operation_name(name)? });
        Ok(())
    })
}

/// Sets field `name` to `value` (both copied), replacing an earlier value.
/// The value is checked against the field's rule now: an unknown field, a
/// wrong length, charset or enumeration value gives `GW_ERR_INVALID_FIELD`
/// with `gw_last_error_field()` naming the field, and leaves the request
/// unchanged.
///
/// # Safety
/// `request` is a live `gw_request`; `name`, `value` NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn gw_request_set(
    request: *mut gw_request,
    name: *const c_char,
    value: *const c_char,
) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees `request`.
        let request = unsafe { mut_arg(request, "request") }?;
        // SAFETY: the caller guarantees `name`.
        let name = unsafe { str_arg(name, "name") }?;
        // SAFETY: the caller guarantees `value`.
        let value = unsafe { str_arg(value, "value") }?;
        request.request.set(name, value)
    })
}

/// Frees a request, zeroizing its values. NULL is a no-op.
///
/// # Safety
/// `request` is NULL or came from `gw_request_new` and is not used again.
#[no_mangle]
pub unsafe extern "C" fn gw_request_free(request: *mut gw_request) {
    value_boundary((), || {
        // SAFETY: the caller passes ownership of a handle from gw_request_new.
        unsafe { free_handle(request) };
        Ok(())
    })
}
