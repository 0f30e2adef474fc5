//! `gw_config`: the configuration handle.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::cast::{free_handle, into_handle, mut_arg, opt_str_arg, str_arg};
use super::panic::{guarded, status_boundary, value_boundary};
use super::status::gw_status;
use crate::config::{Config, LogLevel, Trust};
use crate::error::{Error, Kind};

/// A client configuration: base URL, API version, merchant, authentication,
/// trust, proxy, timeouts, retries, logging.
///
/// Create with `gw_config_new`, set what you need, pass to `gw_client_new`
/// (which copies it), free with `gw_config_free`. A `gw_config` belongs to
/// one thread at a time. The API password it holds is zeroized when freed.
pub struct gw_config {
    config: Config,
}

impl gw_config {
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }
}

/// Trust the Mozilla root certificates bundled in gw (the default).
pub const GW_TRUST_BUNDLED: u32 = 0;
/// Trust the operating system's certificate store.
pub const GW_TRUST_SYSTEM: u32 = 1;

/// Log level: a call failed.
pub const GW_LOG_ERROR: u32 = 1;
/// Log level: something went wrong but the call goes on (a retry).
pub const GW_LOG_WARN: u32 = 2;
/// Log level: one line per attempt (host, path, HTTP status, duration).
pub const GW_LOG_INFO: u32 = 3;
/// Log level: request and response fields, secrets and card data masked.
pub const GW_LOG_DEBUG: u32 = 4;

/// A log callback: receives the `userdata` given to `gw_config_set_log`, the
/// level (`GW_LOG_*`) and a NUL-terminated message that is valid only during
/// the call. It is called from whichever thread makes the gw call, possibly
/// several at once, so it must be thread-safe. It must return normally
/// (no C++ exception, no `longjmp`). It may read the last error and make
/// nested gw calls, also on the client that is logging.
pub type gw_log_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, level: u32, message: *const c_char)>;

/// A new configuration with defaults: API version 50, bundled roots,
/// connect timeout 15 s, call timeout 60 s, 2 retries (only where safe), no
/// proxy, no log. Free it with `gw_config_free`. NULL only if memory ran out.
#[no_mangle]
pub extern "C" fn gw_config_new() -> *mut gw_config {
    value_boundary(std::ptr::null_mut(), || Ok(into_handle(gw_config { config: Config::new() })))
}

/// Frees a configuration (zeroizing the password). NULL is a no-op.
///
/// # Safety
/// `config` is NULL or came from `gw_config_new` and is not used again.
#[no_mangle]
pub unsafe extern "C" fn gw_config_free(config: *mut gw_config) {
    // SAFETY: the caller passes ownership of a handle from gw_config_new.
    guarded((), || unsafe { free_handle(config) })
}

/// Runs a setter on the configuration behind `config`.
///
/// # Safety
/// `config` is NULL or a live `gw_config`.
unsafe fn set(config: *mut gw_config, setter: impl FnOnce(&mut Config) -> Result<(), Error>) -> gw_status {
    status_boundary(|| {
        // SAFETY: passed on from the caller.
        let handle = unsafe { mut_arg(config, "config") }?;
        setter(&mut handle.config)
    })
}

/// Runs a setter taking one string argument (`value`, named `name` in messages).
///
/// # Safety
/// `config` is NULL or a live `gw_config`; `value` NULL or a NUL-terminated string.
unsafe fn set_str(
    config: *mut gw_config,
    value: *const c_char,
    name: &str,
    setter: impl FnOnce(&mut Config, &str) -> Result<(), Error>,
) -> gw_status {
    status_boundary(|| {
        // SAFETY: passed on from the caller.
        let handle = unsafe { mut_arg(config, "config") }?;
        // SAFETY: as above.
        let value = unsafe { str_arg(value, name) }?;
        setter(&mut handle.config, value)
    })
}

/// Sets the gateway's base URL, e.g. "https://ap-gateway.mastercard.com"
/// (requests go to `{base}/api/nvp/version/{N}`). https is required; http
/// only for a loopback host (a local gw-sim). `GW_ERR_CONFIG` when invalid.
///
/// # Safety
/// `config` is a live `gw_config`; `url` a NUL-terminated string (copied).
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_base_url(config: *mut gw_config, url: *const c_char) -> gw_status {
    // SAFETY: the caller guarantees the pointers.
    unsafe { set_str(config, url, "url", Config::set_base_url) }
}

