//! `gw_client` and the calls that reach the gateway.

use std::ffi::c_char;

use super::cast::{free_handle, into_handle, opt_str_arg, out_arg, ref_arg, str_arg};
use super::config::gw_config;
use super::panic::{guarded, sending_boundary, status_boundary};
use super::request::{gw_request, p2pe_card_args};
use super::response::gw_response;
use super::status::gw_status;
use crate::client::Client;
use crate::error::Result;
use crate::response::Response;

/// A configured connection to the gateway, with one keep-alive connection
/// pool.
///
/// Thread-safe: one `gw_client` may be shared by any number of threads and
/// used by them at the same time. Free it once, when no call is running.
pub struct gw_client {
    client: Client,
}

impl gw_client {
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }
}

/// Creates a client from a configuration, which is checked whole (base URL,
/// merchant, authentication; certificate, key and CA files are read now) and
/// copied: the configuration may be freed afterwards.
///
/// On success `*out` receives a client to free with `gw_client_free`; on
/// failure `*out` is NULL and the status is `GW_ERR_CONFIG` (or
/// `GW_ERR_NULL_ARGUMENT`), with `gw_last_error()` saying what is missing.
///
/// # Safety
/// `config` is a live `gw_config`; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_client_new(config: *const gw_config, out: *mut *mut gw_client) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees the pointers.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let config = unsafe { ref_arg(config, "config") }?;
        *out = into_handle(gw_client { client: Client::new(config.config())? });
        Ok(())
    })
}

/// Frees a client and closes its connections. NULL is a no-op.
///
/// # Safety
/// `client` is NULL or came from `gw_client_new`, no call is using it, and it
/// is not used again.
#[no_mangle]
pub unsafe extern "C" fn gw_client_free(client: *mut gw_client) {
    // SAFETY: the caller passes ownership of a handle from gw_client_new.
    guarded((), || unsafe { free_handle(client) })
}

/// Hands a call's outcome to C: the response goes to `*out` whenever the
/// gateway gave a parseable answer, also with an error status.
fn deliver(outcome: Result<Response>, out: &mut *mut gw_response) -> Result<()> {
    match outcome {
        Ok(response) => {
            *out = into_handle(gw_response::from(response));
            Ok(())
        }
        Err(mut err) => {
            if let Some(response) = err.take_response() {
                *out = into_handle(gw_response::from(response));
            }
            Err(err)
        }
    }
}

/// CREATE_SESSION: creates a payment session.
///
/// `GW_OK` means `result=SUCCESS`: read "session.id" and "session.version"
/// with `gw_response_get`. Whenever the gateway answered with a parseable
/// body, `*out` receives the response (also for `GW_ERR_GATEWAY`,
/// `GW_ERR_AUTHENTICATION`, `GW_DECLINED`, ...), to free with
/// `gw_response_free`; otherwise `*out` is NULL.
///
/// # Safety
/// `client` is a live `gw_client`; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_create_session(client: *const gw_client, out: *mut *mut gw_response) -> gw_status {
    // SAFETY: the caller guarantees the pointers, as `plain_call` needs.
    unsafe { plain_call(client, out, Client::create_session) }
}

/// TOKENIZE with a card encrypted by the terminal (TDES or AES DUKPT P2PE);
/// `sourceOfFunds.type=CARD` is set by gw.
///
/// - `token`: NULL lets the gateway generate the token; otherwise that token
///   (1–40 of 0-9 a-z A-Z) is created or updated.
/// - `key_serial_number`: the DUKPT KSN: 20 hex digits (TDES), or from API
///   version 84 also 24 (AES). Required.
/// - `payload`: the encrypted card, 32–1024 hex digits (even). Required.
/// - `initialization_vector`: NULL when the terminal uses none, else 16 hex
///   digits (from API version 84 also 32).
/// - `card_bin`: 1–6 digits, or NULL when the terminal gives none.
///
/// Every field is validated before anything is sent: `GW_ERR_INVALID_FIELD`
/// with `gw_last_error_field()` naming the NVP field. `GW_OK` means
/// `result=SUCCESS`: read "token". `*out` as for `gw_create_session`.
/// The payload never appears in any message. To send more fields with the
/// card (a `correlationId`, ...), build the request with
/// `gw_request_tokenize_p2pe` instead.
///
/// # Safety
/// `client` is a live `gw_client`; strings are NUL-terminated or NULL where
/// allowed; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_tokenize_p2pe(
    client: *const gw_client,
    token: *const c_char,
    key_serial_number: *const c_char,
    payload: *const c_char,
    initialization_vector: *const c_char,
    card_bin: *const c_char,
    out: *mut *mut gw_response,
) -> gw_status {
    sending_boundary(|| {
        // SAFETY: the caller guarantees every pointer (each block below).
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: as above.
        let token = unsafe { opt_str_arg(token, "token") }?;
        // SAFETY: as above.
        let card = unsafe { p2pe_card_args(key_serial_number, payload, initialization_vector, card_bin) }?;
        deliver(client.client.tokenize_p2pe(token, &card), out)
    })
}

/// CHECK_GATEWAY: is the gateway operating? Sends no credentials and no
/// field (the `{base}/api/nvp/version/{N}/information` resource) and makes
/// one attempt, never retried: a till calls it to know at once.
///
/// `GW_OK` when the gateway answers `status=OPERATING`: read
/// "gatewayVersion". `GW_GATEWAY_SHUTDOWN` when it answers `status=SHUTDOWN`
/// (not accepting requests). A failure to reach it is the transport's
/// status (`GW_ERR_CONNECT`, `GW_ERR_TIMEOUT`, ...). `*out` as for
/// `gw_create_session`.
///
/// # Safety
/// `client` is a live `gw_client`; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_check_gateway(client: *const gw_client, out: *mut *mut gw_response) -> gw_status {
    // SAFETY: the caller guarantees the pointers, as `plain_call` needs.
    unsafe { plain_call(client, out, Client::check_gateway) }
}

