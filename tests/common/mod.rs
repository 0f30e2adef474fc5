//! The one support module of gw's integration tests (`mod common;`).
//!
//! - the test merchant, its password and the test card, shared by every test;
//! - gw-sim: [`sim_config`] / [`start`] / [`sim`] over HTTP, [`TlsSim`] over
//!   HTTPS, [`certificate_sim`] with client certificates;
//! - the Rust API: [`config`] (the tests' standard configuration), [`Log`];
//! - the C API: handles that free themselves ([`CConfig`], [`CClient`],
//!   [`CRequest`], [`CResponse`]), [`execute_c`], C-string helpers
//!   ([`c`], [`read`], [`last_error`]) and a log callback ([`collect`]);
//! - C programs: [`compile_c`] builds one against `include/gw.h` and the
//!   cdylib cargo just built;
//! - tinyproxy, scratch directories, timing;
//! - [`hostile`]: a loopback gateway (and CONNECT proxy) that closes,
//!   resets, trickles, corrupts and floods on cue (issue 17).
//!
//! Each test file uses a part of it; the rest is dead code there.
#![allow(dead_code)]

pub mod hostile;

use std::ffi::{c_char, c_void, CStr, CString};
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gw::config::{LogLevel, LogSink};
use gw::ffi::client::{
    gw_check_gateway, gw_client, gw_client_free, gw_client_new, gw_create_session, gw_delete_token, gw_execute,
    gw_retrieve_token, gw_retrieve_transaction, gw_tokenize_p2pe,
};
use gw::ffi::config::*;
use gw::ffi::error::{gw_last_error, gw_last_error_field};
use gw::ffi::request::{
    gw_request, gw_request_free, gw_request_new, gw_request_pay_p2pe, gw_request_pay_token, gw_request_set,
    gw_request_tokenize_p2pe,
};
use gw::ffi::response::{
    gw_response, gw_response_field, gw_response_free, gw_response_get, gw_response_http_status, gw_response_len,
    gw_response_result,
};
use gw::ffi::status::{gw_status, GW_OK};
use gw::{Config, Operation, P2peCard, Request};

// ---------------------------------------------------------------------------
// The test merchant and card.

/// The merchant every test talks as (gw-sim knows it by [`sim_config`]).
pub const MERCHANT: &str = "TESTGWMERCHANT";
/// The API password: no test may ever find it in a message or a log line.
pub const PASSWORD: &str = "sim-Pa55word-never-logged";
/// A password the gateway refuses: it must not leak either.
pub const WRONG_PASSWORD: &str = "wr0ng-Pa55word-n3ver-shown";
/// A Visa test PAN: no test may ever find it in a message or a log line.
pub const PAN: &str = "4761739001010010";
/// The card's expiry month and year, as the request fields want them.
pub const EXPIRY: (&str, &str) = ("12", "39");
/// The card's security code.
pub const SECURITY_CODE: &str = "737";
/// The prefix of every P2PE field name.
pub const P2PE: &str = "sourceOfFunds.provided.card.p2pe";

/// `PAN` encrypted by the test terminal (ANSI test BDK, data variant).
pub fn terminal_card() -> gw_sim::terminal::P2pe {
    gw_sim::terminal::encrypt_pan(PAN).expect("terminal encrypts")
}

/// The Rust API's view of a terminal card: KSN and payload only.
pub fn p2pe(card: &gw_sim::terminal::P2pe) -> P2peCard<'_> {
    P2peCard { key_serial_number: &card.ksn, payload: &card.payload, ..P2peCard::default() }
}

/// The TOKENIZE fields of the clear test card: `PAN`, expiry, security code.
pub fn clear_card_fields() -> Vec<(String, String)> {
    pairs(&[
        ("sourceOfFunds.type", "CARD"),
        ("sourceOfFunds.provided.card.number", PAN),
        ("sourceOfFunds.provided.card.expiry.month", EXPIRY.0),
        ("sourceOfFunds.provided.card.expiry.year", EXPIRY.1),
        ("sourceOfFunds.provided.card.securityCode", SECURITY_CODE),
    ])
}

/// The TOKENIZE fields of a P2PE card (type, KSN, payload) plus `extra`.
pub fn p2pe_fields(card: &gw_sim::terminal::P2pe, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = pairs(&[
        ("sourceOfFunds.type", "CARD"),
        (&format!("{P2PE}.keySerialNumber"), &card.ksn),
        (&format!("{P2PE}.payload"), &card.payload),
    ]);
    fields.extend(pairs(extra));
    fields
}