/// Sets the NVP API version N (39 to 100; default 50).
///
/// # Safety
/// `config` is a live `gw_config`.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_api_version(config: *mut gw_config, version: u32) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe { set(config, |c| c.set_api_version(version)) }
}

/// Sets the merchant ID (1–40 of 0-9 a-z A-Z - _).
///
/// # Safety
/// `config` is a live `gw_config`; `merchant_id` a NUL-terminated string (copied).
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_merchant(config: *mut gw_config, merchant_id: *const c_char) -> gw_status {
    // SAFETY: the caller guarantees the pointers.
    unsafe { set_str(config, merchant_id, "merchant_id", Config::set_merchant) }
}

/// Selects password authentication with this API password (sent as
/// `apiPassword` with `apiUsername=merchant.<ID>`). The copy gw keeps is
/// zeroized when freed; the password never appears in any message.
///
/// # Safety
/// `config` is a live `gw_config`; `password` a NUL-terminated string (copied).
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_api_password(config: *mut gw_config, password: *const c_char) -> gw_status {
    // SAFETY: the caller guarantees the pointers.
    unsafe { set_str(config, password, "password", Config::set_api_password) }
}

/// Selects certificate authentication: a PEM client certificate (chain) file
/// and its PEM private key file (PKCS#8, PKCS#1 or SEC1). No password is
/// sent in this mode. The files are read by `gw_client_new`, which fails
/// with `GW_ERR_CONFIG` naming the file when one is unreadable or the key
/// does not match the certificate. A gateway that refuses the certificate
/// gives `GW_ERR_TLS`.
///
/// # Safety
/// `config` is a live `gw_config`; both paths NUL-terminated strings (copied).
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_client_certificate(
    config: *mut gw_config,
    certificate_pem_path: *const c_char,
    private_key_pem_path: *const c_char,
) -> gw_status {
    status_boundary(|| {
        // SAFETY: the caller guarantees the pointers.
        let handle = unsafe { mut_arg(config, "config") }?;
        // SAFETY: as above.
        let certificate = unsafe { str_arg(certificate_pem_path, "certificate_pem_path") }?;
        // SAFETY: as above.
        let key = unsafe { str_arg(private_key_pem_path, "private_key_pem_path") }?;
        handle.config.set_client_certificate(certificate, key)
    })
}

/// Trusts exactly the certificates of this PEM bundle file instead of the
/// default roots (a test host such as gw-sim, a TLS-inspecting proxy). Read
/// by `gw_client_new` (`GW_ERR_CONFIG` naming the file when unreadable).
/// There is no way to disable certificate verification: an untrusted
/// certificate or a wrong host name gives `GW_ERR_TLS`.
///
/// # Safety
/// `config` is a live `gw_config`; `path` a NUL-terminated string (copied).
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_ca_bundle(config: *mut gw_config, path: *const c_char) -> gw_status {
    // SAFETY: the caller guarantees the pointers.
    unsafe { set_str(config, path, "path", Config::set_ca_bundle) }
}

/// Chooses the default roots: `GW_TRUST_BUNDLED` (Mozilla's, the default) or
/// `GW_TRUST_SYSTEM` (the operating system's store). `GW_ERR_CONFIG` for
/// another value.
///
/// # Safety
/// `config` is a live `gw_config`.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_trust(config: *mut gw_config, trust: u32) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        set(config, |c| {
            c.set_trust(match trust {
                GW_TRUST_BUNDLED => Trust::Bundled,
                GW_TRUST_SYSTEM => Trust::System,
                other => {
                    return Err(Error::new(
                        Kind::Config,
                        format!("trust {other} is not GW_TRUST_BUNDLED or GW_TRUST_SYSTEM"),
                    ))
                }
            });
            Ok(())
        })
    }
}

