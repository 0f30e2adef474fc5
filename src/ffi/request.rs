//! `gw_request`: a request of either operation, field by field.

use std::ffi::c_char;

use super::cast::{free_handle, into_handle, mut_arg, opt_str_arg, out_arg, str_arg};
use super::panic::{guarded, status_boundary};
use super::status::gw_status;
use crate::error::Result;
use crate::operations::{P2peCard, Payment};
use crate::request::Request;

/// A request of one operation (CREATE_SESSION, TOKENIZE, CHECK_GATEWAY,
/// RETRIEVE_TOKEN, DELETE_TOKEN, UPDATE_SESSION, RETRIEVE_SESSION, PAY,
/// AUTHORIZE, CAPTURE, REFUND, VOID, VERIFY, RETRIEVE_TRANSACTION or
/// RETRIEVE_ORDER), for any
/// field the gateway's reference lists at the configured API version. Belongs to one thread at a time. Values
/// are zeroized when it is freed.
pub struct gw_request {
    request: Request,
}

impl gw_request {
    pub(crate) fn request(&self) -> &Request {
        &self.request
    }
}

/// Creates an empty request of `api_operation`: "CREATE_SESSION",
/// "TOKENIZE", "CHECK_GATEWAY" (no fields: its reference lists none),
/// "RETRIEVE_TOKEN", "DELETE_TOKEN" (set "token"), "UPDATE_SESSION" or
/// "RETRIEVE_SESSION" (set "session.id"), the payments "PAY", "AUTHORIZE",
/// "VERIFY" (set "order.id", "transaction.id", "order.amount",
/// "order.currency" and the card), "CAPTURE", "REFUND" (set "order.id", a
/// new "transaction.id", "transaction.amount", "transaction.currency"),
/// "VOID" (and "transaction.targetTransactionId"), "RETRIEVE_TRANSACTION"
/// ("order.id", "transaction.id") and "RETRIEVE_ORDER" ("order.id"). A
/// payment's answer maps to a status as docs/payments.md says. gw sets `apiOperation`,
/// `merchant` and the authentication fields itself (none for
/// CHECK_GATEWAY, which sends no credentials). On success `*out` receives the request, to free with
/// `gw_request_free`; else `*out` is NULL (`GW_ERR_INVALID_FIELD` naming
/// `apiOperation` for another operation).
///
/// # Safety
/// `api_operation` is a NUL-terminated string; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_request_new(api_operation: *const c_char, out: *mut *mut gw_request) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees the pointers.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let name = unsafe { str_arg(api_operation, "api_operation") }?;
        *out = into_handle(gw_request { request: Request::for_operation_name(name)? });
        Ok(())
    })
}

/// The card arguments of `gw_request_tokenize_p2pe` and `gw_tokenize_p2pe`,
/// each failing with a status that names the C argument.
///
/// # Safety
/// Each pointer is NULL or a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn p2pe_card_args<'a>(
    key_serial_number: *const c_char,
    payload: *const c_char,
    initialization_vector: *const c_char,
    card_bin: *const c_char,
) -> Result<P2peCard<'a>> {
    Ok(P2peCard {
        // SAFETY: the caller guarantees each pointer.
        key_serial_number: unsafe { str_arg(key_serial_number, "key_serial_number") }?,
        // SAFETY: as above.
        payload: unsafe { str_arg(payload, "payload") }?,
        // SAFETY: as above.
        initialization_vector: unsafe { opt_str_arg(initialization_vector, "initialization_vector") }?,
        // SAFETY: as above.
        card_bin: unsafe { opt_str_arg(card_bin, "card_bin") }?,
    })
}

/// Creates a TOKENIZE request for a card encrypted by the terminal (TDES or
/// AES DUKPT P2PE), to extend with `gw_request_set` ("correlationId",
/// "sourceOfFunds.provided.card.p2pe.encryptionState", any TOKENIZE field of
/// the API version) and send with `gw_execute`. The arguments are those of
/// `gw_tokenize_p2pe`, with its rules: `token`, `initialization_vector` and
/// `card_bin` may be NULL; gw sets `sourceOfFunds.type=CARD`.
/// `gw_tokenize_p2pe` is this request executed at once.
///
/// Every field is validated now: on failure `*out` is NULL and the status is
/// `GW_ERR_INVALID_FIELD` with `gw_last_error_field()` naming the NVP field
/// (or `GW_ERR_NULL_ARGUMENT` / `GW_ERR_INVALID_UTF8` naming the argument).
/// On success `*out` receives the request, to free with `gw_request_free`
/// (which zeroizes the payload). The payload never appears in any message.
///
/// # Safety
/// Strings are NUL-terminated or NULL where allowed; `out` points to
/// writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_request_tokenize_p2pe(
    token: *const c_char,
    key_serial_number: *const c_char,
    payload: *const c_char,
    initialization_vector: *const c_char,
    card_bin: *const c_char,
    out: *mut *mut gw_request,
) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees every pointer.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let token = unsafe { opt_str_arg(token, "token") }?;
        // SAFETY: as above.
        let card = unsafe { p2pe_card_args(key_serial_number, payload, initialization_vector, card_bin) }?;
        *out = into_handle(gw_request { request: Request::tokenize_p2pe(token, &card)? });
        Ok(())
    })
}