/// Owned copies of name/value pairs.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

// ---------------------------------------------------------------------------
// gw-sim.

/// gw-sim's configuration with the test merchant; tests add what they need.
pub fn sim_config() -> gw_sim::SimConfig {
    gw_sim::SimConfig::default().merchant(MERCHANT, PASSWORD)
}

/// A gw-sim on 127.0.0.1 with `config`, stopped when dropped.
pub fn start(config: gw_sim::SimConfig) -> gw_sim::Sim {
    gw_sim::Sim::start(config).expect("gw-sim starts")
}

/// A plain-HTTP gw-sim on 127.0.0.1 with the test merchant.
pub fn sim() -> gw_sim::Sim {
    start(sim_config())
}

/// gw-sim over HTTPS with its generated CA, and that CA's PEM file.
pub struct TlsSim {
    pub sim: gw_sim::Sim,
    pub ca_file: String,
    pub dir: PathBuf,
}

impl TlsSim {
    /// `config` over HTTPS; `name` names the scratch directory.
    pub fn start(name: &str, config: gw_sim::SimConfig) -> TlsSim {
        let sim = start(config.tls_generated());
        let dir = scratch_dir(name);
        let ca_file = write(&dir, "sim-ca.pem", &sim.ca_cert_pem().expect("a generated CA"));
        TlsSim { sim, ca_file, dir }
    }

    pub fn base_url(&self) -> String {
        self.sim.base_url()
    }
}

/// A client CA whose certificates the sim accepts, plus a certificate and
/// key file for `MERCHANT`.
pub struct ClientCertificate {
    pub ca: gw_sim::pki::ClientCa,
    pub cert_file: String,
    pub key_file: String,
}

impl ClientCertificate {
    pub fn issue(dir: &Path, tag: &str) -> ClientCertificate {
        let ca = gw_sim::pki::ClientCa::generate().expect("client CA");
        let (cert, key) = ca.issue(MERCHANT).expect("client certificate");
        let cert_file = write(dir, &format!("{tag}-cert.pem"), &cert);
        let key_file = write(dir, &format!("{tag}-key.pem"), &key);
        ClientCertificate { ca, cert_file, key_file }
    }
}

/// gw-sim over HTTPS requiring client certificates from a CA of its own,
/// and a certificate for `MERCHANT` issued by that CA.
pub fn certificate_sim(name: &str) -> (TlsSim, ClientCertificate) {
    let dir = scratch_dir(name);
    let accepted = ClientCertificate::issue(&dir, "accepted");
    let sim = TlsSim::start(name, sim_config().client_ca_pem(&accepted.ca.ca_pem()));
    (sim, accepted)
}

/// The `correlationId` that asks gw-sim for `fault` (`tag` keeps per-id
/// counters apart).
pub fn fault_id(fault: &str, tag: &str) -> String {
    format!("gw-sim:fault={fault},tag={tag}")
}

/// A CREATE_SESSION that asks for `fault`.
pub fn session_with_fault(fault: &str, tag: &str) -> Request {
    let mut request = Request::new(Operation::CreateSession);
    request.set("correlationId", &fault_id(fault, tag)).expect("correlationId");
    request
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

// ---------------------------------------------------------------------------
// The Rust API.

/// The call timeout (and connect timeout) the tests configure.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// The issue's bound on a failing call: the configured timeout plus one second.
pub const BOUND: Duration = Duration::from_secs(3);

/// A configuration for `base_url` with `MERCHANT` / `PASSWORD`, `TIMEOUT`,
/// and no retries (tests that retry set them).
pub fn config(base_url: &str) -> Config {
    let mut config = Config::new();
    config.set_base_url(base_url).expect("base URL");
    config.set_merchant(MERCHANT).expect("merchant");
    config.set_api_password(PASSWORD).expect("password");
    config.set_connect_timeout(TIMEOUT).expect("connect timeout");
    config.set_timeout(TIMEOUT).expect("timeout");
    config.set_retries(0).expect("retries");
    config
}

/// A change to a test configuration.
pub type Adjust = Box<dyn FnOnce(&mut Config)>;

/// Collects log messages (from the Rust sink or the C callback [`collect`]).
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<(LogLevel, String)>>>);

