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

/// A panic in a call that may send a request: it may have come after the
/// request was written (reading or judging the answer), and gw can no longer
/// say whether it reached the gateway. "Not sent" could make a till charge a
/// card twice; "in doubt" makes it ask the gateway (docs/payments.md).
fn internal_in_doubt() -> Error {
    Error::new(
        Kind::Internal,
        "internal error in gw (a panic was caught); the request may have reached the gateway: \
         treat the call as in doubt; please report it",
    )
    .with_in_doubt(true)
}

/// Runs `body`; a panic gives `fallback`. Never touches the thread's last
/// error: for the calls that keep it (accessors, frees, `gw_status_*`,
/// `gw_version`, `gw_last_error*`).
pub(crate) fn guarded<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Runs `body`, which returns a value; on error or panic (recorded as
/// `panicked()`), records the last error and returns `Err` with its status.
fn recorded<T>(panicked: fn() -> Error, body: impl FnOnce() -> Result<T>) -> std::result::Result<T, gw_status> {
    guarded(Err(GW_ERR_INTERNAL), || match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(record(err)),
        Err(_) => Err(record(panicked())),
    })
}

/// Runs `body`; its error (or a caught panic) is recorded as the thread's
/// last error and returned as a status.
pub(crate) fn status_boundary(body: impl FnOnce() -> Result<()>) -> gw_status {
    recorded(internal, body).map_or_else(|status| status, |()| GW_OK)
}

/// `status_boundary` for the calls that may send a request to the gateway
/// (`client.rs`, `gw_journal_recover`): a caught panic is in doubt
/// (`gw_last_error_in_doubt()` 1, see `internal_in_doubt`).
pub(crate) fn sending_boundary(body: impl FnOnce() -> Result<()>) -> gw_status {
    recorded(internal_in_doubt, body).map_or_else(|status| status, |()| GW_OK)
}

/// Runs `body`, which returns a value; on error or panic, records the last
/// error and returns `fallback` (NULL).
pub(crate) fn value_boundary<T>(fallback: T, body: impl FnOnce() -> Result<T>) -> T {
    recorded(internal, body).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::super::last_error::read_last;
    use super::*;

    fn in_doubt() -> bool {
        read_last(false, |last| last.is_some_and(|last| last.in_doubt))
    }

    fn panicking() -> Result<()> {
        panic!("a bug after the request was written")
    }

    #[test]
    fn a_panic_in_a_call_that_may_send_is_in_doubt() {
        assert_eq!(sending_boundary(panicking), GW_ERR_INTERNAL);
        assert!(in_doubt());
    }

    #[test]
    fn a_panic_in_a_call_that_sends_nothing_is_not_in_doubt() {
        assert_eq!(status_boundary(panicking), GW_ERR_INTERNAL);
        assert!(!in_doubt());
    }

    /// Every export that takes a client (each may send a request) runs in
    /// `sending_boundary`, itself or through `plain_call` / `token_call`;
    /// `gw_client_new` makes the client and sends nothing.
    #[test]
    fn every_call_with_a_client_runs_in_the_sending_boundary() {
        for (file, source) in [("client.rs", include_str!("client.rs")), ("journal.rs", include_str!("journal.rs"))] {
            let mut seen = 0;
            for export in source.split("#[no_mangle]").skip(1) {
                let body = export.split("\n}\n").next().unwrap_or(export);
                let signature = body.split('{').next().unwrap_or(body);
                if !signature.contains("*const gw_client") {
                    continue;
                }
                seen += 1;
                let name = signature.split("fn ").nth(1).and_then(|rest| rest.split('(').next()).unwrap_or("?");
                assert!(
                    ["sending_boundary(", "plain_call(", "token_call("].iter().any(|call| body.contains(call)),
                    "{file}: {name} takes a client but does not run in sending_boundary"
                );
            }
            assert!(seen > 0, "{file}: no export taking a client was found: the test no longer reads the source");
        }
        let client = include_str!("client.rs");
        for helper in ["unsafe fn plain_call(", "unsafe fn token_call("] {
            let body = client.split(helper).nth(1).and_then(|rest| rest.split("\n}\n").next()).unwrap_or("");
            assert!(body.contains("sending_boundary("), "client.rs: {helper} does not run in sending_boundary");
        }
    }
}
