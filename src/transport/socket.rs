//! The socket under gw's connections, and what every layer above it shares:
//! how far an exchange got ([`Progress`]), the call's one deadline
//! ([`Deadline`]), why an exchange failed ([`Fault`]), name resolution and
//! TCP within the deadline, and the [`Socket`] whose writes never raise
//! `SIGPIPE` and whose idle peek never waits.
//!
//! Below the proxy's tunnel (`proxy.rs`), TLS (`tls.rs`) and the
//! connections with their buffers (`connection.rs`), which all stand on it.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::Phase;

/// How far an exchange got, and what its first answer bytes said about the
/// server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Progress {
    /// The phase the exchange is in (or failed in).
    pub phase: Phase,
    /// The answer to a plain-http request began with a TLS record.
    pub speaks_tls: bool,
    /// The answer to a TLS ClientHello began with `HTTP/`.
    pub speaks_http: bool,
    /// The HTTP status, once the answer's head was read.
    pub status: Option<u16>,
    /// The exchange runs on a pooled connection: its handshake finished
    /// long before, so no alert on it is a refused handshake.
    pub pooled: bool,
}

impl Progress {
    pub(crate) const START: Progress =
        Progress { phase: Phase::Resolve, speaks_tls: false, speaks_http: false, status: None, pooled: false };
}

/// Which limit a [`Deadline`] is: for messages that say which ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    /// The connect timeout (lookup to the end of the TLS handshake).
    Connect,
    /// The call's timeout.
    Call,
}

/// When a phase must be over, and which limit that is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    pub at: Instant,
    pub limit: Limit,
}

impl Deadline {
    /// What is left, or the time-out once nothing is.
    pub(super) fn left(self) -> Result<Duration, Fault> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(Fault::Timeout(self.limit))
        } else {
            Ok(left)
        }
    }
}

/// Why an exchange failed; `Transport::classify` turns it into gw's error
/// with the phase it happened in.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The name did not resolve (with the lookup's error, when it gave one).
    HostNotFound(Option<io::Error>),
    /// A deadline passed.
    Timeout(Limit),
    /// The socket failed or closed.
    Io(io::Error),
    /// TLS failed (a certificate, an alert, a record that cannot be decrypted).
    Tls(rustls::Error),
    /// Something about TLS that is not a rustls error: an invalid server
    /// name, an answer in plain HTTP to the ClientHello.
    TlsOther(&'static str),
    /// The proxy refused the tunnel (`refused`: it answered with an error
    /// status) or could not open it.
    Proxy { refused: bool, why: String },
    /// The answer is not HTTP/1.1 as ureq-proto reads it (a bad chunk size,
    /// a malformed head, too many headers).
    Http(ureq_proto::Error),
    /// The answer's head (or, in a chunked body, a chunk's size line) is
    /// larger than [`MAX_ANSWER_HEAD`]: unconsumed input past the limit.
    HeadTooLarge,
    /// The answer's body is larger than `MAX_ANSWER_BYTES`.
    AnswerTooLarge(u64),
    /// The first bytes of a plain-HTTP answer were a TLS record.
    SpeaksTls,
}

impl From<io::Error> for Fault {
    /// An I/O error, or the rustls error gw's TLS layer wrapped in one.
    fn from(err: io::Error) -> Fault {
        match err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(tls) => Fault::Tls(tls.clone()),
            None => Fault::Io(err),
        }
    }
}

impl From<rustls::Error> for Fault {
    fn from(err: rustls::Error) -> Fault {
        Fault::Tls(err)
    }
}

/// A socket timeout expired (the OS says `WouldBlock` or `TimedOut`).
pub(super) fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// Whether an operation that failed with `err` is simply tried again
/// (after the deadline is checked).
pub(super) fn again(err: &io::Error) -> bool {
    is_timeout(err) || err.kind() == io::ErrorKind::Interrupted
}

/// Both socket timeouts set to what is left (cold path: each handshake and
/// tunnel step pays the two calls; a warm call sets none).
pub(super) fn arm(tcp: &TcpStream, deadline: Deadline) -> Result<(), Fault> {
    let value = Some(deadline.left()?.max(MIN_TIMEOUT));
    tcp.set_read_timeout(value)?;
    tcp.set_write_timeout(value)?;
    Ok(())
}

/// The addresses of `host`: an IP literal as it is; a name looked up within
/// the deadline, on a helper thread that is left to finish by itself if the
/// deadline passes first (`getaddrinfo` cannot be interrupted).
pub(super) fn resolve(host: &str, port: u16, deadline: Deadline) -> Result<Vec<SocketAddr>, Fault> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let left = deadline.left()?;
    let (tx, rx) = mpsc::channel();
    let name = (host.to_owned(), port);
    thread::Builder::new()
        .name("gw-resolve".into())
        .spawn(move || tx.send(name.to_socket_addrs().map(Iterator::collect::<Vec<_>>)))
        .map_err(Fault::Io)?;
    match rx.recv_timeout(left) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(Fault::HostNotFound(None)),
        Ok(Err(err)) => Err(Fault::HostNotFound(Some(err))),
        Err(_) => Err(Fault::Timeout(deadline.limit)),
    }
}

/// The shortest socket timeout gw sets (a zero one means "none" to the OS).
pub(super) const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// TCP to the first of `addrs` that accepts, within the deadline.
pub(super) fn connect_tcp(addrs: &[SocketAddr], deadline: Deadline) -> Result<TcpStream, Fault> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(addr, deadline.left()?) {
            Ok(tcp) => {
                tcp.set_nodelay(true)?;
                return Ok(tcp);
            }
            Err(err) if is_timeout(&err) => last = Some(Fault::Timeout(deadline.limit)),
            Err(err) => last = Some(err.into()),
        }
    }
    Err(last.unwrap_or(Fault::HostNotFound(None)))
}

/// A TCP socket whose writes never raise `SIGPIPE`: std's `write` sends
/// with `MSG_NOSIGNAL`, but its `write_vectored` (what rustls writes
/// records with) is a `writev`, which has no such flag.
pub(super) struct Socket(pub(super) TcpStream);

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
pub(super) enum Idle {
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
    pub(super) fn recv_now(&self, buf: &mut [u8], peek: bool) -> io::Result<usize> {
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
    pub(super) fn recv_now(&self, buf: &mut [u8], peek: bool) -> io::Result<usize> {
        self.0.set_nonblocking(true)?;
        let result = if peek { self.0.peek(buf) } else { (&self.0).read(buf) };
        self.0.set_nonblocking(false)?;
        result
    }

    /// One system call: is the idle connection still quiet?
    pub(super) fn idle(&self) -> Idle {
        match self.recv_now(&mut [0u8; 1], true) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Idle::Quiet,
            Ok(0) | Err(_) => Idle::Gone,
            Ok(_) => Idle::Bytes,
        }
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
