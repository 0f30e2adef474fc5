//! The panic boundary: a bug in gw becomes `GW_ERR_INTERNAL` (or NULL),
//! never an unwind into C and never an abort of the POS application.
//!
//! Every export runs inside one of these. Recording the last error happens
//! inside the boundary too, so nothing an export does can unwind into C.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::codes::{gw_status, GW_ERR_INTERNAL, GW_OK};
use super::last_error::record;
use crate::error::{Error, Kind, Result};

fn internal() -> Error {
    Error::new(Kind::Internal, "internal error in gw (a panic was caught); please report it")
}

/// Runs `body`; a panic gives `fallback`. Never touches the thread's last
/// error: for the calls that keep it (accessors, frees, `gw_status_*`,
/// `gw_version`, `gw_last_error*`).
pub(crate) fn guarded<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Runs `body`, which returns a value; on error or panic, records the last
/// error and returns `Err` with its status.
fn recorded<T>(body: impl FnOnce() -> Result<T>) -> std::result::Result<T, gw_status> {
    guarded(Err(GW_ERR_INTERNAL), || match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(record(err)),
        Err(_) => Err(record(internal())),
    })
}

/// Runs `body`; its error (or a caught panic) is recorded as the thread's
/// last error and returned as a status.
pub(crate) fn status_boundary(body: impl FnOnce() -> Result<()>) -> gw_status {
    recorded(body).map_or_else(|status| status, |()| GW_OK)
}

/// Runs `body`, which returns a value; on error or panic, records the last
/// error and returns `fallback` (NULL).
pub(crate) fn value_boundary<T>(fallback: T, body: impl FnOnce() -> Result<T>) -> T {
    recorded(body).unwrap_or(fallback)
}
