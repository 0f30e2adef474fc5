//! The panic boundary: a bug in gw becomes `GW_ERR_INTERNAL` (or NULL),
//! never an unwind into C and never an abort of the POS application.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::error::record;
use super::status::{gw_status, GW_OK};
use crate::error::{Error, Kind, Result};

fn internal() -> Error {
    Error::new(Kind::Internal, "internal error in gw (a panic was caught); please report it")
}

/// Runs `body`; its error (or a caught panic) is recorded as the thread's
/// last error and returned as a status.
pub(crate) fn status_boundary(body: impl FnOnce() -> Result<()>) -> gw_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => GW_OK,
        Ok(Err(err)) => record(err),
        Err(_) => record(internal()),
    }
}

/// Runs `body`, which returns a pointer; on error or panic, records the last
/// error and returns `fallback` (NULL, or a static string).
pub(crate) fn value_boundary<T: Copy>(fallback: T, body: impl FnOnce() -> Result<T>) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(err)) => {
            record(err);
            fallback
        }
        Err(_) => {
            record(internal());
            fallback
        }
    }
}
