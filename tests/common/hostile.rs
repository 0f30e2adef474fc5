//! A hostile gateway on 127.0.0.1 (issue 17): real sockets, plain HTTP or
//! TLS (a CA and leaf from gw-sim's pki; the CA file is handed to gw with
//! `gw_config_set_ca_bundle`), optionally behind a CONNECT proxy of its own.
//! It answers like the gateway (`result=SUCCESS&session.id=…` or
//! `result=SUCCESS&token=…`) unless its [`Mode`] says otherwise, and counts
//! the complete requests (head and body) it has read: the one figure that
//! shows whether gw sent a TOKENIZE without a token twice.
//!
//! The renegotiating modes (TLS 1.2 HelloRequest, which rustls' server never
//! sends) are served by `openssl s_server` instead, driven through its
//! input and output; the modes that need TLS records rustls' server API
//! does not make (a ticket flood, a late alert) write them with the
//! connection's own traffic key.
//!
//! Kept plain: a request is read up to `\r\n\r\n` and its Content-Length,
//! nothing more is parsed. Every connection has a thread of its own; the
//! slow and flooding modes stop when the server is dropped (or after a
//! minute), so that a client which does not give up is released too.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use rustls::{ServerConnection, StreamOwned};

use super::{scratch_dir, write, CConfig};

/// When a server that misbehaves after reading a request does so, by the
/// index of the request among all it has read (0 = the first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Every request, each on a fresh connection (gw reconnects after one).
    Always,
    /// The first request only: a retry on a fresh connection is answered.
    Once,
    /// Request 0 is answered (the connection goes back to gw's pool); every
    /// request after it is not.
    Pooled,
    /// Request 0 is answered; request 1, the next call's on the pooled
    /// connection, is not; the rest are.
    PooledOnce,
}

impl When {
    fn applies(self, index: usize) -> bool {
        match self {
            When::Always => true,
            When::Once => index == 0,
            When::Pooled => index >= 1,
            When::PooledOnce => index == 1,
        }
    }

    /// The first call is answered and its connection pooled: the call under
    /// test is the second one.
    pub fn pooled(self) -> bool {
        matches!(self, When::Pooled | When::PooledOnce)
    }
}

/// What the hostile server (or its proxy) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Answers every request like the gateway (keep-alive).
    Normal,
    /// Reads the request, then closes without answering.
    Close(When),
    /// Reads the request, then resets the connection (SO_LINGER 0).
    Reset(When),
    /// Resets every connection as soon as it is accepted.
    ResetOnAccept,
    /// Answers request 0, then closes the idle connection.
    IdleClose,
    /// Answers request 0, then resets the idle connection.
    IdleReset,
    /// TLS: answers request 0, then ends the idle connection as a load
    /// balancer does, a TLS close_notify and the close.
    IdleCloseNotify,
    /// Answers request 0, then sends an unsolicited `408 Request Timeout` on
    /// the idle connection, and closes it (`close`) or keeps it open.
    Unsolicited { close: bool },
    /// TLS: reads the ClientHello, sends a handshake record header, then
    /// one byte every 100 ms.
    TrickleHandshake,
    /// The proxy answers CONNECT with a status line, then one header byte
    /// every 100 ms.
    TrickleConnect,
    /// A status line, then one header byte every 100 ms.
    TrickleHead,
    /// A complete head (Content-Length 1000), then one body byte every 100 ms.
    TrickleBody,
    /// TLS: after reading the request, an application-data record of random
    /// bytes (it cannot be decrypted).
    CorruptRecord,
    /// The proxy answers CONNECT with a status line and a header line that
    /// never ends, as fast as gw reads.
    ProxyFlood,
    /// The proxy resets the connection as soon as it is accepted.
    ProxyResetOnAccept,
    /// The proxy reads the CONNECT request, then resets the connection.
    ProxyResetAfterConnect,
    /// A chunked answer with this raw text after the head (bad sizes).
    BadChunks(&'static str),
    /// Content-Length covers the answer, but a forged second answer follows
    /// it in the same write.
    ShortContentLength,
    /// A well-formed chunked answer.
    Chunked,
    /// An `HTTP/1.0` answer without Content-Length, ended by the close (over
    /// TLS by close_notify, then the close: a whole answer).
    Http10,
    /// TLS: the same answer cut in the middle of its body by a TCP close
    /// without close_notify, what anyone dropping packets between till and
    /// gateway can make of it (issue 24).
    Http10Cut,
    /// A keep-alive answer of exactly one full TLS record (16 KiB, which is
    /// also gw's read buffer), and in the same write a second, unsolicited
    /// answer (issue 24: over TLS it stayed inside rustls).
    FullRecordUnsolicited,
    /// TLS 1.2 (`openssl s_server`): answers request 0, then asks for a
    /// renegotiation (HelloRequest) on the idle connection.
    RenegotiateIdle,
    /// TLS 1.2 (`openssl s_server`): a HelloRequest in the middle of the
    /// answer to request 0.
    RenegotiateMidAnswer,
    /// TLS 1.3: answers request 0, then sends session tickets on the idle
    /// connection without end.
    TicketFlood,
    /// TLS 1.3: answers request 0; the next request on that connection (the
    /// pooled one's) gets a fatal `handshake_failure` alert instead of an
    /// answer, long after the handshake; requests on fresh connections are
    /// answered.
    AlertPooled,
    /// `100 Continue`, then the answer.
    Continue100,
    /// `103 Early Hints` with a header, then the answer.
    EarlyHints,
    /// The answer with `Connection: close`, and the close.
    ConnectionClose,
    /// An answer head of 2 MiB of header lines.
    OversizedHead,
}

