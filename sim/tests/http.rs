//! The HTTP layer: routing, methods, versions, charsets, keep-alive,
//! pipelining, size caps and time limits, and prompt shutdown.

mod common;
use common::*;
use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn versions() {
    let sim = start(config());
    let mut c = Client::connect(sim.addr());
    for v in [39, 50, 61, 100] {
        assert_eq!(c.post_version(v, &base("CREATE_SESSION")).status, 200, "version {v}");
    }
    for v in [1, 38, 101] {
        let r = c.post_version(v, &base("CREATE_SESSION"));
        assert_eq!(r.status, 404);
        let f = r.fields();
        assert_eq!(f["result"], "ERROR");
        assert_eq!(f["error.cause"], "INVALID_REQUEST");
        assert!(f["error.explanation"].contains("39 to 100"));
    }
    let r = c.request("POST", "/api/nvp/version/abc", None, b"").unwrap();
    assert_eq!(r.status, 404);
}

#[test]
fn other_methods_and_paths() {
    let sim = start(config());
    let mut c = Client::connect(sim.addr());
    let r = c.request("GET", "/api/nvp/version/50", None, b"").unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("POST"));
    assert_eq!(r.get("error.cause").as_deref(), Some("INVALID_REQUEST"));
    let r = c.request("POST", "/", None, b"").unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.get("result").as_deref(), Some("ERROR"));
    let r = c.request("DELETE", "/api/rest/version/50/merchant/X", None, b"").unwrap();
    assert_eq!(r.status, 404);
    let r = c.request("POST", "/api/nvp/version/50", Some("application/json"), b"{}").unwrap();
    assert_eq!(r.status, 415);
    // Still the same connection.
    assert_eq!(c.post(&base("CREATE_SESSION")).status, 200);
}

#[test]
fn charsets() {
    let sim = start(config());
    let mut c = Client::connect(sim.addr());
    let body = |cid: &[u8]| {
        let mut b = gw::nvp::encode(&base("CREATE_SESSION")).into_bytes();
        b.extend_from_slice(b"&correlationId=");
        b.extend_from_slice(cid);
        b
    };
    // UTF-8 declared: %C3%A9 is é.
    let r = c
        .request(
            "POST",
            "/api/nvp/version/50",
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            &body(b"caf%C3%A9"),
        )
        .unwrap();
    assert_eq!(r.get("correlationId").as_deref(), Some("café"));
    // No charset: ISO-8859-1, so %E9 is é, and %C3%A9 is two characters.
    let r =
        c.request("POST", "/api/nvp/version/50", Some("application/x-www-form-urlencoded"), &body(b"caf%E9")).unwrap();
    assert_eq!(r.get("correlationId").as_deref(), Some("café"));
    let r = c.request("POST", "/api/nvp/version/50", None, &body(b"caf%C3%A9")).unwrap();
    assert_eq!(r.get("correlationId").as_deref(), Some("cafÃ©"));
    // Invalid UTF-8 under charset=UTF-8.
    let r = c
        .request(
            "POST",
            "/api/nvp/version/50",
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            &body(b"caf%E9"),
        )
        .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.get("error.cause").as_deref(), Some("INVALID_REQUEST"));
    let r = c
        .request("POST", "/api/nvp/version/50", Some("application/x-www-form-urlencoded; charset=koi8-r"), &body(b"x"))
        .unwrap();
    assert_eq!(r.status, 415);
    let r = c.request("POST", "/api/nvp/version/50", None, b"a=%G1").unwrap();
    assert_eq!(r.status, 400);
}

