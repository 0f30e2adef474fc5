//! The transport through the C ABI: each failure classified by the phase it
//! happened in (resolve, connect, TLS, receive) with its documented status
//! and attempt count; a pooled connection the server closed while idle is
//! not used, and one closed after reading the request is in doubt; an oversized answer keeps its HTTP status; URLs parsed
//! strictly and never echoed with credentials; plain http through a proxy
//! refused; http sent to a TLS port named as such; TLS sessions resumed
//! across the connections of one client and never across clients.
//!
//! Failures are injected by small loopback servers in this file (real
//! sockets) and by gw-sim.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use common::hostile::read_request;
use common::{c, last_error, scratch_dir, sim, sim_config, write, CClient, CConfig, Log, TlsSim};
use gw::config::LogLevel;
use gw::ffi::config::{gw_config_set_base_url, gw_config_set_proxy, gw_config_set_proxy_from_environment};
use gw::ffi::error::gw_last_error_http_status;
use gw::ffi::status::*;

/// A client of `base_url` with `retries`, logging into `log` (which must
/// outlive it).
fn client(base_url: &str, retries: u32, log: &Log) -> CClient {
    CConfig::for_url(base_url).retries(retries).log(log).client()
}

/// CREATE_SESSION: its status, and how many attempts it logged.
fn call(client: &CClient, log: &Log) -> (u32, usize) {
    let attempts =
        || log.lines().iter().filter(|(level, line)| *level == LogLevel::Info && line.contains(" attempt ")).count();
    let before = attempts();
    let (status, _response) = client.create_session();
    (status, attempts() - before)
}

/// CREATE_SESSION on a new client of `base_url` with `retries`.
fn call_once(base_url: &str, retries: u32) -> (u32, usize) {
    let log = Log::default();
    call(&client(base_url, retries, &log), &log)
}

/// `gw_config_set_base_url`'s status.
fn set_base_url(url: &str) -> u32 {
    let config = CConfig::new();
    // SAFETY: a live config and a valid C string.
    unsafe { gw_config_set_base_url(config.0, c(url).as_ptr()) }
}

const ANSWER: &str =
    "merchant=TESTGWMERCHANT&result=SUCCESS&session.id=SESSION0002345678901234567890&session.updateStatus=NO_UPDATE";

fn answer(stream: &mut impl Write, body: &str, close: bool) {
    let connection = if close { "Connection: close\r\n" } else { "" };
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\n{connection}Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes())).unwrap();
    stream.flush().unwrap();
}

/// A loopback server running `serve` on each accepted connection, in turn;
/// counts the connections.
fn server(serve: impl Fn(TcpStream, usize) + Send + 'static) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let n = count.fetch_add(1, Ordering::SeqCst);
            serve(stream, n);
        }
    });
    (format!("127.0.0.1:{port}"), accepted)
}

#[test]
fn an_unresolvable_host_is_a_connect_error_retried_retries_plus_one_times() {
    let (status, attempts) = call_once("https://gw-test.invalid", 2);
    assert_eq!(status, GW_ERR_CONNECT, "{}", last_error());
    assert_eq!(attempts, 3, "{}", last_error());
    assert!(last_error().contains("could not be resolved") && last_error().contains("not sent"), "{}", last_error());
}