impl Mode {
    /// Whether the mode is the proxy's (the gateway behind it is normal).
    pub fn is_proxy(self) -> bool {
        matches!(
            self,
            Mode::TrickleConnect | Mode::ProxyFlood | Mode::ProxyResetOnAccept | Mode::ProxyResetAfterConnect
        )
    }

    /// Whether the mode needs TLS (its misbehaviour is a TLS record).
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            Mode::TrickleHandshake
                | Mode::CorruptRecord
                | Mode::IdleCloseNotify
                | Mode::Http10Cut
                | Mode::RenegotiateIdle
                | Mode::RenegotiateMidAnswer
                | Mode::TicketFlood
                | Mode::AlertPooled
        )
    }

    /// Whether the server is `openssl s_server` (TLS 1.2 renegotiation).
    pub fn renegotiates(self) -> bool {
        matches!(self, Mode::RenegotiateIdle | Mode::RenegotiateMidAnswer)
    }

    /// Whether the call under test follows a first call that is answered
    /// and leaves its connection in the pool.
    pub fn two_calls(self) -> bool {
        match self {
            Mode::Close(when) | Mode::Reset(when) => when.pooled(),
            Mode::ShortContentLength | Mode::FullRecordUnsolicited | Mode::RenegotiateMidAnswer | Mode::AlertPooled => {
                true
            }
            mode => mode.is_idle(),
        }
    }

    /// Whether the mode acts on the idle pooled connection after answering
    /// request 0.
    pub fn is_idle(self) -> bool {
        matches!(
            self,
            Mode::IdleClose
                | Mode::IdleReset
                | Mode::IdleCloseNotify
                | Mode::Unsolicited { .. }
                | Mode::RenegotiateIdle
                | Mode::TicketFlood
        )
    }
}

/// The session id of the answer to request `index` (a forged answer uses
/// [`FORGED_SESSION`]).
pub fn session_id(index: usize) -> String {
    format!("SESSION0002{index:020}")
}

/// The session id in the bytes that follow a short Content-Length.
pub const FORGED_SESSION: &str = "SESSION0002LEFTOVERFROMTHELASTONE";

/// The `session.aes256Key` of every session answer: a secret in an answer,
/// for the memory scan (tests/c/memory_scan.c). Base64 without `+`, `/` or
/// `=`, so that it reads the same encoded and decoded.
pub const SESSION_KEY: &str = "Q2xlYXJseU5vdEFSZWFsS2V5QnV0U2hhcGVkTGlrZU9uZQ";

/// The gateway's answer to `request`, the `index`th the server read: a
/// token for a TOKENIZE, a session otherwise.
fn answer_body(request: &[u8], index: usize) -> String {
    if contains(request, b"apiOperation=TOKENIZE") {
        format!("result=SUCCESS&status=VALID&token=9{index:015}")
    } else {
        format!(
            "merchant=TESTGWMERCHANT&result=SUCCESS&session.aes256Key={SESSION_KEY}&session.id={}&session.updateStatus=NO_UPDATE",
            session_id(index)
        )
    }
}

