//! Which fields are secret is the field-rule table's fact, and every place
//! that shows a field uses it: the debug log through the C ABI's log
//! callback (request and response), and `gw_field_is_sensitive` for the
//! bindings.
//!
//! The gateway returns `session.aes256Key` on CREATE_SESSION; gw-sim does
//! not, so the answer here is the gateway's documented one, served verbatim
//! by a one-shot HTTP server on 127.0.0.1 (the bytes the real gateway sends).

mod common;

use std::ffi::{c_char, c_void, CStr};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::ptr;
use std::sync::Mutex;
use std::thread;

use common::{c, last_error, sim, terminal_card, MERCHANT, PAN, PASSWORD};
use gw::ffi::client::{gw_client, gw_client_free, gw_client_new, gw_create_session, gw_tokenize_p2pe};
use gw::ffi::config::*;
use gw::ffi::response::{gw_response, gw_response_free, gw_response_get};
use gw::ffi::rules::gw_field_is_sensitive;
use gw::ffi::status::GW_OK;

/// The CREATE_SESSION answer of the gateway's documentation, with its key.
const AES_KEY: &str = "DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM=";
const ANSWER: &str = "merchant=TESTGWMERCHANT&result=SUCCESS&session.aes256Key=DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM%3D&session.id=SESSION0002411702239G42317712I7&session.updateStatus=NO_UPDATE&session.version=4e9556a901";

/// Serves `ANSWER` to one request and returns the base URL.
fn one_answer_server() -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let answer = format!(
            "HTTP/1.1 201 Created\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ANSWER}",
            ANSWER.len()
        );
        reader.get_mut().write_all(answer.as_bytes()).unwrap();
    });
    (url, server)
}

/// Log lines, collected by the C callback.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);

/// # Safety
/// `userdata` is a live `Log`, `message` a NUL-terminated string.
unsafe extern "C" fn collect(userdata: *mut c_void, _level: u32, message: *const c_char) {
    // SAFETY: the test passes a `Log` that outlives the client.
    let log = unsafe { &*(userdata as *const Log) };
    // SAFETY: gw passes a valid C string for the duration of the call.
    let message = unsafe { CStr::from_ptr(message) };
    log.0.lock().unwrap().push(message.to_string_lossy().into_owned());
}

/// A client at debug level logging into `log`, through the C API.
fn client(base_url: &str, log: &Log) -> *mut gw_client {
    let config = gw_config_new();
    let userdata = log as *const Log as *mut c_void;
    // SAFETY: a live config, valid C strings, and a callback/userdata that
    // outlive the client.
    unsafe {
        assert_eq!(gw_config_set_base_url(config, c(base_url).as_ptr()), GW_OK);
    }
    // SAFETY: as above.
    unsafe {
        assert_eq!(gw_config_set_merchant(config, c(MERCHANT).as_ptr()), GW_OK);
    }
    // SAFETY: as above.
    unsafe {
        assert_eq!(gw_config_set_api_password(config, c(PASSWORD).as_ptr()), GW_OK);
    }
    // SAFETY: as above.
    unsafe {
        assert_eq!(gw_config_set_log(config, GW_LOG_DEBUG, Some(collect), userdata), GW_OK);
    }
    let mut client = ptr::null_mut();
    // SAFETY: a live config and an out pointer.
    let status = unsafe { gw_client_new(config, &mut client) };
    assert_eq!(status, GW_OK, "{}", last_error());
    // SAFETY: the config came from gw_config_new; the client keeps its own copy.
    unsafe { gw_config_free(config) };
    client
}

fn lines(log: &Log) -> Vec<String> {
    log.0.lock().unwrap().clone()
}