#[test]
fn each_phase_has_its_status_and_attempt_count() {
    // Connect: nothing listens.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (status, attempts) = call_once(&format!("http://127.0.0.1:{closed}"), 1);
    assert_eq!((status, attempts), (GW_ERR_CONNECT, 2), "connect: {}", last_error());

    // Connect: the proxy does not answer.
    let log = Log::default();
    let config = CConfig::for_url("https://127.0.0.1:8443").retries(1).log(&log);
    // SAFETY: a live config and a valid C string.
    let status = unsafe { gw_config_set_proxy(config.0, c(&format!("http://127.0.0.1:{closed}")).as_ptr()) };
    assert_eq!(status, GW_OK);
    let (status, attempts) = call(&config.client(), &log);
    assert_eq!((status, attempts), (GW_ERR_CONNECT, 2), "proxy: {}", last_error());
    assert!(last_error().contains("could not connect") && last_error().contains("via proxy"), "{}", last_error());

    // TLS: the server closes during the handshake; nothing was sent, retried.
    let (addr, _) = server(|stream, _| drop(stream));
    let (status, attempts) = call_once(&format!("https://{addr}"), 1);
    assert_eq!((status, attempts), (GW_ERR_CONNECT, 2), "tls: {}", last_error());
    assert!(last_error().contains("TLS handshake") && last_error().contains("not sent"), "{}", last_error());

    // Receive: the server reads the request and closes: in doubt. A
    // CREATE_SESSION has no second effect, so it is made again (the policy
    // table, docs/production.md "Retries"; tests/retry_policy.rs has the
    // TOKENIZE without a token that stays at one attempt).
    let (addr, _) = server(|mut stream, _| {
        read_request(&mut stream);
    });
    let (status, attempts) = call_once(&format!("http://{addr}"), 1);
    assert_eq!((status, attempts), (GW_ERR_IO, 2), "receive: {}", last_error());
    assert!(last_error().contains("may have been processed"), "{}", last_error());

    // Receive: the answer stops half-way.
    let (addr, _) = server(|mut stream, _| {
        read_request(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nresult=SUC");
    });
    let (status, attempts) = call_once(&format!("http://{addr}"), 1);
    assert_eq!((status, attempts), (GW_ERR_IO, 2), "truncated: {}", last_error());
}

#[test]
fn a_pooled_connection_the_server_closed_while_idle_is_not_used() {
    // Each connection answers one request, then the server closes it as idle
    // without saying so (no Connection: close) while the client waits: the
    // peek before the next request finds it closed, and the request goes out
    // on a fresh connection, nothing in doubt, no retry needed.
    let (addr, accepted) = server(|mut stream, _| {
        if read_request(&mut stream).is_some() {
            answer(&mut stream, ANSWER, false);
        }
    });
    let log = Log::default();
    let client = client(&format!("http://{addr}"), 0, &log);
    for n in 1..=3 {
        let (status, attempts) = call(&client, &log);
        assert_eq!((status, attempts), (GW_OK, 1), "idle close, call {n}: {}", last_error());
        thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);

    // The server reads the next request on the pooled connection and closes
    // without answering (issue 17.1): it has the request, so the call is in
    // doubt, and there is no hidden resend: with no retries, one attempt.
    let (addr, accepted) = server(|mut stream, _| {
        if read_request(&mut stream).is_some() {
            answer(&mut stream, ANSWER, false);
            read_request(&mut stream);
        }
    });
    let client = self::client(&format!("http://{addr}"), 0, &log);
    assert_eq!(call(&client, &log), (GW_OK, 1), "{}", last_error());
    let (status, attempts) = call(&client, &log);
    assert_eq!((status, attempts), (GW_ERR_IO, 1), "read and closed: {}", last_error());
    assert!(last_error().contains("may have been processed"), "{}", last_error());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // With retries, CREATE_SESSION (no second effect) is made again through
    // the retry table, and the log shows the attempt.
    let client = self::client(&format!("http://{addr}"), 2, &log);
    assert_eq!(call(&client, &log), (GW_OK, 1), "{}", last_error());
    assert_eq!(call(&client, &log), (GW_OK, 2), "read, closed, retried: {}", last_error());
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[test]
fn an_oversized_answer_keeps_its_http_status() {
    let (addr, _) = server(|mut stream, _| {
        read_request(&mut stream);
        let body = "a".repeat(1024 * 1024 + 10);
        let _ = stream.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
        let _ = stream.write_all(body.as_bytes());
    });
    let (status, attempts) = call_once(&format!("http://{addr}"), 1);
    assert_eq!((status, attempts), (GW_ERR_PROTOCOL, 1), "{}", last_error());
    assert_eq!(gw_last_error_http_status(), 200, "{}", last_error());
}

#[test]
fn urls_are_parsed_strictly_and_credentials_never_echoed() {
    for (url, secret) in [
        ("https://merchant.TEST:Url-Pa55word@gateway.example", "Url-Pa55word"),
        ("https://merchant.TEST:Url-Pa55word@bad host", "Url-Pa55word"),
        ("http://[::1]evil.example.com", "\u{0}"),
        ("https://gateway.example:99999", "\u{0}"),
    ] {
        assert_eq!(set_base_url(url), GW_ERR_CONFIG, "{url} accepted");
        assert!(!last_error().contains(secret), "{url}: {}", last_error());
    }
    let config = CConfig::new();
    for proxy in ["http://user:Pr0xy-Pa55@127.0.0.1:notaport", "http://[::1]evil.example.com:3128"] {
        // SAFETY: a live config and a valid C string.
        assert_eq!(unsafe { gw_config_set_proxy(config.0, c(proxy).as_ptr()) }, GW_ERR_CONFIG, "{proxy}");
        assert!(!last_error().contains("Pr0xy-Pa55"), "{}", last_error());
    }
}

#[test]
fn plain_http_through_a_proxy_is_refused() {
    let config = CConfig::for_url("http://127.0.0.1:8080");
    // SAFETY: a live config and a valid C string.
    assert_eq!(unsafe { gw_config_set_proxy(config.0, c("http://127.0.0.1:3128").as_ptr()) }, GW_OK);
    assert_eq!(config.try_client().0, GW_ERR_CONFIG);
    assert!(last_error().contains("in clear") && last_error().contains("proxy"), "{}", last_error());

    // From the environment too (no other test here reads it).
    std::env::set_var("HTTPS_PROXY", "http://127.0.0.1:3128");
    let config = CConfig::for_url("http://127.0.0.1:8080");
    // SAFETY: a live config.
    assert_eq!(unsafe { gw_config_set_proxy_from_environment(config.0, 1) }, GW_OK);
    let refused = config.try_client().0;
    std::env::remove_var("HTTPS_PROXY");
    assert_eq!(refused, GW_ERR_CONFIG, "{}", last_error());

    // https through the same proxy is fine.
    let config = CConfig::for_url("https://127.0.0.1:8443");
    // SAFETY: a live config and a valid C string.
    assert_eq!(unsafe { gw_config_set_proxy(config.0, c("http://127.0.0.1:3128").as_ptr()) }, GW_OK);
    assert_eq!(config.try_client().0, GW_OK, "{}", last_error());
}

#[test]
fn http_sent_to_a_tls_port_says_the_server_speaks_https() {
    let sim = TlsSim::start("https-port", sim_config());
    let plain = sim.base_url().replace("https://", "http://");
    let (status, attempts) = call_once(&plain, 1);
    assert_eq!(attempts, 1, "{}", last_error());
    assert_eq!(status, GW_ERR_PROTOCOL, "{}", last_error());
    assert!(last_error().contains("seems to speak HTTPS"), "{}", last_error());
}

/// The reverse (issue 18): `https://` to a plain-HTTP port, whose server
/// answers the ClientHello with an HTTP error (as nginx and most servers
/// do); gw says so, nothing was sent, no retry.
#[test]
fn https_sent_to_a_plain_port_says_the_port_does_not_speak_https() {
    let (addr, accepted) = server(|mut stream, _| {
        let _ = stream.read(&mut [0u8; 1024]);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let (status, attempts) = call_once(&format!("https://{addr}"), 1);
    assert_eq!((status, attempts), (GW_ERR_PROTOCOL, 1), "{}", last_error());
    assert!(last_error().contains("does not speak HTTPS") && last_error().contains("not sent"), "{}", last_error());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

/// A TLS server (gw-sim's generated identity) that answers one request per
/// connection and closes it, recording whether each handshake was full or
/// resumed.
fn tls_server(
    versions: &'static [&'static rustls::SupportedProtocolVersion],
) -> (String, String, Arc<Mutex<Vec<String>>>) {
    let identity = gw_sim::pki::ServerIdentity::generate().unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(identity.cert_chain.clone(), identity.key.clone_key())
        .unwrap();
    let config = Arc::new(config);
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let seen = kinds.clone();
    let (addr, _) = server(move |tcp, _| {
        let conn = rustls::ServerConnection::new(config.clone()).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        if read_request(&mut tls).is_some() {
            seen.lock().unwrap().push(format!("{:?}", tls.conn.handshake_kind().unwrap()));
            answer(&mut tls, ANSWER, true);
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    let ca = write(&scratch_dir("resumption"), "ca.pem", &identity.ca_pem.unwrap());
    (format!("https://{addr}"), ca, kinds)
}

#[test]
fn tls_sessions_are_resumed_across_connections_of_one_client_only() {
    static TLS13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    for (name, versions) in [("TLS 1.3", &TLS13[..]), ("TLS 1.2", &TLS12[..])] {
        let (base_url, ca, kinds) = tls_server(versions);
        let first = CConfig::for_url(&base_url).ca_bundle(&ca).client();
        for _ in 0..3 {
            assert_eq!(first.create_session().0, GW_OK, "{name}: {}", last_error());
        }
        let second = CConfig::for_url(&base_url).ca_bundle(&ca).client();
        assert_eq!(second.create_session().0, GW_OK, "{name}: {}", last_error());
        assert_eq!(*kinds.lock().unwrap(), ["Full", "Resumed", "Resumed", "Full"], "{name}");
    }
}

#[test]
fn one_client_makes_many_calls_against_gw_sim() {
    let sim = sim();
    let log = Log::default();
    let client = client(&sim.base_url(), 0, &log);
    for _ in 0..5 {
        assert_eq!(call(&client, &log), (GW_OK, 1), "{}", last_error());
    }
}

/// Debian nginx closing every connection (`keepalive_timeout 0`), TLS 1.2 on
/// one port and TLS 1.3 on another, session cache and tickets on, logging
/// `$ssl_session_reused` per request; killed when dropped.
struct Nginx {
    child: std::process::Child,
    ports: [u16; 2],
    log: std::path::PathBuf,
}

impl Nginx {
    /// `None` (after a loud message) when nginx or openssl is not installed.
    fn start() -> Option<Nginx> {
        use std::process::{Command, Stdio};
        let installed = |path: &str| std::path::Path::new(path).exists();
        if !installed("/usr/sbin/nginx") || !installed("/usr/bin/openssl") {
            eprintln!(
                "\n*** SKIPPED: nginx-light or openssl is not installed; resumption against nginx is NOT tested ***\n"
            );
            return None;
        }
        let dir = scratch_dir("nginx");
        let sh = |script: &str| {
            let status = Command::new("sh").arg("-c").arg(script).current_dir(&dir).stderr(Stdio::null()).status();
            assert!(status.unwrap().success(), "{script}");
        };
        // A CA and a leaf for 127.0.0.1 (webpki refuses a self-signed server certificate).
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
            -days 2 -subj '/CN=gw test CA' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
        sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=127.0.0.1");
        write(&dir, "ext.cnf", "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
        sh("openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile ext.cnf");
        let ports = [common::closed_port(), common::closed_port()];
        let d = dir.display();
        let server = |port: u16, version: &str| {
            format!(
                "server {{ listen 127.0.0.1:{port} ssl; ssl_protocols {version}; location / {{ \
                 default_type application/x-www-form-urlencoded; return 200 \"{ANSWER}\"; }} }}\n"
            )
        };
        let conf = format!(
            "daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{ log_format reused '$ssl_protocol $ssl_session_reused'; access_log {d}/access.log reused;\n\
             client_body_temp_path {d}/body; ssl_certificate {d}/leaf.pem; ssl_certificate_key {d}/leaf.key;\n\
             ssl_session_cache shared:GW:1m; ssl_session_tickets on; keepalive_timeout 0;\n{}{}}}\n",
            server(ports[0], "TLSv1.2"),
            server(ports[1], "TLSv1.3")
        );
        let conf_file = write(&dir, "nginx.conf", &conf);
        let child = Command::new("/usr/sbin/nginx")
            .args(["-c", &conf_file, "-e", &format!("{d}/error.log")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx { child, ports, log: dir.join("access.log") };
        for port in ports {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(std::time::Instant::now() < deadline, "nginx did not listen on {port}");
                thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        Some(nginx)
    }
}

impl Drop for Nginx {
    /// SIGTERM, not SIGKILL: the master then stops its worker, which a
    /// killed master would leave running.
    fn drop(&mut self) {
        // kill(1) on our own child, not yet waited for (so the pid is not reused).
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

#[test]
fn tls_sessions_are_resumed_against_nginx() {
    let Some(nginx) = Nginx::start() else { return };
    let ca = nginx.log.with_file_name("ca.pem").display().to_string();
    for port in nginx.ports {
        let client = CConfig::for_url(&format!("https://127.0.0.1:{port}")).ca_bundle(&ca).client();
        for _ in 0..4 {
            assert_eq!(client.create_session().0, GW_OK, "{}", last_error());
        }
    }
    // nginx writes a request's log line after it has sent the answer, so the
    // last line may not be there yet when the client has its answer: wait
    // (bounded) for all eight.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut log = std::fs::read_to_string(&nginx.log).unwrap_or_default();
    while log.lines().count() < 8 && std::time::Instant::now() < deadline {
        thread::sleep(std::time::Duration::from_millis(20));
        log = std::fs::read_to_string(&nginx.log).unwrap_or_default();
    }
    let lines: Vec<&str> = log.lines().collect();
    // nginx logs "." for a full handshake, "r" for a resumed one.
    assert_eq!(
        lines,
        ["TLSv1.2 .", "TLSv1.2 r", "TLSv1.2 r", "TLSv1.2 r", "TLSv1.3 .", "TLSv1.3 r", "TLSv1.3 r", "TLSv1.3 r"],
        "{log}"
    );
}

/// A base URL near the longest gw accepts (2,048 bytes) still sends its
/// whole request: the head's buffer follows the URL's length (a short URL's
/// head is written on the stack, a long one's on the heap).
#[test]
fn a_long_base_url_sends_its_whole_request() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    let (base, _) = server(move |mut stream, _| {
        if let Some(request) = read_request(&mut stream) {
            kept.lock().unwrap().push(request);
            answer(&mut stream, ANSWER, true);
        }
    });
    for path_len in [8, 1_600, 1_990] {
        let prefix = format!("/{}", "p".repeat(path_len - 1));
        let url = format!("http://{base}{prefix}");
        assert!(url.len() <= 2_048, "{}", url.len());
        assert_eq!(call_once(&url, 0), (GW_OK, 1), "{path_len}: {}", last_error());
        let request = String::from_utf8(seen.lock().unwrap().pop().unwrap()).unwrap();
        assert!(request.starts_with(&format!("POST {prefix}/api/nvp/version/")), "{path_len}");
        assert!(request.contains("apiOperation=CREATE_SESSION"), "{path_len}");
    }
}
