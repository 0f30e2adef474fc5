//! Which fields are secret is the field-rule table's fact, and every place
//! that shows a field uses it: the debug log through the C ABI's log
//! callback (request and response), and `gw_field_is_sensitive` for the
//! bindings.
//!
//! The gateway returns `session.aes256Key` on CREATE_SESSION; gw-sim does
//! not, so the answer here is the gateway's documented one, served verbatim
//! by a one-shot HTTP server on 127.0.0.1 (the bytes the real gateway sends).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::ptr;
use std::thread;

use common::{c, last_error, sim, terminal_card, CConfig, Log, P2PE, PAN, PASSWORD};
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

fn lines(log: &Log) -> Vec<String> {
    log.lines().into_iter().map(|(_, line)| line).collect()
}

#[test]
fn the_debug_log_never_shows_the_session_key_nor_the_password_length() {
    let (url, server) = one_answer_server();
    let log = Log::default();
    let client = CConfig::for_url(&url).log(&log).client();
    let (status, response) = client.create_session();
    server.join().unwrap();
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("session.aes256Key").as_deref(), Some(AES_KEY), "the caller still reads the key");

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
}

#[test]
fn the_debug_log_of_a_p2pe_tokenize_masks_the_payload() {
    let sim = sim();
    let card = terminal_card();
    let log = Log::default();
    let client = CConfig::for_url(&sim.base_url()).log(&log).client();
    let (status, _response) = client.tokenize_p2pe(None, &card.ksn, &card.payload, None, None);
    assert_eq!(status, GW_OK, "{}", last_error());
    let lines = lines(&log);
    let request = lines.iter().find(|l| l.starts_with("TOKENIZE request: ")).expect("a request line");
    assert!(request.split(' ').any(|w| w == format!("{P2PE}.payload=***")), "{request}");
    assert!(request.contains(&card.ksn), "the KSN is not secret: {request}");
    for line in &lines {
        assert!(!line.contains(&card.payload[..16]) && !line.contains(PAN) && !line.contains(PASSWORD), "{line}");
    }
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
