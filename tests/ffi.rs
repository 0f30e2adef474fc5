//! The C API end to end against gw-sim: sessions, tokens, every status the
//! headline calls can return, and the handling of bad arguments.

mod common;

use std::ffi::c_char;
use std::net::TcpListener;
use std::ptr;

use common::{
    c, closed_port, execute_c, last_error, last_error_field, read, sim, terminal_card, CClient, CConfig, CRequest,
    MERCHANT, PAN, PASSWORD,
};
use gw::ffi::client::{gw_client, gw_client_new, gw_create_session};
use gw::ffi::config::*;
use gw::ffi::request::gw_request_new;
use gw::ffi::response::*;
use gw::ffi::status::*;
use gw::ffi::version::*;

fn client(base_url: &str, password: &str) -> CClient {
    CConfig::for_url(base_url).password(password).client()
}

#[test]
fn create_session_against_the_simulator() {
    let sim = sim();
    let client = client(&sim.base_url(), PASSWORD);
    let (status, response) = client.create_session();
    assert_eq!(status, GW_OK, "{}", last_error());
    let id = response.get("session.id").expect("session.id");
    assert!(id.starts_with("SESSION0002") && id.len() == 31, "{id}");
    assert_eq!(response.get("session.version").map(|v| v.len()), Some(10));
    assert_eq!(response.get("session.updateStatus").as_deref(), Some("NO_UPDATE"));
    assert_eq!(response.get("merchant").as_deref(), Some(MERCHANT));
    assert_eq!(response.result().as_deref(), Some("SUCCESS"));
    assert!((200..300).contains(&response.http_status()));
    let len = response.len();
    assert!(len >= 5);
    let names: Vec<String> = (0..len)
        .map(|i| match response.field(i) {
            (GW_OK, Some(name), Some(_)) => name,
            other => panic!("field {i}: {other:?}"),
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "the gateway sorts its keys");
    let (status, name, value) = response.field(len);
    assert_eq!(status, GW_ERR_OUT_OF_RANGE);
    assert!(name.is_none() && value.is_none(), "outputs are reset, not left dangling");
    assert_eq!(response.get("no.such.field"), None);
}

#[test]
fn tokenize_with_a_generated_and_a_merchant_supplied_token() {
    let sim = sim();
    let client = client(&sim.base_url(), PASSWORD);
    let card = terminal_card();
    let (status, response) =
        client.tokenize_p2pe(None, &card.ksn, &card.payload, card.iv.as_deref(), Some(&card.card_bin));
    assert_eq!(status, GW_OK, "{}", last_error());
    let token = response.get("token").expect("a generated token");
    assert!(!token.is_empty() && token.chars().all(|ch| ch.is_ascii_alphanumeric()), "{token}");
    assert_eq!(response.get("status").as_deref(), Some("VALID"));
    assert_eq!(response.get("sourceOfFunds.provided.card.number").as_deref(), Some("476173xxxxxx0010"));
    assert_eq!(response.get("sourceOfFunds.provided.card.brand").as_deref(), Some("VISA"));

    // The default (RANDOM_WITH_LUHN) repository creates tokens itself: a
    // named token is an update of an existing one.
    let (status, response) = client.tokenize_p2pe(Some(&token), &card.ksn, &card.payload, None, None);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("token").as_deref(), Some(token.as_str()));
    let sim_ms = common::start(common::sim_config().token_strategy(gw_sim::TokenStrategy::MerchantSupplied));
    let merchant_supplied = crate::client(&sim_ms.base_url(), PASSWORD);
    let (status, response) = merchant_supplied.tokenize_p2pe(Some("MYTOKEN0001"), &card.ksn, &card.payload, None, None);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("token").as_deref(), Some("MYTOKEN0001"));
}

#[test]
fn a_local_validation_failure_never_reaches_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let client = client(&format!("http://{}", listener.local_addr().unwrap()), PASSWORD);
    let card = terminal_card();
    let bad_ksn = &card.ksn[..19];
    let (status, response) = client.tokenize_p2pe(None, bad_ksn, &card.payload, None, None);
    assert_eq!(status, GW_ERR_INVALID_FIELD);
    assert!(response.0.is_null());
    assert_eq!(last_error_field().as_deref(), Some("sourceOfFunds.provided.card.p2pe.keySerialNumber"));
    assert!(last_error().contains("exactly 20 hexadecimal digits"), "{}", last_error());
    let (status, _) = client.tokenize_p2pe(Some("not-alnum!"), &card.ksn, &card.payload, None, None);
    assert_eq!(status, GW_ERR_INVALID_FIELD);
    assert_eq!(last_error_field().as_deref(), Some("token"));
    assert!(listener.accept().is_err(), "nothing may connect for a request that failed validation");
}