/// Sends every request through this HTTP CONNECT proxy:
/// "http://[user:password@]host:port" (user and password percent-encoded).
/// Messages name the proxy by host and port only, never its credentials.
/// A proxy that refuses the tunnel gives `GW_ERR_CONNECT` (not retried).
///
/// # Safety
/// `config` is a live `gw_config`; `url` a NUL-terminated string (copied).
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_proxy(config: *mut gw_config, url: *const c_char) -> gw_status {
    // SAFETY: the caller guarantees the pointers.
    unsafe { set_str(config, url, "url", Config::set_proxy) }
}

/// When no proxy is set: nonzero takes it from `HTTPS_PROXY` (or
/// `https_proxy`) with the exceptions of `NO_PROXY` (or `no_proxy`: host
/// names, `.domain` suffixes, `*`); zero (the default) ignores every proxy
/// variable of the environment, including `HTTP_PROXY` and `ALL_PROXY`.
///
/// # Safety
/// `config` is a live `gw_config`.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_proxy_from_environment(config: *mut gw_config, enabled: u32) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        set(config, |c| {
            c.set_proxy_from_environment(enabled != 0);
            Ok(())
        })
    }
}

/// Connect timeout of one attempt in milliseconds (default 15000; must be
/// positive): TCP connect, proxy tunnel and TLS handshake.
///
/// # Safety
/// `config` is a live `gw_config`.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_connect_timeout_ms(config: *mut gw_config, milliseconds: u32) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe { set(config, |c| c.set_connect_timeout(Duration::from_millis(milliseconds.into()))) }
}

/// Timeout of a whole call in milliseconds (default 60000; must be
/// positive): every attempt from connect to the last byte of the answer,
/// and the waits between retries. `GW_ERR_TIMEOUT` when it passes. DNS
/// resolution is bounded by the system resolver's own timeout instead.
///
/// # Safety
/// `config` is a live `gw_config`.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_timeout_ms(config: *mut gw_config, milliseconds: u32) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe { set(config, |c| c.set_timeout(Duration::from_millis(milliseconds.into()))) }
}

/// How many times a call is retried (default 2, at most 10; 0 for none),
/// only where a repeat cannot do anything the first request did not: always
/// when nothing was sent or the gateway answered HTTP 503 SERVER_BUSY; after
/// a failure once the request went out, or HTTP 500 SERVER_FAILED, for every
/// operation but a TOKENIZE without a `token` (which then stays in doubt),
/// unless `gw_config_set_token_repository_unique_card` says the repository
/// keeps one token per card. `gw_check_gateway` makes one attempt only.
/// Never after a TLS failure or another answer. A payment (PAY, AUTHORIZE,
/// CAPTURE, REFUND, VOID, VERIFY) is resent byte-identical (same ids, same
/// content: the gateway answers it with the first answer and does not
/// charge twice) after a failure in doubt or a LOCK_FAILURE answer, and a
/// payment still not final is then settled by RETRIEVE_TRANSACTION polls,
/// all within the call's timeout. The table
/// is in docs/production.md ("Retries"). Waits 200 ms, 400 ms, ... plus up
/// to 50% jitter, and only while the call's timeout leaves time; a failed
/// call that made several attempts says "after N attempts over X s".
///
/// # Safety
/// `config` is a live `gw_config`.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_retries(config: *mut gw_config, retries: u32) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe { set(config, |c| c.set_retries(retries)) }
}

/// The waits between attempts of a call, in milliseconds: `first_ms`
/// before the first retry, twice as long before each next one, at most
/// `max_ms`, each plus up to 50% random jitter (default 200 and 10000;
/// `first_ms` positive, `max_ms` at least `first_ms`). The same waits for
/// every retry: a repeat of a request, a payment's identical resubmission,
/// and the RETRIEVE_TRANSACTION polls that settle a payment not final; all
/// within the call's timeout (`gw_config_set_timeout_ms`).
///
/// # Safety
/// `config` is a live `gw_config`.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_backoff_ms(config: *mut gw_config, first_ms: u32, max_ms: u32) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        set(config, |c| c.set_backoff(Duration::from_millis(first_ms.into()), Duration::from_millis(max_ms.into())))
    }
}

