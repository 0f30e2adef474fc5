//! gw's own connections under ureq: name resolution, TCP, the proxy's
//! CONNECT tunnel and TLS with the client's one rustls configuration, below
//! ureq's HTTP/1.1 and its keep-alive pool.
//!
//! Why gw does not use ureq's default connectors:
//!
//! - **One deadline per call, in every phase.** Resolving, connecting, the
//!   proxy's answer, each TLS handshake step, each write and each read get
//!   what is left of the call's deadline, never a renewed timeout: a server
//!   (or proxy) that trickles a byte at a time cannot hold the till past it.
//!   The proxy's answer head is also bounded in size ([`MAX_PROXY_HEAD`]).
//! - **No signal in the host.** Every write goes out with `MSG_NOSIGNAL`
//!   (std's `send` has it, `writev` does not, so vectored writes use
//!   `sendmsg`), and no write follows a failed one: a reset connection is an
//!   error, never a `SIGPIPE` that ends the till.
//! - **A pooled connection is checked before a request is written on it**:
//!   one non-blocking peek ([`GwTransport::is_open`]). A connection the
//!   server closed or reset while it was idle, or holding bytes nobody asked
//!   for (an unsolicited `408`), is dropped and the request goes out on a
//!   fresh one, so no request is written where it can fail for a reason
//!   that was already there, and bytes that were waiting before the request
//!   are never taken as its answer. Every operation pays the peek: the
//!   second rule protects all of them.
//! - **fork().** A connection belongs to the process that opened it: a
//!   forked child never reads, writes or closes (TLS `close_notify`) one of
//!   its parent's, it opens its own ([`forks`]).
//! - **Session resumption.** One `ClientConfig` per client serves all its
//!   connections, so a connection after the first resumes the TLS session.
//!   (ureq builds a new one, and so an empty session cache, per connection
//!   when a request carries its own deadline, as gw's all do.)
//! - **No secret left in a buffer.** The request bytes are wiped as soon as
//!   they are written; the answer bytes as soon as ureq has consumed them,
//!   and rustls' receive buffer once an exchange is over (see
//!   [`Tls::wipe_received`]). Freed blocks are wiped by the library's
//!   allocator (`src/wipe.rs`).
//!
//! Each exchange records how far it got (resolve, connect, TLS, send,
//! receive) in a thread-local [`Progress`]: ureq runs a call's connector and
//! I/O on the calling thread, so the progress seen by the caller after a
//! failure is its own call's. The failure is classified from it, not from an
//! errno.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, Resolver};
use ureq::unversioned::transport::{time, ConnectionDetails, Connector, NextTimeout, Transport};
use ureq::Proxy;
use zeroize::{Zeroize, Zeroizing};

use super::Phase;

/// How far the calling thread's current exchange got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Progress {
    /// The phase the exchange is in (or failed in).
    pub phase: Phase,
    /// The answer to a plain-http request began with a TLS record.
    pub speaks_tls: bool,
    /// The answer to a TLS ClientHello began with `HTTP/`.
    pub speaks_http: bool,
}

impl Progress {
    const START: Progress = Progress { phase: Phase::Resolve, speaks_tls: false, speaks_http: false };
}

thread_local! {
    static PROGRESS: Cell<Progress> = const { Cell::new(Progress::START) };
}

/// The calling thread's progress (the start state when thread-locals are
/// gone, during thread exit).
pub(crate) fn progress() -> Progress {
    PROGRESS.try_with(Cell::get).unwrap_or(Progress::START)
}

/// Starts a new exchange on this thread.
pub(crate) fn begin() {
    update(|p| *p = Progress::START);
}

fn update(change: impl FnOnce(&mut Progress)) {
    let _ = PROGRESS.try_with(|cell| {
        let mut progress = cell.get();
        change(&mut progress);
        cell.set(progress);
    });
}

