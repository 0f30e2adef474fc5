//! The server: a listener thread accepting connections, one thread per
//! connection (plain or TLS), the raw-socket faults, and `Sim`, the
//! in-process handle that starts and stops it all.

use crate::config::{SimConfig, TlsSetup};
use crate::handlers::{Gateway, RawFault, Reply};
use crate::http::{Conn, Limits, ReadOutcome, Response, Stream, NVP_CONTENT_TYPE, POLL};
use crate::pki::{self, ServerIdentity};
use crate::{faults, rng};
use rustls::ServerConfig;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Why the simulator could not start.
#[derive(Debug)]
pub enum SimError {
    /// Binding or configuring the listening socket failed.
    Io(io::Error),
    /// Certificates or TLS configuration.
    Tls(String),
    /// An inconsistent configuration.
    Config(String),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::Io(e) => write!(f, "listening socket: {e}"),
            SimError::Tls(e) => write!(f, "TLS: {e}"),
            SimError::Config(e) => write!(f, "configuration: {e}"),
        }
    }
}

impl std::error::Error for SimError {}

impl From<io::Error> for SimError {
    fn from(e: io::Error) -> Self {
        SimError::Io(e)
    }
}

impl From<pki::PkiError> for SimError {
    fn from(e: pki::PkiError) -> Self {
        SimError::Tls(e.0)
    }
}

struct Shared {
    shutdown: Arc<AtomicBool>,
    gateway: Gateway,
    tls: Option<Arc<ServerConfig>>,
    /// Certificate authentication: every client presents a certificate.
    client_auth: bool,
    limits: Limits,
    max_connections: usize,
    connections: Mutex<Vec<JoinHandle<()>>>,
    /// TCP connections accepted so far (for tests: nothing on the wire).
    accepted: AtomicU64,
    /// HTTP requests read so far, well-formed or not.
    requests: AtomicU64,
}

/// A running simulator. Dropping it stops it.
pub struct Sim {
    addr: SocketAddr,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Sim {
    /// Binds `cfg.listen` (127.0.0.1:0 by default) and starts serving.
    pub fn start(cfg: SimConfig) -> Result<Sim, SimError> {
        if cfg.client_ca_pem.is_some() && cfg.tls == TlsSetup::Off {
            return Err(SimError::Config("certificate authentication needs TLS".into()));
        }
        if !["NONE", "BASIC", "ACQUIRER"].contains(&cfg.default_verification) {
            return Err(SimError::Config("the default verification strategy must be NONE, BASIC or ACQUIRER".into()));
        }
        let identity = match &cfg.tls {
            TlsSetup::Off => None,
            TlsSetup::Generated => Some(ServerIdentity::generate()?),
            TlsSetup::Pem { cert_chain, key } => Some(ServerIdentity::from_pem(cert_chain, key)?),
        };
        let tls = match &identity {
            Some(id) => Some(pki::server_config(id, cfg.client_ca_pem.as_deref())?),
            None => None,
        };
        let ca_pem = identity.and_then(|i| i.ca_pem);
        let listener = TcpListener::bind(cfg.listen)?;
        let addr = listener.local_addr()?;
        let shutdown = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            shutdown: shutdown.clone(),
            tls,
            client_auth: cfg.client_ca_pem.is_some(),
            limits: cfg.limits,
            max_connections: cfg.max_connections,
            connections: Mutex::new(Vec::new()),
            accepted: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            gateway: Gateway::new(cfg, shutdown),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::Builder::new().name("gw-sim-accept".into()).spawn(move || accept_loop(listener, shared))?
        };
        Ok(Sim { addr, ca_pem, shared, acceptor: Some(acceptor) })
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        let scheme = if self.shared.tls.is_some() { "https" } else { "http" };
        let host = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        format!("{scheme}://{host}:{}", self.addr.port())
    }

    /// The generated CA certificate (PEM) to trust, when TLS is generated.
    pub fn ca_cert_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// The number of tokens stored so far.
    pub fn token_count(&self) -> usize {
        self.shared.gateway.repository().len()
    }

    /// The ledger (every merchant's orders and transactions).
    pub fn ledger(&self) -> &crate::ledger::Ledger {
        self.shared.gateway.ledger()
    }

    /// The seeded chaos schedule: `set(Some(chaos))` starts one (counts from
    /// zero), `set(None)` stops it; `json()` is `GET /chaos.json`.
    pub fn chaos(&self) -> &crate::chaos::ChaosState {
        self.shared.gateway.chaos()
    }