/// A forged second answer, sent after the one asked for: its session id is
/// [`FORGED_SESSION`], its token `9999999999999999`.
fn forged_answer() -> String {
    let forged = format!("merchant=TESTGWMERCHANT&result=SUCCESS&session.id={FORGED_SESSION}&token=9999999999999999");
    format!("{}{forged}", ok_head(forged.len()))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

const CONTENT_TYPE: &str = "Content-Type: application/x-www-form-urlencoded;charset=UTF-8\r\n";

fn ok_head(length: usize) -> String {
    format!("HTTP/1.1 200 OK\r\n{CONTENT_TYPE}Content-Length: {length}\r\n\r\n")
}

/// One full TLS record's plaintext.
const FULL_RECORD: usize = 16 * 1024;

/// How long a slow or flooding mode goes on at most, if never stopped.
const LONGEST: Duration = Duration::from_secs(60);
/// How long a server thread waits for a client's next bytes.
const IDLE_READ: Duration = Duration::from_secs(30);
/// A slow mode's pace.
const TRICKLE: Duration = Duration::from_millis(100);

/// What the server's threads share with the test.
#[derive(Default)]
struct Shared {
    /// Complete requests read.
    requests: AtomicUsize,
    /// Connections accepted by the server (not the proxy).
    connections: AtomicUsize,
    /// Set by `drop`: slow and flooding modes stop, the accept loops end.
    stop: AtomicBool,
    /// The idle action (close, reset, 408) has been taken.
    idle_done: AtomicBool,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// The TLS identity every hostile server uses (generated once: key
/// generation is the slow part).
struct Identity {
    config: Arc<rustls::ServerConfig>,
    /// The same with secret extraction on, for [`Mode::TicketFlood`], which
    /// writes its records itself.
    extracting: Arc<rustls::ServerConfig>,
    /// The CA's PEM file, for gw.
    ca_file: String,
    /// The leaf certificate and its key, DER files, for `openssl s_server`.
    cert_der: String,
    key_der: String,
}

fn identity() -> &'static Identity {
    static IDENTITY: OnceLock<Identity> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let identity = gw_sim::pki::ServerIdentity::generate().expect("a server identity");
        let config = gw_sim::pki::server_config(&identity, None).expect("a TLS server configuration");
        let mut extracting = (*config).clone();
        extracting.enable_secret_extraction = true;
        let dir = scratch_dir("hostile");
        let ca_file = write(&dir, "ca.pem", identity.ca_pem.as_deref().expect("a generated CA"));
        let (cert_der, key_der) = (dir.join("leaf.der"), dir.join("key.der"));
        std::fs::write(&cert_der, &identity.cert_chain[0]).expect("write the leaf");
        std::fs::write(&key_der, identity.key.secret_der()).expect("write the key");
        let path = |path: std::path::PathBuf| path.to_str().expect("UTF-8 path").to_owned();
        Identity { config, extracting: Arc::new(extracting), ca_file, cert_der: path(cert_der), key_der: path(key_der) }
    })
}

/// A running hostile server (and proxy), stopped when dropped.
pub struct Hostile {
    pub mode: Mode,
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub base_url: String,
    /// The CA file to trust, for TLS.
    pub ca_file: Option<String>,
    /// `http://127.0.0.1:PORT` of the proxy, when there is one.
    pub proxy_url: Option<String>,
    shared: Arc<Shared>,
    listeners: Vec<SocketAddr>,
    /// `openssl s_server`, for the renegotiating modes.
    openssl: Option<Child>,
}