/// How many times this process is a forked child of a process that loaded
/// gw: a connection opened under another count belongs to an ancestor.
///
/// Counted by a `pthread_atfork` child handler, registered once: no system
/// call per call (glibc's `getpid` is one), and glibc removes the handler
/// when the library is unloaded.
#[cfg(unix)]
pub(crate) fn forks() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Once;
    static FORKS: AtomicU64 = AtomicU64::new(0);
    static WATCH: Once = Once::new();
    extern "C" fn in_child() {
        FORKS.fetch_add(1, Ordering::Relaxed);
    }
    WATCH.call_once(|| {
        // SAFETY: registers a handler that only increments an atomic (safe
        // in a child after fork: no lock, no allocation).
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
    FORKS.load(Ordering::Relaxed)
}

/// Windows has no fork.
#[cfg(not(unix))]
pub(crate) fn forks() -> u64 {
    0
}

/// Hands ureq no addresses: names are resolved by [`GwConnector`] when, and
/// only when, a new connection is needed (ureq resolves before it looks in
/// its pool), within the call's deadline.
#[derive(Debug, Default)]
pub(crate) struct DeferredResolver;

impl Resolver for DeferredResolver {
    fn resolve(
        &self,
        _uri: &Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        Ok(self.empty())
    }
}

/// The largest answer head a proxy may send to a CONNECT: proxies answer
/// with a status line and a few headers.
pub(crate) const MAX_PROXY_HEAD: usize = 16 * 1024;

/// Opens gw's connections: TCP (through the proxy's tunnel when there is
/// one) and TLS to the gateway.
pub(crate) struct GwConnector {
    tls: Arc<ClientConfig>,
    proxy: Option<Proxy>,
    user_agent: &'static str,
}

impl GwConnector {
    pub(crate) fn new(tls: Arc<ClientConfig>, proxy: Option<Proxy>, user_agent: &'static str) -> GwConnector {
        GwConnector { tls, proxy, user_agent }
    }
}

impl fmt::Debug for GwConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GwConnector").field("proxied", &self.proxy.is_some()).finish()
    }
}

/// The call's deadline, `None` when it has none.
fn deadline_of(timeout: NextTimeout) -> Option<Instant> {
    timeout.not_zero().map(|after| Instant::now() + *after)
}

/// What is left before `deadline`: `None` for no deadline, a time-out error
/// once it has passed.
fn left(deadline: Option<Instant>, timeout: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
    match deadline {
        None => Ok(None),
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                Err(timed_out(timeout))
            } else {
                Ok(Some(left))
            }
        }
    }
}

fn timed_out(timeout: NextTimeout) -> ureq::Error {
    ureq::Error::Timeout(timeout.reason)
}

/// A socket timeout expired (the OS says `WouldBlock` or `TimedOut`).
fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// Both socket timeouts set to what is left (cold path: each handshake and
/// tunnel step pays the two calls; a warm call sets none).
fn arm(tcp: &TcpStream, left: Option<Duration>) -> io::Result<()> {
    let value = left.map(|left| left.max(MIN_TIMEOUT));
    tcp.set_read_timeout(value)?;
    tcp.set_write_timeout(value)
}

impl Connector for GwConnector {
    type Out = GwTransport;

    fn connect(&self, details: &ConnectionDetails, _chained: Option<()>) -> Result<Option<GwTransport>, ureq::Error> {
        let timeout = details.timeout;
        let deadline = deadline_of(timeout);
        let proxy = self.proxy.as_ref().filter(|proxy| !proxy.is_no_proxy(details.uri));
        update(|p| p.phase = Phase::Resolve);
        let addrs = match proxy {
            Some(proxy) => resolve(proxy.host(), proxy.port(), details, deadline)?,
            None => {
                let port = details.uri.port_u16().unwrap_or(if details.needs_tls() { 443 } else { 80 });
                resolve(details.uri.host().unwrap_or_default(), port, details, deadline)?
            }
        };
        update(|p| p.phase = Phase::Connect);
        let tcp = connect_tcp(&addrs, deadline, timeout)?;
        if let Some(proxy) = proxy {
            if !details.needs_tls() {
                // Refused by Transport::new: plain http never goes through a proxy.
                return Err(ureq::Error::Tls("plain http through a proxy is refused"));
            }
            self.tunnel(proxy, details.uri, &tcp, deadline, timeout)?;
        }
        let (stream, timeouts) = if details.needs_tls() {
            (Stream::Tls(Box::new(self.handshake(details.uri, tcp, deadline, timeout)?)), SocketTimeouts::UNKNOWN)
        } else {
            (Stream::Tcp(Socket(tcp)), SocketTimeouts::NONE)
        };
        let plain = matches!(stream, Stream::Tcp(_));
        Ok(Some(GwTransport {
            stream,
            buffers: Buffers::default(),
            pending: Vec::new(),
            timeouts,
            exchanges: 0,
            plain,
            open: true,
            forks: forks(),
        }))
    }
}