    /// The last requests as the inspector shows them (values masked), newest first.
    pub fn requests(&self) -> Vec<crate::inspector::Entry> {
        self.shared.gateway.inspector().entries()
    }

    /// The number of TCP connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// The number of HTTP requests read so far (malformed ones included).
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Blocks until the simulator is stopped from elsewhere (for the CLI).
    pub fn wait(mut self) {
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }

    /// Stops accepting, closes every connection (also silent and delayed
    /// ones) and joins all threads.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            // Wake the blocking accept().
            let wake = match self.addr.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), self.addr.port()),
                IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), self.addr.port()),
                _ => self.addr,
            };
            let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
            let _ = acceptor.join();
        }
        let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.shared.connections));
        for h in handles {
            let _ = h.join();
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(mut listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let incoming = listener.accept();
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let tcp = match incoming {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of descriptors or similar: back off briefly.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if let Some(pause) = shared.gateway.chaos().refuse_connection() {
            match refuse_for(listener, tcp, pause, &shared) {
                Some(l) => listener = l,
                None => break,
            }
            continue;
        }
        let mut conns = lock(&shared.connections);
        conns.retain(|h| !h.is_finished());
        if conns.len() >= shared.max_connections {
            drop(conns);
            refuse(&shared, tcp);
            continue;
        }
        let s = shared.clone();
        match std::thread::Builder::new().name("gw-sim-conn".into()).spawn(move || serve_connection(&s, tcp)) {
            Ok(h) => conns.push(h),
            Err(_) => {
                drop(conns);
                // The stream moved into the failed closure is already closed.
            }
        }
    }
}

/// The chaos schedule's `refuse`: the connection just accepted is reset
/// unread (SO_LINGER 0), and gw-sim stops listening for `pause` — meanwhile
/// connecting is refused (ECONNREFUSED) — then listens again on the same
/// address. `None` when the server stopped meanwhile.
fn refuse_for(listener: TcpListener, tcp: TcpStream, pause: Duration, shared: &Shared) -> Option<TcpListener> {
    let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
    drop(tcp);
    let addr = listener.local_addr().ok()?;
    drop(listener);
    let end = Instant::now() + pause;
    loop {
        if shared.shutdown.load(Ordering::SeqCst) {
            return None;
        }
        if Instant::now() >= end {
            // The port is ours again at once (std sets SO_REUSEADDR); should
            // another process have taken it, keep trying until stopped.
            if let Ok(l) = TcpListener::bind(addr) {
                return Some(l);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn refuse(shared: &Shared, tcp: TcpStream) {
    let _ = tcp.set_write_timeout(Some(POLL));
    if shared.tls.is_none() {
        let bytes = shared.gateway.too_many_connections().to_bytes();
        let _ = io::Write::write_all(&mut &tcp, &bytes);
    }
}

fn serve_connection(shared: &Shared, tcp: TcpStream) {
    let _ = tcp.set_nodelay(true);
    if tcp.set_read_timeout(Some(POLL)).is_err() || tcp.set_write_timeout(Some(POLL)).is_err() {
        return;
    }
    let (stream, client_cn) = match &shared.tls {
        None => (Stream::Plain(tcp), None),
        Some(cfg) => match tls_handshake(shared, cfg, tcp) {
            Some(s) => s,
            None => return,
        },
    };
    let mut conn = Conn::new(stream, shared.shutdown.clone(), shared.limits);
    loop {
        let outcome = conn.read_request();
        if !matches!(outcome, ReadOutcome::Closed) {
            shared.requests.fetch_add(1, Ordering::SeqCst);
        }
        let req = match outcome {
            ReadOutcome::Closed => break,
            ReadOutcome::Error(e) => {
                let _ = conn.write_all(&shared.gateway.http_error(&e).to_bytes());
                break;
            }
            ReadOutcome::Request(r) => r,
        };
        let reply = catch_unwind(AssertUnwindSafe(|| shared.gateway.handle(&req, client_cn.as_deref())))
            .unwrap_or_else(|_| Reply::Respond(shared.gateway.internal_error()));
        match reply {
            Reply::Respond(mut resp) => {
                resp.close |= !req.keep_alive;
                if conn.write_all(&resp.to_bytes()).is_err() || resp.close {
                    break;
                }
            }
            Reply::Raw(fault) => {
                raw_fault(&mut conn, fault);
                return;
            }
        }
    }
    close_gracefully(conn);
}

/// Completes the TLS handshake; `None` when it fails (the alert is sent by
/// rustls), times out, or the server stops.
fn tls_handshake(shared: &Shared, cfg: &Arc<ServerConfig>, mut tcp: TcpStream) -> Option<(Stream, Option<String>)> {
    let mut tls = rustls::ServerConnection::new(cfg.clone()).ok()?;
    let deadline = Instant::now() + shared.limits.request_timeout;
    while tls.is_handshaking() {
        if shared.shutdown.load(Ordering::SeqCst) || Instant::now() > deadline {
            return None;
        }
        match tls.complete_io(&mut tcp) {
            Ok((0, 0)) if tls.is_handshaking() => {
                // The peer closed mid-handshake.
                if !tls.wants_read() {
                    return None;
                }
            }
            Ok(_) => {}
            Err(e) if is_transient(&e) => {}
            Err(_) => {
                linger_after_refusal(&mut tcp);
                return None;
            }
        }
    }
    let cn = tls.peer_certificates().and_then(|c| c.first()).and_then(|c| pki::subject_common_name(c));
    if shared.client_auth && cn.is_none() {
        return None;
    }
    Some((Stream::Tls(Box::new(rustls::StreamOwned::new(tls, tcp))), cn))
}

/// A read that found nothing yet (timeout tick) rather than a dead peer.
fn is_transient(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
}

/// After a refused handshake (the alert is sent): stop sending, then read
/// and drop what the client still sends for up to a second before closing.
/// Under TLS 1.3 a client whose certificate is refused has already sent its
/// request; closing with that unread would reset the connection and the
/// client would see "broken pipe" instead of the alert.
fn linger_after_refusal(tcp: &mut TcpStream) {
    let _ = tcp.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 4096];
    while Instant::now() < deadline {
        match tcp.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if is_transient(&e) => {}
            Err(_) => break,
        }
    }
}

fn close_gracefully(mut conn: Conn) {
    if let Stream::Tls(s) = &mut conn.stream {
        s.conn.send_close_notify();
        let _ = s.conn.write_tls(&mut s.sock);
    }
    let _ = conn.stream.tcp().shutdown(std::net::Shutdown::Write);
}

/// A plausible start of an answer, for the faults that break it off.
fn partial_answer() -> Vec<u8> {
    b"merchant=GWSIM&result=SUCCESS&session.id=SESSION0002".to_vec()
}

fn raw_fault(conn: &mut Conn, fault: RawFault) {
    match fault {
        RawFault::Reset => {
            let body = partial_answer();
            let head = Response::nvp(200, String::new()).head(body.len() as u64 * 4);
            let _ = conn.write_all(&head);
            let _ = conn.write_all(&body[..body.len() / 2]);
            // Let the bytes leave before the reset discards the send queue.
            std::thread::sleep(Duration::from_millis(50));
            let _ = socket2::SockRef::from(conn.stream.tcp()).set_linger(Some(Duration::ZERO));
            // Dropping the connection now closes with RST (no close_notify).
        }
        RawFault::Truncate => {
            let body = partial_answer();
            let head = Response::nvp(200, String::new()).head(body.len() as u64 + 1000);
            let _ = conn.write_all(&head);
            let _ = conn.write_all(&body);
            let _ = conn.stream.tcp().shutdown(std::net::Shutdown::Write);
        }
        RawFault::Oversize => {
            let head = Response::nvp(200, String::new()).head(faults::OVERSIZE_BYTES);
            if conn.write_all(&head).is_err() {
                return;
            }
            let mut chunk = b"result=SUCCESS&padding=".to_vec();
            chunk.resize(64 * 1024, b'A');
            let mut sent = 0u64;
            while sent < faults::OVERSIZE_BYTES {
                let n = (faults::OVERSIZE_BYTES - sent).min(chunk.len() as u64) as usize;
                if conn.write_all(&chunk[..n]).is_err() {
                    return;
                }
                sent += n as u64;
                if sent == chunk.len() as u64 {
                    chunk[..23].fill(b'A');
                }
            }
        }
        RawFault::Garbage => {
            let mut body = vec![0u8; 512];
            rng::fill(&mut body);
            body[0] = 0x00;
            body[1] = 0xFF;
            for b in body.iter_mut() {
                if *b == b'=' || *b == b'&' {
                    *b = 0xFE;
                }
            }
            let resp =
                Response { status: 200, content_type: NVP_CONTENT_TYPE, extra_headers: Vec::new(), body, close: true };
            let _ = conn.write_all(&resp.to_bytes());
        }
        RawFault::Silent(max) => conn.hold_silently(max),
    }
}