impl Log {
    pub fn sink(&self) -> LogSink {
        let log = self.clone();
        Arc::new(move |level, message: &str| log.push(level, message))
    }

    pub fn push(&self, level: LogLevel, message: &str) {
        self.0.lock().unwrap().push((level, message.to_owned()));
    }

    pub fn lines(&self) -> Vec<(LogLevel, String)> {
        self.0.lock().unwrap().clone()
    }

    /// How many messages contain `text`.
    pub fn count(&self, text: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|(_, line)| line.contains(text)).count()
    }

    pub fn dump(&self) -> String {
        self.lines().iter().map(|(level, line)| format!("{level:?}: {line}\n")).collect()
    }
}

/// Runs `call`, returning its result and how long it took.
pub fn timed<T>(call: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = call();
    (value, started.elapsed())
}

// ---------------------------------------------------------------------------
// The C API.

/// A C string for the length of a call.
pub fn c(text: &str) -> CString {
    CString::new(text).expect("no NUL")
}

/// `text` as a C string, or None for NULL (keep it alive across the call).
pub fn c_opt(text: Option<&str>) -> Option<CString> {
    text.map(c)
}

/// The pointer of an optional C string: NULL for None.
pub fn ptr_or_null(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(ptr::null(), |text| text.as_ptr())
}

/// The C strings of the P2PE arguments (token, KSN, payload, IV, card BIN),
/// alive as long as this value.
struct P2peStrings([Option<CString>; 5]);

impl P2peStrings {
    fn new(token: Option<&str>, ksn: &str, payload: &str, iv: Option<&str>, card_bin: Option<&str>) -> P2peStrings {
        P2peStrings([c_opt(token), Some(c(ksn)), Some(c(payload)), c_opt(iv), c_opt(card_bin)])
    }

    /// The five pointers in argument order, NULL for None.
    fn pointers(&self) -> [*const c_char; 5] {
        self.0.each_ref().map(ptr_or_null)
    }
}