/// The addresses of `host`: an IP literal as it is; a name looked up within
/// the deadline (on a helper thread that is left to finish by itself if the
/// deadline passes first: `getaddrinfo` cannot be interrupted).
fn resolve(
    host: &str,
    port: u16,
    details: &ConnectionDetails,
    deadline: Option<Instant>,
) -> Result<Vec<SocketAddr>, ureq::Error> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let after = match left(deadline, details.timeout)? {
        Some(left) => time::Duration::from(left),
        None => time::Duration::NotHappening,
    };
    let uri: Uri = format!("http://{host}:{port}/").parse().map_err(|_| ureq::Error::HostNotFound)?;
    let timeout = NextTimeout { after, ..details.timeout };
    Ok(DefaultResolver::default().resolve(&uri, details.config, timeout)?.iter().copied().collect())
}

impl GwConnector {
    /// Opens the proxy's tunnel to the gateway (`CONNECT host:port`), within
    /// the deadline, reading at most [`MAX_PROXY_HEAD`] bytes of answer.
    /// The answer is parsed by ureq-proto, ureq's own HTTP/1.1 code.
    fn tunnel(
        &self,
        proxy: &Proxy,
        target: &Uri,
        tcp: &TcpStream,
        deadline: Option<Instant>,
        timeout: NextTimeout,
    ) -> Result<(), ureq::Error> {
        let host = target.host().unwrap_or_default();
        let port = target.port_u16().unwrap_or(443);
        let mut request = Zeroizing::new(format!(
            "CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {}\r\n",
            self.user_agent
        ));
        if proxy.username().is_some() || proxy.password().is_some() {
            let credentials = Zeroizing::new(format!(
                "{}:{}",
                proxy.username().unwrap_or_default(),
                proxy.password().unwrap_or_default()
            ));
            let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(credentials.as_bytes()));
            request.push_str("Proxy-Authorization: Basic ");
            request.push_str(&encoded);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        // std's `send` on a TcpStream passes MSG_NOSIGNAL.
        let mut socket = tcp;
        let mut written = 0;
        while written < request.len() {
            arm(tcp, left(deadline, timeout)?)?;
            match socket.write(&request.as_bytes()[written..]) {
                Ok(n) => written += n,
                Err(err) if is_timeout(&err) || err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err.into()),
            }
        }
        let mut head = Zeroizing::new(vec![0u8; MAX_PROXY_HEAD]);
        let mut filled = 0;
        loop {
            if filled == head.len() {
                return Err(ureq::Error::ConnectProxyFailed(format!(
                    "its answer head is larger than {MAX_PROXY_HEAD} bytes"
                )));
            }
            arm(tcp, left(deadline, timeout)?)?;
            let n = match socket.read(&mut head[filled..]) {
                Ok(0) => {
                    return Err(ureq::Error::ConnectProxyFailed("it closed the connection without answering".into()))
                }
                Ok(n) => n,
                Err(err) if is_timeout(&err) || err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err.into()),
            };
            filled += n;
            let parsed = ureq_proto::parser::try_parse_response::<64>(&head[..filled])
                .map_err(|err| ureq::Error::ConnectProxyFailed(format!("its answer is not HTTP ({err})")))?;
            let Some((used, response)) = parsed else { continue };
            let status = response.status();
            if !status.is_success() {
                let reason = status.canonical_reason().unwrap_or("");
                return Err(ureq::Error::ConnectProxyFailed(format!("it answered HTTP {} {reason}", status.as_u16())));
            }
            if used != filled {
                // The gateway speaks only after the ClientHello: these bytes
                // are the proxy's, and nobody asked for them.
                return Err(ureq::Error::ConnectProxyFailed("it sent bytes after its answer".into()));
            }
            return Ok(());
        }
    }

    /// The TLS handshake over `tcp`, with the client's one configuration,
    /// each step within what is left of the deadline.
    fn handshake(
        &self,
        uri: &Uri,
        tcp: TcpStream,
        deadline: Option<Instant>,
        timeout: NextTimeout,
    ) -> Result<Tls, ureq::Error> {
        update(|p| p.phase = Phase::Tls);
        let host = uri.host().unwrap_or_default();
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let name = ServerName::try_from(host.to_owned()).map_err(|_| ureq::Error::Tls("invalid TLS server name"))?;
        let conn = ClientConnection::new(self.tls.clone(), name)?;
        let mut tls = Tls { conn, socket: Socket(tcp) };
        let mut first_read = true;
        while tls.conn.is_handshaking() {
            arm(&tls.socket.0, left(deadline, timeout)?)?;
            let step = if tls.conn.wants_write() {
                tls.conn.write_tls(&mut tls.socket).map(|_| ())
            } else {
                if first_read {
                    match tls.answers_in_http()? {
                        // Nothing yet: back to the deadline check.
                        None => continue,
                        Some(true) => {
                            update(|p| p.speaks_http = true);
                            return Err(ureq::Error::Tls("the server answered the TLS handshake with plain HTTP"));
                        }
                        Some(false) => first_read = false,
                    }
                }
                match tls.conn.read_tls(&mut tls.socket) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed the connection during the TLS handshake",
                        )
                        .into())
                    }
                    Ok(_) => tls
                        .conn
                        .process_new_packets()
                        .map(|_| ())
                        .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err)),
                    Err(err) => Err(err),
                }
            };
            match step {
                Ok(()) => {}
                Err(err) if is_timeout(&err) || err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(tls)
    }
}