/// The payment arguments of `gw_request_pay_p2pe` and `gw_request_pay_token`,
/// each failing with a status that names the C argument.
///
/// # Safety
/// Each pointer is NULL or a NUL-terminated string that outlives `'a`.
unsafe fn payment_args<'a>(
    order_id: *const c_char,
    transaction_id: *const c_char,
    amount: *const c_char,
    currency: *const c_char,
) -> Result<Payment<'a>> {
    Ok(Payment {
        // SAFETY: the caller guarantees each pointer.
        order_id: unsafe { str_arg(order_id, "order_id") }?,
        // SAFETY: as above.
        transaction_id: unsafe { str_arg(transaction_id, "transaction_id") }?,
        // SAFETY: as above.
        amount: unsafe { str_arg(amount, "amount") }?,
        // SAFETY: as above.
        currency: unsafe { str_arg(currency, "currency") }?,
    })
}

/// Creates a PAY or an AUTHORIZE (`api_operation`: "PAY" or "AUTHORIZE")
/// of a card encrypted by the terminal (TDES or AES DUKPT P2PE; API version
/// 84 and later), to extend with `gw_request_set` ("posTerminal.lane",
/// "posTerminal.attended", "order.reference", "correlationId", any field of
/// the operation at the API version) and send with `gw_execute`.
///
/// - `order_id`, `transaction_id`: the merchant's ids (1–40 characters);
///   keep them: they resolve a payment in doubt (`gw_retrieve_transaction`).
///   A new attempt after a decline needs a new `transaction_id`.
/// - `amount`: a decimal string ("12.50"; digits, at most one '.', within
///   the currency's minor units); `currency`: ISO 4217 ("AUD").
/// - the card arguments are those of `gw_tokenize_p2pe`, with its rules:
///   `initialization_vector` and `card_bin` may be NULL.
///
/// gw sets `sourceOfFunds.type=CARD` and `transaction.source=CARD_PRESENT`.
/// Every field is validated now: on failure `*out` is NULL and the status is
/// `GW_ERR_INVALID_FIELD` with `gw_last_error_field()` naming the NVP field
/// (or `GW_ERR_NULL_ARGUMENT` / `GW_ERR_INVALID_UTF8` naming the argument).
/// On success `*out` receives the request, to free with `gw_request_free`
/// (which zeroizes the payload). The payload never appears in any message.
///
/// # Safety
/// Strings are NUL-terminated or NULL where allowed; `out` points to
/// writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_request_pay_p2pe(
    api_operation: *const c_char,
    order_id: *const c_char,
    transaction_id: *const c_char,
    amount: *const c_char,
    currency: *const c_char,
    key_serial_number: *const c_char,
    payload: *const c_char,
    initialization_vector: *const c_char,
    card_bin: *const c_char,
    out: *mut *mut gw_request,
) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees every pointer.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let name = unsafe { str_arg(api_operation, "api_operation") }?;
        let operation = Request::for_operation_name(name)?.operation();
        // SAFETY: as above.
        let payment = unsafe { payment_args(order_id, transaction_id, amount, currency) }?;
        // SAFETY: as above.
        let card = unsafe { p2pe_card_args(key_serial_number, payload, initialization_vector, card_bin) }?;
        *out = into_handle(gw_request { request: Request::pay_p2pe(operation, &payment, &card)? });
        Ok(())
    })
}

/// Creates a PAY with a card the gateway holds under `token` (1–40 of 0-9
/// a-z A-Z, from `gw_tokenize_p2pe`), to extend with `gw_request_set` and
/// send with `gw_execute`. `order_id`, `transaction_id`, `amount` and
/// `currency` as for `gw_request_pay_p2pe`; gw sets
/// `sourceOfFunds.type=CARD`. Validation, `*out` and ownership as for
/// `gw_request_pay_p2pe`.
///
/// # Safety
/// Strings are NUL-terminated; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_request_pay_token(
    order_id: *const c_char,
    transaction_id: *const c_char,
    amount: *const c_char,
    currency: *const c_char,
    token: *const c_char,
    out: *mut *mut gw_request,
) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees every pointer.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let payment = unsafe { payment_args(order_id, transaction_id, amount, currency) }?;
        // SAFETY: as above.
        let token = unsafe { str_arg(token, "token") }?;
        *out = into_handle(gw_request { request: Request::pay_token(&payment, token)? });
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
        // SAFETY: the caller guarantees the pointers.
        let request = unsafe { mut_arg(request, "request") }?;
        // SAFETY: as above.
        let name = unsafe { str_arg(name, "name") }?;
        // SAFETY: as above.
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
    // SAFETY: the caller passes ownership of a handle from gw_request_new.
    guarded((), || unsafe { free_handle(request) })
}