#[test]
fn keep_alive_pipelining_and_connection_close() {
    let sim = start(config());
    let mut c = Client::connect(sim.addr());
    let body = gw::nvp::encode(&base("CREATE_SESSION"));
    let one = format!("POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    c.send_raw(format!("{one}{one}{one}").as_bytes()).unwrap();
    let ids: Vec<String> = (0..3).map(|_| c.read_response().unwrap().get("session.id").unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    // Connection: close is honoured.
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!(
        "POST /api/nvp/version/50 HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    std::io::Write::write_all(&mut s, req.as_bytes()).unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    assert!(all.contains("Connection: close"));
    assert!(all.contains("result=SUCCESS"));
    // HTTP/1.0 closes by default.
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!("POST /api/nvp/version/50 HTTP/1.0\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    std::io::Write::write_all(&mut s, req.as_bytes()).unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    assert!(all.starts_with("HTTP/1.1 200"));
}

#[test]
fn expect_100_continue() {
    let sim = start(config());
    let mut c = Client::connect(sim.addr());
    let body = gw::nvp::encode(&base("CREATE_SESSION"));
    c.send_raw(
        format!("POST /api/nvp/version/50 HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n", body.len())
            .as_bytes(),
    )
    .unwrap();
    let interim = c.read_response().unwrap();
    assert_eq!(interim.status, 100);
    c.send_raw(body.as_bytes()).unwrap();
    assert_eq!(c.read_response().unwrap().status, 200);
}

#[test]
fn malformed_and_oversized_requests() {
    let sim = start(config());
    let send = |raw: &[u8]| {
        let mut s = TcpStream::connect(sim.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = std::io::Write::write_all(&mut s, raw);
        let mut all = Vec::new();
        let _ = s.read_to_end(&mut all);
        String::from_utf8_lossy(&all).to_string()
    };
    assert!(send(b"NONSENSE\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert!(send(b"POST /api/nvp/version/50 HTTP/2.0\r\n\r\n").starts_with("HTTP/1.1 505"));
    assert!(send(b"POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n").starts_with("HTTP/1.1 413"));
    assert!(send(b"POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: x\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert!(send(b"POST /api/nvp/version/50 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        .starts_with("HTTP/1.1 501"));
    let mut huge = b"POST /api/nvp/version/50 HTTP/1.1\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'X', 20_000));
    assert!(send(&huge).starts_with("HTTP/1.1 431"));
    // Every answer is NVP with result=ERROR.
    let r = send(b"NONSENSE\r\n\r\n");
    assert!(r.contains("result=ERROR") && r.contains("error.cause=INVALID_REQUEST"));
}

#[test]
fn slow_requests_time_out() {
    let limits = gw_sim::http::Limits {
        request_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let sim = start(config().limits(limits));
    // Headers begun, never finished: 408.
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    std::io::Write::write_all(&mut s, b"POST /api/nvp/version/50 HTTP/1.1\r\nContent-Le").unwrap();
    let mut all = String::new();
    let _ = s.read_to_string(&mut all);
    assert!(all.starts_with("HTTP/1.1 408"), "{all}");
    // Body promised, never sent: 408.
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    std::io::Write::write_all(&mut s, b"POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: 10\r\n\r\nab").unwrap();
    let mut all = String::new();
    let _ = s.read_to_string(&mut all);
    assert!(all.starts_with("HTTP/1.1 408"), "{all}");
    // Idle keep-alive connection: closed quietly.
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let t = Instant::now();
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    assert!(all.is_empty());
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[test]
fn stop_is_prompt_with_open_connections() {
    let sim = start(config());
    let mut idle: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(sim.addr()).unwrap()).collect();
    let mut c = Client::connect(sim.addr());
    assert_eq!(c.post(&base("CREATE_SESSION")).status, 200);
    let addr = sim.addr();
    let t = Instant::now();
    drop(sim);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    for s in idle.iter_mut() {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut b = [0u8; 8];
        assert!(matches!(s.read(&mut b), Ok(0) | Err(_)));
    }
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[test]
fn too_many_connections_are_refused_with_server_busy() {
    let sim = start(config().max_connections(2));
    let _a = Client::connect(sim.addr());
    let _b = Client::connect(sim.addr());
    std::thread::sleep(Duration::from_millis(100));
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut all = String::new();
    let _ = s.read_to_string(&mut all);
    assert!(all.starts_with("HTTP/1.1 503") && all.contains("SERVER_BUSY"), "{all}");
}

#[test]
fn nul_bytes_are_never_echoed() {
    let sim = start(config());
    for extra in [("\0", "x"), ("correlationId", "a\0b")] {
        let r = post(&sim, &with(base("CREATE_SESSION"), &[extra]));
        let nul = r.pairs().into_iter().any(|(k, v)| k.contains('\0') || v.contains('\0'));
        assert!(!nul, "a NUL in the answer to {extra:?}");
        assert_eq!(r.status, 400, "{:?}", r.fields());
        let answer = gw::Response::from_http(r.status, r.header("content-type"), &r.body, std::time::Duration::ZERO);
        assert!(answer.is_ok(), "gw reads the answer to {extra:?}");
    }
}
