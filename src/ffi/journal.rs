//! The payment journal's recovery: `gw_journal_recover` (the journal itself
//! is configured with `gw_config_set_journal`).

use std::ffi::{c_char, c_void, CString};
use std::ptr;

use super::cast::{null, ref_arg};
use super::client::gw_client;
use super::panic::sending_boundary;
use super::response::gw_response;
use super::status::gw_status;
use crate::client::Recovered;

/// Recovery: approved, finally (the money moved; print the receipt).
pub const GW_RECOVERED_APPROVED: u32 = 1;
/// Recovery: declined, finally (no money moved; a new attempt needs a new
/// `transaction.id`).
pub const GW_RECOVERED_DECLINED: u32 = 2;
/// Recovery: the gateway does not know the transaction: the request never
/// reached it. Safe to act on only with the SAME ids: send the payment
/// again with this `order.id` and `transaction.id` (a late original then
/// meets its twin at the gateway instead of charging twice), or let the
/// sale go. The journal closes the intent; sending it again records a new one.
pub const GW_RECOVERED_NOT_SENT: u32 = 3;
/// Recovery: still not final (pending at the acquirer, unknown, or the
/// gateway could not be asked): the intent stays open, and the next
/// `gw_journal_recover` asks again.
pub const GW_RECOVERED_NOT_FINAL: u32 = 4;

/// Receives one recovered intent: the `userdata` given to
/// `gw_journal_recover`, the outcome (`GW_RECOVERED_*`), the operation's
/// name ("PAY", "AUTHORIZE", "CAPTURE", "REFUND", "VOID", "VERIFY"), the
/// ids, the amount and currency as recorded (NULL for a VOID, which has
/// none), when the intent was recorded (milliseconds since 1970, UTC), and
/// RETRIEVE_TRANSACTION's answer when one came (NULL otherwise; read
/// "response.gatewayCode", "transaction.amount", ...). Every pointer is
/// valid only during the call: copy what you keep; do not free the
/// response. Called on the thread that called `gw_journal_recover`, one
/// intent at a time; it must return normally (no C++ exception, no
/// `longjmp`) and may make other gw calls.
pub type gw_recover_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        outcome: u32,
        operation: *const c_char,
        order_id: *const c_char,
        transaction_id: *const c_char,
        amount: *const c_char,
        currency: *const c_char,
        recorded_at_ms: u64,
        response: *const gw_response,
    ),
>;

/// Resolves every open intent of the client's payment journal
/// (`gw_config_set_journal`; its merchant's) whose call is over — its
/// process gone (killed, crashed, a power cut) or its deadline passed —
/// with RETRIEVE_TRANSACTION, records each final outcome, and hands each
/// intent to `callback`, oldest first. Intents that may still belong to a
/// call running in another thread or process are left alone: their number
/// goes to `*still_running` (when not NULL); call again later for them.
///
/// Call it when the till starts, before taking new payments, and whenever
/// an earlier recovery left intents `GW_RECOVERED_NOT_FINAL`. Several
/// clients and processes may share one journal file; recovering at the
/// same time from two of them asks the gateway twice about the same intent
/// (harmless: a read) and records the same outcome.
///
/// Thread-safe: it may run while other threads pay on the same client or
/// others (their intents, still open, are counted in `*still_running`). It
/// makes one RETRIEVE_TRANSACTION per open intent, each within the
/// configured call timeout, so it takes up to that long per intent when the
/// gateway cannot be reached.
///
/// `GW_OK` once every intent was handed over; `GW_ERR_CONFIG` when the
/// client has no journal; `GW_ERR_JOURNAL` when the journal cannot be read
/// or written (the intents not handed over stay open).
///
/// # Safety
/// `client` is a live `gw_client`; `callback` non-NULL; `still_running`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn gw_journal_recover(
    client: *const gw_client,
    callback: gw_recover_callback,
    userdata: *mut c_void,
    still_running: *mut u32,
) -> gw_status {
    sending_boundary(|| {
        // SAFETY: the caller guarantees the pointer.
        let client = unsafe { ref_arg(client, "client") }?;
        let callback = callback.ok_or_else(|| null("callback"))?;
        let to_c = |text: &str| CString::new(text).unwrap_or_default();
        let running = client.client().recover_journal(|intent, recovered, response| {
            let outcome = match recovered {
                Recovered::Approved => GW_RECOVERED_APPROVED,
                Recovered::Declined => GW_RECOVERED_DECLINED,
                Recovered::NotSent => GW_RECOVERED_NOT_SENT,
                Recovered::NotFinal => GW_RECOVERED_NOT_FINAL,
            };
            let (operation, order, transaction) =
                (to_c(&intent.operation), to_c(&intent.order_id), to_c(&intent.transaction_id));
            let amount = intent.amount.as_deref().map(to_c);
            let currency = intent.currency.as_deref().map(to_c);
            let response = response.cloned().map(gw_response::from);
            let opt = |text: &Option<CString>| text.as_ref().map_or(ptr::null(), |text| text.as_ptr());
            // SAFETY: the caller gave a callback of this signature; every
            // pointer passed lives until it returns.
            unsafe {
                callback(
                    userdata,
                    outcome,
                    operation.as_ptr(),
                    order.as_ptr(),
                    transaction.as_ptr(),
                    opt(&amount),
                    opt(&currency),
                    intent.recorded_ms,
                    response.as_ref().map_or(ptr::null(), |response| response as *const gw_response),
                )
            };
        })?;
        // SAFETY: the caller guarantees NULL or writable storage.
        if let Some(still_running) = unsafe { still_running.as_mut() } {
            *still_running = running;
        }
        Ok(())
    })
}