impl Hostile {
    /// A server in `mode`, over TLS when `tls`, behind a CONNECT proxy of its
    /// own when `proxied` (which then misbehaves instead when the mode is
    /// the proxy's).
    pub fn start(mode: Mode, tls: bool, proxied: bool) -> Hostile {
        let shared = Arc::new(Shared::default());
        let server_mode = if mode.is_proxy() { Mode::Normal } else { mode };
        let tls_config = tls.then(|| {
            let identity = identity();
            if matches!(mode, Mode::TicketFlood | Mode::AlertPooled) {
                identity.extracting.clone()
            } else {
                identity.config.clone()
            }
        });
        let (server, openssl) = if mode.renegotiates() {
            assert!(tls, "{mode:?} is TLS 1.2");
            let (server, child) = renegotiating_server(mode, shared.clone());
            (server, Some(child))
        } else {
            (listen(shared.clone(), move |tcp, shared| serve(tcp, server_mode, tls_config.clone(), &shared)), None)
        };
        let scheme = if tls { "https" } else { "http" };
        let mut hostile = Hostile {
            mode,
            base_url: format!("{scheme}://{server}"),
            ca_file: tls.then(|| identity().ca_file.clone()),
            proxy_url: None,
            shared: shared.clone(),
            listeners: if openssl.is_some() { vec![] } else { vec![server] },
            openssl,
        };
        if proxied {
            let proxy = listen(shared, move |tcp, shared| proxy(tcp, server, mode, &shared));
            hostile.proxy_url = Some(format!("http://{proxy}"));
            hostile.listeners.push(proxy);
        }
        hostile
    }