#[test]
fn execute_validates_the_whole_request() {
    let sim = sim();
    let client = client(&sim.base_url(), PASSWORD);
    let request = CRequest::new("TOKENIZE");
    assert_eq!(request.set("sourceOfFunds.provided.card.p2pe.cardBin", "476173"), GW_OK);
    let (status, response) = client.execute(&request);
    assert_eq!(status, GW_ERR_INVALID_FIELD);
    assert!(response.is_null());
    assert_eq!(last_error_field().as_deref(), Some("sourceOfFunds.provided.card.p2pe.keySerialNumber"));
    for (name, value) in terminal_card().fields() {
        assert_eq!(request.set(&name, &value), GW_OK);
    }
    let (status, _) = client.execute(&request);
    assert_eq!(status, GW_ERR_INVALID_FIELD, "sourceOfFunds.type is required");
    assert_eq!(last_error_field().as_deref(), Some("sourceOfFunds.type"));
    assert_eq!(request.set("sourceOfFunds.type", "CARD"), GW_OK);
    assert_eq!(request.set("correlationId", "till-7/42"), GW_OK);
    let (status, response) = client.execute(&request);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("correlationId").as_deref(), Some("till-7/42"));

    let mut unknown = ptr::null_mut();
    // SAFETY: a valid C string and a writable out pointer.
    assert_eq!(unsafe { gw_request_new(c("DISBURSEMENT").as_ptr(), &mut unknown) }, GW_ERR_INVALID_FIELD);
    assert!(unknown.is_null());
    assert_eq!(last_error_field().as_deref(), Some("apiOperation"));
}

#[test]
fn a_bad_password_is_an_authentication_error_with_the_answer_readable() {
    let sim = sim();
    let client = client(&sim.base_url(), "wrong-password-1234");
    let (status, response) = client.create_session();
    assert_eq!(status, GW_ERR_AUTHENTICATION, "{}", last_error());
    assert_eq!(response.http_status(), 401);
    assert_eq!(response.get("result").as_deref(), Some("ERROR"));
    assert_eq!(response.get("error.cause").as_deref(), Some("INVALID_REQUEST"));
    assert!(!last_error().contains("wrong-password-1234"));
    assert!(last_error().contains("127.0.0.1"), "the message names the host: {}", last_error());
}

#[test]
fn gateway_errors_hand_out_the_response() {
    let sim = sim();
    let client = client(&sim.base_url(), PASSWORD);
    let card = terminal_card();
    // The BIN the terminal gives does not match the encrypted PAN.
    let (status, response) = client.tokenize_p2pe(None, &card.ksn, &card.payload, None, Some("510510"));
    assert_eq!(status, GW_ERR_GATEWAY, "{}", last_error());
    assert_eq!(response.get("result").as_deref(), Some("ERROR"));
    assert_eq!(response.get("error.field").as_deref(), Some("sourceOfFunds.provided.card.p2pe.cardBin"));
    assert_eq!(last_error_field().as_deref(), Some("sourceOfFunds.provided.card.p2pe.cardBin"));
    assert!(!last_error().contains(PAN) && !last_error().contains(&card.payload));
}

#[test]
fn a_closed_port_is_a_connect_error() {
    let port = closed_port();
    let client = client(&format!("http://127.0.0.1:{port}"), PASSWORD);
    let (status, response) = client.create_session();
    assert_eq!(status, GW_ERR_CONNECT, "{}", last_error());
    assert!(response.0.is_null());
    assert!(last_error().contains(&format!("127.0.0.1:{port}")), "{}", last_error());
}

/// NULL, non-UTF-8 and out-of-range arguments of every function are the
/// bad-input matrix's (tests/bad_input_matrix.rs); this is the one case it
/// cannot build: `gw_client_new` on an incomplete configuration.
#[test]
fn client_new_on_an_incomplete_config_resets_out_and_names_what_is_missing() {
    let config = CConfig::new();
    let mut client = std::ptr::NonNull::<gw_client>::dangling().as_ptr();
    // SAFETY: a live config and a writable out-pointer.
    assert_eq!(unsafe { gw_client_new(config.0, &mut client) }, GW_ERR_CONFIG);
    assert!(client.is_null(), "*out is NULL on failure");
    assert!(last_error().contains("base URL"), "{}", last_error());
}