/// The shortest socket timeout gw sets (a zero one means "none" to the OS).
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// TCP to the first of `addrs` that accepts, within the deadline.
fn connect_tcp(
    addrs: &[SocketAddr],
    deadline: Option<Instant>,
    timeout: NextTimeout,
) -> Result<TcpStream, ureq::Error> {
    let mut last = None;
    for addr in addrs {
        let attempt = match left(deadline, timeout)? {
            Some(left) => TcpStream::connect_timeout(addr, left),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(tcp) => {
                tcp.set_nodelay(true)?;
                return Ok(tcp);
            }
            Err(err) if is_timeout(&err) => last = Some(timed_out(timeout)),
            Err(err) => last = Some(err.into()),
        }
    }
    Err(last.unwrap_or(ureq::Error::HostNotFound))
}

/// A TCP socket whose writes never raise `SIGPIPE`: std's `write` sends
/// with `MSG_NOSIGNAL`, but its `write_vectored` (what rustls writes
/// records with) is a `writev`, which has no such flag.
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

    #[cfg(unix)]
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        // SAFETY: an all-zero msghdr is valid (no name, no control data).
        let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
        // `IoSlice` is ABI-compatible with `iovec` on unix (std documents it).
        message.msg_iov = bufs.as_ptr() as *mut libc::iovec;
        message.msg_iovlen = bufs.len().min(libc::c_int::MAX as usize) as _;
        // SAFETY: the descriptor is this socket's own; the iovecs point into
        // `bufs`, which outlives the call, and sendmsg only reads them.
        let sent = unsafe { libc::sendmsg(self.0.as_raw_fd(), &message, libc::MSG_NOSIGNAL) };
        if sent < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(sent as usize)
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a non-blocking look at an idle connection found.
#[derive(Debug, PartialEq, Eq)]
enum Idle {
    /// Nothing waiting: usable.
    Quiet,
    /// Bytes waiting that nobody asked for.
    Bytes,
    /// The peer closed it (EOF) or it failed (a reset).
    Gone,
}