    /// Complete requests the server has read so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Connections the server has accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// A flag that stops the slow and flooding modes, for a test that gives
    /// up on a call which does not end.
    pub fn stopper(&self) -> impl Fn() + Send + 'static {
        let shared = self.shared.clone();
        move || shared.stop.store(true, Ordering::SeqCst)
    }

    /// Waits (at most 5 s) until an idle mode has closed, reset or written
    /// to the pooled connection, and a little more for that to reach gw.
    pub fn wait_for_idle_action(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.shared.idle_done.load(Ordering::SeqCst) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(self.shared.idle_done.load(Ordering::SeqCst), "{:?}: the idle action was not taken", self.mode);
        thread::sleep(Duration::from_millis(100));
    }

    /// A C configuration for this server: [`CConfig::for_url`], its CA and
    /// its proxy.
    pub fn config(&self) -> CConfig {
        let mut config = CConfig::for_url(&self.base_url);
        if let Some(ca_file) = &self.ca_file {
            config = config.ca_bundle(ca_file);
        }
        if let Some(proxy) = &self.proxy_url {
            config = config.proxy(proxy);
        }
        config
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loops, which then see the stop.
        for addr in &self.listeners {
            let _ = TcpStream::connect_timeout(addr, Duration::from_secs(1));
        }
        if let Some(mut child) = self.openssl.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A TLS 1.2 server that renegotiates: `openssl s_server` (rustls' server
/// side never sends HelloRequest), which prints what it receives and sends
/// what it is given on its input, where a line `R` asks the client to
/// renegotiate. It serves one connection at a time. Its port, and the
/// process (killed when the [`Hostile`] is dropped).
fn renegotiating_server(mode: Mode, shared: Arc<Shared>) -> (SocketAddr, Child) {
    let identity = identity();
    let mut child = Command::new("openssl")
        .args(["s_server", "-accept", "127.0.0.1:0", "-tls1_2", "-certform", "DER", "-keyform", "DER"])
        .args(["-cert", &identity.cert_der, "-key", &identity.key_der])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts (scripts/setup.sh test installs openssl)");
    let (mut output, input) = (child.stdout.take().expect("its output"), child.stdin.take().expect("its input"));
    // It says `ACCEPT 127.0.0.1:PORT` once it listens.
    let mut said = Vec::new();
    let addr = loop {
        let mut byte = [0u8; 1];
        assert_eq!(output.read(&mut byte).ok(), Some(1), "openssl s_server ended before it listened");
        said.push(byte[0]);
        let text = String::from_utf8_lossy(&said);
        if let Some(line) = text.lines().find(|line| line.starts_with("ACCEPT ")).filter(|_| text.ends_with('\n')) {
            break line["ACCEPT ".len()..].trim().parse().expect("ACCEPT host:port");
        }
    };
    thread::spawn(move || answer_through_openssl(output, input, mode, &shared));
    (addr, child)
}

/// Reads the requests `openssl s_server` prints and gives it the answers,
/// with the HelloRequest of `mode` (s_server takes one read of its input as
/// one command or one piece of data).
fn answer_through_openssl(mut output: impl Read, mut input: impl Write, mode: Mode, shared: &Shared) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        while let Some((request, end)) = whole_request(&seen) {
            seen.drain(..end);
            let index = shared.requests.fetch_add(1, Ordering::SeqCst);
            let body = answer_body(&request, index);
            let answer = format!("{}{body}", ok_head(body.len()));
            // The pieces s_server gets, each in a read of its own (hence the
            // pauses). Mid-answer, the HelloRequest (`R`) goes between two
            // pieces cut before a '&': a piece beginning with certain
            // letters would be one of s_server's commands.
            let pieces: Vec<&[u8]> = if mode == Mode::RenegotiateMidAnswer && index == 0 {
                let (first, rest) = answer.split_at(answer.rfind('&').expect("two fields"));
                vec![first.as_bytes(), b"R\n", rest.as_bytes()]
            } else {
                vec![answer.as_bytes()]
            };
            for (at, piece) in pieces.into_iter().enumerate() {
                if at > 0 {
                    thread::sleep(Duration::from_millis(50));
                }
                if input.write_all(piece).is_err() {
                    return;
                }
            }
            if mode == Mode::RenegotiateIdle && index == 0 {
                thread::sleep(Duration::from_millis(100));
                if input.write_all(b"R\n").is_err() {
                    return;
                }
                shared.idle_done.store(true, Ordering::SeqCst);
            }
        }
        match output.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// The first whole request (`POST` head and its Content-Length body) in
/// what s_server printed, and where it ends; its own lines around the
/// connections are skipped.
fn whole_request(seen: &[u8]) -> Option<(Vec<u8>, usize)> {
    let start = seen.windows(5).position(|window| window == b"POST ")?;
    let head_len = seen[start..].windows(4).position(|window| window == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&seen[start..start + head_len]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |value| value.trim().parse().unwrap_or(0));
    let end = start + head_len + length;
    (seen.len() >= end).then(|| (seen[start..end].to_vec(), end))
}

/// The server's side of `tls` from here on, records made by hand: its
/// traffic key (secret extraction is on in [`Identity::extracting`]) and
/// the next sequence number. For records rustls' server API never sends.
struct HandMade {
    encrypter: Box<dyn rustls::crypto::cipher::MessageEncrypter>,
    sequence: u64,
}

impl HandMade {
    fn take_over(tls: ServerConnection) -> Option<HandMade> {
        use rustls::{ConnectionTrafficSecrets as S, SupportedCipherSuite};
        let suite = tls.negotiated_cipher_suite()?;
        let secrets = tls.dangerous_extract_secrets().ok()?;
        let (sequence, (key, iv)) = match secrets.tx {
            (sequence, S::Aes128Gcm { key, iv } | S::Aes256Gcm { key, iv } | S::Chacha20Poly1305 { key, iv }) => {
                (sequence, (key, iv))
            }
            _ => return None,
        };
        let encrypter = match suite {
            SupportedCipherSuite::Tls13(suite) => suite.aead_alg.encrypter(key, iv),
            SupportedCipherSuite::Tls12(_) => return None,
        };
        Some(HandMade { encrypter, sequence })
    }

    /// One record of type `typ` holding `payload`, encrypted.
    fn record(&mut self, typ: rustls::ContentType, payload: &[u8]) -> Vec<u8> {
        use rustls::crypto::cipher::{OutboundChunks, OutboundPlainMessage};
        let plain = OutboundPlainMessage {
            typ,
            version: rustls::ProtocolVersion::TLSv1_2,
            payload: OutboundChunks::Single(payload),
        };
        let record = self.encrypter.encrypt(plain, self.sequence).expect("a record encrypts");
        self.sequence += 1;
        record.encode()
    }
}

/// Sends TLS 1.3 session tickets on the idle connection until gw goes away
/// (or the server stops): rustls' server sends tickets only at the end of a
/// handshake.
fn flood_tickets(tls: ServerConnection, mut tcp: TcpStream, shared: &Shared) {
    let Some(mut hand) = HandMade::take_over(tls) else { return };
    // NewSessionTicket: lifetime 3600 s, an age offset, a one-byte nonce,
    // 32 bytes of ticket, no extension.
    let mut ticket = vec![4, 0, 0, 46, 0, 0, 0x0e, 0x10, 1, 2, 3, 4, 1, 0, 0, 32];
    ticket.extend([7u8; 32]);
    ticket.extend([0, 0]);
    let started = Instant::now();
    while !shared.stopped() && started.elapsed() < LONGEST {
        let mut burst = Vec::new();
        for _ in 0..64 {
            ticket[13] = hand.sequence as u8;
            burst.extend(hand.record(rustls::ContentType::Handshake, &ticket));
        }
        if tcp.write_all(&burst).is_err() {
            return;
        }
        shared.idle_done.store(true, Ordering::SeqCst);
    }
}

/// Sends a fatal `handshake_failure` alert, long after the handshake, and
/// closes: a failure of a pooled connection, not a refused handshake.
fn late_alert(tls: ServerConnection, mut tcp: TcpStream) {
    let Some(mut hand) = HandMade::take_over(tls) else { return };
    let _ = tcp.write_all(&hand.record(rustls::ContentType::Alert, &[2, 40]));
    // Let gw read it before the close.
    let _ = tcp.read(&mut [0u8; 256]);
}

/// A loopback listener running `handle` on each connection in a thread of
/// its own, until the server stops.
fn listen(shared: Arc<Shared>, handle: impl Fn(TcpStream, Arc<Shared>) + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    let handle = Arc::new(handle);
    thread::spawn(move || {
        for tcp in listener.incoming() {
            if shared.stopped() {
                break;
            }
            let Ok(tcp) = tcp else { continue };
            let _ = tcp.set_read_timeout(Some(IDLE_READ));
            let _ = tcp.set_nodelay(true);
            let (handle, shared) = (handle.clone(), shared.clone());
            thread::spawn(move || handle(tcp, shared));
        }
    });
    addr
}

/// Resets `tcp`: SO_LINGER 0, then the close sends RST instead of FIN.
pub fn reset(tcp: TcpStream) {
    let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
    drop(tcp);
}

/// Reads one request, head and Content-Length body, a byte at a time (so
/// that nothing after it is consumed); `None` at EOF or on an error.
pub fn read_request(stream: &mut impl Read) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => data.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&data).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |value| value.trim().parse().unwrap_or(0));
    let start = data.len();
    data.resize(start + length, 0);
    stream.read_exact(&mut data[start..]).ok()?;
    Some(data)
}