/// Copies a C string the library returned (NULL is None).
pub fn read(ptr: *const c_char) -> Option<String> {
    // SAFETY: the library returns NULL or a NUL-terminated string it keeps
    // alive at least until the next gw call on this thread; we copy it at once.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}

/// `gw_last_error()`, copied ("" when there is none).
pub fn last_error() -> String {
    read(gw_last_error()).unwrap_or_default()
}

/// `gw_last_error_field()`, copied.
pub fn last_error_field() -> Option<String> {
    read(gw_last_error_field())
}

/// `gw_last_error_order_id()` and `gw_last_error_transaction_id()`, copied.
pub fn last_error_ids() -> (Option<String>, Option<String>) {
    (read(gw::ffi::error::gw_last_error_order_id()), read(gw::ffi::error::gw_last_error_transaction_id()))
}

/// `gw_last_error_in_doubt()` as a bool.
pub fn last_error_in_doubt() -> bool {
    gw::ffi::error::gw_last_error_in_doubt() == 1
}

/// A `gw_config`, freed on drop. The setters below assert `GW_OK`; call
/// the C function on `.0` to test a setter's failure.
pub struct CConfig(pub *mut gw_config);

impl CConfig {
    /// An empty configuration (`gw_config_new`).
    pub fn new() -> CConfig {
        CConfig(gw_config_new())
    }

    /// The C twin of [`config`]: `base_url`, `MERCHANT` / `PASSWORD`,
    /// `TIMEOUT`, no retries.
    pub fn for_url(base_url: &str) -> CConfig {
        CConfig::new().base_url(base_url).merchant(MERCHANT).password(PASSWORD).timeout(TIMEOUT).retries(0)
    }

    fn check(&self, status: gw_status) {
        assert_eq!(status, GW_OK, "{}", last_error());
    }

    /// Applies a string setter of the C API, which must succeed.
    fn set_str(self, setter: unsafe extern "C" fn(*mut gw_config, *const c_char) -> gw_status, value: &str) -> CConfig {
        // SAFETY: a live config and a valid C string, which gw copies.
        self.check(unsafe { setter(self.0, c(value).as_ptr()) });
        self
    }

    pub fn base_url(self, url: &str) -> CConfig {
        self.set_str(gw_config_set_base_url, url)
    }

    pub fn merchant(self, merchant: &str) -> CConfig {
        self.set_str(gw_config_set_merchant, merchant)
    }

    pub fn password(self, password: &str) -> CConfig {
        self.set_str(gw_config_set_api_password, password)
    }

    pub fn ca_bundle(self, path: &str) -> CConfig {
        self.set_str(gw_config_set_ca_bundle, path)
    }

    pub fn proxy(self, url: &str) -> CConfig {
        self.set_str(gw_config_set_proxy, url)
    }

    /// Sets both the connect timeout and the call timeout.
    pub fn timeout(self, timeout: Duration) -> CConfig {
        let millis = u32::try_from(timeout.as_millis()).expect("a test timeout fits");
        // SAFETY: a live config.
        self.check(unsafe { gw_config_set_connect_timeout_ms(self.0, millis) });
        // SAFETY: a live config.
        self.check(unsafe { gw_config_set_timeout_ms(self.0, millis) });
        self
    }

    pub fn api_version(self, version: u32) -> CConfig {
        // SAFETY: a live config.
        self.check(unsafe { gw_config_set_api_version(self.0, version) });
        self
    }

    pub fn retries(self, retries: u32) -> CConfig {
        // SAFETY: a live config.
        self.check(unsafe { gw_config_set_retries(self.0, retries) });
        self
    }

    /// `gw_config_set_journal`.
    pub fn journal(self, path: &Path) -> CConfig {
        self.set_str(gw_config_set_journal, path.to_str().expect("a UTF-8 path"))
    }

    /// `gw_config_set_backoff_ms`.
    pub fn backoff(self, first: Duration, max: Duration) -> CConfig {
        let ms = |d: Duration| u32::try_from(d.as_millis()).expect("fits");
        // SAFETY: a live config.
        self.check(unsafe { gw_config_set_backoff_ms(self.0, ms(first), ms(max)) });
        self
    }

    /// Logs at debug level into `log`, which must outlive every client made
    /// from this configuration.
    pub fn unique_card(self) -> CConfig {
        // SAFETY: a live configuration.
        assert_eq!(unsafe { gw_config_set_token_repository_unique_card(self.0, 1) }, GW_OK);
        self
    }

    pub fn log(self, log: &Log) -> CConfig {
        let userdata = log as *const Log as *mut c_void;
        // SAFETY: a live config; `collect` reads `userdata` as the `Log`,
        // which the caller keeps alive.
        self.check(unsafe { gw_config_set_log(self.0, GW_LOG_DEBUG, Some(collect), userdata) });
        self
    }

    /// `gw_client_new`: its status and the client (NULL on failure).
    pub fn try_client(&self) -> (gw_status, CClient) {
        let mut client = ptr::null_mut();
        // SAFETY: a live config and a writable out pointer.
        let status = unsafe { gw_client_new(self.0, &mut client) };
        (status, CClient(client))
    }

    /// `gw_client_new`, which must succeed.
    pub fn client(&self) -> CClient {
        let (status, client) = self.try_client();
        self.check(status);
        client
    }
}

impl Drop for CConfig {
    fn drop(&mut self) {
        // SAFETY: from gw_config_new, freed once.
        unsafe { gw_config_free(self.0) }
    }
}

/// A `gw_client` (or NULL), freed on drop.
pub struct CClient(pub *mut gw_client);

impl CClient {
    /// `gw_create_session`.
    pub fn create_session(&self) -> (gw_status, CResponse) {
        let mut out = ptr::null_mut();
        // SAFETY: a live client (or NULL) and a writable out pointer.
        let status = unsafe { gw_create_session(self.0, &mut out) };
        (status, CResponse(out))
    }

    /// `gw_tokenize_p2pe`; None is passed as NULL.
    pub fn tokenize_p2pe(
        &self,
        token: Option<&str>,
        ksn: &str,
        payload: &str,
        iv: Option<&str>,
        card_bin: Option<&str>,
    ) -> (gw_status, CResponse) {
        let strings = P2peStrings::new(token, ksn, payload, iv, card_bin);
        let [token, ksn, payload, iv, bin] = strings.pointers();
        let mut out = ptr::null_mut();
        // SAFETY: a live client, C strings (or NULL where allowed) alive for
        // the call, and a writable out pointer.
        let status = unsafe { gw_tokenize_p2pe(self.0, token, ksn, payload, iv, bin, &mut out) };
        (status, CResponse(out))
    }

    /// `gw_check_gateway`.
    pub fn check_gateway(&self) -> (gw_status, CResponse) {
        let mut out = ptr::null_mut();
        // SAFETY: a live client (or NULL) and a writable out pointer.
        let status = unsafe { gw_check_gateway(self.0, &mut out) };
        (status, CResponse(out))
    }

    /// `gw_retrieve_token` of `token`.
    pub fn retrieve_token(&self, token: &str) -> (gw_status, CResponse) {
        let mut out = ptr::null_mut();
        // SAFETY: a live client, a C string alive for the call, a writable out pointer.
        let status = unsafe { gw_retrieve_token(self.0, c(token).as_ptr(), &mut out) };
        (status, CResponse(out))
    }

    /// `gw_delete_token` of `token`.
    pub fn delete_token(&self, token: &str) -> (gw_status, CResponse) {
        let mut out = ptr::null_mut();
        // SAFETY: a live client, a C string alive for the call, a writable out pointer.
        let status = unsafe { gw_delete_token(self.0, c(token).as_ptr(), &mut out) };
        (status, CResponse(out))
    }

    /// `gw_retrieve_transaction` of `order_id` / `transaction_id`.
    pub fn retrieve_transaction(&self, order_id: &str, transaction_id: &str) -> (gw_status, CResponse) {
        let mut out = ptr::null_mut();
        // SAFETY: a live client, C strings alive for the call, a writable out pointer.
        let status =
            unsafe { gw_retrieve_transaction(self.0, c(order_id).as_ptr(), c(transaction_id).as_ptr(), &mut out) };
        (status, CResponse(out))
    }

    /// `gw_execute` of `request`.
    pub fn execute(&self, request: &CRequest) -> (gw_status, CResponse) {
        let mut out = ptr::null_mut();
        // SAFETY: a live client and request, and a writable out pointer.
        let status = unsafe { gw_execute(self.0, request.0, &mut out) };
        (status, CResponse(out))
    }
}

impl Drop for CClient {
    fn drop(&mut self) {
        // SAFETY: NULL or from gw_client_new, freed once.
        unsafe { gw_client_free(self.0) }
    }
}

/// A `gw_request` (or NULL), freed on drop.
pub struct CRequest(pub *mut gw_request);

impl CRequest {
    /// `gw_request_new(operation)`, which must succeed.
    pub fn new(operation: &str) -> CRequest {
        let mut request = ptr::null_mut();
        // SAFETY: a valid C string and a writable out pointer.
        let status = unsafe { gw_request_new(c(operation).as_ptr(), &mut request) };
        assert_eq!(status, GW_OK, "{operation}: {}", last_error());
        CRequest(request)
    }

    /// `gw_request_tokenize_p2pe` (None is passed as NULL): its status and
    /// the request, NULL on failure. `*out` starts non-NULL, so a failure
    /// that leaves it set panics here.
    pub fn tokenize_p2pe(
        token: Option<&str>,
        ksn: &str,
        payload: &str,
        iv: Option<&str>,
        card_bin: Option<&str>,
    ) -> (gw_status, CRequest) {
        let strings = P2peStrings::new(token, ksn, payload, iv, card_bin);
        let [token, ksn, payload, iv, bin] = strings.pointers();
        let mut out = ptr::NonNull::<gw_request>::dangling().as_ptr();
        // SAFETY: C strings (or NULL where allowed) alive for the call, and a
        // writable out pointer.
        let status = unsafe { gw_request_tokenize_p2pe(token, ksn, payload, iv, bin, &mut out) };
        assert!(status == GW_OK || out.is_null(), "status {status} left *out set");
        (status, CRequest(out))
    }

    /// `gw_request_pay_p2pe` of `operation` ("PAY", "AUTHORIZE"):
    /// `payment` is (order id, transaction id, amount, currency); the card
    /// is the terminal's KSN and payload. Its status and the request, NULL
    /// on failure.
    pub fn pay_p2pe(operation: &str, payment: [&str; 4], card: &gw_sim::terminal::P2pe) -> (gw_status, CRequest) {
        let [order, transaction, amount, currency] = payment.map(c);
        let iv = card.iv.as_deref().map(c);
        let mut out = ptr::NonNull::<gw_request>::dangling().as_ptr();
        // SAFETY: C strings (or NULL where allowed) alive for the call, and a
        // writable out pointer.
        let status = unsafe {
            gw_request_pay_p2pe(
                c(operation).as_ptr(),
                order.as_ptr(),
                transaction.as_ptr(),
                amount.as_ptr(),
                currency.as_ptr(),
                c(&card.ksn).as_ptr(),
                c(&card.payload).as_ptr(),
                iv.as_ref().map_or(ptr::null(), |iv| iv.as_ptr()),
                ptr::null(),
                &mut out,
            )
        };
        assert!(status == GW_OK || out.is_null(), "status {status} left *out set");
        (status, CRequest(out))
    }

    /// `gw_request_pay_token`: `payment` as for [`CRequest::pay_p2pe`].
    pub fn pay_token(payment: [&str; 4], token: &str) -> (gw_status, CRequest) {
        let [order, transaction, amount, currency] = payment.map(c);
        let mut out = ptr::NonNull::<gw_request>::dangling().as_ptr();
        // SAFETY: C strings alive for the call, and a writable out pointer.
        let status = unsafe {
            gw_request_pay_token(
                order.as_ptr(),
                transaction.as_ptr(),
                amount.as_ptr(),
                currency.as_ptr(),
                c(token).as_ptr(),
                &mut out,
            )
        };
        assert!(status == GW_OK || out.is_null(), "status {status} left *out set");
        (status, CRequest(out))
    }

    /// `gw_request_set`: its status.
    pub fn set(&self, name: &str, value: &str) -> gw_status {
        // SAFETY: a live request and valid C strings, which gw copies.
        unsafe { gw_request_set(self.0, c(name).as_ptr(), c(value).as_ptr()) }
    }
}

impl Drop for CRequest {
    fn drop(&mut self) {
        // SAFETY: NULL or from gw_request_new / gw_request_tokenize_p2pe, freed once.
        unsafe { gw_request_free(self.0) }
    }
}

/// A `gw_response` (or NULL), freed on drop.
pub struct CResponse(pub *mut gw_response);

impl CResponse {
    pub fn is_null(&self) -> bool {
        self.0.is_null()
    }

    /// `gw_response_get`, copied. Only on a live response: on NULL the C
    /// function records an error, which would replace the one under test.
    pub fn get(&self, name: &str) -> Option<String> {
        assert!(!self.is_null(), "no response to read {name} from");
        // SAFETY: a live response and a valid C string.
        read(unsafe { gw_response_get(self.0, c(name).as_ptr()) })
    }

    /// `gw_response_http_status` (0 for NULL).
    pub fn http_status(&self) -> u16 {
        // SAFETY: a live response or NULL.
        unsafe { gw_response_http_status(self.0) }
    }

    /// `gw_response_result`, copied.
    pub fn result(&self) -> Option<String> {
        assert!(!self.is_null(), "no response to read the result from");
        // SAFETY: a live response.
        read(unsafe { gw_response_result(self.0) })
    }

    /// `gw_response_len`.
    pub fn len(&self) -> usize {
        // SAFETY: a live response or NULL.
        unsafe { gw_response_len(self.0) }
    }

    /// `gw_response_field(index)`: the status and the name and value
    /// (copied; None where gw left or reset the out-parameter to NULL).
    /// Both out-parameters start non-NULL, so None shows gw reset them.
    pub fn field(&self, index: usize) -> (gw_status, Option<String>, Option<String>) {
        let (mut name, mut value) = (c"stale".as_ptr(), c"stale".as_ptr());
        // SAFETY: a live response (or NULL) and two writable out pointers.
        let status = unsafe { gw_response_field(self.0, index, &mut name, &mut value) };
        (status, read(name), read(value))
    }
}

impl Drop for CResponse {
    fn drop(&mut self) {
        // SAFETY: NULL or from a gw call, freed once.
        unsafe { gw_response_free(self.0) }
    }
}

/// Builds a request for `operation` from `fields` (each must be accepted)
/// and runs it with `gw_execute`: the status and the response.
pub fn execute_c<N: AsRef<str>, V: AsRef<str>>(
    client: &CClient,
    operation: &str,
    fields: &[(N, V)],
) -> (gw_status, CResponse) {
    let request = CRequest::new(operation);
    for (name, value) in fields {
        let (name, value) = (name.as_ref(), value.as_ref());
        assert_eq!(request.set(name, value), GW_OK, "{operation} {name}: {}", last_error());
    }
    client.execute(&request)
}

/// A C log callback whose userdata is a [`Log`].
///
/// # Safety
/// `userdata` points to a live `Log`; `message` is NUL-terminated.
pub unsafe extern "C" fn collect(userdata: *mut c_void, level: u32, message: *const c_char) {
    // SAFETY: the test passes a `Log` that outlives every client.
    let log = unsafe { &*(userdata as *const Log) };
    // SAFETY: gw passes a valid C string for the duration of the call.
    let message = unsafe { CStr::from_ptr(message) };
    let level = match level {
        GW_LOG_ERROR => LogLevel::Error,
        GW_LOG_WARN => LogLevel::Warn,
        GW_LOG_INFO => LogLevel::Info,
        _ => LogLevel::Debug,
    };
    log.push(level, &message.to_string_lossy());
}

// ---------------------------------------------------------------------------
// C programs.

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory cargo wrote `libgw.so` to: the test binary lives in its `deps/`.
pub fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    assert!(dir.join("libgw.so").exists(), "no libgw.so in {}", dir.display());
    // cargo writes only libgw.so; the loader wants the soname, libgw.so.0.MINOR
    // while the major version is 0 (build.rs). (Unix only: the Windows tests
    // under Wine compile this module too.)
    #[cfg(unix)]
    {
        let (major, minor) = (env!("CARGO_PKG_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MINOR"));
        let abi = if major == "0" { format!("0.{minor}") } else { major.to_owned() };
        let link = dir.join(format!("libgw.so.{abi}"));
        if !link.exists() {
            let _ = std::os::unix::fs::symlink("libgw.so", &link);
        }
    }
    dir
}

