//! Every fault, per request (correlationId) and per run (SimConfig::fault).

mod common;
use common::*;
use gw_sim::Fault;
use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn fault_request(name: &str) -> Vec<(String, String)> {
    with(base("CREATE_SESSION"), &[("correlationId", &format!("gw-sim:fault={name}"))])
}

/// Sends one request on a raw socket and reads until EOF or error.
fn raw_exchange(sim: &gw_sim::Sim, fields: &[(String, String)]) -> (Vec<u8>, Option<std::io::Error>) {
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = gw::nvp::encode(fields);
    let req = format!(
        "POST /api/nvp/version/50 HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    std::io::Write::write_all(&mut s, req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(e)),
        }
    }
}

fn declared_length(resp: &[u8]) -> (usize, usize) {
    let head_end = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("headers") + 4;
    let head = String::from_utf8_lossy(&resp[..head_end]).to_ascii_lowercase();
    let len = head.lines().find_map(|l| l.strip_prefix("content-length:")).map(|v| v.trim().parse().unwrap()).unwrap();
    (len, resp.len() - head_end)
}

#[test]
fn delay() {
    let sim = start(config());
    let t = Instant::now();
    let r = post(&sim, &fault_request("delay,ms=300"));
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.get("result").as_deref(), Some("SUCCESS"));
    assert_eq!(r.get("correlationId").as_deref(), Some("gw-sim:fault=delay,ms=300"));
}

#[test]
fn http500_html() {
    let sim = start(config());
    let mut c = Client::connect(sim.addr());
    let r = c.post(&fault_request("http500-html"));
    assert_eq!(r.status, 500);
    assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
    assert!(String::from_utf8_lossy(&r.body).contains("<html>"));
    // The connection is still usable.
    assert_eq!(c.post(&base("CREATE_SESSION")).status, 200);
}

#[test]
fn server_busy_and_failed() {
    let sim = start(config());
    let r = post(&sim, &fault_request("server-busy"));
    assert_eq!(r.status, 503);
    let f = r.fields();
    assert_eq!(f["result"], "ERROR");
    assert_eq!(f["error.cause"], "SERVER_BUSY");
    assert!(f.contains_key("error.explanation"));
    let r = post(&sim, &fault_request("server-failed"));
    assert_eq!(r.status, 500);
    let f = r.fields();
    assert_eq!(f["error.cause"], "SERVER_FAILED");
    assert!(f["error.supportCode"].starts_with("GWSIM"));
}

/// tokenize.nvp-v50.txt:880-882 (REQUEST_REJECTED), :896 (no explanation), :914 (support code).
#[test]
fn request_rejected() {
    let sim = start(config());
    let r = post(&sim, &fault_request("request-rejected"));
    assert_eq!(r.status, 403);
    let f = r.fields();
    assert_eq!(f["result"], "ERROR");
    assert_eq!(f["error.cause"], "REQUEST_REJECTED");
    assert!(f["error.supportCode"].starts_with("GWSIM"));
    assert!(!f.contains_key("error.explanation") && !f.contains_key("error.field"), "{f:?}");
}

#[test]
fn reset_mid_response() {
    let sim = start(config());
    let (bytes, err) = raw_exchange(&sim, &fault_request("reset"));
    match err {
        Some(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        None => {
            let (declared, got) = declared_length(&bytes);
            assert!(got < declared);
        }
    }
}

#[test]
fn truncated_body() {
    let sim = start(config());
    let (bytes, err) = raw_exchange(&sim, &fault_request("truncate"));
    assert!(err.is_none(), "{err:?}");
    let (declared, got) = declared_length(&bytes);
    assert!(got > 0 && got < declared, "{got} of {declared}");
}

#[test]
fn oversize_body() {
    let sim = start(config());
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = gw::nvp::encode(&fault_request("oversize"));
    let req = format!("POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    std::io::Write::write_all(&mut s, req.as_bytes()).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut got = Vec::new();
    while got.windows(4).position(|w| w == b"\r\n\r\n").is_none() {
        let n = s.read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    let (declared, _) = declared_length(&got);
    assert_eq!(declared, 64 * 1024 * 1024);
    // Read 4 MiB of it, then hang up: the server must not mind.
    let mut total = got.len();
    while total < 4 << 20 {
        total += s.read(&mut buf).unwrap();
    }
    drop(s);
    assert_eq!(post(&sim, &base("CREATE_SESSION")).status, 200);
}

#[test]
fn garbage_body() {
    let sim = start(config());
    let mut c = Client::connect(sim.addr());
    let r = c.post(&fault_request("garbage"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 512);
    assert!(!r.body.contains(&b'='));
    assert!(std::str::from_utf8(&r.body).is_err());
}

#[test]
fn silent_never_answers_and_does_not_block_stop() {
    let sim = start(config());
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(600))).unwrap();
    let body = gw::nvp::encode(&fault_request("silent"));
    let req = format!("POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    std::io::Write::write_all(&mut s, req.as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let e = s.read(&mut buf).unwrap_err();
    assert!(matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
    // Other clients are served meanwhile.
    assert_eq!(post(&sim, &base("CREATE_SESSION")).status, 200);
    let t = Instant::now();
    sim.stop();
    assert!(t.elapsed() < Duration::from_secs(2), "stop took {:?}", t.elapsed());
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    assert!(matches!(s.read(&mut buf), Ok(0) | Err(_)));
}

#[test]
fn silent_with_a_limit_closes() {
    let sim = start(config());
    let (bytes, _) = raw_exchange(&sim, &fault_request("silent,ms=200"));
    assert!(bytes.is_empty());
}

#[test]
fn busy_then_ok_per_correlation_id() {
    let sim = start(config());
    let f = fault_request("busy-then-ok=2,tag=t1");
    let mut c = Client::connect(sim.addr());
    assert_eq!(c.post(&f).status, 503);
    assert_eq!(c.post(&f).status, 503);
    let r = c.post(&f);
    assert_eq!(r.status, 200);
    assert_eq!(r.get("result").as_deref(), Some("SUCCESS"));
    // Another correlation id has its own count.
    assert_eq!(c.post(&fault_request("busy-then-ok=1,tag=t2")).status, 503);
}

#[test]
fn per_run_faults() {
    let sim = start(config().fault(Fault::BusyThenOk(2)));
    assert_eq!(post(&sim, &base("CREATE_SESSION")).status, 503);
    assert_eq!(post(&sim, &base("CREATE_SESSION")).status, 503);
    assert_eq!(post(&sim, &base("CREATE_SESSION")).status, 200);
    let sim = start(config().fault(Fault::ServerBusy));
    for _ in 0..3 {
        assert_eq!(post(&sim, &base("CREATE_SESSION")).get("error.cause").as_deref(), Some("SERVER_BUSY"));
    }
    let sim = start(config().fault(Fault::Truncate));
    let (bytes, _) = raw_exchange(&sim, &base("CREATE_SESSION"));
    let (declared, got) = declared_length(&bytes);
    assert!(got < declared);
    // A per-request fault overrides the per-run one.
    let sim = start(config().fault(Fault::ServerBusy));
    assert_eq!(post(&sim, &fault_request("delay,ms=1")).status, 200);
}

#[test]
fn unknown_fault_names_are_a_field_error() {
    let sim = start(config());
    let r = post(&sim, &fault_request("explode"));
    assert_field_error(&r, 400, "correlationId", "INVALID");
}