impl Socket {
    /// Reads what is already there, never waiting: `WouldBlock` when nothing is.
    #[cfg(unix)]
    fn recv_now(&self, buf: &mut [u8], peek: bool) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        let flags = libc::MSG_DONTWAIT | if peek { libc::MSG_PEEK } else { 0 };
        loop {
            // SAFETY: the descriptor is this socket's own and `buf` is
            // writable for its whole length.
            let n = unsafe { libc::recv(self.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    #[cfg(not(unix))]
    fn recv_now(&self, buf: &mut [u8], peek: bool) -> io::Result<usize> {
        self.0.set_nonblocking(true)?;
        let result = if peek { self.0.peek(buf) } else { (&self.0).read(buf) };
        self.0.set_nonblocking(false)?;
        result
    }

    /// One system call: is the idle connection still quiet?
    fn idle(&self) -> Idle {
        match self.recv_now(&mut [0u8; 1], true) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Idle::Quiet,
            Ok(0) | Err(_) => Idle::Gone,
            Ok(_) => Idle::Bytes,
        }
    }
}

/// Reads through [`Socket::recv_now`]: what rustls reads an idle
/// connection's waiting records with.
struct NoWait<'a>(&'a Socket);

impl Read for NoWait<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.recv_now(buf, false)
    }
}

/// Wipes what rustls hands it to read into (its receive buffer's free
/// part, where decrypted records were left) and reads nothing.
struct Wiper;

impl Read for Wiper {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.zeroize();
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// A TLS connection over a [`Socket`]. rustls' own `Stream` is not used:
/// it loops on reads without a deadline, and after a failed write it
/// swallows the error and writes again.
struct Tls {
    conn: ClientConnection,
    socket: Socket,
}

impl Tls {
    /// Whether the server's first bytes are `HTTP/`: a plain-HTTP port.
    /// Waits (within the armed socket timeout) for the first bytes; `None`
    /// when none came in that time.
    fn answers_in_http(&self) -> Result<Option<bool>, ureq::Error> {
        let mut first = [0u8; 5];
        match self.socket.0.peek(&mut first) {
            Ok(n) => Ok(Some(n > 0 && first[..n] == b"HTTP/"[..n])),
            Err(err) if is_timeout(&err) || err.kind() == io::ErrorKind::Interrupted => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Plaintext already decrypted, or one read of records: a `WouldBlock`
    /// when no whole record has arrived yet, so that the caller checks its
    /// deadline between any two reads.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.conn.reader().read(buf) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
        self.conn.read_tls(&mut self.socket)?;
        self.conn.process_new_packets().map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
        match self.conn.reader().read(buf) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                Err(io::Error::new(io::ErrorKind::WouldBlock, "no whole TLS record yet"))
            }
            other => other,
        }
    }

    /// Sends every record rustls holds; the first failure ends it.
    fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.socket)?;
        }
        Ok(())
    }

    /// Whether an idle connection is still usable: records that arrived
    /// while it was idle are read without waiting; handshake messages
    /// (session tickets, key updates) are fine, application data or a
    /// close is not.
    fn idle_usable(&mut self) -> bool {
        loop {
            match self.socket.idle() {
                Idle::Quiet => return true,
                Idle::Gone => return false,
                Idle::Bytes => {}
            }
            if !matches!(self.conn.read_tls(&mut NoWait(&self.socket)), Ok(n) if n > 0) {
                return false;
            }
            match self.conn.process_new_packets() {
                Ok(state) if state.plaintext_bytes_to_read() == 0 && !state.peer_has_closed() => {}
                _ => return false,
            }
        }
    }

    /// Wipes rustls' receive buffer, where records are decrypted in place
    /// and stay until overwritten: called when an exchange is over.
    fn wipe_received(&mut self) {
        let _ = self.conn.read_tls(&mut Wiper);
    }
}

/// The byte stream under HTTP.
enum Stream {
    /// Plain TCP, to a loopback gateway.
    Tcp(Socket),
    /// TLS over TCP (through the proxy's tunnel when there is one).
    Tls(Box<Tls>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(socket) => &socket.0,
            Stream::Tls(tls) => &tls.socket.0,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(socket) => socket.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }

    /// Takes bytes to send: TCP sends them, TLS encrypts them for [`Stream::flush`].
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(socket) => socket.write(buf),
            Stream::Tls(tls) => match tls.conn.writer().write(buf)? {
                // rustls' send buffer is full (64 KiB): send it, then take more.
                0 if !buf.is_empty() => {
                    tls.flush()?;
                    tls.conn.writer().write(buf)
                }
                taken => Ok(taken),
            },
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(_) => Ok(()),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}

/// The read and write timeouts currently set on the socket.
#[derive(Clone, Copy)]
struct SocketTimeouts {
    read: Option<Option<Duration>>,
    write: Option<Option<Duration>>,
}

impl SocketTimeouts {
    /// Set by the TLS handshake to values not recorded.
    const UNKNOWN: SocketTimeouts = SocketTimeouts { read: None, write: None };
    /// A new socket: no timeout.
    const NONE: SocketTimeouts = SocketTimeouts { read: Some(None), write: Some(None) };
}

/// Whether a socket timeout `set` still bounds an operation that must end
/// within `left`, without needing a system call to change it.
///
/// A socket timeout no longer than what is left keeps the deadline: an
/// operation that times out early is tried again with what is then left. So
/// the timeout is changed only when it is longer than what is left (or
/// needlessly short), and it is set in whole seconds when more than a second
/// is left, so that the calls of a till, whose budgets differ by
/// microseconds, find it already right.
fn keeps(set: Option<Option<Duration>>, left: Option<Duration>) -> bool {
    match (set, left) {
        (Some(None), None) => true,
        (Some(Some(set)), Some(left)) => set <= left && set.saturating_mul(2) >= wanted(left),
        _ => false,
    }
}

fn wanted(left: Duration) -> Duration {
    if left > Duration::from_secs(1) {
        Duration::from_secs(left.as_secs())
    } else {
        left.max(MIN_TIMEOUT)
    }
}

/// One connection: a [`Stream`], its buffers, and the request bytes waiting
/// to be written.
pub(crate) struct GwTransport {
    stream: Stream,
    buffers: Buffers,
    /// The request as ureq hands it over (head, then body), written in one go
    /// when ureq starts waiting for the answer; wiped once written.
    pending: Vec<u8>,
    timeouts: SocketTimeouts,
    /// Requests written on this connection.
    exchanges: u32,
    plain: bool,
    /// False once the connection failed or the server closed it.
    open: bool,
    /// [`forks`] when it was opened: another count means it is an
    /// ancestor process's connection.
    forks: u64,
}

impl fmt::Debug for GwTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GwTransport").field("exchanges", &self.exchanges).field("open", &self.open).finish()
    }
}

impl GwTransport {
    /// Runs `op` until it completes, within `timeout`: the socket's timeout
    /// is lowered when needed, and an early time-out (or a TLS record not
    /// yet whole) is tried again with what is left.
    fn within<T>(
        &mut self,
        timeout: NextTimeout,
        read: bool,
        mut op: impl FnMut(&mut Stream, &mut Buffers, &[u8]) -> io::Result<T>,
        pending: &[u8],
    ) -> Result<T, ureq::Error> {
        let deadline = deadline_of(timeout);
        loop {
            let left = match left(deadline, timeout) {
                Ok(left) => left,
                Err(err) => {
                    // A partly written request or partly read answer: the
                    // connection cannot carry another exchange.
                    self.open = false;
                    return Err(err);
                }
            };
            let set = if read { &mut self.timeouts.read } else { &mut self.timeouts.write };
            if !keeps(*set, left) {
                let value = left.map(wanted);
                let tcp = self.stream.tcp();
                if read { tcp.set_read_timeout(value) } else { tcp.set_write_timeout(value) }?;
                *set = Some(value);
            }
            match op(&mut self.stream, &mut self.buffers, pending) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted || is_timeout(&err) => continue,
                Err(err) => {
                    self.open = false;
                    return Err(err.into());
                }
                Ok(value) => return Ok(value),
            }
        }
    }

    /// Writes the pending request in one write (TLS: one record per 16 KiB,
    /// sent together), then wipes it.
    fn flush_pending(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        update(|p| p.phase = Phase::Send);
        self.exchanges += 1;
        let pending = std::mem::take(&mut self.pending);
        let mut written = 0;
        let result = (|| {
            while written < pending.len() {
                written += self.within(timeout.for_write(), false, |s, _, p| s.write(&p[written..]), &pending)?;
            }
            self.within(timeout.for_write(), false, |s, _, _| s.flush(), &[])
        })();
        let mut pending = pending;
        pending.zeroize();
        // Keep the allocation (wiped) for the next request on this connection.
        self.pending = pending;
        result?;
        update(|p| p.phase = Phase::Receive);
        Ok(())
    }
}