/// Compiles `tests/c/<source>` (C99, or C++17 when `cpp`) with `-Wall -Wextra
/// -Werror -pedantic` into an executable linked with `-lgw` (rpath set).
pub fn compile_c(source: &str, cpp: bool) -> PathBuf {
    compile_c_file(&root().join("tests/c").join(source), cpp, &[])
}

/// As [`compile_c`], for any source file (e.g. a generated one), with `extra`
/// compiler arguments (e.g. `-pthread`).
pub fn compile_c_file(source: &Path, cpp: bool, extra: &[&str]) -> PathBuf {
    let lib = library_dir();
    let out_dir = scratch_dir("c-programs");
    let exe = out_dir.join(source.file_stem().unwrap());
    let compiler = cc::Build::new()
        .cpp(cpp)
        .target(env!("GW_BUILD_TARGET"))
        .host(env!("GW_BUILD_HOST"))
        .opt_level(1)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .get_compiler();
    let mut command = compiler.to_command();
    command
        .args([if cpp { "-std=c++17" } else { "-std=c99" }, "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(source)
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lgw")
        .args(extra);
    let output = command.output().expect("run the C compiler");
    assert!(
        output.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    exe
}

// ---------------------------------------------------------------------------
// Files and processes.

/// A fresh directory for one test's files.
pub fn scratch_dir(name: &str) -> PathBuf {
    static SEQUENCE: AtomicU32 = AtomicU32::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "gw-test-{name}-{}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::SeqCst)
    ));
    fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).expect("write a test file");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// A tinyproxy of our own: generated config, free loopback port, foreground
/// (`-d`), killed when dropped.
pub struct Tinyproxy {
    child: Child,
    pub port: u16,
    log_file: PathBuf,
}

impl Tinyproxy {
    /// `None` (after a loud message) only when tinyproxy is not installed.
    pub fn start(dir: &Path, connect_port: u16, credentials: Option<(&str, &str)>) -> Option<Tinyproxy> {
        let binary = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy", "/usr/local/bin/tinyproxy"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .or_else(|| {
                eprintln!("\n*** SKIPPED: tinyproxy is not installed (apt-get install tinyproxy); the proxy path is NOT tested ***\n");
                None
            })?;
        let port = closed_port();
        let log_file = dir.join("tinyproxy.log");
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nConnectPort {connect_port}\nLogLevel Info\nLogFile \"{}\"\nMaxClients 20\n",
            log_file.display()
        );
        if let Some((user, password)) = credentials {
            conf.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf_file = write(dir, "tinyproxy.conf", &conf);
        let child = Command::new(binary)
            .args(["-d", "-c", &conf_file])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy starts");
        let proxy = Tinyproxy { child, port, log_file };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tinyproxy did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(proxy)
    }

    /// `http://[user:password@]127.0.0.1:PORT`.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("http://{user}:{password}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// The CONNECT tunnels tinyproxy has opened so far.
    pub fn tunnels(&self) -> usize {
        self.log().matches("Established connection to host").count()
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_file).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
