//! An answer that names a field twice is a protocol error, decided once in
//! the core, so C (and everything built on it) cannot read the first
//! `result` where Python reads the last (issue 13, defect 7). gw-sim never
//! sends such an answer, so a loopback server of a few lines does.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use common::{last_error, CConfig};
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
    let (status, response) = CConfig::for_url(base_url).client().create_session();
    let error = if status == 0 { String::new() } else { last_error() };
    (status, error, (!response.is_null()).then(|| response.get("result")).flatten())
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