/// Keeps a payment journal in the SQLite file `path` (UTF-8; created when
/// missing, with its `-wal` and `-shm` files beside it; NULL turns the
/// journal off, the default). Opened by `gw_client_new` (`GW_ERR_JOURNAL`
/// when it cannot be). Before the first byte of a PAY, AUTHORIZE, CAPTURE,
/// REFUND, VOID or VERIFY goes out, gw records its intent — operation,
/// `order.id`, `transaction.id`, amount, currency, merchant, time; never
/// card data, never credentials — and syncs it to the disk; the outcome is
/// recorded once final. After a crash or a power cut, `gw_journal_recover`
/// resolves what was left open. Several clients, threads and processes of
/// one machine may share one file (not over a network file system: WAL
/// needs shared memory). A payment whose intent cannot be recorded is not
/// sent (`GW_ERR_JOURNAL`). Costs two synced writes per payment; no round
/// trip (docs/payments.md, "The journal").
///
/// # Safety
/// `config` is a live `gw_config`; `path` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_journal(config: *mut gw_config, path: *const c_char) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    let path = unsafe { opt_str_arg(path, "path") };
    // SAFETY: as above.
    unsafe { set(config, |c| c.set_journal(path?.map(std::path::Path::new))) }
}

/// Nonzero says the merchant's token repository keeps one token per card:
/// its Token Management strategy, set on the merchant profile by the
/// payment service provider, is "Unique Account Identifier" ("Unique Card
/// Number"). There a TOKENIZE without a token for a stored card answers
/// with its existing token, so gw retries such a TOKENIZE after an in-doubt
/// failure as it retries CREATE_SESSION. Zero (the default) for a "Unique
/// Token" repository, or when unsure: a repeat could then store the card
/// under a second token, and gw does not repeat it.
///
/// # Safety
/// `config` is a live `gw_config`.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_token_repository_unique_card(
    config: *mut gw_config,
    unique_card: u32,
) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        set(config, |c| {
            c.set_token_repository_unique_card(unique_card != 0);
            Ok(())
        })
    }
}

/// The callback and its userdata, callable from any thread.
struct CallbackSink {
    callback: unsafe extern "C" fn(*mut c_void, u32, *const c_char),
    userdata: *mut c_void,
}

impl CallbackSink {
    fn call(&self, level: LogLevel, message: &str) {
        let text = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
        // SAFETY: the caller of gw_config_set_log guarantees the callback and
        // userdata are valid and thread-safe.
        unsafe { (self.callback)(self.userdata, level as u32, text.as_ptr()) }
    }
}

// SAFETY: gw_config_set_log documents that the callback and its userdata must
// be usable from any thread, at the same time; gw only passes the pointer on.
unsafe impl Send for CallbackSink {}
// SAFETY: as above.
unsafe impl Sync for CallbackSink {}

/// Sends log messages at `level` (`GW_LOG_ERROR` .. `GW_LOG_DEBUG`) and
/// more severe to `callback`, with `userdata` passed through. A NULL
/// callback turns logging off. Messages never contain the API password,
/// the payload or card numbers. See `gw_log_callback` for thread rules.
///
/// # Safety
/// `config` is a live `gw_config`; `callback` and `userdata` stay valid as
/// long as any client made from this configuration.
#[no_mangle]
pub unsafe extern "C" fn gw_config_set_log(
    config: *mut gw_config,
    level: u32,
    callback: gw_log_callback,
    userdata: *mut c_void,
) -> gw_status {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        set(config, |c| {
            let level = match level {
                GW_LOG_ERROR => LogLevel::Error,
                GW_LOG_WARN => LogLevel::Warn,
                GW_LOG_INFO => LogLevel::Info,
                GW_LOG_DEBUG => LogLevel::Debug,
                other => return Err(Error::new(Kind::Config, format!("log level {other} is not one of GW_LOG_*"))),
            };
            let Some(callback) = callback else {
                c.clear_log();
                return Ok(());
            };
            let sink = CallbackSink { callback, userdata };
            c.set_log(level, Arc::new(move |level: LogLevel, message: &str| sink.call(level, message)));
            Ok(())
        })
    }
}
