//! The status numbers: `gw_status` and its `GW_*` values.
//!
//! The numbers are part of the ABI: never reused, never renumbered; new ones
//! are added at the end. The status table is `Kind` in `src/error.rs`; the
//! constants below exist for cbindgen (which cannot expand that macro) and
//! are checked against it, with the header, by `tests/status_table.rs`. A
//! status is never converted into a Rust enum from C (an out-of-range value
//! would be undefined behaviour); it is compared.
//!
//! A module of their own, importing nothing, so that both the panic
//! boundary (`panic.rs`) and the status calls (`status.rs`, which run inside
//! that boundary) stand on them without importing each other in a circle.
//! Re-exported by `status.rs`.

/// The result of a fallible gw call: `GW_OK` (0) or one of the `GW_ERR_*`,
/// `GW_DECLINED`, `GW_PENDING`, `GW_UNKNOWN_RESULT` values.
pub type gw_status = u32;

/// Success; for an operation, the gateway answered `result=SUCCESS`.
pub const GW_OK: gw_status = 0;
/// A required pointer argument was NULL.
pub const GW_ERR_NULL_ARGUMENT: gw_status = 1;
/// A string argument is not valid UTF-8.
pub const GW_ERR_INVALID_UTF8: gw_status = 2;
/// A field failed local validation against the gateway's field rules; nothing
/// was sent. `gw_last_error_field()` names the field.
pub const GW_ERR_INVALID_FIELD: gw_status = 3;
/// The configuration is incomplete or invalid (also: unreadable certificate,
/// key or CA file).
pub const GW_ERR_CONFIG: gw_status = 4;
/// The connection could not be established; the request was not sent.
pub const GW_ERR_CONNECT: gw_status = 5;
/// The call timed out.
pub const GW_ERR_TIMEOUT: gw_status = 6;
/// TLS failed: untrusted certificate, wrong host name, refused handshake.
pub const GW_ERR_TLS: gw_status = 7;
/// The connection failed mid-exchange; the request may have been processed.
pub const GW_ERR_IO: gw_status = 8;
/// The answer is not an NVP answer (HTML, garbage, oversized, bad HTTP).
pub const GW_ERR_PROTOCOL: gw_status = 9;
/// The gateway rejected the credentials (HTTP 401); the response is handed out.
pub const GW_ERR_AUTHENTICATION: gw_status = 10;
/// The gateway answered `result=ERROR`; read `error.*` from the response.
pub const GW_ERR_GATEWAY: gw_status = 11;
/// The gateway declined the operation (`result=FAILURE`).
pub const GW_DECLINED: gw_status = 12;
/// The operation is pending (`result=PENDING`).
pub const GW_PENDING: gw_status = 13;
/// The result is unknown (`result=UNKNOWN` or unrecognised).
pub const GW_UNKNOWN_RESULT: gw_status = 14;
/// A bug in gw: a panic was caught at the boundary. In a call that reaches
/// the gateway it is in doubt (`gw_last_error_in_doubt()` is 1): it may
/// have come after the request went out.
pub const GW_ERR_INTERNAL: gw_status = 15;
/// An index past the end.
pub const GW_ERR_OUT_OF_RANGE: gw_status = 16;
/// `gw_check_gateway`: the gateway answered `status=SHUTDOWN` (it is not
/// accepting requests); the response is handed out.
pub const GW_GATEWAY_SHUTDOWN: gw_status = 17;
/// The payment journal (`gw_config_set_journal`) could not be opened,
/// written or read; a payment whose intent could not be recorded was not
/// sent (`gw_last_error_in_doubt()` is 0 then).
pub const GW_ERR_JOURNAL: gw_status = 18;