/// The largest request kept back before it is written: gw's requests are a
/// few kilobytes, so in practice all of it.
const MAX_PENDING: usize = 64 * 1024;

impl Transport for GwTransport {
    fn buffers(&mut self) -> &mut dyn ureq::unversioned::transport::Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let output = &mut self.buffers.output[..amount];
        self.pending.extend_from_slice(output);
        output.zeroize();
        // ureq reads a request body through the free part of the input
        // buffer ("tmp") on its way to the output buffer: wipe it too.
        self.buffers.wipe_free_input(amount);
        if self.pending.len() >= MAX_PENDING {
            self.flush_pending(timeout)?;
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush_pending(timeout)?;
        self.buffers.make_room();
        let amount = self.within(timeout.for_read(), true, |s, b, _| s.read(b.free_input()), &[])?;
        if amount == 0 {
            self.open = false;
        } else {
            let first = &self.buffers.input[self.buffers.end..self.buffers.end + amount];
            let looks_tls =
                self.plain && self.exchanges == 1 && self.buffers.start == self.buffers.end && is_tls_record(first);
            self.buffers.end += amount;
            if looks_tls {
                update(|p| p.speaks_tls = true);
            }
        }
        Ok(amount > 0)
    }

    /// ureq asks twice: when an exchange is over (before pooling the
    /// connection) and when it takes the connection from the pool for the
    /// next one.
    ///
    /// - At the end of an exchange the answer is wiped from the buffers
    ///   (rustls' included); no system call.
    /// - Before an exchange, one non-blocking peek: a connection the server
    ///   closed or reset while it was idle, or that holds bytes nobody asked
    ///   for, is not used, and the request goes out on a fresh one. A
    ///   connection of the process this one was forked from is never used.
    fn is_open(&mut self) -> bool {
        if !self.open || self.forks != forks() {
            return false;
        }
        if progress().phase == Phase::Receive {
            if let Stream::Tls(tls) = &mut self.stream {
                tls.wipe_received();
            }
            return true;
        }
        self.open = match &mut self.stream {
            Stream::Tcp(socket) => socket.idle() == Idle::Quiet,
            Stream::Tls(tls) => tls.idle_usable(),
        };
        self.open
    }

    fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }
}

/// Whether bytes received over plain HTTP are a TLS record (an alert or a
/// handshake, TLS 1.0–1.3): the server speaks HTTPS.
fn is_tls_record(bytes: &[u8]) -> bool {
    matches!(bytes, [0x15 | 0x16, 0x03, 0x00..=0x04, ..])
}

/// ureq's input and output buffers, wiped where a request passed, where an
/// answer was consumed, and when dropped. Allocated on first use.
#[derive(Default)]
pub(crate) struct Buffers {
    input: Vec<u8>,
    /// The unconsumed input is `input[start..end]`.
    start: usize,
    end: usize,
    /// The last input consumed made progress (ureq's contract).
    progress: bool,
    output: Vec<u8>,
}

/// Input read per `read`, and the window ureq encodes a request into.
const BUFFER_SIZE: usize = 16 * 1024;
/// ureq wants this much free input space to read a request body through.
const MIN_TMP: usize = 10 * 1024;

impl Buffers {
    fn allocate(&mut self) {
        if self.output.is_empty() {
            self.output = vec![0; BUFFER_SIZE];
            self.input = vec![0; BUFFER_SIZE];
        }
    }