/// Writes `first`, then `byte` every 100 ms until the server stops or the
/// peer goes away.
fn trickle(stream: &mut impl Write, first: &[u8], byte: u8, shared: &Shared) {
    let started = Instant::now();
    if stream.write_all(first).and_then(|()| stream.flush()).is_err() {
        return;
    }
    while !shared.stopped() && started.elapsed() < LONGEST {
        thread::sleep(TRICKLE);
        if stream.write_all(&[byte]).and_then(|()| stream.flush()).is_err() {
            return;
        }
    }
}

/// A socket for rustls on the server's side whose writes never raise
/// SIGPIPE: std's `write` is a `send` with MSG_NOSIGNAL, but its
/// `write_vectored` (which rustls uses) is a `writev`, which raises it when
/// gw has gone; this server runs in the test's process, where SIGPIPE is at
/// its default, so that signal would be the server's, not gw's.
struct Socket(TcpStream);

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The server's side of a connection: plain, or TLS over it.
enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, Socket>>),
}

impl Conn {
    fn tcp(&mut self) -> &mut TcpStream {
        match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(tls) => &mut tls.sock.0,
        }
    }

    fn into_tcp(self) -> TcpStream {
        match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(tls) => tls.sock.0,
        }
    }
}

impl Conn {
    /// Writes `bytes` in one system call (over TLS, as records), so that
    /// they arrive together, as one write of a server does.
    fn write_at_once(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.write_all(bytes),
            Conn::Tls(tls) => {
                tls.conn.writer().write_all(bytes)?;
                let mut records = Vec::new();
                while tls.conn.wants_write() {
                    tls.conn.write_tls(&mut records)?;
                }
                tls.sock.0.write_all(&records)
            }
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            Conn::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(tls) => tls.flush(),
        }
    }
}