/// RETRIEVE_TOKEN: what the gateway holds under `token` (1–40 of 0-9 a-z
/// A-Z, validated before anything is sent).
///
/// `GW_OK` means `result=SUCCESS`: read "status" (VALID or INVALID),
/// "sourceOfFunds.type", "sourceOfFunds.provided.card.number" (masked, e.g.
/// "476173xxxxxx0010"), "sourceOfFunds.provided.card.expiry", ... The
/// response holds card data: gw masks it in logs and wipes it when freed.
/// An unknown token is `GW_ERR_GATEWAY` with `error.field` "token". `*out`
/// as for `gw_create_session`. Retried like every read (docs/production.md).
///
/// # Safety
/// `client` is a live `gw_client`; `token` a NUL-terminated string; `out`
/// points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_retrieve_token(
    client: *const gw_client,
    token: *const c_char,
    out: *mut *mut gw_response,
) -> gw_status {
    // SAFETY: the caller guarantees the pointers, as `token_call` needs.
    unsafe { token_call(client, token, out, Client::retrieve_token) }
}

/// DELETE_TOKEN: deletes `token` (1–40 of 0-9 a-z A-Z).
///
/// `GW_OK` when the token is gone: the gateway answered `result=SUCCESS`,
/// or, after an attempt whose outcome stayed in doubt (a broken connection,
/// SERVER_FAILED) and a retry, the retry was answered that the token does
/// not exist: the first attempt deleted it. The response is then that
/// answer (`result=ERROR`, `error.field=token`) and the log says why. A
/// first attempt answered "no such token" is `GW_ERR_GATEWAY`. `*out` as
/// for `gw_create_session`.
///
/// # Safety
/// `client` is a live `gw_client`; `token` a NUL-terminated string; `out`
/// points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_delete_token(
    client: *const gw_client,
    token: *const c_char,
    out: *mut *mut gw_response,
) -> gw_status {
    // SAFETY: the caller guarantees the pointers, as `token_call` needs.
    unsafe { token_call(client, token, out, Client::delete_token) }
}

/// RETRIEVE_TRANSACTION: what happened to `transaction_id` of `order_id`
/// (each 1–40 characters, validated before anything is sent). The answer
/// maps to a status as a payment's own does (docs/payments.md): `GW_OK`
/// for a final approval, `GW_DECLINED` for a final decline (read
/// "response.gatewayCode"), `GW_PENDING` / `GW_UNKNOWN_RESULT` for one not
/// final (`gw_last_error_in_doubt()` is 1: ask again later). Ids the
/// gateway does not know are its error answer, `GW_ERR_GATEWAY` (with
/// `error.field`), never `GW_OK` or `GW_DECLINED`. Read "result",
/// "response.gatewayCode", "transaction.amount", "order.status", ... The
/// response holds the masked card: gw masks it in logs and wipes it when
/// freed. `*out` as for `gw_create_session`. A read: retried as reads are.
///
/// # Safety
/// `client` is a live `gw_client`; `order_id`, `transaction_id`
/// NUL-terminated strings; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_retrieve_transaction(
    client: *const gw_client,
    order_id: *const c_char,
    transaction_id: *const c_char,
    out: *mut *mut gw_response,
) -> gw_status {
    sending_boundary(|| {
        // SAFETY: the caller guarantees the pointers.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: as above.
        let order_id = unsafe { str_arg(order_id, "order_id") }?;
        // SAFETY: as above.
        let transaction_id = unsafe { str_arg(transaction_id, "transaction_id") }?;
        deliver(client.client.retrieve_transaction(order_id, transaction_id), out)
    })
}

/// The body of the calls with no argument but the client: converts the
/// arguments and runs `call` inside the panic boundary.
///
/// # Safety
/// `client` is a live `gw_client`; `out` points to writable storage.
unsafe fn plain_call(
    client: *const gw_client,
    out: *mut *mut gw_response,
    call: fn(&Client) -> Result<Response>,
) -> gw_status {
    sending_boundary(|| {
        // SAFETY: the caller guarantees the pointers.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let client = unsafe { ref_arg(client, "client") }?;
        deliver(call(&client.client), out)
    })
}

/// The body of the calls that name one token: converts the arguments and
/// runs `call` inside the panic boundary.
///
/// # Safety
/// `client` is a live `gw_client`; `token` a NUL-terminated string; `out`
/// points to writable storage.
unsafe fn token_call(
    client: *const gw_client,
    token: *const c_char,
    out: *mut *mut gw_response,
    call: fn(&Client, &str) -> Result<Response>,
) -> gw_status {
    sending_boundary(|| {
        // SAFETY: the caller guarantees the pointers.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: as above.
        let token = unsafe { str_arg(token, "token") }?;
        deliver(call(&client.client, token), out)
    })
}

/// Executes a request built with `gw_request_new` / `gw_request_set`. The
/// request is validated whole first (REQUIRED fields: `GW_ERR_INVALID_FIELD`),
/// and is not consumed: free it with `gw_request_free`. `*out` and the
/// status as for `gw_create_session`.
///
/// # Safety
/// `client` is a live `gw_client`, `request` a live `gw_request`; `out`
/// points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn gw_execute(
    client: *const gw_client,
    request: *const gw_request,
    out: *mut *mut gw_response,
) -> gw_status {
    sending_boundary(|| {
        // SAFETY: the caller guarantees the pointers.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: as above.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: as above.
        let request = unsafe { ref_arg(request, "request") }?;
        deliver(client.client.execute(request.request()), out)
    })
}