#[test]
fn the_debug_log_never_shows_the_session_key_nor_the_password_length() {
    let (url, server) = one_answer_server();
    let log = Log::default();
    let client = client(&url, &log);
    let mut response: *mut gw_response = ptr::null_mut();
    // SAFETY: a live client and an out pointer.
    let status = unsafe { gw_create_session(client, &mut response) };
    server.join().unwrap();
    assert_eq!(status, GW_OK, "{}", last_error());
    // SAFETY: a live response and a C string.
    let key = unsafe { gw_response_get(response, c("session.aes256Key").as_ptr()) };
    assert!(!key.is_null());
    // SAFETY: non-NULL, NUL-terminated, alive until the response is freed.
    let key = unsafe { CStr::from_ptr(key) };
    assert_eq!(key.to_str(), Ok(AES_KEY), "the caller still reads the key itself");

    let lines = lines(&log);
    let request = lines.iter().find(|l| l.starts_with("CREATE_SESSION request: ")).expect("a request line");
    let answer = lines.iter().find(|l| l.starts_with("response: ")).expect("a response line");
    assert!(request.split(' ').any(|w| w == "apiPassword=***"), "{request}");
    assert!(answer.split(' ').any(|w| w == "session.aes256Key=***"), "{answer}");
    assert!(answer.contains("session.id=SESSION0002411702239G42317712I7"), "other fields stay readable: {answer}");
    for line in &lines {
        assert!(!line.contains(&AES_KEY[..12]), "the session key is logged: {line}");
        assert!(!line.contains("DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM%3D"), "{line}");
        assert!(!line.contains(PASSWORD), "{line}");
        assert!(!line.contains("chars)"), "a mask shows a length: {line}");
    }
    // SAFETY: from gw calls, freed once.
    unsafe {
        gw_response_free(response);
    }
    // SAFETY: as above.
    unsafe { gw_client_free(client) };
}

#[test]
fn the_debug_log_of_a_p2pe_tokenize_masks_the_payload() {
    let sim = sim();
    let card = terminal_card();
    let log = Log::default();
    let client = client(&sim.base_url(), &log);
    let mut response: *mut gw_response = ptr::null_mut();
    let (ksn, payload) = (c(&card.ksn), c(&card.payload));
    // SAFETY: a live client, C strings, NULL optionals and an out pointer.
    let status = unsafe {
        gw_tokenize_p2pe(client, ptr::null(), ksn.as_ptr(), payload.as_ptr(), ptr::null(), ptr::null(), &mut response)
    };
    assert_eq!(status, GW_OK, "{}", last_error());
    let lines = lines(&log);
    let request = lines.iter().find(|l| l.starts_with("TOKENIZE request: ")).expect("a request line");
    assert!(request.split(' ').any(|w| w == "sourceOfFunds.provided.card.p2pe.payload=***"), "{request}");
    assert!(request.contains(&card.ksn), "the KSN is not secret: {request}");
    for line in &lines {
        assert!(!line.contains(&card.payload[..16]) && !line.contains(PAN) && !line.contains(PASSWORD), "{line}");
    }
    // SAFETY: from gw calls, freed once.
    unsafe {
        gw_response_free(response);
    }
    // SAFETY: as above.
    unsafe { gw_client_free(client) };
}

#[test]
fn gw_field_is_sensitive_answers_from_the_table() {
    let ask = |name: &str| {
        // SAFETY: a valid C string.
        unsafe { gw_field_is_sensitive(c(name).as_ptr()) }
    };
    for name in ["apiPassword", "session.aes256Key", "sourceOfFunds.provided.card.p2pe.payload"] {
        assert_eq!(ask(name), 1, "{name}");
    }
    for name in ["apiUsername", "merchant", "session.id", "token", "sourceOfFunds.provided.card.p2pe.keySerialNumber"] {
        assert_eq!(ask(name), 0, "{name}");
    }
    // Every row of the table (request, response, authentication) agrees with the Rust API.
    let names = gw::Operation::ALL.iter().flat_map(|op| {
        let requests = op.rules().iter().map(|rule| rule.name);
        requests.chain(op.response_fields().iter().map(|field| field.name))
    });
    for name in names.chain(gw::rules::AUTHENTICATION.iter().map(|field| field.name)) {
        assert_eq!(ask(name) == 1, gw::rules::is_sensitive(name), "{name}");
    }
    // When in doubt, hide: NULL and non-UTF-8 names are sensitive.
    // SAFETY: NULL is allowed.
    let null = unsafe { gw_field_is_sensitive(ptr::null()) };
    // SAFETY: a NUL-terminated byte string.
    let latin1 = unsafe { gw_field_is_sensitive(c"caf\xe9".as_ptr()) };
    assert_eq!((null, latin1), (1, 1));
}
