//! An answer that names a field twice is a protocol error, decided once in
//! the core, so C (and everything built on it) cannot read the first
//! `result` where Python reads the last (issue 13, defect 7). gw-sim never
//! sends such an answer, so a loopback server of a few lines does.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::ptr;

use common::{c, last_error, read, MERCHANT, PASSWORD};
use gw::ffi::client::{gw_client, gw_client_free, gw_client_new, gw_create_session};
use gw::ffi::config::*;
use gw::ffi::response::{gw_response, gw_response_free, gw_response_get};
use gw::Kind;

/// Serves one HTTP exchange on 127.0.0.1, answering `body` (an NVP form),
/// and returns the base URL.
fn answer_once(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("request head");
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().expect("Content-Length");
                }
            }
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut request = vec![0; length];
        reader.read_exact(&mut request).expect("request body");
        let answer = format!(
            "HTTP/1.1 201 Created\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        reader.get_mut().write_all(answer.as_bytes()).expect("answer");
    });
    url
}

/// CREATE_SESSION through the C ABI against `base_url`: the status, the
/// last error, and the response's `result` when there is a response.
fn create_session_c(base_url: &str) -> (u32, String, Option<String>) {
    let config = gw_config_new();
    let ok = |status: u32| assert_eq!(status, 0, "configuration: {}", last_error());
    // SAFETY: for this call and each below, `config` is live until freed at the end, and
    // each CString lives for its call.
    ok(unsafe { gw_config_set_base_url(config, c(base_url).as_ptr()) });
    // SAFETY: as above.
    ok(unsafe { gw_config_set_merchant(config, c(MERCHANT).as_ptr()) });
    // SAFETY: as above.
    ok(unsafe { gw_config_set_api_password(config, c(PASSWORD).as_ptr()) });
    // SAFETY: as above.
    ok(unsafe { gw_config_set_retries(config, 0) });
    let mut client: *mut gw_client = ptr::null_mut();
    // SAFETY: a live config, writable storage.
    assert_eq!(unsafe { gw_client_new(config, &mut client) }, 0, "{}", last_error());
    let mut response: *mut gw_response = ptr::null_mut();
    // SAFETY: a live client, writable storage.
    let status = unsafe { gw_create_session(client, &mut response) };
    let error = last_error();
    // SAFETY: `response` is NULL or live; the name a live CString. Read only
    // when there is a response: a NULL one would reset the last error.
    let result =
        (!response.is_null()).then(|| read(unsafe { gw_response_get(response, c"result".as_ptr()) })).flatten();
    // SAFETY: for this call and each below, the handle came from gw and is freed once;
    // NULL is a no-op.
    unsafe { gw_response_free(response) };
    // SAFETY: as above.
    unsafe { gw_client_free(client) };
    // SAFETY: as above.
    unsafe { gw_config_free(config) };
    (status, error, result)
}

#[test]
fn an_answer_with_a_field_twice_is_a_protocol_error_in_c() {
    let twice = [
        ("result=SUCCESS&session.id=SESSION0002&result=ERROR", "result"),
        ("result=ERROR&error.cause=SERVER_FAILED&result=SUCCESS", "result"),
        ("result=SUCCESS&session.id=SESSION0002&session.id=SESSION0003", "session.id"),
    ];
    for (body, field) in twice {
        let (status, error, result) = create_session_c(&answer_once(body));
        assert_eq!(status, Kind::Protocol.status(), "{body}: {error}");
        assert!(error.contains(&format!("the field '{field}' appears twice")), "{body}: {error}");
        assert_eq!(result, None, "{body}: a response was handed out");
    }
    // The same server with each field once: the test's server is sound.
    let (status, error, result) = create_session_c(&answer_once("result=SUCCESS&session.id=SESSION0002"));
    assert_eq!((status, result.as_deref()), (0, Some("SUCCESS")), "{error}");
}
