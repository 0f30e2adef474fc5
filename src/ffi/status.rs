//! `gw_status`: the result of every fallible call, with stable numbers,
//! and the calls that describe one.
//!
//! The numbers themselves live in `codes.rs`, below both this file and the
//! panic boundary (`panic.rs`, which returns `GW_ERR_INTERNAL` and whose
//! `guarded` these calls run in), and are re-exported here, where C users
//! and tests find them (`gw::ffi::status::GW_OK`).

use std::ffi::c_char;

pub use super::codes::*;
use super::panic::guarded;
use crate::error::Kind;

/// A static, NUL-terminated description of any status value, never NULL:
/// unknown values get "unknown status". Thread-safe; never free it.
#[no_mangle]
pub extern "C" fn gw_status_str(status: gw_status) -> *const c_char {
    guarded(c"unknown status".as_ptr(), || {
        if status == GW_OK {
            return c"success".as_ptr();
        }
        Kind::from_status(status).map_or(c"unknown status".as_ptr(), |kind| kind.description().as_ptr())
    })
}

/// The C name of a status value, e.g. "GW_ERR_TIMEOUT" for 6 ("GW_OK" for
/// 0): a static string, for logs and language bindings. NULL for a value
/// that is no status of this version of gw. Thread-safe; never free it.
#[no_mangle]
pub extern "C" fn gw_status_name(status: gw_status) -> *const c_char {
    guarded(std::ptr::null(), || {
        if status == GW_OK {
            return c"GW_OK".as_ptr();
        }
        Kind::from_status(status).map_or(std::ptr::null(), |kind| kind.name().as_ptr())
    })
}