/// Serves one connection in `mode`.
fn serve(tcp: TcpStream, mode: Mode, tls: Option<Arc<rustls::ServerConfig>>, shared: &Shared) {
    shared.connections.fetch_add(1, Ordering::SeqCst);
    if mode == Mode::ResetOnAccept {
        return reset(tcp);
    }
    let mut conn = match tls {
        // After the ClientHello (a TLS server never speaks first: bytes
        // before it would be a proxy's stray bytes, refused as such), a
        // handshake record of 16 KiB announced, then a byte at a time:
        // finishing it would take 27 minutes.
        Some(_) if mode == Mode::TrickleHandshake => {
            let mut tcp = tcp;
            if !matches!(tcp.read(&mut [0u8; 4096]), Ok(1..)) {
                return;
            }
            return trickle(&mut tcp, &[0x16, 0x03, 0x03, 0x40, 0x00], 0x00, shared);
        }
        Some(config) => {
            let Ok(tls) = ServerConnection::new(config) else { return };
            Conn::Tls(Box::new(StreamOwned::new(tls, Socket(tcp))))
        }
        None => Conn::Plain(tcp),
    };
    let mut served_on_this_connection = 0;
    while let Some(request) = read_request(&mut conn) {
        let index = shared.requests.fetch_add(1, Ordering::SeqCst);
        served_on_this_connection += 1;
        let body = answer_body(&request, index);
        let written = match mode {
            Mode::Close(when) if when.applies(index) => return,
            Mode::Reset(when) if when.applies(index) => return reset(conn.into_tcp()),
            Mode::TrickleHead => {
                return trickle(&mut conn, b"HTTP/1.1 200 OK\r\nX-Slow: ", b'a', shared);
            }
            Mode::TrickleBody => {
                let head = format!("HTTP/1.1 200 OK\r\n{CONTENT_TYPE}Content-Length: 1000\r\n\r\nresult=SUCCESS");
                return trickle(&mut conn, head.as_bytes(), b'a', shared);
            }
            Mode::AlertPooled if served_on_this_connection == 2 => {
                if let Conn::Tls(tls) = conn {
                    let StreamOwned { conn: tls, sock: Socket(tcp) } = *tls;
                    late_alert(tls, tcp);
                }
                return;
            }
            Mode::CorruptRecord => {
                let mut record = vec![0x17, 0x03, 0x03, 0x00, 0x40];
                record.extend((0..64u8).map(|i| i.wrapping_mul(97).wrapping_add(index as u8)));
                let tcp = conn.tcp();
                let _ = tcp.write_all(&record);
                // Let gw read it (and send its alert) before the close.
                let _ = tcp.read(&mut [0u8; 256]);
                return;
            }
            Mode::BadChunks(chunks) => {
                let head = format!("HTTP/1.1 200 OK\r\n{CONTENT_TYPE}Transfer-Encoding: chunked\r\n\r\n");
                let _ = conn.write_all(format!("{head}{chunks}").as_bytes());
                let _ = conn.flush();
                return;
            }
            Mode::ShortContentLength => {
                conn.write_all(format!("{}{body}{}", ok_head(body.len()), forged_answer()).as_bytes())
            }
            Mode::FullRecordUnsolicited => {
                // Padded so that head and body fill one TLS record exactly.
                let unpadded = format!("X-Padding: \r\n{}{body}", ok_head(body.len()));
                let padding = "p".repeat(FULL_RECORD - unpadded.len());
                let head = ok_head(body.len()).replacen("\r\n", &format!("\r\nX-Padding: {padding}\r\n"), 1);
                let answer = format!("{head}{body}");
                assert_eq!(answer.len(), FULL_RECORD);
                conn.write_at_once(format!("{answer}{}", forged_answer()).as_bytes())
            }
            Mode::Chunked => {
                let (first, rest) = body.split_at(body.len() / 2);
                let text = format!(
                    "HTTP/1.1 200 OK\r\n{CONTENT_TYPE}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{first}\r\n{:x}\r\n{rest}\r\n0\r\n\r\n",
                    first.len(),
                    rest.len()
                );
                conn.write_all(text.as_bytes())
            }
            Mode::Http10 => {
                let _ = conn.write_all(format!("HTTP/1.0 200 OK\r\n{CONTENT_TYPE}\r\n{body}").as_bytes());
                // Over TLS the answer's end is said by close_notify.
                if let Conn::Tls(tls) = &mut conn {
                    tls.conn.send_close_notify();
                }
                let _ = conn.flush();
                return;
            }
            Mode::Http10Cut => {
                // Inside the last field's value: the token or session's
                // last value arrives shortened.
                let cut = &body[..body.len() - 10];
                let _ = conn.write_all(format!("HTTP/1.0 200 OK\r\n{CONTENT_TYPE}\r\n{cut}").as_bytes());
                let _ = conn.flush();
                // The TCP close alone, no close_notify.
                return;
            }
            Mode::Continue100 => {
                let text = format!("HTTP/1.1 100 Continue\r\n\r\n{}{body}", ok_head(body.len()));
                conn.write_all(text.as_bytes())
            }
            Mode::EarlyHints => {
                let hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
                conn.write_all(format!("{hints}{}{body}", ok_head(body.len())).as_bytes())
            }
            Mode::ConnectionClose => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\n{CONTENT_TYPE}Connection: close\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(format!("{head}{body}").as_bytes());
                let _ = conn.flush();
                return;
            }
            Mode::OversizedHead => {
                let line = format!("X-Padding: {}\r\n", "p".repeat(1000));
                let mut text = String::from("HTTP/1.1 200 OK\r\n");
                text.push_str(&line.repeat(2 * 1024));
                text.push_str(&ok_head(body.len())["HTTP/1.1 200 OK\r\n".len()..]);
                text.push_str(&body);
                conn.write_all(text.as_bytes())
            }
            _ => conn.write_all(format!("{}{body}", ok_head(body.len())).as_bytes()),
        };
        if written.and_then(|()| conn.flush()).is_err() {
            return;
        }
        if mode.is_idle() && served_on_this_connection == 1 && index == 0 {
            // gw reads the whole answer at once; then the connection is idle
            // in its pool.
            thread::sleep(Duration::from_millis(100));
            match mode {
                Mode::IdleClose => {
                    shared.idle_done.store(true, Ordering::SeqCst);
                    return;
                }
                Mode::IdleReset => {
                    shared.idle_done.store(true, Ordering::SeqCst);
                    return reset(conn.into_tcp());
                }
                Mode::IdleCloseNotify => {
                    if let Conn::Tls(tls) = &mut conn {
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                    shared.idle_done.store(true, Ordering::SeqCst);
                    return;
                }
                Mode::TicketFlood => {
                    if let Conn::Tls(tls) = conn {
                        let StreamOwned { conn: tls, sock: Socket(tcp) } = *tls;
                        flood_tickets(tls, tcp, shared);
                    }
                    return;
                }
                Mode::Unsolicited { close } => {
                    let timeout = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
                    let _ = conn.write_all(timeout.as_bytes());
                    let _ = conn.flush();
                    shared.idle_done.store(true, Ordering::SeqCst);
                    if close {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

/// The proxy's side of one connection: reads the CONNECT request, then
/// tunnels to the server at `target`, or misbehaves in its `mode`.
fn proxy(mut client: TcpStream, target: SocketAddr, mode: Mode, shared: &Shared) {
    if mode == Mode::ProxyResetOnAccept {
        return reset(client);
    }
    if read_request(&mut client).is_none() {
        return;
    }
    match mode {
        Mode::ProxyResetAfterConnect => reset(client),
        Mode::TrickleConnect => trickle(&mut client, b"HTTP/1.1 200 Connection established\r\nX-Slow: ", b'a', shared),
        Mode::ProxyFlood => {
            // One header line that never ends: no count of header lines
            // bounds it, only a limit on the head's size.
            let started = Instant::now();
            let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\nX-Flood: ");
            let flood = [b'f'; 16 * 1024];
            while !shared.stopped() && started.elapsed() < LONGEST {
                if client.write_all(&flood).is_err() {
                    return;
                }
            }
        }
        _ => {
            let Ok(server) = TcpStream::connect(target) else { return reset(client) };
            if client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
                return;
            }
            tunnel(client, server);
        }
    }
}

/// Copies bytes both ways; an end (FIN) is passed on as an end, a reset as
/// a reset, so that gw meets what the server did.
fn tunnel(client: TcpStream, server: TcpStream) {
    let (Ok(client_reader), Ok(server_reader)) = (client.try_clone(), server.try_clone()) else { return };
    let upstream = thread::spawn(move || pipe(client_reader, server));
    pipe(server_reader, client);
    let _ = upstream.join();
}

/// Copies `from` to `to` until `from` ends (then shuts `to` down for
/// writing) or fails (then resets `to`: its last handle closes with
/// SO_LINGER 0, and shutting its reading side ends the other direction's
/// copy, which holds that handle).
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    let _ = from.shutdown(Shutdown::Read);
                    return reset(from);
                }
            }
            Err(_) => {
                let _ = socket2::SockRef::from(&to).set_linger(Some(Duration::ZERO));
                let _ = to.shutdown(Shutdown::Read);
                return;
            }
        }
    }
}
