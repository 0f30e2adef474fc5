//! gw-sim's request handling, from raw bytes: the HTTP/1.1 reader
//! (`gw_sim::http::Conn::read_request`: request line, headers, Content-Length,
//! `Expect: 100-continue`, keep-alive and pipelining) and the NVP endpoint
//! (`gw_sim::handlers::Gateway::handle`: routing, authentication, fault
//! selection, field rules, sessions, tokens, P2PE decryption).
//!
//! The reader only reads from a socket, so each input is written to a fresh
//! loopback TCP connection (then half-closed) and read back by a `Conn`, in
//! the loop the server's connection thread runs, but without its
//! `catch_unwind`: a handler panic, which the server would turn into a 500
//! SERVER_FAILED, is a crash here.
//!
//! Invariants: no panic; every answer is a well-formed HTTP/1.1 response
//! (status line, clean headers, exact Content-Length); every NVP answer is
//! a valid NVP body that gw itself accepts, with a known `result`, an
//! `error.cause` when it is ERROR, and a status that fits; an HTTP error
//! closes the connection; the configured password is never echoed (unless
//! the request spells it outside `apiPassword`: error.field echoes names).
#![no_main]

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use gw_sim::handlers::{Gateway, Reply};
use gw_sim::http::{self, Conn, Limits, ReadOutcome, Stream};
use gw_sim::SimConfig;
use libfuzzer_sys::fuzz_target;

const MERCHANT: &str = "TESTAB2894354";
const PASSWORD: &str = "fuzz-password-0123";

fn listener() -> &'static TcpListener {
    static L: OnceLock<TcpListener> = OnceLock::new();
    L.get_or_init(|| TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"))
}

/// A connected pair: (client, server side).
fn pair() -> (TcpStream, TcpStream) {
    let l = listener();
    let client = TcpStream::connect(l.local_addr().unwrap()).expect("connect");
    let (server, _) = l.accept().expect("accept");
    // Room for a whole input before anyone reads.
    let _ = socket2::SockRef::from(&client).set_send_buffer_size(1 << 20);
    let _ = socket2::SockRef::from(&server).set_recv_buffer_size(1 << 20);
    (client, server)
}

/// Checks one response as bytes on the wire and as an NVP answer.
/// Whether the request itself spells the password outside `apiPassword`
/// (in a field name, say, which answers may echo by design).
fn password_elsewhere(req: &http::Request) -> bool {
    [gw::nvp::Charset::Latin1, gw::nvp::Charset::Utf8].into_iter().any(|cs| {
        gw::nvp::decode(&req.body, cs).is_ok_and(|pairs| {
            pairs.iter().any(|(n, v)| n.contains(PASSWORD) || (n != "apiPassword" && v.contains(PASSWORD)))
        })
    })
}

fn check_response(resp: &http::Response, why: &str, password_in_request: bool) {
    let bytes = resp.to_bytes();
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{why}: no end of head"));
    let head = std::str::from_utf8(&bytes[..head_end]).unwrap_or_else(|_| panic!("{why}: head not UTF-8"));
    let body = &bytes[head_end + 4..];
    assert_eq!(body, &resp.body[..], "{why}: body bytes");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{why}: status line {status_line:?}");
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{why}: status {status_line:?}"));
    assert!((100..=599).contains(&status), "{why}: status {status}");
    assert_eq!(status, resp.status);
    let mut content_length = None;
    let mut content_type = None;
    for line in lines {
        assert!(!line.contains('\r') && !line.contains('\n'), "{why}: header line {line:?}");
        let (n, v) = line.split_once(": ").unwrap_or_else(|| panic!("{why}: header line {line:?}"));
        assert!(!n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && b != b':'), "{why}: header name {n:?}");
        if n.eq_ignore_ascii_case("Content-Length") {
            assert!(content_length.replace(v.to_owned()).is_none(), "{why}: two Content-Length");
        }
        if n.eq_ignore_ascii_case("Content-Type") {
            content_type = Some(v.to_owned());
        }
    }
    assert_eq!(content_length.as_deref(), Some(body.len().to_string().as_str()), "{why}: Content-Length");

    if content_type.as_deref() == Some(http::NVP_CONTENT_TYPE) {
        assert!(body.is_ascii(), "{why}: NVP body not ASCII");
        gw::nvp::decode(body, gw::nvp::Charset::Utf8).unwrap_or_else(|e| panic!("{why}: NVP body: {e}"));
        let answer = gw::Response::from_http(status, content_type.as_deref(), body, Duration::ZERO)
            .unwrap_or_else(|e| panic!("{why}: gw rejects the sim's answer: {}", e.message()));
        let result = answer.result().unwrap();
        match result {
            "SUCCESS" | "FAILURE" => assert_eq!(status, 200, "{why}: {result} with {status}"),
            "ERROR" => {
                assert!(status >= 400, "{why}: ERROR with {status}");
                assert!(answer.get("error.cause").is_some(), "{why}: ERROR without error.cause");
            }
            other => panic!("{why}: result={other}"),
        }
        for (n, v) in answer.iter() {
            if !password_in_request {
                assert!(!v.contains(PASSWORD), "{why}: {n} echoes the password");
            }
        }
    }
}

fn gateway() -> Gateway {
    let cfg = SimConfig::default().merchant(MERCHANT, PASSWORD);
    // `shutdown` set: the `delay` fault (and any sleep) returns at once.
    Gateway::new(cfg, Arc::new(AtomicBool::new(true)))
}

fuzz_target!(|data: &[u8]| {
    let (mut client, server) = pair();
    server.set_read_timeout(Some(http::POLL)).unwrap();
    server.set_write_timeout(Some(http::POLL)).unwrap();
    client.write_all(data).expect("write the input");
    client.shutdown(Shutdown::Write).unwrap();

    let gw_plain = gateway();
    let gw_cert = gateway();
    let mut conn = Conn::new(Stream::Plain(server), Arc::new(AtomicBool::new(false)), Limits::default());
    loop {
        let req = match conn.read_request() {
            ReadOutcome::Closed => break,
            ReadOutcome::Error(e) => {
                assert!((400..=599).contains(&e.status), "HTTP error status {}", e.status);
                let resp = gw_plain.http_error(&e);
                assert!(resp.close, "an HTTP error must close the connection");
                check_response(&resp, "http_error", false);
                break;
            }
            ReadOutcome::Request(r) => r,
        };
        assert!(!req.path.contains('?'));
        // Password authentication, and certificate authentication (the CN of a
        // verified client certificate names the merchant).
        let mut raw = false;
        for (gwy, cn, why) in [(&gw_plain, None, "handle"), (&gw_cert, Some(MERCHANT), "handle with client CN")] {
            match gwy.handle(&req, cn) {
                Reply::Respond(resp) => check_response(&resp, why, password_elsewhere(&req)),
                Reply::Raw(_) => raw = true,
            }
        }
        if raw || !req.keep_alive {
            break;
        }
    }
    // Close with a reset: no TIME_WAIT left behind per input.
    let _ = socket2::SockRef::from(conn.stream.tcp()).set_linger(Some(Duration::ZERO));
    drop(conn);
    drop(client);
});