#[test]
fn status_strings_and_version() {
    for status in 0..=GW_ERR_JOURNAL + 5 {
        let text = read(gw_status_str(status)).expect("never NULL");
        assert!(!text.is_empty());
    }
    assert_eq!(read(gw_status_str(GW_OK)).as_deref(), Some("success"));
    assert_eq!(read(gw_status_str(9999)).as_deref(), Some("unknown status"));
    assert_eq!(read(gw_status_name(GW_OK)).as_deref(), Some("GW_OK"));
    assert_eq!(read(gw_status_name(GW_ERR_TIMEOUT)).as_deref(), Some("GW_ERR_TIMEOUT"));
    assert_eq!(read(gw_status_name(GW_GATEWAY_SHUTDOWN)).as_deref(), Some("GW_GATEWAY_SHUTDOWN"));
    assert_eq!(read(gw_status_name(GW_ERR_JOURNAL)).as_deref(), Some("GW_ERR_JOURNAL"));
    assert_eq!(read(gw_status_name(GW_ERR_JOURNAL + 1)), None);
    let version = read(gw_version()).unwrap();
    assert_eq!(version, format!("{GW_VERSION_MAJOR}.{GW_VERSION_MINOR}.{GW_VERSION_PATCH}"));
}

#[test]
fn one_client_shared_by_threads() {
    let sim = sim();
    let client = client(&sim.base_url(), PASSWORD);
    let shared = client.0 as usize;
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let borrowed = CClient(shared as *mut gw_client);
                for _ in 0..5 {
                    let (status, response) = borrowed.create_session();
                    assert_eq!(status, GW_OK, "{}", last_error());
                    assert!(response.get("session.id").is_some());
                }
                std::mem::forget(borrowed);
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn pending_and_unknown_results_have_their_own_status() {
    let sim = sim();
    let client = client(&sim.base_url(), PASSWORD);
    for (fault, expected, name) in
        [("result-pending", GW_PENDING, "GW_PENDING"), ("result-unknown", GW_UNKNOWN_RESULT, "GW_UNKNOWN_RESULT")]
    {
        let (status, response) =
            execute_c(&client, "CREATE_SESSION", &[("correlationId", format!("gw-sim:fault={fault}"))]);
        assert_eq!(status, expected, "{fault}: {}", last_error());
        assert_ne!(status, GW_OK, "a caller that checks only the status never takes it for success");
        assert_eq!(read(gw_status_name(status)).as_deref(), Some(name));
        assert_eq!(response.http_status(), 200);
    }
}

#[test]
fn a_non_nvp_answer_keeps_its_http_status() {
    let sim = sim();
    let client = client(&sim.base_url(), PASSWORD);
    let (status, response) = execute_c(&client, "CREATE_SESSION", &[("correlationId", "gw-sim:fault=http500-html")]);
    assert_eq!(status, GW_ERR_PROTOCOL, "{}", last_error());
    assert!(response.is_null(), "no response for a non-NVP answer");
    assert_eq!(gw::ffi::error::gw_last_error_http_status(), 500);
    assert!(last_error().contains("HTTP 500") && last_error().contains("no 'result' field"), "{}", last_error());
}

/// Issue 13.1: the NULL-tolerant accessors never touch the thread's last
/// error, so the string a caller got from `gw_last_error()` after a failed
/// call stays valid (same pointer, same text) while it reads the NULL
/// response the failure left.
#[test]
fn null_tolerant_accessors_keep_the_last_error() {
    let port = closed_port();
    let client = client(&format!("http://127.0.0.1:{port}"), PASSWORD);
    let (status, response) = client.create_session();
    assert_eq!(status, GW_ERR_CONNECT);
    assert!(response.0.is_null());
    let (message, field) = (gw::ffi::error::gw_last_error(), gw::ffi::error::gw_last_error_field());
    let text = read(message).unwrap();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    // SAFETY: NULL is documented as accepted by each accessor and free (so below).
    assert_eq!(unsafe { gw_response_http_status(response.0) }, 0);
    // SAFETY: as above.
    assert!(unsafe { gw_response_get(response.0, c("result").as_ptr()) }.is_null());
    // SAFETY: as above.
    assert!(unsafe { gw_response_get(response.0, ptr::null()) }.is_null());
    // SAFETY: as above.
    assert!(unsafe { gw_response_result(response.0) }.is_null());
    // SAFETY: as above.
    assert_eq!(unsafe { gw_response_len(response.0) }, 0);
    // SAFETY: as above.
    assert_eq!(unsafe { gw_response_duration_ms(response.0) }, 0);
    // SAFETY: as above.
    unsafe { gw_response_free(ptr::null_mut()) };
    let _ = (gw_status_str(status), gw_status_name(status), gw_version());
    let _ = gw::ffi::error::gw_last_error_http_status();
    assert_eq!(gw::ffi::error::gw_last_error(), message, "the pointer the caller holds stays the last error");
    assert_eq!(read(message).as_deref(), Some(text.as_str()), "and its text is unchanged");
    assert_eq!(gw::ffi::error::gw_last_error_field(), field);
}

/// Issue 13.9: every out-parameter is reset to NULL on entry, before any
/// other argument is checked (also when the handle argument is NULL).
#[test]
fn out_parameters_are_reset_whatever_fails() {
    let dangling = |_: ()| std::ptr::NonNull::<c_char>::dangling().as_ptr() as *const c_char;
    let (mut name, mut value) = (dangling(()), dangling(()));
    // SAFETY: a NULL response and writable outputs.
    assert_eq!(unsafe { gw_response_field(ptr::null(), 0, &mut name, &mut value) }, GW_ERR_NULL_ARGUMENT);
    assert!(name.is_null() && value.is_null(), "reset although response is NULL");
    value = dangling(());
    // SAFETY: as above.
    assert_eq!(unsafe { gw_response_field(ptr::null(), 0, ptr::null_mut(), &mut value) }, GW_ERR_NULL_ARGUMENT);
    assert!(value.is_null(), "reset although name is NULL");
}

/// The log callback's test state: counts, and the nested call's outcome.
#[derive(Default)]
struct Nested {
    client: usize,
    depth: u32,
    calls: u32,
    last_error_seen: String,
    nested_status: Option<u32>,
    nested_session: Option<String>,
}

unsafe extern "C" fn nesting_callback(userdata: *mut std::ffi::c_void, _level: u32, _message: *const c_char) {
    // SAFETY: userdata is the test's `Nested`, used by this thread only.
    let state = unsafe { &mut *(userdata as *mut Nested) };
    state.calls += 1;
    state.last_error_seen = last_error();
    if state.depth == 0 && state.nested_status.is_none() {
        state.depth += 1;
        let mut out = ptr::null_mut();
        // SAFETY: the client outlives the outer call that is logging.
        let status = unsafe { gw_create_session(state.client as *const gw_client, &mut out) };
        let response = common::CResponse(out);
        state.nested_status = Some(status);
        state.nested_session = response.get("session.id");
        state.depth -= 1;
    }
}

/// Issue 13.8 (header half): a log callback may read the last error and
/// make a nested call on the same client; both work.
#[test]
fn a_log_callback_may_read_the_last_error_and_call_the_same_client() {
    let sim = sim();
    let mut state = Box::new(Nested::default());
    let config = CConfig::for_url(&sim.base_url());
    let userdata = &mut *state as *mut Nested as *mut std::ffi::c_void;
    // SAFETY: a live config; the callback's userdata outlives the client.
    assert_eq!(unsafe { gw_config_set_log(config.0, GW_LOG_INFO, Some(nesting_callback), userdata) }, GW_OK);
    let client = config.client();
    state.client = client.0 as usize;
    // A failed call first, so the callback has a last error to read.
    let mut request = ptr::null_mut();
    // SAFETY: a valid string and out-pointer.
    assert_eq!(unsafe { gw_request_new(c("DISBURSEMENT").as_ptr(), &mut request) }, GW_ERR_INVALID_FIELD);
    let before = last_error();
    let (status, response) = client.create_session();
    assert_eq!(status, GW_OK, "{}", last_error());
    assert!(response.get("session.id").is_some());
    assert!(state.calls >= 2, "the callback ran for the outer and the nested call");
    assert_eq!(state.last_error_seen, before, "the callback read this thread's last error");
    assert_eq!(state.nested_status, Some(GW_OK), "the nested call on the same client succeeded");
    assert_ne!(state.nested_session, response.get("session.id"), "two sessions");
}