    /// At least `min` bytes free after the unconsumed input.
    fn ensure_free(&mut self, min: usize) {
        self.allocate();
        if self.input.len() - self.end >= min {
            return;
        }
        self.input.copy_within(self.start..self.end, 0);
        let moved = self.end - self.start;
        // What the move left behind after the unconsumed input.
        self.input[moved..self.end].zeroize();
        self.end = moved;
        self.start = 0;
        if self.input.len() - self.end < min {
            self.input.resize(self.end + min.max(BUFFER_SIZE), 0);
        }
    }

    fn make_room(&mut self) {
        self.ensure_free(1);
    }

    fn free_input(&mut self) -> &mut [u8] {
        let end = self.end;
        &mut self.input[end..]
    }

    fn wipe_free_input(&mut self, amount: usize) {
        let end = self.end;
        let stop = (end + amount).min(self.input.len());
        self.input[end..stop].zeroize();
    }
}

impl ureq::unversioned::transport::Buffers for Buffers {
    fn output(&mut self) -> &mut [u8] {
        self.allocate();
        &mut self.output
    }

    fn input(&self) -> &[u8] {
        &self.input[self.start..self.end]
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        self.make_room();
        self.free_input()
    }

    fn input_appended(&mut self, amount: usize) {
        self.end += amount;
    }

    fn input_consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        // Consumed answer bytes are wiped at once: the answer may quote
        // secrets, and a pooled connection lives as long as the client.
        self.input[self.start..self.start + amount].zeroize();
        self.start += amount;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        self.ensure_free(MIN_TMP);
        let end = self.end;
        (&mut self.input[end..], &mut self.output)
    }

    fn can_use_input(&self) -> bool {
        self.start < self.end && self.progress
    }
}

impl Drop for Buffers {
    fn drop(&mut self) {
        self.input.zeroize();
        self.output.zeroize();
    }
}

impl Drop for GwTransport {
    fn drop(&mut self) {
        self.pending.zeroize();
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Closes with a reset (SO_LINGER 0), as a load balancer does.
    fn reset(socket: TcpStream) {
        use std::os::fd::AsRawFd;
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        // SAFETY: the descriptor is the test's own socket and `linger` is the
        // option's documented type and size.
        unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
    }

    /// A write on a connection the peer reset fails with an error, and the
    /// process gets no SIGPIPE, with the default disposition, through the
    /// vectored path rustls uses (a plain `writev` would end the process).
    #[test]
    #[cfg_attr(miri, ignore = "sockets: Miri runs no system calls")]
    fn vectored_writes_raise_no_sigpipe() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        reset(server);
        std::thread::sleep(Duration::from_millis(50));
        // SAFETY: restores the default action for SIGPIPE (the Rust runtime
        // ignores it); the test then proves no write raises it.
        let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        let mut socket = Socket(client);
        let data = [io::IoSlice::new(b"GET / HTTP/1.1\r\n"), io::IoSlice::new(b"\r\n")];
        let first = socket.write_vectored(&data);
        let second = socket.write_vectored(&data);
        // SAFETY: puts back the disposition the test found.
        unsafe { libc::signal(libc::SIGPIPE, previous) };
        assert!(first.is_err() || second.is_err(), "{first:?} {second:?}");
        assert!(second.is_err(), "{second:?}");
    }

    /// The peek tells a quiet idle connection from a closed one and from
    /// one holding bytes nobody asked for.
    #[test]
    #[cfg_attr(miri, ignore = "sockets: Miri runs no system calls")]
    fn the_idle_peek() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let pair = || {
            let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            (Socket(client), listener.accept().unwrap().0)
        };
        let (quiet, _server) = pair();
        assert_eq!(quiet.idle(), Idle::Quiet);
        let (unsolicited, mut server) = pair();
        server.write_all(b"HTTP/1.1 408 Request Timeout\r\n\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(unsolicited.idle(), Idle::Bytes);
        let (closed, server) = pair();
        drop(server);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(closed.idle(), Idle::Gone);
    }
}
